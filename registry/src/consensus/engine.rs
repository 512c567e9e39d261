//! Wires simplex consensus, marshal, buffered broadcast and authenticated p2p together for
//! one validator. Every Commonware configuration knob the node sets is here.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use commonware_broadcast::buffered;
use commonware_consensus::marshal::core::Actor as MarshalActor;
use commonware_consensus::marshal::resolver::p2p as marshal_resolver;
use commonware_consensus::marshal::standard::Inline;
use commonware_consensus::marshal::standard::Standard;
use commonware_consensus::marshal::{self, Config as MarshalConfig, Start};
use commonware_consensus::simplex::{self, elector::RoundRobin};
use commonware_consensus::types::{Epoch, FixedEpocher, ViewDelta};
use commonware_cryptography::certificate::ConstantProvider;
use commonware_cryptography::ed25519::{PrivateKey, PublicKey};
use commonware_cryptography::{ChaCha20Poly1305, Digested, Signer as _, sha256};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address, AddressableManager as _};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Quota, Supervisor as _};
use commonware_storage::archive::immutable;
use commonware_stream::cups::{self, Cups};
use commonware_stream::sake::{self, Sake};
use commonware_utils::ordered::{Map, Set};
use commonware_utils::{NZDuration, NZU16, NZU64, NZUsize};
use tracing::info;

use super::application::RegistryApp;
use super::block::{ChainBlock, to_digest};
use super::finalizer::Finalizer;
use super::gossip;
use super::{Scheme, namespace, p2p_namespace};
use crate::RegistryError;
use crate::node::shared::Shared;

const VOTE_CHANNEL: u64 = 0;
const CERTIFICATE_CHANNEL: u64 = 1;
const RESOLVER_CHANNEL: u64 = 2;
const BROADCAST_CHANNEL: u64 = 3;
const MARSHAL_CHANNEL: u64 = 4;
const GOSSIP_CHANNEL: u64 = 5;

/// Messages one peer may send on one channel per second, and in one burst, before reading
/// more from it waits. Commonware preallocates each channel's receive mailbox at one burst
/// from every validator, so this bounds a node's memory as much as its peers: at 10 000 a
/// node of a four-validator chain committed about 610 MiB of empty mailboxes at start, at
/// 1 000 about 135 MiB in all. The busiest channel carries far fewer at the registry's
/// target load (a gossip batch every 10 ms, a few votes and certificates per view, a few
/// blocks a second), so a peer within its quota never waits.
pub const MESSAGES_PER_SECOND: u32 = 1_000;

/// One epoch for the whole chain: the validator set is fixed by genesis.
const EPOCH_LENGTH: u64 = u64::MAX / 2;

/// What the engine needs from the node.
#[derive(Debug)]
pub struct EngineConfig {
    /// The chain, from genesis: it separates this chain's signatures and handshakes.
    pub chain_id: crate::genesis::ChainId,
    /// This validator's key.
    pub signer: PrivateKey,
    /// Every validator and its p2p address, from genesis.
    pub validators: Vec<(PublicKey, SocketAddr)>,
    /// Where to listen for peers.
    pub p2p_listen: SocketAddr,
    /// The genesis block (height 0).
    pub genesis: ChainBlock,
    /// How long a leader may take to propose before the view is skipped.
    pub leader_timeout: Duration,
}

/// What one validator's actors need, whatever network carries their messages.
#[derive(Debug, Clone)]
pub struct ActorsConfig {
    /// The chain, from genesis: it separates this chain's signatures.
    pub chain_id: crate::genesis::ChainId,
    /// This validator's key.
    pub signer: PrivateKey,
    /// Every validator's key, from genesis.
    pub participants: Set<PublicKey>,
    /// The genesis block (height 0).
    pub genesis: ChainBlock,
    /// How long a leader may take to propose before the view is skipped.
    pub leader_timeout: Duration,
    /// Put before the name of every storage partition the actors open: empty for a node,
    /// whose runtime's storage is its own directory; distinct for each validator where
    /// several share one runtime's storage (a simulation).
    pub storage_prefix: String,
}

