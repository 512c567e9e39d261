//! Digests: of disclosures (the values in `_sd` and `...`) and of a presented SD-JWT (the
//! KB-JWT's `sd_hash`). SHA-256 only, written `sha-256` in `_sd_alg`.
//!
//! Both are `base64url(SHA-256(ASCII text))`: the hash is over the encoded text exactly as
//! transmitted, never over re-serialised JSON, so that issuer and verifier agree without a
//! canonical JSON form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest as _, Sha256};

/// The `_sd_alg` value of SHA-256, the only hash algorithm realdid accepts: the registry
/// names others, but each one accepted is one more way to downgrade.
pub const SHA_256: &str = "sha-256";

/// A raw SHA-256 digest; the verifier compares digests in this form so that it never
/// allocates per digest.
pub(crate) type DigestBytes = [u8; 32];

/// Length of a SHA-256 digest in unpadded base64url.
const DIGEST_B64_LEN: usize = 43;

/// The raw digest of an encoded disclosure (or of any ASCII text).
pub(crate) fn digest_bytes(text: &str) -> DigestBytes {
    Sha256::digest(text.as_bytes()).into()
}

/// The digest of an encoded disclosure as it appears in `_sd` or `...`.
pub fn disclosure_digest(encoded_disclosure: &str) -> String {
    B64.encode(digest_bytes(encoded_disclosure))
}

/// The KB-JWT `sd_hash` of a presentation: the digest of
/// `<issuer-signed JWT>~<disclosure 1>~…~<disclosure N>~`, the compact form up to and
/// including the last `~`.
pub fn sd_hash(presented_sd_jwt: &str) -> String {
    B64.encode(digest_bytes(presented_sd_jwt))
}

/// Decodes a digest found in the payload; `None` when it is not base64url of 32 bytes.
pub(crate) fn parse_digest(text: &str) -> Option<DigestBytes> {
    if text.len() != DIGEST_B64_LEN {
        return None;
    }
    // The estimate for 43 characters is 33 bytes; decode_slice refuses a smaller buffer.
    let mut buf = [0u8; 33];
    match B64.decode_slice(text, &mut buf) {
        Ok(32) => {
            let mut out = [0u8; 32];
            out.copy_from_slice(&buf[..32]);
            Some(out)
        }
        _ => None,
    }
}

/// The base64url text of a raw digest, for error messages and encoding.
pub(crate) fn encode_digest(digest: &DigestBytes) -> String {
    B64.encode(digest)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use super::*;

    /// RFC 9901 §4.2.1 and §4.2.3: the example disclosure of `family_name` and its digest.
    #[test]
    fn rfc9901_example_digest() {
        let disclosure = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0";
        assert_eq!(
            disclosure_digest(disclosure),
            "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
        );
    }

    #[test]
    fn parse_digest_round_trips_and_refuses_junk() {
        let d = digest_bytes("abc");
        assert_eq!(parse_digest(&encode_digest(&d)), Some(d));
        assert_eq!(parse_digest("short"), None);
        assert_eq!(parse_digest(&"!".repeat(43)), None);
        // 43 characters whose last one carries non-zero padding bits: not canonical.
        let mut text = encode_digest(&d);
        let last = text.pop().unwrap();
        let flipped = if last == 'A' { 'B' } else { 'A' };
        text.push(flipped);
        if let Some(other) = parse_digest(&text) {
            assert_ne!(other, d);
        }
    }
}
