//! The wallet file under mistakes and damage: a wrong passphrase, a truncated file, a
//! flipped byte, a crash between writing the new file and renaming it over the old one.
//! Each gives a clear error, and none loses what the wallet held.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use realdid_core::did::RealDid;
use realdid_wallet::contents::{Delivery, LogEntry};
use realdid_wallet::keystore::{self, FileKind, KdfParams, SealingKey};
use realdid_wallet::{Wallet, WalletError};

const PASS: &str = "a citizen's passphrase";

fn entry(n: i64) -> LogEntry {
    LogEntry {
        at_ms: n,
        audience: "https://bank.example".into(),
        purpose: "a test".into(),
        request_id: format!("r{n}"),
        did: RealDid::from_suffix([n as u8; 32]),
        credential_id: "c1".into(),
        disclosed: vec!["age_over_18".into()],
        delivery: Delivery::Printed,
    }
}

/// A wallet holding one log entry, and its path.
fn wallet(dir: &Path) -> (Wallet, PathBuf) {
    let path = dir.join("wallet");
    let mut w = Wallet::create(&path, PASS, KdfParams::MINIMUM).unwrap();
    w.update(|c| {
        c.log.push(entry(1));
        Ok(())
    })
    .unwrap();
    (w, path)
}

fn reopened_log(path: &Path) -> Vec<LogEntry> {
    Wallet::open(path, PASS).unwrap().contents().log.clone()
}

#[test]
fn a_wrong_passphrase_is_named_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = wallet(dir.path());
    let before = std::fs::read(&path).unwrap();
    let e = Wallet::open(&path, "not the passphrase").unwrap_err();
    assert!(matches!(e, WalletError::WrongPassphrase { .. }), "{e}");
    assert!(e.to_string().contains("wrong passphrase"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(reopened_log(&path), vec![entry(1)]);
}

#[test]
fn a_truncated_file_is_damaged_and_never_half_read() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = wallet(dir.path());
    let whole = std::fs::read(&path).unwrap();
    for len in [0, 7, 50, whole.len() / 2, whole.len() - 1] {
        std::fs::write(&path, &whole[..len]).unwrap();
        match Wallet::open(&path, PASS) {
            Err(WalletError::Damaged { reason, .. }) => {
                assert!(reason.contains("truncated"), "{len}: {reason}")
            }
            Err(WalletError::NotAWallet { .. }) if len < 8 => {}
            other => panic!("{len} bytes: {other:?}"),
        }
    }
    std::fs::write(&path, &whole).unwrap();
    assert_eq!(reopened_log(&path), vec![entry(1)]);
}

#[test]
fn a_flipped_byte_anywhere_is_damage_not_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = wallet(dir.path());
    let whole = std::fs::read(&path).unwrap();
    // The header, the middle of the contents and the tag.
    for at in [9, 30, 60, 80, whole.len() / 2 + 53, whole.len() - 1] {
        let mut bad = whole.clone();
        bad[at] ^= 0x20;
        std::fs::write(&path, &bad).unwrap();
        match Wallet::open(&path, PASS) {
            Err(e @ WalletError::Damaged { .. }) => {
                assert!(e.to_string().contains("nothing was read"), "{e}")
            }
            Err(WalletError::Unsupported { .. }) if at < 22 => {}
            other => panic!("byte {at}: {other:?}"),
        }
    }
}

#[test]
fn a_crash_between_write_and_rename_leaves_the_old_wallet_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = wallet(dir.path());
    // What the crashed save had written: the new contents, complete or cut short, in the
    // temporary file beside the wallet, never renamed.
    let key = SealingKey::new(PASS, KdfParams::MINIMUM).unwrap();
    let newer = keystore::seal(FileKind::Wallet, &key, b"{\"newer\": true}").unwrap();
    std::fs::write(dir.path().join(".wallet.0a1b2c3d4e5f.tmp"), &newer).unwrap();
    std::fs::write(
        dir.path().join(".wallet.ffffffffffff.tmp"),
        &newer[..newer.len() / 3],
    )
    .unwrap();
    assert_eq!(reopened_log(&path), vec![entry(1)], "the old wallet, whole");

    // Life goes on: the next save replaces the wallet whole, beside the leftovers.
    let mut w = Wallet::open(&path, PASS).unwrap();
    w.update(|c| {
        c.log.push(entry(2));
        Ok(())
    })
    .unwrap();
    drop(w);
    assert_eq!(reopened_log(&path), vec![entry(1), entry(2)]);
}

#[test]
fn a_new_passphrase_and_stronger_settings_replace_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (mut w, path) = wallet(dir.path());
    assert!(w.kdf().is_outdated());
    w.change_passphrase("another passphrase", w.kdf().upgrade())
        .unwrap();
    drop(w);
    assert!(matches!(
        Wallet::open(&path, PASS),
        Err(WalletError::WrongPassphrase { .. })
    ));
    let again = Wallet::open(&path, "another passphrase").unwrap();
    assert_eq!(again.kdf(), KdfParams::DEFAULT);
    assert_eq!(again.contents().log, vec![entry(1)]);
}

#[test]
fn a_backup_restores_everything_on_a_new_device_under_its_own_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = wallet(dir.path());
    let backup = dir.path().join("backup");
    w.backup(&backup, "the backup passphrase").unwrap();
    let new_path = dir.path().join("new").join("wallet");
    assert!(matches!(
        Wallet::restore(&backup, PASS, &new_path, PASS, KdfParams::MINIMUM),
        Err(WalletError::WrongPassphrase { .. })
    ));
    assert!(
        matches!(
            Wallet::open(&backup, "the backup passphrase"),
            Err(WalletError::NotAWallet { .. })
        ),
        "a backup is not a wallet"
    );
    let restored = Wallet::restore(
        &backup,
        "the backup passphrase",
        &new_path,
        PASS,
        KdfParams::MINIMUM,
    )
    .unwrap();
    assert_eq!(restored.contents(), w.contents());
    drop(restored);
    assert_eq!(reopened_log(&new_path), vec![entry(1)]);
}