/// The p2p channels one validator's actors speak on, each a sender and its receiver.
#[derive(Debug)]
pub struct Channels<S, R> {
    /// Consensus votes.
    pub votes: (S, R),
    /// Consensus certificates.
    pub certificates: (S, R),
    /// Consensus's fetches of what it missed.
    pub resolver: (S, R),
    /// Blocks, broadcast by their proposer.
    pub broadcast: (S, R),
    /// Marshal's backfill of finalized blocks.
    pub backfill: (S, R),
    /// Transaction gossip.
    pub gossip: (S, R),
}

/// Starts every actor of one validator on the Commonware tokio runtime `context`, over
/// authenticated, encrypted p2p between the validators named in genesis, and returns when
/// the first of them stops (with the finalizer's error, if it was that).
pub async fn run(
    context: commonware_runtime::tokio::Context,
    shared: Arc<Shared>,
    cfg: EngineConfig,
) -> Result<(), RegistryError> {
    let participants: Set<PublicKey> =
        Set::from_iter_dedup(cfg.validators.iter().map(|(key, _)| key.clone()));
    let peers: Map<PublicKey, Address> = cfg
        .validators
        .iter()
        .map(|(key, addr)| (key.clone(), Address::Symmetric(*addr)))
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| RegistryError::Config {
            path: "genesis".into(),
            reason: "validator keys are not distinct".into(),
        })?;
    let peer_count = NZUsize!(cfg.validators.len().max(1));
    let max_message_size = max_message_size(cfg.validators.len())?;

    let upgrader = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: cfg.signer.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let p2p_cfg = lookup::Config::local(
        upgrader,
        &p2p_namespace(&cfg.chain_id),
        cfg.p2p_listen,
        peer_count,
        max_message_size,
        NZUsize!(4096),
    );
    let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p_cfg);
    oracle.track(0, peers);
    let quota = Quota::per_second(NonZeroU32::new(MESSAGES_PER_SECOND).unwrap_or(NonZeroU32::MIN));
    let channels = Channels {
        votes: network.register(VOTE_CHANNEL, quota),
        certificates: network.register(CERTIFICATE_CHANNEL, quota),
        resolver: network.register(RESOLVER_CHANNEL, quota),
        broadcast: network.register(BROADCAST_CHANNEL, quota),
        backfill: network.register(MARSHAL_CHANNEL, quota),
        gossip: network.register(GOSSIP_CHANNEL, quota),
    };
    let network_handle = network.start();
    let actors = ActorsConfig {
        chain_id: cfg.chain_id,
        signer: cfg.signer,
        participants,
        genesis: cfg.genesis,
        leader_timeout: cfg.leader_timeout,
        storage_prefix: String::new(),
    };
    let app = RegistryApp::new(shared.clone());
    tokio::select! {
        result = start(context, shared, actors, channels, (oracle.clone(), oracle), app) => result,
        _ = network_handle => Err(RegistryError::Unavailable { reason: "p2p network stopped".into() }),
    }
}

