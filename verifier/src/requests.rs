//! Creating presentation requests: the contract's limits, a fresh id and nonce, and the
//! request object a wallet reads, signed by the provider's DID.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use realdid_core::presentation_request::{RequestObject, SignedRequestError};

use crate::VerifierError;
use crate::provider::Provider;
use crate::store::StoredRequest;

/// Default request lifetime, seconds.
pub const DEFAULT_EXPIRY_SECONDS: u32 = 300;
/// Longest request lifetime, seconds.
pub const MAX_EXPIRY_SECONDS: u32 = 3600;

/// What a provider asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestSpec {
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
    getrandom::fill(&mut bytes).map_err(VerifierError::Randomness)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Checks `spec` and makes `provider`'s request: its id, nonce, deadline and request object,
/// signed with the provider's active key. The limits are the request object's own
/// ([`RequestObject::check`]), which wallets apply too.
pub fn create(
    spec: &RequestSpec,
    provider: &Provider,
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
    let request_id = random_token()?;
    let object = RequestObject {
        response_uri: format!("{request_uri_base}/{request_id}"),
        request_id,
        nonce: random_token()?,
        client_id: provider.did().clone(),
        claims: spec.claims.clone(),
        predicates: spec.predicates.clone(),
        credential_types: spec.credential_types.clone(),
        purpose: spec.purpose.clone(),
        exp: expires_at_ms / 1000,
    };
    let key = provider
        .keys
        .active_key()
        .map_err(|e| VerifierError::Config(format!("provider {}: {e}", provider.id)))?;
    // Signing checks the object's limits first: a limit broken is the caller's.
    let request_object = object
        .sign(provider.keys.active_key_id(), key)
        .map_err(|e| match e {
            SignedRequestError::Limits(limit) => VerifierError::InvalidRequest(limit.to_string()),
            other => VerifierError::Internal(format!("signing a request: {other}")),
        })?;
    let uri = object.response_uri;
    Ok((
        StoredRequest {
            request_id: object.request_id,
            nonce: object.nonce,
            audience: object.client_id.to_string(),
            claims: object.claims,
            predicates: object.predicates,
            credential_types: object.credential_types,
            purpose: object.purpose,
            created_at_ms: now_ms,
            expires_at_ms,
            request_object,
        },
        uri,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    use realdid_core::did::OrgKeys;
    use realdid_core::presentation_request::SignedRequest;

    fn bank() -> Provider {
        Provider {
            id: "bank".into(),
            token_sha256: String::new(),
            keys: OrgKeys::generate().unwrap_or_else(|e| panic!("keys: {e}")),
        }
    }

    fn spec() -> RequestSpec {
        RequestSpec {
            claims: vec!["name".into()],
            predicates: vec!["age_over_18".into()],
            purpose: "open an account".into(),
            expiry_seconds: 0,
            credential_types: vec![],
        }
    }

    #[test]
    fn a_request_has_fresh_id_and_nonce_and_names_what_is_wanted() -> Result<(), VerifierError> {
        let bank = bank();
        let base = "realdid://verifier.example/requests";
        let (a, uri) = create(&spec(), &bank, 1_000, base)?;
        let (b, _) = create(&spec(), &bank, 1_000, base)?;
        assert_ne!(a.request_id, b.request_id);
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.nonce.len(), 43);
        assert_eq!(a.expires_at_ms, 301_000);
        assert_eq!(uri, format!("{base}/{}", a.request_id));
        assert_eq!(a.audience, bank.did().as_str());
        // Signed by the provider: it parses as its request and names what was asked.
        let signed = SignedRequest::parse(&a.request_object)
            .map_err(|e| VerifierError::Internal(e.to_string()))?;
        assert_eq!(signed.provider(), bank.did());
        let object: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(a.request_object.split('.').nth(1).unwrap_or_default())
                .map_err(|e| VerifierError::Internal(e.to_string()))?,
        )
        .map_err(|e| VerifierError::Internal(e.to_string()))?;
        assert_eq!(object["client_id"], bank.did().as_str());
        assert_eq!(object["response_uri"], uri.as_str());
        assert_eq!(object["nonce"], a.nonce.as_str());
        assert_eq!(object["predicates"][0], "age_over_18");
        Ok(())
    }

    #[test]
    fn limits_are_named() {
        type Edit = fn(&mut RequestSpec);
        let bank = bank();
        let cases: [(Edit, &str); 5] = [
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
            match create(&s, &bank, 0, "x") {
                Err(VerifierError::InvalidRequest(m)) => assert!(m.starts_with(field), "{m}"),
                other => panic!("{field}: expected a refusal, got {other:?}"),
            }
        }
    }
}
