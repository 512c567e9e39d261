//! The issuer end to end: a 4-validator devnet (real processes, real RocksDB), the
//! reference identity authority and the issuer on real sockets. A person enrols three DIDs;
//! every refusal the issue names is refused with its reason; a revoked and a suspended
//! credential show so in status lists whose hashes are proven on chain; a trace opens only
//! with k approvals and leaves a proven audit anchor; and no byte of a name or resident ID
//! number lands in the issuer's or the chain's files.

use std::collections::HashSet;
use std::time::Duration;

use realdid_core::did::Purposes;
use realdid_core::keys::{Jwk, PublicKey};
use realdid_core::operator_login::sign_operator_login;
use realdid_core::sd_jwt::{SdJwt, SdJwtError, VcVerifyOptions, VerifiedSdJwtVc, verify_sd_jwt_vc};
use realdid_core::status_list::{Status, StatusList, StatusListTokenClaims};
use realdid_core::trace::{AuditApproval, audit_record_hash, sign_approval};
use realdid_issuer::provision::load_approver;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_tests::chain::{Devnet, Holder, create_did};
use realdid_tests::issuer::{IssuerStack, UNACCREDITED_VCT, control_proof, holder_did, nonce};
use sha2::{Digest as _, Sha256};
use tonic::transport::Channel;

const SLOW: Duration = Duration::from_secs(90);

struct Person {
    name: String,
    id: String,
    evidence: String,
}

fn person(stack: &IssuerStack, i: usize) -> Person {
    let p = &stack.people[i];
    Person {
        name: p.full_name.clone(),
        id: p.resident_id.clone(),
        evidence: p.evidence_token.clone(),
    }
}

async fn enrol(
    client: &mut IssuerClient<Channel>,
    issuer_did: &str,
    who: &Person,
    holders: &[&Holder],
    credential_type: &str,
) -> Result<pb::enrol_response::Result, tonic::Status> {
    let n = nonce(client, pb::NoncePurpose::Enrol).await;
    let answer = client
        .enrol(pb::EnrolRequest {
            nonce: n.clone(),
            full_name: who.name.clone(),
            resident_id: who.id.clone(),
            evidence_token: who.evidence.clone(),
            dids: holders
                .iter()
                .map(|h| control_proof(h, &n, issuer_did))
                .collect(),
            credential_type: credential_type.into(),
        })
        .await?;
    Ok(answer.into_inner().result.expect("a result"))
}

fn refused(result: pb::enrol_response::Result) -> (pb::EnrolmentRefusalReason, String) {
    match result {
        pb::enrol_response::Result::Refused(r) => (r.reason(), r.message),
        pb::enrol_response::Result::Issued(_) => panic!("expected a refusal, got credentials"),
    }
}

/// The issuer's current key of `kid`, from its DID document proven on chain.
async fn issuer_key(
    node: &mut RegistryClient<Channel>,
    stack: &IssuerStack,
    kid: &str,
) -> PublicKey {
    let did = stack.issuer().did();
    let read = node
        .resolve(pb::ResolveRequest {
            did: did.to_string(),
            at: None,
        })
        .await
        .unwrap()
        .into_inner()
        .proof
        .unwrap();
    let (_, record) = stack.light.verify_did(&did, &read).unwrap();
    let state = record.unwrap().state;
    let fragment = kid.split_once('#').expect("kid is a DID URL").1;
    state
        .key_for(&fragment.parse().unwrap(), Purposes::ASSERTION_METHOD)
        .expect("an assertion key")
        .clone()
}

