//! One validator node's configuration, and its key file.
//!
//! ```toml
//! genesis = "../genesis.toml"      # the shared genesis file
//! data_dir = "data"                # RocksDB and consensus storage; created if missing
//! key_file = "key"                 # hex of the 32-byte Ed25519 seed, mode 0600
//! p2p_listen = "0.0.0.0:30000"     # consensus p2p listener
//! grpc_listen = "0.0.0.0:31000"    # Registry gRPC listener
//! log_level = "info"               # optional: a tracing filter such as "info,realdid_registry=debug"
//!
//! [tuning]                         # optional, every field has a default
//! max_block_txs = 10000            # transactions per block, 1..=20000
//! block_interval_ms = 100          # target time between blocks, 1..=60000
//! mempool_capacity = 100000        # pending DID creations and updates, max_block_txs..=10000000
//! reserved_capacity = 10000        # pending anchors and governance, and pending recoveries
//!                                  # and deactivations, each: 100..=1000000
//! did_ops_per_source = 1000        # DID operations one client address may submit per
//!                                  # second (bursts of as many): 1..=1000000
//! ```
//!
//! Relative paths are resolved against the directory of the config file, so a node's
//! directory can be moved as a whole. Unknown fields are refused.
//!
//! The key file holds the validator's Ed25519 seed as 64 hex characters (a trailing newline is
//! fine). It must not be readable or writable by group or others: a node refuses to start
//! with a key file of mode 0644, as ssh refuses such a private key. [`write_key_file`]
//! creates key files with mode 0600 and never overwrites one.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use commonware_codec::{DecodeFixed as _, Encode as _};
use commonware_cryptography::{Signer as _, ed25519};
use realdid_core::keys::{Algorithm, Jwk, SigningKey};
use realdid_proto::tls::ServerTls;
use serde::{Deserialize, Serialize};

use crate::RegistryError;
use crate::genesis::{Genesis, read_bounded};
use crate::node::mempool::LaneCapacities;

/// Largest config file read, in bytes.
pub const MAX_CONFIG_LEN: u64 = 64 * 1024;
/// Longest `log_level` filter.
pub const MAX_LOG_LEVEL_LEN: usize = 256;
/// Most transactions a block may be configured to hold (the block codec's own bound).
pub const MAX_BLOCK_TXS: usize = realdid_core::codec::MAX_BLOCK_TRANSACTIONS;
/// Longest block interval, in milliseconds.
pub const MAX_BLOCK_INTERVAL_MS: u64 = 60_000;
/// Largest mempool.
pub const MAX_MEMPOOL_CAPACITY: usize = 10_000_000;
/// Largest key file read, in bytes (64 hex characters and some whitespace).
const MAX_KEY_FILE_LEN: u64 = 1024;

/// Throughput and admission settings; see the module docs for meanings and bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Most transactions a proposed block holds.
    pub max_block_txs: usize,
    /// Target time between blocks, in milliseconds.
    pub block_interval_ms: u64,
    /// Most pending DID creations and updates; submissions beyond it are refused.
    pub mempool_capacity: usize,
    /// Most pending anchors and governance transactions, and most pending recoveries and
    /// deactivations (each lane its own): room a flood of DID creations cannot take.
    pub reserved_capacity: usize,
    /// DID operations one client address may submit per second, in bursts of as many.
    pub did_ops_per_source: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            max_block_txs: 10_000,
            block_interval_ms: 100,
            mempool_capacity: 100_000,
            reserved_capacity: 10_000,
            did_ops_per_source: 1_000,
        }
    }
}

impl Tuning {
    /// Checks every setting against its bounds, naming the first one out of them.
    pub fn check(&self) -> Result<(), String> {
        let Self {
            max_block_txs,
            block_interval_ms,
            mempool_capacity,
            reserved_capacity,
            did_ops_per_source,
        } = *self;
        if !(1..=MAX_BLOCK_TXS).contains(&max_block_txs) {
            return Err(format!(
                "tuning.max_block_txs: {max_block_txs} is not in 1..={MAX_BLOCK_TXS}"
            ));
        }
        if !(1..=MAX_BLOCK_INTERVAL_MS).contains(&block_interval_ms) {
            return Err(format!(
                "tuning.block_interval_ms: {block_interval_ms} is not in 1..={MAX_BLOCK_INTERVAL_MS}"
            ));
        }
        if !(max_block_txs..=MAX_MEMPOOL_CAPACITY).contains(&mempool_capacity) {
            return Err(format!(
                "tuning.mempool_capacity: {mempool_capacity} is not in \
                 max_block_txs..={MAX_MEMPOOL_CAPACITY} ({max_block_txs}..={MAX_MEMPOOL_CAPACITY})"
            ));
        }
        if !(100..=1_000_000).contains(&reserved_capacity) {
            return Err(format!(
                "tuning.reserved_capacity: {reserved_capacity} is not in 100..=1000000"
            ));
        }
        if !(1..=1_000_000).contains(&did_ops_per_source) {
            return Err(format!(
                "tuning.did_ops_per_source: {did_ops_per_source} is not in 1..=1000000"
            ));
        }
        Ok(())
    }

