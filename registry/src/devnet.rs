//! A local network of validators on loopback: generated keys, a genesis and one directory per
//! node, and a supervisor that runs each node as a child process.
//!
//! ```text
//! <dir>/
//!   genesis.toml             chain "realdid-devnet", the validators, governance 2 of 3
//!   governance/gov-<j>.jwk   private JWKs (Ed25519) of the 3 governance keys, mode 0600
//!   node-<i>/config.toml     relative paths: genesis = "../genesis.toml", data_dir, key_file
//!   node-<i>/key             validator i's Ed25519 seed, hex, mode 0600
//!   node-<i>/data/           the node's RocksDB and consensus storage
//!   node-<i>/node.log        the node's stdout and stderr, appended across restarts
//! ```
//!
//! `node-<i>` is validator `i` of [`Genesis::validators`] (keys are sorted before the
//! directories are named). `genesis.toml` is written last, so its presence marks a complete
//! devnet: [`DevnetLayout::load`] reopens one, keeping every node's data, and
//! [`DevnetLayout::open_or_generate`] is what `realdid devnet` calls.
//!
//! Ports: with no base port, each node gets two free loopback ports (bound on
//! `127.0.0.1:0` and released just before the nodes start: another program could take one in
//! between, which a restart of the devnet with a base port avoids). With a base port `b`,
//! node `i` listens for p2p on `b + 2i` and for gRPC on `b + 2i + 1`.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commonware_cryptography::Signer as _;
use realdid_core::keys::{Algorithm, DidKey, Jwk, SigningKey};

use crate::RegistryError;
use crate::config::{
    NodeConfig, NodeConfigFile, Tuning, TuningFile, check_private_mode, generate_key,
    write_key_file, write_private_file,
};
use crate::genesis::{
    Genesis, GenesisFile, GovernanceEntry, MAX_VALIDATORS, ValidatorEntry, read_bounded,
};

/// The chain id of every generated devnet.
pub const DEVNET_CHAIN_ID: &str = "realdid-devnet";
/// Governance keys of a generated devnet.
pub const GOVERNANCE_KEYS: usize = 3;
/// Approvals a devnet governance transaction needs.
pub const GOVERNANCE_THRESHOLD: usize = 2;
/// How long [`Supervisor`]'s `Drop` waits for nodes to stop after SIGTERM before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

