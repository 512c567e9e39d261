//! A local network of validators on loopback: generated keys, a genesis and one directory per
//! node. Running them is left to the binary, which owns processes and signals: the `realdid`
//! crate's supervisor runs `realdid node --config node-<i>/config.toml`, one process per
//! validator, so that one crashing or being killed is a validator's failure, not the network's.
//!
//! ```text
//! <dir>/
//!   genesis.toml             chain "realdid-devnet", the validators, governance 2 of 3
//!   governance/gov-<j>.jwk   private JWKs (Ed25519) of the 3 governance keys, mode 0600
//!   node-<i>/config.toml     relative paths: genesis = "../genesis.toml", data_dir, key_file
//!   node-<i>/key             validator i's Ed25519 seed, hex, mode 0600
//!   node-<i>/data/           the node's RocksDB and consensus storage
//!   node-<i>/node.log        the node's stdout and stderr, appended across restarts
//!   tls/ca.pem               the devnet's own CA (its key is never written)
//!   tls/<name>.pem, .key     certificates for 127.0.0.1 and localhost, for node-<i> and for
//!                            the devnet's authority, issuer and verifier (keys mode 0600)
//! ```
//!
//! A devnet runs TLS unless generated with [`Transport::Plaintext`]: every node serves gRPC
//! over TLS with its certificate, clients trust `tls/ca.pem` ([`DevnetLayout::client_tls`]),
//! and the same CA issues the certificates of the services the `realdid devnet` command
//! starts beside the nodes, so that the demo travels the path a real network does.
//!
//! `node-<i>` is validator `i` of [`Genesis::validators`] (keys are sorted before the
//! directories are named). `genesis.toml` is written last, so its presence marks a complete
//! devnet: [`DevnetLayout::load`] reopens one, keeping every node's data, and
//! [`DevnetLayout::open_or_generate`] is what `realdid devnet` calls.
//!
//! Ports: with no base port, each node gets two free loopback ports (bound on
//! `127.0.0.1:0` and released just before the nodes start: another program could take one in
//! between, which a restart of the devnet with a base port avoids). With a base port `b`,
//! node `i` listens for p2p on `b + 2i` and for gRPC on `b + 2i + 1`, and serves its metrics
//! on `b + 2n + i` and resolves DIDs over HTTP on `b + 3n + i` (n validators).

use std::fs::File;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use commonware_cryptography::Signer as _;
use realdid_core::clock::{Clock as _, SystemClock};
use realdid_core::keys::{DidKey, SigningKey};

use realdid_proto::dev_ca::DevCa;
use realdid_proto::tls::{ClientTls, ServerTls, ServiceTls};

use crate::RegistryError;
use crate::config::{
    NodeConfig, NodeConfigFile, Tuning, TuningFile, create_governance_key_file, generate_key,
    read_governance_key_file, validator_public_key_hex, write_key_file,
};
use crate::genesis::{Genesis, GenesisFile, GovernanceEntry, MAX_VALIDATORS, ValidatorEntry};

mod ports;
pub use ports::{free_loopback_addresses, free_loopback_ports};

/// The chain id of every generated devnet.
pub const DEVNET_CHAIN_ID: &str = "realdid-devnet";
/// The directory of a devnet's CA and certificates.
const TLS_DIR: &str = "tls";
/// The services beside the nodes that get a certificate of the devnet's CA.
pub const TLS_SERVICES: [&str; 3] = ["authority", "issuer", "verifier"];
/// The names a devnet certificate is good for.
const LOOPBACK_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// How a devnet's services speak to their clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TLS, with certificates of the devnet's own CA.
    Tls,
    /// Plaintext (`http://`): what a developer may ask for, never the default.
    Plaintext,
}

/// Governance keys of a generated devnet.
pub const GOVERNANCE_KEYS: usize = 3;
/// Approvals a devnet governance transaction needs.
pub const GOVERNANCE_THRESHOLD: usize = 2;

const GENESIS_FILE: &str = "genesis.toml";
const GOVERNANCE_DIR: &str = "governance";

/// One node of a devnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevnetNode {
    index: usize,
    name: String,
    dir: PathBuf,
    config_path: PathBuf,
    log_path: PathBuf,
    p2p: SocketAddr,
    grpc: SocketAddr,
    metrics: Option<SocketAddr>,
    resolver: Option<SocketAddr>,
    tls: bool,
}

