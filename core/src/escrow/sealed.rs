//! The sealed record: everything the issuer stores, and how it is made.
//!
//! What the issuer keeps must be useless to whoever takes the issuer's host, its database
//! and its secrets: the record is encrypted under a key derived from a secret that exists
//! only while it is sealed, and only as shares that each approver alone can read. The
//! Feldman commitments stored alongside let shares be checked, and reveal nothing an
//! attacker could open the record with.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::approver_keys::ApproverPublic;
use super::binding::{record_aad, resealing_digest, sealing_digest, share_aad, share_info};
use super::suite::{
    ENC_LEN, NONCE_LEN, SEALED_SHARE_LEN, TAG_LEN, data_key, hex_array, hpke_seal, random_bytes,
    record_seal, rng,
};
use super::{
    EscrowError, MAX_APPROVERS, MAX_ID_LEN, MAX_RECORD_ID_LEN, MAX_RECORD_LEN, MAX_SEALED_JSON_LEN,
    check_id, feldman,
};

/// The `type` of a sealed record.
const SEALED_TYPE: &str = "realdid-threshold-escrow-v1";

/// A record sealed `threshold`-of-n to its approvers: the only form in which the issuer
/// holds it.
///
/// It holds the record id, the threshold, the approvers' public keys in order, the
/// Feldman commitments to the sharing polynomial, one HPKE-sealed share per approver, and
/// the record under ChaCha20-Poly1305. No key that opens the record is in it: opening needs
/// `threshold` approvers to release their shares.
///
/// A sealing made by [`reshare`](fn@super::reshare) holds, instead of one sealed share per
/// approver, one sealed piece per old approver who contributed to the resharing; the
/// record's ciphertext is the original one, still bound to the original sealing's digest.
///
/// Serialised as JSON (`{"type": "realdid-threshold-escrow-v1", ...}`, keys and points in
/// hex, the record's ciphertext in unpadded base64url); decoding checks every bound and
/// encoding, so a decoded value is as well formed as a freshly sealed one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ThresholdSealedFile", into = "ThresholdSealedFile")]
pub struct ThresholdSealed {
    record_id: String,
    threshold: u8,
    approvers: Vec<ApproverPublic>,
    commitments: Vec<[u8; 32]>,
    /// `None` for a sealing made by [`seal`].
    resealed: Option<Resealing>,
    /// Per approver: its one sealed share (fresh), or its pieces in the order of
    /// `resealed.contributors` (resealed).
    shares: Vec<Vec<SealedShare>>,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

/// One approver's share (or one piece of it), HPKE-sealed to the approver's X25519 key.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct SealedShare {
    pub(super) enc: [u8; ENC_LEN],
    pub(super) ciphertext: [u8; SEALED_SHARE_LEN],
}

impl SealedShare {
    /// The HPKE output of sealing one share, which must have the length of one.
    pub(super) fn from_hpke(enc: [u8; ENC_LEN], sealed: &[u8]) -> Result<Self, EscrowError> {
        let ciphertext = sealed.try_into().map_err(|_| EscrowError::Crypto {
            what: "HPKE sealing",
            reason: format!("a sealed share of {} bytes", sealed.len()),
        })?;
        Ok(Self { enc, ciphertext })
    }
}

/// Where a sealing made by resharing comes from, and what its approvers' shares are made
/// of: approver `j`'s share is `Σ λ_i s_ij` over the contributors `i`, where `s_ij` is the
/// piece contributor `i` sealed to `j` and `λ_i` the Lagrange coefficient at 0 of the
/// contributors' indices. Only `j` can open its pieces, so only `j` learns its share.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Resealing {
    /// The digest the record's ciphertext is bound to: that of the sealing [`seal`] made.
    pub(super) origin: [u8; 32],
    /// The digest of the sealing this one was reshared from; the pieces are bound to it.
    pub(super) previous: [u8; 32],
    /// The old approvers whose sub-sharings make the shares, by increasing index; as many
    /// as the previous sealing's threshold.
    pub(super) contributors: Vec<Contributor>,
}

/// An old approver whose share was reshared into this sealing.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Contributor {
    /// Its place in the previous sealing.
    pub(super) index: u8,
    /// Its id there.
    pub(super) id: String,
    /// The commitments to its sub-sharing, one per coefficient (as many as the threshold).
    pub(super) commitments: Vec<[u8; 32]>,
}

