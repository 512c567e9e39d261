//! Free DID operations crowding out a revocation. The pending pool was one queue: a flood of
//! DID creations filled it, the issuer's status anchor was refused with UNAVAILABLE, and
//! verifiers kept accepting the revoked credential.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use commonware_codec::Encode as _;
use realdid_core::did::Purposes;
use realdid_issuer::provision::IDENTITY_VCT;
use realdid_proto::v1 as pb;
use realdid_registry::config::Tuning;
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Holder;
use realdid_tests::chain::{Devnet, create_did};
use realdid_tests::issuer::IssuerStack;
use realdid_tests::verifier::{present_once, start_verifier};

use crate::serial;

const SLOW: Duration = Duration::from_secs(90);
/// How long the verifier trusts what it cached: the bound on a revocation reaching it.
const CACHE: Duration = Duration::from_secs(1);

/// A holder DID on the chain, retried while a one-transaction pool is busy with the issuer's
/// own transactions.
async fn holder_did_when_there_is_room(net: &Devnet) -> Holder {
    let (create, holder) = create_did(Purposes::AUTHENTICATION);
    let mut node = net.client(0).await;
    let deadline = Instant::now() + SLOW;
    loop {
        let answer = node
            .submit_transaction(pb::SubmitTransactionRequest {
                transaction: create.encode().to_vec(),
            })
            .await;
        match answer.map(|a| a.into_inner().result) {
            Ok(Some(pb::submit_transaction_response::Result::Finalized(_))) => return holder,
            other => assert!(
                Instant::now() < deadline,
                "no room for a holder DID: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_did_creations_cannot_crowd_out_a_revocation() {
    let _serial = serial().await;
    // One-transaction blocks and a one-transaction open lane, so that a flood from this test
    // keeps it full all the time.
    let tuning = Tuning {
        max_block_txs: 1,
        mempool_capacity: 1,
        ..devnet_tuning()
    };
    let net = Devnet::running(4, &tuning).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let holder = holder_did_when_there_is_room(&net).await;
    let issued = stack.enrol(0, &[&holder]).await.expect("enrolled");
    let credential = &issued.credentials[0];
    let verifier = start_verifier(&net, None, "crowding:", IDENTITY_VCT, CACHE).await;
    assert!(matches!(
        present_once(&verifier.endpoint, &credential.sd_jwt_vc, &holder.key).await,
        pb::verify_presentation_response::Result::Verified(_)
    ));

    // The flood: more creations waiting at once at every node than its pool holds (the
    // issuer tries each node in turn).
    let stop = Arc::new(AtomicBool::new(false));
    let refused_busy = Arc::new(AtomicUsize::new(0));
    let mut flooders = Vec::new();
    for i in 0..4 * 8 {
        let mut node = net.client(i % 4).await;
        let (stop, refused_busy) = (stop.clone(), refused_busy.clone());
        flooders.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let (create, _) = create_did(Purposes::AUTHENTICATION);
                let answer = node
                    .submit_transaction(pb::SubmitTransactionRequest {
                        transaction: create.encode().to_vec(),
                    })
                    .await;
                // A full pool refuses (RESOURCE_EXHAUSTED; UNAVAILABLE before it had lanes).
                if let Err(status) = answer
                    && matches!(
                        status.code(),
                        tonic::Code::ResourceExhausted | tonic::Code::Unavailable
                    )
                {
                    refused_busy.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    let deadline = Instant::now() + SLOW;
    while refused_busy.load(Ordering::SeqCst) < 50 {
        assert!(Instant::now() < deadline, "the flood never filled the pool");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // With the pool full of creations, the officer revokes: the anchor still reaches the
    // chain, and the verifier refuses the credential within its cache time and 2 s.
    stack
        .revoke(&credential.credential_id)
        .await
        .expect("the revocation is anchored despite the flood");
    let revoked_at = Instant::now();
    assert!(
        refused_busy.load(Ordering::SeqCst) >= 50,
        "the pool stayed full meanwhile"
    );
    loop {
        match present_once(&verifier.endpoint, &credential.sd_jwt_vc, &holder.key).await {
            pb::verify_presentation_response::Result::Failure(f)
                if f.reason() == pb::VerificationFailureReason::Revoked =>
            {
                break;
            }
            other => assert!(
                revoked_at.elapsed() < CACHE + Duration::from_secs(2),
                "still not refused as revoked {:?} after the revocation: {other:?}",
                revoked_at.elapsed()
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for flooder in flooders {
        flooder.await.unwrap();
    }
}