impl DevnetNode {
    /// Its validator index in the genesis (and the `i` of `node-<i>`).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its validator name in the genesis.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<dir>/node-<i>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/node-<i>/config.toml`, the argument of `realdid node --config`.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// `<dir>/node-<i>/node.log`.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Its p2p listen address.
    pub fn p2p(&self) -> SocketAddr {
        self.p2p
    }

    /// Its gRPC listen address.
    pub fn grpc(&self) -> SocketAddr {
        self.grpc
    }

    /// Where it resolves DIDs over HTTP, the URL prefix to append a DID to (none for a
    /// devnet generated before nodes resolved over HTTP).
    pub fn resolver_url(&self) -> Option<String> {
        self.resolver
            .map(|addr| format!("http://{addr}/1.0/identifiers/"))
    }

    /// Where it answers `GET /metrics`, as a URL (none for a devnet generated before
    /// nodes had metrics).
    pub fn metrics_url(&self) -> Option<String> {
        self.metrics.map(|addr| format!("http://{addr}/metrics"))
    }

    /// Its gRPC endpoint as a URI for clients: `https://127.0.0.1:<port>` (`http://` on a
    /// plaintext devnet).
    pub fn grpc_endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.grpc)
    }
}

/// The files of a devnet; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevnetLayout {
    dir: PathBuf,
    genesis_path: PathBuf,
    genesis: Genesis,
    nodes: Vec<DevnetNode>,
    governance_key_files: Vec<PathBuf>,
}

impl DevnetLayout {
    /// The devnet's directory (absolute).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/genesis.toml`.
    pub fn genesis_path(&self) -> &Path {
        &self.genesis_path
    }

    /// The parsed genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The nodes, `node-0` first.
    pub fn nodes(&self) -> &[DevnetNode] {
        &self.nodes
    }

    /// A client's proven view of this devnet: every node, checked against its genesis.
    pub fn gateway(
        &self,
    ) -> Result<realdid_registry_client::RegistryGateway, realdid_registry_client::ClientError>
    {
        let endpoints: Vec<String> = self.nodes.iter().map(|n| n.grpc_endpoint()).collect();
        realdid_registry_client::RegistryGateway::with_tls(
            &endpoints,
            realdid_registry_client::LightClient::for_genesis(&self.genesis),
            &self.client_tls(),
        )
    }

    /// How this devnet's services speak: TLS when it has its CA.
    pub fn transport(&self) -> Transport {
        if self.ca_path().exists() {
            Transport::Tls
        } else {
            Transport::Plaintext
        }
    }

