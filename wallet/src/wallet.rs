//! An open wallet: its file, the key that seals it, and its contents. Every change is
//! saved whole and atomically ([`keystore::write_atomically`]) before the call returns.
//! An open wallet holds its file's lock (`WalletLock`) until it is dropped, so that no
//! other process saves over what it saves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use realdid_core::clock::{Clock, SystemClock, UnixMs};
use realdid_core::sd_jwt::SdJwt;
use sha2::{Digest as _, Sha256};

use crate::WalletError;
use crate::contents::{Contents, CredentialEntry, Origin};
use crate::keystore::{self, FileKind, KdfParams, SealingKey};
use crate::lock::WalletLock;

/// An open wallet.
#[derive(Debug)]
pub struct Wallet {
    path: PathBuf,
    key: SealingKey,
    contents: Contents,
    /// What it dates its records, proofs and presentations by.
    clock: Arc<dyn Clock>,
    /// Held while the wallet is open: it saves its whole contents, which must be the only
    /// contents being saved to its file.
    _lock: WalletLock,
}

fn decode(path: &Path, bytes: &[u8]) -> Result<Contents, WalletError> {
    let contents: Contents = serde_json::from_slice(bytes).map_err(|e| WalletError::Damaged {
        path: path.to_path_buf(),
        reason: format!("the contents do not decode: {e}"),
    })?;
    if contents.version != crate::contents::CONTENTS_VERSION {
        return Err(WalletError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("contents version {}", contents.version),
        });
    }
    Ok(contents)
}

fn read(path: &Path) -> Result<Vec<u8>, WalletError> {
    std::fs::read(path).map_err(WalletError::io(path))
}

impl Wallet {
    /// Creates an empty wallet at `path`, sealed with `passphrase`. Refuses to overwrite, and
    /// a wallet in use ([`WalletError::InUse`]).
    pub fn create(path: &Path, passphrase: &str, params: KdfParams) -> Result<Self, WalletError> {
        let lock = WalletLock::acquire(path)?;
        if path.exists() {
            return Err(WalletError::Exists(path.to_path_buf()));
        }
        let clock = SystemClock::shared();
        let wallet = Self {
            path: path.to_path_buf(),
            key: SealingKey::new(passphrase, params)?,
            contents: Contents::new(clock.now().as_i64()),
            clock,
            _lock: lock,
        };
        wallet.save()?;
        Ok(wallet)
    }

    /// Opens the wallet at `path`, taking its lock first (so that what is read is what no
    /// one else will save over); refused with [`WalletError::InUse`] while another process
    /// has it open.
    pub fn open(path: &Path, passphrase: &str) -> Result<Self, WalletError> {
        // A missing wallet is named as missing, and gets no lock file beside it.
        std::fs::metadata(path).map_err(WalletError::io(path))?;
        let lock = WalletLock::acquire(path)?;
        let (bytes, key) = keystore::open(FileKind::Wallet, path, &read(path)?, passphrase)?;
        Ok(Self {
            path: path.to_path_buf(),
            contents: decode(path, &bytes)?,
            key,
            clock: SystemClock::shared(),
            _lock: lock,
        })
    }

    /// The same wallet, reading the time from `clock` (the machine's unless given).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Now, by the wallet's clock.
    pub fn now(&self) -> UnixMs {
        self.clock.now()
    }

    /// Where it is stored.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What it holds.
    pub fn contents(&self) -> &Contents {
        &self.contents
    }

    /// Changes its contents with `change`, then saves. On any error nothing is saved and
    /// the wallet in memory is as it was.
    pub fn update<T>(
        &mut self,
        change: impl FnOnce(&mut Contents) -> Result<T, WalletError>,
    ) -> Result<T, WalletError> {
        let mut next = self.contents.clone();
        let out = change(&mut next)?;
        let previous = std::mem::replace(&mut self.contents, next);
        if let Err(e) = self.save() {
            self.contents = previous;
            return Err(e);
        }
        Ok(out)
    }

    fn save(&self) -> Result<(), WalletError> {
        self.write(&self.path, FileKind::Wallet, &self.key)
    }

    fn write(&self, path: &Path, kind: FileKind, key: &SealingKey) -> Result<(), WalletError> {
        let bytes = serde_json::to_vec(&self.contents)
            .map_err(|e| WalletError::Keys(format!("encoding the wallet: {e}")))?;
        keystore::write_atomically(path, &keystore::seal(kind, key, &bytes)?)
    }

    /// The key-derivation settings it is sealed with.
    pub fn kdf(&self) -> KdfParams {
        self.key.params()
    }

