//! Re-sealing a record to a new approver set, without anyone seeing its secret.
//!
//! When governance changes an issuer's approvers, its records must become openable by the
//! new set, and decrypting them to seal them again would put every record in the clear on
//! someone's machine. Resharing (Desmedt–Jajodia; Herzberg et al.'s proactive secret
//! sharing) moves the secret instead: `k` old approvers each share their own share again,
//! `k'`-of-`n'`, to the new approvers, with Feldman commitments to the sub-sharing. A new
//! approver's share is the Lagrange combination of the sub-shares it received, which only
//! it can open; the new commitments are the same combination of the sub-commitments,
//! which anyone can compute. The secret, and so the record's key and ciphertext, stay the
//! same.
//!
//! The coordinator (the issuer) holds no secret and learns none: it checks that each
//! contribution is signed by the old approver it names, is made for this sealing and this
//! new set, and reshares that approver's true share (its first sub-commitment is the public
//! image of the share, which the old commitments give). A new approver opening its pieces
//! checks each against its contributor's sub-commitments, so a contributor who sealed a
//! wrong piece is named then.

use serde::{Deserialize, Serialize};

use super::approver_keys::{ApproverPublic, ApproverSecret};
use super::binding::{
    approver_set_digest, contribution_digest, contribution_signing_input, reshare_info, share_aad,
};
use super::sealed::{Contributor, Resealing, SealedShare, ThresholdSealed, check_sealing};
use super::share::own_share;
use super::suite::{SHARE_LEN, hex_array, hpke_seal, rng};
use super::{
    EscrowError, MAX_APPROVERS, MAX_ID_LEN, MAX_RECORD_ID_LEN, MAX_RESHARE_CONTRIBUTION_JSON_LEN,
    MAX_RESHARE_CONTRIBUTIONS, MAX_SEALED_JSON_LEN, check_id, feldman,
};

/// The `type` of a reshare contribution.
const CONTRIBUTION_TYPE: &str = "realdid-escrow-reshare-contribution-v1";

/// One old approver's part of resharing a record: its share, shared again to the new
/// approvers, signed with its approval key.
///
/// It names the sealing it reshares (by digest), the old approver (id and place), and the
/// new approver set (by digest); it holds the commitments to the sub-sharing and one
/// HPKE-sealed sub-share per new approver. Nothing in it opens anything for whoever relays
/// it.
///
/// Serialised as JSON: `{"type": "realdid-escrow-reshare-contribution-v1", "record_id",
/// "sealing", "approver_set", "approver", "index", "commitments", "sub_shares",
/// "signature"}` with digests, points, sealed sub-shares and the signature in hex.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ReshareContributionFile", into = "ReshareContributionFile")]
pub struct ReshareContribution {
    pub(super) record_id: String,
    /// The digest of the sealing reshared.
    pub(super) sealing: [u8; 32],
    /// The digest of the new threshold and approvers.
    pub(super) approver_set: [u8; 32],
    /// The old approver.
    pub(super) approver_id: String,
    /// Its place in the sealing reshared.
    pub(super) index: u8,
    /// The commitments to the sub-sharing; the first is `g^share`.
    pub(super) commitments: Vec<[u8; 32]>,
    /// One sealed sub-share per new approver, in the new set's order.
    pub(super) sub_shares: Vec<SealedShare>,
    /// Ed25519, by the old approver's approval key, over [`contribution_signing_input`].
    pub(super) signature: [u8; 64],
}

/// A reshare contribution as sent.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReshareContributionFile {
    #[serde(rename = "type")]
    kind: String,
    record_id: String,
    sealing: String,
    approver_set: String,
    approver: String,
    index: u8,
    commitments: Vec<String>,
    sub_shares: Vec<SubShareFile>,
    signature: String,
}

/// One sealed sub-share as sent.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubShareFile {
    enc: String,
    ciphertext: String,
}

impl ReshareContribution {
    /// The record whose sealing it reshares.
    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// The old approver who made it.
    pub fn approver_id(&self) -> &str {
        &self.approver_id
    }

    /// The digest ([`ThresholdSealed::digest`]) of the sealing it reshares.
    pub fn sealing_digest(&self) -> [u8; 32] {
        self.sealing
    }