/// A sealed record as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdSealedFile {
    #[serde(rename = "type")]
    kind: String,
    record_id: String,
    threshold: u8,
    approvers: Vec<ApproverPublic>,
    /// Compressed ristretto255 points, hex.
    commitments: Vec<String>,
    /// Absent for a sealing made by `seal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resealed: Option<ResealingFile>,
    shares: Vec<SealedShareFile>,
    /// Hex.
    nonce: String,
    /// Ciphertext and tag, unpadded base64url.
    ciphertext: String,
}

/// One approver's sealed share as stored: `enc` and `ciphertext` for a fresh sealing,
/// `pieces` for a resealed one.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedShareFile {
    /// The approver it is sealed to (the same as at its place in `approvers`).
    approver: String,
    /// The HPKE encapsulated key, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enc: Option<String>,
    /// The HPKE ciphertext and tag, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ciphertext: Option<String>,
    /// One sealed piece per contributor, in the order of `resealed.contributors`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pieces: Option<Vec<PieceFile>>,
}

/// One sealed piece of a share as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PieceFile {
    /// The HPKE encapsulated key, hex.
    enc: String,
    /// The HPKE ciphertext and tag, hex.
    ciphertext: String,
}

/// Where a resealed record comes from, as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResealingFile {
    /// Hex.
    origin: String,
    /// Hex.
    previous: String,
    contributors: Vec<ContributorFile>,
}

/// A contributor to a resharing, as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContributorFile {
    index: u8,
    id: String,
    /// Compressed ristretto255 points, hex.
    commitments: Vec<String>,
}

/// Checks what a sealing is made for: the record id, the threshold against the approvers,
/// and that the approvers are distinct parties (distinct ids and distinct keys, so that no
/// one holds two shares).
pub(super) fn check_sealing(
    record_id: &str,
    threshold: u8,
    approvers: &[ApproverPublic],
) -> Result<(), EscrowError> {
    check_id("record id", record_id, MAX_RECORD_ID_LEN)?;
    if approvers.len() > MAX_APPROVERS {
        return Err(EscrowError::TooLarge {
            what: "the approver list",
            len: approvers.len(),
            max: MAX_APPROVERS,
        });
    }
    if threshold < 2 || usize::from(threshold) > approvers.len() {
        return Err(EscrowError::BadThreshold {
            threshold: usize::from(threshold),
            approvers: approvers.len(),
        });
    }
    for (i, approver) in approvers.iter().enumerate() {
        for earlier in &approvers[..i] {
            if earlier.id() == approver.id() {
                return Err(EscrowError::DuplicateApprover {
                    id: approver.id().to_owned(),
                });
            }
            let key = if earlier.ed25519_bytes() == approver.ed25519_bytes() {
                Some("Ed25519")
            } else if earlier.hpke_public_key() == approver.hpke_public_key() {
                Some("X25519")
            } else {
                None
            };
            if let Some(key) = key {
                return Err(EscrowError::DuplicateApproverKey {
                    first: earlier.id().to_owned(),
                    second: approver.id().to_owned(),
                    key,
                });
            }
        }
    }
    Ok(())
}

/// Seals `plaintext`, the record `record_id`, so that any `threshold` of `approvers` (in
/// this order) together can open it and fewer cannot.
///
/// The record is encrypted under a fresh key derived from a fresh secret; the secret is
/// split `threshold`-of-n with Feldman commitments, and each share is sealed to its
/// approver's X25519 key for this record. The secret and the key are wiped before this
/// returns: afterwards no one, the caller included, can open the record alone.
///
/// `threshold` must be at least 2 (one approver alone must not be able to open a record)
/// and at most the number of approvers, which is at most [`MAX_APPROVERS`]; approvers must
/// have distinct ids and keys; `plaintext` is at most [`MAX_RECORD_LEN`] bytes.
pub fn seal(
    record_id: &str,
    plaintext: &[u8],
    approvers: &[ApproverPublic],
    threshold: u8,
) -> Result<ThresholdSealed, EscrowError> {
    seal_keeping_secret(record_id, plaintext, approvers, threshold).map(|(sealed, _)| sealed)
}

