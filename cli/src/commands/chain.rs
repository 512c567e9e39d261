//! `realdid node` and `realdid devnet`: run the registry chain.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use commonware_codec::Encode as _;
use realdid_core::codec::{ChainId, Transaction};
use realdid_core::did::{Purposes, RealDid};
use realdid_core::keys::SigningKey;
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_registry_client::light_client::LightClient;
use tonic::transport::Channel;

use clap::Args;
use realdid_registry::config::NodeConfig;
use realdid_registry::devnet::{DevnetLayout, Transport};
use realdid_registry::node::Node;

use crate::error::CliError;
use crate::supervisor::{STOP_GRACE, Supervisor};

/// Runs one validator, or makes its key.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The node's configuration file (TOML): run it (the same as `realdid node serve`).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<NodeCommand>,
}

/// What `realdid node` does besides running.
#[derive(Debug, clap::Subcommand)]
pub enum NodeCommand {
    /// Runs the validator its configuration describes until Ctrl-C or SIGTERM.
    Serve {
        /// The node's configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Makes a validator key: a file only its owner may read (the seed, hex), and the
    /// public key (printed) for the genesis.
    Keygen {
        /// Where to write the key (refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Starts a local network of validators on loopback.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Where the devnet keeps its keys, genesis and data; reused when it exists.
    #[arg(long, default_value = ".realdid/devnet")]
    dir: PathBuf,
    /// Number of validators (3f+1 tolerates f faulty).
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// First port; each node uses two. Free ports are picked when absent.
    #[arg(long)]
    base_port: Option<u16>,
    /// Once the chain runs, walk through a short citizen journey against it.
    #[arg(long)]
    demo: bool,
    /// Run every service in plaintext (http://) instead of TLS with the devnet's own CA
    /// (`<dir>/tls/ca.pem`). For debugging with tools that cannot speak TLS; a devnet keeps
    /// the transport it was generated with.
    #[arg(long)]
    plaintext: bool,
}

/// Runs a node command.
pub fn node(args: NodeArgs) -> Result<(), CliError> {
    match (args.config, args.command) {
        (Some(config), None) | (None, Some(NodeCommand::Serve { config })) => serve_node(&config),
        (None, Some(NodeCommand::Keygen { out })) => {
            let key = realdid_registry::config::generate_key()?;
            realdid_registry::config::write_key_file(&out, &key)?;
            println!(
                "{}",
                realdid_registry::config::validator_public_key_hex(&key)
            );
            eprintln!(
                "validator key in {} (keep it private); give the public key above to whoever \
                 drafts the genesis (`realdid genesis add-validator --public-key …`)",
                out.display()
            );
            Ok(())
        }
        _ => Err(CliError::Usage(
            "give --config to run a node, or a subcommand (serve, keygen)".into(),
        )),
    }
}

/// Runs one validator until Ctrl-C or SIGTERM.
fn serve_node(config: &std::path::Path) -> Result<(), CliError> {
    use commonware_runtime::Runner as _;
    let config = NodeConfig::load(config)?;
    super::init_logging(config.log_level());
    let node = Node::open(&config)?;
    let grpc_listen = config.grpc_listen();
    let metrics_listen = config.metrics_listen();
    let resolver_listen = config.resolver_listen();
    let runner = commonware_runtime::tokio::Runner::new(node.runtime_config());
    runner.start(|context| async move {
        let _file_too_large = write_errors_for_file_size_limits()?;
        // Bound inside the node's runtime, whose reactor then drives it.
        let grpc = tokio::net::TcpListener::bind(grpc_listen)
            .await
            .map_err(|source| CliError::Io {
                path: format!("binding gRPC to {grpc_listen}"),
                source,
            })?;
        let stop = async {
            let signal = super::stop_signal().await;
            tracing::info!(signal, "stopping");
        };
        let listeners = realdid_registry::node::run::NodeListeners {
            grpc,
            metrics: bind_optional(metrics_listen, "metrics").await?,
            resolver: bind_optional(resolver_listen, "the resolver").await?,
        };
        node.run(context, listeners, stop).await?;
        Ok(())
    })
}

/// Makes a write past the process's file size limit (RLIMIT_FSIZE, set by an operator or a
/// container to stop a runaway disk) fail with EFBIG, as a full disk fails one with ENOSPC,
/// instead of the default SIGXFSZ killing the node without a word: the node then stops on
/// the failed write and names it. Tokio's handler replaces the default action for the life of
/// the process; the returned stream only has to be kept while the node runs.
#[cfg(unix)]
fn write_errors_for_file_size_limits() -> Result<tokio::signal::unix::Signal, CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let xfsz = rustix::process::Signal::XFSZ.as_raw();
    signal(SignalKind::from_raw(xfsz)).map_err(|source| CliError::Io {
        path: "the SIGXFSZ handler".into(),
        source,
    })
}

#[cfg(not(unix))]
fn write_errors_for_file_size_limits() -> Result<(), CliError> {
    Ok(())
}

/// Starts the devnet, prints its endpoints and waits for Ctrl-C.
pub fn devnet(args: DevnetArgs) -> Result<(), CliError> {
    let transport = if args.plaintext {
        Transport::Plaintext
    } else {
        Transport::Tls
    };
    let layout =
        DevnetLayout::open_or_generate(&args.dir, args.validators, args.base_port, transport)?;
    let exe = std::env::current_exe().map_err(|source| CliError::Io {
        path: "current executable".into(),
        source,
    })?;
    let runtime = super::runtime()?;
    // Registered before any child starts: from here on, SIGINT and SIGTERM stop the
    // children with the devnet instead of leaving them running.
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        let _entered = runtime.enter();
        let io = |source| CliError::Io {
            path: "signal handlers".into(),
            source,
        };
        (
            signal(SignalKind::interrupt()).map_err(io)?,
            signal(SignalKind::terminate()).map_err(io)?,
        )
    };
    let mut supervisor = Supervisor::start_all(exe, &layout)?;
    println!(
        "realdid devnet: {} validators, chain {}",
        layout.nodes().len(),
        layout.genesis().chain_id().as_str()
    );
    println!("  data:     {}", layout.dir().display());
    println!("  genesis:  {}", layout.genesis_path().display());
    for node in layout.nodes() {
        println!(
            "  {:<10} gRPC {}  p2p {}  log {}{}",
            node.name(),
            node.grpc_endpoint(),
            node.p2p(),
            node.log_path().display(),
            node.resolver_url()
                .map(|url| format!("  resolver {url}<did>"))
                .unwrap_or_default()
                + &metrics_suffix(node.metrics_url())
        );
    }
    let issuer_side = super::devnet_issuer::start(&layout, &mut supervisor)?;
    println!(
        "  {:<10} gRPC {}  register {}{}",
        "authority",
        issuer_side.authority,
        issuer_side.people.display(),
        metrics_suffix(issuer_side.authority_metrics.clone())
    );
    let up = async {
        wait_first_block(&layout).await?;
        let issuer =
            super::devnet_issuer::run_issuer(&layout, &mut supervisor, &issuer_side).await?;
        println!(
            "  {:<10} gRPC {}://{}  status lists {}/status/<n>  config {}{}",
            "issuer",
            layout.scheme(),
            issuer_side.config.grpc_listen,
            issuer_side.config.public_base_url,
            issuer_side.config_path.display(),
            metrics_suffix(issuer_side.config.metrics_listen.map(metrics_url))
        );
        let verifier_side = super::devnet_verifier::start(&layout, &mut supervisor).await?;
        super::devnet_verifier::wait_ready(&layout, &verifier_side).await?;
        println!(
            "  {:<10} gRPC {}  requests in {}  config {}{}",
            "verifier",
            super::devnet_verifier::endpoint(&layout, &verifier_side),
            if verifier_side.config.redis_url.is_some() {
                "Redis"
            } else {
                "process memory"
            },
            verifier_side.config_path.display(),
            metrics_suffix(verifier_side.config.metrics_listen.map(metrics_url))
        );
        if args.demo {
            journey(&layout, &issuer_side.did).await?;
            super::journey::citizen(&layout, &issuer_side, issuer, &verifier_side).await?;
        }
        println!(
            "\nThe devnet is up. Ctrl-C (or SIGTERM) stops every node, the authority, the issuer and the verifier."
        );
        std::future::pending::<Result<(), CliError>>().await
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = up => result,
            _ = interrupt.recv() => Ok(()),
            _ = terminate.recv() => Ok(()),
        }
    });
    supervisor.stop_all(STOP_GRACE)?;
    outcome
}

