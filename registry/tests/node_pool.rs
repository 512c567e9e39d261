//! The node's pending pool as submissions and gossip fill it, over a real RocksDB store:
//! what a peer gossips is checked here before it is pooled, gossip never echoes, and the next
//! block includes gossiped transactions like submitted ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use execute_support::{Council, Holder, fresh_key, genesis_header};
use realdid_core::codec::Transaction;
use realdid_registry::config::Tuning;
use realdid_registry::consensus::block::ChainBlock;
use realdid_registry::execute::RejectReason;
use realdid_registry::node::mempool::{LaneCapacities, Outcome};
use realdid_registry::node::shared::Shared;
use realdid_registry::state::Store;

const NOW: u64 = 1_700_000_005_000;

fn node() -> (tempfile::TempDir, Shared) {
    let (dir, shared, _) = node_with_council();
    (dir, shared)
}

fn node_with_council() -> (tempfile::TempDir, Shared, Council) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.genesis_init(&genesis_header()).unwrap();
    let council = Council::new();
    let shared = Shared::new(
        store,
        council.governance.clone(),
        4,
        LaneCapacities::all(100),
        100,
        Tuning::default().pacing(),
    );
    (dir, shared, council)
}

/// Submits `txs` one by one, then builds and commits the next block; returns its height.
fn commit_next(node: &Shared, txs: Vec<Transaction>, now: u64) -> u64 {
    for tx in txs {
        node.admit(tx, now).unwrap().unwrap();
    }
    let finalized = node.store.finalized().unwrap();
    let parent = node.store.header(finalized.height).unwrap().unwrap();
    let block = node.build_block(&[], &parent, now).unwrap();
    node.commit_finalized(block, b"certificate".to_vec(), now)
        .unwrap();
    finalized.height + 1
}

#[test]
fn gossip_is_checked_pooled_once_and_never_echoed() {
    let (_dir, node) = node();
    let (_, create) = Holder::create();
    assert_eq!(node.admit_gossiped(vec![create.clone()], NOW).unwrap(), 1);
    assert!(node.mempool.contains(&create.hash()));
    assert_eq!(
        node.admit_gossiped(vec![create.clone()], NOW).unwrap(),
        0,
        "a second copy is not new"
    );
    // Only what was submitted here goes out again.
    assert!(node.outbox.take().is_empty());

    // A forged operation: a DID update signed by a key the DID does not hold.
    let (holder, _) = Holder::create();
    let forged = Transaction::Did(holder.update_signed_by(
        "device",
        &fresh_key(),
        holder.state.document.clone(),
    ));
    assert_eq!(node.admit_gossiped(vec![forged.clone()], NOW).unwrap(), 0);
    assert!(!node.mempool.contains(&forged.hash()));

    // A submission is pooled and queued for the peers.
    let (_, submitted) = Holder::create();
    let mut waiter = node.admit(submitted.clone(), NOW).unwrap().unwrap();
    assert_eq!(node.outbox.take(), vec![submitted.clone()]);

    // The next block holds both; committing it settles the submitter's wait, and the same
    // transaction gossiped late is not pooled again.
    let genesis = node.store.finalized().unwrap();
    let parent = node.store.header(genesis.height).unwrap().unwrap();
    let block = node.build_block(&[], &parent, NOW).unwrap();
    assert_eq!(
        block.block().transactions,
        vec![create.clone(), submitted.clone()]
    );
    // A leader building on that block before it is final leaves its transactions pooled but
    // out of the child: they are neither run twice nor refused.
    let staged = node
        .stage_chain(std::slice::from_ref(&block))
        .unwrap()
        .unwrap();
    let (_, later) = Holder::create();
    assert_eq!(node.admit_gossiped(vec![later.clone()], NOW).unwrap(), 1);
    let child = node
        .build_block(&staged, &block.block().header, NOW + 100)
        .unwrap();
    assert_eq!(child.block().transactions, vec![later.clone()]);
    assert!(node.mempool.contains(&create.hash()));
    node.commit_finalized(block, b"certificate".to_vec(), NOW + 5)
        .unwrap();
    assert!(matches!(waiter.try_recv().unwrap(), Outcome::Final(r) if r.height == 1));
    assert_eq!(node.mempool.candidates(10), vec![later]);
    assert_eq!(node.admit_gossiped(vec![create], NOW + 10).unwrap(), 0);
}

/// A DID creation whose signature no longer matches: every rule but the signature passes.
fn with_bad_signature(tx: Transaction) -> Transaction {
    let Transaction::Did(mut signed) = tx else {
        panic!("a DID creation")
    };
    signed.signature.0[40] ^= 1;
    Transaction::Did(signed)
}

