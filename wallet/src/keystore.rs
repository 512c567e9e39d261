//! The sealed file: how a wallet (or its backup) sits on disk.
//!
//! ```text
//! offset size
//!    0     8  magic: "RDWALLET" (a wallet) or "RDBACKUP" (a backup)
//!    8     1  format version, 1
//!    9     1  key derivation: 1 = Argon2id (version 0x13)
//!   10    12  Argon2id memory (KiB), passes, lanes: u32 little-endian each
//!   22    16  salt
//!   38    16  key check: SHA-256("realdid/wallet/key-check/v1" || key)[..16]
//!   54    12  AES-256-GCM nonce, fresh for every write
//!   66     8  length of what follows the header (ciphertext and 16-byte tag), u64 LE
//!   74    32  SHA-256 of bytes 0..74
//!  106     n  AES-256-GCM(key, nonce, contents), associated data: bytes 0..106
//! ```
//!
//! Why each part:
//! - The Argon2id parameters travel with the file, so a wallet sealed on a weak phone opens
//!   on a strong one, and a later version can seal with stronger ones (see
//!   [`KdfParams::upgrade`]) without a flag day.
//! - The header digest tells a damaged header from a wrong passphrase; the key check tells
//!   a wrong passphrase from damaged contents. Either way nothing is decrypted or returned
//!   until the whole file authenticates: a damaged wallet is never half-read.
//! - The length tells a truncated file from a tampered one, so the error says which.
//! - Writes go to a temporary file in the same directory, synced, then renamed over the old
//!   one and the directory synced: a crash at any point leaves either the old wallet or the
//!   new one, never a mix.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use sha2::{Digest as _, Sha256};

use crate::error::{WalletError, random};

const VERSION: u8 = 1;
const KDF_ARGON2ID: u8 = 1;
const HEADER_LEN: usize = 106;
const AUTHENTICATED_LEN: usize = 74;
const TAG_LEN: usize = 16;
const KEY_CHECK_LABEL: &[u8] = b"realdid/wallet/key-check/v1";

/// Which kind of sealed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A wallet, opened on every use.
    Wallet,
    /// A backup, opened to restore.
    Backup,
}

impl FileKind {
    fn magic(self) -> &'static [u8; 8] {
        match self {
            Self::Wallet => b"RDWALLET",
            Self::Backup => b"RDBACKUP",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Wallet => "wallet",
            Self::Backup => "backup",
        }
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub passes: u32,
    /// Lanes.
    pub lanes: u32,
}

impl KdfParams {
    /// What new wallets use: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommended
    /// setting with one lane, since phones seal on one core).
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        passes: 3,
        lanes: 1,
    };
    /// The least a wallet may be sealed with: OWASP's minimum for Argon2id (19 MiB, 2
    /// passes).
    pub const MINIMUM: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        passes: 2,
        lanes: 1,
    };
    /// The most a file may ask of the machine opening it, so that a crafted file cannot
    /// make the wallet allocate without bound.
    const MAXIMUM: KdfParams = KdfParams {
        memory_kib: 4 * 1024 * 1024,
        passes: 64,
        lanes: 16,
    };

    /// These parameters with `memory_mib` MiB of memory; refused below the minimum.
    pub fn with_memory_mib(memory_mib: u32) -> Result<Self, WalletError> {
        let params = Self {
            memory_kib: memory_mib.saturating_mul(1024),
            ..Self::DEFAULT
        };
        params.check_strong_enough()?;
        Ok(params)
    }

    fn check_strong_enough(&self) -> Result<(), WalletError> {
        if self.memory_kib < Self::MINIMUM.memory_kib || self.passes < Self::MINIMUM.passes {
            return Err(WalletError::Passphrase(format!(
                "key derivation weaker than the minimum (Argon2id, {} MiB, {} passes)",
                Self::MINIMUM.memory_kib / 1024,
                Self::MINIMUM.passes
            )));
        }
        Ok(())
    }

    /// The stronger of these and the current defaults, for re-sealing an old wallet.
    pub fn upgrade(self) -> Self {
        Self {
            memory_kib: self.memory_kib.max(Self::DEFAULT.memory_kib),
            passes: self.passes.max(Self::DEFAULT.passes),
            lanes: self.lanes.max(Self::DEFAULT.lanes),
        }
    }

    /// Whether these are weaker than the current defaults.
    pub fn is_outdated(&self) -> bool {
        self.upgrade() != *self
    }
}