/// Binds `addr` if given (inside the runtime that will drive the listener).
async fn bind_optional(
    addr: Option<std::net::SocketAddr>,
    what: &str,
) -> Result<Option<tokio::net::TcpListener>, CliError> {
    match addr {
        Some(addr) => tokio::net::TcpListener::bind(addr)
            .await
            .map(Some)
            .map_err(|source| CliError::Io {
                path: format!("binding {what} to {addr}"),
                source,
            }),
        None => Ok(None),
    }
}

/// The metrics URL of a service listening on `addr`.
fn metrics_url(addr: std::net::SocketAddr) -> String {
    format!("http://{addr}/metrics")
}

/// `  metrics <url>` for the devnet's listing, or nothing.
fn metrics_suffix(url: Option<String>) -> String {
    url.map(|url| format!("  metrics {url}"))
        .unwrap_or_default()
}

pub(super) async fn client(
    layout: &DevnetLayout,
    endpoint: &str,
) -> Result<RegistryClient<Channel>, CliError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match layout.client_tls().connect(endpoint).await {
            Ok(channel) => return Ok(RegistryClient::new(channel)),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await
            }
            Err(e) => {
                return Err(CliError::Refused(format!(
                    "{endpoint} does not answer: {e}"
                )));
            }
        }
    }
}

