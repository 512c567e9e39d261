//! The W3C Bitstring Status List v1.0: [`BitstringStatusList`] and [`StatusSize`].
//!
//! # Format
//!
//! A bitstring of at least [`MIN_BITSTRING_BITS`] (131,072 bits, 16 KiB) — the minimum
//! the spec sets so that one list hides each holder among many — in which credential
//! `i` owns the `statusSize` bits starting at bit `i * statusSize`.
//!
//! Bits are numbered **most significant first**: bit 0 is the highest bit of byte 0
//! (`0x80`), bit 7 its lowest, bit 8 the highest of byte 1. A status of several bits is
//! read in the same order, first bit most significant. This is the opposite of the IETF
//! list ([`super::token`]); it is what the spec's algorithms and the deployed
//! implementations do.
//!
//! The list travels as `encodedList`: the multibase prefix `u` followed by unpadded
//! base64url of the GZIP-compressed bytes. The spec example
//! `uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA` is 131,072
//! zero bits.
//!
//! # Invariants
//!
//! The length is a whole number of bytes and at least [`MIN_BITSTRING_BITS`] bits, both
//! when built ([`BitstringStatusList::new`] rounds up) and when decoded (shorter lists are
//! refused, as the spec requires). `statusSize` is not in the encoded list (it is in each
//! credential's status entry), so decoding takes it as an argument. Sizes above 8 bits
//! are refused: a status is one `u8`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::compression::{self, CompressionFormat, MAX_DECOMPRESSED_BYTES};
use super::error::StatusListError;

/// The minimum length of a bitstring in bits: 16 KiB.
pub const MIN_BITSTRING_BITS: usize = 131_072;

/// The multibase prefix of base64url without padding.
const MULTIBASE_BASE64URL: char = 'u';

/// Bits per status entry (`statusSize`): 1 to 8, default 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u8")]
pub struct StatusSize(u8);

impl StatusSize {
    /// One bit per entry, the default.
    pub const ONE: Self = Self(1);

    /// The size `bits` if it is 1 to 8.
    pub fn new(bits: u8) -> Result<Self, StatusListError> {
        Self::try_from(u64::from(bits))
    }

    /// The number of bits, 1 to 8.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The largest status value that fits: `2^size - 1`.
    pub const fn max_value(self) -> u8 {
        u8::MAX >> (8 - self.0)
    }
}

impl Default for StatusSize {
    fn default() -> Self {
        Self::ONE
    }
}

impl TryFrom<u64> for StatusSize {
    type Error = StatusListError;

    fn try_from(found: u64) -> Result<Self, Self::Error> {
        match u8::try_from(found) {
            Ok(bits @ 1..=8) => Ok(Self(bits)),
            _ => Err(StatusListError::UnsupportedStatusSize { found }),
        }
    }
}

impl From<StatusSize> for u8 {
    fn from(size: StatusSize) -> Self {
        size.0
    }
}

/// A W3C Bitstring Status List: `len()` entries of `status_size()` bits each.
///
/// Built with [`BitstringStatusList::new`] (all zero) or from `encodedList` with
/// [`BitstringStatusList::decode`]. `Debug` prints the shape, not the content.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BitstringStatusList {
    status_size: StatusSize,
    bytes: Vec<u8>,
}

impl BitstringStatusList {
    /// An all-zero list with room for at least `entries` entries, and at least
    /// [`MIN_BITSTRING_BITS`] entries whatever `entries` is (so the list meets the
    /// minimum under either reading of the spec: 131,072 bits or 131,072 entries).
    ///
    /// Fails with [`StatusListError::TooLarge`] past [`MAX_DECOMPRESSED_BYTES`].
    pub fn new(status_size: StatusSize, entries: usize) -> Result<Self, StatusListError> {
        let byte_len = entries
            .max(MIN_BITSTRING_BITS)
            .checked_mul(usize::from(status_size.get()))
            .map(|bits| bits.div_ceil(8))
            .filter(|&byte_len| byte_len <= MAX_DECOMPRESSED_BYTES)
            .ok_or(StatusListError::TooLarge {
                limit: MAX_DECOMPRESSED_BYTES,
            })?;
        Ok(Self {
            status_size,
            bytes: vec![0; byte_len],
        })
    }

