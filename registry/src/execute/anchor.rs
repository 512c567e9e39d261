//! Status-list and audit anchors: hashes an accredited issuer signs with an assertionMethod
//! key of its DID.

use realdid_core::codec::{
    AuditAnchor, IssuerSigned, StatusListAnchor, TraceApproval, TraceDisclosure,
};
use realdid_core::did::Purposes;
use realdid_core::keys::SignatureRule;
use realdid_core::trace::holder_commitment;

use super::did::read_did;
use super::governance::read_issuer;
use super::{BlockContext, RejectReason, Rejection, StateView, Writes, put, read_record};
use crate::RegistryError;
use crate::state::keys::{StateKey, utc_day};
use crate::state::records::{
    AuditAnchorRecord, DisclosureRecord, IssuerRecord, StatusAnchorRecord, TransparencyCounts,
};

/// Checks that the anchor's issuer is accredited and that its signer is one of the issuer's
/// live assertionMethod keys whose signature, made for this chain, verifies.
fn check_signed_by_issuer(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    anchor: &impl IssuerSigned,
) -> Result<Result<(), Rejection>, RegistryError> {
    let signatures = ctx.signatures;
    let (issuer, signer) = (anchor.issuer(), anchor.signer());
    let reject = |reason, message: String| Ok(Err(Rejection::new(reason, message)));
    match read_issuer(view, &StateKey::Issuer(issuer.clone()))? {
        Some(record) if record.is_accredited() => {}
        Some(_) => {
            return reject(
                RejectReason::IssuerNotAccredited,
                format!("issuer {issuer} was removed from the register"),
            );
        }
        None => {
            return reject(
                RejectReason::IssuerNotAccredited,
                format!("issuer {issuer} is not on the register"),
            );
        }
    }
    let record = match read_did(view, &StateKey::Did(issuer.clone()))? {
        Some(record) => record,
        None => {
            return reject(
                RejectReason::DidNotFound,
                format!("issuer {issuer} is not registered on the chain"),
            );
        }
    };
    if record.state.is_deactivated() {
        return reject(
            RejectReason::DidDeactivated,
            format!("issuer {issuer} is deactivated"),
        );
    }
    let Some(key) = record.state.key_for(signer, Purposes::ASSERTION_METHOD) else {
        return reject(
            RejectReason::Unauthorized,
            format!("{issuer}#{signer} is not an assertionMethod key of the issuer"),
        );
    };
    if signatures
        .check(
            SignatureRule::Chain,
            key,
            &anchor.signed_bytes(&ctx.governance.chain),
            &anchor.signature().0,
        )
        .is_err()
    {
        return reject(
            RejectReason::BadSignature,
            format!("anchor signature by {issuer}#{signer} does not verify"),
        );
    }
    Ok(Ok(()))
}

/// How far one status anchor may move its list's sequence ahead. Sequences only go up, so
/// an anchor at `u64::MAX` (a slip, or a stolen issuing key) would leave the list unable to
/// take another anchor: its revocations could never be published again. An issuer moves by
/// one, skipping only the sequences of publications that never reached the chain.
pub const MAX_SEQUENCE_STEP: u64 = 1 << 20;

pub(super) fn check_status(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    anchor: &StatusListAnchor,
) -> Result<Result<Writes, Rejection>, RegistryError> {
    let reject = |reason, message: String| Ok(Err(Rejection::new(reason, message)));
    if anchor.list_id.is_empty() {
        return reject(RejectReason::Malformed, "status list id is empty".into());
    }
    if anchor.sequence == 0 {
        return reject(
            RejectReason::Malformed,
            "status list sequences start at 1".into(),
        );
    }
    if let Err(rejection) = check_signed_by_issuer(view, ctx, anchor)? {
        return Ok(Err(rejection));
    }
    let key = StateKey::StatusList {
        issuer: anchor.issuer.clone(),
        list_id: anchor.list_id.clone(),
    };
    let previous = read_record::<StatusAnchorRecord>(view, &key, "status anchor")?
        .map(|current| (current.anchor.sequence, current.anchor.tally));
    let (current, previous) = previous.unwrap_or_default();
    if anchor.sequence <= current {
        return reject(
            RejectReason::AnchorConflict,
            format!(
                "status list {} is anchored at sequence {current}; sequence {} does not go forward",
                anchor.list_id, anchor.sequence
            ),
        );
    }
    if anchor.sequence - current > MAX_SEQUENCE_STEP {
        return reject(
            RejectReason::AnchorConflict,
            format!(
                "status list {} is anchored at sequence {current}; sequence {} jumps more than {MAX_SEQUENCE_STEP} ahead",
                anchor.list_id, anchor.sequence
            ),
        );
    }
    if anchor.tally.revoked < previous.revoked {
        return reject(
            RejectReason::AnchorConflict,
            format!(
                "status list {} was anchored with {} revoked entries; {} would undo a revocation",
                anchor.list_id, previous.revoked, anchor.tally.revoked
            ),
        );
    }
    let record = StatusAnchorRecord {
        anchor: anchor.clone(),
        height: ctx.height,
        timestamp_ms: ctx.timestamp_ms,
    };
    let mut writes = vec![put(key, &record)];
    let issuer_key = StateKey::Issuer(anchor.issuer.clone());
    let Some(issuer) = read_issuer(view, &issuer_key)? else {
        return Err(RegistryError::Fault(crate::error::Fault::Corrupt {
            reason: format!("issuer {} anchored without a register entry", anchor.issuer),
        }));
    };
    let revoked = anchor.tally.revoked - previous.revoked;
    let suspended = |total: u64| {
        total
            .saturating_sub(previous.suspended)
            .saturating_add(anchor.tally.suspended)
    };
    if revoked != 0 || anchor.tally.suspended != previous.suspended {
        writes.extend(count(view, ctx, issuer, |counts| {
            counts.revocations = counts.revocations.saturating_add(revoked);
            counts.suspended = suspended(counts.suspended);
        })?);
    }
    Ok(Ok(writes))
}

