//! The presentation request object: what a provider asks a wallet for, signed by a key of
//! the provider's own `did:realdid`. One type and one set of limits, so that the verifier
//! never issues a request the wallet would refuse as malformed, and the wallet refuses what
//! no honest verifier sends (asking for the holder's DID, say).
//!
//! ```text
//! header  {"alg": "EdDSA", "typ": "oauth-authz-req+jwt", "kid": "did:realdid:<provider>#key-1"}
//! payload {"request_id": "…", "nonce": "…", "client_id": "did:realdid:<provider>",
//!          "response_uri": "realdid://verifier.example:443/requests/…",
//!          "claims": ["province"], "predicates": ["age_over_18"], "credential_types": [],
//!          "purpose": "open an account", "exp": 1790000000}
//! ```
//! Unknown payload members are ignored, so that a later verifier may add some.
//!
//! Why signed: a wallet keeps one DID per provider so that providers cannot link their
//! customers. If the wallet picked that DID from a name the request merely states, a shop
//! could ask "as the bank", learn the citizen's bank DID and link the two. The wallet picks it
//! from the DID whose key signed the request, checked against the registry's proven state
//! ([`SignedRequest::verify`]), binds the presentation to that DID (`client_id` is the
//! key-binding JWT's `aud`), and sends it only to the `response_uri` the provider signed, so
//! that a relayed request of the bank's answers the bank, never the relay.

use serde::{Deserialize, Serialize};

use crate::ErrorKind;
use crate::did::{DidState, KeyId, Purposes, RealDid};
use crate::jws::CompactJws;
use crate::keys::SigningKey;
use crate::typed_jws::{Unopened, did_url_kid, object_claims, open, sign_typed, truncated};

/// The `typ` of a signed request object (RFC 9101).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// Largest signed request, in bytes: the object, base64url-encoded, and a header and
/// signature.
pub const MAX_SIGNED_REQUEST_BYTES: usize = MAX_REQUEST_OBJECT_BYTES * 4 / 3 + 1024;

/// Largest request object, in bytes.
pub const MAX_REQUEST_OBJECT_BYTES: usize = 16 * 1024;
/// The predicates a request may ask for: booleans the issuer signs.
pub const KNOWN_PREDICATES: [&str; 5] = [
    "real_name_verified",
    "age_over_14",
    "age_over_16",
    "age_over_18",
    "age_over_60",
];
/// Claims that describe the credential rather than the person (the SD-JWT VC profile's, and
/// `sub`, the holder's DID, which a provider gets only as its pseudonymous subject id): a
/// request may not ask for them.
pub const REGISTERED_CLAIMS: [&str; 10] = [
    "iss", "iat", "nbf", "exp", "cnf", "vct", "status", "sub", "_sd", "_sd_alg",
];

/// A field of a request that breaks its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RequestError {
    /// The field, as named in the JSON (with an index for list items).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl RequestError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Always [`ErrorKind::InvalidInput`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// A presentation request as a wallet reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestObject {
    /// The request's id at the verifier.
    pub request_id: String,
    /// The nonce the key-binding JWT must carry.
    pub nonce: String,
    /// The provider's DID: whose key signs the request, and the key-binding JWT's `aud`.
    pub client_id: RealDid,
    /// The request's URI at the verifier, where the answer goes
    /// (`realdid://<host:port>/requests/<request_id>`).
    pub response_uri: String,
    /// Claims wanted disclosed.
    pub claims: Vec<String>,
    /// Predicates wanted proven true.
    pub predicates: Vec<String>,
    /// Credential types accepted (empty: the verifier's defaults).
    pub credential_types: Vec<String>,
    /// Why the provider asks, shown to the holder.
    pub purpose: String,
    /// When the request closes, Unix seconds.
    pub exp: i64,
}

fn bounded(field: &str, value: &str, max: usize) -> Result<(), RequestError> {
    if value.is_empty() || value.len() > max {
        return Err(RequestError::new(field, format!("1 to {max} bytes")));
    }
    Ok(())
}

fn distinct(field: &str, items: &[String], max: usize, max_len: usize) -> Result<(), RequestError> {
    if items.len() > max {
        return Err(RequestError::new(field, format!("at most {max}")));
    }
    for (i, item) in items.iter().enumerate() {
        let name = format!("{field}[{i}]");
        bounded(&name, item, max_len)?;
        if items[..i].contains(item) {
            return Err(RequestError::new(name, format!("{item:?} appears twice")));
        }
    }
    Ok(())
}