    /// Most transactions a proposed block holds.
    pub fn max_block_txs(&self) -> usize {
        self.max_block_txs
    }

    /// Target time between blocks, in milliseconds.
    pub fn block_interval_ms(&self) -> u64 {
        self.block_interval_ms
    }

    /// Most pending DID creations and updates; submissions beyond it are refused.
    pub fn mempool_capacity(&self) -> usize {
        self.mempool_capacity
    }

    /// What each lane of the pending pool holds.
    pub fn lane_capacities(&self) -> LaneCapacities {
        LaneCapacities {
            authority: self.reserved_capacity,
            recovery: self.reserved_capacity,
            open: self.mempool_capacity,
        }
    }

    /// The block timing these settings give.
    pub fn pacing(&self) -> Pacing {
        let interval = Duration::from_millis(self.block_interval_ms);
        let leader_timeout = (interval * 10).max(Duration::from_secs(2));
        Pacing {
            interval,
            idle_wait: leader_timeout / 2,
            leader_timeout,
        }
    }
}

/// When a leader proposes. Derived from `block_interval_ms` so that the three cannot be set
/// against each other (an idle wait at the leader timeout would skip every idle view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Least time between a block and its child.
    pub interval: Duration,
    /// Longest a leader with nothing to include waits for a transaction before it proposes
    /// an empty block: an idle chain makes about one block per `idle_wait`, not one per
    /// `interval`, and a transaction arriving meanwhile is proposed at once.
    pub idle_wait: Duration,
    /// How long validators wait for a leader's proposal before they skip its view.
    pub leader_timeout: Duration,
}

/// A node's configuration with every path resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfig {
    path: PathBuf,
    genesis: PathBuf,
    data_dir: PathBuf,
    key_file: PathBuf,
    p2p_listen: SocketAddr,
    grpc_listen: SocketAddr,
    log_level: Option<String>,
    tuning: Tuning,
    tls: Option<ServerTls>,
    metrics_listen: Option<SocketAddr>,
    resolver_listen: Option<SocketAddr>,
}

// The file as written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeConfigFile {
    pub(crate) genesis: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) key_file: PathBuf,
    pub(crate) p2p_listen: SocketAddr,
    pub(crate) grpc_listen: SocketAddr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) log_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tuning: Option<TuningFile>,
    /// The gRPC server's TLS; absent, it serves plaintext (development only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tls: Option<ServerTls>,
    /// Where to answer `GET /metrics` (Prometheus); absent, nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Where to answer `GET /1.0/identifiers/{did}` (a Universal Resolver driver's
    /// interface); absent, nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resolver_listen: Option<SocketAddr>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TuningFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_block_txs: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) block_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mempool_capacity: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reserved_capacity: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) did_ops_per_source: Option<u32>,
}

impl TuningFile {
    /// The file's settings over the defaults.
    fn resolve(self) -> Tuning {
        let d = Tuning::default();
        Tuning {
            max_block_txs: self.max_block_txs.unwrap_or(d.max_block_txs),
            block_interval_ms: self.block_interval_ms.unwrap_or(d.block_interval_ms),
            mempool_capacity: self.mempool_capacity.unwrap_or(d.mempool_capacity),
            reserved_capacity: self.reserved_capacity.unwrap_or(d.reserved_capacity),
            did_ops_per_source: self.did_ops_per_source.unwrap_or(d.did_ops_per_source),
        }
    }

    /// Every field of `tuning` (what `realdid devnet` writes when it sets them).
    pub(crate) fn from_tuning(tuning: &Tuning) -> Self {
        Self {
            max_block_txs: Some(tuning.max_block_txs),
            block_interval_ms: Some(tuning.block_interval_ms),
            mempool_capacity: Some(tuning.mempool_capacity),
            reserved_capacity: Some(tuning.reserved_capacity),
            did_ops_per_source: Some(tuning.did_ops_per_source),
        }
    }
}

