//! The wallet file: what a citizen's device reads back from disk, which anyone with the
//! disk (or a backup) may have changed. Its bytes, and the contents sealed inside it, must
//! open or be refused with a typed error; nothing a mutation makes may open as something
//! else. Each input that gets past the header costs an Argon2id derivation (tens of
//! milliseconds), so the suite runs fewer of them than of the other targets.

use rand::rngs::StdRng;
use realdid_core::did::{KeyId, RealDid};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_tests::fuzz::{below, mutate, run_with};
use realdid_wallet::contents::{Delivery, DidEntry, LogEntry, StoredKey};
use realdid_wallet::keystore::{self, FileKind, KdfParams};
use realdid_wallet::{Wallet, WalletError};
use sha2::{Digest as _, Sha256};

const PASS: &str = "a citizen's passphrase";
/// The header: magic, format, KDF, its parameters, salt, key check, nonce, length; then
/// its SHA-256.
const AUTHENTICATED_LEN: usize = 74;
const HEADER_LEN: usize = AUTHENTICATED_LEN + 32;
/// Where the KDF parameters are in the header: never changed by the mutator, so that no
/// input asks for more than the minimum derivation (the bound a file may ask for is the
/// keystore's own test).
const KDF_PARAMS: std::ops::Range<usize> = 10..22;

/// A wallet with a DID and a log entry, sealed with the minimum
/// derivation; its path and bytes.
fn sealed_wallet(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let path = dir.join("wallet");
    let mut wallet = Wallet::create(&path, PASS, KdfParams::MINIMUM).unwrap();
    wallet
        .update(|c| {
            c.log.push(LogEntry {
                at_ms: 1_795_000_000_000,
                audience: "https://bank.example".into(),
                purpose: "open an account".into(),
                request_id: "r1".into(),
                did: RealDid::from_suffix([3; 32]),
                credential_id: "c1".into(),
                disclosed: vec!["province".into()],
                delivery: Delivery::Printed,
            });
            let key = |byte| SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte; 32]);
            c.dids.push(DidEntry {
                did: RealDid::from_suffix([4; 32]),
                provider: Some("https://bank.example".into()),
                key_id: KeyId::first(),
                key: StoredKey::new(&key(5).unwrap())?,
                recovery_key: StoredKey::new(&key(6).unwrap())?,
                version: 1,
                last_operation: "00".repeat(32),
                deactivated: false,
                created_ms: 1_795_000_000_000,
                next: None,
            });
            Ok(())
        })
        .unwrap();
    drop(wallet);
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// A mutation of a wallet file; half the time its header checksum is made to match again
/// (it is not keyed: anyone can), so that the mutation reaches the derivation and the
/// decryption.
fn mutate_file(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut out = mutate(rng, seed);
    if out.len() >= HEADER_LEN && below(rng, 2) == 0 {
        out[KDF_PARAMS].copy_from_slice(&seed[KDF_PARAMS]);
        let checksum = Sha256::digest(&out[..AUTHENTICATED_LEN]);
        out[AUTHENTICATED_LEN..HEADER_LEN].copy_from_slice(&checksum);
    }
    out
}

#[test]
fn wallet_files_open_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = sealed_wallet(dir.path());
    let (contents, _) = keystore::open(FileKind::Wallet, &path, &bytes, PASS).unwrap();
    // How many mutations got past the header to the derivation and the decryption.
    let decrypted = std::cell::Cell::new(0u32);
    run_with(
        "wallet file",
        std::slice::from_ref(&bytes),
        200,
        mutate_file,
        |input| {
            match keystore::open(FileKind::Wallet, &path, input, PASS) {
                // Authenticated encryption: only the file as sealed opens, to what was sealed.
                Ok((opened, _)) => assert_eq!(opened, contents, "a changed file opened"),
                Err(WalletError::Damaged { reason, .. }) if reason.contains("authenticate") => {
                    decrypted.set(decrypted.get() + 1);
                }
                Err(
                    WalletError::NotAWallet { .. }
                    | WalletError::Damaged { .. }
                    | WalletError::Unsupported { .. }
                    | WalletError::WrongPassphrase { .. }
                    | WalletError::Passphrase(_),
                ) => {}
                Err(other) => panic!("a changed wallet file gave {other:?}"),
            }
        },
    );
    assert!(
        decrypted.get() > 10,
        "{} reached the decryption",
        decrypted.get()
    );
}

#[test]
fn wallet_contents_open_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = sealed_wallet(dir.path());
    let (contents, key) = keystore::open(FileKind::Wallet, &path, &bytes, PASS).unwrap();
    // Contents changed under a valid seal: what a bug, or a tool that writes the file,
    // could leave behind.
    run_with("wallet contents", &[contents], 200, mutate, |input| {
        let sealed = keystore::seal(FileKind::Wallet, &key, input).unwrap();
        std::fs::write(&path, sealed).unwrap();
        match Wallet::open(&path, PASS) {
            Ok(wallet) => {
                for did in &wallet.contents().dids {
                    let _ = did.key.key();
                    let _ = did.recovery_key.key();
                }
            }
            Err(WalletError::Damaged { .. } | WalletError::Unsupported { .. }) => {}
            Err(other) => panic!("changed contents gave {other:?}"),
        }
    });
}
