//! Key Binding JWTs (RFC 9901 §4.3): the holder's proof that it controls the `cnf` key, for
//! this verifier (`aud`), this request (`nonce`), now (`iat`), and exactly these disclosures
//! (`sd_hash`).
//!
//! Header `{"alg": <the holder key's>, "typ": "kb+jwt"}`; payload
//! `{"nonce", "aud", "iat", "sd_hash"}`.

use serde_json::{Map, Value, json};

use super::SdJwtError;
use crate::jws::{CompactJws, KeySigner, sign_compact};
use crate::keys::PublicKey;

/// The `typ` of a KB-JWT.
pub const KB_JWT_TYP: &str = "kb+jwt";

/// How old a KB-JWT may be by default: long enough for a slow phone and a clock a little
/// off, short enough that a captured presentation is soon useless.
pub const DEFAULT_KB_MAX_AGE: i64 = 300;

/// What the holder binds a presentation to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingParams {
    /// The verifier's nonce for this request.
    pub nonce: String,
    /// The verifier's identifier.
    pub audience: String,
    /// When the holder signs, unix seconds.
    pub issued_at: i64,
}

/// What the verifier requires of a KB-JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingCheck {
    /// The nonce the verifier issued for this request.
    pub nonce: String,
    /// The verifier's own identifier, which must be the KB-JWT's `aud`.
    pub audience: String,
    /// The oldest KB-JWT `iat` accepted, in seconds before now (plus the leeway).
    pub max_age: i64,
}

impl KeyBindingCheck {
    /// A check with the default maximum age.
    pub fn new(nonce: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            nonce: nonce.into(),
            audience: audience.into(),
            max_age: DEFAULT_KB_MAX_AGE,
        }
    }
}

/// The claims of a verified KB-JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingClaims {
    /// The nonce (equal to the expected one).
    pub nonce: String,
    /// The audience (the expected one, or an array containing it).
    pub audience: Value,
    /// When the holder signed.
    pub issued_at: i64,
    /// The hash of the presented SD-JWT.
    pub sd_hash: String,
}

/// Signs a KB-JWT over `sd_hash` with the holder's key.
pub(crate) fn create(
    sd_hash: &str,
    params: &KeyBindingParams,
    holder: &KeySigner,
) -> Result<String, SdJwtError> {
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(KB_JWT_TYP.into()));
    let payload = json!({
        "nonce": params.nonce,
        "aud": params.audience,
        "iat": params.issued_at,
        "sd_hash": sd_hash,
    });
    let payload = serde_json::to_vec(&payload).map_err(|e| SdJwtError::Internal {
        reason: format!("serialising a KB-JWT: {e}"),
    })?;
    sign_compact(&header, &payload, holder).map_err(SdJwtError::Signing)
}

/// Parses a KB-JWT and checks its `typ`; used whether or not binding is required, so that a
/// presentation whose last part is garbage is refused rather than silently ignored.
pub(crate) fn parse(kb_jwt: &str) -> Result<CompactJws<'_>, SdJwtError> {
    let jws = CompactJws::parse(kb_jwt).map_err(SdJwtError::KeyBindingSignature)?;
    if jws.typ() != Some(KB_JWT_TYP) {
        return Err(SdJwtError::Typ {
            expected: KB_JWT_TYP.into(),
            found: jws.typ().map(Into::into),
        });
    }
    Ok(jws)
}

/// Verifies a KB-JWT: `typ`, signature by `holder_key`, `nonce`, `aud`, `iat` within
/// `[now - max_age - leeway, now + leeway]`, and `sd_hash` equal to `expected_sd_hash`
/// (see [`sd_hash`](fn@super::sd_hash)).
///
/// [`verify`](fn@super::verify) calls this; it is public for verifiers that compute the
/// `sd_hash` input themselves.
pub fn verify_key_binding_jwt(
    kb_jwt: &str,
    holder_key: &PublicKey,
    expected_sd_hash: &str,
    check: &KeyBindingCheck,
    leeway: i64,
    now: i64,
) -> Result<KeyBindingClaims, SdJwtError> {
    let jws = parse(kb_jwt)?;
    jws.verify(holder_key)
        .map_err(SdJwtError::KeyBindingSignature)?;
    let mut payload: Map<String, Value> =
        serde_json::from_slice(jws.payload()).map_err(|e| SdJwtError::KeyBinding {
            reason: format!("payload is not a JSON object: {e}"),
        })?;
    let mut string = |name: &'static str| match payload.remove(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(SdJwtError::KeyBinding {
            reason: format!("{name} is not a string"),
        }),
        None => Err(SdJwtError::KeyBinding {
            reason: format!("{name} is missing"),
        }),
    };
    let nonce = string("nonce")?;
    let sd_hash = string("sd_hash")?;
    let issued_at = match payload.get("iat").and_then(Value::as_i64) {
        Some(iat) => iat,
        None => {
            return Err(SdJwtError::KeyBinding {
                reason: "iat is missing or not an integer".into(),
            });
        }
    };
    let audience = payload
        .remove("aud")
        .ok_or_else(|| SdJwtError::KeyBinding {
            reason: "aud is missing".into(),
        })?;

    if nonce != check.nonce {
        return Err(SdJwtError::NonceMismatch {
            expected: check.nonce.clone(),
            found: nonce,
        });
    }
    let audience_ok = match &audience {
        Value::String(a) => *a == check.audience,
        Value::Array(all) => all.iter().any(|a| a.as_str() == Some(&check.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(SdJwtError::AudienceMismatch {
            expected: check.audience.clone(),
            found: audience.to_string(),
        });
    }
    if issued_at > now.saturating_add(leeway) {
        return Err(SdJwtError::KeyBindingFromFuture {
            iat: issued_at,
            now,
        });
    }
    if issued_at < now.saturating_sub(check.max_age).saturating_sub(leeway) {
        return Err(SdJwtError::KeyBindingStale {
            iat: issued_at,
            now,
            max_age: check.max_age,
        });
    }
    if sd_hash != expected_sd_hash {
        return Err(SdJwtError::SdHashMismatch);
    }
    Ok(KeyBindingClaims {
        nonce,
        audience,
        issued_at,
        sd_hash,
    })
}
