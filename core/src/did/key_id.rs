//! Key and service ids: the fragment of a DID URL naming one entry of a DID document.

use std::fmt;
use std::str::FromStr;

use super::DidError;

/// Longest key or service id, in bytes.
pub const MAX_KEY_ID_LEN: usize = 32;

/// A key or service id: 1 to 32 characters of `A-Z a-z 0-9 - _`, so that it is safe in a
/// DID URL fragment, a JWS `kid` and a log line without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// `key-1`, the id of a DID's first key by convention.
    pub fn first() -> Self {
        Self("key-1".to_string())
    }

    /// The id as text, without the leading `#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyId {
    type Err = DidError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| DidError::InvalidKeyId {
            input: s.chars().take(40).collect(),
            reason: reason.to_owned(),
        };
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if s.len() > MAX_KEY_ID_LEN {
            return Err(bad("longer than 32 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad("only A-Z, a-z, 0-9, '-' and '_' are allowed"));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Serialised as its text, and parsed (so checked) when read back.
impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
