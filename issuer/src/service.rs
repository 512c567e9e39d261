//! `realdid.v1.Issuer` over gRPC, and the status lists over HTTP: translation only; every
//! decision is the engine's. Errors become gRPC codes in one place,
//! [`IssuerError::grpc_code`].

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use realdid_proto::source_limits::SourceLimits;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_server::{Issuer as IssuerRpc, IssuerServer};
use tonic::{Request, Response, Status};

use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::engine::Issuer;
use crate::engine::enrol::{DidToBind, EnrolOutcome, EnrolRequest, RefusalReason};
use crate::engine::lists::{RevokeTarget, StatusChange};
use crate::engine::login::LoginCredential;
use crate::engine::traces::{TraceState, TraceSubject, page};
use crate::nonces::Purpose;
use crate::operators::{Role, Session};
use crate::status::list_number;
use crate::store::TraceRecord;

/// Largest request read: an Enrol of 128 DIDs with 8 KiB proofs, and the evidence.
pub const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// The gRPC face of an [`Issuer`].
#[derive(Debug)]
pub struct IssuerService<A> {
    issuer: Arc<Issuer<A>>,
    /// Calls anyone may make, per client address (`limits.calls_per_source`).
    sources: SourceLimits,
    /// When the service started, Unix ms.
    started_at_ms: i64,
    /// Enrolments decided since then, by outcome (what the Prometheus counter counts,
    /// kept here too for GetIssuerStats).
    enrolments: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl<A: IdentityAuthority> IssuerService<A> {
    /// Serves `issuer`.
    pub fn new(issuer: Arc<Issuer<A>>) -> Self {
        let sources = SourceLimits::new(
            "unauthenticated calls",
            issuer.config().limits.calls_per_source,
        );
        Self {
            started_at_ms: issuer.now_ms(),
            issuer,
            sources,
            enrolments: std::sync::Mutex::default(),
        }
    }

    /// Counts one enrolment decided, for the metrics and the operators' figures.
    fn count_enrolment(&self, outcome: &'static str) {
        crate::metrics::enrolment(outcome);
        *self
            .enrolments
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(outcome)
            .or_insert(0) += 1;
    }

    /// Takes one call without credentials from the caller's address, or refuses it
    /// RESOURCE_EXHAUSTED before it costs anything.
    fn admit<T>(&self, request: &Request<T>) -> Result<(), IssuerError> {
        self.sources
            .admit(request.remote_addr().map(|a| a.ip()))
            .map_err(|over| IssuerError::Exhausted(over.to_string()))
    }
}

fn bearer<T>(request: &Request<T>) -> Result<String, IssuerError> {
    let value = request
        .metadata()
        .get("authorization")
        .ok_or_else(|| IssuerError::Unauthenticated("no authorization metadata; log in".into()))?
        .to_str()
        .map_err(|_| IssuerError::Unauthenticated("authorization is not text".into()))?;
    value
        .strip_prefix("Bearer ")
        .map(str::to_owned)
        .ok_or_else(|| {
            IssuerError::Unauthenticated("authorization must be `Bearer <token>`".into())
        })
}

impl<A: IdentityAuthority> IssuerService<A> {
    fn session<T>(&self, request: &Request<T>) -> Result<Session, IssuerError> {
        self.issuer.session(&bearer(request)?)
    }
}

fn purpose(value: i32) -> Result<Purpose, IssuerError> {
    match pb::NoncePurpose::try_from(value) {
        Ok(pb::NoncePurpose::Enrol) => Ok(Purpose::Enrol),
        Ok(pb::NoncePurpose::Suspend) => Ok(Purpose::Suspend),
        Ok(pb::NoncePurpose::Resume) => Ok(Purpose::Resume),
        Ok(pb::NoncePurpose::ListOwnTraces) => Ok(Purpose::ListOwnTraces),
        Ok(pb::NoncePurpose::OperatorLogin) => Ok(Purpose::OperatorLogin),
        Ok(pb::NoncePurpose::Reseal) => Ok(Purpose::Reseal),
        _ => Err(IssuerError::InvalidRequest(format!(
            "purpose: {value} is not a nonce purpose"
        ))),
    }
}

/// An Enrol call as the engine takes it. Every field is checked there
/// ([`EnrolRequest::check_limits`]), before the request costs anything.
pub fn enrol_request(r: pb::EnrolRequest) -> EnrolRequest {
    EnrolRequest {
        nonce: r.nonce,
        full_name: r.full_name,
        resident_id: r.resident_id,
        evidence_token: r.evidence_token,
        dids: r
            .dids
            .into_iter()
            .map(|d| DidToBind {
                did: d.did,
                proof_jws: d.proof_jws,
            })
            .collect(),
        holder_tag_key: r.holder_tag_key,
        credential_type: r.credential_type,
    }
}

fn refusal_reason(reason: RefusalReason) -> pb::EnrolmentRefusalReason {
    use pb::EnrolmentRefusalReason as R;
    match reason {
        RefusalReason::NonceInvalid => R::NonceInvalid,
        RefusalReason::DidProofInvalid => R::DidProofInvalid,
        RefusalReason::DidNotUsable => R::DidNotUsable,
        RefusalReason::DidAlreadyEnrolled => R::DidAlreadyEnrolled,
        RefusalReason::IdentityNoMatch => R::IdentityNoMatch,
        RefusalReason::CredentialTypeNotOffered => R::CredentialTypeNotOffered,
        RefusalReason::Policy => R::Policy,
    }
}

fn trace_state(state: TraceState) -> pb::TraceState {
    match state {
        TraceState::Pending => pb::TraceState::Pending,
        TraceState::Approved => pb::TraceState::Approved,
        TraceState::Opened => pb::TraceState::Opened,
        TraceState::Expired => pb::TraceState::Expired,
    }
}

fn role(role: Role) -> pb::OperatorRole {
    match role {
        Role::Revoker => pb::OperatorRole::Revoker,
        Role::TraceRequester => pb::OperatorRole::TraceRequester,
        Role::Auditor => pb::OperatorRole::Auditor,
    }
}

impl<A: IdentityAuthority> IssuerService<A> {
    fn trace(&self, t: &TraceRecord) -> Result<pb::TraceRequest, IssuerError> {
        Ok(pb::TraceRequest {
            trace_id: t.id.clone(),
            subject_did: t.subject_did.clone(),
            legal_basis: t.legal_basis.clone(),
            case_reference: t.case_reference.clone(),
            requested_by: t.requested_by.clone(),
            created_at_unix_ms: t.created_at_ms,
            expires_at_unix_ms: t.expires_at_ms,
            state: trace_state(self.issuer.trace_state(t)) as i32,
            approvals_required: t.approvals_required,
            approvals: t
                .approvals
                .iter()
                .map(|a| pb::TraceApproval {
                    approver_id: a.approver_id.clone(),
                    approved_at_unix_ms: a.at_ms,
                    approval_key: a.key.clone(),
                    signed_at_unix_s: a.signed_at_s,
                })
                .collect(),
            request_digest: hex::decode(&t.digest)
                .map_err(|_| IssuerError::Corrupt(format!("trace {}: digest", t.id)))?,
            salt: hex::decode(&t.salt)
                .map_err(|_| IssuerError::Corrupt(format!("trace {}: salt", t.id)))?,
            request_hash: crate::engine::traces::trace_request_hash(t)?.to_vec(),
            chain_id: self.issuer.chain_id().as_str().to_owned(),
            issuer_did: self.issuer.did().to_string(),
            officer_key: hex::decode(&t.officer_key)
                .map_err(|_| IssuerError::Corrupt(format!("trace {}: officer key", t.id)))?,
            opened_at_unix_ms: t.opened.as_ref().map(|o| o.at_ms),
            opened_by: t.opened.as_ref().map(|o| o.by.clone()),
            audit_anchor_height: t.opened.as_ref().map(|o| o.receipt.height),
            subject_at_unix_ms: t.subject_at_ms,
            credential_id: t.credential_id.clone(),
            enrolment_id: t.enrolment_id.clone(),
        })
    }
}

/// A page token: the offset, bound to what is listed (a DID, a state filter), so a token
/// from one listing means nothing in another.
fn page_token(scope: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{offset}:{scope}"))
}

fn page_offset(scope: &str, page: Option<&pb::PageRequest>) -> Result<(usize, u32), IssuerError> {
    let Some(page) = page else { return Ok((0, 0)) };
    if page.page_token.is_empty() {
        return Ok((0, page.page_size));
    }
    let bad = || IssuerError::InvalidRequest("page.page_token: not a token of this listing".into());
    if page.page_token.len() > 1024 {
        return Err(bad());
    }
    let text = URL_SAFE_NO_PAD
        .decode(&page.page_token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let (offset, token_scope) = text.split_once(':').ok_or_else(bad)?;
    if token_scope != scope {
        return Err(bad());
    }
    Ok((offset.parse().map_err(|_| bad())?, page.page_size))
}

fn status_change(change: StatusChange) -> (Vec<String>, Vec<pb::TransactionReceipt>) {
    (change.credential_ids, change.anchors)
}

/// The credentials an operator names, each form bounded before it is looked up.
fn credential_target(
    target: Option<pb::credential_target::Target>,
) -> Result<RevokeTarget, IssuerError> {
    use pb::credential_target::Target;
    match target {
        Some(Target::CredentialId(id)) if !id.is_empty() && id.len() <= 128 => {
            Ok(RevokeTarget::Credential(id))
        }
        Some(Target::SubjectDid(did)) if !did.is_empty() && did.len() <= 256 => {
            Ok(RevokeTarget::Did(did))
        }
        Some(Target::EnrolmentId(id)) if !id.is_empty() && id.len() <= 128 => {
            Ok(RevokeTarget::Enrolment(id))
        }
        _ => Err(IssuerError::InvalidRequest(
            "target: set exactly one of credential_id (≤128 B), subject_did (≤256 B), \
             enrolment_id (≤128 B)"
                .into(),
        )),
    }
}

/// The note an operator's suspension or reinstatement must carry for the audit log.
fn audit_note(note: &str) -> Result<(), IssuerError> {
    if note.trim().is_empty() || note.len() > 4096 {
        return Err(IssuerError::InvalidRequest(
            "note: required, at most 4 KiB (it says why, in the audit log)".into(),
        ));
    }
    Ok(())
}

fn sealed_json(sealed: &realdid_core::escrow::ThresholdSealed) -> Result<String, IssuerError> {
    sealed
        .to_json()
        .map_err(|e| IssuerError::Corrupt(format!("a sealed record: {e}")))
}

fn proof_parts(proof: Option<pb::DidControlProof>) -> Result<pb::DidControlProof, IssuerError> {
    proof.ok_or_else(|| IssuerError::InvalidRequest("proof: required".into()))
}

#[tonic::async_trait]
impl<A: IdentityAuthority + 'static> IssuerRpc for IssuerService<A> {
    async fn get_issuer_info(
        &self,
        _: Request<pb::GetIssuerInfoRequest>,
    ) -> Result<Response<pb::GetIssuerInfoResponse>, Status> {
        let config = self.issuer.config();
        let approvers = self.issuer.approver_set().await?;
        Ok(Response::new(pb::GetIssuerInfoResponse {
            issuer_did: self.issuer.did().to_string(),
            display_name: config.display_name.clone(),
            credential_types: config
                .credential_types
                .iter()
                .map(|t| pb::CredentialTypeInfo {
                    vct: t.vct.clone(),
                    display_name: t.display_name.clone(),
                    claims: crate::claims::claim_names(),
                    validity_seconds: t.validity_days.saturating_mul(86_400),
                })
                .collect(),
            status_list_uris: self.issuer.status_list_uris()?,
            max_dids_per_enrolment: config.policy.max_dids_per_enrolment,
            nonce_ttl_seconds: config.policy.nonce_ttl_seconds,
            trace_disclosure_delay_seconds: config.trace.disclosure_delay_seconds,
            trace_approvals_required: approvers.as_ref().map_or(0, |s| u32::from(s.threshold)),
            trace_approvers_configured: approvers
                .as_ref()
                .map_or(0, |s| u32::try_from(s.approvers.len()).unwrap_or(u32::MAX)),
        }))
    }

    async fn create_nonce(
        &self,
        request: Request<pb::CreateNonceRequest>,
    ) -> Result<Response<pb::CreateNonceResponse>, Status> {
        self.admit(&request)?;
        let purpose = purpose(request.into_inner().purpose)?;
        let (nonce, expires_at_unix_ms) = self.issuer.create_nonce(purpose)?;
        Ok(Response::new(pb::CreateNonceResponse {
            nonce,
            expires_at_unix_ms,
        }))
    }

    async fn enrol(
        &self,
        request: Request<pb::EnrolRequest>,
    ) -> Result<Response<pb::EnrolResponse>, Status> {
        self.admit(&request)?;
        let outcome = self
            .issuer
            .enrol(enrol_request(request.into_inner()))
            .await?;
        let result = match outcome {
            EnrolOutcome::Issued {
                enrolment_id,
                credentials,
            } => {
                self.count_enrolment("ISSUED");
                pb::enrol_response::Result::Issued(pb::EnrolmentIssued {
                    enrolment_id,
                    credentials: credentials
                        .into_iter()
                        .map(|c| pb::IssuedCredential {
                            did: c.record.did,
                            credential_id: c.record.id,
                            sd_jwt_vc: c.sd_jwt,
                            credential_type: c.record.vct,
                            status_list_uri: c.status_list_uri,
                            status_index: u64::from(c.record.index),
                            issued_at_unix_ms: c.record.issued_at_ms,
                            expires_at_unix_ms: c.record.expires_at_ms,
                        })
                        .collect(),
                })
            }
            EnrolOutcome::Refused(refusal) => {
                self.count_enrolment(refusal_reason(refusal.reason).as_str_name());
                pb::enrol_response::Result::Refused(pb::EnrolmentRefusal {
                    reason: refusal_reason(refusal.reason) as i32,
                    message: refusal.message,
                    did_index: refusal.did_index,
                })
            }
        };
        Ok(Response::new(pb::EnrolResponse {
            result: Some(result),
        }))
    }

    async fn get_status_list(
        &self,
        request: Request<pb::GetStatusListRequest>,
    ) -> Result<Response<pb::GetStatusListResponse>, Status> {
        let uri = request.into_inner().list_uri;
        if uri.len() > 2048 {
            return Err(IssuerError::InvalidRequest("list_uri: at most 2 KiB".into()).into());
        }
        let not_found = || IssuerError::NotFound(format!("this issuer publishes no list {uri:?}"));
        let number =
            list_number(&self.issuer.config().public_base_url, &uri).ok_or_else(not_found)?;
        let (status_list_token, sequence) = self
            .issuer
            .status_list_token(number)?
            .ok_or_else(not_found)?;
        Ok(Response::new(pb::GetStatusListResponse {
            status_list_token,
            sequence,
        }))
    }

    async fn suspend_self(
        &self,
        request: Request<pb::SuspendSelfRequest>,
    ) -> Result<Response<pb::SuspendSelfResponse>, Status> {
        self.admit(&request)?;
        let r = request.into_inner();
        let proof = proof_parts(r.proof)?;
        let (credential_ids, anchors) = status_change(
            self.issuer
                .suspend_self(&r.nonce, &proof.did, &proof.proof_jws, r.whole_enrolment)
                .await?,
        );
        Ok(Response::new(pb::SuspendSelfResponse {
            credential_ids,
            anchors,
        }))
    }

    async fn resume_self(
        &self,
        request: Request<pb::ResumeSelfRequest>,
    ) -> Result<Response<pb::ResumeSelfResponse>, Status> {
        self.admit(&request)?;
        let r = request.into_inner();
        let proof = proof_parts(r.proof)?;
        let (credential_ids, anchors) = status_change(
            self.issuer
                .resume_self(&r.nonce, &proof.did, &proof.proof_jws, r.whole_enrolment)
                .await?,
        );
        Ok(Response::new(pb::ResumeSelfResponse {
            credential_ids,
            anchors,
        }))
    }

    async fn list_own_traces(
        &self,
        request: Request<pb::ListOwnTracesRequest>,
    ) -> Result<Response<pb::ListOwnTracesResponse>, Status> {
        self.admit(&request)?;
        let r = request.into_inner();
        let proof = proof_parts(r.proof)?;
        let scope = format!("own:{}", proof.did);
        let (offset, size) = page_offset(&scope, r.page.as_ref())?;
        let (did, traces) = self
            .issuer
            .own_traces(&r.nonce, &proof.did, &proof.proof_jws)
            .await?;
        let (items, next) = page(traces, offset, size);
        Ok(Response::new(pb::ListOwnTracesResponse {
            traces: items
                .into_iter()
                .filter_map(|t| {
                    let opened = t.opened?;
                    Some(pb::TraceNotice {
                        trace_id: t.id,
                        subject_did: did.clone(),
                        legal_basis: t.legal_basis,
                        opened_at_unix_ms: opened.at_ms,
                        audit_anchor_height: opened.receipt.height,
                    })
                })
                .collect(),
            page: Some(pb::PageResponse {
                next_page_token: next.map(|o| page_token(&scope, o)).unwrap_or_default(),
            }),
        }))
    }

    async fn operator_login(
        &self,
        request: Request<pb::OperatorLoginRequest>,
    ) -> Result<Response<pb::OperatorLoginResponse>, Status> {
        self.admit(&request)?;
        let r = request.into_inner();
        let credential = match r.credential {
            Some(pb::operator_login_request::Credential::Password(p)) => {
                LoginCredential::Password(p)
            }
            Some(pb::operator_login_request::Credential::KeyProofJws(j)) => {
                LoginCredential::KeyProof(j)
            }
            None => {
                return Err(IssuerError::InvalidRequest(
                    "credential: give a password or a key_proof_jws".into(),
                )
                .into());
            }
        };
        let (session_token, session) = self.issuer.login(&r.operator_id, credential).await?;
        Ok(Response::new(pb::OperatorLoginResponse {
            session_token,
            expires_at_unix_ms: session.expires_at_ms,
            roles: session.roles.iter().map(|r| role(*r) as i32).collect(),
        }))
    }

    async fn operator_logout(
        &self,
        request: Request<pb::OperatorLogoutRequest>,
    ) -> Result<Response<pb::OperatorLogoutResponse>, Status> {
        self.issuer.logout(&bearer(&request)?);
        Ok(Response::new(pb::OperatorLogoutResponse {}))
    }

    async fn revoke_credentials(
        &self,
        request: Request<pb::RevokeCredentialsRequest>,
    ) -> Result<Response<pb::RevokeCredentialsResponse>, Status> {
        let session = self.session(&request)?;
        session.require(&[Role::Revoker], "RevokeCredentials")?;
        let r = request.into_inner();
        use pb::credential_target::Target;
        use pb::revoke_credentials_request::Target as T;
        let target = credential_target(r.target.map(|t| match t {
            T::CredentialId(id) => Target::CredentialId(id),
            T::SubjectDid(did) => Target::SubjectDid(did),
            T::EnrolmentId(id) => Target::EnrolmentId(id),
        }))?;
        let reason = match pb::RevocationReason::try_from(r.reason) {
            Ok(pb::RevocationReason::Unspecified) | Err(_) => {
                return Err(IssuerError::InvalidRequest("reason: required".into()).into());
            }
            Ok(reason) => reason,
        };
        if r.note.len() > 4096 {
            return Err(IssuerError::InvalidRequest("note: at most 4 KiB".into()).into());
        }
        if reason == pb::RevocationReason::Other && r.note.trim().is_empty() {
            return Err(IssuerError::InvalidRequest(
                "note: required for REVOCATION_REASON_OTHER".into(),
            )
            .into());
        }
        let (credential_ids, anchors) = status_change(
            self.issuer
                .revoke(&session.operator_id, target, reason.as_str_name(), &r.note)
                .await?,
        );
        Ok(Response::new(pb::RevokeCredentialsResponse {
            credential_ids,
            anchors,
        }))
    }

    async fn suspend_credentials(
        &self,
        request: Request<pb::SuspendCredentialsRequest>,
    ) -> Result<Response<pb::SuspendCredentialsResponse>, Status> {
        let session = self.session(&request)?;
        session.require(&[Role::Revoker], "SuspendCredentials")?;
        let r = request.into_inner();
        let target = credential_target(r.target.and_then(|t| t.target))?;
        audit_note(&r.note)?;
        let (credential_ids, anchors) = status_change(
            self.issuer
                .operator_suspension(&session.operator_id, target, true, &r.note)
                .await?,
        );
        Ok(Response::new(pb::SuspendCredentialsResponse {
            credential_ids,
            anchors,
        }))
    }

    async fn reinstate_credentials(
        &self,
        request: Request<pb::ReinstateCredentialsRequest>,
    ) -> Result<Response<pb::ReinstateCredentialsResponse>, Status> {
        let session = self.session(&request)?;
        session.require(&[Role::Revoker], "ReinstateCredentials")?;
        let r = request.into_inner();
        let target = credential_target(r.target.and_then(|t| t.target))?;
        audit_note(&r.note)?;
        let (credential_ids, anchors) = status_change(
            self.issuer
                .operator_suspension(&session.operator_id, target, false, &r.note)
                .await?,
        );
        Ok(Response::new(pb::ReinstateCredentialsResponse {
            credential_ids,
            anchors,
        }))
    }

    async fn create_trace(
        &self,
        request: Request<pb::CreateTraceRequest>,
    ) -> Result<Response<pb::CreateTraceResponse>, Status> {
        let session = self.session(&request)?;
        let r = request.into_inner();
        let subject = match r.subject {
            None => TraceSubject::Now,
            Some(pb::create_trace_request::Subject::AtUnixMs(ms)) => TraceSubject::At(ms),
            Some(pb::create_trace_request::Subject::CredentialId(id)) => {
                TraceSubject::Credential(id)
            }
        };
        let trace = self
            .issuer
            .create_trace(
                &session,
                &r.subject_did,
                &r.legal_basis,
                &r.case_reference,
                subject,
                &r.officer_key,
            )
            .await?;
        Ok(Response::new(pb::CreateTraceResponse {
            trace: Some(self.trace(&trace)?),
        }))
    }

    async fn approve_trace(
        &self,
        request: Request<pb::ApproveTraceRequest>,
    ) -> Result<Response<pb::ApproveTraceResponse>, Status> {
        let r = request.into_inner();
        let trace = self
            .issuer
            .approve_trace(
                &r.trace_id,
                &r.approval_key,
                r.signed_at_unix_s,
                &r.signature,
            )
            .await?;
        Ok(Response::new(pb::ApproveTraceResponse {
            trace: Some(self.trace(&trace)?),
        }))
    }

    async fn get_trace(
        &self,
        request: Request<pb::GetTraceRequest>,
    ) -> Result<Response<pb::GetTraceResponse>, Status> {
        let session = self.session(&request)?;
        let trace = self
            .issuer
            .get_trace(&session, &request.into_inner().trace_id)?;
        Ok(Response::new(pb::GetTraceResponse {
            trace: Some(self.trace(&trace)?),
        }))
    }

    async fn get_issuer_stats(
        &self,
        request: Request<pb::GetIssuerStatsRequest>,
    ) -> Result<Response<pb::GetIssuerStatsResponse>, Status> {
        let session = self.session(&request)?;
        let figures = self.issuer.figures(&session)?;
        let enrolments = self
            .enrolments
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|(outcome, n)| ((*outcome).to_owned(), *n))
            .collect();
        let (last_anchor_height, last_anchor_at_unix_ms) = figures.last_anchor.unwrap_or((0, 0));
        let [pending, approved, opened, expired] = figures.traces;
        Ok(Response::new(pb::GetIssuerStatsResponse {
            at_unix_ms: self.issuer.now_ms(),
            started_at_unix_ms: self.started_at_ms,
            enrolments,
            credentials_issued: figures.issued,
            credentials_revoked: figures.revoked,
            credentials_suspended: figures.suspended,
            status_lists: figures.lists,
            unpublished_lists: figures.unpublished_lists,
            last_anchor_height,
            last_anchor_at_unix_ms,
            traces_pending: pending,
            traces_approved: approved,
            traces_opened: opened,
            traces_expired: expired,
        }))
    }