/// [`seal`], also returning the shared secret (for tests that look for it in the output).
pub(super) fn seal_keeping_secret(
    record_id: &str,
    plaintext: &[u8],
    approvers: &[ApproverPublic],
    threshold: u8,
) -> Result<(ThresholdSealed, Zeroizing<[u8; 32]>), EscrowError> {
    if plaintext.len() > MAX_RECORD_LEN {
        return Err(EscrowError::TooLarge {
            what: "the record",
            len: plaintext.len(),
            max: MAX_RECORD_LEN,
        });
    }
    check_sealing(record_id, threshold, approvers)?;
    let count = u8::try_from(approvers.len()).map_err(|_| EscrowError::TooLarge {
        what: "the approver list",
        len: approvers.len(),
        max: MAX_APPROVERS,
    })?;
    let mut rng = rng()?;
    let split = feldman::split(threshold, count, &mut rng)?;
    let digest = sealing_digest(record_id, threshold, approvers, &split.commitments);
    let key = data_key(&split.secret, record_id)?;
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    let ciphertext = record_seal(&key, &nonce, &record_aad(&digest), plaintext)?;
    let info = share_info(record_id);
    let mut shares = Vec::with_capacity(approvers.len());
    for ((index, approver), share) in (0..count).zip(approvers).zip(&split.shares) {
        let aad = share_aad(&digest, index, approver.id());
        let (enc, sealed) = hpke_seal(
            &format!("approver {:?}", approver.id()),
            approver.hpke_public_key(),
            &info,
            &aad,
            share.as_ref(),
            &mut rng,
        )?;
        shares.push(vec![SealedShare::from_hpke(enc, &sealed)?]);
    }
    let sealed = ThresholdSealed {
        record_id: record_id.to_owned(),
        threshold,
        approvers: approvers.to_vec(),
        commitments: split.commitments.clone(),
        resealed: None,
        shares,
        nonce,
        ciphertext,
    };
    Ok((sealed, split.secret.clone()))
}

impl ThresholdSealed {
    /// The record this sealing is of.
    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// How many approvers must release their shares to open it.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// The approvers, in the order their shares are held.
    pub fn approvers(&self) -> &[ApproverPublic] {
        &self.approvers
    }

    /// The digest of what this sealing fixes besides ciphertexts (record id, threshold,
    /// approvers and their keys, commitments, and for a resealed record where it comes
    /// from and what its shares are made of): the name an audit record can give it.
    pub fn digest(&self) -> [u8; 32] {
        match &self.resealed {
            None => sealing_digest(
                &self.record_id,
                self.threshold,
                &self.approvers,
                &self.commitments,
            ),
            Some(resealed) => resealing_digest(
                &resealed.origin,
                &resealed.previous,
                &self.record_id,
                self.threshold,
                &self.approvers,
                &self.commitments,
                &resealed.contributors,
            ),
        }
    }

    /// The digest the record's ciphertext is bound to: the sealing's own for a sealing
    /// made by [`seal`], that original sealing's for one made by resharing (which keeps
    /// the ciphertext as it is).
    pub(super) fn origin(&self) -> [u8; 32] {
        match &self.resealed {
            None => self.digest(),
            Some(resealed) => resealed.origin,
        }
    }

    pub(super) fn resealed(&self) -> Option<&Resealing> {
        self.resealed.as_ref()
    }

    pub(super) fn commitments(&self) -> &[[u8; 32]] {
        &self.commitments
    }

    /// Approver `index`'s sealed share: one piece for a fresh sealing, one per contributor
    /// for a resealed one.
    pub(super) fn pieces(&self, index: u8) -> Option<&[SealedShare]> {
        self.shares.get(usize::from(index)).map(Vec::as_slice)
    }

    /// Puts `share` as piece `piece` at approver `index`'s place, as an attacker with the
    /// database could.
    #[cfg(test)]
    pub(super) fn replace_share(&mut self, index: usize, piece: usize, share: SealedShare) {
        self.shares[index][piece] = share;
    }

    /// This record sealed to `approvers` instead, by resharing: same record, nonce and
    /// ciphertext, the given commitments, lineage and sealed pieces. The caller has checked
    /// them.
    pub(super) fn resealed_to(
        &self,
        threshold: u8,
        approvers: &[ApproverPublic],
        commitments: Vec<[u8; 32]>,
        resealed: Resealing,
        shares: Vec<Vec<SealedShare>>,
    ) -> Self {
        Self {
            record_id: self.record_id.clone(),
            threshold,
            approvers: approvers.to_vec(),
            commitments,
            resealed: Some(resealed),
            shares,
            nonce: self.nonce,
            ciphertext: self.ciphertext.clone(),
        }
    }

    pub(super) fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    pub(super) fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The place of approver `id` in the approver list.
    pub(super) fn approver_index(&self, id: &str) -> Option<u8> {
        let index = self.approvers.iter().position(|a| a.id() == id)?;
        u8::try_from(index).ok()
    }

    /// The sealed record, as JSON.
    pub fn to_json(&self) -> Result<String, EscrowError> {
        serde_json::to_string(self).map_err(|e| EscrowError::Malformed {
            what: "sealed record",
            reason: e.to_string(),
        })
    }

