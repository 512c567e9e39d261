//! A memory of the signatures found good, for checkers that see the same signature often.
//!
//! A validator checks each transaction's signature when the transaction is submitted (or
//! gossiped) to it, again when it builds or verifies the block that holds it, and once more
//! if the block must be executed again after a restart. A verifier sees one credential
//! presented again and again, each time with the same issuer signature. Each check is an
//! Ed25519 or P-256 verification, the largest single cost of a DID operation or of a
//! presentation. Whether a signature is good is
//! a fact about (key, message, signature) alone, so remembering it changes no answer: the
//! rules stay pure, and a node that forgets everything (restart, eviction) only pays again.
//! Failures are not remembered: a forged signature costs its sender a verification each time.

use sha2::{Digest as _, Sha256};

use super::{KeyError, PublicKey, SignatureCheck};
use crate::recent::Recent;

/// How many good signatures a memo remembers by default, at least (at most twice as many).
pub const REMEMBERED_SIGNATURES: usize = 1 << 18;

/// Checks signatures, remembering the good ones.
#[derive(Debug)]
pub struct SignatureMemo {
    good: Recent<[u8; 32], ()>,
}

impl Default for SignatureMemo {
    fn default() -> Self {
        Self::with_capacity(REMEMBERED_SIGNATURES)
    }
}

impl SignatureMemo {
    /// A memory of at least `capacity` (at most twice) good signatures.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            good: Recent::with_capacity(capacity),
        }
    }
}

/// SHA-256 over the key (algorithm and bytes), the signature and the message, each
/// length-prefixed so that no two inputs share a fingerprint.
fn fingerprint(key: &PublicKey, message: &[u8], signature: &[u8]) -> [u8; 32] {
    let key_bytes = key.to_bytes();
    let mut hash = Sha256::new();
    hash.update(b"realdid/signature-memo/v1");
    hash.update([u8::from(matches!(key, PublicKey::Ed25519(_)))]);
    for part in [key_bytes.as_slice(), signature, message] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

impl SignatureCheck for SignatureMemo {
    fn check(&self, key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let fingerprint = fingerprint(key, message, signature);
        if self.good.get(&fingerprint).is_some() {
            return Ok(());
        }
        key.verify(message, signature)?;
        self.good.insert(fingerprint, ());
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, SigningKey};

    #[test]
    fn answers_as_a_fresh_check_does() {
        let memo = SignatureMemo::with_capacity(4);
        for algorithm in [Algorithm::EdDsa, Algorithm::Es256] {
            let key = SigningKey::generate(algorithm).unwrap();
            let other = SigningKey::generate(algorithm).unwrap();
            let signature = key.sign(b"message").unwrap();
            let public = key.public_key();
            for _ in 0..2 {
                memo.check(&public, b"message", &signature).unwrap();
                // Remembering a good signature says nothing about any other input.
                assert!(memo.check(&public, b"massage", &signature).is_err());
                assert!(
                    memo.check(&other.public_key(), b"message", &signature)
                        .is_err()
                );
                let mut forged = signature.clone();
                forged[0] ^= 1;
                assert!(memo.check(&public, b"message", &forged).is_err());
            }
        }
    }

    #[test]
    fn stays_bounded() {
        let memo = SignatureMemo::with_capacity(2);
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let public = key.public_key();
        for i in 0u8..5 {
            let signature = key.sign(&[i]).unwrap();
            memo.check(&public, &[i], &signature).unwrap();
        }
        assert!(memo.good.len() <= 4);
        let newest = fingerprint(&public, &[4], &key.sign(&[4]).unwrap());
        assert!(memo.good.get(&newest).is_some());
    }
}
