//! The node's pending pool as submissions and gossip fill it, over a real RocksDB store:
//! what a peer gossips is checked here before it is pooled, gossip never echoes, and the next
//! block includes gossiped transactions like submitted ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use std::sync::Arc;

use execute_support::{Council, Holder, fresh_key, genesis_header};
use realdid_core::codec::Transaction;
use realdid_registry::config::Tuning;
use realdid_registry::node::mempool::Outcome;
use realdid_registry::node::shared::Shared;
use realdid_registry::state::Store;

const NOW: u64 = 1_700_000_005_000;

fn node() -> (tempfile::TempDir, Shared) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.genesis_init(&genesis_header()).unwrap();
    let council = Council::new();
    let shared = Shared::new(
        store,
        council.governance,
        4,
        100,
        100,
        Tuning::default().pacing(),
    );
    (dir, shared)
}

#[test]
fn gossip_is_checked_pooled_once_and_never_echoed() {
    let (_dir, node) = node();
    let (_, create) = Holder::create();
    assert!(node.admit_gossiped(create.clone(), NOW).unwrap());
    assert!(node.mempool.contains(&create.hash()));
    assert!(
        !node.admit_gossiped(create.clone(), NOW).unwrap(),
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
    assert!(!node.admit_gossiped(forged.clone(), NOW).unwrap());
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
    assert_eq!(block.transactions, vec![create.clone(), submitted.clone()]);
    // A leader building on that block before it is final leaves its transactions pooled but
    // out of the child: they are neither run twice nor refused.
    let staged = node
        .stage_chain(&[Arc::new(block.clone())])
        .unwrap()
        .unwrap();
    let (_, later) = Holder::create();
    assert!(node.admit_gossiped(later.clone(), NOW).unwrap());
    let child = node.build_block(&staged, &block.header, NOW + 100).unwrap();
    assert_eq!(child.transactions, vec![later.clone()]);
    assert!(node.mempool.contains(&create.hash()));
    node.commit_finalized(Arc::new(block), b"certificate".to_vec(), NOW + 5)
        .unwrap();
    assert!(matches!(waiter.try_recv().unwrap(), Outcome::Final(r) if r.height == 1));
    assert_eq!(node.mempool.candidates(10), vec![later]);
    assert!(!node.admit_gossiped(create, NOW + 10).unwrap());
}