impl NodeConfig {
    /// Reads a config file; relative paths in it are taken from the file's directory.
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let text = read_bounded(path, MAX_CONFIG_LEN, "config file")?;
        Self::parse(&text, path)
    }

    /// Parses config TOML as if read from `path` (used for errors and relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, RegistryError> {
        let config_error = |reason: String| RegistryError::Config {
            path: path.display().to_string(),
            reason,
        };
        let file: NodeConfigFile = toml::from_str(text).map_err(|e| config_error(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        let resolve = |p: &Path| -> Result<PathBuf, String> {
            if p.as_os_str().is_empty() {
                return Err("is empty".into());
            }
            Ok(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            })
        };
        let genesis = resolve(&file.genesis).map_err(|e| config_error(format!("genesis: {e}")))?;
        let data_dir =
            resolve(&file.data_dir).map_err(|e| config_error(format!("data_dir: {e}")))?;
        let key_file =
            resolve(&file.key_file).map_err(|e| config_error(format!("key_file: {e}")))?;
        if file.p2p_listen == file.grpc_listen {
            return Err(config_error(format!(
                "grpc_listen: {} is also p2p_listen",
                file.grpc_listen
            )));
        }
        if let Some(level) = &file.log_level {
            check_log_level(level).map_err(|e| config_error(format!("log_level: {e}")))?;
        }
        let tuning = file.tuning.unwrap_or_default().resolve();
        tuning.check().map_err(config_error)?;
        Ok(Self {
            path: path.to_path_buf(),
            genesis,
            data_dir,
            key_file,
            p2p_listen: file.p2p_listen,
            grpc_listen: file.grpc_listen,
            log_level: file.log_level,
            tuning,
            tls: file.tls.map(|tls| tls.resolved(base)),
            metrics_listen: file.metrics_listen,
            resolver_listen: file.resolver_listen,
        })
    }

    /// Where to answer DID resolution over HTTP, if anywhere.
    pub fn resolver_listen(&self) -> Option<SocketAddr> {
        self.resolver_listen
    }

    /// Where to serve metrics, if anywhere.
    pub fn metrics_listen(&self) -> Option<SocketAddr> {
        self.metrics_listen
    }

    /// The gRPC server's TLS, if configured (paths resolved).
    pub fn tls(&self) -> Option<&ServerTls> {
        self.tls.as_ref()
    }

    /// The file this configuration was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The genesis file.
    pub fn genesis_path(&self) -> &Path {
        &self.genesis
    }

    /// Loads the genesis file this configuration names.
    pub fn load_genesis(&self) -> Result<Genesis, RegistryError> {
        Ok(Genesis::load(&self.genesis)?)
    }

    /// The node's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The validator key file.
    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// Where to listen for consensus p2p.
    pub fn p2p_listen(&self) -> SocketAddr {
        self.p2p_listen
    }

    /// Where to serve gRPC.
    pub fn grpc_listen(&self) -> SocketAddr {
        self.grpc_listen
    }

    /// The tracing filter, if set.
    pub fn log_level(&self) -> Option<&str> {
        self.log_level.as_deref()
    }

    /// Throughput settings.
    pub fn tuning(&self) -> Tuning {
        self.tuning
    }

    /// Reads the key file and finds its validator in `genesis`: the private key and the
    /// validator's index in [`Genesis::validators`].
    pub fn identity(
        &self,
        genesis: &Genesis,
    ) -> Result<(ed25519::PrivateKey, usize), RegistryError> {
        let key = read_key_file(&self.key_file)?;
        let public = key.public_key();
        let index = genesis
            .validator_index(&public)
            .ok_or_else(|| RegistryError::Config {
                path: self.key_file.display().to_string(),
                reason: format!(
                    "public key {public} is not a validator of chain {} (genesis {})",
                    genesis.chain_id(),
                    self.genesis.display()
                ),
            })?;
        Ok((key, index))
    }
}

fn check_log_level(level: &str) -> Result<(), String> {
    if level.is_empty() || level.len() > MAX_LOG_LEVEL_LEN {
        return Err(format!("must be 1 to {MAX_LOG_LEVEL_LEN} characters"));
    }
    if let Some(c) = level
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | ',' | '=' | '.')))
    {
        return Err(format!(
            "{c:?} is not allowed in a filter such as \"info,realdid_registry=debug\""
        ));
    }
    Ok(())
}

/// A fresh validator key from the operating system's random source.
pub fn generate_key() -> Result<ed25519::PrivateKey, RegistryError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| RegistryError::Io {
        context: "reading the operating system's random source".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    key_from_seed(seed).map_err(|reason| RegistryError::Config {
        path: "(generated key)".into(),
        reason,
    })
}

fn key_from_seed(seed: [u8; 32]) -> Result<ed25519::PrivateKey, String> {
    ed25519::PrivateKey::decode_fixed(seed).map_err(|e| format!("not an Ed25519 seed: {e}"))
}

