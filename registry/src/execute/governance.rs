//! Governance transactions: accrediting and removing issuers, and naming their lawful-trace
//! approvers, by a quorum of governance keys.

use realdid_core::codec::{GovernanceAction, GovernanceTx};
use realdid_core::keys::SignatureRule;

use super::did::read_did;
use super::{BlockContext, RejectReason, Rejection, StateView, Writes, put, read_record};
use crate::RegistryError;
use crate::state::keys::StateKey;
use crate::state::records::{
    IssuerRecord, NonceRecord, RegisterEntry, RegisterSize, Removal, TraceApproversRecord,
};

/// Reads an issuer's register entry, if it was ever accredited.
pub(super) fn read_issuer(
    view: &(impl StateView + ?Sized),
    key: &StateKey,
) -> Result<Option<IssuerRecord>, RegistryError> {
    read_record(view, key, "issuer record")
}

pub(super) fn check(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    tx: &GovernanceTx,
) -> Result<Result<Writes, Rejection>, RegistryError> {
    let reject = |reason, message: String| Ok(Err(Rejection::new(reason, message)));

    let threshold = ctx.governance.threshold.max(1);
    let approvers = tx
        .valid_approvers(&ctx.governance.chain, &ctx.governance.keys)
        .len();
    if approvers < threshold {
        // Tell a forged approval from a missing one: a governance key whose signature fails.
        let message = GovernanceTx::signing_input(&ctx.governance.chain, &tx.action, tx.nonce);
        let forged = tx.approvals.iter().any(|a| {
            ctx.governance.keys.contains(&a.key)
                && a.key
                    .verify_under(SignatureRule::Chain, &message, &a.signature.0)
                    .is_err()
        });
        let reason = if forged {
            RejectReason::BadSignature
        } else {
            RejectReason::Unauthorized
        };
        return reject(
            reason,
            format!(
                "governance transaction has {approvers} valid approvals from distinct governance \
                 keys, {threshold} required{}",
                if forged {
                    "; an approval's signature does not verify"
                } else {
                    ""
                }
            ),
        );
    }

    let nonce_key = StateKey::GovernanceNonce(tx.nonce);
    if let Some(used) = read_record::<NonceRecord>(view, &nonce_key, "governance nonce")? {
        return reject(
            RejectReason::Stale,
            format!(
                "governance nonce {} was already used at height {}",
                tx.nonce, used.height
            ),
        );
    }

    let mut writes = match &tx.action {
        GovernanceAction::AccreditIssuer {
            issuer,
            name,
            credential_types,
        } => {
            if name.is_empty() {
                return reject(RejectReason::Malformed, "issuer name is empty".into());
            }
            if credential_types.is_empty() {
                return reject(
                    RejectReason::Malformed,
                    "an accreditation must list at least one credential type".into(),
                );
            }
            for (i, t) in credential_types.iter().enumerate() {
                if t.is_empty() {
                    return reject(RejectReason::Malformed, "a credential type is empty".into());
                }
                if credential_types[..i].contains(t) {
                    return reject(
                        RejectReason::Malformed,
                        format!("credential type {t:?} is listed twice"),
                    );
                }
            }
            match read_did(view, &StateKey::Did(issuer.clone()))? {
                None => {
                    return reject(
                        RejectReason::DidNotFound,
                        format!("issuer {issuer} is not registered on the chain"),
                    );
                }
                Some(record) if record.state.is_deactivated() => {
                    return reject(
                        RejectReason::DidDeactivated,
                        format!("issuer {issuer} is deactivated"),
                    );
                }
                Some(_) => {}
            }
            let key = StateKey::Issuer(issuer.clone());
            // Re-accrediting an accredited issuer replaces its entry but keeps the height it
            // has been accredited since; after a removal the accreditation starts afresh.
            // Its approvers stay: they are changed only by their own decision.
            // The transparency count carries on across accreditations.
            let current = read_issuer(view, &key)?;
            let accredited_height = match &current {
                Some(current) if current.is_accredited() => current.accredited_height,
                _ => ctx.height,
            };
            let first = current.is_none();
            let (last_audit_sequence, counts) =
                current.as_ref().map_or((0, Default::default()), |c| {
                    (c.last_audit_sequence, c.counts)
                });
            let record = IssuerRecord {
                issuer: issuer.clone(),
                name: name.clone(),
                credential_types: credential_types.clone(),
                accredited_height,
                updated_height: ctx.height,
                removed: None,
                trace_approvers: current.and_then(|c| c.trace_approvers),
                last_audit_sequence,
                counts,
            };
            let mut writes = vec![put(key, &record)];
            if first {
                // A first accreditation takes the next place in the register, for good.
                let size =
                    read_record::<RegisterSize>(view, &StateKey::RegisterSize, "register size")?
                        .unwrap_or_default();
                let entry = RegisterEntry {
                    issuer: issuer.clone(),
                    height: ctx.height,
                };
                writes.push(put(StateKey::RegisterEntry(size.count), &entry));
                writes.push(put(
                    StateKey::RegisterSize,
                    &RegisterSize {
                        count: size.count.saturating_add(1),
                    },
                ));
            }
            writes
        }
        GovernanceAction::RemoveIssuer { issuer, reason } => {
            let key = StateKey::Issuer(issuer.clone());
            let current = match read_issuer(view, &key)? {
                Some(current) if current.is_accredited() => current,
                Some(_) => {
                    return reject(
                        RejectReason::IssuerNotAccredited,
                        format!("issuer {issuer} was already removed"),
                    );
                }
                None => {
                    return reject(
                        RejectReason::IssuerNotAccredited,
                        format!("issuer {issuer} is not on the register"),
                    );
                }
            };
            let record = IssuerRecord {
                updated_height: ctx.height,
                removed: Some(Removal {
                    height: ctx.height,
                    reason: reason.clone(),
                }),
                ..current
            };
            vec![put(key, &record)]
        }
        GovernanceAction::SetTraceApprovers { issuer, set } => {
            if let Some(problem) = set.problem() {
                return reject(
                    RejectReason::Malformed,
                    format!("trace approvers of {issuer}: {problem}"),
                );
            }
            let key = StateKey::Issuer(issuer.clone());
            let current = match read_issuer(view, &key)? {
                Some(current) if current.is_accredited() => current,
                _ => {
                    return reject(
                        RejectReason::IssuerNotAccredited,
                        format!(
                            "issuer {issuer} is not accredited; approvers are named for an \
                             accredited issuer"
                        ),
                    );
                }
            };
            let record = IssuerRecord {
                updated_height: ctx.height,
                trace_approvers: Some(TraceApproversRecord {
                    set: set.clone(),
                    height: ctx.height,
                }),
                ..current
            };
            vec![put(key, &record)]
        }
    };
    writes.push(put(nonce_key, &NonceRecord { height: ctx.height }));
    Ok(Ok(writes))
}
