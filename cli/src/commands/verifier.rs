//! `realdid verifier --config verifier.toml`: the Verifier service for service providers;
//! with `--register`, puts each configured provider's DID on the registry first. A
//! verifier's operator adds providers (`add-provider`, which prints the provider's token
//! once); a provider asks for a presentation (`request`, a `realdid://` URI and its QR code)
//! and reads the verdict (`result`).

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

/// Runs the verifier until Ctrl-C or SIGTERM, or one of its subcommands.
#[derive(Debug, Args)]
pub struct VerifierArgs {
    /// The verifier's configuration (TOML; see verifier/src/config.rs): run it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Register every provider's DID on the registry (making its key file when there is
    /// none) and exit: wallets answer only requests signed by a DID they can resolve.
    #[arg(long, requires = "config")]
    register: bool,
    #[command(subcommand)]
    command: Option<VerifierCommand>,
}

/// The verifier's subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum VerifierCommand {
    /// Runs the verifier (the same as `realdid verifier --config`).
    Serve {
        /// The configuration.
        #[arg(long)]
        config: PathBuf,
    },
    /// Creates a verifier directory: verifier.toml, the subject-id secret, and a first
    /// provider, whose bearer token is printed once.
    Init(Box<super::verifier_setup::InitArgs>),
    /// Adds a provider to a verifier's configuration and prints its bearer token, once
    /// (only its SHA-256 is kept). Restart the verifier, with --register, to serve it.
    AddProvider {
        /// The configuration.
        #[arg(long)]
        config: PathBuf,
        /// The provider's name.
        #[arg(long)]
        id: String,
    },
    /// Adds an operator, who may read the verifier's figures (`VerifierAdmin`, the
    /// console's Verifiers view): by a bearer token, printed once (only its SHA-256 is
    /// kept), or by its client certificate under mutual TLS. Restart the verifier to serve it.
    AddOperator {
        /// The configuration.
        #[arg(long)]
        config: PathBuf,
        /// The operator's name.
        #[arg(long)]
        id: String,
        /// The operator's client certificate (PEM): it is known by this instead of a token.
        #[arg(long)]
        cert: Option<PathBuf>,
    },
    /// As a provider: asks for a presentation; prints the request URI and its QR code.
    Request {
        #[command(flatten)]
        provider: ProviderArgs,
        /// A claim to be disclosed; repeat for several.
        #[arg(long = "claim")]
        claims: Vec<String>,
        /// A predicate to be proven (e.g. `age_over_18`); repeat for several.
        #[arg(long = "predicate")]
        predicates: Vec<String>,
        /// Why, shown to the holder.
        #[arg(long)]
        purpose: String,
        /// Lifetime, seconds (the verifier's default when absent).
        #[arg(long, default_value_t = 0)]
        expiry_seconds: u32,
    },
    /// As a provider: the verdict on a request, once a wallet answered.
    Result {
        #[command(flatten)]
        provider: ProviderArgs,
        /// The request's id, as `request` printed it.
        #[arg(long, allow_hyphen_values = true)]
        request_id: String,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// How a provider reaches its verifier.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The verifier's gRPC endpoint (`https://host:port`).
    #[arg(long)]
    endpoint: String,
    /// A file holding the provider's bearer token (first line).
    #[arg(long)]
    token_file: PathBuf,
    /// The CA the verifier's certificate chains to (the system's roots when absent).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
}

impl ProviderArgs {
    async fn connect(&self) -> Result<realdid_verifier::client::ProviderClient, CliError> {
        let token = std::fs::read_to_string(&self.token_file).map_err(|source| CliError::Io {
            path: self.token_file.display().to_string(),
            source,
        })?;
        let token = token.lines().next().unwrap_or_default().trim().to_owned();
        let tls = self
            .tls_ca
            .clone()
            .map(realdid_proto::tls::ClientTls::with_ca)
            .unwrap_or_default();
        Ok(realdid_verifier::client::ProviderClient::connect_with(
            self.endpoint.clone(),
            &token,
            &tls,
        )
        .await?)
    }
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
    match (args.config, args.command) {
        (Some(config), None) => serve(&config, args.register),
        (None, Some(VerifierCommand::Serve { config })) => serve(&config, false),
        (None, Some(VerifierCommand::AddProvider { config, id })) => {
            super::verifier_setup::add_provider(&config, &id)
        }
        (None, Some(VerifierCommand::AddOperator { config, id, cert })) => {
            super::verifier_setup::add_operator(&config, &id, cert.as_deref())
        }
        (None, Some(VerifierCommand::Init(args))) => super::verifier_setup::init(*args),
        (None, Some(VerifierCommand::Request {
            provider,
            claims,
            predicates,
            purpose,
            expiry_seconds,
        })) => super::runtime()?.block_on(async {
            let created = provider
                .connect()
                .await?
                .create_request(&realdid_verifier::requests::RequestSpec {
                    claims,
                    predicates,
                    purpose,
                    expiry_seconds,
                    credential_types: Vec::new(),
                })
                .await?;
            println!("{}", created.request_uri);
            eprintln!("request {} (show the QR code to the holder's wallet):", created.request_id);
            eprintln!("{}", qr_code(&created.request_uri)?);
            Ok(())
        }),
        (None, Some(VerifierCommand::Result {
            provider,
            request_id,
            json,
        })) => super::runtime()?.block_on(async {
            let outcome = provider.connect().await?.result(&request_id).await?;
            print_outcome(&outcome, json)
        }),
        _ => Err(CliError::Usage(
            "give --config to run the verifier, or a subcommand (serve, add-provider, request, result)"
                .into(),
        )),
    }
}

/// `text` as a QR code drawn with Unicode half blocks, two modules per character.
fn qr_code(text: &str) -> Result<String, CliError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| CliError::Refused(format!("the request URI does not fit a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .quiet_zone(true)
        .build())
}

fn print_outcome(outcome: &realdid_verifier::verify::Outcome, json: bool) -> Result<(), CliError> {
    use realdid_verifier::verify::Outcome;
    match outcome {
        Outcome::Verified(v) => {
            if json {
                let value = serde_json::json!({
                    "verified": true,
                    "claims": v.claims,
                    "predicates": v.predicates,
                    "issuer_did": v.issuer_did,
                    "credential_type": v.credential_type,
                    "subject_id": v.subject_id,
                });
                println!("{value}");
            } else {
                println!("verified: subject {}", v.subject_id);
                for (claim, value) in &v.claims {
                    println!("  {claim} = {value}");
                }
                for predicate in &v.predicates {
                    println!("  {predicate} holds");
                }
                println!("  issued by {} ({})", v.issuer_did, v.credential_type);
            }
            Ok(())
        }
        Outcome::Failed(failure) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "verified": false,
                        "reason": format!("{:?}", failure.reason),
                        "message": failure.message,
                    })
                );
            }
            Err(CliError::Refused(format!(
                "{:?}: {}",
                failure.reason, failure.message
            )))
        }
    }
}

/// Runs the verifier (after registering the providers' DIDs, with `register`, and exiting).
fn serve(path: &std::path::Path, register: bool) -> Result<(), CliError> {
    let config = VerifierConfig::load(path)?;
    super::init_logging(config.log_level.as_deref());
    let runtime = super::runtime()?;
    if register {
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
        super::serve_metrics(config.metrics_listen).await?;
        std::sync::LazyLock::force(&realdid_verifier::metrics::VERDICTS);
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
        realdid_verifier::service::serve(
            service,
            config.operators.clone(),
            listener,
            tls.as_ref(),
            stop,
        )
        .await?;
        Ok(())
    })
}
