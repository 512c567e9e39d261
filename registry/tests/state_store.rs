//! The RocksDB store with real databases in temporary directories: commits, reopening,
//! idempotence, speculative chains, historical and non-existence proofs, indexes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use std::sync::Arc;

use commonware_codec::{Copying, Decode as _};
use execute_support::{Council, Holder, block_on, genesis_header, hashed, hashes};
use realdid_core::codec::{Block, BlockHash, Transaction};
use realdid_registry::RegistryError;
use realdid_registry::error::Fault;
use realdid_registry::execute::{BlockContext, RejectReason};
use realdid_registry::proof::{StateProof, verify_state};
use realdid_registry::state::keys::StateKey;
use realdid_registry::state::records::DidRecord;
use realdid_registry::state::{EMPTY_ROOT, Staged, Store};

const T0: u64 = 1_700_000_000_000;

fn ctx(council: &Council, height: u64) -> BlockContext<'_> {
    BlockContext {
        height,
        timestamp_ms: T0 + height * 1000,
        governance: &council.governance,
        signatures: &council.signatures,
    }
}

fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.finalized(), None);
    store.genesis_init(&genesis_header()).unwrap();
    (dir, store)
}

/// Stages `txs` on the finalized state, commits, and returns the block.
fn commit_next(store: &Store, council: &Council, txs: Vec<Transaction>) -> Block {
    let finalized = store.finalized().unwrap();
    let ctx = ctx(council, finalized.height + 1);
    let staged = store
        .stage(&[], &ctx, &txs, &hashes(&txs))
        .unwrap()
        .unwrap();
    let block = block_on(finalized.block_hash, &staged, txs, ctx.timestamp_ms);
    store
        .commit(&block, &staged, b"certificate", ctx.timestamp_ms + 5)
        .unwrap();
    block
}

/// Three blocks: create A and B; update A; update A again and create C.
fn three_blocks() -> (Vec<Vec<Transaction>>, Holder) {
    let (mut a, create_a) = Holder::create();
    let (_b, create_b) = Holder::create();
    let (_c, create_c) = Holder::create();
    let first = a.rotate();
    let second = a.rotate();
    (
        vec![
            vec![create_a, create_b],
            vec![first],
            vec![second, create_c],
        ],
        a,
    )
}

fn did_version(value: &[u8]) -> u64 {
    DidRecord::decode_cfg(Copying(value), &())
        .unwrap()
        .state
        .version
}

#[test]
fn genesis_is_the_empty_tree_and_is_idempotent() {
    let (dir, store) = new_store();
    let finalized = store.finalized().unwrap();
    assert_eq!(finalized.height, 0);
    assert_eq!(finalized.state_root, EMPTY_ROOT);
    assert_eq!(finalized.block_hash, genesis_header().hash());
    assert_eq!(store.genesis_init(&genesis_header()).unwrap(), finalized);
    // Another genesis on this directory is another chain.
    let mut other = genesis_header();
    other.timestamp_ms += 1;
    assert!(matches!(
        store.genesis_init(&other),
        Err(RegistryError::Fault(Fault::Corrupt { .. }))
    ));
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.finalized(), Some(finalized));
    assert_eq!(store.certificate(0).unwrap(), None);
}

#[test]
fn commits_survive_a_reopen_with_the_same_root() {
    let council = Council::new();
    let (dir, store) = new_store();
    let (blocks, a) = three_blocks();
    let mut committed = Vec::new();
    for txs in blocks {
        committed.push(commit_next(&store, &council, txs));
    }
    let finalized = store.finalized().unwrap();
    assert_eq!(finalized.height, 3);
    assert_eq!(finalized.state_root, committed[2].header.state_root);
    assert_eq!(finalized.block_hash, committed[2].header.hash());
    let value = store.get(&StateKey::Did(a.did()), 3).unwrap().unwrap();
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.finalized(), Some(finalized));
    assert_eq!(store.get(&StateKey::Did(a.did()), 3).unwrap(), Some(value));
    for block in &committed {
        let h = block.header.height;
        assert_eq!(store.block(h).unwrap().as_ref(), Some(block));
        assert_eq!(store.header(h).unwrap().as_ref(), Some(&block.header));
        assert_eq!(
            store.certificate(h).unwrap().as_deref(),
            Some(&b"certificate"[..])
        );
        let info = store.block_info(h).unwrap().unwrap();
        assert_eq!(info.block_hash, block.header.hash());
        assert_eq!(info.finalized_at_ms, block.header.timestamp_ms + 5);
        for (i, tx) in block.transactions.iter().enumerate() {
            let location = store.tx_location(&tx.hash()).unwrap().unwrap();
            assert_eq!((location.height, location.index as usize), (h, i));
        }
    }
    // Reading above the finalized height is refused.
    assert!(matches!(
        store.get(&StateKey::Did(a.did()), 4),
        Err(RegistryError::NotFound { .. })
    ));
}