    async fn get_credential_status(
        &self,
        request: Request<pb::GetCredentialStatusRequest>,
    ) -> Result<Response<pb::GetCredentialStatusResponse>, Status> {
        use crate::store::CredentialStatus;

        let session = self.session(&request)?;
        let id = request.into_inner().credential_id;
        let record = self.issuer.credential_for_operator(&session, &id)?;
        let (status, status_detail, since) = match &record.status {
            CredentialStatus::Valid => ("VALID", String::new(), 0),
            CredentialStatus::Suspended {
                at_ms,
                by_holder,
                by_operator,
            } => {
                let by = match (by_holder, by_operator) {
                    (true, true) => "holder and operator",
                    (true, false) => "holder",
                    _ => "operator",
                };
                ("SUSPENDED", format!("by the {by}"), *at_ms)
            }
            CredentialStatus::Revoked { reason, at_ms } => ("REVOKED", reason.clone(), *at_ms),
        };
        let day = |ms: i64| ms.div_euclid(86_400_000).saturating_mul(86_400_000);
        Ok(Response::new(pb::GetCredentialStatusResponse {
            credential_type: record.vct,
            status: status.into(),
            status_detail,
            status_since_unix_ms: since,
            status_list_uri: self.issuer.list_uri(record.list),
            status_index: u64::from(record.index),
            issued_day_unix_ms: day(record.issued_at_ms),
            expires_day_unix_ms: day(record.expires_at_ms),
        }))
    }

