//! A stolen device key against the owner's recovery key. A recovery had to name the DID's
//! latest operation and the pool was first come, first served, so a thief who sent a fresh
//! update right after each block made every recovery stale: the owner could never take the
//! DID back, though the DID method promises they always can.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use realdid_core::codec::Transaction;
use realdid_core::did::{
    DidOperation, DidState, DocumentState, KeyId, Purposes, RealDid, RecoverOp, RecoveryCommitment,
    UpdateOp, VerificationKey,
};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_proto::v1::submit_transaction_response::Result as Submitted;
use realdid_registry_client::light_client::LightClient;
use realdid_tests::chain::{Devnet, create_did, devnet_chain, resolve, submit};
use tonic::transport::Channel;

use realdid_registry::devnet::devnet_tuning;

use crate::serial;

const SLOW: Duration = Duration::from_secs(90);

/// The DID's state, proven, from `node` (`None` while that node has not seen it yet).
async fn proven_state_if_any(
    node: &mut RegistryClient<Channel>,
    light: &LightClient,
    did: &RealDid,
    at: Option<pb::resolve_request::At>,
) -> Option<DidState> {
    let read = resolve(node, did, at).await.proof.expect("a proven read");
    let (_, record) = light.verify_did(did, &read).expect("the proof checks");
    record.map(|r| r.state)
}

/// The DID's state, proven, from `node`.
async fn proven_state(
    node: &mut RegistryClient<Channel>,
    light: &LightClient,
    did: &RealDid,
    at: Option<pb::resolve_request::At>,
) -> DidState {
    proven_state_if_any(node, light, did, at)
        .await
        .expect("the DID exists")
}

/// An update of `state` signed by the stolen key `key-1`: it keeps that key and swaps in a
/// fresh second one.
fn thief_update(state: &DidState, stolen: &SigningKey) -> Transaction {
    let document = DocumentState {
        keys: vec![
            VerificationKey {
                id: KeyId::first(),
                key: stolen.public_key(),
                purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
            },
            VerificationKey {
                id: "thief".parse().unwrap(),
                key: SigningKey::generate(Algorithm::EdDsa).unwrap().public_key(),
                purposes: Purposes::AUTHENTICATION,
            },
        ],
        services: vec![],
    };
    let op = DidOperation::Update(UpdateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        document,
    })
    .sign(&devnet_chain(), Some(KeyId::first()), stolen)
    .unwrap();
    Transaction::Did(op)
}

/// The thief's bot: whenever a new state of the DID is final, it sends an update built on it
/// at once, signed with the stolen device key, until told to stop. Counts what it sent.
fn thief(
    net: &Devnet,
    light: LightClient,
    did: RealDid,
    stolen: SigningKey,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    let endpoints = net.endpoints();
    tokio::spawn(async move {
        let mut node = RegistryClient::connect(endpoints[1].clone()).await.unwrap();
        let mut last = None;
        while !stop.load(Ordering::SeqCst) {
            let state = proven_state_if_any(&mut node, &light, &did, None).await;
            if let Some(state) = state.filter(|s| last != Some(s.last_operation)) {
                last = Some(state.last_operation);
                let update = thief_update(&state, &stolen);
                let n = sent.fetch_add(1, Ordering::SeqCst) as usize;
                let mut target = RegistryClient::connect(endpoints[n % endpoints.len()].clone())
                    .await
                    .unwrap();
                // Not waited for: the bot is back to watching at once.
                tokio::spawn(async move {
                    let transaction = commonware_codec::Encode::encode(&update).to_vec();
                    let _ = target
                        .submit_transaction(pb::SubmitTransactionRequest { transaction })
                        .await;
                });
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thief_sending_updates_after_every_block_cannot_stop_a_recovery() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let light = LightClient::for_genesis(net.layout.genesis());
    let mut node0 = net.client(0).await;
    let (create, owner) = create_did(Purposes::AUTHENTICATION);
    assert!(matches!(
        submit(&mut node0, &create).await,
        Submitted::Finalized(_)
    ));
    let did = owner.state.did.clone();

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let bot = thief(
        &net,
        light.clone(),
        did.clone(),
        owner.key.clone(),
        stop.clone(),
        sent.clone(),
    );
    // The bot is at work: the DID has moved on twice.
    loop {
        if proven_state(&mut node0, &light, &did, None).await.version >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The owner, slower than a bot, reads the DID, thinks for a moment and recovers it from
    // the state it saw, with a new device key.
    let seen = proven_state(&mut node0, &light, &did, None).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let new_device = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let recovery = DidOperation::Recover(RecoverOp {
        did: did.clone(),
        previous: seen.last_operation,
        recovery_key: owner.recovery.public_key(),
        document: DocumentState {
            keys: vec![VerificationKey {
                id: KeyId::first(),
                key: new_device.public_key(),
                purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
            }],
            services: vec![],
        },
        next_recovery_commitment: RecoveryCommitment::to(
            &SigningKey::generate(Algorithm::EdDsa).unwrap().public_key(),
        ),
    })
    .sign(&devnet_chain(), None, &owner.recovery)
    .unwrap();
    let height_at_submission = net.wait_height(0, 0, SLOW).await.height;
    let receipt = match submit(&mut node0, &Transaction::Did(recovery)).await {
        Submitted::Finalized(receipt) => receipt,
        Submitted::Rejected(r) => panic!(
            "the owner's recovery was refused ({:?}) after the thief's {} updates: {}",
            r.reason(),
            sent.load(Ordering::SeqCst),
            r.message
        ),
    };
    // Landing promptly is the point: a starved recovery would wait for as long as the
    // thief kept sending. Three blocks at most: node 0's height may already be one behind
    // consensus when it is read, the block being proposed when the recovery arrives does not
    // hold it, and the next leader may not have it yet from the gossip; the one after does.
    // (Two blocks failed now and then on a loaded two-core machine, always at three.)
    assert!(
        receipt.height <= height_at_submission + 3,
        "the recovery landed at height {}, more than 3 blocks after {height_at_submission}",
        receipt.height
    );

    // The DID is the owner's again, and the thief's key has lost all power.
    let recovered = proven_state(&mut node0, &light, &did, None).await;
    assert_eq!(recovered.document.keys[0].key, new_device.public_key());
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    bot.await.unwrap();
    let after = proven_state(&mut node0, &light, &did, None).await;
    assert_eq!(
        after.version, recovered.version,
        "no update of the thief lands after it"
    );
    let late = thief_update(&after, &owner.key);
    match submit(&mut node0, &late).await {
        // `key-1` now names the owner's new key: the stolen one's signature does not verify.
        Submitted::Rejected(r) => assert!(
            matches!(
                r.reason(),
                pb::TransactionRejectionReason::BadSignature
                    | pb::TransactionRejectionReason::Unauthorized
            ),
            "{:?}: {}",
            r.reason(),
            r.message
        ),
        Submitted::Finalized(_) => panic!("the stolen key still updates the DID"),
    }

    // Every version, the thief's included, resolves by version to exactly that version,
    // with a proof.
    for version in 1..=after.version {
        let state = proven_state(
            &mut node0,
            &light,
            &did,
            Some(pb::resolve_request::At::VersionId(version)),
        )
        .await;
        assert_eq!(state.version, version);
    }
}