    /// Reads a sealed record written by [`ThresholdSealed::to_json`], at most
    /// [`MAX_SEALED_JSON_LEN`] bytes.
    pub fn from_json(text: &str) -> Result<Self, EscrowError> {
        if text.len() > MAX_SEALED_JSON_LEN {
            return Err(EscrowError::TooLarge {
                what: "sealed record",
                len: text.len(),
                max: MAX_SEALED_JSON_LEN,
            });
        }
        serde_json::from_str(text).map_err(|e| EscrowError::Malformed {
            what: "sealed record",
            reason: e.to_string(),
        })
    }
}

impl std::fmt::Debug for ThresholdSealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThresholdSealed")
            .field("record_id", &self.record_id)
            .field("threshold", &self.threshold)
            .field(
                "approvers",
                &self.approvers.iter().map(|a| a.id()).collect::<Vec<_>>(),
            )
            .field("resealed", &self.resealed.is_some())
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Decodes commitments to a polynomial of degree `threshold - 1`: that many points, hex.
fn decode_commitments(
    whose: &str,
    texts: &[String],
    threshold: u8,
) -> Result<Vec<[u8; 32]>, EscrowError> {
    let malformed = |reason: String| EscrowError::Malformed {
        what: "sealed record",
        reason,
    };
    if texts.len() != usize::from(threshold) {
        return Err(malformed(format!(
            "{} {whose}commitments for a threshold of {threshold}",
            texts.len(),
        )));
    }
    let mut commitments = Vec::with_capacity(texts.len());
    for (j, text) in texts.iter().enumerate() {
        let bytes: [u8; 32] = hex_array("Feldman commitment", text)?;
        if feldman::decode_point(&bytes).is_none() {
            return Err(malformed(format!(
                "{whose}commitment {j} is not a ristretto255 point"
            )));
        }
        commitments.push(bytes);
    }
    Ok(commitments)
}

/// Decodes one sealed share or piece.
fn decode_piece(enc: &str, ciphertext: &str) -> Result<SealedShare, EscrowError> {
    Ok(SealedShare {
        enc: hex_array("HPKE encapsulated key", enc)?,
        ciphertext: hex_array("sealed share", ciphertext)?,
    })
}

/// Decodes where a resealed record comes from, and checks that its commitments are those
/// its contributors' sub-sharings combine to: they cannot be altered alone.
fn decode_resealing(
    file: ResealingFile,
    threshold: u8,
    commitments: &[[u8; 32]],
) -> Result<Resealing, EscrowError> {
    let malformed = |reason: String| EscrowError::Malformed {
        what: "sealed record",
        reason,
    };
    let count = file.contributors.len();
    if !(2..=MAX_APPROVERS).contains(&count) {
        return Err(malformed(format!("{count} contributors to its resharing")));
    }
    let mut contributors: Vec<Contributor> = Vec::with_capacity(count);
    for contributor in file.contributors {
        check_id("approver id", &contributor.id, MAX_ID_LEN)?;
        if usize::from(contributor.index) >= MAX_APPROVERS {
            return Err(malformed(format!(
                "contributor {:?} has index {}",
                contributor.id, contributor.index
            )));
        }
        if let Some(last) = contributors.last()
            && last.index >= contributor.index
        {
            return Err(malformed(
                "the contributors are not in increasing order of index".into(),
            ));
        }
        if contributors.iter().any(|c| c.id == contributor.id) {
            return Err(malformed(format!(
                "contributor {:?} is named twice",
                contributor.id
            )));
        }
        let whose = format!("{:?}'s ", contributor.id);
        contributors.push(Contributor {
            commitments: decode_commitments(&whose, &contributor.commitments, threshold)?,
            index: contributor.index,
            id: contributor.id,
        });
    }
    let sets: Vec<(u8, &[[u8; 32]])> = contributors
        .iter()
        .map(|c| (c.index, c.commitments.as_slice()))
        .collect();
    if feldman::combine_commitments(&sets, usize::from(threshold)).as_deref() != Some(commitments) {
        return Err(malformed(
            "its commitments are not those its contributors' commitments combine to".into(),
        ));
    }
    Ok(Resealing {
        origin: hex_array("origin digest", &file.origin)?,
        previous: hex_array("previous sealing digest", &file.previous)?,
        contributors,
    })
}

impl TryFrom<ThresholdSealedFile> for ThresholdSealed {
    type Error = EscrowError;

