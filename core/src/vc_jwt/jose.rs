//! The JOSE layer shared by credentials and presentations: explicit typing (`typ`, `cty`),
//! key resolution and signature, payload as one JSON object.

use serde_json::{Map, Value};

use super::{KeyResolver, VcJwtError};
use crate::jws::{CompactJws, KeySigner, sign_compact};
use crate::typed_jws::typ_is;

/// Signs `payload` with header `typ` (and `alg`, `kid` from the signer).
pub(crate) fn sign(
    payload: &Map<String, Value>,
    typ: &'static str,
    signer: &KeySigner,
) -> Result<String, VcJwtError> {
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(typ.into()));
    let payload = serde_json::to_vec(payload).map_err(|e| VcJwtError::Internal {
        reason: format!("serialising the payload: {e}"),
    })?;
    sign_compact(&header, &payload, signer).map_err(VcJwtError::Signing)
}

/// A verified JWT: its protected header and payload.
pub(crate) struct Opened {
    pub(crate) header: Map<String, Value>,
    pub(crate) payload: Map<String, Value>,
}

/// Parses `jwt`, requires `typ` (as a media type: case-insensitive, `application/`
/// optional) and, if `cty` is present, `cty`; resolves the key from the unverified header and
/// payload and verifies the signature.
pub(crate) fn open<R>(
    jwt: &str,
    typ: &'static str,
    cty: &'static str,
    key: &R,
) -> Result<Opened, VcJwtError>
where
    R: KeyResolver + ?Sized,
{
    let jws = CompactJws::parse(jwt).map_err(VcJwtError::Jws)?;
    if !typ_is(jws.typ(), typ) {
        return Err(VcJwtError::Typ {
            expected: typ,
            found: jws.typ().map(Into::into),
        });
    }
    match jws.header().get("cty") {
        None => {}
        Some(Value::String(found)) if typ_is(Some(found), cty) => {}
        Some(found) => {
            return Err(VcJwtError::Cty {
                expected: cty,
                found: found.as_str().map_or_else(|| found.to_string(), Into::into),
            });
        }
    }
    let payload: Map<String, Value> =
        serde_json::from_slice(jws.payload()).map_err(|e| VcJwtError::Malformed {
            part: "JWT payload",
            reason: format!("not a JSON object: {e}"),
        })?;
    let public = key.resolve(jws.header(), &payload)?;
    jws.verify(&public).map_err(VcJwtError::Jws)?;
    Ok(Opened {
        header: jws.header().clone(),
        payload,
    })
}