    async fn list_audit_log(
        &self,
        request: Request<pb::ListAuditLogRequest>,
    ) -> Result<Response<pb::ListAuditLogResponse>, Status> {
        let session = self.session(&request)?;
        let page = request.into_inner().page.unwrap_or_default();
        let bad = || IssuerError::InvalidRequest("page.page_token: not a token of this log".into());
        // The token is the key of the last entry given, for the entries older than it.
        let before = if page.page_token.is_empty() {
            Vec::new()
        } else if page.page_token.len() > 1024 {
            return Err(bad().into());
        } else {
            URL_SAFE_NO_PAD
                .decode(&page.page_token)
                .map_err(|_| bad())?
        };
        let size = match page.page_size {
            0 => 50,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let (entries, more) = self.issuer.audit_log(&session, &before, size)?;
        let next = match (more, entries.last()) {
            (true, Some((key, _))) => URL_SAFE_NO_PAD.encode(key),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListAuditLogResponse {
            entries: entries
                .into_iter()
                .map(|(_, e)| pb::AuditLogEntry {
                    at_unix_ms: e.at_ms,
                    actor: e.actor,
                    action: e.action,
                    detail: e.detail,
                })
                .collect(),
            page: Some(pb::PageResponse {
                next_page_token: next,
            }),
        }))
    }

