//! Presentations: a `vp+jwt` signed by the holder, enclosing `vc+jwt` credentials as
//! `EnvelopedVerifiableCredential`s and bound to one verifier request by `nonce` and `aud`.

use serde_json::{Map, Value, json};

use super::credential::{VcVerifyOptions, VerifiedCredential, verify_vc_jwt};
use super::data_model::{check_context, numeric_date, party_id, types};
use super::jose::{self, Opened};
use super::{
    CREDENTIALS_V2_CONTEXT, ENVELOPED_VC_PREFIX, ENVELOPED_VC_TYPE, KeyResolver, VP_JWT_TYP,
    VcJwtError,
};
use crate::jws::KeySigner;

/// The `type` every presentation has.
pub const VERIFIABLE_PRESENTATION: &str = "VerifiablePresentation";

/// Default largest number of credentials in one presentation.
pub const DEFAULT_MAX_CREDENTIALS: usize = 64;

/// Default oldest presentation accepted, in seconds before now.
pub const DEFAULT_MAX_AGE: i64 = 300;

/// What the holder binds a presentation to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpParams {
    /// `holder`: the holder's identifier (the DID whose key signs).
    pub holder: String,
    /// The verifier's nonce for this request.
    pub nonce: String,
    /// `aud`: the verifier's identifier.
    pub audience: String,
    /// `iat`: when the holder signs, unix seconds.
    pub issued_at: i64,
    /// `exp`, if the holder limits the presentation's life further.
    pub expires_at: Option<i64>,
}

/// Signs a presentation of `credentials` (each a `vc+jwt`) as a `vp+jwt`:
///
/// ```json
/// {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
///  "holder": "did:…", "verifiableCredential": [{"@context": "https://www.w3.org/ns/credentials/v2",
///  "type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,eyJ…"}],
///  "nonce": "…", "aud": "…", "iat": 1750000000}
/// ```
pub fn issue_vp_jwt(
    credentials: &[&str],
    params: &VpParams,
    signer: &KeySigner,
) -> Result<String, VcJwtError> {
    let mut enveloped = Vec::with_capacity(credentials.len());
    for (index, jwt) in credentials.iter().enumerate() {
        // A data: URL needs no escaping for base64url and '.', and nothing else may occur.
        if jwt.is_empty()
            || !jwt
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(VcJwtError::Envelope {
                index,
                reason: "not a compact JWS".into(),
            });
        }
        enveloped.push(json!({
            "@context": CREDENTIALS_V2_CONTEXT,
            "type": ENVELOPED_VC_TYPE,
            "id": format!("{ENVELOPED_VC_PREFIX}{jwt}"),
        }));
    }
    let mut payload = Map::new();
    payload.insert("@context".into(), json!([CREDENTIALS_V2_CONTEXT]));
    payload.insert("type".into(), json!([VERIFIABLE_PRESENTATION]));
    payload.insert("holder".into(), Value::String(params.holder.clone()));
    payload.insert("verifiableCredential".into(), Value::Array(enveloped));
    payload.insert("nonce".into(), Value::String(params.nonce.clone()));
    payload.insert("aud".into(), Value::String(params.audience.clone()));
    payload.insert("iat".into(), params.issued_at.into());
    if let Some(exp) = params.expires_at {
        payload.insert("exp".into(), exp.into());
    }
    // The holder signs only what a verifier will accept.
    check_context(&payload)?;
    party_id(&payload, "holder")?;
    jose::sign(&payload, VP_JWT_TYP, signer)
}

/// What a verifier requires of a presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpVerifyOptions {
    /// The nonce the verifier issued for this request.
    pub nonce: String,
    /// The verifier's own identifier, which must be the `aud` (or in it).
    pub audience: String,
    /// The oldest `iat` accepted, in seconds before now (plus the leeway).
    pub max_age: i64,
    /// Clock leeway in seconds, for the presentation and its credentials.
    pub leeway: i64,
    /// Require every credential to have a `credentialSubject.id` equal to `holder`, so that
    /// nobody presents another person's credential under their own key. On by default.
    pub require_holder_is_subject: bool,
    /// Largest number of enclosed credentials.
    pub max_credentials: usize,
}

impl VpVerifyOptions {
    /// The defaults for a request with this nonce and audience.
    pub fn new(nonce: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            nonce: nonce.into(),
            audience: audience.into(),
            max_age: DEFAULT_MAX_AGE,
            leeway: super::credential::DEFAULT_LEEWAY,
            require_holder_is_subject: true,
            max_credentials: DEFAULT_MAX_CREDENTIALS,
        }
    }
}