/// The status of entry `index` of the list at `uri`, read from the token served over HTTP,
/// after checking that the token's hash is the one proven on chain.
async fn status_on_chain(
    stack: &IssuerStack,
    node: &mut RegistryClient<Channel>,
    client: &mut IssuerClient<Channel>,
    uri: &str,
    index: u64,
) -> Status {
    let served = client
        .get_status_list(pb::GetStatusListRequest {
            list_uri: uri.into(),
        })
        .await
        .unwrap()
        .into_inner();
    // The same token over plain HTTP.
    let path = uri.split_once(&stack.http.to_string()).unwrap().1;
    assert_eq!(http_get(stack.http, path).await, served.status_list_token);

    // The node read may be a block behind the one that made the issuer's anchor final:
    // wait (briefly) until it has the anchor of the token served.
    let did = stack.issuer().did();
    let mut anchor = None;
    for _ in 0..100 {
        let read = node
            .get_status_list_anchor(pb::GetStatusListAnchorRequest {
                list_uri: uri.into(),
                issuer_did: did.to_string(),
            })
            .await
            .unwrap()
            .into_inner()
            .proof
            .unwrap();
        let (_, record) = stack.light.verify_status_anchor(&did, uri, &read).unwrap();
        let record = record.expect("the list is anchored");
        if record.anchor.sequence >= served.sequence {
            anchor = Some(record);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let anchor = anchor.expect("the node catches up with the issuer's anchor");
    assert_eq!(anchor.anchor.sequence, served.sequence);
    let hash: [u8; 32] = Sha256::digest(served.status_list_token.as_bytes()).into();
    assert_eq!(
        anchor.anchor.list_hash, hash,
        "the served token is the anchored one"
    );

    let payload = served.status_list_token.split('.').nth(1).unwrap();
    let payload = base64_url(payload);
    let claims: StatusListTokenClaims = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims.sub.as_str(), uri);
    StatusList::decode(&claims.status_list)
        .unwrap()
        .get(index as usize)
        .unwrap()
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64_engine::*;
    decode(text)
}

/// A tiny base64url decoder, so the test needs no extra crate for it.
mod base64_engine {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'-' => 62,
                b'_' => 63,
                _ => panic!("not base64url"),
            }
        };
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in text.bytes() {
            acc = (acc << 6) | value(c);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("application/statuslist+jwt"));
    response.split("\r\n\r\n").nth(1).unwrap().to_owned()
}

