//! Re-sealing identity records to a new approver set, without anyone opening them.
//!
//! Governance changes an issuer's approvers on chain: one joins, one leaves, one lost their
//! key. Records sealed before stay sealed to the set of their time, so the new approvers
//! could not release a share for them and a removed approver still could. Re-sealing fixes
//! both without the record ever being decrypted: each of k approvers of a record's old set
//! shares its own share again to the new set (`realdid_core::escrow::reshare_contribution`,
//! on the approver's own device, against the set it read from the chain itself); the issuer
//! collects the contributions, and once k are in, combines them into a sealing to the new
//! set (`escrow::reshare`) and deletes the old one. The issuer holds no secret throughout.
//!
//! Listing the records to re-seal shows an approver which DIDs one person enrolled
//! together (a record is named `<DID> <enrolment id>`): only an approver of the record's
//! sealing may list it, by signing the issuer's fresh nonce.

use realdid_core::codec::ApproverSet;
use realdid_core::escrow::{ApproverPublic, ReshareContribution, ThresholdSealed};
use realdid_core::keys::{DidKey, SignatureRule};
use serde::{Deserialize, Serialize};

use super::{Issuer, limits};
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::nonces::Purpose;
use crate::privacy::escrow::approvers;
use crate::store::{Batch, EnrolmentRecord, LogEntry, columns};

/// The most records one ListReseals page holds.
pub const MAX_RESEAL_PAGE: u32 = 256;
/// The records one ListReseals page holds when the caller does not say.
const DEFAULT_RESEAL_PAGE: u32 = 64;
/// The most enrolments one ListReseals call reads, so that a call costs a bounded amount
/// however few of them need re-sealing.
const MAX_ENROLMENTS_SCANNED: usize = 4096;
/// The most contributions one SubmitReshares call carries.
pub const MAX_CONTRIBUTIONS_PER_CALL: usize = 256;

/// A contribution kept until k have come in for its record, with the height of the
/// approver set on chain it was made for (one made for an older set no longer counts).
#[derive(Serialize, Deserialize)]
struct Pending {
    set_height: u64,
    contribution: ReshareContribution,
}

/// The key of `approver`'s pending contribution for `record`.
fn pending_key(record: &str, approver: &str) -> Vec<u8> {
    let mut key = pending_prefix(record);
    key.extend_from_slice(approver.as_bytes());
    key
}

/// The prefix of the pending contributions for `record`.
fn pending_prefix(record: &str) -> Vec<u8> {
    let mut key = record.as_bytes().to_vec();
    key.push(0);
    key
}

/// Whether `sealed` is sealed to exactly `threshold` of `target`.
fn sealed_to(sealed: &ThresholdSealed, threshold: u8, target: &[ApproverPublic]) -> bool {
    sealed.threshold() == threshold && sealed.approvers() == target
}

/// The enrolment id a record id names (`<DID> <enrolment id>`).
fn enrolment_of(record_id: &str) -> Result<&str, IssuerError> {
    record_id
        .split_once(' ')
        .map(|(_, enrolment)| enrolment)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            IssuerError::InvalidRequest(format!("{record_id:?} names no record of this issuer"))
        })
}

/// What one SubmitReshares call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResealOutcome {
    /// Records re-sealed to the set on chain.
    pub resealed: u32,
    /// Records that wait for more contributions.
    pub waiting: u32,
}

impl<A: IdentityAuthority> Issuer<A> {
    /// The approvers on chain with the height that set them, or why re-sealing cannot go
    /// ahead. Read afresh, not from the register cache: re-sealing follows a change of the
    /// set, and is rare.
    async fn target_set(&self) -> Result<(ApproverSet, Vec<ApproverPublic>, u64), IssuerError> {
        let named = self
            .registry
            .accreditation(&self.did())
            .await?
            .and_then(|record| record.trace_approvers)
            .ok_or_else(|| {
                IssuerError::FailedPrecondition(
                    "this issuer has no trace approvers on chain to re-seal to".into(),
                )
            })?;
        let target = approvers(&named.set)?;
        Ok((named.set, target, named.height))
    }