/// Starts every actor of one validator (consensus, marshal, block broadcast, the
/// finalizer, transaction gossip) on the runtime `context`, speaking on `channels`, with
/// `provider` naming the peers, `blocker` blocking those that misbehave, and `app`
/// proposing and verifying blocks; returns when the first of them stops (with the
/// finalizer's error, if it was that). It never returns `Ok`: only a node's shutdown,
/// outside it, stops it cleanly.
///
/// Generic over the runtime and the network so that the same wiring runs on the tokio
/// runtime over authenticated p2p ([`run`]) and, in tests, on Commonware's deterministic
/// runtime over its simulated network, where links fail and peers lie on purpose.
pub async fn start<E, S, R, P, B, A>(
    context: E,
    shared: Arc<Shared>,
    cfg: ActorsConfig,
    channels: Channels<S, R>,
    (provider, blocker): (P, B),
    app: A,
) -> Result<(), RegistryError>
where
    E: commonware_runtime::Spawner
        + commonware_runtime::Clock
        + commonware_runtime::Storage
        + commonware_runtime::Metrics
        + rand::CryptoRng,
    S: commonware_p2p::Sender<PublicKey = PublicKey>,
    R: commonware_p2p::Receiver<PublicKey = PublicKey>,
    P: commonware_p2p::Provider<PublicKey = PublicKey> + Clone + Send + Sync + 'static,
    B: commonware_p2p::Blocker<PublicKey = PublicKey> + Clone + Send + Sync + 'static,
    A: commonware_consensus::Application<
            E,
            SigningScheme = Scheme,
            Context = commonware_consensus::simplex::types::Context<sha256::Digest, PublicKey>,
            Block = ChainBlock,
            Input = (),
        > + Clone
        + Send
        + Sync
        + 'static,
{
    let me = cfg.signer.public_key();
    let Channels {
        votes,
        certificates,
        resolver,
        broadcast,
        backfill,
        gossip: (gossip_out, gossip_in),
    } = channels;
    let gossip_send = {
        let shared = shared.clone();
        context
            .child("gossip_send")
            .spawn(move |context| gossip::send_loop(context, shared, gossip_out))
    };
    let gossip_receive = {
        let shared = shared.clone();
        context
            .child("gossip_receive")
            .spawn(move |context| gossip::receive_loop(context, shared, gossip_in))
    };

    let scheme = Scheme::signer(
        &namespace(&cfg.chain_id),
        cfg.participants.clone(),
        cfg.signer.clone(),
    )
    .ok_or_else(|| RegistryError::Config {
        path: "genesis".into(),
        reason: "this node's key is not a validator".into(),
    })?;
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(4096));

    // Blocks travel by buffered broadcast; marshal backfills what a node missed.
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: NZUsize!(1024),
            deque_size: 16,
            priority: false,
            codec_config: (),
            peer_provider: provider.clone(),
            strategy: Sequential,
        },
    );
    broadcast_engine.start(broadcast);

    let resolver_handle = marshal_resolver::init(
        context.child("marshal_resolver"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: provider.clone(),
            blocker: blocker.clone(),
            mailbox_size: NZUsize!(1024),
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        backfill,
    );

    let finalizations_by_height = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(&format!("{}finalizations", cfg.storage_prefix), &page_cache, <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded()),
    )
    .await
    .map_err(|e| RegistryError::corrupt(format!("finalization archive: {e}")))?;
    let finalized_blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(&format!("{}blocks", cfg.storage_prefix), &page_cache, ()),
    )
    .await
    .map_err(|e| RegistryError::corrupt(format!("block archive: {e}")))?;

    let epocher = FixedEpocher::new(NZU64!(EPOCH_LENGTH));
    let genesis_digest = to_digest(cfg.genesis.hash());
    let (marshal, marshal_mailbox, _floor) = MarshalActor::init(
        context.child("marshal"),
        finalizations_by_height,
        finalized_blocks,
        MarshalConfig {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: Start::Genesis(Digested::precomputed(cfg.genesis.clone(), genesis_digest)),
            partition_prefix: format!("{}marshal", cfg.storage_prefix),
            mailbox_size: NZUsize!(1024),
            view_retention: ViewDelta::new(256),
            prunable_items_per_section: NZU64!(4096),
            page_cache: page_cache.clone(),
            replay_buffer: NZUsize!(1024 * 1024),
            key_write_buffer: NZUsize!(1024 * 1024),
            value_write_buffer: NZUsize!(1024 * 1024),
            block_codec_config: (),
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        },
    )
    .await;

    let (finalizer, finalizer_task) = Finalizer::start(
        shared.clone(),
        marshal_mailbox.clone(),
        context.child("finalizer"),
    );
    let marshal_handle = marshal.start(finalizer, buffer, resolver_handle);

    let app = Inline::new(
        context.child("application"),
        app,
        marshal_mailbox.clone(),
        epocher,
    );
    let consensus = simplex::Engine::new(
        context.child("consensus"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<commonware_cryptography::Sha256>::default(),
            blocker,
            automaton: app.clone(),
            relay: app.clone(),
            reporter: app,
            strategy: Sequential,
            partition: format!("{}consensus", cfg.storage_prefix),
            mailbox_size: NZUsize!(1024),
            epoch: Epoch::zero(),
            floor: simplex::config::Floor::Genesis(genesis_digest),
            replay_buffer: NZUsize!(1024 * 1024),
            write_buffer: NZUsize!(1024 * 1024),
            page_cache,
            leader_timeout: cfg.leader_timeout,
            certification_timeout: cfg.leader_timeout * 2,
            timeout_retry: Duration::from_secs(5),
            view_retention: ViewDelta::new(256),
            skip: simplex::config::SkipPolicy::Enabled {
                timeout: Duration::from_secs(10),
                budget: simplex::config::SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(Duration::from_secs(1)),
            fetch_retry_delay: Duration::from_millis(100),
            forward: simplex::config::ForwardPolicy::SilentVoters,
            track_historical_votes: false,
        },
    );
    let consensus_handle = consensus.start(votes, certificates, resolver);
    info!(validator = %me, "consensus started");

    tokio::select! {
        result = finalizer_task => match result {
            Ok(result) => result,
            Err(stopped) => Err(RegistryError::Unavailable { reason: format!("finalizer: {stopped}") }),
        },
        _ = marshal_handle => Err(RegistryError::Unavailable { reason: "marshal stopped".into() }),
        _ = consensus_handle => Err(RegistryError::Unavailable { reason: "consensus stopped".into() }),
        _ = gossip_send => Err(RegistryError::Unavailable { reason: "gossip sender stopped".into() }),
        _ = gossip_receive => Err(RegistryError::Unavailable { reason: "gossip receiver stopped".into() }),
    }
}