    async fn list_traces(
        &self,
        request: Request<pb::ListTracesRequest>,
    ) -> Result<Response<pb::ListTracesResponse>, Status> {
        let session = self.session(&request)?;
        let r = request.into_inner();
        let state = match pb::TraceState::try_from(r.state) {
            Ok(pb::TraceState::Unspecified) => None,
            Ok(pb::TraceState::Pending) => Some(TraceState::Pending),
            Ok(pb::TraceState::Approved) => Some(TraceState::Approved),
            Ok(pb::TraceState::Opened) => Some(TraceState::Opened),
            Ok(pb::TraceState::Expired) => Some(TraceState::Expired),
            Err(_) => {
                return Err(IssuerError::InvalidRequest(format!(
                    "state: {} is not a trace state",
                    r.state
                ))
                .into());
            }
        };
        let scope = format!("traces:{}", r.state);
        let (offset, size) = page_offset(&scope, r.page.as_ref())?;
        let (items, next) = page(self.issuer.list_traces(&session, state)?, offset, size);
        Ok(Response::new(pb::ListTracesResponse {
            traces: items
                .iter()
                .map(|t| self.trace(t))
                .collect::<Result<_, _>>()?,
            page: Some(pb::PageResponse {
                next_page_token: next.map(|o| page_token(&scope, o)).unwrap_or_default(),
            }),
        }))
    }

