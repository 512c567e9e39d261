//! The domain labels and the byte strings that every derivation, HPKE context and AEAD binds.
//!
//! Each ciphertext is tied to what it is about, so that a piece copied elsewhere fails to
//! open instead of opening in the wrong place: a share sealed for one record does not open
//! for another, a share released under one anchor hash does not open under another, and the
//! record does not decrypt once its approver set, threshold or commitments were changed.
//! All these encodings are part of the stored format: changing one needs a new label version.

use sha2::{Digest as _, Sha256};

use super::approver_keys::ApproverPublic;

/// The label of [`sealing_digest`].
const SEALING_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/sealing";
/// The label of the record's associated data.
const RECORD_AAD_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/record";
/// The HKDF `info` label of the record's data key.
const DATA_KEY_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/data-key";
/// The HPKE `info` label of a share sealed to its approver.
const SHARE_INFO_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/share";
/// The HPKE `info` label of a share released to an officer.
const RELEASE_INFO_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/release";

/// Appends `bytes` with a u32 big-endian length prefix, so that no two field lists encode
/// alike. Every field is bounded far below 4 GiB before it gets here.
fn put_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The digest of everything a sealing fixes besides its ciphertexts: the record, the
/// threshold, the approvers in order with both their keys, and the Feldman commitments.
///
/// ```text
/// SHA-256( "realdid/threshold-escrow/v1/sealing"
///        || len(record_id) || record_id            u32 BE length, UTF-8
///        || threshold || count                     one byte each
///        || for each approver: len(id) || id || Ed25519 key (32) || X25519 key (32)
///        || for each commitment: compressed ristretto255 point (32) )
/// ```
pub(super) fn sealing_digest(
    record_id: &str,
    threshold: u8,
    approvers: &[ApproverPublic],
    commitments: &[[u8; 32]],
) -> [u8; 32] {
    let mut bytes = SEALING_DOMAIN.to_vec();
    put_prefixed(&mut bytes, record_id.as_bytes());
    bytes.push(threshold);
    bytes.push(u8::try_from(approvers.len()).unwrap_or(u8::MAX));
    for approver in approvers {
        put_prefixed(&mut bytes, approver.id().as_bytes());
        bytes.extend_from_slice(&approver.ed25519_bytes());
        bytes.extend_from_slice(approver.hpke_public_key().as_bytes());
    }
    for commitment in commitments {
        bytes.extend_from_slice(commitment);
    }
    Sha256::digest(&bytes).into()
}

/// The associated data of the record's ciphertext.
pub(super) fn record_aad(digest: &[u8; 32]) -> Vec<u8> {
    let mut out = RECORD_AAD_DOMAIN.to_vec();
    out.extend_from_slice(digest);
    out
}

/// The HKDF `info` of the record's data key.
pub(super) fn data_key_info(record_id: &str) -> Vec<u8> {
    let mut out = DATA_KEY_DOMAIN.to_vec();
    put_prefixed(&mut out, record_id.as_bytes());
    out
}

/// The HPKE `info` of a share sealed to its approver: the label and the record.
pub(super) fn share_info(record_id: &str) -> Vec<u8> {
    let mut out = SHARE_INFO_DOMAIN.to_vec();
    put_prefixed(&mut out, record_id.as_bytes());
    out
}

/// The HPKE associated data of a share sealed to its approver: the sealing and the
/// approver's place in it.
pub(super) fn share_aad(digest: &[u8; 32], index: u8, approver_id: &str) -> Vec<u8> {
    let mut out = digest.to_vec();
    out.push(index);
    put_prefixed(&mut out, approver_id.as_bytes());
    out
}

/// The HPKE `info` of a share released to an officer: the label, the record, the anchor
/// hash of the opening it is released for, and the approver who releases it.
pub(super) fn release_info(record_id: &str, anchor_hash: &[u8; 32], approver_id: &str) -> Vec<u8> {
    let mut out = RELEASE_INFO_DOMAIN.to_vec();
    put_prefixed(&mut out, record_id.as_bytes());
    out.extend_from_slice(anchor_hash);
    put_prefixed(&mut out, approver_id.as_bytes());
    out
}