#[test]
fn commit_is_idempotent_and_refuses_what_does_not_follow() {
    let council = Council::new();
    let (_dir, store) = new_store();
    let (blocks, _) = three_blocks();
    let mut blocks = blocks.into_iter();

    let txs = blocks.next().unwrap();
    let finalized = store.finalized().unwrap();
    let c1 = ctx(&council, 1);
    let staged = store.stage(&[], &c1, &txs, &hashes(&txs)).unwrap().unwrap();
    let block = block_on(finalized.block_hash, &staged, txs.clone(), c1.timestamp_ms);
    store.commit(&block, &staged, b"cert", 1).unwrap();
    let after = store.finalized().unwrap();
    // The engine may deliver a block twice.
    store.commit(&block, &staged, b"cert", 2).unwrap();
    assert_eq!(store.finalized(), Some(after));
    assert_eq!(store.block_info(1).unwrap().unwrap().finalized_at_ms, 1);

    // Another block at a committed height means this node's history is not the chain's.
    let mut other = block.clone();
    other.header.timestamp_ms += 1;
    assert!(matches!(
        store.commit(&other, &staged, b"cert", 3),
        Err(RegistryError::Fault(Fault::Corrupt { .. }))
    ));

    // A gap, or a block on another parent, is refused.
    let txs2 = blocks.next().unwrap();
    let c2 = ctx(&council, 2);
    let staged2 = store
        .stage(&[], &c2, &txs2, &hashes(&txs2))
        .unwrap()
        .unwrap();
    let mut gap = block_on(after.block_hash, &staged2, txs2.clone(), c2.timestamp_ms);
    gap.header.height = 3;
    assert!(matches!(
        store.commit(&gap, &staged2, b"cert", 3),
        Err(RegistryError::InvalidRequest { .. })
    ));
    let orphan = block_on(BlockHash([9; 32]), &staged2, txs2.clone(), c2.timestamp_ms);
    assert!(matches!(
        store.commit(&orphan, &staged2, b"cert", 3),
        Err(RegistryError::InvalidRequest { .. })
    ));
    // A header whose state root is not what this node computed: divergence, nothing written.
    let mut wrong_root = block_on(after.block_hash, &staged2, txs2.clone(), c2.timestamp_ms);
    wrong_root.header.state_root = after.state_root;
    assert!(matches!(
        store.commit(&wrong_root, &staged2, b"cert", 3),
        Err(RegistryError::Fault(Fault::Diverged { height: 2, .. }))
    ));
    // Staged execution of other transactions.
    let mut other_txs = block_on(after.block_hash, &staged2, txs.clone(), c2.timestamp_ms);
    other_txs.header.state_root = staged2.root;
    assert!(matches!(
        store.commit(&other_txs, &staged2, b"cert", 3),
        Err(RegistryError::Fault(Fault::Diverged { .. }))
    ));
    assert_eq!(store.finalized(), Some(after));

    let good = block_on(after.block_hash, &staged2, txs2, c2.timestamp_ms);
    store.commit(&good, &staged2, b"cert", 3).unwrap();
    assert_eq!(store.finalized().unwrap().height, 2);
}

