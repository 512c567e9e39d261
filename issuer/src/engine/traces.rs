//! Lawful tracing: a request names a DID and a legal basis; k distinct configured approver
//! keys approve it; only then may it be opened, and opening anchors a hash of (request,
//! approvals, opener, time) on the registry *before* the escrowed record is released. If
//! no proven read shows the anchor on chain, nothing is released. The DID's holder can list the
//! openings on their DID once the disclosure delay has passed.

use realdid_core::codec::AuditAnchor;
use realdid_core::trace::{
    ApprovalJws, AuditApproval, TraceRequestFields, audit_record_hash, request_digest,
};
use realdid_proto::v1 as pb;

use super::{Issuer, limits, new_id};
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::nonces::Purpose;
use crate::operators::Session;
use crate::privacy::escrow::{IdentityRecord, open};
use crate::store::{
    Batch, CredentialRecord, LogEntry, Receipt, Store, TraceApprovalRecord, TraceOpening,
    TraceRecord, columns,
};

/// The `meta` counter of audit-anchor sequences used.
const AUDIT_SEQUENCE: &str = "audit_sequence";

/// Which holder of a DID a trace request is about: a DID can be enrolled by one person,
/// recovered with a new key and enrolled again by another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceSubject {
    /// Whoever holds it now.
    Now,
    /// Whoever held it at this moment, Unix ms.
    At(i64),
    /// Whoever this credential of the DID was issued to.
    Credential(String),
}

/// Where a trace is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceState {
    /// Collecting approvals.
    Pending,
    /// k approvals: may be opened.
    Approved,
    /// Opened.
    Opened,
    /// Expired unopened.
    Expired,
}

/// How far ahead of the issuer's clock an approval's `iat` may be.
const APPROVAL_CLOCK_LEEWAY_S: i64 = 60;

impl TraceRecord {
    /// The approvals that still count at `now_ms`: signed less than `ttl_s` ago.
    pub fn live_approvals(&self, ttl_s: u32, now_ms: i64) -> usize {
        self.approvals
            .iter()
            .filter(|a| now_ms / 1000 - a.signed_at_s < i64::from(ttl_s))
            .count()
    }

    /// The state at `now_ms` with `k` approvals required, each counting for `ttl_s` after
    /// it was signed: an approval given long ago does not open a trace today.
    pub fn state(&self, k: u32, ttl_s: u32, now_ms: i64) -> TraceState {
        if self.opened.is_some() {
            TraceState::Opened
        } else if now_ms >= self.expires_at_ms {
            TraceState::Expired
        } else if self.live_approvals(ttl_s, now_ms) >= k as usize {
            TraceState::Approved
        } else {
            TraceState::Pending
        }
    }
}

fn digest(trace: &TraceRecord) -> Result<[u8; 32], IssuerError> {
    hex::decode(&trace.digest)
        .ok()
        .and_then(|d| d.try_into().ok())
        .ok_or_else(|| {
            IssuerError::Corrupt(format!("trace {}: digest is not 32 hex bytes", trace.id))
        })
}

