//! `did:key` for holder keys (W3C CCG did:key method, v0.7).
//!
//! ```text
//! did:key:z<base58btc( multicodec-varint(key type) || public key bytes )>
//!   Ed25519  0xed 0x01 || 32-byte point
//!   P-256    0x80 0x24 || 33-byte SEC1 compressed point
//! ```
//! The fragment of the single verification method is the method-specific id itself.
//! P-384 (0x1201) and P-521 (0x1202) identifiers parse far enough to be named in the error:
//! realdid signs and verifies with Ed25519 and P-256 only.

use ssi_dids_core::{DID, DIDBuf, DIDURLBuf};

use super::{Algorithm, KeyError, PublicKey};

const METHOD: &str = "did:key";
/// Longest did:key accepted: a P-521 key is 136 characters; anything longer is not a key.
const MAX_LEN: usize = 256;

const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const P256_PUB: [u8; 2] = [0x80, 0x24];
const P384_PUB: [u8; 2] = [0x81, 0x24];
const P521_PUB: [u8; 2] = [0x82, 0x24];
const X25519_PUB: [u8; 2] = [0xec, 0x01];

fn invalid(reason: impl Into<String>) -> KeyError {
    KeyError::InvalidDidKey {
        method: METHOD,
        reason: reason.into(),
    }
}

/// A parsed `did:key` with the public key it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidKey {
    did: DIDBuf,
    key: PublicKey,
}

impl DidKey {
    /// The did:key of a public key.
    pub fn from_public_key(key: &PublicKey) -> Self {
        let prefix = match key.algorithm() {
            Algorithm::EdDsa => ED25519_PUB,
            Algorithm::Es256 => P256_PUB,
        };
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&key.to_bytes());
        let text = format!("{METHOD}:z{}", bs58::encode(bytes).into_string());
        // Invariant: "did:key:z" followed by base58 characters is always a valid DID.
        #[allow(clippy::expect_used)]
        let did = DIDBuf::from_string(text).expect("did:key text is a valid DID");
        Self {
            did,
            key: key.clone(),
        }
    }

    /// Parses a `did:key` identifier (no fragment).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.len() > MAX_LEN {
            return Err(invalid(format!("longer than {MAX_LEN} characters")));
        }
        let rest = text
            .strip_prefix("did:key:")
            .ok_or_else(|| invalid("does not start with did:key:"))?;
        let encoded = rest
            .strip_prefix('z')
            .ok_or_else(|| invalid("multibase prefix must be 'z' (base58btc)"))?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|e| invalid(format!("not base58btc: {e}")))?;
        if bytes.len() < 2 {
            return Err(invalid("too short for a multicodec prefix"));
        }
        let (codec, key_bytes) = bytes.split_at(2);
        let key = match [codec[0], codec[1]] {
            ED25519_PUB => PublicKey::from_bytes(Algorithm::EdDsa, key_bytes)?,
            P256_PUB => {
                if key_bytes.len() != 33 {
                    return Err(invalid("P-256 key must be a 33-byte compressed point"));
                }
                PublicKey::from_bytes(Algorithm::Es256, key_bytes)?
            }
            P384_PUB => return Err(unsupported("P-384")),
            P521_PUB => return Err(unsupported("P-521")),
            X25519_PUB => return Err(unsupported("X25519 (key agreement, not signing)")),
            _ => return Err(unsupported(&format!("multicodec 0x{}", hex::encode(codec)))),
        };
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

    /// The id of the single verification method: `did:key:z…#z…`.
    pub fn verification_method_id(&self) -> DIDURLBuf {
        let text = format!("{}#{}", self.did, self.did.method_specific_id());
        // Invariant: a DID followed by '#' and base58 characters is a valid DID URL.
        #[allow(clippy::expect_used)]
        DIDURLBuf::from_string(text).expect("did:key URL is valid")
    }
}

fn unsupported(what: &str) -> KeyError {
    KeyError::UnsupportedKeyType {
        what: format!("{what} in did:key"),
    }
}
