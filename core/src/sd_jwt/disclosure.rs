//! Disclosures and the salts that make them unguessable.
//!
//! A disclosure is `base64url(JSON array)`: `[salt, name, value]` for an object property,
//! `[salt, value]` for an array element. The salt is 128 random bits, base64url, so that a
//! verifier cannot confirm a guessed value of an undisclosed claim by hashing candidates.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;

use super::digest::{self, DigestBytes};
use super::{ARRAY_ELEMENT_KEY, SD_KEY, SdJwtError};

/// Number of random bytes in a salt: 128 bits, as RFC 9901 §9.3 recommends.
pub const SALT_LEN: usize = 16;

/// Where salts (and the random input of decoy digests) come from.
///
/// Production uses [`OsRandom`]; tests pass a deterministic source (any
/// `FnMut(&mut [u8])` is one) to get reproducible issuance.
pub trait SaltSource {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), SdJwtError>;
}

/// The operating system's random source (getrandom).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl SaltSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), SdJwtError> {
        getrandom::fill(buf).map_err(|e| SdJwtError::Random {
            reason: e.to_string(),
        })
    }
}

impl<F: FnMut(&mut [u8])> SaltSource for F {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), SdJwtError> {
        self(buf);
        Ok(())
    }
}

/// A fresh base64url salt from `source`.
pub(crate) fn new_salt(source: &mut dyn SaltSource) -> Result<String, SdJwtError> {
    let mut bytes = [0u8; SALT_LEN];
    source.fill(&mut bytes)?;
    Ok(B64.encode(bytes))
}

/// One decoded disclosure.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    encoded: String,
    salt: String,
    name: Option<String>,
    value: Value,
}

impl Disclosure {
    /// A disclosure of the object property `name`.
    pub fn property(
        salt: impl Into<String>,
        name: impl Into<String>,
        value: Value,
    ) -> Result<Self, SdJwtError> {
        let name = name.into();
        check_name(&name)?;
        Self::encode(salt.into(), Some(name), value)
    }

    /// A disclosure of an array element.
    pub fn array_element(salt: impl Into<String>, value: Value) -> Result<Self, SdJwtError> {
        Self::encode(salt.into(), None, value)
    }

    fn encode(salt: String, name: Option<String>, value: Value) -> Result<Self, SdJwtError> {
        let array = match &name {
            Some(name) => serde_json::json!([salt, name, value]),
            None => serde_json::json!([salt, value]),
        };
        let json = serde_json::to_vec(&array).map_err(|e| SdJwtError::Internal {
            reason: format!("serialising a disclosure: {e}"),
        })?;
        Ok(Self {
            encoded: B64.encode(json),
            salt,
            name,
            value,
        })
    }

    /// Decodes an encoded disclosure; `index` is its position, for error messages.
    pub fn parse(encoded: &str, index: usize) -> Result<Self, SdJwtError> {
        let (salt, name, value) = decode(encoded, index)?;
        Ok(Self {
            encoded: encoded.to_owned(),
            salt,
            name,
            value,
        })
    }

    /// The encoded form, exactly as transmitted.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// The salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name, for an object-property disclosure; `None` for an array element.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The claim value, as disclosed (it may itself contain `_sd` and `...` digests).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The digest that refers to this disclosure.
    pub fn digest(&self) -> String {
        digest::disclosure_digest(&self.encoded)
    }

    pub(crate) fn digest_bytes(&self) -> DigestBytes {
        digest::digest_bytes(&self.encoded)
    }
}

/// Refuses the names RFC 9901 §4.2.1 reserves.
pub(crate) fn check_name(name: &str) -> Result<(), SdJwtError> {
    if name == SD_KEY || name == ARRAY_ELEMENT_KEY {
        return Err(SdJwtError::ReservedClaimName { name: name.into() });
    }
    Ok(())
}

/// Decodes `encoded` into salt, optional name and value.
///
/// The verifier's hot path: one base64 decode, one JSON parse, values moved out.
pub(crate) fn decode(
    encoded: &str,
    index: usize,
) -> Result<(String, Option<String>, Value), SdJwtError> {
    let fail = |reason: String| SdJwtError::Disclosure { index, reason };
    let bytes = B64
        .decode(encoded)
        .map_err(|e| fail(format!("not base64url: {e}")))?;
    let mut items: Vec<Value> =
        serde_json::from_slice(&bytes).map_err(|e| fail(format!("not a JSON array: {e}")))?;
    let (salt, name, value) = match items.len() {
        2 => {
            let value = items.pop();
            let salt = items.pop();
            (salt, None, value)
        }
        3 => {
            let value = items.pop();
            let name = items.pop();
            let salt = items.pop();
            (salt, name, value)
        }
        n => return Err(fail(format!("has {n} elements, expected 2 or 3"))),
    };
    let Some(Value::String(salt)) = salt else {
        return Err(fail("salt is not a string".into()));
    };
    let name = match name {
        None => None,
        Some(Value::String(name)) => {
            check_name(&name)?;
            Some(name)
        }
        Some(_) => return Err(fail("claim name is not a string".into())),
    };
    let value = value.ok_or_else(|| fail("no value".into()))?;
    Ok((salt, name, value))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::json;

    use super::*;

    #[test]
    fn rfc9901_example_disclosure_decodes() {
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
            0,
        )
        .unwrap();
        assert_eq!(d.salt(), "_26bc4LT-ac6q2KI6cBW5es");
        assert_eq!(d.name(), Some("family_name"));
        assert_eq!(d.value(), &json!("Möbius"));
        assert_eq!(d.digest(), "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
    }

    #[test]
    fn encode_then_parse() {
        let d = Disclosure::property("salt", "n", json!({"a": [1, null]})).unwrap();
        let back = Disclosure::parse(d.encoded(), 0).unwrap();
        assert_eq!(back, d);
        let e = Disclosure::array_element("salt", json!("x")).unwrap();
        let back = Disclosure::parse(e.encoded(), 0).unwrap();
        assert_eq!(back.name(), None);
        assert_eq!(back.value(), &json!("x"));
    }

    #[test]
    fn refuses_reserved_names_and_bad_shapes() {
        assert!(matches!(
            Disclosure::property("s", "_sd", json!(1)),
            Err(SdJwtError::ReservedClaimName { .. })
        ));
        let sd = B64.encode(br#"["s", "...", 1]"#);
        assert!(matches!(
            Disclosure::parse(&sd, 0),
            Err(SdJwtError::ReservedClaimName { .. })
        ));
        for bad in [
            r#"["s"]"#,
            r#"["s", "a", 1, 2]"#,
            r#"[1, "a", 1]"#,
            r#"["s", 1, 1]"#,
            r#"{"s": 1}"#,
        ] {
            let enc = B64.encode(bad);
            assert!(
                matches!(
                    Disclosure::parse(&enc, 3),
                    Err(SdJwtError::Disclosure { index: 3, .. })
                ),
                "{bad}"
            );
        }
        assert!(Disclosure::parse("!!", 0).is_err());
    }
}
