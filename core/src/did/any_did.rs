//! A DID of any method realdid resolves.

use std::fmt;
use std::str::FromStr;

use super::{DidError, RealDid};
use crate::keys::{DidJwk, DidKey};

/// A parsed DID: did:realdid (on the registry), did:key or did:jwk (self-contained holder
/// keys). Nothing else is accepted past the boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Did {
    /// A registry DID.
    Realdid(RealDid),
    /// A did:key.
    Key(DidKey),
    /// A did:jwk.
    Jwk(DidJwk),
}

impl Did {
    /// The DID as text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Realdid(d) => d.as_str(),
            Self::Key(d) => d.did().as_str(),
            Self::Jwk(d) => d.did().as_str(),
        }
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Did {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("did:realdid:") {
            return s.parse().map(Self::Realdid);
        }
        let from_key = |e: crate::keys::KeyError| DidError::InvalidDid {
            input: s.chars().take(80).collect(),
            reason: e.to_string(),
        };
        if s.starts_with("did:key:") {
            return DidKey::parse(s).map(Self::Key).map_err(from_key);
        }
        if s.starts_with("did:jwk:") {
            return DidJwk::parse(s).map(Self::Jwk).map_err(from_key);
        }
        Err(DidError::InvalidDid {
            input: s.chars().take(80).collect(),
            reason: "method is not realdid, key or jwk".into(),
        })
    }
}
