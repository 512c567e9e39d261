//! The `did:realdid` identifier.
//!
//! ```text
//! did:realdid:<base58btc(suffix)>     suffix = SHA-256("realdid/did/v1" || DocumentState || recovery commitment)
//! ```
//! The suffix commits to the initial document and to the recovery commitment, so the DID is
//! self-certifying: nobody can register a DID for keys they do not hold, and the registry
//! cannot substitute another initial document for it.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use ssi_dids_core::{DID, DIDBuf};

use super::DidError;

/// The method name.
pub const METHOD: &str = "realdid";
const PREFIX: &str = "did:realdid:";

/// A `did:realdid` identifier: 32 bytes, written in base58btc.
///
/// The text is rendered on first use: a validator derives the DID of every create operation
/// it checks, and mostly needs only the bytes. Equality, order and hashing are the suffix's.
#[derive(Clone)]
pub struct RealDid {
    suffix: [u8; 32],
    did: OnceLock<DIDBuf>,
}

impl PartialEq for RealDid {
    fn eq(&self, other: &Self) -> bool {
        self.suffix == other.suffix
    }
}

impl Eq for RealDid {}

impl std::hash::Hash for RealDid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.suffix.hash(state);
    }
}

impl PartialOrd for RealDid {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RealDid {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.suffix.cmp(&other.suffix)
    }
}

impl RealDid {
    /// The DID of a 32-byte suffix.
    pub fn from_suffix(suffix: [u8; 32]) -> Self {
        Self {
            suffix,
            did: OnceLock::new(),
        }
    }

    fn render(suffix: &[u8; 32]) -> DIDBuf {
        let text = format!("{PREFIX}{}", bs58::encode(suffix).into_string());
        // Invariant: the prefix followed by base58 characters is always a valid DID.
        #[allow(clippy::expect_used)]
        DIDBuf::from_string(text).expect("did:realdid text is a valid DID")
    }

    /// The 32-byte suffix, as stored on chain.
    pub fn suffix(&self) -> &[u8; 32] {
        &self.suffix
    }

    /// The DID as an ssi DID.
    pub fn as_did(&self) -> &DID {
        self.did.get_or_init(|| Self::render(&self.suffix))
    }

    /// The DID as text.
    pub fn as_str(&self) -> &str {
        self.as_did().as_str()
    }
}

impl fmt::Debug for RealDid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RealDid({})", self.as_str())
    }
}

impl fmt::Display for RealDid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialised as its text, and parsed (so checked) when read back.
impl serde::Serialize for RealDid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RealDid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for RealDid {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| DidError::InvalidDid {
            input: s.chars().take(80).collect(),
            reason: reason.to_owned(),
        };
        if s.len() > PREFIX.len() + 64 {
            return Err(bad("too long for a did:realdid"));
        }
        let encoded = s
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("does not start with did:realdid:"))?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|_| bad("method-specific id is not base58btc"))?;
        let suffix: [u8; 32] = bytes
            .try_into()
            .map_err(|_| bad("method-specific id must encode 32 bytes"))?;
        // base58btc decoding is one-to-one: each leading '1' is one leading zero byte, and the
        // rest is a number written without leading zeros. So the text given is the suffix's
        // own rendering (a leading '1' too many is a 33rd byte, refused above), and is kept
        // rather than rendered again.
        let did = OnceLock::new();
        if let Ok(text) = DIDBuf::from_string(s.to_owned()) {
            let _ = did.set(text);
        }
        Ok(Self { suffix, did })
    }
}