/// The largest p2p message for a chain of `validators`: the widest of a whole block with
/// marshal's framing (broadcast and backfill), a consensus vote or certificate, and a gossip
/// batch.
///
/// The limit is derived from the bounds on what a node builds ([`MAX_BLOCK_LEN`] through
/// [`ChainBlock`]'s `BoundedBlock`, and [`MAX_BATCH_LEN`]), so every message a node
/// builds fits it: Commonware's p2p panics on a send above the limit, and a block that cannot be
/// sent would halt the chain.
///
/// [`MAX_BLOCK_LEN`]: realdid_core::codec::MAX_BLOCK_LEN
/// [`MAX_BATCH_LEN`]: crate::node::gossip::MAX_BATCH_LEN
pub fn max_message_size(validators: usize) -> Result<u32, RegistryError> {
    let participants = u32::try_from(validators).map_err(|_| RegistryError::Config {
        path: "genesis".into(),
        reason: format!("{validators} validators"),
    })?;
    let blocks = marshal::max_payload_size::<Standard<ChainBlock>, Scheme>(participants, &());
    let votes = simplex::max_payload_size::<Scheme, sha256::Digest>(participants);
    let largest = blocks.max(votes).max(crate::node::gossip::MAX_BATCH_LEN);
    u32::try_from(largest).map_err(|_| RegistryError::Config {
        path: "genesis".into(),
        reason: format!("a p2p message of {largest} bytes for {validators} validators"),
    })
}

fn archive_config<C>(name: &str, page_cache: &CacheRef, codec_config: C) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{name}-metadata"),
        freezer_table_partition: format!("{name}-freezer-table"),
        freezer_table_initial_size: 65_536,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 16_384,
        freezer_key_partition: format!("{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{name}-freezer-value"),
        freezer_value_target_size: 256 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{name}-ordinal"),
        items_per_section: NZU64!(65_536),
        codec_config,
        replay_buffer: NZUsize!(1024 * 1024),
        freezer_key_write_buffer: NZUsize!(1024 * 1024),
        freezer_value_write_buffer: NZUsize!(1024 * 1024),
        ordinal_write_buffer: NZUsize!(1024 * 1024),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use commonware_consensus::simplex::types::Finalization;
    use realdid_core::codec::MAX_BLOCK_LEN;

    use super::*;
    use crate::genesis::MAX_VALIDATORS;
    use crate::node::gossip::MAX_BATCH_LEN;

    /// What the node sends is bounded by what it builds: for every committee size, the p2p
    /// limit admits a whole block with a finalization and marshal's framing (the widest
    /// backfill answer), and a gossip batch, and stays within twice a block.
    #[test]
    fn the_message_limit_admits_the_largest_block_and_batch() {
        for validators in [1, 4, 7, 100, MAX_VALIDATORS] {
            let limit = max_message_size(validators).unwrap() as usize;
            let participants = validators as u32;
            let finalization =
                Finalization::<Scheme, sha256::Digest>::max_encode_size(participants);
            assert!(
                limit >= MAX_BLOCK_LEN + finalization,
                "{validators} validators: {limit}"
            );
            assert!(limit >= MAX_BATCH_LEN);
            assert!(
                limit < 2 * MAX_BLOCK_LEN,
                "{validators} validators: {limit}"
            );
        }
    }
}