/// Applies `change` to the issuer's transparency totals and to its count for the block's
/// UTC day, in the same block as what is counted, so that nothing counted can happen
/// without the count showing it. A day's `suspended` is the total after the change.
fn count(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    mut issuer: IssuerRecord,
    change: impl Fn(&mut TransparencyCounts),
) -> Result<Writes, RegistryError> {
    let day_key = StateKey::TransparencyDay {
        issuer: issuer.issuer.clone(),
        day: utc_day(ctx.timestamp_ms),
    };
    let mut day =
        read_record::<TransparencyCounts>(view, &day_key, "transparency day")?.unwrap_or_default();
    change(&mut issuer.counts);
    change(&mut day);
    day.suspended = issuer.counts.suspended;
    Ok(vec![
        put(StateKey::Issuer(issuer.issuer.clone()), &issuer),
        put(day_key, &day),
    ])
}

/// How far before the block an approval may have been signed: an issuer's own policy is
/// shorter (`approval_ttl_seconds`); this bound keeps an approval from counting forever.
pub const MAX_APPROVAL_AGE_S: u64 = 30 * 24 * 3600;
/// How far after the block's time an approval may say it was signed (clock skew).
pub const APPROVAL_CLOCK_LEEWAY_S: u64 = 300;

/// Checks that the anchor carries approvals of its request from at least k distinct
/// approvers of the issuer's set on chain, each signature made for this chain and issuer,
/// and each signed recently. Without it an issuer's software alone would decide what k-of-n
/// means.
fn check_approvals(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    anchor: &AuditAnchor,
) -> Result<Result<(), Rejection>, RegistryError> {
    let issuer = &anchor.issuer;
    let reject = |reason, message: String| Ok(Err(Rejection::new(reason, message)));
    let Some(set) = read_issuer(view, &StateKey::Issuer(issuer.clone()))?
        .and_then(|record| record.trace_approvers)
        .map(|approvers| approvers.set)
    else {
        return reject(
            RejectReason::Unauthorized,
            format!("issuer {issuer} has no trace approvers on chain; governance names them"),
        );
    };
    let block_s = ctx.timestamp_ms / 1000;
    let mut counted: Vec<&str> = Vec::new();
    for approval in &anchor.approvals {
        let Some(approver) = set.by_signing_key(&approval.key) else {
            return reject(
                RejectReason::Unauthorized,
                format!(
                    "an approval is signed by {}, not one of the trace approvers of {issuer}",
                    realdid_core::keys::DidKey::from_public_key(&approval.key).did()
                ),
            );
        };
        if counted.contains(&approver.id.as_str()) {
            return reject(
                RejectReason::Malformed,
                format!("approver {} approves twice", approver.id),
            );
        }
        if approval.signed_at_s > block_s + APPROVAL_CLOCK_LEEWAY_S
            || approval.signed_at_s + MAX_APPROVAL_AGE_S < block_s
        {
            return reject(
                RejectReason::Stale,
                format!(
                    "approver {} signed at {} (Unix s), not within {MAX_APPROVAL_AGE_S} s before this block's time {block_s}",
                    approver.id, approval.signed_at_s
                ),
            );
        }
        let input = TraceApproval::signing_input(
            &ctx.governance.chain,
            issuer,
            &anchor.request_hash,
            approval.signed_at_s,
        );
        if ctx
            .signatures
            .check(
                SignatureRule::Chain,
                &approval.key,
                &input,
                &approval.signature.0,
            )
            .is_err()
        {
            return reject(
                RejectReason::BadSignature,
                format!(
                    "the approval by {} does not verify for this request",
                    approver.id
                ),
            );
        }
        counted.push(&approver.id);
    }
    if counted.len() < usize::from(set.threshold) {
        return reject(
            RejectReason::Unauthorized,
            format!(
                "{} approvals from distinct approvers of {issuer}; an opening needs {}",
                counted.len(),
                set.threshold
            ),
        );
    }
    Ok(Ok(()))
}