    /// `<dir>/tls/ca.pem`, the devnet's CA certificate (absent on a plaintext devnet).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join(TLS_DIR).join("ca.pem")
    }

    /// What a client of this devnet trusts: its CA (the system's roots on a plaintext
    /// devnet, which then has no `https://` endpoint anyway).
    pub fn client_tls(&self) -> ClientTls {
        match self.transport() {
            Transport::Tls => ClientTls::with_ca(self.ca_path()),
            Transport::Plaintext => ClientTls::default(),
        }
    }

    /// The TLS settings of `service` (one of [`TLS_SERVICES`]): its certificate, served and
    /// shown to peers that require one, and the devnet's CA, trusted for its connections and
    /// required of its clients when `mutual`. Default (plaintext) on a plaintext devnet.
    pub fn service_tls(&self, service: &str, mutual: bool) -> ServiceTls {
        if self.transport() == Transport::Plaintext {
            return ServiceTls::default();
        }
        let dir = self.dir.join(TLS_DIR);
        ServiceTls {
            cert: Some(dir.join(format!("{service}.pem"))),
            key: Some(dir.join(format!("{service}.key"))),
            client_ca: mutual.then(|| self.ca_path()),
            ca: Some(self.ca_path()),
        }
    }

    /// `https` on a TLS devnet, `http` on a plaintext one: the scheme of its services'
    /// endpoints.
    pub fn scheme(&self) -> &'static str {
        match self.transport() {
            Transport::Tls => "https",
            Transport::Plaintext => "http",
        }
    }

    /// The private JWK files of the governance keys, `gov-0.jwk` first.
    pub fn governance_key_files(&self) -> &[PathBuf] {
        &self.governance_key_files
    }

    /// Approvals a governance transaction needs.
    pub fn governance_threshold(&self) -> usize {
        self.genesis.governance_config().threshold()
    }

    /// Reads the governance signing keys (for the demo and tests that accredit issuers).
    pub fn governance_signing_keys(&self) -> Result<Vec<SigningKey>, RegistryError> {
        self.governance_key_files
            .iter()
            .map(|path| read_governance_key_file(path))
            .collect()
    }

    /// Reopens the devnet in `dir`, checking that its files agree: every node's key is the
    /// validator its directory is named after, and every governance key file holds a key of
    /// the genesis.
    pub fn load(dir: &Path) -> Result<Self, RegistryError> {
        let dir = absolute(dir)?;
        let genesis_path = dir.join(GENESIS_FILE);
        let genesis = Genesis::load(&genesis_path)?;
        let mut nodes = Vec::with_capacity(genesis.validators().len());
        for (i, validator) in genesis.validators().iter().enumerate() {
            let node_dir = dir.join(format!("node-{i}"));
            let config_path = node_dir.join("config.toml");
            let config = NodeConfig::load(&config_path)?;
            let (_, index) = config.identity(&genesis)?;
            if index != i {
                return Err(RegistryError::Config {
                    path: config.key_file().display().to_string(),
                    reason: format!("node-{i}'s key is validator {index} of the genesis"),
                });
            }
            nodes.push(DevnetNode {
                index: i,
                name: validator.name().to_owned(),
                log_path: node_dir.join("node.log"),
                dir: node_dir,
                config_path,
                p2p: config.p2p_listen(),
                grpc: config.grpc_listen(),
                metrics: config.metrics_listen(),
                resolver: config.resolver_listen(),
                tls: config.tls().is_some(),
            });
        }
        let mut governance_key_files = Vec::new();
        for j in 0.. {
            let path = dir.join(GOVERNANCE_DIR).join(format!("gov-{j}.jwk"));
            if !path.exists() {
                break;
            }
            let key = read_governance_key_file(&path)?;
            if !genesis
                .governance_config()
                .keys()
                .contains(&key.public_key())
            {
                return Err(RegistryError::Config {
                    path: path.display().to_string(),
                    reason: "not one of the genesis governance keys".into(),
                });
            }
            governance_key_files.push(path);
        }
        Ok(Self {
            dir,
            genesis_path,
            genesis,
            nodes,
            governance_key_files,
        })
    }

    /// [`DevnetLayout::load`] if `dir` holds a devnet (its number of validators and its
    /// transport must then be `validators` and `transport`; `base_port` is ignored),
    /// [`generate_with`] otherwise.
    pub fn open_or_generate(
        dir: &Path,
        validators: usize,
        base_port: Option<u16>,
        transport: Transport,
    ) -> Result<Self, RegistryError> {
        if !dir.join(GENESIS_FILE).exists() {
            return generate_with(dir, validators, base_port, &devnet_tuning(), transport);
        }
        let layout = Self::load(dir)?;
        if layout.transport() != transport {
            return Err(RegistryError::Config {
                path: layout.genesis_path.display().to_string(),
                reason: format!(
                    "this devnet was generated {}; use another directory for a devnet {}",
                    describe(layout.transport()),
                    describe(transport)
                ),
            });
        }
        if layout.nodes.len() != validators {
            return Err(RegistryError::Config {
                path: layout.genesis_path.display().to_string(),
                reason: format!(
                    "this devnet has {} validators, not {validators}: ask for {} or use \
                     another directory",
                    layout.nodes.len(),
                    layout.nodes.len()
                ),
            });
        }
        Ok(layout)
    }
}

impl std::fmt::Display for DevnetLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "devnet {} in {} ({} validators, tolerates {} faulty; genesis {})",
            self.genesis.chain_id(),
            self.dir.display(),
            self.nodes.len(),
            self.genesis.fault_tolerance(),
            self.genesis.genesis_hash()
        )?;
        for node in &self.nodes {
            writeln!(
                f,
                "  {:<8} gRPC {:<24} p2p {:<21} log {}{}",
                node.name,
                node.grpc_endpoint(),
                node.p2p.to_string(),
                node.log_path.display(),
                node.metrics_url()
                    .map(|url| format!("  metrics {url}"))
                    .unwrap_or_default()
            )?;
        }
        write!(
            f,
            "  governance: {} of {} keys in {}",
            self.governance_threshold(),
            self.governance_key_files.len(),
            self.dir.join(GOVERNANCE_DIR).display()
        )
    }
}

