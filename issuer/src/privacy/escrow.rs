//! The escrowed identity record: AES-256-GCM under the escrow key, per record.
//!
//! Each record gets a fresh 96-bit nonce, and the associated data binds it to its
//! enrolment and to the key's name: a ciphertext copied onto another enrolment, or opened
//! with another key, fails authentication instead of decrypting.

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use serde::{Deserialize, Serialize};

use super::secrets::DataSecrets;
use crate::IssuerError;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_DOMAIN: &[u8] = b"realdid/escrow/v1";

/// What the escrow holds for one enrolment: everything lawful tracing may release.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    /// The enrolment.
    pub enrolment_id: String,
    /// The full name as enrolled (NFC).
    pub full_name: String,
    /// The resident identity number as enrolled.
    pub resident_id: String,
    /// When, Unix ms.
    pub enrolled_at_ms: i64,
    /// Every DID bound in the enrolment.
    pub dids: Vec<String>,
    /// The identity authority's reference for the check.
    pub authority_reference: String,
}

impl std::fmt::Debug for IdentityRecord {
    /// Personal data stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityRecord")
            .field("enrolment_id", &self.enrolment_id)
            .finish_non_exhaustive()
    }
}

/// An encrypted identity record, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedRecord {
    /// The escrow key's name.
    pub key_id: String,
    /// The nonce, hex.
    pub nonce: String,
    /// Ciphertext and tag, hex.
    pub sealed: String,
}

fn aad(key_id: &str, enrolment_id: &str) -> Vec<u8> {
    let mut out = AAD_DOMAIN.to_vec();
    for part in [key_id, enrolment_id] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Encrypts `record` under the escrow key.
pub fn seal(secrets: &DataSecrets, record: &IdentityRecord) -> Result<SealedRecord, IssuerError> {
    let plain = serde_json::to_vec(record)
        .map_err(|e| IssuerError::Internal(format!("encoding the identity record: {e}")))?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(IssuerError::Randomness)?;
    let mut tag = [0u8; TAG_LEN];
    let mut sealed = encrypt_aead(
        Cipher::aes_256_gcm(),
        &secrets.escrow_key,
        Some(&nonce),
        &aad(&secrets.escrow_key_id, &record.enrolment_id),
        &plain,
        &mut tag,
    )
    .map_err(|e| IssuerError::Internal(format!("escrow encryption: {e}")))?;
    sealed.extend_from_slice(&tag);
    Ok(SealedRecord {
        key_id: secrets.escrow_key_id.clone(),
        nonce: hex::encode(nonce),
        sealed: hex::encode(sealed),
    })
}

/// Decrypts the record of `enrolment_id`; fails if it was altered, moved or sealed under
/// another key.
pub fn open(
    secrets: &DataSecrets,
    enrolment_id: &str,
    sealed: &SealedRecord,
) -> Result<IdentityRecord, IssuerError> {
    if sealed.key_id != secrets.escrow_key_id {
        return Err(IssuerError::Corrupt(format!(
            "the record of enrolment {enrolment_id} is sealed under escrow key {:?}, not the configured {:?}",
            sealed.key_id, secrets.escrow_key_id
        )));
    }
    let corrupt = |what: &str| {
        IssuerError::Corrupt(format!(
            "the escrowed record of enrolment {enrolment_id}: {what}"
        ))
    };
    let nonce = hex::decode(&sealed.nonce).map_err(|_| corrupt("nonce is not hex"))?;
    let bytes = hex::decode(&sealed.sealed).map_err(|_| corrupt("ciphertext is not hex"))?;
    if nonce.len() != NONCE_LEN || bytes.len() < TAG_LEN {
        return Err(corrupt("wrong lengths"));
    }
    let (cipher, tag) = bytes.split_at(bytes.len() - TAG_LEN);
    let plain = decrypt_aead(
        Cipher::aes_256_gcm(),
        &secrets.escrow_key,
        Some(&nonce),
        &aad(&sealed.key_id, enrolment_id),
        cipher,
        tag,
    )
    .map_err(|_| corrupt("does not authenticate (altered, moved, or another key)"))?;
    let record: IdentityRecord =
        serde_json::from_slice(&plain).map_err(|_| corrupt("does not decode"))?;
    if record.enrolment_id != enrolment_id {
        return Err(corrupt("names another enrolment"));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> IdentityRecord {
        IdentityRecord {
            enrolment_id: id.into(),
            full_name: "张三".into(),
            resident_id: "11010519491231002X".into(),
            enrolled_at_ms: 1,
            dids: vec!["did:realdid:x".into()],
            authority_reference: "ref".into(),
        }
    }

    #[test]
    fn seals_and_opens_and_refuses_tampering() -> Result<(), IssuerError> {
        let secrets = DataSecrets::generate()?;
        let sealed = seal(&secrets, &record("e1"))?;
        assert!(!sealed.sealed.contains(&hex::encode("11010519491231002X")));
        assert_eq!(open(&secrets, "e1", &sealed)?, record("e1"));
        // Two seals of one record differ (fresh nonce).
        assert_ne!(seal(&secrets, &record("e1"))?.sealed, sealed.sealed);
        // Moved to another enrolment.
        assert!(matches!(
            open(&secrets, "e2", &sealed),
            Err(IssuerError::Corrupt(_))
        ));
        // Another key.
        let other = DataSecrets::generate()?;
        assert!(open(&other, "e1", &sealed).is_err());
        // A flipped ciphertext byte.
        let mut flipped = sealed.clone();
        let mut bytes =
            hex::decode(&flipped.sealed).map_err(|e| IssuerError::Internal(e.to_string()))?;
        bytes[0] ^= 1;
        flipped.sealed = hex::encode(bytes);
        assert!(open(&secrets, "e1", &flipped).is_err());
        Ok(())
    }
}
