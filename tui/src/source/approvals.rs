//! A trace approver's part, from the console: the request file the officer handed over is
//! read and checked (its fields must hash to what is signed), described in words for the
//! approver to read, and signed with the approver's key file on this machine; the approval
//! goes to the issuer only after the approver's yes. ApproveTrace needs no session: the
//! signature, by an approver the chain names, is the authentication.

use std::path::Path;
use std::time::Duration;

use realdid_core::escrow::ApproverSecret;
use realdid_core::trace_file::{MAX_TRACE_REQUEST_FILE, TraceRequestFile};
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;

/// The largest approver key file read.
const MAX_KEY_FILE: u64 = 4096;
/// How long the issuer may take to record an approval.
const SEND_DEADLINE: Duration = Duration::from_secs(10);

fn read_bounded(path: &Path, max: u64, what: &str) -> Result<String, String> {
    let shown = path.display();
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{what} {shown}: {e}"))?
        .len();
    if len > max {
        return Err(format!(
            "{what} {shown}: {len} bytes, larger than one ({max})"
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{what} {shown}: {e}"))
}

/// Reads and checks `request_file`, and signs its approval at `now_s` with the approver in
/// `key_file`: what the request asks in words, and the approval to send.
pub fn prepare(
    request_file: &Path,
    key_file: &Path,
    now_s: u64,
) -> Result<(String, pb::ApproveTraceRequest), String> {
    let text = read_bounded(request_file, MAX_TRACE_REQUEST_FILE as u64, "request file")?;
    let request = TraceRequestFile::parse(&text).map_err(|e| e.to_string())?;
    request.checked_hash().map_err(|e| e.to_string())?;
    let secret = ApproverSecret::from_json(&read_bounded(key_file, MAX_KEY_FILE, "key file")?)
        .map_err(|e| format!("key file {}: {e}", key_file.display()))?;
    let signed = request.approve(&secret, now_s).map_err(|e| e.to_string())?;
    let description = format!("as {}: {}", secret.id(), request.describe());
    Ok((
        description,
        pb::ApproveTraceRequest {
            trace_id: signed.trace_id,
            approval_key: signed.approval_key,
            signed_at_unix_s: signed.signed_at_unix_s,
            signature: signed.signature,
        },
    ))
}

/// Sends `approval` to the issuer at `endpoint`; how many approvals the trace has now.
pub async fn send(
    endpoint: &str,
    tls: &ClientTls,
    approval: pb::ApproveTraceRequest,
) -> Result<String, String> {
    let trace_id = approval.trace_id.clone();
    let trace = tokio::time::timeout(SEND_DEADLINE, async {
        let channel = tls.connect(endpoint).await.map_err(|e| e.to_string())?;
        IssuerClient::new(channel)
            .approve_trace(approval)
            .await
            .map(|r| r.into_inner().trace)
            .map_err(|status| status.message().to_owned())
    })
    .await
    .unwrap_or_else(|_| Err(format!("{endpoint}: no answer in 10 s")))?
    .ok_or_else(|| "the issuer answered no trace".to_owned())?;
    Ok(format!(
        "trace {trace_id} approved: {} of {} approvals",
        trace.approvals.len(),
        trace.approvals_required
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use realdid_core::codec::ChainId;
    use realdid_core::did::OrgKeys;
    use realdid_core::escrow::OfficerSecret;
    use realdid_core::trace::TraceRequestFields;

    use super::*;

    #[test]
    fn a_request_file_is_read_checked_described_and_signed_by_the_approver() {
        let dir = tempfile::tempdir().unwrap();
        let request = TraceRequestFile::new(
            &TraceRequestFields {
                trace_id: "t-9",
                subject_did: "did:realdid:subject",
                legal_basis: "warrant 2026-91",
                case_reference: "CASE-91",
                requested_by: "officer-li",
                created_at_ms: 1_750_000_000_000,
                subject_at_ms: 1_749_000_000_000,
                enrolment_id: "enr-1",
            },
            2,
            &[3; 32],
            &ChainId::parse("realdid-test").unwrap(),
            OrgKeys::generate().unwrap().did(),
            &OfficerSecret::generate().unwrap().public(),
        );
        let request_path = dir.path().join("request.json");
        std::fs::write(&request_path, request.to_json()).unwrap();
        let approver = ApproverSecret::generate("judge-1").unwrap();
        let key_path = dir.path().join("judge-1.key.json");
        std::fs::write(&key_path, approver.to_json().unwrap().as_str()).unwrap();

        let (said, approval) = prepare(&request_path, &key_path, 1_750_000_100).unwrap();
        assert!(said.starts_with("as judge-1: trace t-9"), "{said}");
        assert!(said.contains("warrant 2026-91"), "{said}");
        assert_eq!(approval.trace_id, "t-9");
        assert_eq!(approval.signed_at_unix_s, 1_750_000_100);
        assert_eq!(approval.signature.len(), 64);

        let mut changed = request.clone();
        changed.case_reference = "CASE-92".into();
        std::fs::write(&request_path, changed.to_json()).unwrap();
        let refused = prepare(&request_path, &key_path, 1).unwrap_err();
        assert!(
            refused.contains("changed after the issuer made it"),
            "{refused}"
        );
        std::fs::write(&request_path, "x".repeat(70_000)).unwrap();
        let refused = prepare(&request_path, &key_path, 1).unwrap_err();
        assert!(refused.contains("larger than"), "{refused}");
    }
}