/// Verifies `sd_jwt` with the IETF SD-JWT reference implementation (Python, installed by
/// scripts/setup.sh) and returns the payload it sees.
fn verify_with_reference(sd_jwt: &str, issuer_key: &PublicKey) -> serde_json::Value {
    let python = std::env::var("REALDID_SDJWT_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/realdid/sdjwt-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let credential = dir.path().join("credential");
    let jwk = dir.path().join("issuer.jwk");
    std::fs::write(&credential, sd_jwt).unwrap();
    std::fs::write(
        &jwk,
        Jwk::from_public_key(issuer_key)
            .unwrap()
            .canonical_public_json(),
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/verify_sd_jwt.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(&credential)
        .arg(&jwk)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (scripts/setup.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "the reference implementation refuses the credential: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Verifies an SD-JWT VC (issuance form) with realdid's verifier and the issuer key `key`.
fn verify_with(sd_jwt: &str, key: &PublicKey, now: i64) -> Result<VerifiedSdJwtVc, SdJwtError> {
    let resolver = |_: &serde_json::Map<String, serde_json::Value>,
                    _: &serde_json::Map<String, serde_json::Value>|
     -> Result<PublicKey, SdJwtError> { Ok(key.clone()) };
    verify_sd_jwt_vc(sd_jwt, &VcVerifyOptions::default(), &resolver, now)
}

/// The `kid` of an SD-JWT VC's issuer-signed JWT.
fn kid_of(sd_jwt: &str) -> String {
    let header = sd_jwt.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(&base64_url(header)).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn session(token: &str) -> tonic::metadata::MetadataValue<tonic::metadata::Ascii> {
    format!("Bearer {token}").parse().unwrap()
}

fn with_session<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", session(token));
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_refuse_revoke_suspend_trace_and_keep_no_personal_data() {
    let _serial = crate::serial().await;
    let net = Devnet::start(4);
    for i in 0..4 {
        net.wait_height(i, 1, SLOW).await;
    }
    let mut stack = IssuerStack::start(&net, 40, 1).await;
    let mut client = stack.client().await;
    let mut node = net.client(1).await;
    let issuer_did = stack.issuer().did().to_string();
    let alice = person(&stack, 0);

    // Three DIDs, three credentials that verify and share no signature, salt or holder key.
    let holders = [
        holder_did(&net).await,
        holder_did(&net).await,
        holder_did(&net).await,
    ];
    let issued = match enrol(
        &mut client,
        &issuer_did,
        &alice,
        &holders.iter().collect::<Vec<_>>(),
        "",
    )
    .await
    .unwrap()
    {
        pb::enrol_response::Result::Issued(issued) => issued,
        pb::enrol_response::Result::Refused(r) => panic!("refused: {}", r.message),
    };
    assert_eq!(issued.credentials.len(), 3);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (mut signatures, mut salts, mut cnfs) = (HashSet::new(), HashSet::new(), HashSet::new());
    for (credential, holder) in issued.credentials.iter().zip(&holders) {
        assert_eq!(credential.did, holder.state.did.to_string());
        let sd_jwt = SdJwt::parse(&credential.sd_jwt_vc).unwrap();
        let header = sd_jwt.issuer_jwt().split('.').next().unwrap();
        let header: serde_json::Value = serde_json::from_slice(&base64_url(header)).unwrap();
        assert_eq!(header["typ"], "dc+sd-jwt");
        let kid = header["kid"].as_str().unwrap().to_owned();
        let key = issuer_key(&mut node, &stack, &kid).await;
        let verified = verify_with(&credential.sd_jwt_vc, &key, now).unwrap();
        assert_eq!(verified.issuer, issuer_did);
        assert_eq!(verified.holder_key.as_ref(), Some(&holder.key.public_key()));
        assert_eq!(verified.claims["real_name_verified"], true);
        assert_eq!(verified.claims["name"], alice.name.as_str());
        // Every identity claim is selectively disclosable.
        assert!(verified.disclosed.len() >= 10);
        assert!(signatures.insert(sd_jwt.issuer_jwt().rsplit('.').next().unwrap().to_owned()));
        for d in sd_jwt.disclosures() {
            assert!(salts.insert(d.salt().to_owned()), "a salt is shared");
        }
        assert!(cnfs.insert(holder.key.public_key().to_bytes()));
        // The IETF reference implementation agrees.
        let reference = verify_with_reference(&credential.sd_jwt_vc, &key);
        assert_eq!(reference["iss"], issuer_did.as_str());
        assert_eq!(reference["name"], alice.name.as_str());
        assert_eq!(reference["age_over_18"], verified.claims["age_over_18"]);
    }

    // Each refusal, with its reason.
    let fresh = holder_did(&net).await;
    let mut wrong_name = person(&stack, 1);
    wrong_name.name.push('X');
    assert_eq!(
        refused(
            enrol(&mut client, &issuer_did, &wrong_name, &[&fresh], "")
                .await
                .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::IdentityNoMatch
    );
    let mut bad_check = person(&stack, 1);
    let last = bad_check.id.pop().unwrap();
    bad_check.id.push(if last == '0' { '1' } else { '0' });
    let status = enrol(&mut client, &issuer_did, &bad_check, &[&fresh], "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("check"), "{}", status.message());
    let mut future = person(&stack, 1);
    future.id = realdid_tests::issuer::with_birth_date(&future.id, "2099", "0101");
    let status = enrol(&mut client, &issuer_did, &future, &[&fresh], "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("after today"),
        "{}",
        status.message()
    );
    let mut unknown = person(&stack, 1);
    unknown.id = realdid_tests::issuer::with_birth_date(&unknown.id, "1950", "0505");
    assert_eq!(
        refused(
            enrol(&mut client, &issuer_did, &unknown, &[&fresh], "")
                .await
                .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::IdentityNoMatch
    );
    // A DID the person does not control: the proof is signed with another key.
    let (_, stranger) = create_did(Purposes::AUTHENTICATION);
    let mut impostor = holder_did(&net).await;
    impostor.key = stranger.key;
    let (reason, _) = refused(
        enrol(
            &mut client,
            &issuer_did,
            &person(&stack, 1),
            &[&fresh, &impostor],
            "",
        )
        .await
        .unwrap(),
    );
    assert_eq!(reason, pb::EnrolmentRefusalReason::DidProofInvalid);
    // A DID that is not on the chain.
    let (_, off_chain) = create_did(Purposes::AUTHENTICATION);
    assert_eq!(
        refused(
            enrol(
                &mut client,
                &issuer_did,
                &person(&stack, 1),
                &[&off_chain],
                ""
            )
            .await
            .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::DidNotUsable
    );
    // A DID already bound.
    assert_eq!(
        refused(
            enrol(
                &mut client,
                &issuer_did,
                &person(&stack, 1),
                &[&holders[0]],
                ""
            )
            .await
            .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::DidAlreadyEnrolled
    );
    // A type the issuer offers but the registry does not accredit it for.
    let (reason, message) = refused(
        enrol(
            &mut client,
            &issuer_did,
            &person(&stack, 1),
            &[&fresh],
            UNACCREDITED_VCT,
        )
        .await
        .unwrap(),
    );
    assert_eq!(reason, pb::EnrolmentRefusalReason::CredentialTypeNotOffered);
    assert!(message.contains("not accredited"), "{message}");
    // None of those refusals bound `fresh`: the right person can still use it.
    assert!(matches!(
        enrol(&mut client, &issuer_did, &person(&stack, 1), &[&fresh], "")
            .await
            .unwrap(),
        pb::enrol_response::Result::Issued(_)
    ));

    // An operator revokes credential 0; the holder of DID 1 suspends their own.
    let bad_login = client
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "officer".into(),
            credential: Some(pb::operator_login_request::Credential::Password(
                "wrong".into(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_login.code(), tonic::Code::Unauthenticated);
    let token = stack.officer_session(&mut client).await;
    let no_session = client
        .revoke_credentials(pb::RevokeCredentialsRequest {
            target: Some(pb::revoke_credentials_request::Target::CredentialId(
                issued.credentials[0].credential_id.clone(),
            )),
            reason: pb::RevocationReason::KeyCompromise as i32,
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_session.code(), tonic::Code::Unauthenticated);
    let revoked = client
        .revoke_credentials(with_session(
            pb::RevokeCredentialsRequest {
                target: Some(pb::revoke_credentials_request::Target::CredentialId(
                    issued.credentials[0].credential_id.clone(),
                )),
                reason: pb::RevocationReason::KeyCompromise as i32,
                note: "reported stolen".into(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        revoked.credential_ids,
        vec![issued.credentials[0].credential_id.clone()]
    );
    assert_eq!(revoked.anchors.len(), 1);
    let n = nonce(&mut client, pb::NoncePurpose::Suspend).await;
    let suspended = client
        .suspend_self(pb::SuspendSelfRequest {
            proof: Some(control_proof(&holders[1], &n, &issuer_did)),
            nonce: n,
            whole_enrolment: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        suspended.credential_ids,
        vec![issued.credentials[1].credential_id.clone()]
    );
    // A proof by someone else's key suspends nothing.
    let n = nonce(&mut client, pb::NoncePurpose::Suspend).await;
    let forged = client
        .suspend_self(pb::SuspendSelfRequest {
            proof: Some(control_proof(&impostor, &n, &issuer_did)),
            nonce: n,
            whole_enrolment: true,
        })
        .await
        .unwrap_err();
    assert_eq!(forged.code(), tonic::Code::Unauthenticated);
    let expected = [Status::INVALID, Status::SUSPENDED, Status::VALID];
    for (credential, want) in issued.credentials.iter().zip(expected) {
        let got = status_on_chain(
            &stack,
            &mut node,
            &mut client,
            &credential.status_list_uri,
            credential.status_index,
        )
        .await;
        assert_eq!(got, want, "credential {}", credential.credential_id);
    }

    // The holder lifts their suspension; the revocation stays.
    let n = nonce(&mut client, pb::NoncePurpose::Resume).await;
    let resumed = client
        .resume_self(pb::ResumeSelfRequest {
            proof: Some(control_proof(&holders[1], &n, &issuer_did)),
            nonce: n,
            whole_enrolment: true,
        })
        .await
        .unwrap()
        .into_inner();
    // The whole enrolment, valid again (including the one that already was); never the
    // revoked one.
    assert_eq!(resumed.credential_ids.len(), 2);
    assert!(
        !resumed
            .credential_ids
            .contains(&issued.credentials[0].credential_id)
    );
    let c1 = &issued.credentials[1];
    assert_eq!(
        status_on_chain(
            &stack,
            &mut node,
            &mut client,
            &c1.status_list_uri,
            c1.status_index
        )
        .await,
        Status::VALID
    );
    let c0 = &issued.credentials[0];
    assert_eq!(
        status_on_chain(
            &stack,
            &mut node,
            &mut client,
            &c0.status_list_uri,
            c0.status_index
        )
        .await,
        Status::INVALID
    );

    // Tracing DID 2: one approval opens nothing; the second opens it and anchors the opening.
    let trace = client
        .create_trace(with_session(
            pb::CreateTraceRequest {
                subject_did: holders[2].state.did.to_string(),
                legal_basis: "Criminal Procedure Law art. 142; warrant 2026-77".into(),
                case_reference: "CASE-77".into(),
                subject: None,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    let digest: [u8; 32] = trace.request_digest.clone().try_into().unwrap();
    let approvers: Vec<_> = stack
        .provisioned
        .approver_key_files
        .iter()
        .map(|f| load_approver(f).unwrap())
        .collect();
    let approve = |i: usize| pb::ApproveTraceRequest {
        trace_id: trace.trace_id.clone(),
        approval_jws: sign_approval(
            &trace.trace_id,
            &digest,
            &approvers[i].0,
            &approvers[i].1,
            now,
        )
        .unwrap(),
    };
    // An approval of another digest is refused.
    let wrong = client
        .approve_trace(pb::ApproveTraceRequest {
            trace_id: trace.trace_id.clone(),
            approval_jws: sign_approval(
                &trace.trace_id,
                &[0; 32],
                &approvers[0].0,
                &approvers[0].1,
                now,
            )
            .unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), tonic::Code::Unauthenticated);
    let once = client
        .approve_trace(approve(0))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(once.state(), pb::TraceState::Pending);
    // The same approver twice is still one approval.
    let twice = client
        .approve_trace(approve(0))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(twice.approvals.len(), 1);
    let early = client
        .open_trace(with_session(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition);
    let audit_absent = node
        .get_audit_anchor(pb::GetAuditAnchorRequest {
            issuer_did: issuer_did.clone(),
            sequence: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let (_, none) = stack
        .light
        .verify_audit_anchor(&stack.issuer().did(), 1, &audit_absent.proof.unwrap())
        .unwrap();
    assert!(none.is_none(), "an incomplete trace left an anchor");
    let approved = client
        .approve_trace(approve(1))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(approved.state(), pb::TraceState::Approved);
    let opened = client
        .open_trace(with_session(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let record = opened.record.unwrap();
    assert_eq!(record.full_name, alice.name);
    assert_eq!(record.resident_id, alice.id);
    assert_eq!(record.enrolment_id, issued.enrolment_id);
    let opened_trace = opened.trace.unwrap();
    assert_eq!(opened_trace.state(), pb::TraceState::Opened);
    let receipt = opened.audit_anchor.unwrap();
    net.wait_height(1, receipt.height, SLOW).await;
    let audit = node
        .get_audit_anchor(pb::GetAuditAnchorRequest {
            issuer_did: issuer_did.clone(),
            sequence: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let (_, anchor) = stack
        .light
        .verify_audit_anchor(&stack.issuer().did(), 1, &audit.proof.unwrap())
        .unwrap();
    let anchor = anchor.expect("the opening is anchored");
    let approvals: Vec<AuditApproval<'_>> = opened_trace
        .approvals
        .iter()
        .map(|a| AuditApproval {
            key_id: &a.approver_key_id,
            approved_at_ms: a.approved_at_unix_ms,
        })
        .collect();
    assert_eq!(
        anchor.anchor.record_hash,
        audit_record_hash(
            &digest,
            &approvals,
            "officer",
            opened_trace.opened_at_unix_ms.unwrap()
        ),
        "an auditor can recompute the anchored hash from the trace record"
    );
    // A trace opens once.
    let again = client
        .open_trace(with_session(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);

    // After the disclosure delay the holder sees the opening.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let n = nonce(&mut client, pb::NoncePurpose::ListOwnTraces).await;
    let own = client
        .list_own_traces(pb::ListOwnTracesRequest {
            proof: Some(control_proof(&holders[2], &n, &issuer_did)),
            nonce: n,
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.traces.len(), 1);
    assert_eq!(own.traces[0].trace_id, trace.trace_id);

    // An operator who logs in with a key, as an auditor: reads traces, may not revoke.
    let n = nonce(&mut client, pb::NoncePurpose::OperatorLogin).await;
    let auditor = client
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "keyholder".into(),
            credential: Some(pb::operator_login_request::Credential::KeyProofJws(
                sign_operator_login("keyholder", "k1", &stack.operator_key, &n, &issuer_did, now)
                    .unwrap(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(auditor.roles, vec![pb::OperatorRole::Auditor as i32]);
    let listed = client
        .list_traces(with_session(
            pb::ListTracesRequest::default(),
            &auditor.session_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.traces.len(), 1);
    let denied = client
        .revoke_credentials(with_session(
            pb::RevokeCredentialsRequest {
                target: Some(pb::revoke_credentials_request::Target::SubjectDid(
                    holders[2].state.did.to_string(),
                )),
                reason: pb::RevocationReason::Fraud as i32,
                note: String::new(),
            },
            &auditor.session_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    // Key rotation: with the issuer stopped, a new signing key is added to its DID; after a
    // restart it signs with key-2, and a credential signed with key-1 still verifies.
    stack.stop_issuer_for_maintenance().await;
    let keys = realdid_issuer::keys::load(&stack.config.keys_file).unwrap();
    let gateway = RegistryGateway::new(&stack.config.registry, stack.light.clone()).unwrap();
    let state = gateway
        .resolve_did(keys.did())
        .await
        .unwrap()
        .unwrap()
        .state;
    let (rotated, update) = keys.rotate(gateway.chain_id(), &state).unwrap();
    gateway
        .submit_final("rotation", &realdid_core::codec::Transaction::Did(update))
        .await
        .unwrap();
    realdid_issuer::keys::save(&rotated, &stack.config.keys_file).unwrap();
    stack.start_issuer_again().await;
    let mut client = stack.client().await;
    let old = &issued.credentials[2];
    let old_kid = kid_of(&old.sd_jwt_vc);
    assert!(old_kid.ends_with("#key-1"));
    let old_key = issuer_key(&mut node, &stack, &old_kid).await;
    verify_with(&old.sd_jwt_vc, &old_key, now)
        .expect("a credential signed before the rotation still verifies");
    let later = holder_did(&net).await;
    let new = match enrol(&mut client, &issuer_did, &person(&stack, 2), &[&later], "")
        .await
        .unwrap()
    {
        pb::enrol_response::Result::Issued(issued) => issued.credentials[0].clone(),
        pb::enrol_response::Result::Refused(r) => panic!("refused after rotation: {}", r.message),
    };
    let new_kid = kid_of(&new.sd_jwt_vc);
    assert!(new_kid.ends_with("#key-2"), "{new_kid}");
    let new_key = issuer_key(&mut node, &stack, &new_kid).await;
    assert_ne!(new_key, old_key);
    verify_with(&new.sd_jwt_vc, &new_key, now)
        .expect("a credential signed after the rotation verifies");
    // Everything issued before the restart is still known: the revocation still stands.
    assert_eq!(
        status_on_chain(
            &stack,
            &mut node,
            &mut client,
            &c0.status_list_uri,
            c0.status_index
        )
        .await,
        Status::INVALID
    );

    // No byte of any enrolled name or number in the issuer's or the chain's files.
    stack.stop().await;
    let mut needles: Vec<Vec<u8>> = Vec::new();
    for p in [&alice, &person(&stack, 1), &person(&stack, 2)] {
        needles.push(p.name.as_bytes().to_vec());
        needles.push(p.id.as_bytes().to_vec());
    }
    let mut dirs = vec![stack.data_dir()];
    dirs.extend(net.layout.nodes().iter().map(|n| n.dir().to_path_buf()));
    let mut scanned = 0;
    for dir in dirs {
        for file in realdid_tests::issuer::files_under(&dir) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            scanned += bytes.len();
            for needle in &needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{} holds personal data",
                    file.display()
                );
            }
        }
    }
    assert!(scanned > 0);
}
