//! The rows that link one person's DIDs, sealed at rest.
//!
//! A credential record names its enrolment, an enrolment record lists its DIDs and
//! credentials, a person's row lists their enrolments: in the clear, a copy of the database
//! alone would tell which pairwise DIDs belong to one person, across every provider. The
//! values of those column families ([`SEALED`]) are therefore sealed with AES-256-GCM under
//! a key derived from the person-index pepper, which lives in the secrets file, never in the
//! database. The associated data names the column family and the row's key, so a value
//! copied to another row fails to open instead of lying there.
//!
//! ```text
//! key    = SHA-256( "realdid/issuer-rows/v1" || pepper )
//! stored = nonce (12 random bytes) || ciphertext || tag (16)
//! aad    = "realdid/issuer-rows/v1" || len(cf) u32 BE || cf || row key
//! ```
//!
//! Keys stay in the clear (a credential id, an enrolment id, a person key): none of them
//! names more than one DID.

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use sha2::{Digest as _, Sha256};

use crate::IssuerError;

pub use super::columns::SEALED;

const DOMAIN: &[u8] = b"realdid/issuer-rows/v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Seals and opens the values of [`SEALED`] column families.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct RowSeal {
    key: [u8; 32],
}

impl std::fmt::Debug for RowSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowSeal(..)")
    }
}

fn aad(cf: &str, key: &[u8]) -> Vec<u8> {
    let mut out = DOMAIN.to_vec();
    out.extend_from_slice(&(cf.len() as u32).to_be_bytes());
    out.extend_from_slice(cf.as_bytes());
    out.extend_from_slice(key);
    out
}

impl RowSeal {
    /// The seal whose key derives from `pepper`.
    pub fn from_pepper(pepper: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(DOMAIN);
        hash.update(pepper);
        Self {
            key: hash.finalize().into(),
        }
    }

    /// Whether values of `cf` are sealed.
    pub fn seals(cf: &str) -> bool {
        SEALED.contains(&cf)
    }

    /// `value` of row `key` in `cf`, sealed.
    pub fn seal(&self, cf: &str, key: &[u8], value: &[u8]) -> Result<Vec<u8>, IssuerError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(IssuerError::Randomness)?;
        let mut tag = [0u8; TAG_LEN];
        let sealed = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(&nonce),
            &aad(cf, key),
            value,
            &mut tag,
        )
        .map_err(|e| IssuerError::Internal(format!("sealing a {cf} row: {e}")))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// The value sealed in `stored` for row `key` of `cf`.
    pub fn open(&self, cf: &str, key: &[u8], stored: &[u8]) -> Result<Vec<u8>, IssuerError> {
        if stored.len() < NONCE_LEN + TAG_LEN {
            return Err(IssuerError::Corrupt(format!(
                "a {cf} row is {} bytes, too short to be sealed",
                stored.len()
            )));
        }
        let (nonce, rest) = stored.split_at(NONCE_LEN);
        let (cipher, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(nonce),
            &aad(cf, key),
            cipher,
            tag,
        )
        .map_err(|_| {
            IssuerError::Corrupt(format!(
                "a {cf} row does not open: altered, moved from another row, written unsealed, \
                 or sealed under another pepper"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_key_is_wiped_when_dropped() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<RowSeal>();
    }

    #[test]
    fn a_sealed_row_opens_only_in_its_place_and_under_its_pepper() -> Result<(), IssuerError> {
        let seal = RowSeal::from_pepper(&[7; 32]);
        let value = br#"{"enrolment_id":"e1"}"#;
        let stored = seal.seal("credentials", b"c1", value)?;
        assert!(
            !stored.windows(value.len()).any(|w| w == value),
            "nothing in the clear"
        );
        assert_eq!(seal.open("credentials", b"c1", &stored)?, value);
        // Another row, another column family, another pepper: refused.
        for (cf, key, seal) in [
            ("credentials", &b"c2"[..], &seal),
            ("enrolments", &b"c1"[..], &seal),
            ("credentials", &b"c1"[..], &RowSeal::from_pepper(&[8; 32])),
        ] {
            assert!(matches!(
                seal.open(cf, key, &stored),
                Err(IssuerError::Corrupt(m)) if m.contains("does not open")
            ));
        }
        // Two seals of one value differ.
        assert_ne!(stored, seal.seal("credentials", b"c1", value)?);
        assert!(RowSeal::seals("persons") && !RowSeal::seals("dids"));
        Ok(())
    }
}