    async fn open_trace(
        &self,
        request: Request<pb::OpenTraceRequest>,
    ) -> Result<Response<pb::OpenTraceResponse>, Status> {
        let session = self.session(&request)?;
        let (trace, receipt) = self
            .issuer
            .open_trace(&session, &request.into_inner().trace_id)
            .await?;
        tracing::warn!(trace = %trace.id, operator = %session.operator_id, "lawful trace opened");
        Ok(Response::new(pb::OpenTraceResponse {
            trace: Some(self.trace(&trace)?),
            audit_anchor: Some(receipt),
            audit_sequence: trace.opened.as_ref().map_or(0, |o| o.sequence),
        }))
    }

    async fn get_sealed_record(
        &self,
        request: Request<pb::GetSealedRecordRequest>,
    ) -> Result<Response<pb::GetSealedRecordResponse>, Status> {
        let (sealed, audit_sequence) = self.issuer.sealed_record(&request.into_inner().trace_id)?;
        Ok(Response::new(pb::GetSealedRecordResponse {
            sealed_record: sealed_json(&sealed)?,
            audit_sequence,
        }))
    }

    async fn release_share(
        &self,
        request: Request<pb::ReleaseShareRequest>,
    ) -> Result<Response<pb::ReleaseShareResponse>, Status> {
        let r = request.into_inner();
        let (released, required) =
            self.issuer
                .release_share(&r.trace_id, &r.released_share, &r.signature)?;
        Ok(Response::new(pb::ReleaseShareResponse {
            released: u32::try_from(released).unwrap_or(u32::MAX),
            required: u32::from(required),
        }))
    }