impl RequestObject {
    /// The limits every request keeps: what the verifier checks before issuing one and the
    /// wallet before answering one.
    pub fn check(&self) -> Result<(), RequestError> {
        bounded("request_id", &self.request_id, 128)?;
        bounded("nonce", &self.nonce, 128)?;
        bounded("response_uri", &self.response_uri, 512)?;
        distinct("claims", &self.claims, 32, 64)?;
        if let Some(name) = self
            .claims
            .iter()
            .find(|c| REGISTERED_CLAIMS.contains(&c.as_str()))
        {
            return Err(RequestError::new(
                "claims",
                format!(
                    "{name:?} describes the credential, not the person; it cannot be asked for"
                ),
            ));
        }
        distinct("predicates", &self.predicates, 16, 64)?;
        if let Some(unknown) = self
            .predicates
            .iter()
            .find(|p| !KNOWN_PREDICATES.contains(&p.as_str()))
        {
            return Err(RequestError::new(
                "predicates",
                format!("{unknown:?} is not one of {KNOWN_PREDICATES:?}"),
            ));
        }
        if self.claims.is_empty() && self.predicates.is_empty() {
            return Err(RequestError::new(
                "claims, predicates",
                "ask for at least one",
            ));
        }
        bounded("purpose", &self.purpose, 512)?;
        distinct("credential_types", &self.credential_types, 16, 256)?;
        Ok(())
    }

    /// Everything the request asks to see: the claims, then the predicates.
    pub fn wanted(&self) -> impl Iterator<Item = &str> {
        self.claims
            .iter()
            .chain(&self.predicates)
            .map(String::as_str)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        // A struct of strings, lists of strings and an integer always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Signs the request with `key`, the key `key_id` of the provider's DID (`client_id`),
    /// which the DID's document must list for assertion for wallets to accept it.
    pub fn sign(&self, key_id: &KeyId, key: &SigningKey) -> Result<String, SignedRequestError> {
        self.check().map_err(SignedRequestError::Limits)?;
        sign_typed(
            self,
            REQUEST_OBJECT_TYP,
            &format!("{}#{key_id}", self.client_id),
            key,
        )
        .map_err(|reason| SignedRequestError::Signing { reason })
    }
}

/// Why a signed request could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    /// Not a JWS, too large, or a missing or malformed `kid` or payload.
    #[error("malformed request: {reason}")]
    Malformed { reason: String },
    /// The payload breaks a limit of request objects.
    #[error("request object: {0}")]
    Limits(RequestError),
    /// The header `typ` is not [`REQUEST_OBJECT_TYP`].
    #[error("request typ must be {REQUEST_OBJECT_TYP:?}, found {found:?}")]
    WrongType { found: Option<String> },
    /// The request names another provider than the DID whose key signed it, or the state it
    /// is checked against is of another DID.
    #[error("request provider mismatch: {reason}")]
    ProviderMismatch { reason: String },
    /// The provider's DID is deactivated.
    #[error("the provider's DID {did} is deactivated")]
    Deactivated { did: RealDid },
    /// The provider's current document does not list the key for assertion.
    #[error("key {key_id:?} is not an assertion key of {did}'s current document")]
    KeyNotAuthorised { did: RealDid, key_id: String },
    /// The signature does not verify with the key.
    #[error("request signature: {reason}")]
    BadSignature { reason: String },
    /// Signing failed (a key or serialisation failure, not the caller's input).
    #[error("signing a request: {reason}")]
    Signing { reason: String },
}

impl SignedRequestError {
    /// The kind of failure, for mapping to transport codes and exit statuses.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed { .. } | Self::Limits(_) | Self::WrongType { .. } => {
                ErrorKind::InvalidInput
            }
            Self::ProviderMismatch { .. }
            | Self::Deactivated { .. }
            | Self::KeyNotAuthorised { .. } => ErrorKind::Rejected,
            Self::BadSignature { .. } => ErrorKind::InvalidSignature,
            Self::Signing { .. } => ErrorKind::Internal,
        }
    }
}

/// A signed request as read, not yet verified: nothing in it is authentic until
/// [`SignedRequest::verify`] succeeds against the provider's proven state.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    jws: CompactJws<'static>,
    key_id: KeyId,
    object: RequestObject,
}

impl SignedRequest {
    /// Decodes a signed request and checks its form: size, `typ`, a `kid` that is a key of
    /// the `client_id` DID, and the object's limits.
    pub fn parse(jws: &str) -> Result<Self, SignedRequestError> {
        let malformed = |reason: String| SignedRequestError::Malformed { reason };
        let (jws, kid) =
            open(jws, MAX_SIGNED_REQUEST_BYTES, REQUEST_OBJECT_TYP).map_err(|e| match e {
                Unopened::Malformed(reason) => malformed(reason),
                Unopened::WrongType(found) => SignedRequestError::WrongType { found },
            })?;
        let (did_text, key_id) = did_url_kid(&kid).map_err(malformed)?;
        let object: RequestObject = object_claims(jws.payload()).map_err(malformed)?;
        object.check().map_err(SignedRequestError::Limits)?;
        if did_text != object.client_id.as_str() {
            return Err(SignedRequestError::ProviderMismatch {
                reason: format!(
                    "signed by a key of {:?}, but client_id is {}",
                    truncated(did_text),
                    object.client_id
                ),
            });
        }
        Ok(Self {
            jws,
            key_id,
            object,
        })
    }