const GENESIS_FILE: &str = "genesis.toml";
const GOVERNANCE_DIR: &str = "governance";
const MAX_JWK_FILE_LEN: u64 = 4096;

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

    /// Its gRPC endpoint as a URI for clients: `http://127.0.0.1:<port>`.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc)
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
        realdid_registry_client::RegistryGateway::new(
            &endpoints,
            realdid_registry_client::LightClient::for_genesis(&self.genesis),
        )
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
            .map(|path| read_jwk_file(path))
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
            });
        }
        let mut governance_key_files = Vec::new();
        for j in 0.. {
            let path = dir.join(GOVERNANCE_DIR).join(format!("gov-{j}.jwk"));
            if !path.exists() {
                break;
            }
            let key = read_jwk_file(&path)?;
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

    /// [`DevnetLayout::load`] if `dir` holds a devnet (its number of validators must then be
    /// `validators`; `base_port` is ignored), [`generate`] otherwise.
    pub fn open_or_generate(
        dir: &Path,
        validators: usize,
        base_port: Option<u16>,
    ) -> Result<Self, RegistryError> {
        if !dir.join(GENESIS_FILE).exists() {
            return generate(dir, validators, base_port);
        }
        let layout = Self::load(dir)?;
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
                "  {:<8} gRPC {:<24} p2p {:<21} log {}",
                node.name,
                node.grpc_endpoint(),
                node.p2p.to_string(),
                node.log_path.display()
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
    let ports = match base_port {
        None => free_loopback_ports(2 * validators)?,
        Some(base) => fixed_ports(base, 2 * validators).map_err(config_error)?,
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
        let key = SigningKey::generate(Algorithm::EdDsa).map_err(|e| RegistryError::Io {
            context: "generating a governance key".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let jwk = Jwk::from_signing_key(&key).map_err(|e| config_error(e.to_string()))?;
        let mut json =
            serde_json::to_string_pretty(&jwk).map_err(|e| config_error(e.to_string()))?;
        json.push('\n');
        write_private_file(
            &governance_dir.join(format!("gov-{j}.jwk")),
            json.as_bytes(),
            "governance key file",
        )?;
        governance_keys.push(toml::Value::String(
            DidKey::from_public_key(&key.public_key()).did().to_string(),
        ));
    }

    let mut entries = Vec::with_capacity(validators);
    for (i, key) in keys.iter().enumerate() {
        let name = format!("node-{i}");
        let p2p = SocketAddr::from(([127, 0, 0, 1], ports[2 * i]));
        let grpc = SocketAddr::from(([127, 0, 0, 1], ports[2 * i + 1]));
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
        };
        let text = toml::to_string(&config).map_err(|e| config_error(e.to_string()))?;
        write_file(
            &node_dir.join("config.toml"),
            &format!("# {name} of the local devnet, generated by `realdid devnet`.\n{text}"),
        )?;
        entries.push(ValidatorEntry {
            name,
            public_key: hex::encode(key.public_key().as_ref()),
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

/// Runs each node of a devnet as a child process `<exe> node --config <config.toml>`, with
/// its stdout and stderr appended to `node-<i>/node.log`; [`Supervisor::add`] adds other
/// processes of the same binary (the devnet's identity authority and issuer).
///
/// Dropping the supervisor stops every node (SIGTERM, then SIGKILL after [`STOP_GRACE`]).
#[derive(Debug)]
pub struct Supervisor {
    exe: PathBuf,
    nodes: Vec<Supervised>,
}

#[derive(Debug)]
struct Supervised {
    name: String,
    args: Vec<std::ffi::OsString>,
    log_path: PathBuf,
    child: Option<Child>,
}

impl Supervisor {
    /// A supervisor of `layout`'s nodes running `exe`; nothing is started yet.
    pub fn new(exe: impl Into<PathBuf>, layout: &DevnetLayout) -> Self {
        Self {
            exe: exe.into(),
            nodes: layout
                .nodes
                .iter()
                .map(|n| Supervised {
                    name: n.name.clone(),
                    args: vec![
                        "node".into(),
                        "--config".into(),
                        n.config_path.clone().into(),
                    ],
                    log_path: n.log_path.clone(),
                    child: None,
                })
                .collect(),
        }
    }

    /// [`Supervisor::new`], then starts every node.
    pub fn start_all(
        exe: impl Into<PathBuf>,
        layout: &DevnetLayout,
    ) -> Result<Self, RegistryError> {
        let mut supervisor = Self::new(exe, layout);
        for i in 0..supervisor.nodes.len() {
            supervisor.start(i)?;
        }
        Ok(supervisor)
    }

    /// Adds a process `<exe> <args…>` logging to `log_path`, not started yet; returns its
    /// index for [`Supervisor::start`] and the others.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        args: Vec<std::ffi::OsString>,
        log_path: impl Into<PathBuf>,
    ) -> usize {
        self.nodes.push(Supervised {
            name: name.into(),
            args,
            log_path: log_path.into(),
            child: None,
        });
        self.nodes.len() - 1
    }

    /// How many nodes it supervises.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether it supervises no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Starts node `i` unless it is running.
    pub fn start(&mut self, i: usize) -> Result<(), RegistryError> {
        if self.is_running(i)? {
            return Ok(());
        }
        let exe = self.exe.clone();
        let node = self.node(i)?;
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log_path)
            .map_err(io(format!("opening {}", node.log_path.display())))?;
        writeln!(
            log,
            "=== supervisor: starting {} {} at unix ms {}",
            exe.display(),
            node.args
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            now_unix_ms()
        )
        .map_err(io(format!("writing {}", node.log_path.display())))?;
        let stderr = log
            .try_clone()
            .map_err(io(format!("opening {}", node.log_path.display())))?;
        let child = Command::new(&exe)
            .args(&node.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(io(format!("starting {} for {}", exe.display(), node.name)))?;
        node.child = Some(child);
        Ok(())
    }

    /// Kills node `i` with SIGKILL (a crash, as `kill -9`) and reaps it.
    pub fn kill(&mut self, i: usize) -> Result<(), RegistryError> {
        let node = self.node(i)?;
        if let Some(mut child) = node.child.take() {
            let name = node.name.clone();
            // An error here means the process has already exited, which is what was wanted.
            let _ = child.kill();
            child.wait().map_err(io(format!("waiting for {name}")))?;
        }
        Ok(())
    }

    /// Stops node `i`: SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub fn stop(&mut self, i: usize, grace: Duration) -> Result<(), RegistryError> {
        let node = self.node(i)?;
        if let Some(child) = node.child.as_mut() {
            terminate(child);
        }
        self.wait_or_kill(&[i], grace)
    }

    /// Kills node `i` (SIGKILL) and starts it again on the same data directory.
    pub fn restart(&mut self, i: usize) -> Result<(), RegistryError> {
        self.kill(i)?;
        self.start(i)
    }

    /// Stops every node: SIGTERM to all, then SIGKILL to those still running after `grace`.
    pub fn stop_all(&mut self, grace: Duration) -> Result<(), RegistryError> {
        for node in &mut self.nodes {
            if let Some(child) = node.child.as_mut() {
                terminate(child);
            }
        }
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        self.wait_or_kill(&all, grace)
    }

    /// Whether node `i` is running; a node found to have exited is forgotten (see
    /// [`Supervisor::exited`] to learn how it ended).
    pub fn is_running(&mut self, i: usize) -> Result<bool, RegistryError> {
        let node = self.node(i)?;
        match node.child.as_mut() {
            None => Ok(false),
            Some(child) => match child.try_wait() {
                Ok(None) => Ok(true),
                Ok(Some(_)) | Err(_) => {
                    node.child = None;
                    Ok(false)
                }
            },
        }
    }

    /// The process id of node `i`, if it is running.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.nodes.get(i)?.child.as_ref().map(Child::id)
    }

    /// The nodes that exited on their own since the last call, with how they ended; they
    /// are no longer counted as running. `realdid devnet` polls this to report a crashed
    /// node.
    pub fn exited(&mut self) -> Vec<(usize, ExitStatus)> {
        let mut out = Vec::new();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(child) = node.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                node.child = None;
                out.push((i, status));
            }
        }
        out
    }

    fn node(&mut self, i: usize) -> Result<&mut Supervised, RegistryError> {
        let count = self.nodes.len();
        self.nodes
            .get_mut(i)
            .ok_or_else(|| RegistryError::InvalidRequest {
                reason: format!("no node {i} in a devnet of {count}"),
            })
    }

    fn wait_or_kill(&mut self, which: &[usize], grace: Duration) -> Result<(), RegistryError> {
        let deadline = Instant::now() + grace;
        loop {
            let mut running = false;
            for &i in which {
                running |= self.is_running(i)?;
            }
            if !running {
                return Ok(());
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for &i in which {
            self.kill(i)?;
        }
        Ok(())
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if self.stop_all(STOP_GRACE).is_err() {
            for node in &mut self.nodes {
                if let Some(mut child) = node.child.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}

/// Asks a child to stop (SIGTERM on Unix; elsewhere it is killed).
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        use rustix::process::{Pid, Signal, kill_process};
        // An error means the process has already exited.
        let _ = kill_process(Pid::from_child(child), Signal::TERM);
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
}

fn read_jwk_file(path: &Path) -> Result<SigningKey, RegistryError> {
    check_private_mode(path, "governance key file")?;
    let text = read_bounded(path, MAX_JWK_FILE_LEN, "governance key file")?;
    Jwk::from_json(&text)
        .and_then(|jwk| jwk.to_signing_key())
        .map_err(|e| RegistryError::Config {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}

fn free_loopback_ports(count: usize) -> Result<Vec<u16>, RegistryError> {
    // Hold every listener until all are bound, so that no port is handed out twice.
    let listeners = (0..count)
        .map(|_| TcpListener::bind(("127.0.0.1", 0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io("binding a free loopback port".into()))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io("reading a bound port".into()))
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
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
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

    #[test]
    fn free_ports_are_distinct() {
        let mut ports = free_loopback_ports(8).unwrap();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 8);
    }
}