#[test]
fn a_speculative_chain_has_the_roots_of_committing_one_by_one() {
    let council = Council::new();
    let (blocks, a) = three_blocks();

    // One by one.
    let (_d1, one_by_one) = new_store();
    let committed: Vec<Block> = blocks
        .iter()
        .map(|txs| commit_next(&one_by_one, &council, txs.clone()))
        .collect();

    // Three unfinalized blocks staged on each other, nothing written.
    let (_d2, speculative) = new_store();
    let genesis = speculative.finalized().unwrap();
    let mut ancestors: Vec<Arc<Staged>> = Vec::new();
    let mut chain = Vec::new();
    let mut parent = genesis.block_hash;
    for (i, txs) in blocks.iter().enumerate() {
        let c = ctx(&council, i as u64 + 1);
        let staged = speculative
            .stage(&ancestors, &c, txs, &hashes(txs))
            .unwrap()
            .unwrap();
        let block = block_on(parent, &staged, txs.clone(), c.timestamp_ms);
        assert_eq!(block.header, committed[i].header, "block {}", i + 1);
        parent = block.header.hash();
        ancestors.push(Arc::new(staged));
        chain.push(block);
    }
    assert_eq!(
        speculative.finalized(),
        Some(genesis),
        "staging writes nothing"
    );

    // The overlay reads through the staged blocks.
    let view = speculative.view(&ancestors).unwrap();
    assert_eq!(view.height(), 3);
    assert_eq!(view.root().unwrap(), committed[2].header.state_root);
    let value = realdid_registry::execute::StateView::get(&view, &StateKey::Did(a.did()))
        .unwrap()
        .unwrap();
    assert_eq!(did_version(&value), 3);

    // A transaction that conflicts with a staged block is refused on top of it.
    let c4 = ctx(&council, 4);
    let replay = &blocks[1][0];
    let rejection = speculative
        .check(&ancestors, &c4, replay)
        .unwrap()
        .unwrap_err();
    assert_eq!(rejection.reason, RejectReason::Stale);
    // Ancestors out of order are refused.
    let shuffled = vec![ancestors[1].clone(), ancestors[0].clone()];
    assert!(matches!(
        speculative.view(&shuffled),
        Err(RegistryError::InvalidRequest { .. })
    ));

    // Committing the staged blocks as they finalize; a staged chain whose first blocks were
    // finalized meanwhile still stages on top.
    speculative
        .commit(&chain[0], &ancestors[0], b"cert", 1)
        .unwrap();
    let c4_staged = speculative
        .stage(&ancestors, &c4, &[], &hashes(&[]))
        .unwrap()
        .unwrap();
    assert_eq!(
        c4_staged.root, committed[2].header.state_root,
        "an empty block keeps the root"
    );
    speculative
        .commit(&chain[1], &ancestors[1], b"cert", 2)
        .unwrap();
    speculative
        .commit(&chain[2], &ancestors[2], b"cert", 3)
        .unwrap();
    assert_eq!(speculative.finalized(), one_by_one.finalized());
}

#[test]
fn historical_and_absence_proofs_verify_against_their_roots() {
    let council = Council::new();
    let (_dir, store) = new_store();
    let (blocks, a) = three_blocks();
    for txs in blocks {
        commit_next(&store, &council, txs);
    }
    let key = StateKey::Did(a.did());
    let root = |h: u64| store.header(h).unwrap().unwrap().state_root;

    // Version 1 at height 1, version 3 at height 3; each proof holds only at its own root.
    let (v1, p1) = store.prove(&key, 1).unwrap();
    let (v3, p3) = store.prove(&key, 3).unwrap();
    let (v1, v3) = (v1.unwrap(), v3.unwrap());
    assert_eq!((did_version(&v1), did_version(&v3)), (1, 3));
    assert_eq!(store.get(&key, 1).unwrap().as_ref(), Some(&v1));
    verify_state(&root(1), &key, Some(&v1), &p1).unwrap();
    verify_state(&root(3), &key, Some(&v3), &p3).unwrap();
    assert!(verify_state(&root(3), &key, Some(&v1), &p1).is_err());
    assert!(verify_state(&root(1), &key, Some(&v3), &p1).is_err());
    assert!(
        verify_state(&root(1), &key, None, &p1).is_err(),
        "inclusion is not absence"
    );

    // The DID did not exist at genesis: absence proven against the empty root.
    let (none, p0) = store.prove(&key, 0).unwrap();
    assert_eq!(none, None);
    verify_state(&root(0), &key, None, &p0).unwrap();
    assert!(verify_state(&root(0), &key, Some(&v1), &p0).is_err());

    // Keys never written, at the latest height: absence, which fails as inclusion.
    for absent in [
        StateKey::Did(realdid_core::did::RealDid::from_suffix([0xAB; 32])),
        StateKey::Issuer(a.did()),
        StateKey::GovernanceNonce(7),
    ] {
        let (value, proof) = store.prove(&absent, 3).unwrap();
        assert_eq!(value, None);
        verify_state(&root(3), &absent, None, &proof).unwrap();
        assert!(verify_state(&root(3), &absent, Some(b"x"), &proof).is_err());
        assert!(
            verify_state(&root(3), &key, None, &proof).is_err(),
            "absence of one key only"
        );
        // The proof travels as bytes.
        let bytes = commonware_codec::Encode::encode(&proof);
        let back = StateProof::decode_bounded(&bytes).unwrap();
        verify_state(&root(3), &absent, None, &back).unwrap();
    }
}

