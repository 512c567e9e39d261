//! `run`: one validator, from its configuration file to a serving node.

use std::sync::Arc;

use commonware_cryptography::Signer as _;
use commonware_runtime::Runner as _;
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

/// Runs one validator until Ctrl-C or a fatal error.
pub fn run(config: &NodeConfig) -> Result<(), RegistryError> {
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
    let engine_cfg = EngineConfig {
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
    let grpc_listen = config.grpc_listen();
    info!(validator = index, chain = %info.chain_id, "starting");

    let runtime = commonware_runtime::tokio::Config::new()
        .with_storage_directory(data_dir.join("engine"))
        .with_worker_threads(2)
        .with_catch_panics(false);
    let runner = commonware_runtime::tokio::Runner::new(runtime);
    runner.start(|context| async move {
        let listener = tokio::net::TcpListener::bind(grpc_listen)
            .await
            .map_err(|source| RegistryError::Io {
                context: format!("binding gRPC to {grpc_listen}"),
                source,
            })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let service = RegistryService::new(shared.clone(), info, tuning.did_ops_per_source)?;
        let grpc = tokio::spawn(serve(service, listener, async move {
            let _ = stopped.await;
        }));
        let result = tokio::select! {
            result = engine::run(context, shared, engine_cfg) => result,
            result = grpc => match result {
                Ok(result) => result,
                Err(join) => Err(RegistryError::Unavailable { reason: format!("gRPC task: {join}") }),
            },
            signal = stop_signal() => {
                info!(signal, "stopping");
                Ok(())
            }
        };
        let _ = stop.send(());
        if let Err(error) = &result {
            error!(%error, "node stopped");
        }
        result
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what supervisors send), naming which.
pub async fn stop_signal() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}
