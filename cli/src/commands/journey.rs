//! The devnet demo's citizen journey through the issuer: enrolment with pairwise DIDs, a
//! lost phone, and a lawful trace that needs two approvals and leaves a mark on chain.

use std::time::Duration;

use realdid_core::control_proof::sign_control_proof;
use realdid_core::did::{KeyId, Purposes, RealDid};
use realdid_core::keys::SigningKey;
use realdid_core::trace::sign_approval;
use realdid_issuer::authority::dataset::Person;
use realdid_issuer::provision::load_approver;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry::devnet::DevnetLayout;
use tonic::transport::Channel;

use super::chain::{client, new_did, submit};
use super::devnet_issuer::IssuerSide;
use super::devnet_verifier::{BANK, VerifierSide};
use crate::error::CliError;
use realdid_core::jws::KeySigner;
use realdid_core::sd_jwt::{ClaimPath, KeyBindingParams, SdJwt};
use realdid_proto::v1::verifier_client::VerifierClient;

fn refused(what: &str) -> impl FnOnce(tonic::Status) -> CliError + '_ {
    move |status| CliError::Refused(format!("{what}: {}", status.message()))
}

async fn nonce(
    issuer: &mut IssuerClient<Channel>,
    purpose: pb::NoncePurpose,
) -> Result<String, CliError> {
    Ok(issuer
        .create_nonce(pb::CreateNonceRequest {
            purpose: purpose as i32,
        })
        .await
        .map_err(refused("nonce"))?
        .into_inner()
        .nonce)
}

fn proof(
    did: &RealDid,
    key: &SigningKey,
    nonce: &str,
    issuer: &RealDid,
) -> Result<pb::DidControlProof, CliError> {
    let now = i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX);
    Ok(pb::DidControlProof {
        did: did.to_string(),
        proof_jws: sign_control_proof(did, &KeyId::first(), key, nonce, issuer.as_str(), now)
            .map_err(|e| CliError::Refused(format!("signing a proof of control: {e}")))?,
    })
}

fn authorized<T>(message: T, token: &str) -> Result<tonic::Request<T>, CliError> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| CliError::Refused("session token is not ASCII".into()))?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

