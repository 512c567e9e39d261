//! `realdid verifier --config verifier.toml`: the Verifier service for service providers;
//! with `--register`, puts each configured provider's DID on the registry first.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use realdid_core::clock::SystemClock;
use realdid_core::did::{OrgKeys, RealDid};
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::genesis::Genesis;
use realdid_registry_client::light_client::LightClient;
use realdid_verifier::config::VerifierConfig;

use crate::error::CliError;

/// Runs the verifier until Ctrl-C or SIGTERM.
#[derive(Debug, Args)]
pub struct VerifierArgs {
    /// The verifier's configuration (TOML; see verifier/src/config.rs).
    #[arg(long)]
    config: PathBuf,
    /// Register every provider's DID on the registry (making its key file when there is
    /// none) and exit: wallets answer only requests signed by a DID they can resolve.
    #[arg(long)]
    register: bool,
}

/// Makes the key file of each provider that has none, and registers each provider's DID
/// that the registry does not show yet (waiting until it is final). Returns the DIDs, in
/// the configuration's order.
pub async fn ensure_providers(config: &VerifierConfig) -> Result<Vec<RealDid>, CliError> {
    let genesis = Genesis::load(&config.genesis)?;
    let registry = RegistryGateway::with_tls(
        &config.registry,
        LightClient::for_genesis(&genesis),
        &config.tls.client(),
    )?
    .with_max_state_age(Duration::from_secs(config.max_state_age_seconds));
    let mut dids = Vec::with_capacity(config.providers.len());
    for provider in &config.providers {
        if !provider.keys_file.exists() {
            let keys = OrgKeys::generate()?;
            realdid_issuer::files::write_private(&provider.keys_file, &keys.to_json()?)?;
        }
        let keys = realdid_verifier::provider::load_keys(&provider.keys_file)?;
        registry
            .ensure_created(
                &format!("the DID of provider {}", provider.id),
                &keys.create_operation(registry.chain_id())?,
            )
            .await?;
        dids.push(keys.did().clone());
    }
    Ok(dids)
}

/// Runs `realdid verifier`.
pub fn run(args: VerifierArgs) -> Result<(), CliError> {
    let config = VerifierConfig::load(&args.config)?;
    super::init_logging(config.log_level.as_deref());
    let runtime = super::runtime()?;
    if args.register {
        return runtime.block_on(async {
            for (provider, did) in config
                .providers
                .iter()
                .zip(ensure_providers(&config).await?)
            {
                println!("provider {}: {did} is on the registry", provider.id);
            }
            Ok(())
        });
    }
    runtime.block_on(async move {
        let service = Arc::new(
            realdid_verifier::service::from_config(&config, SystemClock::shared()).await?,
        );
        let listener = tokio::net::TcpListener::bind(config.grpc_listen)
            .await
            .map_err(|source| CliError::Io {
                path: config.grpc_listen.to_string(),
                source,
            })?;
        tracing::info!(addr = %config.grpc_listen, redis = config.redis_url.is_some(), "verifier serving");
        let stop = async {
            let signal = super::stop_signal().await;
            tracing::info!(signal, "verifier stopping");
        };
        let tls = config
            .tls
            .server()
            .map_err(|e| CliError::Usage(format!("verifier configuration: {e}")))?;
        realdid_verifier::service::serve(service, listener, tls.as_ref(), stop).await?;
        Ok(())
    })
}
