//! `realdid tui`: the operator console. It finds what to watch in a devnet's directory, a
//! console file naming a real network, or flags, and runs `realdid_tui` on this terminal.

use std::path::{Path, PathBuf};

use clap::Args;
use commonware_codec::Encode as _;
use realdid_proto::tls::ClientTls;
use realdid_registry::devnet::DevnetLayout;
use realdid_registry_client::genesis::Genesis;
use realdid_registry_client::{LightClient, RegistryGateway};
use realdid_tui::source::proposals::Proposals;
use realdid_tui::source::verifiers::WatchedVerifier;
use serde::Deserialize;

use crate::error::CliError;

/// `realdid tui`.
#[derive(Debug, Args)]
pub struct TuiArgs {
    /// A devnet's directory: its genesis, nodes, CA and issuer.
    #[arg(long, default_value = ".realdid/devnet")]
    devnet: PathBuf,
    /// A console file (TOML) naming a real network: `genesis`, `registry` (node endpoints),
    /// `tls_ca`, `issuers` (DIDs), `issuer_endpoints`, `proposals` (a directory),
    /// `[[verifiers]]` (`endpoint`, `token_file`); paths relative to the file. Used instead
    /// of --devnet.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The genesis file, with --registry (instead of --config or --devnet).
    #[arg(long, requires = "registry")]
    genesis: Option<PathBuf>,
    /// Registry node gRPC endpoints, comma-separated (with --genesis).
    #[arg(long, value_delimiter = ',')]
    registry: Vec<String>,
    /// The CA that endpoints' certificates chain to (the system's roots when absent, the
    /// devnet's CA with --devnet).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
    /// An issuer to show, by DID (repeatable).
    #[arg(long)]
    issuer: Vec<String>,
    /// An issuer gRPC endpoint, asked for its DID (repeatable).
    #[arg(long)]
    issuer_endpoint: Vec<String>,
    /// The directory where governors share governance proposal files (`realdid governance
    /// propose --out DIR/…`): listed in the Issuers view, signed and submitted from it.
    #[arg(long)]
    proposals: Option<PathBuf>,
    /// A verifier gRPC endpoint to watch (repeatable).
    #[arg(long)]
    verifier_endpoint: Vec<String>,
    /// The file holding the verifier operator's bearer token (`realdid verifier
    /// add-operator`), for every --verifier-endpoint; without it the console is known by
    /// the client certificate of its TLS settings, if any.
    #[arg(long)]
    verifier_token_file: Option<PathBuf>,
    /// An operator's session file (`realdid issuer login`): the console may then revoke,
    /// suspend and reinstate at the first issuer endpoint, each change confirmed first.
    #[arg(long)]
    session_file: Option<PathBuf>,
}

/// A console file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsoleFile {
    genesis: PathBuf,
    registry: Vec<String>,
    #[serde(default)]
    tls_ca: Option<PathBuf>,
    #[serde(default)]
    issuers: Vec<String>,
    #[serde(default)]
    issuer_endpoints: Vec<String>,
    /// `[[verifiers]]`: `endpoint` and `token_file`.
    #[serde(default)]
    verifiers: Vec<VerifierEntry>,
    /// The governors' proposal directory.
    #[serde(default)]
    proposals: Option<PathBuf>,
}

/// A verifier in a console file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifierEntry {
    endpoint: String,
    #[serde(default)]
    token_file: Option<PathBuf>,
}

/// What to watch, before it is connected.
struct Target {
    genesis: Genesis,
    registry: Vec<String>,
    tls: ClientTls,
    issuers: Vec<String>,
    issuer_endpoints: Vec<String>,
    verifiers: Vec<WatchedVerifier>,
    proposals: Option<PathBuf>,
}

impl TuiArgs {
    /// Flags first, then the console file, then the devnet.
    fn target(&self) -> Result<Target, CliError> {
        let mut target = if let Some(genesis) = &self.genesis {
            Target {
                genesis: Genesis::load(genesis)?,
                registry: self.registry.clone(),
                tls: ClientTls::default(),
                issuers: Vec::new(),
                issuer_endpoints: Vec::new(),
                verifiers: Vec::new(),
                proposals: None,
            }
        } else if let Some(path) = &self.config {
            from_file(path)?
        } else {
            from_devnet(&self.devnet)?
        };
        if let Some(ca) = &self.tls_ca {
            target.tls = ClientTls::with_ca(ca);
        }
        target.issuers.extend(self.issuer.iter().cloned());
        target
            .issuer_endpoints
            .extend(self.issuer_endpoint.iter().cloned());
        if let Some(dir) = &self.proposals {
            target.proposals = Some(dir.clone());
        }
        target.verifiers.extend(
            self.verifier_endpoint
                .iter()
                .map(|endpoint| WatchedVerifier {
                    endpoint: endpoint.clone(),
                    token_file: self.verifier_token_file.clone(),
                }),
        );
        Ok(target)
    }
}

