//! Releasing a share to an officer, and opening a record from released shares.
//!
//! An approver who agrees to an opening reads its own share, checks it against the
//! record's commitments, and seals it again to the officer, bound to the record, to the
//! anchor hash of the opening on the chain, and to itself. A release is therefore good for
//! one record and one anchored opening only: kept and replayed later, or shown for
//! another record, it opens nothing. The officer checks every released share against the
//! commitments before using it, so one wrong share cannot silently spoil the record, and
//! the approver who sent it is named.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::approver_keys::ApproverSecret;
use super::binding::{
    approver_set_digest, contribution_digest, record_aad, release_info, reshare_info, share_aad,
    share_info,
};
use super::officer_keys::OfficerSecret;
use super::sealed::ThresholdSealed;
use super::suite::{
    ENC_LEN, HpkePublicKey, SEALED_SHARE_LEN, SHARE_LEN, data_key, hex_array, hpke_open, hpke_seal,
    record_open, rng,
};
use super::{
    EscrowError, MAX_ID_LEN, MAX_RECORD_ID_LEN, MAX_RELEASED_SHARE_JSON_LEN, MAX_RELEASED_SHARES,
    check_id, feldman,
};

/// The `type` of a released share.
const RELEASED_TYPE: &str = "realdid-escrow-released-share-v1";

/// One approver's share of one record, sealed to the officer for one anchored opening.
///
/// Serialised as JSON: `{"type": "realdid-escrow-released-share-v1", "record_id",
/// "approver", "enc", "ciphertext"}` with the HPKE encapsulated key and ciphertext in hex.
/// The names it carries are for routing and error messages; what counts is what it
/// cryptographically binds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReleasedShareFile", into = "ReleasedShareFile")]
pub struct ReleasedShare {
    record_id: String,
    approver_id: String,
    enc: [u8; ENC_LEN],
    ciphertext: [u8; SEALED_SHARE_LEN],
}

/// A released share as sent.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleasedShareFile {
    #[serde(rename = "type")]
    kind: String,
    record_id: String,
    approver: String,
    enc: String,
    ciphertext: String,
}

impl ReleasedShare {
    /// The record the share was released for.
    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// The approver who released it.
    pub fn approver_id(&self) -> &str {
        &self.approver_id
    }

    /// The released share, as JSON.
    pub fn to_json(&self) -> Result<String, EscrowError> {
        serde_json::to_string(self).map_err(|e| EscrowError::Malformed {
            what: "released share",
            reason: e.to_string(),
        })
    }

    /// Reads a released share written by [`ReleasedShare::to_json`].
    pub fn from_json(text: &str) -> Result<Self, EscrowError> {
        if text.len() > MAX_RELEASED_SHARE_JSON_LEN {
            return Err(EscrowError::TooLarge {
                what: "released share",
                len: text.len(),
                max: MAX_RELEASED_SHARE_JSON_LEN,
            });
        }
        serde_json::from_str(text).map_err(|e| EscrowError::Malformed {
            what: "released share",
            reason: e.to_string(),
        })
    }
}

impl std::fmt::Debug for ReleasedShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleasedShare")
            .field("record_id", &self.record_id)
            .field("approver_id", &self.approver_id)
            .finish_non_exhaustive()
    }
}

impl TryFrom<ReleasedShareFile> for ReleasedShare {
    type Error = EscrowError;

    fn try_from(file: ReleasedShareFile) -> Result<Self, EscrowError> {
        if file.kind != RELEASED_TYPE {
            return Err(EscrowError::Malformed {
                what: "released share",
                reason: format!("type is {:?}, not {RELEASED_TYPE:?}", file.kind),
            });
        }
        check_id("record id", &file.record_id, MAX_RECORD_ID_LEN)?;
        check_id("approver id", &file.approver, MAX_ID_LEN)?;
        Ok(Self {
            enc: hex_array("HPKE encapsulated key", &file.enc)?,
            ciphertext: hex_array("released share", &file.ciphertext)?,
            record_id: file.record_id,
            approver_id: file.approver,
        })
    }
}

