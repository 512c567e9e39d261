//! Claim paths: which claim an issuer makes selectively disclosable, which claims a holder
//! reveals, and which claims a verifier received in disclosures.
//!
//! A path is a JSON Pointer (RFC 6901): `/address/street_address`, `/nationalities/1`;
//! `~1` stands for `/` and `~0` for `~` inside a name, and the empty pointer is the whole
//! claim set. As in JSON Pointer, a segment is a property name when the value it applies to is
//! an object and an array index when it is an array, so paths are kept as text segments and
//! interpreted against the claims.
//!
//! Array indices always count positions in the fully disclosed claims (the issuer's input,
//! or the holder's view with every disclosure applied); in a verifier's result they count
//! positions in the verified claims, where undisclosed elements are absent.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use super::SdJwtError;

/// A JSON Pointer to a claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ClaimPath {
    segments: Vec<String>,
}

impl ClaimPath {
    /// The empty path: the whole claim set.
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses a JSON Pointer.
    pub fn parse(pointer: &str) -> Result<Self, SdJwtError> {
        if pointer.is_empty() {
            return Ok(Self::root());
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            return Err(SdJwtError::InvalidPath {
                path: pointer.into(),
                reason: "a JSON Pointer starts with '/'".into(),
            });
        };
        let mut segments = Vec::new();
        for raw in rest.split('/') {
            segments.push(unescape(raw).ok_or_else(|| SdJwtError::InvalidPath {
                path: pointer.into(),
                reason: "'~' must be followed by '0' or '1'".into(),
            })?);
        }
        Ok(Self { segments })
    }

    /// This path extended by a property name.
    pub fn key(mut self, name: impl Into<String>) -> Self {
        self.segments.push(name.into());
        self
    }

    /// This path extended by an array index.
    pub fn index(mut self, index: usize) -> Self {
        self.segments.push(index.to_string());
        self
    }

    /// The segments, unescaped.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether this is the empty path.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Whether `self` is `other` or one of its ancestors.
    pub fn is_prefix_of(&self, other: &ClaimPath) -> bool {
        other.segments.starts_with(&self.segments)
    }

    /// The value this path leads to in `claims`, if any.
    pub fn resolve<'v>(&self, claims: &'v Value) -> Option<&'v Value> {
        let mut current = claims;
        for segment in &self.segments {
            current = match current {
                Value::Object(map) => map.get(segment)?,
                Value::Array(items) => items.get(parse_index(segment)?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    pub(crate) fn from_segments(segments: Vec<String>) -> Self {
        Self { segments }
    }
}

/// The array index a segment names: decimal digits without leading zeros (RFC 6901 §4).
pub(crate) fn parse_index(segment: &str) -> Option<usize> {
    if segment.is_empty()
        || (segment.len() > 1 && segment.starts_with('0'))
        || !segment.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    segment.parse().ok()
}

fn unescape(raw: &str) -> Option<String> {
    if !raw.contains('~') {
        return Some(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

impl fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            f.write_str("/")?;
            for c in segment.chars() {
                match c {
                    '~' => f.write_str("~0")?,
                    '/' => f.write_str("~1")?,
                    c => write!(f, "{c}")?,
                }
            }
        }
        Ok(())
    }
}

impl FromStr for ClaimPath {
    type Err = SdJwtError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ClaimPath {
    type Error = SdJwtError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::json;

    use super::*;

    #[test]
    fn pointer_round_trip_with_escapes() {
        let p = ClaimPath::parse("/a~1b/c~0d/0").unwrap();
        assert_eq!(p.segments(), ["a/b", "c~d", "0"]);
        assert_eq!(p.to_string(), "/a~1b/c~0d/0");
        assert!(ClaimPath::parse("").unwrap().is_root());
        assert!(ClaimPath::parse("a").is_err());
        assert!(ClaimPath::parse("/a~2").is_err());
    }

    #[test]
    fn resolve_objects_and_arrays() {
        let claims = json!({"a": [{"b": 1}, 2], "01": 3});
        let p = ClaimPath::root().key("a").index(0).key("b");
        assert_eq!(p.resolve(&claims), Some(&json!(1)));
        assert_eq!(
            ClaimPath::parse("/01").unwrap().resolve(&claims),
            Some(&json!(3))
        );
        assert_eq!(ClaimPath::parse("/a/01").unwrap().resolve(&claims), None);
        assert_eq!(ClaimPath::parse("/a/2").unwrap().resolve(&claims), None);
    }

    #[test]
    fn prefixes() {
        let a = ClaimPath::parse("/a").unwrap();
        let ab = ClaimPath::parse("/a/b").unwrap();
        assert!(a.is_prefix_of(&ab));
        assert!(ab.is_prefix_of(&ab));
        assert!(!ab.is_prefix_of(&a));
        assert!(ClaimPath::root().is_prefix_of(&a));
    }
}