    /// The DID the request claims to come from; fetch its proven state to verify it.
    pub fn provider(&self) -> &RealDid {
        &self.object.client_id
    }

    /// Checks the signature against the provider DID's current state: the state is that
    /// DID's, it is live, its document lists the key for assertion, and the signature
    /// verifies with it.
    pub fn verify(self, state: &DidState) -> Result<VerifiedRequest, SignedRequestError> {
        if state.did != self.object.client_id {
            return Err(SignedRequestError::ProviderMismatch {
                reason: format!(
                    "the request is from {}, the state is of {}",
                    self.object.client_id, state.did
                ),
            });
        }
        if state.is_deactivated() {
            return Err(SignedRequestError::Deactivated {
                did: state.did.clone(),
            });
        }
        let key = state
            .key_for(&self.key_id, Purposes::ASSERTION_METHOD)
            .ok_or_else(|| SignedRequestError::KeyNotAuthorised {
                did: state.did.clone(),
                key_id: self.key_id.to_string(),
            })?;
        self.jws
            .verify(key)
            .map_err(|e| SignedRequestError::BadSignature {
                reason: e.to_string(),
            })?;
        Ok(VerifiedRequest {
            object: self.object,
        })
    }
}

/// A request whose signature a key of its provider's DID made: the only kind a wallet
/// answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    object: RequestObject,
}

impl VerifiedRequest {
    /// The provider that signed it.
    pub fn provider(&self) -> &RealDid {
        &self.object.client_id
    }

