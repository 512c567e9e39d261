//! A damaged data directory refuses to open, with an error, never a panic and never a state
//! that silently differs: the meta record gone or garbled, a header overwritten, tree nodes
//! lost, a column family dropped, SST files truncated. A directory in another state format is
//! refused by name, not as damage.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use std::path::Path;

use commonware_codec::Encode as _;
use execute_support::{Council, Holder, block_on, genesis_header, hashes};
use realdid_registry::RegistryError;
use realdid_registry::error::Fault;
use realdid_registry::execute::BlockContext;
use realdid_registry::state::Store;

const CFS: [&str; 10] = [
    "jmt_nodes",
    "jmt_values",
    "blocks",
    "headers",
    "certificates",
    "heights",
    "tx_index",
    "time_index",
    "did_versions",
    "meta",
];

/// A store with genesis and two committed blocks, closed.
fn populated() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.genesis_init(&genesis_header()).unwrap();
    let council = Council::new();
    let (mut holder, create) = Holder::create();
    let update = holder.rotate();
    for txs in [vec![create], vec![update]] {
        let finalized = store.finalized().unwrap();
        let ctx = BlockContext {
            height: finalized.height + 1,
            timestamp_ms: 1_700_000_000_000 + finalized.height * 1000,
            governance: &council.governance,
            signatures: &council.signatures,
        };
        let staged = store
            .stage(&[], &ctx, &txs, &hashes(&txs))
            .unwrap()
            .unwrap();
        let block = block_on(finalized.block_hash, &staged, txs, ctx.timestamp_ms);
        store.commit(&block, &staged, b"cert", 0).unwrap();
    }
    assert_eq!(store.finalized().unwrap().height, 2);
    store.flush().unwrap();
    drop(store);
    dir
}

/// Opens the raw database with every column family and edits it.
fn edit(dir: &Path, f: impl FnOnce(&rocksdb::DB)) {
    let opts = rocksdb::Options::default();
    let db = rocksdb::DB::open_cf(&opts, dir, CFS).unwrap();
    f(&db);
    db.flush().unwrap();
}

fn cf<'a>(db: &'a rocksdb::DB, name: &str) -> &'a rocksdb::ColumnFamily {
    db.cf_handle(name).unwrap()
}

fn refused(dir: &Path) -> RegistryError {
    let error = Store::open(dir).expect_err("a damaged database must not open");
    assert!(!error.to_string().is_empty());
    error
}

