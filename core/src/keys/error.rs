//! Errors of key parsing, conversion and signature checks.

use crate::ErrorKind;

/// Why a key, a JWK, a did:key/did:jwk or a signature was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The algorithm name is not one this library signs or verifies with.
    #[error("unsupported algorithm {name:?}: expected EdDSA or ES256")]
    UnsupportedAlgorithm { name: String },
    /// The key type or curve is not supported (for example a P-384 did:key).
    #[error("unsupported key type {what}")]
    UnsupportedKeyType { what: String },
    /// Key bytes have the wrong length or are not a point on the curve.
    #[error("invalid {algorithm} public key: {reason}")]
    InvalidPublicKey {
        algorithm: &'static str,
        reason: String,
    },
    /// Secret key bytes have the wrong length or are out of range.
    #[error("invalid {algorithm} secret key: {reason}")]
    InvalidSecretKey {
        algorithm: &'static str,
        reason: String,
    },
    /// A JWK member is missing, has the wrong type, or is not valid base64url.
    #[error("invalid JWK member {member:?}: {reason}")]
    InvalidJwk {
        member: &'static str,
        reason: String,
    },
    /// A did:key or did:jwk identifier does not follow its method's encoding.
    #[error("invalid {method} identifier: {reason}")]
    InvalidDidKey {
        method: &'static str,
        reason: String,
    },
    /// A signature has the wrong length for its algorithm.
    #[error("{algorithm} signature must be {expected} bytes, got {found}")]
    SignatureLength {
        algorithm: &'static str,
        expected: usize,
        found: usize,
    },
    /// The signature does not verify under the key.
    #[error("{algorithm} signature does not verify")]
    BadSignature { algorithm: &'static str },
    /// The operating system's random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// OpenSSL failed on input that had already been checked; not the caller's fault.
    #[error("openssl failed: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

impl KeyError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UnsupportedAlgorithm { .. } | Self::UnsupportedKeyType { .. } => {
                ErrorKind::Unsupported
            }
            Self::InvalidPublicKey { .. }
            | Self::InvalidSecretKey { .. }
            | Self::InvalidJwk { .. }
            | Self::InvalidDidKey { .. }
            | Self::SignatureLength { .. } => ErrorKind::InvalidInput,
            Self::BadSignature { .. } => ErrorKind::InvalidSignature,
            Self::Random(_) | Self::OpenSsl(_) => ErrorKind::Internal,
        }
    }
}