/// A verified presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPresentation {
    /// The JWS protected header.
    pub header: Map<String, Value>,
    /// The whole presentation (the JWT payload).
    pub presentation: Map<String, Value>,
    /// The holder's identifier.
    pub holder: String,
    /// The enclosed credentials, each verified, in order.
    pub credentials: Vec<VerifiedCredential>,
    /// `iat`.
    pub issued_at: i64,
}

/// Verifies a `vp+jwt`: `typ` (and `cty: vp` if present), the holder's signature by the key
/// `holder_key` resolves, the VC 2.0 shape, `nonce`, `aud`, `iat` within
/// `[now - max_age - leeway, now + leeway]`, `exp` if present, and then every enclosed
/// credential with `issuer_key` (and, by default, that it is about the holder).
pub fn verify_vp_jwt<H, I>(
    jwt: &str,
    options: &VpVerifyOptions,
    holder_key: &H,
    issuer_key: &I,
    now: i64,
) -> Result<VerifiedPresentation, VcJwtError>
where
    H: KeyResolver + ?Sized,
    I: KeyResolver + ?Sized,
{
    let Opened { header, payload } = jose::open(jwt, VP_JWT_TYP, "vp", holder_key)?;
    check_context(&payload)?;
    types(&payload, VERIFIABLE_PRESENTATION)?;
    let holder = party_id(&payload, "holder")?;

    let nonce = payload.get("nonce").and_then(Value::as_str);
    if nonce != Some(options.nonce.as_str()) {
        return Err(VcJwtError::NonceMismatch {
            expected: options.nonce.clone(),
            found: nonce.map(Into::into),
        });
    }
    let audience_ok = match payload.get("aud") {
        Some(Value::String(a)) => *a == options.audience,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(&options.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(VcJwtError::AudienceMismatch {
            expected: options.audience.clone(),
            found: payload
                .get("aud")
                .map_or_else(|| "missing".into(), Value::to_string),
        });
    }
    let iat = numeric_date(&payload, "iat")?.ok_or(VcJwtError::MissingClaim { name: "iat" })?;
    if iat > now.saturating_add(options.leeway) {
        return Err(VcJwtError::FromFuture { iat, now });
    }
    if iat
        < now
            .saturating_sub(options.max_age)
            .saturating_sub(options.leeway)
    {
        return Err(VcJwtError::Stale {
            iat,
            now,
            max_age: options.max_age,
        });
    }
    if let Some(exp) = numeric_date(&payload, "exp")?
        && now.saturating_sub(options.leeway) >= exp
    {
        return Err(VcJwtError::Expired {
            valid_until: exp,
            now,
        });
    }

    let enveloped: Vec<&Value> = match payload.get("verifiableCredential") {
        None => Vec::new(),
        Some(Value::Array(all)) => all.iter().collect(),
        Some(one) => vec![one],
    };
    if enveloped.len() > options.max_credentials {
        return Err(VcJwtError::TooManyCredentials {
            count: enveloped.len(),
            max: options.max_credentials,
        });
    }
    let credential_options = VcVerifyOptions {
        leeway: options.leeway,
    };
    let mut credentials = Vec::with_capacity(enveloped.len());
    for (index, entry) in enveloped.into_iter().enumerate() {
        let vc_jwt = unwrap_envelope(index, entry)?;
        let credential =
            verify_vc_jwt(vc_jwt, issuer_key, &credential_options, now).map_err(|source| {
                VcJwtError::Credential {
                    index,
                    source: Box::new(source),
                }
            })?;
        if options.require_holder_is_subject && !credential.subject_ids().contains(&holder.as_str())
        {
            return Err(VcJwtError::HolderNotSubject { index, holder });
        }
        credentials.push(credential);
    }

    Ok(VerifiedPresentation {
        header,
        presentation: payload,
        holder,
        credentials,
        issued_at: iat,
    })
}

/// The VC-JWT inside `{"type": "EnvelopedVerifiableCredential", "id":
/// "data:application/vc+jwt,<jwt>"}`.
fn unwrap_envelope(index: usize, entry: &Value) -> Result<&str, VcJwtError> {
    let fail = |reason: &str| VcJwtError::Envelope {
        index,
        reason: reason.into(),
    };
    let Value::Object(entry) = entry else {
        return Err(fail(
            "not an object (only enveloped credentials are accepted)",
        ));
    };
    let typed = match entry.get("type") {
        Some(Value::String(t)) => t == ENVELOPED_VC_TYPE,
        Some(Value::Array(all)) => all.iter().any(|t| t.as_str() == Some(ENVELOPED_VC_TYPE)),
        _ => false,
    };
    if !typed {
        return Err(fail("type is not EnvelopedVerifiableCredential"));
    }
    entry
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.strip_prefix(ENVELOPED_VC_PREFIX))
        .ok_or_else(|| fail("id is not a data:application/vc+jwt, URL"))
}