/// The settings a devnet's nodes run with: the defaults, but for the rate of DID operations
/// one client address may send, since every client of a devnet (the benchmark's load
/// included) is on the same machine.
pub fn devnet_tuning() -> Tuning {
    Tuning {
        did_ops_per_source: 100_000,
        ..Tuning::default()
    }
}

/// Generates a devnet of `validators` nodes in `dir` (created if missing; it must hold
/// nothing yet), its nodes tuned by [`devnet_tuning`]. See the module docs for the files and
/// ports.
pub fn generate(
    dir: &Path,
    validators: usize,
    base_port: Option<u16>,
) -> Result<DevnetLayout, RegistryError> {
    generate_tuned(dir, validators, base_port, &devnet_tuning())
}

/// [`generate`], its nodes tuned by `tuning` (written into each node's config).
pub fn generate_tuned(
    dir: &Path,
    validators: usize,
    base_port: Option<u16>,
    tuning: &Tuning,
) -> Result<DevnetLayout, RegistryError> {
    generate_with(dir, validators, base_port, tuning, Transport::Plaintext)
}

fn describe(transport: Transport) -> &'static str {
    match transport {
        Transport::Tls => "with TLS",
        Transport::Plaintext => "in plaintext (--plaintext)",
    }
}

/// [`generate_tuned`], its services speaking by `transport`: with [`Transport::Tls`] a CA
/// is made in `<dir>/tls`, with certificates for every node and for [`TLS_SERVICES`].
pub fn generate_with(
    dir: &Path,
    validators: usize,
    base_port: Option<u16>,
    tuning: &Tuning,
    transport: Transport,
) -> Result<DevnetLayout, RegistryError> {
    let config_error = |reason: String| RegistryError::Config {
        path: dir.display().to_string(),
        reason,
    };
    if !(1..=MAX_VALIDATORS).contains(&validators) {
        return Err(config_error(format!(
            "a devnet has 1 to {MAX_VALIDATORS} validators, not {validators}"
        )));
    }
    if dir.join(GENESIS_FILE).exists() {
        return Err(config_error(
            "already holds a devnet (genesis.toml): reopen it with DevnetLayout::load".into(),
        ));
    }
    // p2p and gRPC of each node, then each node's metrics port, then its resolver's.
    let ports = match base_port {
        None => free_loopback_ports(4 * validators).map_err(io(
            "choosing free loopback ports (--base-port fixes them instead)".into(),
        ))?,
        Some(base) => fixed_ports(base, 4 * validators).map_err(config_error)?,
    };
    create_dir(dir)?;
    let dir = absolute(dir)?;
    let not_empty = std::fs::read_dir(&dir)
        .map_err(io(format!("listing {}", dir.display())))?
        .next()
        .is_some();
    if not_empty {
        return Err(config_error(
            "is not empty and holds no devnet (no genesis.toml): choose another directory or \
             empty it"
                .into(),
        ));
    }

    // Sorted keys, so that node-<i> is validator i of the genesis.
    let mut keys = (0..validators)
        .map(|_| generate_key())
        .collect::<Result<Vec<_>, _>>()?;
    keys.sort_by_key(|k| k.public_key());

    let governance_dir = dir.join(GOVERNANCE_DIR);
    create_dir(&governance_dir)?;
    let mut governance_keys = Vec::with_capacity(GOVERNANCE_KEYS);
    for j in 0..GOVERNANCE_KEYS {
        let key = create_governance_key_file(&governance_dir.join(format!("gov-{j}.jwk")))?;
        governance_keys.push(toml::Value::String(
            DidKey::from_public_key(&key.public_key()).did().to_string(),
        ));
    }

    let ca = match transport {
        Transport::Tls => Some(make_ca(&dir)?),
        Transport::Plaintext => None,
    };
    let mut entries = Vec::with_capacity(validators);
    for (i, key) in keys.iter().enumerate() {
        let name = format!("node-{i}");
        let p2p = SocketAddr::from(([127, 0, 0, 1], ports[2 * i]));
        let grpc = SocketAddr::from(([127, 0, 0, 1], ports[2 * i + 1]));
        let metrics = SocketAddr::from(([127, 0, 0, 1], ports[2 * validators + i]));
        let resolver = SocketAddr::from(([127, 0, 0, 1], ports[3 * validators + i]));
        let node_dir = dir.join(&name);
        create_dir(&node_dir)?;
        create_dir(&node_dir.join("data"))?;
        write_key_file(&node_dir.join("key"), key)?;
        let config = NodeConfigFile {
            genesis: PathBuf::from("..").join(GENESIS_FILE),
            data_dir: PathBuf::from("data"),
            key_file: PathBuf::from("key"),
            p2p_listen: p2p,
            grpc_listen: grpc,
            log_level: Some("info".into()),
            tuning: Some(TuningFile::from_tuning(tuning)),
            metrics_listen: Some(metrics),
            resolver_listen: Some(resolver),
            tls: match &ca {
                Some(ca) => {
                    let written = issue(ca, &dir, &name)?;
                    // Relative to the node's directory, so that the devnet can be moved.
                    Some(ServerTls {
                        cert: relative_to_node(&dir, &written.cert),
                        key: relative_to_node(&dir, &written.key),
                        client_ca: None,
                    })
                }
                None => None,
            },
        };
        let text = toml::to_string(&config).map_err(|e| config_error(e.to_string()))?;
        write_file(
            &node_dir.join("config.toml"),
            &format!("# {name} of the local devnet, generated by `realdid devnet`.\n{text}"),
        )?;
        entries.push(ValidatorEntry {
            name,
            public_key: validator_public_key_hex(key),
            p2p_address: p2p,
            grpc_address: grpc,
        });
    }

    let file = GenesisFile {
        chain_id: DEVNET_CHAIN_ID.into(),
        genesis_time_unix_ms: now_unix_ms(),
        validators: entries,
        governance: GovernanceEntry {
            threshold: GOVERNANCE_THRESHOLD,
            keys: governance_keys,
        },
    };
    let genesis = Genesis::from_file(file).map_err(config_error)?;
    write_file(
        &dir.join(GENESIS_FILE),
        &format!(
            "# Genesis of a local devnet, generated by `realdid devnet`; every node reads it.\n{}",
            genesis.to_toml()
        ),
    )?;
    DevnetLayout::load(&dir)
}