pub(super) fn check_audit(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    anchor: &AuditAnchor,
) -> Result<Result<Writes, Rejection>, RegistryError> {
    if let Err(rejection) = check_signed_by_issuer(view, ctx, anchor)? {
        return Ok(Err(rejection));
    }
    if let Err(rejection) = check_approvals(view, ctx, anchor)? {
        return Ok(Err(rejection));
    }
    let key = StateKey::Audit {
        issuer: anchor.issuer.clone(),
        sequence: anchor.sequence,
    };
    if let Some(current) = read_record::<AuditAnchorRecord>(view, &key, "audit anchor")? {
        return Ok(Err(Rejection::new(
            RejectReason::AnchorConflict,
            format!(
                "audit sequence {} of {} was already anchored at height {}",
                anchor.sequence, anchor.issuer, current.height
            ),
        )));
    }
    let record = AuditAnchorRecord {
        anchor: anchor.clone(),
        height: ctx.height,
        timestamp_ms: ctx.timestamp_ms,
        disclosure: None,
    };
    // The public count moves with every opening, in the same block, so nobody can open a
    // record without the count showing it.
    let issuer_key = StateKey::Issuer(anchor.issuer.clone());
    let Some(mut issuer) = read_issuer(view, &issuer_key)? else {
        return Err(RegistryError::Fault(crate::error::Fault::Corrupt {
            reason: format!("issuer {} anchored without a register entry", anchor.issuer),
        }));
    };
    issuer.last_audit_sequence = issuer.last_audit_sequence.max(anchor.sequence);
    let mut writes = vec![put(key, &record)];
    writes.extend(count(view, ctx, issuer, |counts| counts.openings += 1)?);
    Ok(Ok(writes))
}

/// A disclosure: signed by the issuer, for an audit anchor of its own not yet disclosed, and
/// opening exactly the commitment that anchor carries.
pub(super) fn check_disclosure(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    disclosure: &TraceDisclosure,
) -> Result<Result<Writes, Rejection>, RegistryError> {
    let reject = |reason, message: String| Ok(Err(Rejection::new(reason, message)));
    if let Err(rejection) = check_signed_by_issuer(view, ctx, disclosure)? {
        return Ok(Err(rejection));
    }
    let key = StateKey::Audit {
        issuer: disclosure.issuer.clone(),
        sequence: disclosure.sequence,
    };
    let Some(mut record) = read_record::<AuditAnchorRecord>(view, &key, "audit anchor")? else {
        return reject(
            RejectReason::AnchorConflict,
            format!(
                "audit anchor {} of {} does not exist",
                disclosure.sequence, disclosure.issuer
            ),
        );
    };
    if let Some(done) = &record.disclosure {
        return reject(
            RejectReason::AnchorConflict,
            format!(
                "audit anchor {} of {} was disclosed at height {}",
                disclosure.sequence, disclosure.issuer, done.height
            ),
        );
    }
    if holder_commitment(&disclosure.holder_tag, &disclosure.opening)
        != record.anchor.holder_commitment
    {
        return reject(
            RejectReason::Malformed,
            format!(
                "the disclosure does not open the holder commitment of audit anchor {}",
                disclosure.sequence
            ),
        );
    }
    record.disclosure = Some(DisclosureRecord {
        holder_tag: disclosure.holder_tag,
        opening: disclosure.opening,
        height: ctx.height,
        timestamp_ms: ctx.timestamp_ms,
    });
    let issuer_key = StateKey::Issuer(disclosure.issuer.clone());
    let Some(issuer) = read_issuer(view, &issuer_key)? else {
        return Err(RegistryError::Fault(crate::error::Fault::Corrupt {
            reason: format!(
                "issuer {} disclosed without a register entry",
                disclosure.issuer
            ),
        }));
    };
    let mut writes = vec![put(key, &record)];
    writes.extend(count(view, ctx, issuer, |counts| counts.disclosures += 1)?);
    Ok(Ok(writes))
}
