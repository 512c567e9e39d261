//! `realdid authority`: the reference identity authority, for the devnet, tests and demos.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use realdid_issuer::authority::dataset::ResidentDataset;
use realdid_issuer::authority::reference::ReferenceAuthority;
use realdid_issuer::authority::{grpc, key};
use realdid_proto::tls::ServerTls;

use crate::error::CliError;

/// The reference identity authority.
#[derive(Debug, Subcommand)]
pub enum AuthorityCommand {
    /// Creates a register of synthetic residents and writes who they are (names, numbers,
    /// evidence tokens) as JSON, for demos and tests.
    Generate(GenerateArgs),
    /// Serves `realdid.v1.IdentityAuthority` over a register until Ctrl-C.
    Serve(ServeArgs),
}

/// Options of `realdid authority generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The register's directory (must not hold a database yet).
    #[arg(long)]
    data: PathBuf,
    /// How many residents.
    #[arg(long, default_value_t = 5000)]
    count: usize,
    /// Seed of the population (the same seed gives the same people).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the people as JSON (`-` for standard output).
    #[arg(long, default_value = "-")]
    people: String,
}

/// Options of `realdid authority serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The register's directory, from `realdid authority generate`.
    #[arg(long)]
    data: PathBuf,
    /// Address to serve gRPC on.
    #[arg(long, default_value = "127.0.0.1:50070")]
    listen: SocketAddr,
    /// The server's certificate chain (PEM): serve over TLS. Without it, plaintext
    /// (development only).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The server's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Answer only issuers showing a certificate of this CA (mutual TLS).
    #[arg(long, requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Where to answer `GET /metrics` (Prometheus).
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
}

/// Runs an authority command.
pub fn run(cmd: AuthorityCommand) -> Result<(), CliError> {
    match cmd {
        AuthorityCommand::Generate(args) => generate(args),
        AuthorityCommand::Serve(args) => serve(args),
    }
}

fn generate(args: GenerateArgs) -> Result<(), CliError> {
    let people = ResidentDataset::generate(&args.data, args.count, args.seed)?;
    let signing = key::create(&args.data.join(key::AUTHORITY_KEY_FILE))?;
    eprintln!(
        "the authority signs its answers with {}: configure issuers with it (authority_key)",
        key::public_did_key(&signing)
    );
    let json = serde_json::to_string_pretty(&people)?;
    if args.people == "-" {
        println!("{json}");
    } else {
        std::fs::write(&args.people, json).map_err(|source| CliError::Io {
            path: args.people.clone(),
            source,
        })?;
        eprintln!(
            "{} residents in {}; who they are: {}",
            people.len(),
            args.data.display(),
            args.people
        );
    }
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    let dataset = Arc::new(ResidentDataset::open(&args.data)?);
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(ServerTls {
            cert,
            key,
            client_ca: args.tls_client_ca,
        }),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let signing = key::load(&args.data.join(key::AUTHORITY_KEY_FILE))?;
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        super::serve_metrics(args.metrics_listen).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|source| CliError::Io {
                path: args.listen.to_string(),
                source,
            })?;
        eprintln!(
            "identity authority over {} on {scheme}://{}, answers signed by {}; Ctrl-C stops it",
            args.data.display(),
            args.listen,
            key::public_did_key(&signing)
        );
        let stop = async {
            super::stop_signal().await;
        };
        grpc::serve(
            ReferenceAuthority::new(dataset),
            signing,
            listener,
            tls.as_ref(),
            stop,
        )
        .await?;
        Ok(())
    })
}
