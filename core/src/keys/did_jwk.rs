//! `did:jwk`: a DID that is the base64url encoding of a public JWK.
//!
//! realdid produces the canonical form: the JWK's required public members, sorted, without
//! whitespace (the RFC 7638 thumbprint input), so that one key has one did:jwk. Parsing
//! accepts any member order and ignores members other than `kty`, `crv`, `x`, `y`; a JWK with
//! a private member `d` is refused, because a DID must never carry a secret.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ssi_dids_core::{DID, DIDBuf, DIDURLBuf};

use super::{Jwk, KeyError, PublicKey};

const METHOD: &str = "did:jwk";
/// Longest did:jwk accepted; a P-256 JWK encodes to about 170 characters.
const MAX_LEN: usize = 1024;

fn invalid(reason: impl Into<String>) -> KeyError {
    KeyError::InvalidDidKey {
        method: METHOD,
        reason: reason.into(),
    }
}

/// A parsed `did:jwk` with its public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidJwk {
    did: DIDBuf,
    key: PublicKey,
}

impl DidJwk {
    /// The canonical did:jwk of a public key.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, KeyError> {
        let jwk = Jwk::from_public_key(key)?;
        let text = format!(
            "{METHOD}:{}",
            B64.encode(jwk.canonical_public_json().as_bytes())
        );
        let did = DIDBuf::from_string(text).map_err(|_| invalid("not a valid DID"))?;
        Ok(Self {
            did,
            key: key.clone(),
        })
    }

    /// Parses a `did:jwk` identifier (no fragment).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.len() > MAX_LEN {
            return Err(invalid(format!("longer than {MAX_LEN} characters")));
        }
        let encoded = text
            .strip_prefix("did:jwk:")
            .ok_or_else(|| invalid("does not start with did:jwk:"))?;
        let json = B64
            .decode(encoded)
            .map_err(|e| invalid(format!("not base64url: {e}")))?;
        let json = std::str::from_utf8(&json).map_err(|_| invalid("JWK is not UTF-8"))?;
        let jwk = Jwk::from_json(json)?;
        if jwk.d.is_some() {
            return Err(invalid("JWK carries a private member d"));
        }
        let key = jwk.to_public_key()?;
        let did = DIDBuf::from_string(text.to_owned()).map_err(|_| invalid("not a valid DID"))?;
        Ok(Self { did, key })
    }

    /// The DID.
    pub fn did(&self) -> &DID {
        &self.did
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The id of the single verification method, `did:jwk:…#0`.
    pub fn verification_method_id(&self) -> DIDURLBuf {
        // Invariant: a DID followed by "#0" is a valid DID URL.
        #[allow(clippy::expect_used)]
        DIDURLBuf::from_string(format!("{}#0", self.did)).expect("did:jwk URL is valid")
    }
}