#[test]
fn did_versions_and_times_map_to_heights() {
    let council = Council::new();
    let (_dir, store) = new_store();
    let (blocks, a) = three_blocks();
    for txs in blocks {
        commit_next(&store, &council, txs);
    }
    let did = a.did();
    assert_eq!(store.did_version_height(&did, 1).unwrap(), Some(1));
    assert_eq!(store.did_version_height(&did, 2).unwrap(), Some(2));
    assert_eq!(store.did_version_height(&did, 3).unwrap(), Some(3));
    assert_eq!(store.did_version_height(&did, 4).unwrap(), None);

    // A block applies one operation per DID, so each version is the state at one height:
    // two operations on one DID do not stage as one block.
    let (mut d, create) = Holder::create();
    let update = d.rotate();
    let next = ctx(&council, store.finalized().unwrap().height + 1);
    let both = [create.clone(), update.clone()];
    let (index, rejection) = store
        .stage(&[], &next, &both, &hashes(&both))
        .unwrap()
        .unwrap_err();
    assert_eq!((index, rejection.reason), (1, RejectReason::Stale));
    let h = commit_next(&store, &council, vec![create]).header.height;
    commit_next(&store, &council, vec![update]);
    assert_eq!(store.did_version_height(&d.did(), 1).unwrap(), Some(h));
    assert_eq!(store.did_version_height(&d.did(), 2).unwrap(), Some(h + 1));
    let h = h + 1;

    // Block h has timestamp T0 + h s.
    assert_eq!(store.height_at_or_before(T0 - 1).unwrap(), None);
    assert_eq!(store.height_at_or_before(T0).unwrap(), Some(0));
    assert_eq!(store.height_at_or_before(T0 + 2_000).unwrap(), Some(2));
    assert_eq!(store.height_at_or_before(T0 + 2_999).unwrap(), Some(2));
    assert_eq!(store.height_at_or_before(u64::MAX).unwrap(), Some(h));
}

#[test]
fn an_invalid_block_stages_to_its_rejection() {
    let council = Council::new();
    let (_dir, store) = new_store();
    let (mut a, create) = Holder::create();
    let update = a.rotate();
    let c1 = ctx(&council, 1);
    let both = [update.clone(), create.clone()];
    let (index, rejection) = store
        .stage(&[], &c1, &both, &hashes(&both))
        .unwrap()
        .unwrap_err();
    assert_eq!((index, rejection.reason), (0, RejectReason::DidNotFound));
    // The builder drops the update and keeps the create.
    let (txs, staged, rejected) = store
        .stage_build(&[], &c1, hashed([update.clone(), create.clone()]), 100)
        .unwrap();
    assert_eq!(txs, vec![create]);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, update.hash());
    let block = block_on(
        store.finalized().unwrap().block_hash,
        &staged,
        txs,
        c1.timestamp_ms,
    );
    store.commit(&block, &staged, b"cert", 0).unwrap();
    // A block for the wrong height does not stage.
    assert!(matches!(
        store.stage(&[], &c1, &[], &hashes(&[])),
        Err(RegistryError::InvalidRequest { .. })
    ));
}

#[test]
fn blocks_finalized_as_ancestors_have_no_certificate_of_their_own() {
    let council = Council::new();
    let (dir, store) = new_store();
    let (blocks, _) = three_blocks();
    for (i, txs) in blocks.into_iter().enumerate() {
        let finalized = store.finalized().unwrap();
        let c = ctx(&council, finalized.height + 1);
        let staged = store.stage(&[], &c, &txs, &hashes(&txs)).unwrap().unwrap();
        let block = block_on(finalized.block_hash, &staged, txs, c.timestamp_ms);
        // Only the last block comes with a certificate; the first two are its ancestors.
        let certificate: &[u8] = if i == 2 { b"cert-3" } else { b"" };
        store.commit(&block, &staged, certificate, 0).unwrap();
    }
    assert_eq!(store.certificate(1).unwrap(), None);
    assert_eq!(store.certificate(3).unwrap(), Some(b"cert-3".to_vec()));
    assert_eq!(
        store.certified_at_or_after(1).unwrap(),
        Some((3, b"cert-3".to_vec()))
    );
    assert_eq!(store.certified_at_or_after(4).unwrap(), None);
    drop(store);
    // A tip without its own certificate (a crash between ancestor and descendant) opens.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.finalized().unwrap().height, 3);
}