/// A page of a list: items from `offset`, and the offset of the next page.
pub(crate) fn page<T>(items: Vec<T>, offset: usize, size: u32) -> (Vec<T>, Option<usize>) {
    let size = match size {
        0 => 50,
        n => n.min(500) as usize,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let next = (offset + page.len() < total).then_some(offset + page.len());
    (page, next)
}

impl<A: IdentityAuthority> Issuer<A> {
    fn save_trace(&self, trace: &TraceRecord, log: &LogEntry) -> Result<(), IssuerError> {
        let mut batch = Batch::default();
        batch.put(columns::TRACES, trace.id.clone().into_bytes(), trace)?;
        self.store.log(&mut batch, log)?;
        self.store.write(batch)
    }

    fn existing_trace(&self, id: &str) -> Result<TraceRecord, IssuerError> {
        limits::text("trace_id", id, 1, 128)?;
        self.store
            .trace(id)?
            .ok_or_else(|| IssuerError::NotFound(format!("no trace {id:?}")))
    }

    /// The state of `trace` now.
    pub fn trace_state(&self, trace: &TraceRecord) -> TraceState {
        trace.state(
            self.config.trace.approvals_required,
            self.config.trace.approval_ttl_seconds,
            self.now_ms(),
        )
    }

    /// The credential for `did` that decides which enrolment a trace of `subject` opens: the
    /// one named, or the one that was live at the moment in question (the latest issued, if
    /// a re-enrolment overlapped the revocation of the one it superseded).
    fn subject_credential(
        &self,
        did: &realdid_core::did::RealDid,
        subject: &TraceSubject,
        now: i64,
    ) -> Result<(CredentialRecord, i64), IssuerError> {
        let bound = self.store.did_credentials(did.as_str())?;
        if bound.is_empty() {
            return Err(IssuerError::NotFound(format!(
                "this issuer never enrolled {did}"
            )));
        }
        let at = match subject {
            TraceSubject::Credential(id) => {
                limits::text("credential_id", id, 1, 128)?;
                if !bound.contains(id) {
                    return Err(IssuerError::NotFound(format!(
                        "credential {id:?} is not one of {did}"
                    )));
                }
                let credential = self.store.credential(id)?.ok_or_else(|| {
                    IssuerError::Corrupt(format!("credential {id} of {did} is missing"))
                })?;
                let at = credential.issued_at_ms;
                return Ok((credential, at));
            }
            TraceSubject::At(at) => *at,
            TraceSubject::Now => now,
        };
        let mut live = None::<CredentialRecord>;
        for id in &bound {
            let Some(credential) = self.store.credential(id)? else {
                continue;
            };
            if credential.was_live_at(at)
                && live
                    .as_ref()
                    .is_none_or(|best| credential.issued_at_ms > best.issued_at_ms)
            {
                live = Some(credential);
            }
        }
        live.map(|credential| (credential, at)).ok_or_else(|| {
            IssuerError::NotFound(format!(
                "no credential of this issuer was live for {did} at {at} ms"
            ))
        })
    }

    /// CreateTrace: the request names the DID and which of its holders (see
    /// [`TraceSubject`]); the record keeps the credential that decided the enrolment opened.
    pub fn create_trace(
        &self,
        session: &Session,
        subject_did: &str,
        legal_basis: &str,
        case_reference: &str,
        subject: TraceSubject,
    ) -> Result<TraceRecord, IssuerError> {
        session.require(&[crate::operators::Role::TraceRequester], "CreateTrace")?;
        let did = limits::did("subject_did", subject_did)?;
        limits::text("legal_basis", legal_basis, 1, 4096)?;
        limits::text("case_reference", case_reference, 1, 128)?;
        let now = self.now_ms();
        let (credential, subject_at_ms) = self.subject_credential(&did, &subject, now)?;
        let id = new_id()?;
        let digest = request_digest(&TraceRequestFields {
            trace_id: &id,
            subject_did: did.as_str(),
            legal_basis,
            case_reference,
            requested_by: &session.operator_id,
            created_at_ms: now,
            subject_at_ms,
        });
        let trace = TraceRecord {
            id: id.clone(),
            subject_did: did.to_string(),
            enrolment_id: credential.enrolment_id,
            credential_id: credential.id,
            subject_at_ms,
            legal_basis: legal_basis.to_owned(),
            case_reference: case_reference.to_owned(),
            requested_by: session.operator_id.clone(),
            created_at_ms: now,
            expires_at_ms: now + i64::from(self.config.trace.request_ttl_seconds) * 1000,
            digest: hex::encode(digest),
            approvals: Vec::new(),
            opened: None,
        };
        self.save_trace(
            &trace,
            &LogEntry {
                at_ms: now,
                actor: session.operator_id.clone(),
                action: "trace.create".into(),
                detail: format!("trace={id} case={case_reference}"),
            },
        )?;
        Ok(trace)
    }

    /// ApproveTrace: authenticated by the approver's signature alone.
    pub fn approve_trace(
        &self,
        trace_id: &str,
        approval_jws: &str,
    ) -> Result<TraceRecord, IssuerError> {
        limits::text("approval_jws", approval_jws, 1, 8 * 1024)?;
        let _guard = super::lock(&self.store.write_lock);
        let mut trace = self.existing_trace(trace_id)?;
        let approval = ApprovalJws::parse(approval_jws)
            .map_err(|e| IssuerError::Unauthenticated(format!("approval: {e}")))?;
        let approver = self
            .config
            .trace
            .approvers
            .iter()
            .find(|a| a.key_id == approval.key_id())
            .ok_or_else(|| {
                IssuerError::Unauthenticated(format!(
                    "{:?} is not a configured approver key",
                    approval.key_id()
                ))
            })?;
        approval
            .verify(&approver.key, &trace.id, &digest(&trace)?)
            .map_err(|e| IssuerError::Unauthenticated(format!("approval: {e}")))?;
        let now = self.now_ms();
        let ttl = i64::from(self.config.trace.approval_ttl_seconds);
        let signed_at = approval.issued_at();
        if now / 1000 - signed_at >= ttl {
            return Err(IssuerError::FailedPrecondition(format!(
                "the approval was signed at {signed_at}, more than the {ttl} s an approval counts; sign a fresh one"
            )));
        }
        if signed_at - now / 1000 > APPROVAL_CLOCK_LEEWAY_S {
            return Err(IssuerError::InvalidRequest(format!(
                "the approval is signed at {signed_at}, after now ({}) beyond the clock leeway",
                now / 1000
            )));
        }
        if trace
            .approvals
            .iter()
            .any(|a| a.key_id == approver.key_id && now / 1000 - a.signed_at_s < ttl)
        {
            return Ok(trace);
        }
        if self.trace_state(&trace) != TraceState::Pending {
            return Err(IssuerError::FailedPrecondition(format!(
                "trace {trace_id} is {:?}, no longer pending",
                self.trace_state(&trace)
            )));
        }
        // An expired approval of this key gives way to the fresh one.
        trace.approvals.retain(|a| a.key_id != approver.key_id);
        trace.approvals.push(TraceApprovalRecord {
            key_id: approver.key_id.clone(),
            at_ms: now,
            jws: approval_jws.to_owned(),
            signed_at_s: signed_at,
        });
        self.save_trace(
            &trace,
            &LogEntry {
                at_ms: now,
                actor: format!("approver:{}", approver.key_id),
                action: "trace.approve".into(),
                detail: format!("trace={trace_id}"),
            },
        )?;
        Ok(trace)
    }

    /// GetTrace.
    pub fn get_trace(&self, session: &Session, trace_id: &str) -> Result<TraceRecord, IssuerError> {
        session.require(
            &[
                crate::operators::Role::TraceRequester,
                crate::operators::Role::Auditor,
            ],
            "GetTrace",
        )?;
        self.existing_trace(trace_id)
    }

    /// ListTraces, newest first, optionally only those in `state`.
    pub fn list_traces(
        &self,
        session: &Session,
        state: Option<TraceState>,
    ) -> Result<Vec<TraceRecord>, IssuerError> {
        session.require(
            &[
                crate::operators::Role::TraceRequester,
                crate::operators::Role::Auditor,
            ],
            "ListTraces",
        )?;
        let mut all: Vec<TraceRecord> = self
            .store
            .scan::<TraceRecord>(columns::TRACES, b"")?
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| state.is_none_or(|s| self.trace_state(t) == s))
            .collect();
        all.sort_by(|a, b| b.created_at_ms.cmp(&a.created_at_ms).then(b.id.cmp(&a.id)));
        Ok(all)
    }

    /// OpenTrace: anchors the opening, then releases the escrowed record.
    pub async fn open_trace(
        &self,
        session: &Session,
        trace_id: &str,
    ) -> Result<(TraceRecord, IdentityRecord, pb::TransactionReceipt), IssuerError> {
        session.require(&[crate::operators::Role::TraceRequester], "OpenTrace")?;
        // One opening at a time: the audit sequence and the trace state move together.
        let _publishing = self.publishing.lock().await;
        let mut trace = self.existing_trace(trace_id)?;
        let state = self.trace_state(&trace);
        if state != TraceState::Approved {
            return Err(IssuerError::FailedPrecondition(format!(
                "trace {trace_id} is {state:?}: it opens only when approved by {} of {} approvers, unexpired and not yet opened (it has {} that still count)",
                self.config.trace.approvals_required,
                self.config.trace.approvers.len(),
                trace.live_approvals(self.config.trace.approval_ttl_seconds, self.now_ms())
            )));
        }
        let enrolment = self.store.enrolment(&trace.enrolment_id)?.ok_or_else(|| {
            IssuerError::Corrupt(format!(
                "trace {trace_id}: enrolment {} is missing",
                trace.enrolment_id
            ))
        })?;
        // Decrypt first, so a damaged record is found before anything is anchored, but
        // release nothing until the anchor is final.
        let record = open(&self.secrets, &enrolment.id, &enrolment.escrow)?;
        let sequence = self.store.counter(AUDIT_SEQUENCE)? + 1;
        let mut batch = Batch::default();
        Store::set_counter(&mut batch, AUDIT_SEQUENCE, sequence);
        self.store.write(batch)?;
        let now = self.now_ms();
        let ttl = i64::from(self.config.trace.approval_ttl_seconds);
        let approvals: Vec<AuditApproval<'_>> = trace
            .approvals
            .iter()
            .filter(|a| now / 1000 - a.signed_at_s < ttl)
            .map(|a| AuditApproval {
                key_id: &a.key_id,
                approved_at_ms: a.at_ms,
            })
            .collect();
        let hash = audit_record_hash(&digest(&trace)?, &approvals, &session.operator_id, now);
        let keys = self.keys();
        let anchor = AuditAnchor::sign(
            self.registry.chain_id(),
            keys.did().clone(),
            hash,
            sequence,
            keys.active_key_id().clone(),
            keys.active_key()?,
        )
        .map_err(|e| IssuerError::Internal(format!("signing the audit anchor: {e}")))?;
        // Released only once a proven read shows the anchor on chain: a node that merely
        // says "final" would otherwise open an identity with no public record of it.
        let (receipt, _proven) = self.registry.anchor_audit(&anchor).await?;
        trace.opened = Some(TraceOpening {
            at_ms: now,
            by: session.operator_id.clone(),
            record_hash: hex::encode(hash),
            sequence,
            receipt: Receipt::from(&receipt),
        });
        self.save_trace(
            &trace,
            &LogEntry {
                at_ms: now,
                actor: session.operator_id.clone(),
                action: "trace.open".into(),
                detail: format!(
                    "trace={trace_id} audit_sequence={sequence} height={}",
                    receipt.height
                ),
            },
        )?;
        Ok((trace, record, receipt))
    }

    /// ListOwnTraces: the openings on the holder's DID older than the disclosure delay,
    /// newest first.
    pub async fn own_traces(
        &self,
        nonce: &str,
        did: &str,
        proof_jws: &str,
    ) -> Result<(String, Vec<TraceRecord>), IssuerError> {
        let did = self
            .holder_proof(nonce, did, proof_jws, Purpose::ListOwnTraces)
            .await?;
        let visible_before =
            self.now_ms() - i64::from(self.config.trace.disclosure_delay_seconds) * 1000;
        let mut traces: Vec<TraceRecord> = self
            .store
            .scan::<TraceRecord>(columns::TRACES, b"")?
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| t.subject_did == did.as_str())
            .filter(|t| t.opened.as_ref().is_some_and(|o| o.at_ms <= visible_before))
            .collect();
        traces.sort_by(|a, b| {
            let at = |t: &TraceRecord| t.opened.as_ref().map_or(0, |o| o.at_ms);
            at(b).cmp(&at(a))
        });
        Ok((did.to_string(), traces))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(key_id: &str, signed_at_s: i64) -> TraceApprovalRecord {
        TraceApprovalRecord {
            key_id: key_id.into(),
            at_ms: signed_at_s * 1000,
            jws: String::new(),
            signed_at_s,
        }
    }

    #[test]
    fn approvals_count_only_while_fresh() {
        let trace = TraceRecord {
            id: "t".into(),
            subject_did: String::new(),
            enrolment_id: String::new(),
            credential_id: String::new(),
            subject_at_ms: 0,
            legal_basis: String::new(),
            case_reference: String::new(),
            requested_by: String::new(),
            created_at_ms: 0,
            expires_at_ms: 1_000_000_000,
            digest: String::new(),
            approvals: vec![approval("judge-1", 1_000), approval("judge-2", 1_500)],
            opened: None,
        };
        let ttl = 600;
        assert_eq!(trace.state(2, ttl, 1_550_000), TraceState::Approved);
        // The first approval is 600 s old at 1 600 s: it no longer counts.
        assert_eq!(trace.live_approvals(ttl, 1_600_000), 1);
        assert_eq!(trace.state(2, ttl, 1_600_000), TraceState::Pending);
    }
}
