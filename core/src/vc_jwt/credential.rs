//! Credentials: a VC Data Model 2.0 credential as the payload of a `vc+jwt`.

use serde_json::{Map, Value};

use super::data_model::{
    check_context, check_window, numeric_date, optional_string, party_id, types,
};
use super::datetime::parse_datetime;
use super::jose::{self, Opened};
use super::status::{BitstringStatusListEntry, parse_status};
use super::{KeyResolver, VC_JWT_TYP, VcJwtError};
use crate::jws::KeySigner;

/// The `type` every credential has.
pub const VERIFIABLE_CREDENTIAL: &str = "VerifiableCredential";

/// Default clock leeway, in seconds.
pub const DEFAULT_LEEWAY: i64 = 60;

/// What a verifier requires of a credential beyond its shape and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcVerifyOptions {
    /// Clock leeway in seconds for `validFrom`, `validUntil`, `nbf`, `exp`.
    pub leeway: i64,
}

impl Default for VcVerifyOptions {
    fn default() -> Self {
        Self {
            leeway: DEFAULT_LEEWAY,
        }
    }
}

/// A verified credential.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCredential {
    /// The JWS protected header.
    pub header: Map<String, Value>,
    /// The whole credential (the JWT payload).
    pub credential: Map<String, Value>,
    /// `id`, if any.
    pub id: Option<String>,
    /// The issuer's identifier (`issuer` or `issuer.id`).
    pub issuer: String,
    /// `type`, including `VerifiableCredential`.
    pub types: Vec<String>,
    /// `validFrom`, unix seconds.
    pub valid_from: Option<i64>,
    /// `validUntil`, unix seconds.
    pub valid_until: Option<i64>,
    /// The `credentialStatus` entries.
    pub status: Vec<BitstringStatusListEntry>,
}

impl VerifiedCredential {
    /// The `credentialSubject` objects (one, or each of an array).
    pub fn subjects(&self) -> Vec<&Map<String, Value>> {
        match self.credential.get("credentialSubject") {
            Some(Value::Object(s)) => vec![s],
            Some(Value::Array(all)) => all.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        }
    }

    /// The `id`s of the subjects that have one.
    pub fn subject_ids(&self) -> Vec<&str> {
        self.subjects()
            .into_iter()
            .filter_map(|s| s.get("id").and_then(Value::as_str))
            .collect()
    }
}

/// What the shape checks learn from a credential.
struct Facts {
    id: Option<String>,
    issuer: String,
    types: Vec<String>,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    status: Vec<BitstringStatusListEntry>,
}

/// The VC Data Model 2.0 rules realdid enforces on issue and on verify.
fn check(credential: &Map<String, Value>) -> Result<Facts, VcJwtError> {
    check_context(credential)?;
    let types = types(credential, VERIFIABLE_CREDENTIAL)?;
    let issuer = party_id(credential, "issuer")?;
    match credential.get("credentialSubject") {
        None => {
            return Err(VcJwtError::MissingClaim {
                name: "credentialSubject",
            });
        }
        Some(Value::Object(_)) => {}
        Some(Value::Array(all)) if !all.is_empty() && all.iter().all(Value::is_object) => {}
        Some(_) => {
            return Err(VcJwtError::InvalidClaim {
                name: "credentialSubject".into(),
                reason: "must be an object or a non-empty array of objects".into(),
            });
        }
    }
    let date = |name: &'static str| -> Result<Option<i64>, VcJwtError> {
        optional_string(credential, name)?
            .map(|text| parse_datetime(name, &text))
            .transpose()
    };
    let valid_from = date("validFrom")?;
    let valid_until = date("validUntil")?;
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && from > until
    {
        return Err(VcJwtError::InvalidClaim {
            name: "validUntil".into(),
            reason: "before validFrom".into(),
        });
    }
    // VC-JOSE-COSE lets JWT claims sit beside the credential; an `iss` that contradicts
    // `issuer` would let two parties claim one credential.
    if let Some(iss) = optional_string(credential, "iss")?
        && iss != issuer
    {
        return Err(VcJwtError::InvalidClaim {
            name: "iss".into(),
            reason: format!("{iss:?} is not the issuer {issuer:?}"),
        });
    }
    Ok(Facts {
        id: optional_string(credential, "id")?,
        issuer,
        types,
        valid_from,
        valid_until,
        status: parse_status(credential.get("credentialStatus"))?,
    })
}

/// Signs a credential as a `vc+jwt`, after checking it has the VC 2.0 shape (so an issuer
/// never hands out what verifiers will refuse).
pub fn issue_vc_jwt(
    credential: &Map<String, Value>,
    signer: &KeySigner,
) -> Result<String, VcJwtError> {
    check(credential)?;
    jose::sign(credential, VC_JWT_TYP, signer)
}

/// Verifies a `vc+jwt`: `typ` (and `cty: vc` if present), the signature by the key
/// `issuer_key` resolves, the VC 2.0 shape, and the validity window (`validFrom`,
/// `validUntil`, and the JWT `nbf`/`exp` if present) at `now`.
pub fn verify_vc_jwt<R>(
    jwt: &str,
    issuer_key: &R,
    options: &VcVerifyOptions,
    now: i64,
) -> Result<VerifiedCredential, VcJwtError>
where
    R: KeyResolver + ?Sized,
{
    let Opened { header, payload } = jose::open(jwt, VC_JWT_TYP, "vc", issuer_key)?;
    let facts = check(&payload)?;
    check_window(facts.valid_from, facts.valid_until, options.leeway, now)?;
    // A JWT is not accepted on or after its `exp` (RFC 7519 §4.1.4); `validUntil` is the
    // last valid instant.
    check_window(
        numeric_date(&payload, "nbf")?,
        numeric_date(&payload, "exp")?.map(|exp| exp.saturating_sub(1)),
        options.leeway,
        now,
    )?;
    Ok(VerifiedCredential {
        header,
        credential: payload,
        id: facts.id,
        issuer: facts.issuer,
        types: facts.types,
        valid_from: facts.valid_from,
        valid_until: facts.valid_until,
        status: facts.status,
    })
}