    async fn list_reseals(
        &self,
        request: Request<pb::ListResealsRequest>,
    ) -> Result<Response<pb::ListResealsResponse>, Status> {
        let r = request.into_inner();
        let (records, next, set_height) = self
            .issuer
            .reseal_work(
                &r.approver_id,
                &r.approval_key,
                &r.nonce,
                &r.signature,
                &r.after_enrolment,
                r.page_size,
            )
            .await?;
        Ok(Response::new(pb::ListResealsResponse {
            sealed_records: records.iter().map(sealed_json).collect::<Result<_, _>>()?,
            next_after: next.unwrap_or_default(),
            approvers_set_height: set_height,
        }))
    }

    async fn submit_reshares(
        &self,
        request: Request<pb::SubmitResharesRequest>,
    ) -> Result<Response<pb::SubmitResharesResponse>, Status> {
        let outcome = self
            .issuer
            .submit_reshares(&request.into_inner().contributions)
            .await?;
        if outcome.resealed > 0 {
            tracing::info!(records = outcome.resealed, "identity records re-sealed");
        }
        Ok(Response::new(pb::SubmitResharesResponse {
            resealed: outcome.resealed,
            waiting: outcome.waiting,
        }))
    }

    async fn collect_shares(
        &self,
        request: Request<pb::CollectSharesRequest>,
    ) -> Result<Response<pb::CollectSharesResponse>, Status> {
        let session = self.session(&request)?;
        let (sealed, released_shares, audit_sequence) = self
            .issuer
            .collect_shares(&session, &request.into_inner().trace_id)?;
        Ok(Response::new(pb::CollectSharesResponse {
            sealed_record: sealed_json(&sealed)?,
            released_shares,
            audit_sequence,
        }))
    }
}

