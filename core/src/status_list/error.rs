//! The one error type of [`crate::status_list`].

use crate::ErrorKind;

use super::compression::CompressionFormat;

/// Everything that can go wrong building, reading, encoding or decoding a status list.
///
/// Each variant carries the values that were wrong, so that a log line or an API response
/// says exactly what to fix. Strings taken from outside input are cut to a few dozen
/// characters before they are stored here, so an error never echoes a huge input back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// `bits` of a Token Status List is not one of 1, 2, 4 or 8.
    #[error("status list bits is {found}, expected 1, 2, 4 or 8")]
    UnsupportedBits {
        /// The value found.
        found: u64,
    },
    /// `statusSize` of a Bitstring Status List is not between 1 and 8.
    #[error("status size is {found}, expected 1 to 8")]
    UnsupportedStatusSize {
        /// The value found.
        found: u64,
    },
    /// An index beyond the end of the list.
    #[error("status index {index} is out of range: the list holds {len} statuses")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// How many statuses the list holds.
        len: usize,
    },
    /// A status value that does not fit in the list's bits per status.
    #[error("status value {value} does not fit in {bits} bit(s)")]
    ValueTooWide {
        /// The value that was to be stored.
        value: u8,
        /// Bits per status of the list.
        bits: u8,
    },
    /// The list would be (or decompresses to) more bytes than allowed.
    #[error("status list is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes of the uncompressed list.
        limit: usize,
    },
    /// The encoded (base64url) list is longer than any list within the limit can be.
    #[error("encoded status list has {len} characters, more than the limit of {limit}")]
    EncodedTooLong {
        /// Length of the encoded text in bytes.
        len: usize,
        /// The limit that applied.
        limit: usize,
    },
    /// A W3C `encodedList` that does not start with the multibase base64url prefix `u`.
    #[error("encoded list starts with {found:?}, expected the multibase prefix 'u' (base64url)")]
    MultibasePrefix {
        /// The first character, if there was one.
        found: Option<char>,
    },
    /// The encoded list is not valid unpadded base64url.
    #[error("encoded status list is not unpadded base64url: {reason}")]
    Base64 {
        /// What the base64 decoder reported.
        reason: String,
    },
    /// The compressed bytes do not decompress.
    #[error("status list does not decompress as {format}: {reason}")]
    Decompress {
        /// The compression format that was expected.
        format: CompressionFormat,
        /// What the decompressor reported.
        reason: String,
    },
    /// Compressing failed. Compressing into memory cannot fail, so this is a bug.
    #[error("compressing the status list as {format} failed: {reason}")]
    Compress {
        /// The compression format used.
        format: CompressionFormat,
        /// What the compressor reported.
        reason: String,
    },
    /// A decoded Bitstring Status List shorter than the 131,072 bits the spec requires.
    #[error("bitstring has {bits} bits, fewer than the minimum of {minimum}")]
    BitstringTooShort {
        /// Bits in the decoded bitstring.
        bits: usize,
        /// The minimum the spec requires.
        minimum: usize,
    },
    /// A `statusListIndex` that is not a string of decimal digits in range.
    #[error("status list index {found:?} is not a decimal integer in range")]
    InvalidIndex {
        /// The text found (cut to a few dozen characters).
        found: String,
    },
    /// A status message code (`statusMessage[].status`) that is not `0x` and hex digits.
    #[error("status message code {found:?} is not a hexadecimal value such as \"0x1\"")]
    InvalidStatusCode {
        /// The text found (cut to a few dozen characters).
        found: String,
    },
    /// A URI (status list location, subject or entry id) that is not an absolute URI.
    #[error("{found:?} is not an absolute URI: {reason}")]
    InvalidUri {
        /// The text found (cut to a few dozen characters).
        found: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A `type` member other than the one the structure requires.
    #[error("type is {found:?}, expected {expected:?}")]
    WrongType {
        /// The type required.
        expected: &'static str,
        /// The type found (cut to a few dozen characters).
        found: String,
    },
    /// A Status List Token whose `exp` has passed.
    #[error("status list token expired at {exp}, now is {now}")]
    Expired {
        /// The token's `exp` (seconds since the Unix epoch).
        exp: i64,
        /// The time it was checked against.
        now: i64,
    },
}

impl StatusListError {
    /// What kind of failure this is, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::IndexOutOfRange { .. } => ErrorKind::NotFound,
            Self::Expired { .. } => ErrorKind::Expired,
            Self::Compress { .. } => ErrorKind::Internal,
            Self::UnsupportedBits { .. }
            | Self::UnsupportedStatusSize { .. }
            | Self::ValueTooWide { .. }
            | Self::TooLarge { .. }
            | Self::EncodedTooLong { .. }
            | Self::MultibasePrefix { .. }
            | Self::Base64 { .. }
            | Self::Decompress { .. }
            | Self::BitstringTooShort { .. }
            | Self::InvalidIndex { .. }
            | Self::InvalidStatusCode { .. }
            | Self::InvalidUri { .. }
            | Self::WrongType { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// The first few dozen characters of outside text, for error context.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(MAX_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}
