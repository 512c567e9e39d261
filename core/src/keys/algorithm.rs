//! The signature algorithms realdid signs and verifies with.

use std::fmt;
use std::str::FromStr;

use super::KeyError;

/// A JOSE signature algorithm supported by realdid.
///
/// Only two, on purpose: Ed25519 (fast, deterministic, the default for DIDs and holders) and
/// ES256 (P-256, for secure elements and HSMs that offer nothing else). Accepting fewer
/// algorithms leaves fewer downgrade paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// Ed25519 as JOSE `EdDSA` (RFC 8037).
    EdDsa,
    /// ECDSA over P-256 with SHA-256, JOSE `ES256` (RFC 7518).
    Es256,
}

impl Algorithm {
    /// The JOSE `alg` value.
    pub fn jose_name(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
        }
    }

    /// Length in bytes of a raw signature (Ed25519 R||S, or ECDSA r||s as in JWS).
    pub fn signature_len(self) -> usize {
        64
    }

    /// One-byte tag used by the canonical binary encodings.
    pub fn tag(self) -> u8 {
        match self {
            Self::EdDsa => 1,
            Self::Es256 => 2,
        }
    }

    /// Inverse of [`Algorithm::tag`].
    pub fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Self::EdDsa),
            2 => Some(Self::Es256),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jose_name())
    }
}

impl FromStr for Algorithm {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "EdDSA" | "Ed25519" => Ok(Self::EdDsa),
            "ES256" => Ok(Self::Es256),
            other => Err(KeyError::UnsupportedAlgorithm {
                name: other.chars().take(32).collect(),
            }),
        }
    }
}
