//! `realdid verifier --config verifier.toml`: the Verifier service for service providers.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use realdid_verifier::config::VerifierConfig;

use crate::error::CliError;

/// Runs the verifier until Ctrl-C or SIGTERM.
#[derive(Debug, Args)]
pub struct VerifierArgs {
    /// The verifier's configuration (TOML; see verifier/src/config.rs).
    #[arg(long)]
    config: PathBuf,
}

/// Runs `realdid verifier`.
pub fn run(args: VerifierArgs) -> Result<(), CliError> {
    let config = VerifierConfig::load(&args.config)?;
    super::init_logging(config.log_level.as_deref());
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let service = Arc::new(realdid_verifier::service::from_config(&config).await?);
        let listener = tokio::net::TcpListener::bind(config.grpc_listen)
            .await
            .map_err(|source| CliError::Io {
                path: config.grpc_listen.to_string(),
                source,
            })?;
        tracing::info!(addr = %config.grpc_listen, redis = config.redis_url.is_some(), "verifier serving");
        let stop = async {
            let signal = realdid_registry::node::run::stop_signal().await;
            tracing::info!(signal, "verifier stopping");
        };
        realdid_verifier::service::serve(service, listener, stop).await?;
        Ok(())
    })
}