/// Serves `issuer` over gRPC on `grpc` (with reflection v1 and v1alpha, and health) and its
/// status lists over HTTP on `http` (`GET /status/<n>`), both over TLS when its
/// configuration has a certificate, until `shutdown` completes.
pub async fn serve<A: IdentityAuthority + 'static>(
    issuer: Arc<Issuer<A>>,
    grpc: tokio::net::TcpListener,
    http: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), IssuerError> {
    let grpc_addr: Option<SocketAddr> = grpc.local_addr().ok();
    let http_addr: Option<SocketAddr> = http.local_addr().ok();
    tracing::info!(?grpc_addr, ?http_addr, did = %issuer.did(), "issuer serving");
    let tls = issuer
        .config()
        .tls
        .server()
        .map_err(|e| IssuerError::Config(e.to_string()))?;
    let (router, _health) = realdid_proto::server::with_health_and_reflection::<
        IssuerServer<IssuerService<A>>,
    >(tls.as_ref())
    .await
    .map_err(IssuerError::Server)?;
    // Publish what an earlier run left unpublished, and keep trying while the registry is
    // unreachable or the issuer not yet accredited; publish again every list whose token
    // nears its expiry.
    let publisher = tokio::spawn({
        let issuer = issuer.clone();
        async move {
            loop {
                if !issuer.lists_ready()
                    && let Err(e) = issuer.ready_lists().await
                {
                    tracing::warn!(error = %e, "status lists not published yet; retrying in 30 s");
                }
                if let Err(e) = issuer.refresh_expiring_lists().await {
                    tracing::warn!(error = %e, "status list tokens not refreshed; retrying in 30 s");
                }
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            }
        }
    });
    // Disclose each opening to its holder once its delay has ended (checked every 2 s).
    let discloser = tokio::spawn({
        let issuer = issuer.clone();
        async move {
            loop {
                match issuer.publish_disclosures().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(disclosed = n, "trace openings disclosed on chain"),
                    Err(e) => {
                        tracing::warn!(error = %e, "trace disclosures not published; retrying")
                    }
                }
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let http_task = tokio::spawn({
        let issuer = issuer.clone();
        let tls = tls.clone();
        let mut rx = stop_rx.clone();
        async move {
            crate::http::serve(issuer, http, tls.as_ref(), async move {
                let _ = rx.changed().await;
            })
            .await
        }
    });
    let result = router
        .add_service(
            IssuerServer::new(IssuerService::new(issuer))
                .max_decoding_message_size(MAX_REQUEST_BYTES),
        )
        .serve_with_incoming_shutdown(
            // Small answers leave at once (no Nagle delay).
            tonic::transport::server::TcpIncoming::from(grpc).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(|e| IssuerError::Server(format!("gRPC: {e}")));
    publisher.abort();
    discloser.abort();
    let _ = stop_tx.send(true);
    let _ = http_task.await;
    result
}