impl From<ReleasedShare> for ReleasedShareFile {
    fn from(share: ReleasedShare) -> Self {
        Self {
            kind: RELEASED_TYPE.to_owned(),
            enc: hex::encode(share.enc),
            ciphertext: hex::encode(share.ciphertext),
            record_id: share.record_id,
            approver: share.approver_id,
        }
    }
}

/// Copies an opened share into a fixed buffer that is wiped when dropped.
fn share_value(opened: &[u8]) -> Option<Zeroizing<[u8; SHARE_LEN]>> {
    let mut value = Zeroizing::new([0u8; SHARE_LEN]);
    if opened.len() != SHARE_LEN {
        return None;
    }
    value.copy_from_slice(opened);
    Some(value)
}

/// Releases `me`'s share of `sealed` to the officer holding `officer`'s private key, for
/// the opening whose audit record hash is anchored as `anchor_hash`.
///
/// Refuses if `me` is not an approver of the record (by id and both keys), if its sealed
/// share (or, in a resealed record, a piece of it) does not open (the sealed record was
/// altered, or an old approver sealed a piece wrongly), or if the share does not verify
/// against the record's commitments: an approver never passes on a share it cannot vouch
/// for.
pub fn release_share(
    sealed: &ThresholdSealed,
    me: &ApproverSecret,
    anchor_hash: &[u8; 32],
    officer: &HpkePublicKey,
) -> Result<ReleasedShare, EscrowError> {
    let (_, value) = own_share(sealed, me)?;
    release_value(sealed, me.id(), &value, anchor_hash, officer)
}

/// Opens `me`'s share of `sealed` and checks it: `me`'s place in the approver list and the
/// share there.
///
/// For a resealed record, each piece is opened and checked against the commitments of the
/// old approver who sealed it (a wrong piece names that old approver), the pieces are
/// combined, and the result is checked against the record's commitments like any share.
pub(super) fn own_share(
    sealed: &ThresholdSealed,
    me: &ApproverSecret,
) -> Result<(u8, Zeroizing<[u8; SHARE_LEN]>), EscrowError> {
    let not_an_approver = || EscrowError::NotAnApprover {
        id: me.id().to_owned(),
        record_id: sealed.record_id().to_owned(),
    };
    let index = sealed.approver_index(me.id()).ok_or_else(not_an_approver)?;
    let (Some(slot), Some(pieces)) = (
        sealed.approvers().get(usize::from(index)),
        sealed.pieces(index),
    ) else {
        return Err(not_an_approver());
    };
    if *slot != me.public() {
        return Err(not_an_approver());
    }
    let does_not_open = || EscrowError::ShareDoesNotOpen {
        approver: me.id().to_owned(),
    };
    let value = match (sealed.resealed(), pieces) {
        (None, [share]) => {
            let opened = hpke_open(
                me.hpke_secret(),
                &share.enc,
                &share_info(sealed.record_id()),
                &share_aad(&sealed.digest(), index, me.id()),
                &share.ciphertext,
            )
            .ok_or_else(does_not_open)?;
            share_value(&opened).ok_or_else(does_not_open)?
        }
        (Some(resealed), pieces) if pieces.len() == resealed.contributors.len() => {
            let approver_set = approver_set_digest(sealed.threshold(), sealed.approvers());
            let info = reshare_info(sealed.record_id());
            let mut values = Vec::with_capacity(pieces.len());
            for (contributor, piece) in resealed.contributors.iter().zip(pieces) {
                let does_not_open = || EscrowError::PieceDoesNotOpen {
                    approver: me.id().to_owned(),
                    contributor: contributor.id.clone(),
                };
                let digest = contribution_digest(
                    &resealed.previous,
                    &approver_set,
                    contributor.index,
                    &contributor.id,
                    &contributor.commitments,
                );
                let opened = hpke_open(
                    me.hpke_secret(),
                    &piece.enc,
                    &info,
                    &share_aad(&digest, index, me.id()),
                    &piece.ciphertext,
                )
                .ok_or_else(does_not_open)?;
                let value = share_value(&opened).ok_or_else(does_not_open)?;
                if !feldman::verify(&contributor.commitments, index, &value) {
                    return Err(EscrowError::PieceDoesNotVerify {
                        approver: me.id().to_owned(),
                        contributor: contributor.id.clone(),
                    });
                }
                values.push((contributor.index, value));
            }
            feldman::interpolate(&values)?
        }
        _ => return Err(does_not_open()),
    };
    if !feldman::verify(sealed.commitments(), index, &value) {
        return Err(EscrowError::ShareDoesNotVerify {
            approver: me.id().to_owned(),
        });
    }
    Ok((index, value))
}

