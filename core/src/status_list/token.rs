//! The IETF Token Status List (draft-ietf-oauth-status-list): [`StatusList`], its statuses
//! and its JSON form [`StatusListObject`].
//!
//! # Format
//!
//! A Status List is a byte array holding one status of `bits` ∈ {1, 2, 4, 8} bits per
//! Referenced Token. Statuses are packed **least significant bits first**: status `i`
//! lives in byte `i / (8 / bits)` at bit offset `(i % (8 / bits)) * bits`. So with
//! `bits = 1`, index 0 is the lowest bit of byte 0 and index 7 its highest; with
//! `bits = 2`, byte `0b11_00_10_01` holds statuses 1, 2, 0, 3 at indices 0..4.
//!
//! In a JWT it travels as the `status_list` claim
//! `{"bits": 1, "lst": "eNrbuRgAAhcBXQ"}`, where `lst` is the ZLIB-compressed byte array
//! as unpadded base64url (see [`super::compression`] for the decoding limits).
//!
//! # Invariants
//!
//! The list has no length field: it holds exactly as many statuses as its bytes do, so a
//! list built for `n` statuses is rounded up to a whole byte and [`StatusList::len`]
//! counts the padding too. That keeps `decode(encode(list)) == list` exact. A list is
//! never larger than [`MAX_DECOMPRESSED_BYTES`] when built here, so whatever this crate
//! encodes, it can decode with the default limit.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::compression::{self, CompressionFormat, MAX_DECOMPRESSED_BYTES};
use super::error::StatusListError;
use super::uri::StatusUri;

/// Bits per status in a Token Status List: 1, 2, 4 or 8.
///
/// Serialised as the JSON number; any other number is refused when deserialising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u8")]
pub enum StatusBits {
    /// One bit per status: VALID or INVALID.
    One = 1,
    /// Two bits per status: room for VALID, INVALID, SUSPENDED and one more.
    Two = 2,
    /// Four bits per status.
    Four = 4,
    /// Eight bits per status: every raw value 0..=255.
    Eight = 8,
}

impl StatusBits {
    /// The number of bits, 1, 2, 4 or 8.
    pub const fn get(self) -> u8 {
        self as u8
    }

    /// The largest status value that fits: `2^bits - 1`.
    pub const fn max_value(self) -> u8 {
        match self {
            Self::One => 0x01,
            Self::Two => 0x03,
            Self::Four => 0x0f,
            Self::Eight => 0xff,
        }
    }

    /// How many statuses one byte holds.
    const fn per_byte(self) -> usize {
        8 / self.get() as usize
    }
}

impl TryFrom<u64> for StatusBits {
    type Error = StatusListError;

    fn try_from(found: u64) -> Result<Self, Self::Error> {
        match found {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            4 => Ok(Self::Four),
            8 => Ok(Self::Eight),
            _ => Err(StatusListError::UnsupportedBits { found }),
        }
    }
}

impl TryFrom<u8> for StatusBits {
    type Error = StatusListError;

    fn try_from(found: u8) -> Result<Self, Self::Error> {
        Self::try_from(u64::from(found))
    }
}

impl From<StatusBits> for u8 {
    fn from(bits: StatusBits) -> Self {
        bits.get()
    }
}

/// The status of one Referenced Token: a raw value 0..=255.
///
/// The draft registers 0 (VALID), 1 (INVALID) and 2 (SUSPENDED), reserves 3 and 0x0B to
/// 0x0F for application-specific use and leaves the rest to its registry, so any raw
/// value is representable; whether it fits a given list depends on the list's
/// [`StatusBits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Status(u8);

impl Status {
    /// 0x00: the token is valid, correct or legal.
    pub const VALID: Self = Self(0x00);
    /// 0x01: the token is revoked, annulled, taken back or otherwise invalid.
    pub const INVALID: Self = Self(0x01);
    /// 0x02: the token is temporarily invalid, hanging or on hold.
    pub const SUSPENDED: Self = Self(0x02);
    /// 0x03: application-specific.
    pub const APPLICATION_SPECIFIC: Self = Self(0x03);

    /// The status with this raw value.
    pub const fn from_raw(value: u8) -> Self {
        Self(value)
    }

    /// The raw value.
    pub const fn raw(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::VALID => f.write_str("VALID"),
            Self::INVALID => f.write_str("INVALID"),
            Self::SUSPENDED => f.write_str("SUSPENDED"),
            Self(raw) => write!(f, "0x{raw:02X}"),
        }
    }
}

/// How many entries of a status list are revoked and how many suspended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StatusTally {
    /// Entries with status INVALID.
    pub revoked: u64,
    /// Entries with status SUSPENDED.
    pub suspended: u64,
}

/// The `status_list` JSON object of a Status List Token, as it goes over the wire.
///
/// This is the unparsed form: `lst` is whatever text arrived. [`StatusList::decode`]
/// turns it into a list, checking everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListObject {
    /// Bits per status.
    pub bits: StatusBits,
    /// The ZLIB-compressed list as unpadded base64url.
    pub lst: String,
    /// Where all the Status List Tokens of the issuer can be listed (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_uri: Option<StatusUri>,
}

