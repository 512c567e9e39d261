//! Public keys: what a DID document, a `cnf` claim or a did:key carries.

use std::sync::LazyLock;

use super::p256::P256PublicKey;
use super::{Algorithm, KeyError, SignatureRule, cofactored, strict};
use crate::recent::Recent;

/// How many decompressed Ed25519 keys are remembered (at least; at most twice as many,
/// ~200 bytes each).
const DECOMPRESSED_KEYS: usize = 1 << 14;

/// Ed25519 keys already decompressed and found valid, by their 32 bytes. Decompressing is a
/// field exponentiation (~10 µs), and the same key arrives again and again: a validator
/// decodes each transaction from gossip and again in its block, a verifier sees a holder's
/// `cnf` key at every presentation. Decompression is a pure function of the bytes, so a
/// remembered key is exactly the one decompressing again would give; refused bytes are not
/// remembered.
static DECOMPRESSED: LazyLock<Recent<[u8; 32], ed25519_dalek::VerifyingKey>> =
    LazyLock::new(|| Recent::with_capacity(DECOMPRESSED_KEYS));

/// A public key of one of the supported algorithms.
///
/// Equality and hashing use the canonical bytes (Ed25519: the 32-byte point; P-256: the
/// 33-byte compressed point), so two encodings of one key compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 verifying key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// A P-256 (secp256r1) key.
    P256(P256PublicKey),
}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.algorithm().tag().hash(state);
        self.to_bytes().hash(state);
    }
}

impl PublicKey {
    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ed25519(_) => Algorithm::EdDsa,
            Self::P256(_) => Algorithm::Es256,
        }
    }

    /// Parses raw key bytes of the given algorithm (Ed25519: 32 bytes; P-256: SEC1).
    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::EdDsa => {
                let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::InvalidPublicKey {
                    algorithm: "Ed25519",
                    reason: format!("must be 32 bytes, got {}", bytes.len()),
                })?;
                if let Some(key) = DECOMPRESSED.get(&arr) {
                    return Ok(Self::Ed25519(key));
                }
                let key = ed25519_dalek::VerifyingKey::from_bytes(&arr).map_err(|_| {
                    KeyError::InvalidPublicKey {
                        algorithm: "Ed25519",
                        reason: "not a valid curve point".into(),
                    }
                })?;
                if key.is_weak() {
                    return Err(KeyError::InvalidPublicKey {
                        algorithm: "Ed25519",
                        reason: "weak (small-order) point".into(),
                    });
                }
                DECOMPRESSED.insert(arr, key);
                Ok(Self::Ed25519(key))
            }
            Algorithm::Es256 => Ok(Self::P256(P256PublicKey::from_sec1(bytes)?)),
        }
    }

    /// The canonical bytes: Ed25519's 32-byte point, P-256's 33-byte compressed point.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Ed25519(k) => k.as_bytes().to_vec(),
            Self::P256(k) => k.compressed().to_vec(),
        }
    }

    /// Verifies a raw signature (64 bytes for both algorithms) over `message` under
    /// [`SignatureRule::Strict`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.verify_under(SignatureRule::Strict, message, signature)
    }

    /// Verifies a raw signature (64 bytes for both algorithms) over `message` under `rule`.
    pub fn verify_under(
        &self,
        rule: SignatureRule,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        match self {
            Self::Ed25519(k) => {
                let raw: &[u8; 64] =
                    signature
                        .try_into()
                        .map_err(|_| KeyError::SignatureLength {
                            algorithm: "EdDSA",
                            expected: 64,
                            found: signature.len(),
                        })?;
                let good = match rule {
                    // Refuses non-canonical S and small-order R, so one message has exactly
                    // one accepted signature per key and nonce.
                    SignatureRule::Strict => strict::verify(k, message, raw),
                    SignatureRule::Chain => cofactored::verify(k, message, raw),
                };
                if good {
                    Ok(())
                } else {
                    Err(KeyError::BadSignature { algorithm: "EdDSA" })
                }
            }
            Self::P256(k) => k.verify(message, signature),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn remembered_keys_are_the_decompressed_ones_and_refusals_are_not_remembered() {
        let signer = crate::keys::SigningKey::generate(Algorithm::EdDsa).unwrap();
        let bytes = signer.public_key().to_bytes();
        let first = PublicKey::from_bytes(Algorithm::EdDsa, &bytes).unwrap();
        let again = PublicKey::from_bytes(Algorithm::EdDsa, &bytes).unwrap();
        assert_eq!(first, again);
        assert_eq!(again.to_bytes(), bytes);
        let message = b"remembered";
        let signature = signer.sign(message).unwrap();
        again.verify(message, &signature).unwrap();

        // The identity point is a valid encoding of a small-order point: refused, every time.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        for _ in 0..2 {
            assert!(matches!(
                PublicKey::from_bytes(Algorithm::EdDsa, &identity),
                Err(KeyError::InvalidPublicKey { reason, .. }) if reason.contains("weak")
            ));
        }
    }
}