    /// ListReseals: the records sealed to another set than the one on chain that
    /// `approver_id` with `approval_key` holds a share of and has no pending contribution
    /// for, after enrolment `after`; and where the next page starts.
    pub async fn reseal_work(
        &self,
        approver_id: &str,
        approval_key: &str,
        nonce: &str,
        signature: &[u8],
        after: &str,
        page_size: u32,
    ) -> Result<(Vec<ThresholdSealed>, Option<String>, u64), IssuerError> {
        limits::text("approver_id", approver_id, 1, 64)?;
        limits::text("approval_key", approval_key, 1, 256)?;
        limits::text("after_enrolment", after, 0, 128)?;
        limits::nonce(nonce)?;
        let key = DidKey::parse(approval_key)
            .map_err(|e| IssuerError::InvalidRequest(format!("approval_key: {e}")))?;
        let now = self.now_ms();
        self.nonces
            .take(nonce, Purpose::Reseal, now)
            .map_err(|r| IssuerError::Unauthenticated(r.to_string()))?;
        let input = realdid_core::trace::reseal_list_input(self.did().as_str(), nonce, approver_id);
        key.public_key()
            .verify_under(SignatureRule::Chain, &input, signature)
            .map_err(|_| {
                IssuerError::Unauthenticated(format!(
                    "the request is not signed by {approver_id}'s key {approval_key}"
                ))
            })?;
        let (set, target, set_height) = self.target_set().await?;
        let page = match page_size {
            0 => DEFAULT_RESEAL_PAGE,
            n => n.min(MAX_RESEAL_PAGE),
        } as usize;
        let (enrolments, more) = self.store.scan_after::<EnrolmentRecord>(
            columns::ENROLMENTS,
            after.as_bytes(),
            MAX_ENROLMENTS_SCANNED,
        )?;
        let mut work = Vec::new();
        let mut next = more
            .then(|| enrolments.last().map(|(_, e)| e.id.clone()))
            .flatten();
        for (_, enrolment) in &enrolments {
            let mut found = Vec::new();
            for sealed in &enrolment.escrow {
                let holds = sealed.approvers().iter().any(|a| {
                    a.id() == approver_id
                        && a.approval_public_key().to_bytes() == key.public_key().to_bytes()
                });
                if !holds || sealed_to(sealed, set.threshold, &target) {
                    continue;
                }
                let pending = self.store.get::<Pending>(
                    columns::RESEALS,
                    &pending_key(sealed.record_id(), approver_id),
                )?;
                if pending.is_some_and(|p| p.set_height == set_height) {
                    continue;
                }
                found.push(sealed.clone());
            }
            // A page ends between enrolments, so the next starts after the last one listed.
            if !work.is_empty() && work.len() + found.len() > page {
                next = Some(previous_id(&enrolments, &enrolment.id));
                break;
            }
            work.extend(found);
        }
        Ok((work, next, set_height))
    }

