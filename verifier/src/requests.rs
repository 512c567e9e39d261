//! Creating presentation requests: the contract's limits, a fresh id and nonce, and the
//! request object a wallet reads.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use realdid_core::presentation_request::RequestObject;

use crate::VerifierError;
use crate::store::StoredRequest;

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

fn random_token() -> Result<String, VerifierError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| VerifierError::Randomness(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Checks `spec` and makes the request: its id, nonce, deadline and request object. The
/// limits are the request object's own ([`RequestObject::check`]), which wallets apply too.
pub fn create(
    spec: &RequestSpec,
    now_ms: i64,
    request_uri_base: &str,
) -> Result<(StoredRequest, String), VerifierError> {
    if spec.expiry_seconds > MAX_EXPIRY_SECONDS {
        return Err(VerifierError::InvalidRequest(format!(
            "expiry_seconds: at most {MAX_EXPIRY_SECONDS}"
        )));
    }
    let expiry = match spec.expiry_seconds {
        0 => DEFAULT_EXPIRY_SECONDS,
        n => n,
    };
    let expires_at_ms = now_ms + i64::from(expiry) * 1000;
    let object = RequestObject {
        request_id: random_token()?,
        nonce: random_token()?,
        aud: spec.audience.clone(),
        claims: spec.claims.clone(),
        predicates: spec.predicates.clone(),
        credential_types: spec.credential_types.clone(),
        purpose: spec.purpose.clone(),
        exp: expires_at_ms / 1000,
    };
    // Named as the provider's request names them: the object's `aud` is its `audience`.
    object.check().map_err(|mut e| {
        if e.field == "aud" {
            e.field = "audience".into();
        }
        VerifierError::InvalidRequest(e.to_string())
    })?;
    let uri = format!("{request_uri_base}/{}", object.request_id);
    let request_object_json = object.to_json();
    Ok((
        StoredRequest {
            request_id: object.request_id,
            nonce: object.nonce,
            audience: object.aud,
            claims: object.claims,
            predicates: object.predicates,
            credential_types: object.credential_types,
            purpose: object.purpose,
            created_at_ms: now_ms,
            expires_at_ms,
            request_object_json,
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
