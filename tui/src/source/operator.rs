//! The operator's actions: status changes sent to the issuer with the session an operator
//! opened by `realdid issuer login`, through the issuer's public gRPC API like the command
//! line's. The token is read from its file at each action, so a new login takes effect at
//! once and a console left open holds no token in memory between actions.

use std::path::PathBuf;
use std::time::Duration;

use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;

use crate::model::{
    ChangeOutcome, CredentialRow, IssuerFigures, LogRow, RevocationReason, StatusAction, TraceRow,
};

/// How long an action may take: the issuer answers once the anchor is proven on chain.
const ACTION_DEADLINE: Duration = Duration::from_secs(60);
/// The largest session file read.
const MAX_SESSION_FILE: u64 = 4 * 1024;

/// Whom the console acts for.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The issuer's gRPC endpoint.
    pub endpoint: String,
    /// The session file `realdid issuer login` wrote.
    pub session_file: PathBuf,
}

fn reason(reason: RevocationReason) -> pb::RevocationReason {
    match reason {
        RevocationReason::KeyCompromise => pb::RevocationReason::KeyCompromise,
        RevocationReason::Fraud => pb::RevocationReason::Fraud,
        RevocationReason::Deceased => pb::RevocationReason::Deceased,
        RevocationReason::LegalOrder => pb::RevocationReason::LegalOrder,
        RevocationReason::HolderRequest => pb::RevocationReason::HolderRequest,
        RevocationReason::Superseded => pb::RevocationReason::Superseded,
        RevocationReason::IssuerError => pb::RevocationReason::IssuerError,
        RevocationReason::Other => pb::RevocationReason::Other,
    }
}

/// The session token, read afresh and bounded.
fn token(operator: &Operator) -> Result<String, String> {
    let path = operator.session_file.display();
    let len = std::fs::metadata(&operator.session_file)
        .map_err(|e| format!("the session file {path}: {e}"))?
        .len();
    if len > MAX_SESSION_FILE {
        return Err(format!(
            "the session file {path} is {len} bytes, not a session"
        ));
    }
    let text = std::fs::read_to_string(&operator.session_file)
        .map_err(|e| format!("the session file {path}: {e}"))?;
    Ok(text.trim().to_owned())
}

/// The operator's session token, as an authorization header value.
type Bearer = tonic::metadata::MetadataValue<tonic::metadata::Ascii>;

/// A client of the operator's issuer and the session to show it: the token is read from
/// its file each time.
async fn session(
    operator: &Operator,
    tls: &ClientTls,
) -> Result<(IssuerClient<tonic::transport::Channel>, Bearer), String> {
    let bearer = format!("Bearer {}", token(operator)?)
        .parse::<Bearer>()
        .map_err(|_| "the session file does not hold a token".to_owned())?;
    let channel = tls
        .connect(&operator.endpoint)
        .await
        .map_err(|e| format!("{}: {e}", operator.endpoint))?;
    Ok((IssuerClient::new(channel), bearer))
}

/// `message` with the operator's session.
fn authorised<T>(bearer: &Bearer, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", bearer.clone());
    request
}

/// Asks the issuer for `action` on `credential_id`, with `note` for its audit log.
pub async fn change(
    operator: &Operator,
    tls: &ClientTls,
    action: StatusAction,
    credential_id: String,
    note: String,
) -> ChangeOutcome {
    match tokio::time::timeout(
        ACTION_DEADLINE,
        send(operator, tls, action, credential_id, note),
    )
    .await
    {
        Ok(Ok((issuer_did, credential_ids, anchors))) => ChangeOutcome::Done {
            issuer_did,
            credential_ids,
            anchor_heights: anchors.iter().map(|a| a.height).collect(),
        },
        Ok(Err(reason)) => ChangeOutcome::Failed(reason),
        Err(_) => ChangeOutcome::Failed(format!(
            "no answer in {} s; the change may still be published",
            ACTION_DEADLINE.as_secs()
        )),
    }
}

async fn send(
    operator: &Operator,
    tls: &ClientTls,
    action: StatusAction,
    credential_id: String,
    note: String,
) -> Result<(String, Vec<String>, Vec<pb::TransactionReceipt>), String> {
    let (mut client, bearer) = session(operator, tls).await?;
    // Whose lists change: what tells which lists the verifiers hold the change would be in.
    let issuer_did = client
        .get_issuer_info(pb::GetIssuerInfoRequest {})
        .await
        .map(|r| r.into_inner().issuer_did)
        .unwrap_or_default();
    let target = Some(pb::CredentialTarget {
        target: Some(pb::credential_target::Target::CredentialId(
            credential_id.clone(),
        )),
    });
    let refused = |status: tonic::Status| status.message().to_owned();
    let (ids, anchors) = match action {
        StatusAction::Revoke(why) => client
            .revoke_credentials(authorised(
                &bearer,
                pb::RevokeCredentialsRequest {
                    target: Some(pb::revoke_credentials_request::Target::CredentialId(
                        credential_id,
                    )),
                    reason: reason(why) as i32,
                    note,
                },
            ))
            .await
            .map(|r| r.into_inner())
            .map(|r| (r.credential_ids, r.anchors))
            .map_err(refused),
        StatusAction::Suspend => client
            .suspend_credentials(authorised(
                &bearer,
                pb::SuspendCredentialsRequest { target, note },
            ))
            .await
            .map(|r| r.into_inner())
            .map(|r| (r.credential_ids, r.anchors))
            .map_err(refused),
        StatusAction::Reinstate => client
            .reinstate_credentials(authorised(
                &bearer,
                pb::ReinstateCredentialsRequest { target, note },
            ))
            .await
            .map(|r| r.into_inner())
            .map(|r| (r.credential_ids, r.anchors))
            .map_err(refused),
    }?;
    Ok((issuer_did, ids, anchors))
}

