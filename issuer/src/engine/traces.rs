//! Lawful tracing: a request names a DID and a legal basis; k distinct approvers of the
//! issuer's set on chain approve its salted hash, each signing on their own device; only
//! then may it be opened, and opening anchors the request hash with those approvals on the
//! registry *before* the escrowed record is released. The chain refuses the anchor unless
//! the approvals come from k of the approvers governance named, and if no proven read shows
//! the anchor on chain, nothing is released. The DID's holder can list the openings on
//! their DID once the disclosure delay has passed.

use realdid_core::codec::primitives::Signature;
use realdid_core::codec::{
    ApproverSet, AuditAnchor, AuditOpening, TraceApproval, TraceDisclosure, Transaction,
};
use realdid_core::keys::DidKey;
use realdid_core::trace::{
    TraceRequestFields, holder_commitment, holder_tag, request_digest, request_hash,
};
use realdid_proto::v1 as pb;

use super::{Issuer, limits, new_id};
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::nonces::Purpose;
use crate::operators::Session;
use crate::privacy::escrow::record_id;
use crate::store::{
    Batch, CredentialRecord, LogEntry, Receipt, Store, TraceApprovalRecord, TraceOpening,
    TraceRecord, columns,
};
use realdid_core::escrow::{HpkePublicKey, ReleasedShare, ThresholdSealed};

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

/// How far ahead of the issuer's clock an approval's signing time may be.
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

fn hash32(trace: &TraceRecord, what: &str, hex_text: &str) -> Result<[u8; 32], IssuerError> {
    hex::decode(hex_text)
        .ok()
        .and_then(|d| d.try_into().ok())
        .ok_or_else(|| {
            IssuerError::Corrupt(format!("trace {}: {what} is not 32 hex bytes", trace.id))
        })
}

/// The request hash approvers sign.
pub(crate) fn trace_request_hash(trace: &TraceRecord) -> Result<[u8; 32], IssuerError> {
    hash32(trace, "request hash", &trace.request_hash)
}

/// The approval as the chain will check it.
fn chain_approval(
    trace: &TraceRecord,
    a: &TraceApprovalRecord,
) -> Result<TraceApproval, IssuerError> {
    let corrupt = |what: &str| {
        IssuerError::Corrupt(format!(
            "trace {}: approval by {}: {what}",
            trace.id, a.approver_id
        ))
    };
    let key = DidKey::parse(&a.key)
        .map_err(|_| corrupt("key"))?
        .public_key()
        .clone();
    let signature = hex::decode(&a.signature)
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes))
        .ok_or_else(|| corrupt("signature"))?;
    Ok(TraceApproval {
        key,
        signed_at_s: u64::try_from(a.signed_at_s).map_err(|_| corrupt("signing time"))?,
        signature,
    })
}

