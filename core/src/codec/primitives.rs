//! Encodings of the small pieces every registry structure is built from.
//!
//! ```text
//! string      varint(len) || UTF-8 bytes              (len bounded by the caller)
//! bytes32     32 raw bytes
//! public key  u8 algorithm tag (1 Ed25519, 2 P-256) || 32-byte point | 33-byte compressed point
//! signature   64 raw bytes (Ed25519 R||S, ECDSA r||s)
//! u64         8 bytes big-endian;  u8/u16/u32 big-endian too; bool one byte 0|1
//! list        varint(count) || items                  (count bounded by the caller)
//! ```
//! Fixed-width big-endian integers keep keys and heights sortable as bytes.

use bytes::{Buf as _, BufMut};
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt as _, Write};

use crate::keys::{Algorithm, PublicKey};

/// Length of every raw signature realdid carries.
pub const SIGNATURE_LEN: usize = 64;

/// Writes a length-prefixed UTF-8 string.
pub fn write_str(s: &str, buf: &mut impl BufMut) {
    s.len().write(buf);
    buf.put_slice(s.as_bytes());
}

/// Size of [`write_str`]'s output.
pub fn str_size(s: &str) -> usize {
    s.len().encode_size() + s.len()
}

/// Reads a length-prefixed UTF-8 string of at most `max` bytes.
pub fn read_str(buf: &mut impl Buf, max: usize, what: &'static str) -> Result<String, Error> {
    let len = usize::read_cfg(buf, &RangeCfg::new(0..=max))?;
    if buf.remaining() < len {
        return Err(Error::EndOfBuffer);
    }
    let mut bytes = vec![0u8; len];
    buf.copy_to_slice(&mut bytes);
    String::from_utf8(bytes).map_err(|_| Error::Invalid(what, "not UTF-8"))
}

/// Reads a list count of at most `max`.
pub fn read_count(buf: &mut impl Buf, max: usize) -> Result<usize, Error> {
    usize::read_cfg(buf, &RangeCfg::new(0..=max))
}

/// Reads 32 raw bytes.
pub fn read_bytes32(buf: &mut impl Buf) -> Result<[u8; 32], Error> {
    <[u8; 32]>::read(buf)
}

/// Writes a public key: algorithm tag and canonical bytes.
pub fn write_public_key(key: &PublicKey, buf: &mut impl BufMut) {
    buf.put_u8(key.algorithm().tag());
    buf.put_slice(&key.to_bytes());
}

/// Size of [`write_public_key`]'s output.
pub fn public_key_size(key: &PublicKey) -> usize {
    1 + match key.algorithm() {
        Algorithm::EdDsa => 32,
        Algorithm::Es256 => 33,
    }
}

/// Reads a public key and checks that it is a valid point.
pub fn read_public_key(buf: &mut impl Buf) -> Result<PublicKey, Error> {
    let tag = u8::read(buf)?;
    let algorithm = Algorithm::from_tag(tag).ok_or(Error::InvalidEnum(tag))?;
    let len = match algorithm {
        Algorithm::EdDsa => 32,
        Algorithm::Es256 => 33,
    };
    if buf.remaining() < len {
        return Err(Error::EndOfBuffer);
    }
    let mut bytes = vec![0u8; len];
    buf.copy_to_slice(&mut bytes);
    PublicKey::from_bytes(algorithm, &bytes)
        .map_err(|_| Error::Invalid("public key", "not a valid key of its algorithm"))
}

/// A raw 64-byte signature.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; SIGNATURE_LEN]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}

impl Signature {
    /// Wraps a signature produced by [`crate::keys::SigningKey::sign`].
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl Write for Signature {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.0);
    }
}

impl EncodeSize for Signature {
    fn encode_size(&self) -> usize {
        SIGNATURE_LEN
    }
}

impl Read for Signature {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self(<[u8; SIGNATURE_LEN]>::read(buf)?))
    }
}