    /// The request.
    pub fn object(&self) -> &RequestObject {
        &self.object
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::did::{CreateOp, DeactivateOp, DidOperation, apply};
    use crate::keys::Algorithm;

    fn chain() -> crate::codec::ChainId {
        crate::codec::ChainId::parse("realdid-test").unwrap()
    }

    /// A provider: its live DID's state, its assertion key (`key-1`) and its recovery key.
    struct Provider {
        state: DidState,
        key: SigningKey,
        recovery: SigningKey,
    }

    fn provider() -> Provider {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let recovery = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let op = DidOperation::Create(CreateOp::single_key(
            &key.public_key(),
            Purposes::ASSERTION_METHOD,
            &recovery.public_key(),
        ))
        .sign(&chain(), Some(KeyId::first()), &key)
        .unwrap();
        Provider {
            state: apply(&chain(), None, &op).unwrap(),
            key,
            recovery,
        }
    }

    fn object_of(client_id: &RealDid) -> RequestObject {
        RequestObject {
            request_id: "r1".into(),
            nonce: "n".repeat(43),
            client_id: client_id.clone(),
            response_uri: "realdid://verifier.example/requests/r1".into(),
            claims: vec!["province".into()],
            predicates: vec!["age_over_18".into()],
            credential_types: vec![],
            purpose: "open an account".into(),
            exp: 1_790_000_000,
        }
    }

    #[test]
    fn round_trips_and_ignores_unknown_members() {
        let bank = provider();
        let o = object_of(&bank.state.did);
        let read = |jws: &str| {
            SignedRequest::parse(jws)
                .unwrap()
                .verify(&bank.state)
                .unwrap()
                .object()
                .clone()
        };
        assert_eq!(read(&o.sign(&KeyId::first(), &bank.key).unwrap()), o);
        let mut value: serde_json::Value = serde_json::from_str(&o.to_json()).unwrap();
        value["response_mode"] = "direct".into();
        let kid = format!("{}#key-1", bank.state.did);
        assert_eq!(
            read(&sign_typed(&value, REQUEST_OBJECT_TYP, &kid, &bank.key).unwrap()),
            o
        );
        assert_eq!(
            o.wanted().collect::<Vec<_>>(),
            vec!["province", "age_over_18"]
        );
    }

    #[test]
    fn every_limit_names_its_field() {
        type Edit = fn(&mut RequestObject);
        let cases: [(Edit, &str); 8] = [
            (|o| o.response_uri.clear(), "response_uri"),
            (|o| o.nonce.clear(), "nonce"),
            (|o| o.predicates = vec!["age_over_21".into()], "predicates"),
            (
                |o| o.claims = vec!["name".into(), "name".into()],
                "claims[1]",
            ),
            (|o| o.claims = vec!["sub".into()], "claims"),
            (|o| o.purpose.clear(), "purpose"),
            (
                |o| {
                    o.claims.clear();
                    o.predicates.clear();
                },
                "claims, predicates",
            ),
            (
                |o| o.credential_types = vec![String::new()],
                "credential_types[0]",
            ),
        ];
        let bank = provider();
        for (edit, field) in cases {
            let mut o = object_of(&bank.state.did);
            edit(&mut o);
            // The verifier cannot sign such a request, and a wallet refuses it signed.
            match o.sign(&KeyId::first(), &bank.key) {
                Err(SignedRequestError::Limits(e)) => assert_eq!(e.field, field, "{e}"),
                other => panic!("{field}: expected a limit, got {other:?}"),
            }
            let kid = format!("{}#key-1", bank.state.did);
            let signed = sign_typed(&o, REQUEST_OBJECT_TYP, &kid, &bank.key).unwrap();
            match SignedRequest::parse(&signed) {
                Err(SignedRequestError::Limits(e)) => assert_eq!(e.field, field, "{e}"),
                other => panic!("{field}: expected a limit, got {other:?}"),
            }
        }
        let too_large = "a".repeat(MAX_SIGNED_REQUEST_BYTES + 1);
        assert!(matches!(
            SignedRequest::parse(&too_large),
            Err(SignedRequestError::Malformed { reason }) if reason.contains("more than")
        ));
    }

    #[test]
    fn a_request_signed_by_its_provider_verifies_against_the_providers_state() {
        let bank = provider();
        let object = object_of(&bank.state.did);
        let jws = object.sign(&KeyId::first(), &bank.key).unwrap();
        let signed = SignedRequest::parse(&jws).unwrap();
        assert_eq!(signed.provider(), &bank.state.did);
        let verified = signed.verify(&bank.state).unwrap();
        assert_eq!(verified.object(), &object);
        assert_eq!(verified.provider(), &bank.state.did);
    }

    #[test]
    fn a_shop_cannot_make_a_request_the_wallet_reads_as_the_banks() {
        let bank = provider();
        let shop = provider();
        // The shop names the bank and signs with its own key, as its own key.
        let as_bank = object_of(&bank.state.did);
        let forged = sign_typed(
            &as_bank,
            REQUEST_OBJECT_TYP,
            &format!("{}#key-1", shop.state.did),
            &shop.key,
        )
        .unwrap();
        assert!(matches!(
            SignedRequest::parse(&forged),
            Err(SignedRequestError::ProviderMismatch { .. })
        ));
        // The shop names the bank's key but signs with its own.
        let forged = as_bank.sign(&KeyId::first(), &shop.key).unwrap();
        assert!(matches!(
            SignedRequest::parse(&forged).unwrap().verify(&bank.state),
            Err(SignedRequestError::BadSignature { .. })
        ));
        // A genuine shop request checked against the bank's state.
        let own = object_of(&shop.state.did)
            .sign(&KeyId::first(), &shop.key)
            .unwrap();
        assert!(matches!(
            SignedRequest::parse(&own).unwrap().verify(&bank.state),
            Err(SignedRequestError::ProviderMismatch { .. })
        ));
        // An unsigned request object, as the wallet used to read it.
        assert!(matches!(
            SignedRequest::parse(&as_bank.to_json()),
            Err(SignedRequestError::Malformed { .. })
        ));
    }

    #[test]
    fn only_a_live_assertion_key_signs_requests() {
        let bank = provider();
        let object = object_of(&bank.state.did);
        let unknown = object.sign(&"key-9".parse().unwrap(), &bank.key).unwrap();
        assert!(matches!(
            SignedRequest::parse(&unknown).unwrap().verify(&bank.state),
            Err(SignedRequestError::KeyNotAuthorised { .. })
        ));
        let jws = object.sign(&KeyId::first(), &bank.key).unwrap();
        let deactivate = DidOperation::Deactivate(DeactivateOp {
            did: bank.state.did.clone(),
            previous: bank.state.last_operation,
            recovery_key: bank.recovery.public_key(),
        })
        .sign(&chain(), None, &bank.recovery)
        .unwrap();
        let gone = apply(&chain(), Some(&bank.state), &deactivate).unwrap();
        assert!(matches!(
            SignedRequest::parse(&jws).unwrap().verify(&gone),
            Err(SignedRequestError::Deactivated { .. })
        ));
        let wrong_type = sign_typed(
            &object,
            "JWT",
            &format!("{}#key-1", bank.state.did),
            &bank.key,
        )
        .unwrap();
        assert!(matches!(
            SignedRequest::parse(&wrong_type),
            Err(SignedRequestError::WrongType { .. })
        ));
    }
}