/// The issuer's latest trace requests (at most 100), newest first, as its operator sees them.
pub async fn traces(operator: &Operator, tls: &ClientTls) -> Result<Vec<TraceRow>, String> {
    let listed = tokio::time::timeout(Duration::from_secs(10), async {
        let (mut client, bearer) = session(operator, tls).await?;
        client
            .list_traces(authorised(
                &bearer,
                pb::ListTracesRequest {
                    state: pb::TraceState::Unspecified as i32,
                    page: Some(pb::PageRequest {
                        page_size: 100,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .map(|r| r.into_inner().traces)
            .map_err(|status| status.message().to_owned())
    })
    .await
    .unwrap_or_else(|_| Err("no answer in 10 s".into()))?;
    Ok(listed.into_iter().map(row).collect())
}

/// The issuer's figures and, for an auditor, the newest entries of its audit log (the
/// log's refusal otherwise), as the operator's session may read them.
pub async fn figures(
    operator: &Operator,
    tls: &ClientTls,
) -> (Result<IssuerFigures, String>, Result<Vec<LogRow>, String>) {
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let (mut client, bearer) = session(operator, tls).await?;
        let stats = client
            .get_issuer_stats(authorised(&bearer, pb::GetIssuerStatsRequest {}))
            .await
            .map(|r| r.into_inner())
            .map_err(|status| status.message().to_owned());
        let log = client
            .list_audit_log(authorised(
                &bearer,
                pb::ListAuditLogRequest {
                    page: Some(pb::PageRequest {
                        page_size: 50,
                        ..Default::default()
                    }),
                },
            ))
            .await
            .map(|r| r.into_inner().entries)
            .map_err(|status| status.message().to_owned());
        Ok::<_, String>((stats, log))
    })
    .await
    .unwrap_or_else(|_| Err("no answer in 10 s".into()));
    let (stats, log) = match read {
        Ok(both) => both,
        Err(why) => (Err(why.clone()), Err(why)),
    };
    let figures = stats.map(|s| {
        let mut enrolments: Vec<(String, u64)> = s.enrolments.into_iter().collect();
        enrolments.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        IssuerFigures {
            enrolments,
            issued: s.credentials_issued,
            revoked: s.credentials_revoked,
            suspended: s.credentials_suspended,
            unpublished_lists: s.unpublished_lists,
            last_anchor: (s.last_anchor_height > 0)
                .then_some((s.last_anchor_height, s.last_anchor_at_unix_ms)),
            traces: [
                s.traces_pending,
                s.traces_approved,
                s.traces_opened,
                s.traces_expired,
            ],
        }
    });
    let log = log.map(|entries| {
        entries
            .into_iter()
            .map(|e| LogRow {
                at_ms: e.at_unix_ms,
                actor: e.actor,
                action: e.action,
                detail: e.detail,
            })
            .collect()
    });
    (figures, log)
}

/// A credential's standing, as the operator's issuer tells it.
pub async fn credential(
    operator: &Operator,
    tls: &ClientTls,
    id: String,
) -> Result<CredentialRow, String> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let (mut client, bearer) = session(operator, tls).await?;
        client
            .get_credential_status(authorised(
                &bearer,
                pb::GetCredentialStatusRequest {
                    credential_id: id.clone(),
                },
            ))
            .await
            .map(|r| r.into_inner())
            .map(|c| CredentialRow {
                id: id.clone(),
                status: c.status,
                detail: c.status_detail,
                since_ms: c.status_since_unix_ms,
                list: c.status_list_uri,
                index: c.status_index,
                expires_day_ms: c.expires_day_unix_ms,
            })
            .map_err(|status| status.message().to_owned())
    })
    .await
    .unwrap_or_else(|_| Err("no answer in 10 s".into()))
}

fn row(t: pb::TraceRequest) -> TraceRow {
    let state = match pb::TraceState::try_from(t.state) {
        Ok(pb::TraceState::Pending) => "PENDING",
        Ok(pb::TraceState::Approved) => "APPROVED",
        Ok(pb::TraceState::Opened) => "OPENED",
        Ok(pb::TraceState::Expired) => "EXPIRED",
        _ => "UNKNOWN",
    };
    TraceRow {
        id: t.trace_id,
        subject_did: t.subject_did,
        legal_basis: t.legal_basis,
        case_reference: t.case_reference,
        requested_by: t.requested_by,
        state: state.to_owned(),
        approvals: t.approvals.into_iter().map(|a| a.approver_id).collect(),
        required: t.approvals_required,
        created_at_ms: t.created_at_unix_ms,
        expires_at_ms: t.expires_at_unix_ms,
        opened_at_ms: t.opened_at_unix_ms,
        anchor_height: t.audit_anchor_height,
    }
}
