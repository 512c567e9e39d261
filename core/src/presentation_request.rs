//! The presentation request object: what a verifier asks a wallet for, in the JSON both
//! sides read. One type and one set of limits, so that the verifier never issues a request
//! the wallet would refuse as malformed, and the wallet refuses what no honest verifier
//! sends (asking for the holder's DID, say).
//!
//! ```json
//! {"request_id": "…", "nonce": "…", "aud": "https://bank.example",
//!  "claims": ["province"], "predicates": ["age_over_18"], "credential_types": [],
//!  "purpose": "open an account", "exp": 1790000000}
//! ```
//! Unknown members are ignored, so that a later verifier may add some.

use serde::{Deserialize, Serialize};

use crate::ErrorKind;

/// Largest request object, in bytes.
pub const MAX_REQUEST_OBJECT_BYTES: usize = 16 * 1024;
/// The predicates a request may ask for: booleans the issuer signs.
pub const KNOWN_PREDICATES: [&str; 5] = [
    "real_name_verified",
    "age_over_14",
    "age_over_16",
    "age_over_18",
    "age_over_60",
];
/// Claims that describe the credential rather than the person (the SD-JWT VC profile's, and
/// `sub`, the holder's DID, which a provider gets only as its pseudonymous subject id): a
/// request may not ask for them.
pub const REGISTERED_CLAIMS: [&str; 10] = [
    "iss", "iat", "nbf", "exp", "cnf", "vct", "status", "sub", "_sd", "_sd_alg",
];

/// A field of a request that breaks its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RequestError {
    /// The field, as named in the JSON (with an index for list items).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl RequestError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Always [`ErrorKind::InvalidInput`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// A presentation request as a wallet reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestObject {
    /// The request's id at the verifier.
    pub request_id: String,
    /// The nonce the key-binding JWT must carry.
    pub nonce: String,
    /// The provider (the key-binding JWT's `aud`).
    pub aud: String,
    /// Claims wanted disclosed.
    pub claims: Vec<String>,
    /// Predicates wanted proven true.
    pub predicates: Vec<String>,
    /// Credential types accepted (empty: the verifier's defaults).
    pub credential_types: Vec<String>,
    /// Why the provider asks, shown to the holder.
    pub purpose: String,
    /// When the request closes, Unix seconds.
    pub exp: i64,
}

fn bounded(field: &str, value: &str, max: usize) -> Result<(), RequestError> {
    if value.is_empty() || value.len() > max {
        return Err(RequestError::new(field, format!("1 to {max} bytes")));
    }
    Ok(())
}

fn distinct(field: &str, items: &[String], max: usize, max_len: usize) -> Result<(), RequestError> {
    if items.len() > max {
        return Err(RequestError::new(field, format!("at most {max}")));
    }
    for (i, item) in items.iter().enumerate() {
        let name = format!("{field}[{i}]");
        bounded(&name, item, max_len)?;
        if items[..i].contains(item) {
            return Err(RequestError::new(name, format!("{item:?} appears twice")));
        }
    }
    Ok(())
}

impl RequestObject {
    /// Parses and checks a request object.
    pub fn parse(json: &str) -> Result<Self, RequestError> {
        if json.len() > MAX_REQUEST_OBJECT_BYTES {
            return Err(RequestError::new(
                "request object",
                format!("{} bytes, more than {MAX_REQUEST_OBJECT_BYTES}", json.len()),
            ));
        }
        let object: Self = serde_json::from_str(json)
            .map_err(|e| RequestError::new("request object", e.to_string()))?;
        object.check()?;
        Ok(object)
    }

    /// The limits every request keeps: what the verifier checks before issuing one and the
    /// wallet before answering one.
    pub fn check(&self) -> Result<(), RequestError> {
        bounded("request_id", &self.request_id, 128)?;
        bounded("nonce", &self.nonce, 128)?;
        bounded("aud", &self.aud, 256)?;
        distinct("claims", &self.claims, 32, 64)?;
        if let Some(name) = self
            .claims
            .iter()
            .find(|c| REGISTERED_CLAIMS.contains(&c.as_str()))
        {
            return Err(RequestError::new(
                "claims",
                format!(
                    "{name:?} describes the credential, not the person; it cannot be asked for"
                ),
            ));
        }
        distinct("predicates", &self.predicates, 16, 64)?;
        if let Some(unknown) = self
            .predicates
            .iter()
            .find(|p| !KNOWN_PREDICATES.contains(&p.as_str()))
        {
            return Err(RequestError::new(
                "predicates",
                format!("{unknown:?} is not one of {KNOWN_PREDICATES:?}"),
            ));
        }
        if self.claims.is_empty() && self.predicates.is_empty() {
            return Err(RequestError::new(
                "claims, predicates",
                "ask for at least one",
            ));
        }
        bounded("purpose", &self.purpose, 512)?;
        distinct("credential_types", &self.credential_types, 16, 256)?;
        Ok(())
    }

    /// Everything the request asks to see: the claims, then the predicates.
    pub fn wanted(&self) -> impl Iterator<Item = &str> {
        self.claims
            .iter()
            .chain(&self.predicates)
            .map(String::as_str)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        // A struct of strings, lists of strings and an integer always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn object() -> RequestObject {
        RequestObject {
            request_id: "r1".into(),
            nonce: "n".repeat(43),
            aud: "https://bank.example".into(),
            claims: vec!["province".into()],
            predicates: vec!["age_over_18".into()],
            credential_types: vec![],
            purpose: "open an account".into(),
            exp: 1_790_000_000,
        }
    }

    #[test]
    fn round_trips_and_ignores_unknown_members() {
        let o = object();
        assert_eq!(RequestObject::parse(&o.to_json()).unwrap(), o);
        let mut value: serde_json::Value = serde_json::from_str(&o.to_json()).unwrap();
        value["response_mode"] = "direct".into();
        assert_eq!(RequestObject::parse(&value.to_string()).unwrap(), o);
        assert_eq!(
            o.wanted().collect::<Vec<_>>(),
            vec!["province", "age_over_18"]
        );
    }

    #[test]
    fn every_limit_names_its_field() {
        type Edit = fn(&mut RequestObject);
        let cases: [(Edit, &str); 8] = [
            (|o| o.aud.clear(), "aud"),
            (|o| o.nonce.clear(), "nonce"),
            (|o| o.predicates = vec!["age_over_21".into()], "predicates"),
            (
                |o| o.claims = vec!["name".into(), "name".into()],
                "claims[1]",
            ),
            (|o| o.claims = vec!["sub".into()], "claims"),
            (|o| o.purpose.clear(), "purpose"),
            (
                |o| {
                    o.claims.clear();
                    o.predicates.clear();
                },
                "claims, predicates",
            ),
            (
                |o| o.credential_types = vec![String::new()],
                "credential_types[0]",
            ),
        ];
        for (edit, field) in cases {
            let mut o = object();
            edit(&mut o);
            let e = RequestObject::parse(&o.to_json()).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
        let e = RequestObject::parse("{").unwrap_err();
        assert_eq!(e.field, "request object");
        let e = RequestObject::parse(&" ".repeat(MAX_REQUEST_OBJECT_BYTES + 1)).unwrap_err();
        assert!(e.reason.contains("more than"), "{e}");
    }
}