    /// Bits per entry.
    pub fn status_size(&self) -> StatusSize {
        self.status_size
    }

    /// How many entries the list holds (whole entries; trailing bits that cannot hold a
    /// whole entry are not counted).
    pub fn len(&self) -> usize {
        self.bit_len() / usize::from(self.status_size.get())
    }

    /// Whether the list holds no entry. Never true for a list built or decoded here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length of the bitstring in bits.
    pub fn bit_len(&self) -> usize {
        self.bytes.len().saturating_mul(8)
    }

    /// The uncompressed bitstring, most significant bit first.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bit positions of entry `index`: `start..start + status_size`.
    fn bit_range(&self, index: usize) -> Result<std::ops::Range<usize>, StatusListError> {
        let size = usize::from(self.status_size.get());
        index
            .checked_mul(size)
            .and_then(|start| Some(start..start.checked_add(size)?))
            .filter(|range| range.end <= self.bit_len())
            .ok_or(StatusListError::IndexOutOfRange {
                index,
                len: self.len(),
            })
    }

    /// The status value at `index` (0 or 1 for a one-bit list).
    pub fn get(&self, index: usize) -> Result<u8, StatusListError> {
        let mut value = 0u8;
        for bit in self.bit_range(index)? {
            let byte = self.bytes.get(bit / 8).copied().unwrap_or(0);
            let set = byte & (0x80 >> (bit % 8)) != 0;
            value = (value << 1) | u8::from(set);
        }
        Ok(value)
    }

    /// Sets the status value at `index`, leaving every other entry as it was.
    ///
    /// Fails if `index` is out of range or `value` does not fit in `status_size()` bits.
    pub fn set(&mut self, index: usize, value: u8) -> Result<(), StatusListError> {
        if value > self.status_size.max_value() {
            return Err(StatusListError::ValueTooWide {
                value,
                bits: self.status_size.get(),
            });
        }
        let range = self.bit_range(index)?;
        let size = range.len();
        for (offset, bit) in range.enumerate() {
            // The first bit of the entry is the most significant bit of the value.
            let set = (value >> (size - 1 - offset)) & 1 == 1;
            let mask = 0x80u8 >> (bit % 8);
            if let Some(byte) = self.bytes.get_mut(bit / 8) {
                if set {
                    *byte |= mask;
                } else {
                    *byte &= !mask;
                }
            }
        }
        Ok(())
    }

    /// The `encodedList`: `u` + unpadded base64url of the GZIP-compressed bitstring.
    pub fn encode(&self) -> Result<String, StatusListError> {
        let packed = compression::pack(CompressionFormat::Gzip, &self.bytes)?;
        let mut encoded = String::with_capacity(packed.len() + 1);
        encoded.push(MULTIBASE_BASE64URL);
        encoded.push_str(&packed);
        Ok(encoded)
    }

    /// Decodes an `encodedList` whose entries are `status_size` bits, refusing lists over
    /// [`MAX_DECOMPRESSED_BYTES`].
    pub fn decode(encoded: &str, status_size: StatusSize) -> Result<Self, StatusListError> {
        Self::decode_with_limit(encoded, status_size, MAX_DECOMPRESSED_BYTES)
    }

    /// Decodes an `encodedList`, refusing lists that decompress to more than `limit` bytes.
    pub fn decode_with_limit(
        encoded: &str,
        status_size: StatusSize,
        limit: usize,
    ) -> Result<Self, StatusListError> {
        let Some(base64url) = encoded.strip_prefix(MULTIBASE_BASE64URL) else {
            return Err(StatusListError::MultibasePrefix {
                found: encoded.chars().next(),
            });
        };
        let bytes = compression::unpack(CompressionFormat::Gzip, base64url, limit)?;
        let list = Self { status_size, bytes };
        if list.bit_len() < MIN_BITSTRING_BITS {
            return Err(StatusListError::BitstringTooShort {
                bits: list.bit_len(),
                minimum: MIN_BITSTRING_BITS,
            });
        }
        Ok(list)
    }
}

impl fmt::Debug for BitstringStatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitstringStatusList")
            .field("status_size", &self.status_size.get())
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