/// Runs the citizen's part of the demo against the devnet's issuer.
pub async fn citizen(
    layout: &DevnetLayout,
    side: &IssuerSide,
    mut issuer: IssuerClient<Channel>,
    verifier_side: &VerifierSide,
    mut verifier: VerifierClient<Channel>,
) -> Result<(), CliError> {
    let people: Vec<Person> =
        serde_json::from_str(&std::fs::read_to_string(&side.people).map_err(|source| {
            CliError::Io {
                path: side.people.display().to_string(),
                source,
            }
        })?)?;
    let person = people
        .first()
        .ok_or_else(|| CliError::Refused("the register is empty".into()))?;
    let mut node = client(&layout.nodes()[0].grpc_endpoint()).await?;

    println!(
        "\n[4] {} (resident ID {}) sets up a wallet: two pairwise DIDs, one per service",
        person.full_name, person.resident_id
    );
    let mut dids = Vec::new();
    for service in ["a bank", "a ride-hailing app"] {
        let (key, did, tx) = new_did(Purposes::AUTHENTICATION)?;
        submit(&mut node, &format!("the DID for {service}"), &tx).await?;
        println!("    for {service}: {did}");
        dids.push((did, key));
    }

    println!(
        "[5] the wallet enrols with the issuer: name, ID, liveness evidence, and a proof of control per DID"
    );
    let n = nonce(&mut issuer, pb::NoncePurpose::Enrol).await?;
    let answer = issuer
        .enrol(pb::EnrolRequest {
            nonce: n.clone(),
            full_name: person.full_name.clone(),
            resident_id: person.resident_id.clone(),
            evidence_token: person.evidence_token.clone(),
            dids: dids
                .iter()
                .map(|(did, key)| proof(did, key, &n, &side.did))
                .collect::<Result<_, _>>()?,
            credential_type: String::new(),
        })
        .await
        .map_err(refused("enrolment"))?
        .into_inner();
    let issued = match answer.result {
        Some(pb::enrol_response::Result::Issued(issued)) => issued,
        Some(pb::enrol_response::Result::Refused(r)) => {
            return Err(CliError::Refused(format!(
                "enrolment refused: {}",
                r.message
            )));
        }
        None => return Err(CliError::Refused("enrolment: empty answer".into())),
    };
    for c in &issued.credentials {
        println!(
            "    SD-JWT VC {} for {}…: {} bytes, status entry {} of {}",
            c.credential_id,
            &c.did[..24.min(c.did.len())],
            c.sd_jwt_vc.len(),
            c.status_index,
            c.status_list_uri
        );
    }
    println!(
        "    the issuer kept no name or number: an Argon2id index entry and a sealed (AES-256-GCM) record"
    );

    println!("[6] the bank asks for a verified real person and their province, nothing else");
    let bank_credential = &issued.credentials[0].sd_jwt_vc;
    match bank_check(&mut verifier, verifier_side, bank_credential, &dids[0].1).await? {
        pb::verify_presentation_response::Result::Verified(v) => println!(
            "    verified: real_name_verified, province {} (issuer accredited, status valid, anchored at height {}); the bank knows the citizen as {}",
            v.claims.get("province").map(String::as_str).unwrap_or("?"),
            v.registry_height,
            v.subject_id
        ),
        pb::verify_presentation_response::Result::Failure(f) => {
            return Err(CliError::Refused(format!(
                "the bank's check failed: {}",
                f.message
            )));
        }
    }

    println!("[7] the phone is lost: the citizen suspends every credential of the enrolment");
    let (did, key) = &dids[0];
    let n = nonce(&mut issuer, pb::NoncePurpose::Suspend).await?;
    let suspended = issuer
        .suspend_self(pb::SuspendSelfRequest {
            proof: Some(proof(did, key, &n, &side.did)?),
            nonce: n,
            whole_enrolment: true,
        })
        .await
        .map_err(refused("suspension"))?
        .into_inner();
    for a in &suspended.anchors {
        println!(
            "    {} credential(s) suspended; the new status list is anchored at height {}",
            suspended.credential_ids.len(),
            a.height
        );
    }
    let ttl = verifier_side.config.cache.status_ttl_seconds;
    tokio::time::sleep(Duration::from_secs(ttl + 1)).await;
    match bank_check(&mut verifier, verifier_side, bank_credential, &dids[0].1).await? {
        pb::verify_presentation_response::Result::Failure(f) => println!(
            "    {ttl} s later (the verifier's status-list cache), the phone's thief is refused: {:?}: {}",
            f.reason(),
            f.message
        ),
        pb::verify_presentation_response::Result::Verified(_) => {
            return Err(CliError::Refused(
                "a suspended credential was accepted".into(),
            ));
        }
    }

    println!(
        "[8] a lawful trace of the bank DID: requested by an officer, approved by 2 of 3 approvers"
    );
    let issuer_dir = side
        .config_path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let password_file = issuer_dir.join("operator-password");
    let password = std::fs::read_to_string(&password_file).map_err(|source| CliError::Io {
        path: password_file.display().to_string(),
        source,
    })?;
    let token = issuer
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "officer".into(),
            credential: Some(pb::operator_login_request::Credential::Password(
                password.trim().into(),
            )),
        })
        .await
        .map_err(refused("login"))?
        .into_inner()
        .session_token;
    let trace = issuer
        .create_trace(authorized(
            pb::CreateTraceRequest {
                subject_did: did.to_string(),
                legal_basis: "Demo: court order 2026-001".into(),
                case_reference: "DEMO-1".into(),
            },
            &token,
        )?)
        .await
        .map_err(refused("trace request"))?
        .into_inner()
        .trace
        .ok_or_else(|| CliError::Refused("trace request: empty answer".into()))?;
    let digest: [u8; 32] = trace
        .request_digest
        .clone()
        .try_into()
        .map_err(|_| CliError::Refused("trace digest is not 32 bytes".into()))?;
    let now = i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX);
    for (i, file) in ["approver-1.json", "approver-2.json"].iter().enumerate() {
        let (key_id, key) = load_approver(&issuer_dir.join("approvers").join(file))?;
        let approval_jws = sign_approval(&trace.trace_id, &digest, &key_id, &key, now)
            .map_err(|e| CliError::Refused(format!("approval: {e}")))?;
        issuer
            .approve_trace(pb::ApproveTraceRequest {
                trace_id: trace.trace_id.clone(),
                approval_jws,
            })
            .await
            .map_err(refused("approval"))?;
        if i == 0 {
            let early = issuer
                .open_trace(authorized(
                    pb::OpenTraceRequest {
                        trace_id: trace.trace_id.clone(),
                    },
                    &token,
                )?)
                .await;
            match early {
                Err(status) => println!(
                    "    with 1 approval the record stays sealed: {}",
                    status.message()
                ),
                Ok(_) => return Err(CliError::Refused("a trace opened with one approval".into())),
            }
        }
    }
    let opened = issuer
        .open_trace(authorized(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        )?)
        .await
        .map_err(refused("opening"))?
        .into_inner();
    if let (Some(record), Some(anchor)) = (opened.record, opened.audit_anchor) {
        println!(
            "    with 2 approvals: {} ({}), enrolled with {} DIDs; the opening is anchored at height {}",
            record.full_name,
            record.resident_id,
            record.dids.len(),
            anchor.height
        );
    }

    println!("[9] later, the citizen can see that their DID was traced");
    tokio::time::sleep(Duration::from_secs(
        u64::from(super::devnet_issuer::DEVNET_DISCLOSURE_DELAY_SECONDS) + 1,
    ))
    .await;
    let n = nonce(&mut issuer, pb::NoncePurpose::ListOwnTraces).await?;
    let own = issuer
        .list_own_traces(pb::ListOwnTracesRequest {
            proof: Some(proof(did, key, &n, &side.did)?),
            nonce: n,
            page: None,
        })
        .await
        .map_err(refused("listing traces"))?
        .into_inner();
    for t in own.traces {
        println!(
            "    trace {} under \"{}\", opened at height {}",
            t.trace_id, t.legal_basis, t.audit_anchor_height
        );
    }
    Ok(())
}