/// A key derived from a passphrase, with what derived it. Kept while a wallet is open, so
/// that saving does not run Argon2id again.
pub struct SealingKey {
    key: [u8; 32],
    salt: [u8; 16],
    params: KdfParams,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Drop for SealingKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl SealingKey {
    /// Derives a key from `passphrase` with a fresh salt.
    pub fn new(passphrase: &str, params: KdfParams) -> Result<Self, WalletError> {
        if passphrase.chars().count() < 8 {
            return Err(WalletError::Passphrase(
                "a passphrase needs at least 8 characters".into(),
            ));
        }
        params.check_strong_enough()?;
        let mut salt = [0u8; 16];
        random(&mut salt)?;
        Self::derive(passphrase, salt, params)
    }

    fn derive(passphrase: &str, salt: [u8; 16], params: KdfParams) -> Result<Self, WalletError> {
        let argon = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(params.memory_kib, params.passes, params.lanes, Some(32))
                .map_err(|e| WalletError::Passphrase(format!("key derivation: {e}")))?,
        );
        let mut key = [0u8; 32];
        argon
            .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
            .map_err(|e| WalletError::Passphrase(format!("key derivation: {e}")))?;
        Ok(Self { key, salt, params })
    }

    /// The parameters this key was derived with.
    pub fn params(&self) -> KdfParams {
        self.params
    }

    fn check(&self) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(KEY_CHECK_LABEL)
            .chain_update(self.key)
            .finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        out
    }
}

/// Seals `contents` into the bytes of a file of `kind`.
pub fn seal(kind: FileKind, key: &SealingKey, contents: &[u8]) -> Result<Vec<u8>, WalletError> {
    let mut nonce = [0u8; 12];
    random(&mut nonce)?;
    let mut out = Vec::with_capacity(HEADER_LEN + contents.len() + TAG_LEN);
    out.extend_from_slice(kind.magic());
    out.push(VERSION);
    out.push(KDF_ARGON2ID);
    for n in [key.params.memory_kib, key.params.passes, key.params.lanes] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&key.salt);
    out.extend_from_slice(&key.check());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&((contents.len() + TAG_LEN) as u64).to_le_bytes());
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    let mut tag = [0u8; TAG_LEN];
    let ciphertext = encrypt_aead(
        Cipher::aes_256_gcm(),
        &key.key,
        Some(&nonce),
        &out,
        contents,
        &mut tag,
    )
    .map_err(|e| WalletError::Keys(format!("sealing: {e}")))?;
    out.extend_from_slice(&ciphertext);
    out.extend_from_slice(&tag);
    Ok(out)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Opens the bytes of a file of `kind` (read from `path`, named in errors) with