/// Proven reads take the newest certified block from memory: it follows every commit that
/// brings a certificate, ignores those that do not, and is found again after a reopen.
#[test]
fn the_newest_certified_block_is_remembered_across_a_reopen() {
    let council = Council::new();
    let (dir, store) = new_store();
    assert_eq!(store.latest_certified(), None);
    let (blocks, _) = three_blocks();
    let mut headers = Vec::new();
    for (i, txs) in blocks.into_iter().enumerate() {
        let finalized = store.finalized().unwrap();
        let c = ctx(&council, finalized.height + 1);
        let staged = store.stage(&[], &c, &txs, &hashes(&txs)).unwrap().unwrap();
        let block = block_on(finalized.block_hash, &staged, txs, c.timestamp_ms);
        let certificate: &[u8] = match i {
            0 => b"cert-1",
            1 => b"",
            _ => b"cert-3",
        };
        store.commit(&block, &staged, certificate, 0).unwrap();
        headers.push(block.header.clone());
        let newest = store.latest_certified().unwrap();
        let (height, certificate): (u64, &[u8]) = if i == 1 {
            (1, b"cert-1")
        } else {
            (i as u64 + 1, certificate)
        };
        assert_eq!(newest.height, height);
        assert_eq!(newest.header, headers[height as usize - 1]);
        assert_eq!(newest.certificate, certificate.to_vec());
    }
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let newest = store.latest_certified().unwrap();
    assert_eq!(
        (newest.height, newest.certificate.as_slice()),
        (3, &b"cert-3"[..])
    );
    assert_eq!(newest.header, headers[2]);
}

#[test]
fn the_store_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Store>();
    shared::<Staged>();
}

/// Commits three blocks in a store in `dir`, flushes its memtables to files (with direct I/O
/// where the file system takes it), reopens it and reads every block and DID back.
fn flushed_blocks_read_back_after_a_reopen(dir: &std::path::Path) {
    let council = Council::new();
    let store = Store::open(dir).unwrap();
    store.genesis_init(&genesis_header()).unwrap();
    let (blocks, a) = three_blocks();
    let committed: Vec<Block> = blocks
        .into_iter()
        .map(|txs| commit_next(&store, &council, txs))
        .collect();
    let value = store.get(&StateKey::Did(a.did()), 3).unwrap().unwrap();
    store.flush().unwrap();
    let finalized = store.finalized();
    drop(store);
    // Nothing of the probe for direct I/O is left beside the database.
    assert!(std::fs::read_dir(dir).unwrap().all(|entry| {
        !entry
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("probe")
    }));

    // Flushes are written directly exactly where the file system takes direct I/O.
    let takes_direct_io = {
        use std::os::unix::fs::OpenOptionsExt as _;
        let path = dir.join("test-direct-io");
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(&path)
            .is_ok();
        let _ = std::fs::remove_file(&path);
        opened
    };
    let log = std::fs::read_to_string(dir.join("LOG")).unwrap();
    let option = format!(
        "use_direct_io_for_flush_and_compaction: {}",
        u8::from(takes_direct_io)
    );
    assert!(log.contains(&option), "RocksDB's LOG does not say {option}");

    let store = Store::open(dir).unwrap();
    assert_eq!(store.finalized(), finalized);
    assert_eq!(
        store.get(&StateKey::Did(a.did()), 3).unwrap(),
        Some(value.clone())
    );
    let key = StateKey::Did(a.did());
    let (proven, proof) = store.prove(&key, 3).unwrap();
    assert_eq!(proven.as_ref(), Some(&value));
    verify_state(&committed[2].header.state_root, &key, Some(&value), &proof).unwrap();
    for block in &committed {
        assert_eq!(
            store.block(block.header.height).unwrap().as_ref(),
            Some(block)
        );
    }
}

#[test]
fn flushed_files_read_back_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    flushed_blocks_read_back_after_a_reopen(dir.path());
}

#[test]
fn a_store_on_tmpfs_flushes_and_reopens() {
    // tmpfs takes direct I/O only from Linux 6.6 on: the store must work either way.
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        eprintln!("no /dev/shm on this machine: nothing to check");
        return;
    }
    let dir = tempfile::tempdir_in(shm).unwrap();
    flushed_blocks_read_back_after_a_reopen(dir.path());
}
