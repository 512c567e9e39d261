//! Secret keys, held by wallets, issuers and validators' governance operators.
//!
//! Both kinds wipe their secret when dropped (ed25519-dalek's and p256's own zeroize), and
//! every copy of the secret bytes this module hands out or passes through is wiped too.

use zeroize::{Zeroize as _, Zeroizing};

use super::p256::P256SecretKey;
use super::{Algorithm, KeyError, PublicKey};

/// A secret signing key of one of the supported algorithms.
///
/// `Debug` prints only the public half.
#[derive(Clone)]
pub enum SigningKey {
    /// An Ed25519 key; signatures are deterministic.
    Ed25519(ed25519_dalek::SigningKey),
    /// A P-256 key; ECDSA signatures are randomised.
    P256(P256SecretKey),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?})", self.public_key())
    }
}

impl SigningKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(algorithm: Algorithm) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::EdDsa => {
                let mut seed = Zeroizing::new([0u8; 32]);
                getrandom::fill(seed.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
                Ok(Self::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            Algorithm::Es256 => Ok(Self::P256(P256SecretKey::generate()?)),
        }
    }

    /// Builds a key from its secret bytes: the Ed25519 seed or the P-256 scalar, 32 bytes.
    pub fn from_secret_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::EdDsa => {
                let mut seed: [u8; 32] =
                    bytes.try_into().map_err(|_| KeyError::InvalidSecretKey {
                        algorithm: "Ed25519",
                        reason: format!("seed must be 32 bytes, got {}", bytes.len()),
                    })?;
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                seed.zeroize();
                Ok(Self::Ed25519(key))
            }
            Algorithm::Es256 => Ok(Self::P256(P256SecretKey::from_scalar(bytes)?)),
        }
    }

    /// The secret bytes (Ed25519 seed or P-256 scalar), wiped when dropped. Handle with
    /// care.
    pub fn secret_bytes(&self) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        match self {
            Self::Ed25519(k) => Ok(Zeroizing::new(k.to_bytes())),
            Self::P256(k) => k.scalar().map(Zeroizing::new),
        }
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ed25519(_) => Algorithm::EdDsa,
            Self::P256(_) => Algorithm::Es256,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            Self::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            Self::P256(k) => PublicKey::P256(k.public().clone()),
        }
    }

    /// Signs `message`; the result is 64 bytes (Ed25519 R||S or ECDSA r||s).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Self::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                Ok(k.sign(message).to_bytes().to_vec())
            }
            Self::P256(k) => k.sign(message),
        }
    }
}