/// The bank's request, the wallet's presentation (real_name_verified and province only),
/// and the verifier's verdict.
async fn bank_check(
    verifier: &mut VerifierClient<Channel>,
    side: &VerifierSide,
    credential: &str,
    holder_key: &SigningKey,
) -> Result<pb::verify_presentation_response::Result, CliError> {
    let request = verifier
        .create_presentation_request(authorized(
            pb::CreatePresentationRequestRequest {
                audience: BANK.into(),
                claims: vec!["province".into()],
                predicates: vec!["real_name_verified".into()],
                purpose: "open an account".into(),
                expiry_seconds: 0,
                credential_types: vec![],
            },
            &side.token,
        )?)
        .await
        .map_err(refused("presentation request"))?
        .into_inner();
    let reveal = [
        ClaimPath::root().key("real_name_verified"),
        ClaimPath::root().key("province"),
    ];
    let now = i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX);
    let presentation = SdJwt::parse(credential)?
        .present(&reveal)?
        .bind(
            &KeyBindingParams {
                nonce: request.nonce.clone(),
                audience: BANK.into(),
                issued_at: now,
            },
            &KeySigner::new(holder_key.clone()),
        )?
        .to_compact();
    verifier
        .verify_presentation(authorized(
            pb::VerifyPresentationRequest {
                request_id: request.request_id,
                presentation,
            },
            &side.token,
        )?)
        .await
        .map_err(refused("verification"))?
        .into_inner()
        .result
        .ok_or_else(|| CliError::Refused("verification: empty answer".into()))
}
