//! Checks of the VC Data Model 2.0 shape shared by credentials and presentations.

use serde_json::{Map, Value};

use super::{CREDENTIALS_V2_CONTEXT, VcJwtError};

/// `@context` is an ordered set whose first item is the VC 2.0 context (a lone string equal
/// to it is read as a one-item set).
pub(crate) fn check_context(doc: &Map<String, Value>) -> Result<(), VcJwtError> {
    let first = match doc.get("@context") {
        None => return Err(VcJwtError::MissingClaim { name: "@context" }),
        Some(Value::Array(items)) => items.first(),
        Some(single) => Some(single),
    };
    match first {
        Some(Value::String(url)) if url == CREDENTIALS_V2_CONTEXT => Ok(()),
        _ => Err(VcJwtError::Context {
            reason: format!("the first item must be {CREDENTIALS_V2_CONTEXT:?}"),
        }),
    }
}

/// The `type` values (a string or an array of strings), which must include `required`.
pub(crate) fn types(
    doc: &Map<String, Value>,
    required: &'static str,
) -> Result<Vec<String>, VcJwtError> {
    let not_strings = || VcJwtError::Type {
        reason: "must be a string or an array of strings".into(),
    };
    let types = match doc.get("type") {
        None => return Err(VcJwtError::MissingClaim { name: "type" }),
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(Into::into).ok_or_else(not_strings))
            .collect::<Result<Vec<String>, _>>()?,
        Some(_) => return Err(not_strings()),
    };
    if !types.iter().any(|t| t == required) {
        return Err(VcJwtError::Type {
            reason: format!("must include {required:?}"),
        });
    }
    Ok(types)
}

/// The identifier of `issuer` or `holder`: a URL (DIDs are URLs) or an object with one as
/// `id`.
pub(crate) fn party_id(doc: &Map<String, Value>, name: &'static str) -> Result<String, VcJwtError> {
    let id = match doc.get(name) {
        None => return Err(VcJwtError::MissingClaim { name }),
        Some(Value::String(id)) => id,
        Some(Value::Object(party)) => match party.get("id") {
            Some(Value::String(id)) => id,
            _ => {
                return Err(VcJwtError::InvalidClaim {
                    name: name.into(),
                    reason: "an object without a string id".into(),
                });
            }
        },
        Some(_) => {
            return Err(VcJwtError::InvalidClaim {
                name: name.into(),
                reason: "neither a URL nor an object with an id".into(),
            });
        }
    };
    if !is_url_like(id) {
        return Err(VcJwtError::InvalidClaim {
            name: name.into(),
            reason: format!("{id:?} is not a URL"),
        });
    }
    Ok(id.clone())
}

/// A scheme (letter, then letters, digits, `+`, `-`, `.`) followed by `:` and more: enough
/// to tell a URL or DID from a bare name without a URL parser.
fn is_url_like(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
}

/// An optional string property.
pub(crate) fn optional_string(
    doc: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, VcJwtError> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(VcJwtError::InvalidClaim {
            name: name.into(),
            reason: "not a string".into(),
        }),
    }
}

/// An optional NumericDate JWT claim (integer seconds).
pub(crate) fn numeric_date(
    doc: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, VcJwtError> {
    match doc.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| VcJwtError::InvalidClaim {
                name: name.into(),
                reason: "not an integer NumericDate".into(),
            }),
    }
}

/// `now` is inside `[from - leeway, until + leeway]`.
pub(crate) fn check_window(
    from: Option<i64>,
    until: Option<i64>,
    leeway: i64,
    now: i64,
) -> Result<(), VcJwtError> {
    if let Some(valid_from) = from
        && now.saturating_add(leeway) < valid_from
    {
        return Err(VcJwtError::NotYetValid { valid_from, now });
    }
    if let Some(valid_until) = until
        && now.saturating_sub(leeway) > valid_until
    {
        return Err(VcJwtError::Expired { valid_until, now });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn party_ids() {
        let doc = obj(
            json!({"a": "did:example:1", "b": {"id": "https://x.example"}, "c": "bob", "d": 1, "e": ":x"}),
        );
        assert_eq!(party_id(&doc, "a").unwrap(), "did:example:1");
        assert_eq!(party_id(&doc, "b").unwrap(), "https://x.example");
        assert!(party_id(&doc, "c").is_err());
        assert!(party_id(&doc, "d").is_err());
        assert!(party_id(&doc, "e").is_err());
        assert!(matches!(
            party_id(&doc, "zz"),
            Err(VcJwtError::MissingClaim { name: "zz" })
        ));
    }

    #[test]
    fn contexts_and_types() {
        let ok = obj(
            json!({"@context": [CREDENTIALS_V2_CONTEXT, "https://x"], "type": ["VerifiableCredential", "X"]}),
        );
        check_context(&ok).unwrap();
        assert_eq!(types(&ok, "VerifiableCredential").unwrap().len(), 2);
        let v1 = obj(json!({"@context": ["https://www.w3.org/2018/credentials/v1"], "type": "X"}));
        assert!(matches!(
            check_context(&v1),
            Err(VcJwtError::Context { .. })
        ));
        assert!(matches!(
            types(&v1, "VerifiableCredential"),
            Err(VcJwtError::Type { .. })
        ));
    }
}