    /// Checks this contribution on its own, as the coordinator can before keeping it: it
    /// names `sealed` and the new set, comes from an approver of `sealed` at its place, has
    /// the new set's shape, is signed by that approver and reshares that approver's true
    /// share. Returns the approver's place. What it cannot check is inside the pieces
    /// sealed to the new approvers; each of them checks its own on release.
    pub fn check(
        &self,
        sealed: &ThresholdSealed,
        new_threshold: u8,
        new_approvers: &[ApproverPublic],
    ) -> Result<u8, EscrowError> {
        let contribution = self;
        let sealing = sealed.digest();
        let approver_set = approver_set_digest(new_threshold, new_approvers);
        let approver = contribution.approver_id.clone();
        let what = if contribution.record_id != sealed.record_id() {
            Some("record")
        } else if contribution.sealing != sealing {
            Some("sealing")
        } else if contribution.approver_set != approver_set {
            Some("new approver set")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(EscrowError::ContributionMismatch { approver, what });
        }
        let index = sealed
            .approver_index(&approver)
            .ok_or_else(|| EscrowError::NotAnApprover {
                id: approver.clone(),
                record_id: sealed.record_id().to_owned(),
            })?;
        let Some(public) = sealed.approvers().get(usize::from(index)) else {
            return Err(EscrowError::NotAnApprover {
                id: approver,
                record_id: sealed.record_id().to_owned(),
            });
        };
        let reason = if contribution.index != index {
            Some(format!(
                "it gives index {}, the approver's place is {index}",
                contribution.index
            ))
        } else if contribution.commitments.len() != usize::from(new_threshold)
            || contribution.sub_shares.len() != new_approvers.len()
        {
            Some(format!(
                "{} commitments and {} sub-shares for a threshold of {new_threshold} of {}",
                contribution.commitments.len(),
                contribution.sub_shares.len(),
                new_approvers.len()
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(EscrowError::ContributionMalformed { approver, reason });
        }
        if !contribution.is_signed_by(public) {
            return Err(EscrowError::ContributionSignatureInvalid { approver });
        }
        let image = feldman::public_share(sealed.commitments(), index);
        if image.is_none() || contribution.commitments.first() != image.as_ref() {
            return Err(EscrowError::ContributionNotOfShare { approver });
        }
        Ok(index)
    }

    /// The digest the sub-shares are bound to.
    pub(super) fn digest(&self) -> [u8; 32] {
        contribution_digest(
            &self.sealing,
            &self.approver_set,
            self.index,
            &self.approver_id,
            &self.commitments,
        )
    }

    /// Signs the contribution as it now stands with `me`'s approval key.
    pub(super) fn sign(&mut self, me: &ApproverSecret) -> Result<(), EscrowError> {
        let input = contribution_signing_input(&self.digest(), &self.sub_shares);
        let signature = me
            .approval_key()
            .sign(&input)
            .map_err(|e| EscrowError::Crypto {
                what: "Ed25519 signing",
                reason: e.to_string(),
            })?;
        self.signature = signature
            .as_slice()
            .try_into()
            .map_err(|_| EscrowError::Crypto {
                what: "Ed25519 signing",
                reason: format!("a signature of {} bytes", signature.len()),
            })?;
        Ok(())
    }

    /// Whether it is signed by `approver`'s approval key.
    fn is_signed_by(&self, approver: &ApproverPublic) -> bool {
        let input = contribution_signing_input(&self.digest(), &self.sub_shares);
        approver
            .approval_public_key()
            .verify(&input, &self.signature)
            .is_ok()
    }

    /// The contribution, as JSON.
    pub fn to_json(&self) -> Result<String, EscrowError> {
        serde_json::to_string(self).map_err(|e| EscrowError::Malformed {
            what: "reshare contribution",
            reason: e.to_string(),
        })
    }

    /// Reads a contribution written by [`ReshareContribution::to_json`], at most
    /// [`MAX_RESHARE_CONTRIBUTION_JSON_LEN`] bytes.
    pub fn from_json(text: &str) -> Result<Self, EscrowError> {
        if text.len() > MAX_RESHARE_CONTRIBUTION_JSON_LEN {
            return Err(EscrowError::TooLarge {
                what: "reshare contribution",
                len: text.len(),
                max: MAX_RESHARE_CONTRIBUTION_JSON_LEN,
            });
        }
        serde_json::from_str(text).map_err(|e| EscrowError::Malformed {
            what: "reshare contribution",
            reason: e.to_string(),
        })
    }
}

impl std::fmt::Debug for ReshareContribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReshareContribution")
            .field("record_id", &self.record_id)
            .field("sealing", &hex::encode(self.sealing))
            .field("approver_id", &self.approver_id)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl TryFrom<ReshareContributionFile> for ReshareContribution {
    type Error = EscrowError;

    fn try_from(file: ReshareContributionFile) -> Result<Self, EscrowError> {
        let malformed = |reason: String| EscrowError::Malformed {
            what: "reshare contribution",
            reason,
        };
        if file.kind != CONTRIBUTION_TYPE {
            return Err(malformed(format!(
                "type is {:?}, not {CONTRIBUTION_TYPE:?}",
                file.kind
            )));
        }
        check_id("record id", &file.record_id, MAX_RECORD_ID_LEN)?;
        check_id("approver id", &file.approver, MAX_ID_LEN)?;
        if usize::from(file.index) >= MAX_APPROVERS {
            return Err(malformed(format!("index {}", file.index)));
        }
        // A threshold of 2 ..= the number of new approvers, at most MAX_APPROVERS.
        let (k, n) = (file.commitments.len(), file.sub_shares.len());
        if !(2..=n).contains(&k) || n > MAX_APPROVERS {
            return Err(malformed(format!("{k} commitments and {n} sub-shares")));
        }
        let mut commitments = Vec::with_capacity(k);
        for (m, text) in file.commitments.iter().enumerate() {
            let bytes: [u8; 32] = hex_array("Feldman commitment", text)?;
            if feldman::decode_point(&bytes).is_none() {
                return Err(malformed(format!(
                    "commitment {m} is not a ristretto255 point"
                )));
            }
            commitments.push(bytes);
        }
        let sub_shares = file
            .sub_shares
            .iter()
            .map(|s| {
                Ok(SealedShare {
                    enc: hex_array("HPKE encapsulated key", &s.enc)?,
                    ciphertext: hex_array("sealed sub-share", &s.ciphertext)?,
                })
            })
            .collect::<Result<_, EscrowError>>()?;
        Ok(Self {
            sealing: hex_array("sealing digest", &file.sealing)?,
            approver_set: hex_array("approver set digest", &file.approver_set)?,
            signature: hex_array("signature", &file.signature)?,
            record_id: file.record_id,
            approver_id: file.approver,
            index: file.index,
            commitments,
            sub_shares,
        })
    }
}

impl From<ReshareContribution> for ReshareContributionFile {
    fn from(contribution: ReshareContribution) -> Self {
        Self {
            kind: CONTRIBUTION_TYPE.to_owned(),
            sealing: hex::encode(contribution.sealing),
            approver_set: hex::encode(contribution.approver_set),
            index: contribution.index,
            commitments: contribution.commitments.iter().map(hex::encode).collect(),
            sub_shares: contribution
                .sub_shares
                .iter()
                .map(|s| SubShareFile {
                    enc: hex::encode(s.enc),
                    ciphertext: hex::encode(s.ciphertext),
                })
                .collect(),
            signature: hex::encode(contribution.signature),
            record_id: contribution.record_id,
            approver: contribution.approver_id,
        }
    }
}

/// `me`'s contribution to resharing `sealed` `new_threshold`-of-n to `new_approvers` (in
/// this order): `me`'s share, checked as [`release_share`](super::release_share) checks it,
/// shared again with fresh randomness, each sub-share sealed to its new approver for this
/// sealing and this new set, the whole signed with `me`'s approval key.
///
/// `me` should make one only for a new set that governance approved: the contribution is
/// bound to that set (threshold, approvers and their keys), and to nothing else can it be
/// redirected. The new set follows [`seal`](super::seal)'s rules; it may share approvers
/// with the old one, whose new shares are unrelated to their old ones.
pub fn reshare_contribution(
    sealed: &ThresholdSealed,
    me: &ApproverSecret,
    new_threshold: u8,
    new_approvers: &[ApproverPublic],
) -> Result<ReshareContribution, EscrowError> {
    check_sealing(sealed.record_id(), new_threshold, new_approvers)?;
    let (index, value) = own_share(sealed, me)?;
    contribution_of_value(sealed, me, index, &value, new_threshold, new_approvers)
}

/// The contribution of `me` at `index` resharing `value`, unchecked: what
/// [`reshare_contribution`] makes of `me`'s verified share.
pub(super) fn contribution_of_value(
    sealed: &ThresholdSealed,
    me: &ApproverSecret,
    index: u8,
    value: &[u8; SHARE_LEN],
    new_threshold: u8,
    new_approvers: &[ApproverPublic],
) -> Result<ReshareContribution, EscrowError> {
    let count = u8::try_from(new_approvers.len()).map_err(|_| EscrowError::TooLarge {
        what: "the approver list",
        len: new_approvers.len(),
        max: MAX_APPROVERS,
    })?;
    let mut rng = rng()?;
    let split = feldman::split_value(value, new_threshold, count, &mut rng)?;
    let mut contribution = ReshareContribution {
        record_id: sealed.record_id().to_owned(),
        sealing: sealed.digest(),
        approver_set: approver_set_digest(new_threshold, new_approvers),
        approver_id: me.id().to_owned(),
        index,
        commitments: split.commitments.clone(),
        sub_shares: Vec::with_capacity(new_approvers.len()),
        signature: [0u8; 64],
    };
    let digest = contribution.digest();
    let info = reshare_info(sealed.record_id());
    for ((j, approver), share) in (0..count).zip(new_approvers).zip(&split.shares) {
        let (enc, sealed_share) = hpke_seal(
            &format!("approver {:?}", approver.id()),
            approver.hpke_public_key(),
            &info,
            &share_aad(&digest, j, approver.id()),
            share.as_ref(),
            &mut rng,
        )?;
        contribution
            .sub_shares
            .push(SealedShare::from_hpke(enc, &sealed_share)?);
    }
    contribution.sign(me)?;
    Ok(contribution)
}

/// Reseals `sealed` `new_threshold`-of-n to `new_approvers` (in this order) from its old
/// approvers' `contributions`; run by the coordinator, who needs no secret.
///
/// Every contribution must name this record, this sealing and this new set, come from an
/// old approver at its place, be signed by that approver's approval key, have the new
/// set's shape, and reshare that approver's true share; the first that does not stops the
/// resharing with an error naming its approver (leave it out and try again). At least the
/// old threshold of distinct old approvers is needed, at most [`MAX_RESHARE_CONTRIBUTIONS`]
/// contributions are read, and those of the lowest indices are used.
///
/// The result keeps the record's nonce and ciphertext; `sealed` is not changed. It opens
/// with `new_threshold` of the new approvers, each of whom can check its share with
/// [`release_share`](super::release_share) or [`reshare_contribution`]: the old sealing
/// should be deleted only then, and must be deleted then, since its old shares still open
/// it. A result larger than [`MAX_SEALED_JSON_LEN`] as JSON is refused.
pub fn reshare(
    sealed: &ThresholdSealed,
    new_threshold: u8,
    new_approvers: &[ApproverPublic],
    contributions: &[ReshareContribution],
) -> Result<ThresholdSealed, EscrowError> {
    check_sealing(sealed.record_id(), new_threshold, new_approvers)?;
    if contributions.len() > MAX_RESHARE_CONTRIBUTIONS {
        return Err(EscrowError::TooLarge {
            what: "the reshare contributions",
            len: contributions.len(),
            max: MAX_RESHARE_CONTRIBUTIONS,
        });
    }
    let sealing = sealed.digest();
    let mut valid: Vec<&ReshareContribution> = Vec::with_capacity(contributions.len());
    for contribution in contributions {
        let index = contribution.check(sealed, new_threshold, new_approvers)?;
        let approver = contribution.approver_id.clone();
        if valid.iter().any(|seen| seen.index == index) {
            return Err(EscrowError::DuplicateContribution { approver });
        }
        valid.push(contribution);
    }
    let need = usize::from(sealed.threshold());
    if valid.len() < need {
        return Err(EscrowError::NotEnoughContributions {
            have: valid.len(),
            need,
        });
    }
    valid.sort_by_key(|c| c.index);
    valid.truncate(need);

    let sets: Vec<(u8, &[[u8; 32]])> = valid
        .iter()
        .map(|c| (c.index, c.commitments.as_slice()))
        .collect();
    let commitments =
        feldman::combine_commitments(&sets, usize::from(new_threshold)).ok_or_else(|| {
            EscrowError::Crypto {
                what: "resharing",
                reason: "the contributions' commitments do not combine".into(),
            }
        })?;
    // The interpolation of the old shares' images at 0 is the secret's: a contribution
    // that passed the checks above cannot change it.
    if commitments.first() != sealed.commitments().first() {
        return Err(EscrowError::Crypto {
            what: "resharing",
            reason: "the new commitments do not fix the record's secret".into(),
        });
    }
    let shares: Vec<Vec<SealedShare>> = (0..new_approvers.len())
        .map(|j| {
            valid
                .iter()
                .filter_map(|c| c.sub_shares.get(j).cloned())
                .collect()
        })
        .collect();
    let contributors = valid
        .iter()
        .map(|c| Contributor {
            index: c.index,
            id: c.approver_id.clone(),
            commitments: c.commitments.clone(),
        })
        .collect();
    let resealed = sealed.resealed_to(
        new_threshold,
        new_approvers,
        commitments,
        Resealing {
            origin: sealed.origin(),
            previous: sealing,
            contributors,
        },
        shares,
    );
    let len = resealed.to_json()?.len();
    if len > MAX_SEALED_JSON_LEN {
        return Err(EscrowError::TooLarge {
            what: "the resealed record",
            len,
            max: MAX_SEALED_JSON_LEN,
        });
    }
    Ok(resealed)
}
