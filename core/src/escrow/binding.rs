//! The domain labels and the byte strings that every derivation, HPKE context and AEAD binds.
//!
//! Each ciphertext is tied to what it is about, so that a piece copied elsewhere fails to
//! open instead of opening in the wrong place: a share sealed for one record does not open
//! for another, a share released under one anchor hash does not open under another, a
//! resharing's sub-share opens only for its new approver, that sealing and that new set, and
//! the record does not decrypt once its approver set, threshold or commitments were changed.
//! All these encodings are part of the stored format: changing one needs a new label version.

use sha2::{Digest as _, Sha256};

use super::approver_keys::ApproverPublic;
use super::sealed::{Contributor, SealedShare};

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
/// The label of [`resealing_digest`].
const RESEALING_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/resealing";
/// The label of [`approver_set_digest`].
const APPROVER_SET_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/approver-set";
/// The label of [`contribution_digest`].
const RESHARE_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/reshare";
/// The HPKE `info` label of a sub-share sealed to a new approver.
const RESHARE_INFO_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/reshare-piece";
/// The label of what a contributor to a resharing signs.
const RESHARE_SIGNATURE_DOMAIN: &[u8] = b"realdid/threshold-escrow/v1/reshare-signature";

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
    put_set(&mut bytes, threshold, approvers);
    for commitment in commitments {
        bytes.extend_from_slice(commitment);
    }
    Sha256::digest(&bytes).into()
}

/// Appends `threshold || count || for each approver: len(id) || id || Ed25519 || X25519`.
fn put_set(out: &mut Vec<u8>, threshold: u8, approvers: &[ApproverPublic]) {
    out.push(threshold);
    out.push(u8::try_from(approvers.len()).unwrap_or(u8::MAX));
    for approver in approvers {
        put_prefixed(out, approver.id().as_bytes());
        out.extend_from_slice(&approver.ed25519_bytes());
        out.extend_from_slice(approver.hpke_public_key().as_bytes());
    }
}

/// Appends a count byte and the points.
fn put_points(out: &mut Vec<u8>, points: &[[u8; 32]]) {
    out.push(u8::try_from(points.len()).unwrap_or(u8::MAX));
    for point in points {
        out.extend_from_slice(point);
    }
}

/// The digest of a sealing made by resharing: as [`sealing_digest`], plus the sealing it
/// descends from (`origin`, whose digest the record's ciphertext stays bound to), the
/// sealing it was reshared from (`previous`), and which old approvers' sub-sharings its
/// shares are made of, with their commitments.
///
/// ```text
/// SHA-256( "realdid/threshold-escrow/v1/resealing"
///        || origin (32) || previous (32)
///        || len(record_id) || record_id
///        || threshold || count || for each approver: len(id) || id || Ed25519 || X25519
///        || for each commitment: point (32)
///        || contributor count
///        || for each contributor: index || len(id) || id || count || its commitments )
/// ```
pub(super) fn resealing_digest(
    origin: &[u8; 32],
    previous: &[u8; 32],
    record_id: &str,
    threshold: u8,
    approvers: &[ApproverPublic],
    commitments: &[[u8; 32]],
    contributors: &[Contributor],
) -> [u8; 32] {
    let mut bytes = RESEALING_DOMAIN.to_vec();
    bytes.extend_from_slice(origin);
    bytes.extend_from_slice(previous);
    put_prefixed(&mut bytes, record_id.as_bytes());
    put_set(&mut bytes, threshold, approvers);
    for commitment in commitments {
        bytes.extend_from_slice(commitment);
    }
    bytes.push(u8::try_from(contributors.len()).unwrap_or(u8::MAX));
    for contributor in contributors {
        bytes.push(contributor.index);
        put_prefixed(&mut bytes, contributor.id.as_bytes());
        put_points(&mut bytes, &contributor.commitments);
    }
    Sha256::digest(&bytes).into()
}

/// The digest of an approver set a record is to be reshared to: the threshold and the
/// approvers in order with both their keys. A contribution names it, so that the
/// coordinator cannot hand it to another set.
///
/// ```text
/// SHA-256( "realdid/threshold-escrow/v1/approver-set"
///        || threshold || count || for each approver: len(id) || id || Ed25519 || X25519 )
/// ```
pub(super) fn approver_set_digest(threshold: u8, approvers: &[ApproverPublic]) -> [u8; 32] {
    let mut bytes = APPROVER_SET_DOMAIN.to_vec();
    put_set(&mut bytes, threshold, approvers);
    Sha256::digest(&bytes).into()
}

/// The digest of one old approver's contribution to a resharing: the sealing it reshares,
/// the new set, the contributor's place and id in the old sealing, and the commitments to
/// its sub-sharing. Each sub-share is bound to it, so a sub-share opens only with the
/// commitments it must verify against.
///
/// ```text
/// SHA-256( "realdid/threshold-escrow/v1/reshare"
///        || sealing (32) || approver set (32)
///        || index || len(id) || id
///        || count || for each commitment: point (32) )
/// ```
pub(super) fn contribution_digest(
    sealing: &[u8; 32],
    approver_set: &[u8; 32],
    index: u8,
    contributor_id: &str,
    commitments: &[[u8; 32]],
) -> [u8; 32] {
    let mut bytes = RESHARE_DOMAIN.to_vec();
    bytes.extend_from_slice(sealing);
    bytes.extend_from_slice(approver_set);
    bytes.push(index);
    put_prefixed(&mut bytes, contributor_id.as_bytes());
    put_points(&mut bytes, commitments);
    Sha256::digest(&bytes).into()
}

/// The HPKE `info` of a sub-share sealed to a new approver: the label and the record. Its
/// associated data is [`share_aad`] of the contribution's digest.
pub(super) fn reshare_info(record_id: &str) -> Vec<u8> {
    let mut out = RESHARE_INFO_DOMAIN.to_vec();
    put_prefixed(&mut out, record_id.as_bytes());
    out
}

/// What a contributor signs: the label, the contribution's digest, and every sealed
/// sub-share (fixed lengths), so that the contributor answers for each of them.
pub(super) fn contribution_signing_input(digest: &[u8; 32], sub_shares: &[SealedShare]) -> Vec<u8> {
    let mut out = RESHARE_SIGNATURE_DOMAIN.to_vec();
    out.extend_from_slice(digest);
    out.push(u8::try_from(sub_shares.len()).unwrap_or(u8::MAX));
    for piece in sub_shares {
        out.extend_from_slice(&piece.enc);
        out.extend_from_slice(&piece.ciphertext);
    }
    out
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
/// approver's place in it. A sub-share of a resharing uses it with the contribution's
/// digest in place of the sealing's.
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
