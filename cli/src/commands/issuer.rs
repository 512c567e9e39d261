//! `realdid issuer`: run an issuer, and set one up.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use realdid_issuer::IssuerError;
use realdid_issuer::authority::grpc::GrpcAuthority;
use realdid_issuer::config::IssuerConfig;
use realdid_issuer::engine::Issuer;
use realdid_issuer::keys::IssuerKeys;
use realdid_issuer::privacy::person_index::Argon2Cost;
use realdid_issuer::provision::{ProvisionOptions, provision};
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::genesis::Genesis;
use realdid_registry_client::light_client::LightClient;

use crate::error::CliError;

/// Runs the issuer service (`realdid issuer --config issuer.toml`), or one of the set-up
/// commands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct IssuerArgs {
    /// The issuer's configuration: serve `realdid.v1.Issuer` and the status lists until
    /// Ctrl-C or SIGTERM.
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<IssuerCommand>,
}

/// The issuer's subcommands: running it, setting it up, and its staff's work.
#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Runs the issuer (the same as `realdid issuer --config`).
    Serve(ConfigArg),
    /// Creates a new issuer directory: DID keys, pepper and escrow key, approver keys, an
    /// operator with a generated password, and issuer.toml.
    Init(Box<InitArgs>),
    /// Puts the issuer's DID on the registry (idempotent). Accreditation is the
    /// governance officers' decision, made separately.
    Register(ConfigArg),
    /// Adds a new signing key to the issuer's DID and makes it the signer; credentials
    /// signed with the old key stay verifiable. Stop the issuer first.
    RotateKey(ConfigArg),
    /// Reads a password on standard input and prints its Argon2id hash for `operators`.
    HashPassword,
    #[command(flatten)]
    Staff(super::issuer_staff::StaffCommand),
}

/// `--config`.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The issuer's configuration.
    #[arg(long)]
    config: PathBuf,
}

/// Options of `realdid issuer init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new issuer directory.
    #[arg(long)]
    dir: PathBuf,
    /// The registry's genesis file.
    #[arg(long)]
    genesis: PathBuf,
    /// A registry node's gRPC endpoint; repeat for more.
    #[arg(long = "registry", required = true)]
    registry: Vec<String>,
    /// The identity authority's endpoint.
    #[arg(long, default_value = "http://127.0.0.1:50070")]
    authority: String,
    /// The key that signs the authority's answers (a did:key; `realdid authority generate`
    /// prints the reference authority's).
    #[arg(long)]
    authority_key: String,
    /// gRPC listener.
    #[arg(long, default_value = "127.0.0.1:50080")]
    grpc_listen: SocketAddr,
    /// HTTP listener for status lists.
    #[arg(long, default_value = "127.0.0.1:50081")]
    http_listen: SocketAddr,
    /// The operator's login name.
    #[arg(long, default_value = "officer")]
    operator: String,
    /// The issuer's name.
    #[arg(long, default_value = "Demo Identity Issuer")]
    name: String,
    #[command(flatten)]
    tls: super::tls_args::TlsArgs,
    /// Where to answer `GET /metrics`.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
}

/// Runs `realdid issuer …`.
pub fn run(args: IssuerArgs) -> Result<(), CliError> {
    match (args.config, args.command) {
        (Some(config), None) => serve(config),
        (None, Some(IssuerCommand::Serve(a))) => serve(a.config),
        (None, Some(IssuerCommand::Init(a))) => init(*a),
        (None, Some(IssuerCommand::Register(a))) => register(a.config),
        (None, Some(IssuerCommand::RotateKey(a))) => rotate(a.config),
        (None, Some(IssuerCommand::HashPassword)) => hash_password(),
        (None, Some(IssuerCommand::Staff(command))) => super::issuer_staff::run(command),
        _ => Err(CliError::Usage(
            "give --config to run the issuer, or a subcommand (serve, init, register, \
             rotate-key, hash-password, login, revoke, trace)"
                .into(),
        )),
    }
}

fn gateway(config: &IssuerConfig) -> Result<RegistryGateway, CliError> {
    let genesis = Genesis::load(&config.genesis)?;
    Ok(RegistryGateway::with_tls(
        &config.registry,
        LightClient::for_genesis(&genesis),
        &config.tls.client(),
    )?
    .with_max_state_age(config.max_state_age))
}

/// How long the issuer waits for the identity authority to come up before it gives up.
pub(crate) const AUTHORITY_WAIT: Duration = Duration::from_secs(60);

/// How often, while waiting, the issuer says in its log what it is waiting for.
const WAIT_REPORT_EVERY: Duration = Duration::from_secs(10);

