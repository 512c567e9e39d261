//! The JSON objects of the W3C Bitstring Status List v1.0 that reference or carry a list:
//! [`BitstringStatusListEntry`] (a credential's `credentialStatus`) and
//! [`BitstringStatusListSubject`] (the `credentialSubject` of the status list credential).
//!
//! ```json
//! "credentialStatus": {
//!   "id": "https://example.com/credentials/status/3#94567",
//!   "type": "BitstringStatusListEntry",
//!   "statusPurpose": "revocation",
//!   "statusListIndex": "94567",
//!   "statusListCredential": "https://example.com/credentials/status/3"
//! }
//! ```
//!
//! `statusListIndex` is a decimal integer *as a string* ([`StatusListIndex`]); `type` must
//! be exactly `BitstringStatusListEntry` (and `BitstringStatusList` for the subject), which
//! deserialisation checks. For the `message` purpose an entry may carry `statusSize` (bits
//! per entry, default 1) and `statusMessage`, the meaning of each value, whose `status` is
//! a hexadecimal string such as `"0x2"`.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::bitstring::StatusSize;
use super::error::{StatusListError, excerpt};
use super::uri::StatusUri;

/// Defines a zero-sized type that (de)serialises as exactly one string.
macro_rules! type_marker {
    ($(#[$doc:meta])* $name:ident = $text:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name;

        impl $name {
            /// The only accepted value.
            pub const TEXT: &'static str = $text;
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(Self::TEXT)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let found = String::deserialize(deserializer)?;
                if found == Self::TEXT {
                    Ok(Self)
                } else {
                    Err(de::Error::custom(StatusListError::WrongType {
                        expected: Self::TEXT,
                        found: excerpt(&found),
                    }))
                }
            }
        }
    };
}

type_marker!(
    /// The `type` of a credential status entry: `"BitstringStatusListEntry"`.
    BitstringStatusListEntryType = "BitstringStatusListEntry"
);

type_marker!(
    /// The `type` of a status list credential's subject: `"BitstringStatusList"`.
    BitstringStatusListType = "BitstringStatusList"
);

/// What a status list (and an entry in it) says about a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusPurpose {
    /// A set bit means an update to the credential is available.
    Refresh,
    /// A set bit means the credential is revoked, for good.
    Revocation,
    /// A set bit means the credential is suspended, possibly temporarily.
    Suspension,
    /// The entry's value is a message code, explained by `statusMessage`.
    Message,
}

/// `statusListIndex`: a non-negative decimal integer carried as a JSON string.
///
/// Parsing accepts ASCII digits only (no sign, no spaces), at most 20 of them, whose value
/// fits a `usize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatusListIndex(usize);

impl StatusListIndex {
    /// The index as a number.
    pub const fn get(self) -> usize {
        self.0
    }
}

impl From<usize> for StatusListIndex {
    fn from(index: usize) -> Self {
        Self(index)
    }
}

impl FromStr for StatusListIndex {
    type Err = StatusListError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || StatusListError::InvalidIndex {
            found: excerpt(text),
        };
        if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        text.parse().map(Self).map_err(|_| invalid())
    }
}

impl TryFrom<String> for StatusListIndex {
    type Error = StatusListError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<StatusListIndex> for String {
    fn from(index: StatusListIndex) -> Self {
        index.0.to_string()
    }
}

impl fmt::Display for StatusListIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One element of `statusMessage`: what status value `status` means.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusMessage {
    /// The status value, serialised as lowercase hexadecimal with `0x` (`"0x2"`).
    #[serde(with = "hex_status")]
    pub status: u8,
    /// What the value means, for people or for the verifier's application.
    pub message: String,
}

/// (De)serialises a status value as `"0x"` and one to eight hexadecimal digits.
mod hex_status {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::status_list::error::{StatusListError, excerpt};

    pub(super) fn serialize<S: Serializer>(status: &u8, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{status:#x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).ok_or_else(|| {
            de::Error::custom(StatusListError::InvalidStatusCode {
                found: excerpt(&text),
            })
        })
    }

    fn parse(text: &str) -> Option<u8> {
        let digits = text.strip_prefix("0x")?;
        if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(|value| u8::try_from(value).ok())
    }
}

/// A credential's `credentialStatus` entry pointing into a Bitstring Status List.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BitstringStatusListEntry {
    /// The entry's own identifier (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<StatusUri>,
    /// Always `BitstringStatusListEntry`.
    #[serde(rename = "type")]
    pub entry_type: BitstringStatusListEntryType,
    /// What the list says about the credential.
    pub status_purpose: StatusPurpose,
    /// The credential's index in the list.
    pub status_list_index: StatusListIndex,
    /// Where the status list credential is.
    pub status_list_credential: StatusUri,
    /// Bits per entry, default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_size: Option<StatusSize>,
    /// What each value means (for `statusSize` above 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_message: Vec<StatusMessage>,
}

impl BitstringStatusListEntry {
    /// An entry of `purpose` at `index` of the list credential at `credential`, one bit
    /// wide, without an id.
    pub fn new(purpose: StatusPurpose, index: usize, credential: StatusUri) -> Self {
        Self {
            id: None,
            entry_type: BitstringStatusListEntryType,
            status_purpose: purpose,
            status_list_index: StatusListIndex(index),
            status_list_credential: credential,
            status_size: None,
            status_message: Vec::new(),
        }
    }

    /// Bits per entry, 1 when `statusSize` is absent.
    pub fn effective_status_size(&self) -> StatusSize {
        self.status_size.unwrap_or_default()
    }
}

/// The `credentialSubject` of a status list credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BitstringStatusListSubject {
    /// The subject's identifier (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<StatusUri>,
    /// Always `BitstringStatusList`.
    #[serde(rename = "type")]
    pub subject_type: BitstringStatusListType,
    /// What the list says about the credentials in it.
    pub status_purpose: StatusPurpose,
    /// The list: decode with [`super::BitstringStatusList::decode`].
    pub encoded_list: String,
    /// How long, in milliseconds, a copy may be cached (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
}