/// Seals the share `value` of approver `approver_id` to `officer` for `sealed` and
/// `anchor_hash`, without checking it.
pub(super) fn release_value(
    sealed: &ThresholdSealed,
    approver_id: &str,
    value: &[u8; SHARE_LEN],
    anchor_hash: &[u8; 32],
    officer: &HpkePublicKey,
) -> Result<ReleasedShare, EscrowError> {
    let mut rng = rng()?;
    let (enc, released) = hpke_seal(
        "the officer",
        officer,
        &release_info(sealed.record_id(), anchor_hash, approver_id),
        &sealed.digest(),
        value,
        &mut rng,
    )?;
    let ciphertext: [u8; SEALED_SHARE_LEN] =
        released
            .as_slice()
            .try_into()
            .map_err(|_| EscrowError::Crypto {
                what: "HPKE sealing",
                reason: format!("a released share of {} bytes", released.len()),
            })?;
    Ok(ReleasedShare {
        record_id: sealed.record_id().to_owned(),
        approver_id: approver_id.to_owned(),
        enc,
        ciphertext,
    })
}

/// Opens `sealed` from shares its approvers released to `officer` for the opening anchored
/// as `anchor_hash`.
///
/// Every released share must be for this record and this anchor hash, from an approver of
/// the record, and must verify against the record's commitments; the first that is not
/// stops the opening with an error naming its approver (leave it out and try again with
/// the others). An approver's share given twice counts once. At least the record's
/// threshold of distinct approvers is needed, and at most [`MAX_RELEASED_SHARES`] shares
/// are read.
pub fn open(
    sealed: &ThresholdSealed,
    released: &[ReleasedShare],
    officer: &OfficerSecret,
    anchor_hash: &[u8; 32],
) -> Result<Vec<u8>, EscrowError> {
    if released.len() > MAX_RELEASED_SHARES {
        return Err(EscrowError::TooLarge {
            what: "the released shares",
            len: released.len(),
            max: MAX_RELEASED_SHARES,
        });
    }
    let need = usize::from(sealed.threshold());
    let digest = sealed.digest();
    let mut valid: Vec<(u8, Zeroizing<[u8; SHARE_LEN]>)> = Vec::with_capacity(need);
    for share in released {
        if share.record_id != sealed.record_id() {
            return Err(EscrowError::WrongRecord {
                expected: sealed.record_id().to_owned(),
                found: share.record_id.clone(),
            });
        }
        let approver = &share.approver_id;
        let index = sealed
            .approver_index(approver)
            .ok_or_else(|| EscrowError::NotAnApprover {
                id: approver.clone(),
                record_id: sealed.record_id().to_owned(),
            })?;
        let does_not_open = || EscrowError::ReleaseDoesNotOpen {
            approver: approver.clone(),
        };
        let opened = hpke_open(
            officer.hpke_secret(),
            &share.enc,
            &release_info(sealed.record_id(), anchor_hash, approver),
            &digest,
            &share.ciphertext,
        )
        .ok_or_else(does_not_open)?;
        let value = share_value(&opened).ok_or_else(does_not_open)?;
        if !feldman::verify(sealed.commitments(), index, &value) {
            return Err(EscrowError::ShareDoesNotVerify {
                approver: approver.clone(),
            });
        }
        // Two verified shares of one approver are the same point of the polynomial.
        if valid.iter().all(|(seen, _)| *seen != index) {
            valid.push((index, value));
        }
    }
    if valid.len() < need {
        return Err(EscrowError::NotEnoughShares {
            have: valid.len(),
            need,
        });
    }
    valid.truncate(need);
    let secret = feldman::combine(sealed.commitments(), &valid)?;
    let key = data_key(&secret, sealed.record_id())?;
    record_open(
        &key,
        sealed.nonce(),
        &record_aad(&sealed.origin()),
        sealed.ciphertext(),
    )
}