fn from_file(path: &Path) -> Result<Target, CliError> {
    let text = super::read_bounded(path, 64 * 1024)?;
    let file: ConsoleFile =
        toml::from_str(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    if file.registry.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: `registry` names no node",
            path.display()
        )));
    }
    Ok(Target {
        genesis: Genesis::load(&base.join(&file.genesis))?,
        registry: file.registry,
        tls: file
            .tls_ca
            .map(|ca| ClientTls::with_ca(base.join(ca)))
            .unwrap_or_default(),
        issuers: file.issuers,
        issuer_endpoints: file.issuer_endpoints,
        verifiers: file
            .verifiers
            .into_iter()
            .map(|v| WatchedVerifier {
                endpoint: v.endpoint,
                token_file: v.token_file.map(|f| base.join(f)),
            })
            .collect(),
        proposals: file.proposals.map(|d| base.join(d)),
    })
}

fn from_devnet(dir: &Path) -> Result<Target, CliError> {
    let layout = DevnetLayout::load(dir)?;
    let issuer_config = dir.join("issuer").join("issuer.toml");
    let issuer_endpoints = if issuer_config.exists() {
        let config = realdid_issuer::config::IssuerConfig::load(&issuer_config)?;
        vec![format!("{}://{}", layout.scheme(), config.grpc_listen)]
    } else {
        Vec::new()
    };
    let verifier_dir = dir.join("verifier");
    let verifier_config = verifier_dir.join("verifier.toml");
    let verifiers = if verifier_config.exists() {
        let config = realdid_verifier::config::VerifierConfig::load(&verifier_config)?;
        let token_file = verifier_dir.join(super::devnet_verifier::OPERATOR_TOKEN_FILE);
        vec![WatchedVerifier {
            endpoint: format!("{}://{}", layout.scheme(), config.grpc_listen),
            token_file: token_file.exists().then_some(token_file),
        }]
    } else {
        Vec::new()
    };
    Ok(Target {
        genesis: layout.genesis().clone(),
        registry: layout.nodes().iter().map(|n| n.grpc_endpoint()).collect(),
        tls: layout.client_tls(),
        issuers: Vec::new(),
        issuer_endpoints,
        verifiers,
        proposals: Some(dir.join("proposals")).filter(|d| d.is_dir()),
    })
}

/// Runs the console until the operator quits or the process is asked to stop.
pub fn run(args: TuiArgs) -> Result<(), CliError> {
    let target = args.target()?;
    super::runtime()?.block_on(async {
        let gateway = RegistryGateway::with_tls(
            &target.registry,
            LightClient::for_genesis(&target.genesis),
            &target.tls,
        )?;
        let operator = match (&args.session_file, target.issuer_endpoints.first()) {
            (Some(session_file), Some(endpoint)) => Some(realdid_tui::source::operator::Operator {
                endpoint: endpoint.clone(),
                session_file: session_file.clone(),
            }),
            (Some(_), None) => {
                return Err(CliError::Usage(
                    "--session-file needs an issuer endpoint (--issuer-endpoint, or a devnet's \
                     issuer)"
                        .into(),
                ));
            }
            (None, _) => None,
        };
        let watch = realdid_tui::Watch {
            operator,
            chain_id: target.genesis.chain_id().to_string(),
            validator_keys: target
                .genesis
                .validator_keys()
                .iter()
                .map(|key| hex::encode(key.encode()))
                .collect(),
            clock: gateway.clock(),
            gateway,
            registry: target.registry,
            issuer_dids: target.issuers,
            issuer_endpoints: target.issuer_endpoints,
            verifiers: target.verifiers,
            proposals: target.proposals.map(|dir| Proposals {
                dir,
                chain: target.genesis.chain_id().clone(),
                governors: target.genesis.governance_config().keys().to_vec(),
                threshold: target.genesis.governance_config().threshold(),
            }),
            tls: target.tls,
        };
        realdid_tui::run(watch, terminated())
            .await
            .map_err(|e| CliError::Refused(format!("the console: {e}")))
    })
}

/// Completes when the process is asked to stop (SIGTERM or SIGHUP); Ctrl-C reaches the
/// console as a key, the terminal being in raw mode.
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) {
        (Ok(mut term), Ok(mut hup)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_console_file_names_the_network_with_paths_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let layout = realdid_registry::devnet::generate(&dir.path().join("net"), 4, None).unwrap();
        let file = dir.path().join("console.toml");
        std::fs::write(
            &file,
            "genesis = \"net/genesis.toml\"\nregistry = [\"https://a:1\", \"https://b:2\"]\n\
             issuers = [\"did:realdid:x\"]\n\n[[verifiers]]\nendpoint = \"https://v:3\"\n\
             token_file = \"ops-token\"\n",
        )
        .unwrap();
        let target = from_file(&file).unwrap();
        assert_eq!(target.registry, ["https://a:1", "https://b:2"]);
        assert_eq!(target.issuers, ["did:realdid:x"]);
        assert_eq!(
            target.verifiers,
            [WatchedVerifier {
                endpoint: "https://v:3".into(),
                token_file: Some(dir.path().join("ops-token")),
            }]
        );
        assert_eq!(
            target.genesis.chain_id(),
            layout.genesis().chain_id(),
            "the genesis is found beside the file"
        );

        std::fs::write(&file, "genesis = \"net/genesis.toml\"\nregistry = []\n").unwrap();
        let empty = from_file(&file).err().unwrap().to_string();
        assert!(empty.contains("names no node"), "{empty}");
        std::fs::write(&file, "genesis = \"net/genesis.toml\"\nnodes = []\n").unwrap();
        let unknown = from_file(&file).err().unwrap().to_string();
        assert!(unknown.contains("unknown field"), "{unknown}");
    }
}
