//! Two processes using one wallet file at once, as two `realdid wallet …` runs would. Each
//! loads the whole wallet and saves the whole contents, so without a lock the later save
//! wins and what the other saved (a DID's fresh keys) is gone. The wallet is locked for as
//! long as it is open: a second opener is refused with `WalletError::InUse`, naming the lock
//! file, and nothing either of them saved is lost.
//!
//! The second process is this test binary run again, told by an environment variable to
//! play the other `realdid wallet` run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use realdid_core::did::{KeyId, RealDid};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_wallet::contents::{Delivery, DidEntry, LogEntry, StoredKey};
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::{Wallet, WalletError};

const PASS: &str = "a citizen's passphrase";
/// Set in the second process: the wallet file it opens.
const OTHER_PROCESS: &str = "REALDID_WALLET_TEST_OTHER_PROCESS";
/// The second process's exit code when it was refused with `WalletError::InUse`.
const REFUSED_IN_USE: i32 = 10;
/// The DID the second process saves (its keys are fresh).
const OTHER_DID: [u8; 32] = [7; 32];

fn log_entry() -> LogEntry {
    LogEntry {
        at_ms: 1,
        audience: "https://bank.example".into(),
        purpose: "a test".into(),
        request_id: "r1".into(),
        did: RealDid::from_suffix([1; 32]),
        credential_id: "c1".into(),
        disclosed: vec!["age_over_18".into()],
        delivery: Delivery::Printed,
    }
}

fn fresh_did() -> DidEntry {
    let key = || StoredKey::new(&SigningKey::generate(Algorithm::EdDsa).unwrap()).unwrap();
    DidEntry {
        did: RealDid::from_suffix(OTHER_DID),
        provider: Some("https://shop.example".into()),
        key_id: KeyId::first(),
        key: key(),
        recovery_key: key(),
        version: 1,
        last_operation: String::new(),
        deactivated: false,
        created_ms: 1,
        next: None,
    }
}

/// The other process: opens the wallet, saves a new DID with its keys (as `realdid wallet
/// did create` does), and exits 0; or exits [`REFUSED_IN_USE`] when refused as in use.
fn other_process(path: &Path) -> ! {
    let code = match Wallet::open(path, PASS) {
        Ok(mut wallet) => match wallet.update(|c| {
            c.dids.push(fresh_did());
            Ok(())
        }) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("saving: {e}");
                1
            }
        },
        Err(e) => {
            eprintln!("{e}");
            match e {
                WalletError::InUse { path: p, lock } if p == path && lock == lock_file(path) => {
                    REFUSED_IN_USE
                }
                _ => 1,
            }
        }
    };
    std::process::exit(code)
}

fn lock_file(wallet: &Path) -> PathBuf {
    wallet.with_file_name("wallet.lock")
}

/// Runs the other process on the wallet at `path` and waits for it.
fn run_other_process(path: &Path) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_second_process_is_refused_while_the_wallet_is_open_and_nothing_is_lost",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(OTHER_PROCESS, path)
        .output()
        .unwrap()
}

fn holds_other_did(path: &Path) -> bool {
    let wallet = Wallet::open(path, PASS).unwrap();
    let did = RealDid::from_suffix(OTHER_DID);
    wallet.contents().did(&did).is_ok()
}

#[test]
fn a_second_process_is_refused_while_the_wallet_is_open_and_nothing_is_lost() {
    if let Some(path) = std::env::var_os(OTHER_PROCESS) {
        other_process(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet");
    drop(Wallet::create(&path, PASS, KdfParams::MINIMUM).unwrap());

    // This process opens the wallet (a presentation under way, say) ...
    let mut first = Wallet::open(&path, PASS).unwrap();
    // ... the other creates a DID in it meanwhile ...
    let other = run_other_process(&path);
    let stderr = String::from_utf8_lossy(&other.stderr);
    // ... and this one then saves its own change (the presentation's log entry).
    first
        .update(|c| {
            c.log.push(log_entry());
            Ok(())
        })
        .unwrap();
    drop(first);

    let other_saved = other.status.code() == Some(0);
    assert!(
        !other_saved || holds_other_did(&path),
        "the other process saved a new DID with its keys, and this process's later save \
         dropped it: the DID's keys are lost"
    );
    assert_eq!(
        other.status.code(),
        Some(REFUSED_IN_USE),
        "the other process must be refused while the wallet is open here: {stderr}"
    );
    assert!(
        stderr.contains("is in use") && stderr.contains(&*lock_file(&path).to_string_lossy()),
        "{stderr}"
    );
    assert_eq!(
        Wallet::open(&path, PASS).unwrap().contents().log,
        vec![log_entry()]
    );

    // Once this process has closed the wallet, the other one opens it and saves.
    let again = run_other_process(&path);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(holds_other_did(&path));
    let reopened = Wallet::open(&path, PASS).unwrap();
    assert_eq!(reopened.contents().log, vec![log_entry()]);
}

#[test]
fn one_process_cannot_open_a_wallet_twice_and_the_lock_ends_with_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet");
    let created = Wallet::create(&path, PASS, KdfParams::MINIMUM).unwrap();
    let refused = |e: WalletError| match e {
        WalletError::InUse { path: p, lock } => {
            assert_eq!(p, path);
            assert_eq!(lock, lock_file(&path));
        }
        other => panic!("expected InUse, got {other:?}"),
    };
    refused(Wallet::open(&path, PASS).unwrap_err());
    drop(created);

    let open = Wallet::open(&path, PASS).unwrap();
    refused(Wallet::open(&path, PASS).unwrap_err());
    // Creating or restoring over a wallet in use is refused as in use, before "exists".
    refused(Wallet::create(&path, PASS, KdfParams::MINIMUM).unwrap_err());
    let backup = dir.path().join("backup");
    open.backup(&backup, PASS).unwrap();
    refused(Wallet::restore(&backup, PASS, &path, PASS, KdfParams::MINIMUM).unwrap_err());
    drop(open);

    assert!(Wallet::open(&path, PASS).is_ok());
    assert!(matches!(
        Wallet::create(&path, PASS, KdfParams::MINIMUM),
        Err(WalletError::Exists(_))
    ));
    // A missing wallet is still named as missing, not as a lock problem.
    let missing = dir.path().join("nowhere").join("wallet");
    match Wallet::open(&missing, PASS) {
        Err(WalletError::Io { path: p, source }) => {
            assert_eq!(p, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert!(!missing.parent().unwrap().exists(), "nothing was created");
}