/// Connects to the authority, waiting up to [`AUTHORITY_WAIT`] for it to come up. The wait
/// is logged when it starts and every [`WAIT_REPORT_EVERY`], with the last error, so that a
/// slow start shows what it is waiting for.
async fn authority(config: &IssuerConfig) -> Result<GrpcAuthority, CliError> {
    let started = Instant::now();
    let mut next_report = started;
    loop {
        match GrpcAuthority::connect(
            config.authority.clone(),
            config.authority_key.clone(),
            &config.tls.client(),
        )
        .await
        {
            Ok(a) => {
                tracing::info!(
                    authority = %config.authority,
                    waited_ms = started.elapsed().as_millis() as u64,
                    "identity authority reached"
                );
                return Ok(a);
            }
            Err(e) if started.elapsed() < AUTHORITY_WAIT => {
                if Instant::now() >= next_report {
                    tracing::info!(
                        authority = %config.authority,
                        waited_s = started.elapsed().as_secs(),
                        error = %e,
                        "waiting for the identity authority"
                    );
                    next_report += WAIT_REPORT_EVERY;
                }
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn serve(path: PathBuf) -> Result<(), CliError> {
    let config = IssuerConfig::load(&path)?;
    super::init_logging(config.log_level.as_deref());
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        super::serve_metrics(config.metrics_listen).await?;
        std::sync::LazyLock::force(&realdid_issuer::metrics::ENROLMENTS);
        let registry = gateway(&config)?;
        tracing::info!(registry = %config.registry.join(", "), "issuer starting");
        let authority = authority(&config).await?;
        let grpc = tokio::net::TcpListener::bind(config.grpc_listen)
            .await
            .map_err(|source| CliError::Io {
                path: config.grpc_listen.to_string(),
                source,
            })?;
        let http = tokio::net::TcpListener::bind(config.http_listen)
            .await
            .map_err(|source| CliError::Io {
                path: config.http_listen.to_string(),
                source,
            })?;
        let issuer = Issuer::start(config, authority, registry).await?;
        let stop = async {
            let signal = super::stop_signal().await;
            tracing::info!(signal, "issuer stopping");
        };
        realdid_issuer::service::serve(issuer, grpc, http, stop).await?;
        Ok(())
    })
}

fn init(args: InitArgs) -> Result<(), CliError> {
    let made = provision(
        &args.dir,
        &ProvisionOptions {
            display_name: args.name,
            genesis: std::path::absolute(&args.genesis).map_err(|source| CliError::Io {
                path: args.genesis.display().to_string(),
                source,
            })?,
            registry: args.registry,
            authority: args.authority,
            authority_key: args.authority_key,
            grpc_listen: args.grpc_listen,
            http_listen: args.http_listen,
            disclosure_delay_seconds: 30 * 24 * 3600,
            argon2: Argon2Cost::default(),
            operator: args.operator,
            tls: args.tls.settings()?,
            metrics_listen: args.metrics_listen,
        },
    )?;
    println!("issuer DID:  {}", made.keys.did());
    println!("config:      {}", made.config_path.display());
    println!("password:    {}", made.operator_password_file.display());
    println!(
        "next: `realdid issuer register --config {}`, then have the governance officers accredit the DID and name its trace approvers",
        made.config_path.display()
    );
    Ok(())
}

/// Submits the issuer DID's creation unless the registry already has it (proven).
pub async fn ensure_registered(config: &IssuerConfig) -> Result<IssuerKeys, CliError> {
    let keys = realdid_issuer::keys::load(&config.keys_file)?;
    let registry = gateway(config)?;
    registry
        .ensure_created(
            "the issuer DID",
            &keys.create_operation(registry.chain_id())?,
        )
        .await?;
    Ok(keys)
}

fn register(path: PathBuf) -> Result<(), CliError> {
    let config = IssuerConfig::load(&path)?;
    let runtime = super::runtime()?;
    let keys = runtime.block_on(ensure_registered(&config))?;
    println!("{} is on the registry", keys.did());
    Ok(())
}

fn rotate(path: PathBuf) -> Result<(), CliError> {
    let config = IssuerConfig::load(&path)?;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let keys = realdid_issuer::keys::load(&config.keys_file)?;
        let registry = gateway(&config)?;
        let record = registry
            .resolve_did(keys.did())
            .await?
            .ok_or_else(|| CliError::Refused(format!("{} is not on the registry", keys.did())))?;
        let (next, update) = keys.rotate(registry.chain_id(), &record.state)?;
        registry
            .submit_final(
                "the key rotation",
                &realdid_core::codec::Transaction::Did(update),
            )
            .await?;
        realdid_issuer::keys::save(&next, &config.keys_file)?;
        println!(
            "{} now signs with {}",
            next.did(),
            next.active_key_id().as_str()
        );
        Ok::<(), CliError>(())
    })
}

fn hash_password() -> Result<(), CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|source| CliError::Io {
            path: "standard input".into(),
            source,
        })?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(CliError::Usage(
            "give the password on standard input".into(),
        ));
    }
    println!(
        "{}",
        realdid_issuer::operators::hash_password(password)
            .map_err(|e: IssuerError| CliError::Issuer(e))?
    );
    Ok(())
}