    /// Seals it again under `passphrase` (a fresh salt) with `params`: a new passphrase,
    /// or the same one with stronger settings ([`KdfParams::upgrade`]).
    pub fn change_passphrase(
        &mut self,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<(), WalletError> {
        let key = SealingKey::new(passphrase, params)?;
        self.write(&self.path, FileKind::Wallet, &key)?;
        self.key = key;
        Ok(())
    }

    /// Writes an encrypted backup of everything (DIDs with their keys, credentials, the
    /// log) to `to`, under its own passphrase.
    pub fn backup(&self, to: &Path, passphrase: &str) -> Result<(), WalletError> {
        if to == self.path {
            return Err(WalletError::Exists(to.to_path_buf()));
        }
        let key = SealingKey::new(passphrase, self.key.params().upgrade())?;
        self.write(to, FileKind::Backup, &key)
    }

    /// Restores the backup `from` (opened with `backup_passphrase`) as a new wallet at
    /// `path`, sealed with `passphrase`. Refuses to overwrite, and a wallet in use.
    pub fn restore(
        from: &Path,
        backup_passphrase: &str,
        path: &Path,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<Self, WalletError> {
        let lock = WalletLock::acquire(path)?;
        if path.exists() {
            return Err(WalletError::Exists(path.to_path_buf()));
        }
        let (bytes, _) = keystore::open(FileKind::Backup, from, &read(from)?, backup_passphrase)?;
        let wallet = Self {
            path: path.to_path_buf(),
            key: SealingKey::new(passphrase, params)?,
            contents: decode(from, &bytes)?,
            clock: SystemClock::shared(),
            _lock: lock,
        };
        wallet.save()?;
        Ok(wallet)
    }

    /// Stores a credential in its standard form (compact SD-JWT), from an enrolment or an
    /// import. It must be bound (`sub`, and `cnf` to the key) to one of this wallet's
    /// DIDs, or the wallet could never present it. Returns its id.
    pub fn add_credential(&mut self, compact: &str, origin: Origin) -> Result<String, WalletError> {
        let entry = self.describe(compact.trim(), origin)?;
        let id = entry.id.clone();
        self.update(|c| {
            if c.credentials.iter().any(|e| e.compact == entry.compact) {
                return Ok(());
            }
            c.credentials.push(entry);
            Ok(())
        })?;
        Ok(id)
    }

    fn describe(&self, compact: &str, origin: Origin) -> Result<CredentialEntry, WalletError> {
        let bad = |e: &dyn std::fmt::Display| WalletError::Credential(e.to_string());
        let sd_jwt = SdJwt::parse(compact).map_err(|e| bad(&e))?;
        if !compact.ends_with('~') {
            return Err(WalletError::Credential(
                "this is a presentation (it has a key-binding JWT), not a credential".into(),
            ));
        }
        let payload = sd_jwt.payload().map_err(|e| bad(&e))?;
        let text = |name: &str| {
            payload
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let did = text("sub")
            .ok_or_else(|| WalletError::Credential("it names no holder DID (sub)".into()))?
            .parse()
            .map_err(|e| bad(&e))?;
        let entry = self.contents.did(&did).map_err(|_| {
            WalletError::Credential(format!(
                "it is bound to {did}, which this wallet does not hold"
            ))
        })?;
        if crate::present::holder_key(compact) != Some(entry.key.key()?.public_key()) {
            return Err(WalletError::Credential(format!(
                "it is bound to a key of {did} this wallet does not hold (issued before a key recovery?)"
            )));
        }
        let id = match &origin {
            Origin::Enrolment { credential_id, .. } => credential_id.clone(),
            Origin::Import => hex::encode(&Sha256::digest(sd_jwt.issuer_jwt().as_bytes())[..8]),
        };
        Ok(CredentialEntry {
            id,
            did,
            issuer: text("iss").unwrap_or_default(),
            vct: text("vct").unwrap_or_default(),
            compact: compact.to_owned(),
            issued_at: payload.get("iat").and_then(|v| v.as_i64()),
            expires_at: payload.get("exp").and_then(|v| v.as_i64()),
            origin,
        })
    }

    /// A credential in its standard form (compact SD-JWT, every disclosure included), for
    /// another wallet or tool.
    pub fn export_credential(&self, id: &str) -> Result<String, WalletError> {
        Ok(self.contents.credential(id)?.compact.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_change_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w");
        let mut wallet = Wallet::create(&path, "a good passphrase", KdfParams::MINIMUM).unwrap();
        let before = std::fs::read(&path).unwrap();
        let e = wallet.update(|c| {
            c.log.clear();
            c.created_ms = 1;
            Err::<(), _>(WalletError::NotFound("x".into()))
        });
        assert!(e.is_err());
        assert_ne!(wallet.contents().created_ms, 1);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        drop(wallet);
        assert!(matches!(
            Wallet::create(&path, "a good passphrase", KdfParams::MINIMUM),
            Err(WalletError::Exists(_))
        ));
    }
}