    fn try_from(file: ThresholdSealedFile) -> Result<Self, EscrowError> {
        let malformed = |reason: String| EscrowError::Malformed {
            what: "sealed record",
            reason,
        };
        if file.kind != SEALED_TYPE {
            return Err(malformed(format!(
                "type is {:?}, not {SEALED_TYPE:?}",
                file.kind
            )));
        }
        check_sealing(&file.record_id, file.threshold, &file.approvers)?;
        let commitments = decode_commitments("", &file.commitments, file.threshold)?;
        if commitments
            .first()
            .and_then(feldman::decode_point)
            .is_none_or(|c0| c0 == curve25519_dalek_5::ristretto::RistrettoPoint::default())
        {
            return Err(malformed("the secret's commitment is the identity".into()));
        }
        let resealed = file
            .resealed
            .map(|r| decode_resealing(r, file.threshold, &commitments))
            .transpose()?;
        if file.shares.len() != file.approvers.len() {
            return Err(malformed(format!(
                "{} sealed shares for {} approvers",
                file.shares.len(),
                file.approvers.len()
            )));
        }
        let mut shares = Vec::with_capacity(file.shares.len());
        for (share, approver) in file.shares.iter().zip(&file.approvers) {
            if share.approver != approver.id() {
                return Err(malformed(format!(
                    "the share at the place of {:?} names {:?}",
                    approver.id(),
                    share.approver
                )));
            }
            let pieces = match (&resealed, &share.enc, &share.ciphertext, &share.pieces) {
                (None, Some(enc), Some(ciphertext), None) => vec![decode_piece(enc, ciphertext)?],
                (Some(resealed), None, None, Some(pieces))
                    if pieces.len() == resealed.contributors.len() =>
                {
                    pieces
                        .iter()
                        .map(|p| decode_piece(&p.enc, &p.ciphertext))
                        .collect::<Result<_, _>>()?
                }
                _ => {
                    return Err(malformed(format!(
                        "the share of {:?} is not one sealed share (a sealing) or one piece per contributor (a resealing)",
                        approver.id()
                    )));
                }
            };
            shares.push(pieces);
        }
        let nonce = hex_array("nonce", &file.nonce)?;
        // Base64 of the largest record, checked before decoding.
        let max_text = (MAX_RECORD_LEN + TAG_LEN).div_ceil(3) * 4;
        if file.ciphertext.len() > max_text {
            return Err(EscrowError::TooLarge {
                what: "the record's ciphertext",
                len: file.ciphertext.len(),
                max: max_text,
            });
        }
        let ciphertext = B64
            .decode(&file.ciphertext)
            .map_err(|e| malformed(format!("ciphertext: {e}")))?;
        if ciphertext.len() < TAG_LEN || ciphertext.len() > MAX_RECORD_LEN + TAG_LEN {
            return Err(malformed(format!(
                "a ciphertext of {} bytes",
                ciphertext.len()
            )));
        }
        Ok(Self {
            record_id: file.record_id,
            threshold: file.threshold,
            approvers: file.approvers,
            commitments,
            resealed,
            shares,
            nonce,
            ciphertext,
        })
    }
}

impl From<ThresholdSealed> for ThresholdSealedFile {
    fn from(sealed: ThresholdSealed) -> Self {
        let resealed = sealed.resealed.is_some();
        Self {
            kind: SEALED_TYPE.to_owned(),
            shares: sealed
                .shares
                .iter()
                .zip(&sealed.approvers)
                .map(|(pieces, approver)| {
                    let mut file = SealedShareFile {
                        approver: approver.id().to_owned(),
                        enc: None,
                        ciphertext: None,
                        pieces: None,
                    };
                    match pieces.as_slice() {
                        [one] if !resealed => {
                            file.enc = Some(hex::encode(one.enc));
                            file.ciphertext = Some(hex::encode(one.ciphertext));
                        }
                        _ => {
                            file.pieces = Some(
                                pieces
                                    .iter()
                                    .map(|p| PieceFile {
                                        enc: hex::encode(p.enc),
                                        ciphertext: hex::encode(p.ciphertext),
                                    })
                                    .collect(),
                            );
                        }
                    }
                    file
                })
                .collect(),
            resealed: sealed.resealed.map(|r| ResealingFile {
                origin: hex::encode(r.origin),
                previous: hex::encode(r.previous),
                contributors: r
                    .contributors
                    .into_iter()
                    .map(|c| ContributorFile {
                        index: c.index,
                        id: c.id,
                        commitments: c.commitments.iter().map(hex::encode).collect(),
                    })
                    .collect(),
            }),
            record_id: sealed.record_id,
            threshold: sealed.threshold,
            approvers: sealed.approvers,
            commitments: sealed.commitments.iter().map(hex::encode).collect(),
            nonce: hex::encode(sealed.nonce),
            ciphertext: B64.encode(&sealed.ciphertext),
        }
    }
}