/// Makes the devnet's CA in `<dir>/tls`, writes its certificate, and issues the
/// certificates of the services beside the nodes. The CA's key stays in memory only.
fn make_ca(dir: &Path) -> Result<DevCa, RegistryError> {
    let tls_dir = dir.join(TLS_DIR);
    create_dir(&tls_dir)?;
    let ca = DevCa::new("realdid devnet CA").map_err(tls_error)?;
    ca.write_cert(&tls_dir).map_err(tls_error)?;
    for service in TLS_SERVICES {
        issue(&ca, dir, service)?;
    }
    Ok(ca)
}

fn issue(ca: &DevCa, dir: &Path, name: &str) -> Result<ServerTls, RegistryError> {
    ca.write_server(&dir.join(TLS_DIR), name, &LOOPBACK_NAMES, false)
        .map_err(tls_error)
}

fn relative_to_node(dir: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(dir) {
        Ok(inside) => PathBuf::from("..").join(inside),
        Err(_) => path.to_path_buf(),
    }
}

fn tls_error(e: realdid_proto::tls::TlsError) -> RegistryError {
    RegistryError::Config {
        path: TLS_DIR.into(),
        reason: e.to_string(),
    }
}

fn fixed_ports(base: u16, count: usize) -> Result<Vec<u16>, String> {
    if base == 0 {
        return Err("base port must be at least 1".into());
    }
    (0..count)
        .map(|k| {
            u16::try_from(k)
                .ok()
                .and_then(|k| base.checked_add(k))
                .ok_or_else(|| format!("base port {base} leaves no room for {count} ports"))
        })
        .collect()
}

fn absolute(dir: &Path) -> Result<PathBuf, RegistryError> {
    std::fs::canonicalize(dir).map_err(io(format!("opening {}", dir.display())))
}

fn create_dir(dir: &Path) -> Result<(), RegistryError> {
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))
}

fn write_file(path: &Path, text: &str) -> Result<(), RegistryError> {
    let mut file = File::create_new(path).map_err(io(format!("creating {}", path.display())))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io(format!("writing {}", path.display())))
}

fn now_unix_ms() -> u64 {
    SystemClock.now().as_millis()
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> RegistryError {
    move |source| RegistryError::Io { context, source }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn fixed_port_offsets() {
        assert_eq!(
            fixed_ports(30000, 4).unwrap(),
            vec![30000, 30001, 30002, 30003]
        );
        assert!(fixed_ports(0, 2).is_err());
        assert!(fixed_ports(65535, 2).is_err());
        assert_eq!(fixed_ports(65534, 2).unwrap(), vec![65534, 65535]);
    }
}
