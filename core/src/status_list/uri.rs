//! [`StatusUri`]: the absolute URIs that status lists and their references carry.
//!
//! A status list is found by its URI (`uri` in a referenced token, `sub` of the Status List
//! Token, `statusListCredential` of a W3C entry). This crate does no I/O, so it does not
//! resolve them; it only makes sure that what it passes on is an absolute URI of bounded
//! length, so that a fetcher is never handed a relative path, whitespace or a megabyte of
//! text. The check is deliberately the syntactic minimum of RFC 3986: a scheme
//! (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`), a colon, then printable ASCII without
//! spaces. Which schemes are allowed (only `https`, say) is policy for the fetcher.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{StatusListError, excerpt};

/// The longest URI accepted, in bytes.
pub const MAX_URI_LEN: usize = 2048;

/// An absolute URI of at most [`MAX_URI_LEN`] printable ASCII characters.
///
/// Only [`FromStr`] / [`TryFrom<String>`] construct it, and serde goes through them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatusUri(String);

impl StatusUri {
    /// The URI as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks `text` against the rules in the module documentation.
    fn check(text: &str) -> Result<(), &'static str> {
        if text.len() > MAX_URI_LEN {
            return Err("longer than 2048 bytes");
        }
        if let Some(bad) = text.bytes().find(|b| !b.is_ascii_graphic()) {
            return Err(if bad.is_ascii_whitespace() {
                "contains whitespace"
            } else {
                "contains a control or non-ASCII character"
            });
        }
        let Some((scheme, rest)) = text.split_once(':') else {
            return Err("has no scheme");
        };
        let mut scheme_chars = scheme.bytes();
        let starts_with_letter = scheme_chars.next().is_some_and(|b| b.is_ascii_alphabetic());
        let scheme_ok = scheme_chars.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !starts_with_letter || !scheme_ok {
            return Err("has no valid scheme");
        }
        if rest.is_empty() {
            return Err("has nothing after the scheme");
        }
        Ok(())
    }
}

impl FromStr for StatusUri {
    type Err = StatusListError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::check(text).map_err(|reason| StatusListError::InvalidUri {
            found: excerpt(text),
            reason,
        })?;
        Ok(Self(text.to_owned()))
    }
}

impl TryFrom<String> for StatusUri {
    type Error = StatusListError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::check(&text).map_err(|reason| StatusListError::InvalidUri {
            found: excerpt(&text),
            reason,
        })?;
        Ok(Self(text))
    }
}

impl From<StatusUri> for String {
    fn from(uri: StatusUri) -> Self {
        uri.0
    }
}

impl fmt::Display for StatusUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
