//! The JSON of a secret key file, written and read the same way for approvers and officers:
//! bounded before it is parsed, and wiped from memory when dropped.

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{EscrowError, MAX_KEY_FILE_LEN};

/// `file` as pretty JSON, in a string wiped when dropped.
pub(super) fn write<T: Serialize>(
    file: &T,
    what: &'static str,
) -> Result<Zeroizing<String>, EscrowError> {
    serde_json::to_string_pretty(file)
        .map(Zeroizing::new)
        .map_err(|e| EscrowError::Malformed {
            what,
            reason: e.to_string(),
        })
}

/// The key file in `text`, refused above [`MAX_KEY_FILE_LEN`] before it is parsed.
pub(super) fn read<T: DeserializeOwned>(text: &str, what: &'static str) -> Result<T, EscrowError> {
    if text.len() > MAX_KEY_FILE_LEN {
        return Err(EscrowError::TooLarge {
            what,
            len: text.len(),
            max: MAX_KEY_FILE_LEN,
        });
    }
    serde_json::from_str(text).map_err(|e| EscrowError::Malformed {
        what,
        reason: e.to_string(),
    })
}
