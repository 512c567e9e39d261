//! Compression and text encoding shared by both status list formats, with bounded
//! decompression.
//!
//! Both formats carry the list as unpadded base64url of compressed bytes:
//!
//! | format | compression | text |
//! |---|---|---|
//! | IETF Token Status List (`lst`) | ZLIB (RFC 1950) | base64url, no padding |
//! | W3C Bitstring Status List (`encodedList`) | GZIP (RFC 1952) | `u` + base64url, no padding |
//!
//! A status list comes from outside (fetched from an issuer's URL), and a few kilobytes of
//! DEFLATE can expand to gigabytes. So decoding is bounded twice: the text is refused
//! before base64 decoding if it is longer than any list within the limit could need, and
//! decompression stops one byte after the limit and refuses the list, so no more than
//! `limit + 1` bytes are ever allocated. The default limit, [`MAX_DECOMPRESSED_BYTES`]
//! (16 MiB), holds 134 million one-bit statuses, far more than any realistic list.
//!
//! The compressed bytes depend on the compressor and its level; only the decompressed
//! bytes are defined. Compare lists by decoding, never by comparing encoded text.

use std::fmt;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::bufread::{GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};

use super::error::StatusListError;

/// The default maximum size in bytes of a decompressed status list: 16 MiB.
pub const MAX_DECOMPRESSED_BYTES: usize = 16 * 1024 * 1024;

/// The compression a status list format uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompressionFormat {
    /// ZLIB (RFC 1950), used by the IETF Token Status List.
    Zlib,
    /// GZIP (RFC 1952), used by the W3C Bitstring Status List.
    Gzip,
}

impl fmt::Display for CompressionFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Zlib => "zlib",
            Self::Gzip => "gzip",
        })
    }
}

/// The longest base64url text that can hold a list of at most `limit` decompressed bytes.
///
/// DEFLATE never expands data by more than a few bytes per 16 KiB block (stored blocks),
/// plus the zlib/gzip header and trailer; an eighth plus a kilobyte is a generous bound.
pub(crate) fn max_encoded_len(limit: usize) -> usize {
    let compressed = limit.saturating_add(limit / 8).saturating_add(1024);
    (compressed / 3).saturating_add(1).saturating_mul(4)
}

/// Compresses `bytes` in `format` and encodes the result as unpadded base64url.
pub(crate) fn pack(format: CompressionFormat, bytes: &[u8]) -> Result<String, StatusListError> {
    let compress_error = |e: std::io::Error| StatusListError::Compress {
        format,
        reason: e.to_string(),
    };
    let compressed = match format {
        CompressionFormat::Zlib => {
            let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(bytes).map_err(compress_error)?;
            encoder.finish().map_err(compress_error)?
        }
        CompressionFormat::Gzip => {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(bytes).map_err(compress_error)?;
            encoder.finish().map_err(compress_error)?
        }
    };
    Ok(URL_SAFE_NO_PAD.encode(compressed))
}

/// Decodes unpadded base64url `text` and decompresses it in `format`, refusing anything
/// that would exceed `limit` decompressed bytes.
pub(crate) fn unpack(
    format: CompressionFormat,
    text: &str,
    limit: usize,
) -> Result<Vec<u8>, StatusListError> {
    let max_len = max_encoded_len(limit);
    if text.len() > max_len {
        return Err(StatusListError::EncodedTooLong {
            len: text.len(),
            limit: max_len,
        });
    }
    let compressed = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| StatusListError::Base64 {
            reason: e.to_string(),
        })?;
    decompress(format, &compressed, limit)
}

/// Decompresses one complete `format` stream that fills `compressed` exactly.
fn decompress(
    format: CompressionFormat,
    compressed: &[u8],
    limit: usize,
) -> Result<Vec<u8>, StatusListError> {
    let error = |reason: String| StatusListError::Decompress { format, reason };
    // The decoders report an empty input as an empty output; no valid stream is empty.
    if compressed.is_empty() {
        return Err(error("no compressed data".to_owned()));
    }
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    let rest = match format {
        CompressionFormat::Zlib => {
            let mut decoder = ZlibDecoder::new(compressed);
            read_bounded(&mut decoder, cap, &mut out).map_err(error)?;
            decoder.into_inner()
        }
        CompressionFormat::Gzip => {
            let mut decoder = GzDecoder::new(compressed);
            read_bounded(&mut decoder, cap, &mut out).map_err(error)?;
            decoder.into_inner()
        }
    };
    if out.len() > limit {
        return Err(StatusListError::TooLarge { limit });
    }
    // Bytes after the end of the stream mean the input is not what its producer meant.
    if !rest.is_empty() {
        return Err(error(
            "data after the end of the compressed stream".to_owned(),
        ));
    }
    Ok(out)
}

/// Reads at most `cap` bytes of `reader` into `out`.
fn read_bounded(reader: &mut impl Read, cap: u64, out: &mut Vec<u8>) -> Result<(), String> {
    reader
        .take(cap)
        .read_to_end(out)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
