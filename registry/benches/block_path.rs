//! A validator's own work per DID creation, outside consensus and the network: the
//! transaction decoded as gossip brings it, looked up among the committed ones and checked
//! against the finalized state with the other new ones (their signatures in one batch),
//! decoded again as its block brings it (and hashed into the block's transactions root),
//! staged (executed and put into the Merkle tree) and committed to RocksDB.
//!
//! The devnet's write rate moves by several percent between runs on one machine, more than
//! most single changes to this path are worth. This benchmark runs the path alone, on one
//! thread, from transactions signed by seeded keys, so that `valgrind --tool=callgrind`
//! counts nearly the same instructions run after run (the batch check's random scalars move
//! the count a little): a change is judged by its count.
//!
//! ```sh
//! cargo bench -p realdid-registry --bench block_path -- --blocks 40 --txs 500
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='block_path::run' \
//!     "$CARGO_TARGET_DIR/release/deps/block_path-<hash>" --blocks 20 --txs 500
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a panic is its failure report

#[path = "../tests/execute_support/mod.rs"]
mod execute_support;

use std::time::{Duration, Instant};

use commonware_codec::Encode as _;
use execute_support::{genesis_header, test_chain};
use realdid_core::codec::{Block, BlockHeader, Transaction, TxHash, transactions_root_of};
use realdid_core::did::{CreateOp, DidOperation, KeyId, Purposes};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_registry::execute::{BlockContext, Governance, SignatureMemo};
use realdid_registry::state::Store;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where a block's time went.
#[derive(Default)]
struct Spent {
    decode: Duration,
    check: Duration,
    stage: Duration,
    commit: Duration,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let number = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a whole number"))
    };
    let blocks = number("--blocks", 40);
    let per_block = number("--txs", 500);

    let signed = signed_creates(blocks * per_block);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.genesis_init(&genesis_header()).unwrap();

    let started = Instant::now();
    let spent = run(&store, &signed, per_block);
    let wall = started.elapsed();
    let count = (blocks * per_block) as f64;
    let each = |d: Duration| d.as_secs_f64() * 1e6 / count;
    println!(
        "block path: {blocks} blocks of {per_block} DID creations in {:.2} s = {:.1} µs each \
         (decode twice {:.1}, look up and check in batches {:.1}, stage {:.1}, commit {:.1})",
        wall.as_secs_f64(),
        each(wall),
        each(spent.decode),
        each(spent.check),
        each(spent.stage),
        each(spent.commit)
    );
    assert_eq!(store.finalized().unwrap().height, blocks as u64);
}

/// DID creations as `realdid bench registry` sends them (one key, authentication), each
/// signed by a key derived from its index.
fn signed_creates(count: usize) -> Vec<Vec<u8>> {
    let chain = test_chain();
    (0..count)
        .map(|i| {
            let seed = |tag: u8| {
                let mut bytes = [tag; 32];
                bytes[..8].copy_from_slice(&(i as u64).to_be_bytes());
                SigningKey::from_secret_bytes(Algorithm::EdDsa, &bytes).unwrap()
            };
            let (key, recovery) = (seed(1), seed(2));
            let op = DidOperation::Create(CreateOp::single_key(
                &key.public_key(),
                Purposes::AUTHENTICATION,
                &recovery.public_key(),
            ))
            .sign(&chain, Some(KeyId::first()), &key)
            .unwrap();
            Transaction::Did(op).encode().to_vec()
        })
        .collect()
}

/// The measured part: every block of `per_block` transactions through the path, one after
/// another, each on the state the last one committed.
#[inline(never)]
fn run(store: &Store, signed: &[Vec<u8>], per_block: usize) -> Spent {
    let governance = Governance {
        chain: test_chain(),
        keys: vec![],
        threshold: 1,
    };
    let memo = SignatureMemo::default();
    let mut spent = Spent::default();
    for block in signed.chunks(per_block) {
        let finalized = store.finalized().unwrap();
        let height = finalized.height + 1;
        let timestamp_ms = 1_700_000_000_000 + height * 100;

        let t = Instant::now();
        let gossiped = decode(block);
        spent.decode += t.elapsed();

        let t = Instant::now();
        let deferred = memo.deferred();
        let ctx = BlockContext {
            height,
            timestamp_ms,
            governance: &governance,
            signatures: &deferred,
        };
        for tx in &gossiped {
            // Admission first looks the transaction up among the committed ones.
            assert!(store.tx_location(&tx.hash()).unwrap().is_none());
            store.check(&[], &ctx, tx).unwrap().unwrap();
        }
        assert!(
            deferred.settle(),
            "a bad signature among the benchmark's own"
        );
        spent.check += t.elapsed();

        let t = Instant::now();
        let txs = decode(block);
        // A proposal's transactions must hash to its header's root: the root its block
        // carries below. The hashes are kept for staging, as a node's block keeps them.
        let tx_hashes: Vec<TxHash> = txs.iter().map(Transaction::hash).collect();
        let root = transactions_root_of(tx_hashes.iter().copied());
        spent.decode += t.elapsed();

        let t = Instant::now();
        let ctx = BlockContext {
            height,
            timestamp_ms,
            governance: &governance,
            signatures: &memo,
        };
        let staged = store.stage(&[], &ctx, &txs, &tx_hashes).unwrap().unwrap();
        spent.stage += t.elapsed();

        // The block as it arrived, its root worked out once, above.
        let block = Block {
            header: BlockHeader {
                height,
                parent: finalized.block_hash,
                timestamp_ms,
                state_root: staged.root,
                transactions_root: root,
                transaction_count: u32::try_from(txs.len()).unwrap(),
            },
            transactions: txs,
        };
        let t = Instant::now();
        store
            .commit(&block, &staged, b"certificate", timestamp_ms + 5)
            .unwrap();
        spent.commit += t.elapsed();
    }
    spent
}

fn decode(block: &[Vec<u8>]) -> Vec<Transaction> {
    block
        .iter()
        .map(|bytes| Transaction::decode_bounded(bytes).unwrap())
        .collect()
}
