//! The lock that keeps a wallet file to one opener at a time.
//!
//! An open wallet holds all its contents in memory and saves them whole, so two openers at
//! once (two `realdid wallet …` runs) would each save over the other, and the later save
//! would drop what the earlier one added: a DID just created on chain, with its only keys.
//! A [`WalletLock`] is taken before the wallet file is read and held until the wallet is
//! dropped; a second opener is refused at once with [`WalletError::InUse`] rather than made
//! to wait for a run that may be waiting on a person.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

use crate::WalletError;

/// An exclusive advisory lock (`flock`) on `<wallet file>.lock`, beside the wallet.
///
/// The kernel releases it when its file is closed, so a process that dies leaves no stale
/// lock behind. The lock file is never removed: were it removed on release, a third opener
/// could create and lock a new file of that name while a second still held the old one,
/// and both would believe they were alone.
#[derive(Debug)]
pub(crate) struct WalletLock {
    /// Held open for as long as the lock is held.
    _file: File,
}

impl WalletLock {
    /// The lock file of the wallet at `wallet`.
    pub(crate) fn path_for(wallet: &Path) -> PathBuf {
        let mut name = wallet
            .file_name()
            .map_or_else(|| "wallet".into(), ToOwned::to_owned);
        name.push(".lock");
        wallet.with_file_name(name)
    }

    /// Takes the lock of the wallet at `wallet` (creating its directory and lock file when
    /// missing), or fails at once with [`WalletError::InUse`] when another opener holds it.
    pub(crate) fn acquire(wallet: &Path) -> Result<Self, WalletError> {
        let path = Self::path_for(wallet);
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(WalletError::io(dir))?;
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(WalletError::io(&path))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Self { _file: file }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(WalletError::InUse {
                path: wallet.to_path_buf(),
                lock: path,
            }),
            Err(e) => Err(WalletError::Io {
                path,
                source: e.into(),
            }),
        }
    }
}