/// `passphrase`. Returns the contents and the key, for sealing them again.
pub fn open(
    kind: FileKind,
    path: &Path,
    bytes: &[u8],
    passphrase: &str,
) -> Result<(Vec<u8>, SealingKey), WalletError> {
    let damaged = |reason: String| WalletError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < kind.magic().len() || &bytes[..8] != kind.magic() {
        return Err(WalletError::NotAWallet {
            path: path.to_path_buf(),
            expected: kind.name(),
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(damaged(format!(
            "truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        )));
    }
    let header = &bytes[..HEADER_LEN];
    if Sha256::digest(&header[..AUTHENTICATED_LEN])[..] != header[AUTHENTICATED_LEN..] {
        return Err(damaged("the header does not match its checksum".into()));
    }
    if header[8] != VERSION || header[9] != KDF_ARGON2ID {
        return Err(WalletError::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "format {} with key derivation {}; this wallet reads format {VERSION} with Argon2id",
                header[8], header[9]
            ),
        });
    }
    let params = KdfParams {
        memory_kib: u32_at(header, 10),
        passes: u32_at(header, 14),
        lanes: u32_at(header, 18),
    };
    let max = KdfParams::MAXIMUM;
    if params.memory_kib > max.memory_kib || params.passes > max.passes || params.lanes > max.lanes
    {
        return Err(WalletError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("key derivation asks for more than this device allows: {params:?}"),
        });
    }
    let mut length = [0u8; 8];
    length.copy_from_slice(&header[66..74]);
    let expected = u64::from_le_bytes(length);
    let found = (bytes.len() - HEADER_LEN) as u64;
    if found < expected {
        return Err(damaged(format!(
            "truncated: {found} of {expected} bytes of contents"
        )));
    }
    if found > expected || expected < TAG_LEN as u64 {
        return Err(damaged(format!(
            "{found} bytes of contents where the header says {expected}"
        )));
    }
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&header[22..38]);
    let key = SealingKey::derive(passphrase, salt, params)?;
    if key.check()[..] != header[38..54] {
        return Err(WalletError::WrongPassphrase {
            path: path.to_path_buf(),
        });
    }
    let (ciphertext, tag) = bytes[HEADER_LEN..].split_at(bytes.len() - HEADER_LEN - TAG_LEN);
    let contents = decrypt_aead(
        Cipher::aes_256_gcm(),
        &key.key,
        Some(&header[54..66]),
        header,
        ciphertext,
        tag,
    )
    .map_err(|_| damaged("the contents do not authenticate (a byte was changed)".into()))?;
    Ok((contents, key))
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one: a
/// temporary file beside it (mode 0600), synced, renamed over it, the directory synced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WalletError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(WalletError::io(&dir))?;
    let mut suffix = [0u8; 6];
    random(&mut suffix)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "wallet".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(suffix)));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(WalletError::Io { path: tmp, source });
    }
    std::fs::rename(&tmp, path).map_err(WalletError::io(path))?;
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(WalletError::io(&dir))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        SealingKey::new("correct horse battery", KdfParams::MINIMUM).unwrap()
    }

    #[test]
    fn seals_and_opens() {
        let k = key();
        let sealed = seal(FileKind::Wallet, &k, b"hello").unwrap();
        let (contents, again) = open(
            FileKind::Wallet,
            Path::new("w"),
            &sealed,
            "correct horse battery",
        )
        .unwrap();
        assert_eq!(contents, b"hello");
        assert_eq!(again.params(), KdfParams::MINIMUM);
        // A fresh nonce each time: the same contents never seal to the same bytes.
        assert_ne!(seal(FileKind::Wallet, &k, b"hello").unwrap(), sealed);
    }

    #[test]
    fn every_damage_is_named_and_a_wrong_passphrase_is_told_apart() {
        let sealed = seal(FileKind::Wallet, &key(), b"some contents").unwrap();
        let p = Path::new("w");
        let pass = "correct horse battery";
        assert!(matches!(
            open(FileKind::Wallet, p, &sealed, "wrong horse battery"),
            Err(WalletError::WrongPassphrase { .. })
        ));
        assert!(matches!(
            open(FileKind::Backup, p, &sealed, pass),
            Err(WalletError::NotAWallet { .. })
        ));
        for cut in [10, HEADER_LEN, sealed.len() - 1] {
            match open(FileKind::Wallet, p, &sealed[..cut], pass) {
                Err(WalletError::Damaged { reason, .. }) => {
                    assert!(reason.contains("truncated"), "{reason}")
                }
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        // Every header byte after the magic, and the first and last bytes of the contents
        // and of the tag, flipped: each is caught, and nothing decrypts.
        let n = sealed.len();
        let positions = (8..HEADER_LEN).chain([HEADER_LEN, n - TAG_LEN - 1, n - TAG_LEN, n - 1]);
        for i in positions {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            match open(FileKind::Wallet, p, &bad, pass) {
                Err(WalletError::Damaged { .. } | WalletError::Unsupported { .. }) => {}
                other => panic!("byte {i} flipped: {other:?}"),
            }
        }
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(matches!(
            open(FileKind::Wallet, p, &longer, pass),
            Err(WalletError::Damaged { .. })
        ));
    }

    #[test]
    fn weak_settings_are_refused_and_old_ones_upgrade() {
        assert!(SealingKey::new("short", KdfParams::MINIMUM).is_err());
        assert!(KdfParams::with_memory_mib(8).is_err());
        assert!(KdfParams::MINIMUM.is_outdated());
        assert!(!KdfParams::DEFAULT.is_outdated());
        assert_eq!(KdfParams::MINIMUM.upgrade(), KdfParams::DEFAULT);
    }

    #[test]
    fn an_atomic_write_replaces_whole_files_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