pub(super) async fn submit(
    client: &mut RegistryClient<Channel>,
    what: &str,
    tx: &Transaction,
) -> Result<pb::TransactionReceipt, CliError> {
    let started = Instant::now();
    let answer = client
        .submit_transaction(pb::SubmitTransactionRequest {
            transaction: tx.encode().to_vec(),
        })
        .await
        .map_err(|status| CliError::Refused(format!("{what}: {}", status.message())))?
        .into_inner();
    match answer.result {
        Some(pb::submit_transaction_response::Result::Finalized(receipt)) => {
            println!(
                "    final at height {} in {} ms",
                receipt.height,
                started.elapsed().as_millis()
            );
            Ok(receipt)
        }
        Some(pb::submit_transaction_response::Result::Rejected(r)) => {
            Err(CliError::Refused(format!("{what}: {}", r.message)))
        }
        None => Err(CliError::Refused(format!("{what}: empty answer"))),
    }
}

pub(super) fn new_did(
    chain: &ChainId,
    purposes: Purposes,
) -> Result<(SigningKey, RealDid, Transaction), CliError> {
    let (key, signed) = super::single_key_did(chain, purposes)?;
    Ok((key, signed.operation.did(), Transaction::Did(signed)))
}

/// Waits until the chain has finalized a block in the last few seconds: on a devnet started
/// again after a pause, the last block before the pause is old, and every proven read would
/// be refused as stale until the chain moves on.
async fn wait_first_block(layout: &DevnetLayout) -> Result<(), CliError> {
    let mut first = client(layout, &layout.nodes()[0].grpc_endpoint()).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut waiting = super::Waiting::new("the first fresh block");
    loop {
        waiting.tick();
        if let Ok(status) = first.get_chain_status(pb::GetChainStatusRequest {}).await
            && status.get_ref().height >= 1
            && super::unix_ms()
                .saturating_sub(u64::try_from(status.get_ref().block_time_unix_ms).unwrap_or(0))
                < 10_000
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CliError::Refused("no block was finalized in 120 s".into()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A short walk through the chain's part of the citizen journey.
async fn journey(layout: &DevnetLayout, issuer: &RealDid) -> Result<(), CliError> {
    let nodes = layout.nodes();
    let mut first = client(layout, &nodes[0].grpc_endpoint()).await?;
    let mut last = client(layout, &nodes[nodes.len() - 1].grpc_endpoint()).await?;
    let light = LightClient::for_genesis(layout.genesis());
    println!("\n[1] a citizen's wallet registers a pairwise DID");
    let (_citizen_key, citizen, tx) =
        new_did(layout.genesis().chain_id(), Purposes::AUTHENTICATION)?;
    println!("    {citizen}");
    let receipt = submit(&mut first, "citizen DID", &tx).await?;

    println!(
        "[2] a service provider resolves it from another node and checks the proof with the genesis validator keys only"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let (verified, record) = loop {
        let answer = last
            .resolve(pb::ResolveRequest {
                did: citizen.to_string(),
                at: None,
                proof_only: false,
            })
            .await
            .map_err(|status| CliError::Refused(format!("resolve: {}", status.message())))?
            .into_inner();
        let proof = answer
            .proof
            .ok_or_else(|| CliError::Refused("resolve: no proof".into()))?;
        let (verified, record) = light.verify_did(&citizen, &proof)?;
        if record.is_some() || Instant::now() > deadline {
            break (verified, record);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let record = record.ok_or_else(|| CliError::Refused("the new DID is not on chain".into()))?;
    println!(
        "    proven at height {} (receipt height {}): version {}, {} key(s), state root {}",
        verified.height,
        receipt.height,
        record.state.version,
        record.state.document.keys.len(),
        verified.header.state_root
    );

    println!("[3] the provider checks the devnet issuer's accreditation, also proven");
    let answer = last
        .get_issuer_accreditation(pb::GetIssuerAccreditationRequest {
            issuer_did: issuer.to_string(),
        })
        .await
        .map_err(|status| CliError::Refused(format!("accreditation: {}", status.message())))?
        .into_inner();
    let proof = answer
        .proof
        .ok_or_else(|| CliError::Refused("accreditation: no proof".into()))?;
    let (_, record) = light.verify_issuer(issuer, &proof)?;
    match record {
        Some(record) if record.removed.is_none() => {
            println!(
                "    accredited: {} for {:?}",
                record.name, record.credential_types
            )
        }
        _ => {
            return Err(CliError::Refused(
                "the issuer is not accredited on chain".into(),
            ));
        }
    }
    Ok(())
}