fn corrupt(dir: &Path) -> String {
    match refused(dir) {
        RegistryError::Fault(Fault::Corrupt { reason }) => reason,
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn an_undamaged_database_opens() {
    let dir = populated();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.finalized().unwrap().height, 2);
}

#[test]
fn a_missing_meta_record_is_corrupt() {
    let dir = populated();
    edit(dir.path(), |db| {
        db.delete_cf(cf(db, "meta"), b"finalized").unwrap()
    });
    let reason = corrupt(dir.path());
    assert!(
        reason.contains("finalized-height record is missing"),
        "{reason}"
    );
}

#[test]
fn a_garbled_meta_record_is_corrupt() {
    let dir = populated();
    edit(dir.path(), |db| {
        db.put_cf(cf(db, "meta"), b"finalized", [1, 2, 3]).unwrap()
    });
    corrupt(dir.path());
}

#[test]
fn a_meta_record_pointing_back_in_time_is_corrupt() {
    // A meta record from an older height (as if a later batch were half applied).
    let dir = populated();
    edit(dir.path(), |db| {
        let info = db
            .get_cf(cf(db, "heights"), 1u64.to_be_bytes())
            .unwrap()
            .unwrap();
        // BlockInfo starts with the same fields as the finalized record.
        let mut record = info[..1 + 8 + 32 + 32 + 8].to_vec();
        record[0] = 1;
        db.put_cf(cf(db, "meta"), b"finalized", record).unwrap();
    });
    let reason = corrupt(dir.path());
    assert!(reason.contains("ends at height"), "{reason}");
}

#[test]
fn an_overwritten_header_is_corrupt() {
    let dir = populated();
    edit(dir.path(), |db| {
        let mut header = genesis_header();
        header.height = 2;
        header.timestamp_ms = 42;
        db.put_cf(cf(db, "headers"), 2u64.to_be_bytes(), header.encode())
            .unwrap();
    });
    let reason = corrupt(dir.path());
    assert!(reason.contains("hashes to"), "{reason}");

    let dir = populated();
    edit(dir.path(), |db| {
        db.put_cf(cf(db, "headers"), 2u64.to_be_bytes(), b"garbage")
            .unwrap()
    });
    corrupt(dir.path());
}

#[test]
fn lost_tree_nodes_are_corrupt() {
    let dir = populated();
    edit(dir.path(), |db| {
        let keys: Vec<Box<[u8]>> = db
            .iterator_cf(cf(db, "jmt_nodes"), rocksdb::IteratorMode::Start)
            .map(|item| item.unwrap().0)
            .collect();
        assert!(!keys.is_empty());
        for key in keys {
            db.delete_cf(cf(db, "jmt_nodes"), key).unwrap();
        }
    });
    let reason = corrupt(dir.path());
    assert!(reason.contains("no root"), "{reason}");
}

#[test]
fn a_dropped_column_family_is_corrupt() {
    let dir = populated();
    {
        let opts = rocksdb::Options::default();
        let mut db = rocksdb::DB::open_cf(&opts, dir.path(), CFS).unwrap();
        db.drop_cf("tx_index").unwrap();
    }
    let reason = corrupt(dir.path());
    assert!(reason.contains("tx_index"), "{reason}");
}

#[test]
fn truncated_sst_files_are_refused() {
    let dir = populated();
    let mut truncated = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sst") {
            let len = std::fs::metadata(&path).unwrap().len();
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(len / 2).unwrap();
            truncated += 1;
        }
    }
    assert!(truncated > 0, "the populated database has SST files");
    match refused(dir.path()) {
        RegistryError::Fault(Fault::Corrupt { .. } | Fault::Storage { .. }) => {}
        other => panic!("expected Corrupt or Storage, got {other}"),
    }
}

#[test]
fn a_missing_database_file_is_refused() {
    let dir = populated();
    let manifest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("MANIFEST"))
        })
        .unwrap();
    std::fs::remove_file(manifest).unwrap();
    refused(dir.path());
}

#[test]
fn a_directory_of_another_state_format_is_refused_by_name() {
    // Written before the format record existed (format 1), by an older build (format 4,
    // before the register of issuers; format 5, with the column of key preimages), or by a
    // newer build.
    for (record, found) in [(None, 1), (Some(4u32), 4), (Some(5u32), 5), (Some(7u32), 7)] {
        let dir = populated();
        edit(dir.path(), |db| match record {
            None => db.delete_cf(cf(db, "meta"), b"format").unwrap(),
            Some(format) => db
                .put_cf(cf(db, "meta"), b"format", format.to_be_bytes())
                .unwrap(),
        });
        if found == 5 {
            let opts = rocksdb::Options::default();
            let mut db = rocksdb::DB::open_cf(&opts, dir.path(), CFS).unwrap();
            db.create_cf("key_preimages", &opts).unwrap();
        }
        match refused(dir.path()) {
            RegistryError::Fault(Fault::StateFormat {
                found: f, expected, ..
            }) => {
                assert_eq!((f, expected), (found, 6));
            }
            other => panic!("expected StateFormat, got {other}"),
        }
        let message = refused(dir.path()).to_string();
        assert!(
            message.contains("move the data directory aside"),
            "{message}"
        );
    }
    // A garbled record is damage.
    let dir = populated();
    edit(dir.path(), |db| {
        db.put_cf(cf(db, "meta"), b"format", b"x").unwrap()
    });
    assert!(corrupt(dir.path()).contains("format"));
}
