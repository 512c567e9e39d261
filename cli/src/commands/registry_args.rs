//! How a command reaches the registry: a devnet's files by default, or a real network's
//! genesis and node endpoints, with the CA their certificates chain to.

use std::path::PathBuf;

use clap::Args;
use realdid_proto::tls::ClientTls;
use realdid_registry::devnet::{DevnetLayout, Transport as DevnetTransport};
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::genesis::Genesis;
use realdid_registry_client::light_client::LightClient;
use realdid_wallet::present::Transport;

use crate::error::CliError;

/// Where the registry is: a devnet directory, or a genesis file and node endpoints.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// A devnet's directory (its genesis and node endpoints).
    #[arg(long, default_value = ".realdid/devnet")]
    devnet: PathBuf,
    /// The genesis file (overrides --devnet's).
    #[arg(long, requires = "registry")]
    genesis: Option<PathBuf>,
    /// Registry node gRPC endpoints, comma-separated (with --genesis).
    #[arg(long, value_delimiter = ',')]
    registry: Vec<String>,
    /// The oldest proven registry state trusted, seconds: a node answering with an older one
    /// is skipped.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_state_age: u64,
    /// The CA certificate (PEM) that registry nodes, issuers and verifiers must chain to;
    /// the system's roots when absent (a devnet's own CA with --devnet).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
    /// Reach verifiers named by request URIs in plaintext (a development network only; a
    /// devnet started with --plaintext implies it).
    #[arg(long)]
    plaintext: bool,
}

impl RegistryArgs {
    /// A proven view of the registry: `--genesis` and `--registry`, else the devnet's.
    pub fn gateway(&self) -> Result<RegistryGateway, CliError> {
        let gateway = match &self.genesis {
            Some(path) => RegistryGateway::with_tls(
                &self.registry,
                LightClient::for_genesis(&Genesis::load(path)?),
                &self.tls()?,
            )?,
            None => DevnetLayout::load(&self.devnet)?.gateway()?,
        };
        Ok(gateway.with_max_state_age(std::time::Duration::from_secs(self.max_state_age)))
    }

    /// What is trusted: `--tls-ca`, else the devnet's CA (without `--genesis`),
    /// else the system's roots.
    pub fn tls(&self) -> Result<ClientTls, CliError> {
        Ok(match (&self.tls_ca, &self.genesis) {
            (Some(ca), _) => ClientTls::with_ca(ca),
            (None, None) => DevnetLayout::load(&self.devnet)?.client_tls(),
            (None, Some(_)) => ClientTls::default(),
        })
    }

    /// How verifiers named by request URIs are reached.
    pub fn transport(&self) -> Result<Transport, CliError> {
        let plaintext_devnet = self.genesis.is_none()
            && DevnetLayout::load(&self.devnet)?.transport() == DevnetTransport::Plaintext;
        Ok(if self.plaintext || plaintext_devnet {
            Transport::plaintext()
        } else {
            Transport::tls(self.tls()?)
        })
    }
}

/// The registry of a real network, reached with the CA a command already names for its
/// other endpoint (`--tls-ca`): for the commands that talk to an issuer and read the chain.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// The network's genesis file.
    #[arg(long)]
    genesis: PathBuf,
    /// Registry node gRPC endpoints, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    registry: Vec<String>,
}

impl ChainArgs {
    /// A proven view of the registry, trusting `tls`.
    pub fn gateway(&self, tls: &ClientTls) -> Result<RegistryGateway, CliError> {
        Ok(RegistryGateway::with_tls(
            &self.registry,
            LightClient::for_genesis(&Genesis::load(&self.genesis)?),
            tls,
        )?)
    }
}
