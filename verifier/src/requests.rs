//! Creating presentation requests: the contract's limits, a fresh id and nonce, and the
//! request object a wallet reads.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::VerifierError;
use crate::store::StoredRequest;
use crate::verify::pipeline::{KNOWN_PREDICATES, REGISTERED_CLAIMS};

/// Default request lifetime, seconds.
pub const DEFAULT_EXPIRY_SECONDS: u32 = 300;
/// Longest request lifetime, seconds.
pub const MAX_EXPIRY_SECONDS: u32 = 3600;

/// What a provider asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestSpec {
    /// The provider's id (the KB-JWT's `aud`).
    pub audience: String,
    /// Claims wanted disclosed.
    pub claims: Vec<String>,
    /// Predicates wanted proven.
    pub predicates: Vec<String>,
    /// Why, shown to the holder.
    pub purpose: String,
    /// Lifetime, seconds (0: the default).
    pub expiry_seconds: u32,
    /// Types accepted (empty: the verifier's).
    pub credential_types: Vec<String>,
}

fn bad(what: String) -> VerifierError {
    VerifierError::InvalidRequest(what)
}

fn random_token() -> Result<String, VerifierError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| VerifierError::Randomness(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn distinct(
    field: &str,
    items: &[String],
    max: usize,
    max_len: usize,
) -> Result<(), VerifierError> {
    if items.len() > max {
        return Err(bad(format!("{field}: at most {max}")));
    }
    for (i, item) in items.iter().enumerate() {
        if item.is_empty() || item.len() > max_len {
            return Err(bad(format!("{field}[{i}]: 1 to {max_len} bytes")));
        }
        if items[..i].contains(item) {
            return Err(bad(format!("{field}[{i}]: {item:?} appears twice")));
        }
    }
    Ok(())
}

/// Checks `spec` and makes the request: its id, nonce, deadline and request object.
pub fn create(
    spec: &RequestSpec,
    now_ms: i64,
    request_uri_base: &str,
) -> Result<(StoredRequest, String), VerifierError> {
    if spec.audience.is_empty() || spec.audience.len() > 256 {
        return Err(bad("audience: 1 to 256 bytes".into()));
    }
    distinct("claims", &spec.claims, 32, 64)?;
    if let Some(name) = spec
        .claims
        .iter()
        .find(|c| REGISTERED_CLAIMS.contains(&c.as_str()))
    {
        return Err(bad(format!(
            "claims: {name:?} describes the credential, not the person; it cannot be asked for"
        )));
    }
    distinct("predicates", &spec.predicates, 16, 64)?;
    if let Some(unknown) = spec
        .predicates
        .iter()
        .find(|p| !KNOWN_PREDICATES.contains(&p.as_str()))
    {
        return Err(bad(format!(
            "predicates: {unknown:?} is not one of {KNOWN_PREDICATES:?}"
        )));
    }
    if spec.claims.is_empty() && spec.predicates.is_empty() {
        return Err(bad("claims, predicates: ask for at least one".into()));
    }
    if spec.purpose.is_empty() || spec.purpose.len() > 512 {
        return Err(bad("purpose: 1 to 512 bytes".into()));
    }
    if spec.expiry_seconds > MAX_EXPIRY_SECONDS {
        return Err(bad(format!("expiry_seconds: at most {MAX_EXPIRY_SECONDS}")));
    }
    distinct("credential_types", &spec.credential_types, 16, 256)?;
    let expiry = match spec.expiry_seconds {
        0 => DEFAULT_EXPIRY_SECONDS,
        n => n,
    };
    let request_id = random_token()?;
    let nonce = random_token()?;
    let expires_at_ms = now_ms + i64::from(expiry) * 1000;
    let object = json!({
        "request_id": request_id,
        "nonce": nonce,
        "aud": spec.audience,
        "claims": spec.claims,
        "predicates": spec.predicates,
        "credential_types": spec.credential_types,
        "purpose": spec.purpose,
        "exp": expires_at_ms / 1000,
    })
    .to_string();
    let uri = format!("{request_uri_base}/{request_id}");
    Ok((
        StoredRequest {
            request_id,
            nonce,
            audience: spec.audience.clone(),
            claims: spec.claims.clone(),
            predicates: spec.predicates.clone(),
            credential_types: spec.credential_types.clone(),
            purpose: spec.purpose.clone(),
            created_at_ms: now_ms,
            expires_at_ms,
            request_object_json: object,
        },
        uri,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RequestSpec {
        RequestSpec {
            audience: "https://bank.example".into(),
            claims: vec!["name".into()],
            predicates: vec!["age_over_18".into()],
            purpose: "open an account".into(),
            expiry_seconds: 0,
            credential_types: vec![],
        }
    }

    #[test]
    fn a_request_has_fresh_id_and_nonce_and_names_what_is_wanted() -> Result<(), VerifierError> {
        let (a, uri) = create(&spec(), 1_000, "realdid://verifier.example/requests")?;
        let (b, _) = create(&spec(), 1_000, "realdid://verifier.example/requests")?;
        assert_ne!(a.request_id, b.request_id);
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.nonce.len(), 43);
        assert_eq!(a.expires_at_ms, 301_000);
        assert!(uri.ends_with(&a.request_id));
        let object: serde_json::Value = serde_json::from_str(&a.request_object_json)
            .map_err(|e| VerifierError::Internal(e.to_string()))?;
        assert_eq!(object["aud"], "https://bank.example");
        assert_eq!(object["nonce"], a.nonce.as_str());
        assert_eq!(object["predicates"][0], "age_over_18");
        Ok(())
    }

    #[test]
    fn limits_are_named() {
        type Edit = fn(&mut RequestSpec);
        let cases: [(Edit, &str); 6] = [
            (|s| s.audience.clear(), "audience"),
            (|s| s.predicates = vec!["age_over_21".into()], "predicates"),
            (
                |s| s.claims = vec!["name".into(), "name".into()],
                "claims[1]",
            ),
            (|s| s.claims = vec!["sub".into()], "claims"),
            (|s| s.purpose.clear(), "purpose"),
            (|s| s.expiry_seconds = 3601, "expiry_seconds"),
        ];
        for (edit, field) in cases {
            let mut s = spec();
            edit(&mut s);
            match create(&s, 0, "x") {
                Err(VerifierError::InvalidRequest(m)) => assert!(m.starts_with(field), "{m}"),
                other => panic!("{field}: expected a refusal, got {other:?}"),
            }
        }
    }
}