/// The approvers on chain, or why a trace cannot go ahead without them.
fn named(set: Option<ApproverSet>) -> Result<ApproverSet, IssuerError> {
    set.ok_or_else(|| {
        IssuerError::FailedPrecondition(
            "this issuer has no trace approvers on chain; governance names them \
             (realdid governance propose … set-approvers)"
                .into(),
        )
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
            trace.approvals_required,
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
    pub async fn create_trace(
        &self,
        session: &Session,
        subject_did: &str,
        legal_basis: &str,
        case_reference: &str,
        subject: TraceSubject,
        officer_key: &[u8],
    ) -> Result<TraceRecord, IssuerError> {
        session.require(&[crate::operators::Role::TraceRequester], "CreateTrace")?;
        let did = limits::did("subject_did", subject_did)?;
        limits::text("legal_basis", legal_basis, 1, 4096)?;
        limits::text("case_reference", case_reference, 1, 128)?;
        let officer_key = HpkePublicKey::from_bytes(officer_key).map_err(|e| {
            IssuerError::InvalidRequest(format!(
                "officer_key: the officer's X25519 public key, 32 bytes: {e}"
            ))
        })?;
        let set = named(self.approver_set().await?)?;
        let now = self.now_ms();
        let (credential, subject_at_ms) = self.subject_credential(&did, &subject, now)?;
        let id = new_id()?;
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(IssuerError::Randomness)?;
        let digest = request_digest(&TraceRequestFields {
            trace_id: &id,
            subject_did: did.as_str(),
            legal_basis,
            case_reference,
            requested_by: &session.operator_id,
            created_at_ms: now,
            subject_at_ms,
            enrolment_id: &credential.enrolment_id,
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
            salt: hex::encode(salt),
            request_hash: hex::encode(request_hash(&digest, &salt, officer_key.as_bytes())),
            approvals_required: u32::from(set.threshold),
            officer_key: officer_key.to_hex(),
            released_shares: Vec::new(),
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

    /// ApproveTrace: authenticated by the approver's signature alone, made on their own
    /// device over the chain's approval input, so the same signature goes into the audit
    /// anchor and the chain checks it there.
    pub async fn approve_trace(
        &self,
        trace_id: &str,
        approval_key: &str,
        signed_at_s: i64,
        signature: &[u8],
    ) -> Result<TraceRecord, IssuerError> {
        limits::text("approval_key", approval_key, 1, 128)?;
        let key = DidKey::parse(approval_key)
            .map_err(|e| IssuerError::InvalidRequest(format!("approval_key: {e}")))?
            .public_key()
            .clone();
        let signature = Signature::from_slice(signature).ok_or_else(|| {
            IssuerError::InvalidRequest(format!(
                "signature: {} bytes, an Ed25519 signature is 64",
                signature.len()
            ))
        })?;
        let signed_at = u64::try_from(signed_at_s)
            .map_err(|_| IssuerError::InvalidRequest("signed_at_unix_s: negative".into()))?;
        let set = named(self.approver_set().await?)?;
        let approver = set.by_signing_key(&key).ok_or_else(|| {
            IssuerError::Unauthenticated(format!(
                "{approval_key} is not one of this issuer's trace approvers on chain"
            ))
        })?;
        let _guard = super::lock(&self.store.write_lock);
        let mut trace = self.existing_trace(trace_id)?;
        let approval = TraceApproval {
            key,
            signed_at_s: signed_at,
            signature,
        };
        if !approval.verifies(
            self.registry.chain_id(),
            &self.did(),
            &trace_request_hash(&trace)?,
        ) {
            return Err(IssuerError::Unauthenticated(format!(
                "the approval by {} does not verify for trace {trace_id} (another request, \
                 issuer or chain, or a forged signature)",
                approver.id
            )));
        }
        let now = self.now_ms();
        let ttl = i64::from(self.config.trace.approval_ttl_seconds);
        if now / 1000 - signed_at_s >= ttl {
            return Err(IssuerError::FailedPrecondition(format!(
                "the approval was signed at {signed_at_s}, more than the {ttl} s an approval counts; sign a fresh one"
            )));
        }
        if signed_at_s - now / 1000 > APPROVAL_CLOCK_LEEWAY_S {
            return Err(IssuerError::InvalidRequest(format!(
                "the approval is signed at {signed_at_s}, after now ({}) beyond the clock leeway",
                now / 1000
            )));
        }
        if trace
            .approvals
            .iter()
            .any(|a| a.approver_id == approver.id && now / 1000 - a.signed_at_s < ttl)
        {
            return Ok(trace);
        }
        if self.trace_state(&trace) != TraceState::Pending {
            return Err(IssuerError::FailedPrecondition(format!(
                "trace {trace_id} is {:?}, no longer pending",
                self.trace_state(&trace)
            )));
        }
        // An expired approval of this approver gives way to the fresh one.
        trace.approvals.retain(|a| a.approver_id != approver.id);
        trace.approvals.push(TraceApprovalRecord {
            approver_id: approver.id.clone(),
            key: approval_key.to_owned(),
            at_ms: now,
            signed_at_s,
            signature: hex::encode(approval.signature.0),
        });
        self.save_trace(
            &trace,
            &LogEntry {
                at_ms: now,
                actor: format!("approver:{}", approver.id),
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

    /// The sealing of the record `trace` opens: the enrolment's, for the traced DID.
    fn sealed_of(&self, trace: &TraceRecord) -> Result<ThresholdSealed, IssuerError> {
        let enrolment = self.store.enrolment(&trace.enrolment_id)?.ok_or_else(|| {
            IssuerError::Corrupt(format!(
                "trace {}: enrolment {} is missing",
                trace.id, trace.enrolment_id
            ))
        })?;
        let wanted = record_id(&trace.subject_did, &enrolment.id);
        enrolment
            .escrow
            .into_iter()
            .find(|s| s.record_id() == wanted)
            .ok_or_else(|| {
                IssuerError::Corrupt(format!(
                    "trace {}: enrolment {} holds no sealed record for {}",
                    trace.id, trace.enrolment_id, trace.subject_did
                ))
            })
    }

    /// The opened trace `trace_id`, or why it is not opened yet.
    fn opened_trace(&self, trace_id: &str) -> Result<(TraceRecord, u64), IssuerError> {
        let trace = self.existing_trace(trace_id)?;
        let sequence = trace.opened.as_ref().map(|o| o.sequence).ok_or_else(|| {
            IssuerError::FailedPrecondition(format!(
                "trace {trace_id} is not opened: its audit anchor is not on chain yet"
            ))
        })?;
        Ok((trace, sequence))
    }

    /// GetSealedRecord: the sealed record of an opened trace, for its approvers.
    pub fn sealed_record(&self, trace_id: &str) -> Result<(ThresholdSealed, u64), IssuerError> {
        let (trace, sequence) = self.opened_trace(trace_id)?;
        Ok((self.sealed_of(&trace)?, sequence))
    }

    /// ReleaseShare: keeps an approver's share for the officer. The issuer cannot open it;
    /// it checks only that the share names this trace's record and one of its approvers,
    /// so that the officer is not handed someone else's.
    pub fn release_share(
        &self,
        trace_id: &str,
        share_json: &str,
        signature: &[u8],
    ) -> Result<(usize, u8), IssuerError> {
        limits::text("released_share", share_json, 1, 2048)?;
        let share = ReleasedShare::from_json(share_json)
            .map_err(|e| IssuerError::InvalidRequest(format!("released_share: {e}")))?;
        let _guard = super::lock(&self.store.write_lock);
        let (mut trace, _) = self.opened_trace(trace_id)?;
        let sealed = self.sealed_of(&trace)?;
        if share.record_id() != sealed.record_id() {
            return Err(IssuerError::InvalidRequest(format!(
                "the share is for record {:?}, not this trace's",
                share.record_id()
            )));
        }
        let Some(approver) = sealed
            .approvers()
            .iter()
            .find(|a| a.id() == share.approver_id())
        else {
            return Err(IssuerError::InvalidRequest(format!(
                "{:?} is not an approver of this record",
                share.approver_id()
            )));
        };
        approver
            .approval_public_key()
            .verify_under(
                realdid_core::keys::SignatureRule::Chain,
                &realdid_core::trace::share_release_input(trace_id, share_json),
                signature,
            )
            .map_err(|_| {
                IssuerError::Unauthenticated(format!(
                    "the release is not signed by approver {}",
                    share.approver_id()
                ))
            })?;
        let mut kept = Vec::new();
        for json in &trace.released_shares {
            let other = ReleasedShare::from_json(json).map_err(|e| {
                IssuerError::Corrupt(format!("trace {trace_id}: a kept share: {e}"))
            })?;
            if other.approver_id() != share.approver_id() {
                kept.push(json.clone());
            }
        }
        kept.push(share_json.to_owned());
        trace.released_shares = kept;
        let now = self.now_ms();
        self.save_trace(
            &trace,
            &LogEntry {
                at_ms: now,
                actor: format!("approver:{}", share.approver_id()),
                action: "trace.release".into(),
                detail: format!("trace={trace_id}"),
            },
        )?;
        Ok((trace.released_shares.len(), sealed.threshold()))
    }

    /// CollectShares: the sealed record and the released shares, for the officer to open on
    /// their own machine.
    pub fn collect_shares(
        &self,
        session: &Session,
        trace_id: &str,
    ) -> Result<(ThresholdSealed, Vec<String>, u64), IssuerError> {
        session.require(&[crate::operators::Role::TraceRequester], "CollectShares")?;
        let (trace, sequence) = self.opened_trace(trace_id)?;
        let sealed = self.sealed_of(&trace)?;
        // Only the log entry is written: rewriting the trace could drop a share released
        // meanwhile.
        let mut batch = Batch::default();
        self.store.log(
            &mut batch,
            &LogEntry {
                at_ms: self.now_ms(),
                actor: session.operator_id.clone(),
                action: "trace.collect".into(),
                detail: format!("trace={trace_id} shares={}", trace.released_shares.len()),
            },
        )?;
        self.store.write(batch)?;
        Ok((sealed, trace.released_shares, sequence))
    }

    /// OpenTrace: anchors the opening with its approvals. Nothing is released here: the
    /// issuer cannot open the record; the approvers release their shares once they see the
    /// anchor on chain.
    pub async fn open_trace(
        &self,
        session: &Session,
        trace_id: &str,
    ) -> Result<(TraceRecord, pb::TransactionReceipt), IssuerError> {
        session.require(&[crate::operators::Role::TraceRequester], "OpenTrace")?;
        // One opening at a time: the audit sequence and the trace state move together.
        let _publishing = self.publishing.lock().await;
        let mut trace = self.existing_trace(trace_id)?;
        let set = named(self.approver_set().await?)?;
        let now = self.now_ms();
        let ttl = i64::from(self.config.trace.approval_ttl_seconds);
        // Only approvals that still count and whose approver is still on chain go into the
        // anchor: the chain would refuse any other.
        let approvals: Vec<TraceApproval> = trace
            .approvals
            .iter()
            .filter(|a| now / 1000 - a.signed_at_s < ttl)
            .map(|a| chain_approval(&trace, a))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|a| set.by_signing_key(&a.key).is_some())
            .collect();
        let state = self.trace_state(&trace);
        if state != TraceState::Approved || approvals.len() < usize::from(set.threshold) {
            return Err(IssuerError::FailedPrecondition(format!(
                "trace {trace_id} is {state:?}: it opens only when approved by {} of the {} approvers on chain, unexpired and not yet opened (it has {} that still count)",
                set.threshold,
                set.approvers.len(),
                approvals.len()
            )));
        }
        // The sealed record must be there before anything is anchored.
        self.sealed_of(&trace)?;
        let hash = trace_request_hash(&trace)?;
        // The holder's tag, committed to now and disclosed when the delay ends.
        let enrolment = self
            .store
            .enrolment(&trace.enrolment_id)?
            .ok_or_else(|| IssuerError::Corrupt(format!("trace {trace_id}: enrolment missing")))?;
        let tag_key: [u8; 32] = hex::decode(&enrolment.holder_tag_key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| {
                IssuerError::Corrupt(format!(
                    "enrolment {}: holder tag key is not 32 hex bytes",
                    enrolment.id
                ))
            })?;
        let tag = holder_tag(&tag_key, &trace.subject_did, &hash);
        let mut opening = [0u8; 32];
        getrandom::fill(&mut opening).map_err(IssuerError::Randomness)?;
        let sequence = self.store.counter(AUDIT_SEQUENCE)? + 1;
        let mut batch = Batch::default();
        Store::set_counter(&mut batch, AUDIT_SEQUENCE, sequence);
        self.store.write(batch)?;
        let approvals_count = approvals.len();
        let keys = self.keys();
        let anchor = AuditAnchor::sign(
            self.registry.chain_id(),
            AuditOpening {
                issuer: keys.did().clone(),
                request_hash: hash,
                sequence,
                holder_commitment: holder_commitment(&tag, &opening),
                approvals,
            },
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
            request_hash: hex::encode(hash),
            approvals: approvals_count,
            approvers: set.approvers.len(),
            sequence,
            receipt: Receipt::from(&receipt),
            holder_tag: hex::encode(tag),
            opening: hex::encode(opening),
            disclosed: None,
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
        self.disclosures_pending
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok((trace, receipt))
    }

    /// Publishes, for every opening whose disclosure delay has ended, its holder tag and the
    /// opening of the anchor's commitment, so the holder's wallet recognises it on chain.
    /// Returns how many were published; a failure leaves the rest for the next call.
    pub async fn publish_disclosures(&self) -> Result<usize, IssuerError> {
        use std::sync::atomic::Ordering;
        // Cleared before the scan, so an opening during it sets it again.
        if !self.disclosures_pending.swap(false, Ordering::SeqCst) {
            return Ok(0);
        }
        let due_before =
            self.now_ms() - i64::from(self.config.trace.disclosure_delay_seconds) * 1000;
        let undisclosed: Vec<TraceRecord> = self
            .store
            .scan::<TraceRecord>(columns::TRACES, b"")?
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| t.opened.as_ref().is_some_and(|o| o.disclosed.is_none()))
            .collect();
        let (due, waiting): (Vec<_>, Vec<_>) = undisclosed
            .into_iter()
            .partition(|t| t.opened.as_ref().is_some_and(|o| o.at_ms <= due_before));
        // Openings still in their delay, and any that fail below, keep the scan going.
        if !waiting.is_empty() || !due.is_empty() {
            self.disclosures_pending.store(true, Ordering::SeqCst);
        }
        let mut published = 0;
        for trace in due {
            let Some(opened) = trace.opened.as_ref() else {
                continue;
            };
            let bytes = |what: &str, text: &str| -> Result<[u8; 32], IssuerError> {
                hex::decode(text)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| IssuerError::Corrupt(format!("trace {}: {what}", trace.id)))
            };
            let keys = self.keys();
            let disclosure = TraceDisclosure::sign(
                self.registry.chain_id(),
                keys.did().clone(),
                opened.sequence,
                bytes("holder tag", &opened.holder_tag)?,
                bytes("opening", &opened.opening)?,
                keys.active_key_id().clone(),
                keys.active_key()?,
            )
            .map_err(|e| IssuerError::Internal(format!("signing a disclosure: {e}")))?;
            let receipt = self
                .registry
                .submit_final(
                    &format!("the disclosure of audit anchor {}", opened.sequence),
                    &Transaction::Disclosure(disclosure),
                )
                .await?;
            let detail = format!("trace={} audit_sequence={}", trace.id, opened.sequence);
            // Re-read under the lock: shares may have been released meanwhile.
            let _guard = super::lock(&self.store.write_lock);
            let mut current = self.existing_trace(&trace.id)?;
            if let Some(opened) = current.opened.as_mut() {
                opened.disclosed = Some(Receipt::from(&receipt));
            }
            self.save_trace(
                &current,
                &LogEntry {
                    at_ms: self.now_ms(),
                    actor: "issuer".into(),
                    action: "trace.disclose".into(),
                    detail,
                },
            )?;
            published += 1;
        }
        Ok(published)
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
            approver_id: key_id.into(),
            key: String::new(),
            at_ms: signed_at_s * 1000,
            signed_at_s,
            signature: String::new(),
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
            salt: String::new(),
            request_hash: String::new(),
            approvals_required: 2,
            officer_key: String::new(),
            released_shares: Vec::new(),
            approvals: vec![approval("judge-1", 1_000), approval("judge-2", 1_500)],
            opened: None,
        };
        let ttl = 600;
        assert_eq!(
            trace.state(trace.approvals_required, ttl, 1_550_000),
            TraceState::Approved
        );
        // The first approval is 600 s old at 1 600 s: it no longer counts.
        assert_eq!(trace.live_approvals(ttl, 1_600_000), 1);
        assert_eq!(
            trace.state(trace.approvals_required, ttl, 1_600_000),
            TraceState::Pending
        );
    }
}