#[test]
fn a_gossiped_batch_is_checked_together_and_one_bad_signature_spoils_only_itself() {
    let (_dir, node) = node();
    let good: Vec<Transaction> = (0..5).map(|_| Holder::create().1).collect();
    assert_eq!(node.admit_gossiped(good.clone(), NOW).unwrap(), 5);
    for tx in &good {
        assert!(node.mempool.contains(&tx.hash()));
    }

    // The bad one in the middle of good ones: the batch check fails, each is checked alone,
    // and only the bad one stays out.
    let mut batch: Vec<Transaction> = (0..4).map(|_| Holder::create().1).collect();
    let bad = with_bad_signature(Holder::create().1);
    batch.insert(2, bad.clone());
    assert_eq!(node.admit_gossiped(batch.clone(), NOW).unwrap(), 4);
    assert!(!node.mempool.contains(&bad.hash()));
    for tx in batch.iter().filter(|tx| **tx != bad) {
        assert!(node.mempool.contains(&tx.hash()));
    }
    // Submitted directly, it is refused with the reason.
    let refused = node.admit(bad, NOW).unwrap().unwrap_err();
    assert_eq!(refused.reason, RejectReason::BadSignature);
}

#[test]
fn a_block_of_unseen_transactions_is_checked_together_and_a_bad_signature_refuses_it() {
    let (_leader_dir, leader) = node();
    let (_dir, follower) = node();
    let txs: Vec<Transaction> = (0..4).map(|_| Holder::create().1).collect();
    assert_eq!(leader.admit_gossiped(txs.clone(), NOW).unwrap(), 4);
    let genesis = leader.store.finalized().unwrap();
    let parent = leader.store.header(genesis.height).unwrap().unwrap();
    let block = leader.build_block(&[], &parent, NOW).unwrap();
    assert_eq!(block.block().transactions, txs);

    // The follower never saw these transactions; their signatures are checked in the block.
    let mut forged = block.block().clone();
    forged.transactions[1] = with_bad_signature(forged.transactions[1].clone());
    forged.header.transactions_root = realdid_core::codec::transactions_root(&forged.transactions);
    let verdict = follower.stage_chain(&[ChainBlock::new(forged)]).unwrap();
    let Err(realdid_registry::node::shared::ChainVerdict::Invalid(reason)) = verdict else {
        panic!("a block with a bad signature was accepted")
    };
    assert!(
        reason.starts_with("transaction 1 of block 1 fails"),
        "{reason}"
    );

    let staged = follower.stage_chain(std::slice::from_ref(&block)).unwrap();
    assert_eq!(staged.unwrap()[0].root, block.block().header.state_root);
}

#[test]
fn a_batch_gives_each_submission_the_reason_a_single_check_gives() {
    // A status anchor with a bad signature that would also conflict with the anchored
    // sequence: the rules check the signature first, so BAD_SIGNATURE is the reason. A batch
    // that took the signature for good while it checked the rest would say ANCHOR_CONFLICT.
    let (_dir, node, council) = node_with_council();
    let (issuer, create) = Holder::create();
    commit_next(&node, vec![create], NOW);
    commit_next(&node, vec![council.accredit(&issuer.did(), 1)], NOW + 500);
    commit_next(&node, vec![issuer.status_anchor("list", 1)], NOW + 1_000);

    let forged_stale = issuer.status_anchor_signed("issuing", &fresh_key(), "list", 1);
    let single = node
        .admit(forged_stale.clone(), NOW + 2_000)
        .unwrap()
        .unwrap_err();
    assert_eq!(single.reason, RejectReason::BadSignature);

    let (_, good) = Holder::create();
    let mut answers = node
        .admit_batch(vec![good.clone(), forged_stale], NOW + 2_000)
        .into_iter();
    assert!(answers.next().unwrap().unwrap().is_ok());
    let batched = answers.next().unwrap().unwrap().unwrap_err();
    assert_eq!(
        batched.reason,
        RejectReason::BadSignature,
        "{}",
        batched.message
    );
    assert!(node.mempool.contains(&good.hash()));
}

#[test]
fn a_pool_full_of_did_creations_still_takes_and_first_proposes_a_revocation() {
    // Capacity 100 in every lane, blocks of 100: 100 pending creations fill the open lane.
    let (_dir, node, council) = node_with_council();
    let (issuer, create) = Holder::create();
    commit_next(&node, vec![create], NOW);
    commit_next(&node, vec![council.accredit(&issuer.did(), 1)], NOW + 500);
    let flood: Vec<Transaction> = (0..100).map(|_| Holder::create().1).collect();
    for tx in &flood {
        node.admit(tx.clone(), NOW + 1_000).unwrap().unwrap();
    }
    let (_, one_more) = Holder::create();
    let full = node.admit(one_more, NOW + 1_000).unwrap_err();
    assert_eq!(full.grpc_code(), tonic::Code::ResourceExhausted, "{full}");
    assert!(
        full.to_string().contains("DID creations and updates"),
        "{full}"
    );

    // The issuer's status anchor (a revocation published) is still taken…
    let anchor = issuer.status_anchor("https://issuer.example/status/1", 1);
    node.admit(anchor.clone(), NOW + 1_000).unwrap().unwrap();
    // …and proposed before every creation that was there first.
    let finalized = node.store.finalized().unwrap();
    let parent = node.store.header(finalized.height).unwrap().unwrap();
    let block = node.build_block(&[], &parent, NOW + 1_100).unwrap();
    assert_eq!(block.block().transactions.first(), Some(&anchor));
    assert_eq!(
        block.block().transactions.len(),
        100,
        "the block is full all the same"
    );
}
