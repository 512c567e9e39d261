//! `credentialStatus` entries of type `BitstringStatusListEntry` (W3C Bitstring Status List
//! 1.0): parsed here, checked against the list elsewhere ([`crate::status_list`]).

use serde_json::{Map, Value};

use super::VcJwtError;

/// The `type` of a Bitstring Status List entry.
pub const BITSTRING_STATUS_LIST_ENTRY: &str = "BitstringStatusListEntry";

/// One `credentialStatus` entry pointing into a Bitstring Status List.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringStatusListEntry {
    /// `id`, if given.
    pub id: Option<String>,
    /// `statusPurpose`: `revocation`, `suspension`, `message`…
    pub status_purpose: String,
    /// `statusListIndex`: the entry's position (a decimal string on the wire).
    pub status_list_index: u64,
    /// `statusListCredential`: the URL of the status list credential.
    pub status_list_credential: String,
    /// `statusSize`: bits per entry, 1 when absent.
    pub status_size: Option<u32>,
}

impl BitstringStatusListEntry {
    /// Reads an entry; refuses other status types, since a status nobody checks would let a
    /// revoked credential through.
    pub fn from_value(value: &Value) -> Result<Self, VcJwtError> {
        let invalid = |reason: &str| VcJwtError::InvalidClaim {
            name: "credentialStatus".into(),
            reason: reason.into(),
        };
        let Value::Object(entry) = value else {
            return Err(invalid("entry is not an object"));
        };
        match entry.get("type") {
            Some(Value::String(t)) if t == BITSTRING_STATUS_LIST_ENTRY => {}
            Some(Value::String(t)) => {
                return Err(VcJwtError::UnsupportedStatus {
                    status_type: t.clone(),
                });
            }
            _ => return Err(invalid("type is missing or not a string")),
        }
        let string = |name: &str| match entry.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(VcJwtError::InvalidClaim {
                name: format!("credentialStatus.{name}"),
                reason: "missing or not a string".into(),
            }),
        };
        let id = match entry.get("id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(invalid("id is not a string")),
        };
        let index = string("statusListIndex")?;
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("statusListIndex is not a decimal integer string"));
        }
        let status_list_index = index
            .parse()
            .map_err(|_| invalid("statusListIndex is out of range"))?;
        let status_size = match entry.get("statusSize") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| invalid("statusSize is not a positive integer"))?,
            ),
        };
        Ok(Self {
            id,
            status_purpose: string("statusPurpose")?,
            status_list_index,
            status_list_credential: string("statusListCredential")?,
            status_size,
        })
    }

    /// The entry as JSON, for issuing.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        if let Some(id) = &self.id {
            m.insert("id".into(), Value::String(id.clone()));
        }
        m.insert("type".into(), BITSTRING_STATUS_LIST_ENTRY.into());
        m.insert("statusPurpose".into(), self.status_purpose.clone().into());
        m.insert(
            "statusListIndex".into(),
            self.status_list_index.to_string().into(),
        );
        m.insert(
            "statusListCredential".into(),
            self.status_list_credential.clone().into(),
        );
        if let Some(size) = self.status_size {
            m.insert("statusSize".into(), size.into());
        }
        Value::Object(m)
    }
}

/// All entries of a `credentialStatus` (one object or an array of them).
pub(crate) fn parse_status(
    value: Option<&Value>,
) -> Result<Vec<BitstringStatusListEntry>, VcJwtError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(entries)) => entries
            .iter()
            .map(BitstringStatusListEntry::from_value)
            .collect(),
        Some(entry) => Ok(vec![BitstringStatusListEntry::from_value(entry)?]),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::json;

    use super::*;

    #[test]
    fn spec_example_round_trips() {
        let v = json!({
            "id": "https://example.com/credentials/status/3#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://example.com/credentials/status/3"
        });
        let e = BitstringStatusListEntry::from_value(&v).unwrap();
        assert_eq!(e.status_list_index, 94567);
        assert_eq!(e.to_value(), v);
        assert!(matches!(
            BitstringStatusListEntry::from_value(&json!({"type": "StatusList2021Entry"})),
            Err(VcJwtError::UnsupportedStatus { .. })
        ));
        let mut bad = v.clone();
        bad["statusListIndex"] = json!(94567);
        assert!(BitstringStatusListEntry::from_value(&bad).is_err());
        bad["statusListIndex"] = json!("-1");
        assert!(BitstringStatusListEntry::from_value(&bad).is_err());
    }
}
