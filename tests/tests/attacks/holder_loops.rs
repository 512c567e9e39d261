//! Holding back a revocation with holder status changes. SuspendSelf and ResumeSelf need
//! only a proof of control of a DID the issuer enrolled, and each one publishes a status
//! list under the lock an officer's revocation takes too. Holders suspending and resuming
//! in a loop queued one publication each ahead of the revocation: the more of them, the
//! longer a revoked credential kept verifying.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, control_proof, holder_did, nonce};

use crate::serial;

/// Holders changing their status in a loop.
const HOLDERS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holders_changing_status_in_a_loop_do_not_hold_back_a_revocation() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, HOLDERS + 1, 1).await;
    let issuer_did = stack.issuer().did().to_string();
    let victim = holder_did(&net).await;
    let revoked = stack
        .enrol(HOLDERS, &[&victim])
        .await
        .expect("enrolled")
        .credentials[0]
        .credential_id
        .clone();

    let changes = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    for person in 0..HOLDERS {
        let holder = holder_did(&net).await;
        stack.enrol(person, &[&holder]).await.expect("enrolled");
        let (changes, stop) = (changes.clone(), stop.clone());
        let (endpoint, issuer_did) = (stack.endpoint.clone(), issuer_did.clone());
        loops.push(tokio::spawn(async move {
            let mut client = IssuerClient::connect(endpoint).await.unwrap();
            while !stop.load(Ordering::SeqCst) {
                let n = nonce(&mut client, pb::NoncePurpose::Suspend).await;
                let proof = Some(control_proof(&holder, &n, &issuer_did));
                let suspended = client
                    .suspend_self(pb::SuspendSelfRequest {
                        proof,
                        nonce: n,
                        whole_enrolment: false,
                    })
                    .await;
                changes.fetch_add(usize::from(suspended.is_ok()), Ordering::SeqCst);
                let n = nonce(&mut client, pb::NoncePurpose::Resume).await;
                let proof = Some(control_proof(&holder, &n, &issuer_did));
                let resumed = client
                    .resume_self(pb::ResumeSelfRequest {
                        proof,
                        nonce: n,
                        whole_enrolment: false,
                    })
                    .await;
                changes.fetch_add(usize::from(resumed.is_ok()), Ordering::SeqCst);
            }
        }));
    }
    // Every holder is in its loop once each has got a change through.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while changes.load(Ordering::SeqCst) < 2 * HOLDERS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the holders' changes do not go through"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The officer (logged in beforehand) revokes while the holders loop: their changes
    // published in the meantime are what the revocation waited for.
    let mut officer = stack.client().await;
    let request = stack
        .as_officer(
            &mut officer,
            pb::RevokeCredentialsRequest {
                target: Some(pb::revoke_credentials_request::Target::CredentialId(
                    revoked.clone(),
                )),
                reason: pb::RevocationReason::KeyCompromise as i32,
                note: String::new(),
            },
        )
        .await;
    let before = changes.load(Ordering::SeqCst);
    let answer = officer
        .revoke_credentials(request)
        .await
        .expect("revoked")
        .into_inner();
    let waited_for = changes.load(Ordering::SeqCst) - before;
    stop.store(true, Ordering::SeqCst);
    for task in loops {
        task.await.unwrap();
    }
    assert_eq!(answer.credential_ids, vec![revoked]);
    assert_eq!(answer.anchors.len(), 1, "the revocation is anchored");
    // One holder change ahead of it at most, and one more finishing as it was sent.
    assert!(
        waited_for <= 3,
        "the revocation waited for {waited_for} holder publications ({HOLDERS} holders in a loop)"
    );
}
