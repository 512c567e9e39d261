//! [`Node`]: one validator, from its configuration file to a serving node.
//!
//! The node is handed what a process owns: the Commonware runtime it runs in, its bound gRPC
//! listener and the future that tells it to stop. Whoever runs it (the `realdid node` command,
//! a test) decides how those come about; the p2p port alone is bound by the engine, from the
//! configured address that the other validators know it by.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use commonware_cryptography::Signer as _;
use realdid_core::codec::{Block, BlockHash, BlockHeader, transactions_root};
use tracing::{error, info};

use crate::RegistryError;
use crate::config::NodeConfig;
use crate::consensus::block::ChainBlock;
use crate::consensus::engine::{self, EngineConfig};
use crate::genesis::Genesis;
use crate::node::shared::Shared;
use crate::service::{NodeInfo, RegistryService, serve};
use crate::state::Store;

/// The block at height 0. Its parent field carries the genesis file's hash, so two chains
/// with different genesis files never share a block hash.
pub fn genesis_block(genesis: &Genesis, empty_root: realdid_core::codec::StateRoot) -> Block {
    Block {
        header: BlockHeader {
            height: 0,
            parent: BlockHash(genesis.genesis_hash().0),
            timestamp_ms: genesis.genesis_time_unix_ms(),
            state_root: empty_root,
            transactions_root: transactions_root(&[]),
            transaction_count: 0,
        },
        transactions: Vec::new(),
    }
}

/// The sockets a node serves on, bound by whoever runs it.
#[derive(Debug)]
pub struct NodeListeners {
    /// The Registry gRPC service.
    pub grpc: tokio::net::TcpListener,
    /// `GET /metrics`, if served.
    pub metrics: Option<tokio::net::TcpListener>,
    /// `GET /1.0/identifiers/{did}`, if served.
    pub resolver: Option<tokio::net::TcpListener>,
}

/// A validator whose configuration, key and state have been checked and opened, not yet
/// running. Opening is separate from running so that a bad configuration or a damaged data
/// directory is reported before any runtime or socket exists.
#[derive(Debug)]
pub struct Node {
    index: usize,
    shared: Arc<Shared>,
    info: NodeInfo,
    engine: EngineConfig,
    did_ops_per_source: u32,
    engine_dir: PathBuf,
    tls: Option<realdid_proto::tls::ServerTls>,
}

impl Node {
    /// Reads the genesis and the key named by `config`, and opens (creating on first start)
    /// the node's state under its data directory.
    pub fn open(config: &NodeConfig) -> Result<Self, RegistryError> {
        let genesis = config.load_genesis()?;
        let (signer, index) = config.identity(&genesis)?;
        let tuning = config.tuning();
        let data_dir = config.data_dir().to_path_buf();
        std::fs::create_dir_all(&data_dir).map_err(|source| RegistryError::Io {
            context: format!("creating data dir {}", data_dir.display()),
            source,
        })?;
        let store = Store::open(&data_dir.join("state"))?;
        let genesis_block = genesis_block(&genesis, crate::state::EMPTY_ROOT);
        store.genesis_init(&genesis_block.header)?;
        let shared = Arc::new(Shared::new(
            store,
            crate::execute::Governance::of(&genesis),
            genesis.validators().len(),
            tuning.lane_capacities(),
            tuning.max_block_txs(),
            tuning.pacing(),
        ));
        let info = NodeInfo {
            chain_id: genesis.chain_id().as_str().to_string(),
            genesis_hash: genesis.genesis_hash().0,
            node_key: signer.public_key().as_ref().to_vec(),
            validators: genesis
                .validators()
                .iter()
                .map(|v| v.public_key().as_ref().to_vec())
                .collect(),
        };
        let engine = EngineConfig {
            chain_id: genesis.chain_id().clone(),
            signer,
            validators: genesis
                .validators()
                .iter()
                .map(|v| (v.public_key().clone(), v.p2p_address()))
                .collect(),
            p2p_listen: config.p2p_listen(),
            genesis: ChainBlock::new(genesis_block),
            leader_timeout: tuning.pacing().leader_timeout,
        };
        Ok(Self {
            index,
            shared,
            info,
            engine,
            did_ops_per_source: tuning.did_ops_per_source,
            engine_dir: data_dir.join("engine"),
            tls: config.tls().cloned(),
        })
    }

    /// The Commonware tokio runtime to run this node in. The engine keeps its journals in the
    /// runtime's storage directory, which must be this node's (inside its data directory) for
    /// a restart to find them; a panic stops the process rather than leaving a validator
    /// running with a dead actor.
    pub fn runtime_config(&self) -> commonware_runtime::tokio::Config {
        commonware_runtime::tokio::Config::new()
            .with_storage_directory(self.engine_dir.clone())
            .with_worker_threads(2)
            .with_catch_panics(false)
    }

    /// Runs consensus and serves gRPC on `listeners.grpc` (with Prometheus metrics, the
    /// engine's included, and DID resolution over HTTP on the others, when given) until
    /// `shutdown` resolves (`Ok`) or consensus or gRPC fails. `context` must come from a
    /// runner built with [`Node::runtime_config`]; the listeners must have been bound inside
    /// that runtime.
    pub async fn run(
        self,
        context: commonware_runtime::tokio::Context,
        listeners: NodeListeners,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), RegistryError> {
        let NodeListeners {
            grpc,
            metrics,
            resolver,
        } = listeners;
        let Self {
            index,
            shared,
            info,
            engine,
            did_ops_per_source,
            engine_dir: _,
            tls,
        } = self;
        info!(validator = index, chain = %info.chain_id, "starting");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Registered now, so that a scrape before the first commit finds them.
        std::sync::LazyLock::force(&super::metrics::NODE);
        let metrics = metrics.map(|listener| {
            use commonware_runtime::{Metrics as _, Supervisor as _};
            let engine_metrics = context.child("metrics");
            // Ended with the node (aborted below): nothing is pending on a scrape.
            tokio::spawn(realdid_proto::metrics::serve(
                listener,
                std::sync::Arc::new(move || engine_metrics.encode()),
                std::future::pending(),
            ))
        });
        let resolver = resolver.map(|listener| {
            // Ended with the node (aborted below).
            tokio::spawn(super::resolver::serve(
                shared.clone(),
                listener,
                std::future::pending(),
            ))
        });
        let service = RegistryService::new(shared.clone(), info, did_ops_per_source)?;
        let grpc = tokio::spawn(async move {
            serve(service, grpc, tls.as_ref(), async move {
                let _ = stopped.await;
            })
            .await
        });
        let result = tokio::select! {
            result = engine::run(context, shared, engine) => result,
            result = grpc => match result {
                Ok(result) => result,
                Err(join) => Err(RegistryError::Unavailable { reason: format!("gRPC task: {join}") }),
            },
            () = shutdown => Ok(()),
        };
        let _ = stop.send(());
        for task in [metrics, resolver].into_iter().flatten() {
            task.abort();
        }
        if let Err(error) = &result {
            error!(%error, "node stopped");
        }
        result
    }
}