/// Writes a key file: hex of the seed, mode 0600, created anew (an existing file is an
/// error, so that a key is never overwritten).
pub fn write_key_file(path: &Path, key: &ed25519::PrivateKey) -> Result<(), RegistryError> {
    let mut text = hex::encode(key.encode());
    text.push('\n');
    write_private_file(path, text.as_bytes(), "key file")
}

/// Reads a key file, refusing one that group or others may read or write.
pub fn read_key_file(path: &Path) -> Result<ed25519::PrivateKey, RegistryError> {
    check_private_mode(path, "key file")?;
    let text = read_bounded(path, MAX_KEY_FILE_LEN, "key file")?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| RegistryError::Config {
            path: path.display().to_string(),
            reason: "key file must hold 64 hex characters (a 32-byte Ed25519 seed)".into(),
        })?;
    key_from_seed(seed).map_err(|reason| RegistryError::Config {
        path: path.display().to_string(),
        reason,
    })
}

/// A validator key's public half, hex, as the genesis lists it.
pub fn validator_public_key_hex(key: &ed25519::PrivateKey) -> String {
    hex::encode(key.public_key().as_ref())
}

/// Makes a governance key (Ed25519) and writes it as a private JWK to `path` (mode 0600,
/// refusing an existing file). Its `did:key` is what the genesis lists.
pub fn create_governance_key_file(path: &Path) -> Result<SigningKey, RegistryError> {
    let config_error = |reason: String| RegistryError::Config {
        path: path.display().to_string(),
        reason,
    };
    let key = SigningKey::generate(Algorithm::EdDsa).map_err(|e| RegistryError::Io {
        context: "generating a governance key".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let jwk = Jwk::from_signing_key(&key).map_err(|e| config_error(e.to_string()))?;
    let mut json = serde_json::to_string_pretty(&jwk).map_err(|e| config_error(e.to_string()))?;
    json.push('\n');
    write_private_file(path, json.as_bytes(), "governance key file")?;
    Ok(key)
}

/// Reads a governance key file, refusing one that group or others may read or write.
pub fn read_governance_key_file(path: &Path) -> Result<SigningKey, RegistryError> {
    Ok(realdid_registry_client::proposal::read_governance_key_file(
        path,
    )?)
}

/// Creates a file only its owner may read and write (mode 0600), failing if it exists, and
/// syncs it to disk.
pub(crate) fn write_private_file(
    path: &Path,
    contents: &[u8],
    what: &str,
) -> Result<(), RegistryError> {
    let io = |source| RegistryError::Io {
        context: format!("writing {what} {}", path.display()),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Refuses a secret file that group or others may read or write (Unix only).
pub(crate) fn check_private_mode(path: &Path, what: &str) -> Result<(), RegistryError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let metadata = std::fs::metadata(path).map_err(|source| RegistryError::Io {
            context: format!("reading {what} {}", path.display()),
            source,
        })?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(RegistryError::Config {
                path: path.display().to_string(),
                reason: format!(
                    "{what} is accessible by group or others (mode {mode:04o}); \
                     run `chmod 600 {}`",
                    path.display()
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn tuning_bounds() {
        let d = Tuning::default();
        assert!(d.check().is_ok());
        let with = |edit: fn(&mut Tuning)| {
            let mut t = d;
            edit(&mut t);
            t.check()
        };
        assert!(
            with(|t| {
                t.max_block_txs = 1;
                t.block_interval_ms = 1;
                t.mempool_capacity = 1;
                t.reserved_capacity = 100;
                t.did_ops_per_source = 1;
            })
            .is_ok()
        );
        assert!(with(|t| t.max_block_txs = 0).is_err());
        assert!(with(|t| t.max_block_txs = MAX_BLOCK_TXS + 1).is_err());
        assert!(with(|t| t.block_interval_ms = 0).is_err());
        assert!(with(|t| t.mempool_capacity = t.max_block_txs - 1).is_err());
        assert!(with(|t| t.reserved_capacity = 99).is_err());
        assert!(with(|t| t.did_ops_per_source = 0).is_err());
        assert_eq!(d.lane_capacities().open, d.mempool_capacity);
        assert_eq!(d.lane_capacities().authority, d.reserved_capacity);
    }

    #[test]
    fn log_levels() {
        assert!(check_log_level("info").is_ok());
        assert!(check_log_level("info,realdid_registry=debug,commonware_p2p=warn").is_ok());
        assert!(check_log_level("").is_err());
        assert!(check_log_level("info; rm").is_err());
    }

    #[test]
    fn seed_round_trip() {
        let key = generate_key().unwrap();
        let again = key_from_seed(key.encode().as_ref().try_into().unwrap()).unwrap();
        assert_eq!(key.public_key(), again.public_key());
    }
}
