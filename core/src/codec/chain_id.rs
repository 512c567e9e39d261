//! The name of a chain, from its genesis. It is part of every signature that a transaction
//! or a consensus message carries, so that nothing signed for one chain counts on another.

use std::fmt;

/// Longest chain id.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// The name of a chain: 1..=64 characters of `[a-z0-9-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChainId(String);

impl ChainId {
    /// Parses a chain id.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > MAX_CHAIN_ID_LEN {
            return Err(format!("must be 1 to {MAX_CHAIN_ID_LEN} characters"));
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(format!(
                "{c:?} is not allowed: use lowercase letters, digits and '-'"
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The chain id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl ChainId {
    /// `len(chain id) || chain id`: how the chain enters a signed message.
    pub(crate) fn write_into(&self, out: &mut Vec<u8>) {
        // At most 64 bytes: the length fits a byte.
        out.push(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.0.as_bytes());
    }
}