/// A Token Status List: `len()` statuses of `bits()` bits each.
///
/// Built with [`StatusList::new`] (all VALID) or from the wire with
/// [`StatusList::decode`]. `Debug` prints the shape, not the (possibly megabytes of)
/// content.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StatusList {
    bits: StatusBits,
    bytes: Vec<u8>,
}

impl StatusList {
    /// A list of at least `len` statuses, all [`Status::VALID`], rounded up to whole bytes.
    ///
    /// Fails with [`StatusListError::TooLarge`] past [`MAX_DECOMPRESSED_BYTES`].
    pub fn new(bits: StatusBits, len: usize) -> Result<Self, StatusListError> {
        let byte_len = len.div_ceil(bits.per_byte());
        if byte_len > MAX_DECOMPRESSED_BYTES {
            return Err(StatusListError::TooLarge {
                limit: MAX_DECOMPRESSED_BYTES,
            });
        }
        Ok(Self {
            bits,
            bytes: vec![0; byte_len],
        })
    }

    /// A list over an existing byte array in the draft's layout (bounded like [`Self::new`]).
    pub fn from_bytes(bits: StatusBits, bytes: Vec<u8>) -> Result<Self, StatusListError> {
        if bytes.len() > MAX_DECOMPRESSED_BYTES {
            return Err(StatusListError::TooLarge {
                limit: MAX_DECOMPRESSED_BYTES,
            });
        }
        Ok(Self { bits, bytes })
    }

    /// Bits per status.
    pub fn bits(&self) -> StatusBits {
        self.bits
    }

    /// How many statuses the list holds (a whole number of bytes' worth).
    pub fn len(&self) -> usize {
        self.bytes.len().saturating_mul(self.bits.per_byte())
    }

    /// Whether the list holds no status at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The uncompressed byte array, in the draft's layout.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Byte index and bit shift of status `index`.
    fn position(&self, index: usize) -> (usize, u32) {
        let per_byte = self.bits.per_byte();
        let shift = (index % per_byte) * usize::from(self.bits.get());
        // shift < 8: the cast is lossless.
        (index / per_byte, shift as u32)
    }

    fn out_of_range(&self, index: usize) -> StatusListError {
        StatusListError::IndexOutOfRange {
            index,
            len: self.len(),
        }
    }

    /// The status at `index`.
    pub fn get(&self, index: usize) -> Result<Status, StatusListError> {
        let (byte_index, shift) = self.position(index);
        let byte = self
            .bytes
            .get(byte_index)
            .ok_or_else(|| self.out_of_range(index))?;
        Ok(Status((byte >> shift) & self.bits.max_value()))
    }

    /// Sets the status at `index`, leaving every other status as it was.
    ///
    /// Fails if `index` is out of range or `status` does not fit in `bits()`.
    pub fn set(&mut self, index: usize, status: Status) -> Result<(), StatusListError> {
        let mask = self.bits.max_value();
        if status.0 > mask {
            return Err(StatusListError::ValueTooWide {
                value: status.0,
                bits: self.bits.get(),
            });
        }
        let (byte_index, shift) = self.position(index);
        let len = self.len();
        let byte = self
            .bytes
            .get_mut(byte_index)
            .ok_or(StatusListError::IndexOutOfRange { index, len })?;
        *byte = (*byte & !(mask << shift)) | (status.0 << shift);
        Ok(())
    }

    /// How many entries are revoked (INVALID) and how many suspended: the counts an issuer
    /// declares on chain with each anchor of the list, and a verifier checks against the
    /// list it fetched, so the public count cannot drift from the lists themselves.
    pub fn tally(&self) -> StatusTally {
        let mut tally = StatusTally::default();
        let (bits, mask) = (usize::from(self.bits.get()), self.bits.max_value());
        for &byte in self.bytes.iter().filter(|&&byte| byte != 0) {
            for slot in 0..self.bits.per_byte() {
                // slot * bits < 8: the cast is lossless.
                match Status((byte >> (slot * bits) as u32) & mask) {
                    Status::INVALID => tally.revoked += 1,
                    Status::SUSPENDED => tally.suspended += 1,
                    _ => {}
                }
            }
        }
        tally
    }

    /// The `status_list` JSON object: `bits` and the ZLIB-compressed, base64url `lst`.
    pub fn encode(&self) -> Result<StatusListObject, StatusListError> {
        Ok(StatusListObject {
            bits: self.bits,
            lst: compression::pack(CompressionFormat::Zlib, &self.bytes)?,
            aggregation_uri: None,
        })
    }

    /// Decodes a `status_list` object, refusing lists over [`MAX_DECOMPRESSED_BYTES`].
    pub fn decode(object: &StatusListObject) -> Result<Self, StatusListError> {
        Self::decode_with_limit(object, MAX_DECOMPRESSED_BYTES)
    }

    /// Decodes a `status_list` object, refusing lists that decompress to more than
    /// `limit` bytes.
    pub fn decode_with_limit(
        object: &StatusListObject,
        limit: usize,
    ) -> Result<Self, StatusListError> {
        let bytes = compression::unpack(CompressionFormat::Zlib, &object.lst, limit)?;
        Ok(Self {
            bits: object.bits,
            bytes,
        })
    }
}

impl fmt::Debug for StatusList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusList")
            .field("bits", &self.bits.get())
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