    /// SubmitReshares: keeps each contribution, and re-seals each record that has k of
    /// them for the set on chain.
    pub async fn submit_reshares(
        &self,
        contributions: &[String],
    ) -> Result<ResealOutcome, IssuerError> {
        if contributions.is_empty() || contributions.len() > MAX_CONTRIBUTIONS_PER_CALL {
            return Err(IssuerError::InvalidRequest(format!(
                "contributions: 1 to {MAX_CONTRIBUTIONS_PER_CALL}"
            )));
        }
        let mut parsed = Vec::with_capacity(contributions.len());
        for (i, json) in contributions.iter().enumerate() {
            let contribution = ReshareContribution::from_json(json)
                .map_err(|e| IssuerError::InvalidRequest(format!("contributions[{i}]: {e}")))?;
            parsed.push(contribution);
        }
        let (set, target, set_height) = self.target_set().await?;
        let _guard = super::lock(&self.store.write_lock);
        let mut touched = Vec::new();
        for (i, contribution) in parsed.into_iter().enumerate() {
            let record = contribution.record_id().to_owned();
            let enrolment_id = enrolment_of(&record)?;
            let enrolment = self.store.enrolment(enrolment_id)?.ok_or_else(|| {
                IssuerError::InvalidRequest(format!(
                    "contributions[{i}]: no enrolment {enrolment_id}"
                ))
            })?;
            let Some(sealed) = enrolment.escrow.iter().find(|s| s.record_id() == record) else {
                return Err(IssuerError::InvalidRequest(format!(
                    "contributions[{i}]: enrolment {enrolment_id} holds no record {record:?}"
                )));
            };
            if sealed.digest() != contribution.sealing_digest() {
                return Err(IssuerError::InvalidRequest(format!(
                    "contributions[{i}]: made for a sealing of {record:?} the issuer no longer \
                     holds (re-sealed already?)"
                )));
            }
            contribution
                .check(sealed, set.threshold, &target)
                .map(|_| ())
                .map_err(|e| IssuerError::InvalidRequest(format!("contributions[{i}]: {e}")))?;
            let mut batch = Batch::default();
            batch.put(
                columns::RESEALS,
                pending_key(&record, contribution.approver_id()),
                &Pending {
                    set_height,
                    contribution,
                },
            )?;
            self.store.write(batch)?;
            if !touched.contains(&record) {
                touched.push(record);
            }
        }
        let mut outcome = ResealOutcome::default();
        for record in touched {
            if self.reseal_if_ready(&record, &set, &target, set_height)? {
                outcome.resealed += 1;
            } else {
                outcome.waiting += 1;
            }
        }
        Ok(outcome)
    }

    /// Re-seals `record` once k contributions for the set at `set_height` are in; drops
    /// contributions made for an older set. The caller holds the write lock.
    fn reseal_if_ready(
        &self,
        record: &str,
        set: &ApproverSet,
        target: &[ApproverPublic],
        set_height: u64,
    ) -> Result<bool, IssuerError> {
        let enrolment_id = enrolment_of(record)?;
        let mut enrolment = self.store.enrolment(enrolment_id)?.ok_or_else(|| {
            IssuerError::Corrupt(format!("enrolment {enrolment_id} went missing"))
        })?;
        let Some(place) = enrolment
            .escrow
            .iter()
            .position(|s| s.record_id() == record)
        else {
            return Err(IssuerError::Corrupt(format!(
                "enrolment {enrolment_id} lost record {record:?}"
            )));
        };
        let prefix = pending_prefix(record);
        let mut batch = Batch::default();
        let mut current = Vec::new();
        for (key, pending) in self.store.scan::<Pending>(columns::RESEALS, &prefix)? {
            if pending.set_height == set_height {
                current.push(pending.contribution);
            } else {
                batch.delete(columns::RESEALS, key);
            }
        }
        let sealed = &enrolment.escrow[place];
        if current.len() < usize::from(sealed.threshold()) {
            self.store.write(batch)?;
            return Ok(false);
        }
        let resealed = realdid_core::escrow::reshare(sealed, set.threshold, target, &current)
            .map_err(|e| IssuerError::InvalidRequest(format!("re-sealing {record:?}: {e}")))?;
        enrolment.escrow[place] = resealed;
        for key in self.store.keys(columns::RESEALS, &prefix)? {
            batch.delete(columns::RESEALS, key);
        }
        batch.put(
            columns::ENROLMENTS,
            enrolment.id.clone().into_bytes(),
            &enrolment,
        )?;
        self.store.log(
            &mut batch,
            &LogEntry {
                at_ms: self.now_ms(),
                actor: format!(
                    "approvers:{}",
                    current
                        .iter()
                        .map(|c| c.approver_id())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                action: "trace.reseal".into(),
                detail: format!(
                    "enrolment={} k={} n={} set_height={set_height}",
                    enrolment.id,
                    set.threshold,
                    target.len()
                ),
            },
        )?;
        self.store.write(batch)?;
        Ok(true)
    }
}

/// The id of the enrolment before `id` in `enrolments` (the empty string before the
/// first): where a page that ends before `id` resumes.
fn previous_id(enrolments: &[(Vec<u8>, EnrolmentRecord)], id: &str) -> String {
    enrolments
        .iter()
        .take_while(|(_, e)| e.id != id)
        .last()
        .map(|(_, e)| e.id.clone())
        .unwrap_or_default()
}
