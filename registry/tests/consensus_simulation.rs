//! The registry's consensus under network faults and a byzantine validator, in Commonware's
//! deterministic runtime and simulated network: four validators run the registry's own
//! engine wiring (`engine::start`: simplex, marshal, block broadcast, the finalizer,
//! transaction gossip) with its own execution and RocksDB state stores, over links that
//! delay and drop messages. Each run is seeded: a failure replays exactly.
//!
//! - Lossy links: the validators keep finalizing and agree block for block.
//! - A two-way partition (two against two): neither side has a quorum, so nothing is
//!   finalized; once it heals, all four finalize again and agree.
//! - A byzantine fourth validator that signs conflicting votes for everything it sees,
//!   that proposes blocks whose state root is wrong, or that sends garbage on every channel:
//!   the three honest ones keep finalizing, agree, and finalize no block of its.
//!
//! In every case each transaction a validator finalized is in every honest validator's
//! state afterwards: nothing acknowledged is lost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::simplex::types::Context;
use commonware_cryptography::{Digested, Digestible as _, Signer as _, ed25519, sha256};
use commonware_p2p::simulated::{self, Link, Oracle};
use commonware_p2p::{Manager as _, Recipients, Sender as _};
use commonware_runtime::{
    Clock, Metrics, Quota, Runner as _, Spawner, Supervisor as _, deterministic,
};
use commonware_utils::ordered::Set;
use commonware_utils::{NZUsize, Probability};
use execute_support::{Council, Holder, genesis_header, test_chain};
use rand::{RngExt as _, SeedableRng as _};
use realdid_core::codec::{Block, StateRoot, Transaction};
use realdid_registry::config::Tuning;
use realdid_registry::consensus::Scheme;
use realdid_registry::consensus::application::RegistryApp;
use realdid_registry::consensus::block::ChainBlock;
use realdid_registry::consensus::engine::{self, ActorsConfig, Channels};
use realdid_registry::node::mempool::LaneCapacities;
use realdid_registry::node::shared::Shared;
use realdid_registry::state::Store;

type Ctx = deterministic::Context;
type NetSender = simulated::Sender<ed25519::PublicKey, Ctx>;
type NetReceiver = simulated::Receiver<ed25519::PublicKey>;

const VALIDATORS: usize = 4;

/// How the fourth validator behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fourth {
    Honest,
    /// Signs a conflicting vote for every vote it receives (Commonware's own mock).
    Conflicting,
    /// Runs the engine, but every block it proposes carries a wrong state root.
    WrongStateRoot,
    /// Sends random bytes on every channel, and nothing else.
    Garbage,
}

/// A proposer whose blocks claim a state root their transactions do not give.
#[derive(Clone)]
struct WrongRoot(RegistryApp);

/// How many blocks with a wrong state root were proposed, so that the test knows the lie
/// was told.
static LIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl<E: Clock + Spawner + Metrics> commonware_consensus::Application<E> for WrongRoot {
    type SigningScheme = Scheme;
    type Context = Context<sha256::Digest, ed25519::PublicKey>;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        context: (E, Self::Context),
        ancestry: impl Ancestry<ChainBlock>,
        input: (),
    ) -> Option<Digested<ChainBlock>> {
        let honest = self.0.propose(context, ancestry, input).await?;
        let mut block = honest.inner().block().clone();
        block.header.state_root = StateRoot([0xBA; 32]);
        LIES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let block = ChainBlock::new(block);
        let digest = block.digest();
        Some(Digested::precomputed(block, digest))
    }

    async fn verify(
        &mut self,
        context: (E, Self::Context),
        ancestry: impl Ancestry<ChainBlock>,
    ) -> bool {
        self.0.verify(context, ancestry).await
    }
}

/// One validator's state and what it needs to run.
struct Validator {
    shared: Arc<Shared>,
    _dir: tempfile::TempDir,
}

/// A validator's six channels on the simulated network.
async fn channels(
    oracle: &Oracle<ed25519::PublicKey, Ctx>,
    key: &ed25519::PublicKey,
) -> Channels<NetSender, NetReceiver> {
    let control = oracle.control(key.clone());
    let quota = Quota::per_second(NonZeroU32::new(engine::MESSAGES_PER_SECOND).unwrap());
    let mut pairs = Vec::new();
    for channel in 0..6 {
        pairs.push(control.register(channel, quota).await.unwrap());
    }
    let mut pairs = pairs.into_iter();
    let mut next = || pairs.next().unwrap();
    Channels {
        votes: next(),
        certificates: next(),
        resolver: next(),
        broadcast: next(),
        backfill: next(),
        gossip: next(),
    }
}

fn link(success_percent: u64) -> Link {
    Link {
        latency: Duration::from_millis(40),
        jitter: Duration::from_millis(15),
        success_rate: Probability::new(success_percent, 100).unwrap(),
    }
}

/// Links every validator to every other both ways (again, after a partition).
async fn link_all(oracle: &Oracle<ed25519::PublicKey, Ctx>, keys: &[ed25519::PublicKey], l: &Link) {
    for a in keys {
        for b in keys {
            if a != b {
                // Already linked: the link stays as it is.
                let _ = oracle.add_link(a.clone(), b.clone(), l.clone()).await;
            }
        }
    }
}

/// The network, the validators and their keys of one run.
struct Net {
    oracle: Oracle<ed25519::PublicKey, Ctx>,
    keys: Vec<ed25519::PublicKey>,
    validators: Vec<Validator>,
}

/// Starts four validators (the fourth behaving as `fourth`) on a simulated network whose
/// links deliver `success_percent` of messages.
async fn start(context: &Ctx, fourth: Fourth, success_percent: u64) -> Net {
    let (network, oracle) = simulated::Network::new(
        context.child("network"),
        simulated::Config {
            max_size: engine::max_message_size(VALIDATORS).unwrap(),
            max_peers_per_set: NZUsize!(VALIDATORS),
            // A byzantine peer keeps its connections: it must be harmless, not cut off.
            disconnect_on_block: false,
            tracked_peer_sets: NZUsize!(1),
        },
    );
    network.start();
    let signers: Vec<ed25519::PrivateKey> = (0..VALIDATORS as u64)
        .map(ed25519::PrivateKey::from_seed)
        .collect();
    let keys: Vec<_> = signers.iter().map(|s| s.public_key()).collect();
    let participants = Set::from_iter_dedup(keys.iter().cloned());
    oracle.manager().track(0, participants.clone());
    link_all(&oracle, &keys, &link(success_percent)).await;
    let council = Council::new();
    let genesis = ChainBlock::new(Block {
        header: genesis_header(),
        transactions: Vec::new(),
    });
    let mut validators = Vec::new();
    for (i, signer) in signers.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state")).unwrap();
        store.genesis_init(&genesis.block().header).unwrap();
        let shared = Arc::new(Shared::new(
            store,
            council.governance.clone(),
            VALIDATORS,
            LaneCapacities::all(1_000),
            100,
            Tuning::default().pacing(),
        ));
        let net_channels = channels(&oracle, &keys[i]).await;
        let behaviour = if i == VALIDATORS - 1 {
            fourth
        } else {
            Fourth::Honest
        };
        let cfg = ActorsConfig {
            chain_id: test_chain(),
            signer: signer.clone(),
            participants: participants.clone(),
            genesis: genesis.clone(),
            leader_timeout: Duration::from_secs(1),
            storage_prefix: format!("v{i}_"),
        };
        let peers = (oracle.manager(), oracle.control(keys[i].clone()));
        let validator = context.child("validator").with_attribute("index", i);
        match behaviour {
            Fourth::Honest => {
                let app = RegistryApp::new(shared.clone());
                let shared = shared.clone();
                validator.spawn(move |ctx| async move {
                    let _ = engine::start(ctx, shared, cfg, net_channels, peers, app).await;
                });
            }
            Fourth::WrongStateRoot => {
                let app = WrongRoot(RegistryApp::new(shared.clone()));
                let shared = shared.clone();
                validator.spawn(move |ctx| async move {
                    let _ = engine::start(ctx, shared, cfg, net_channels, peers, app).await;
                });
            }
            Fourth::Conflicting => {
                let scheme = Scheme::signer(
                    &realdid_registry::consensus::namespace(&test_chain()),
                    participants.clone(),
                    signer,
                )
                .unwrap();
                commonware_consensus::simplex::mocks::conflicter::Conflicter::<_, _, sha256::Sha256>::new(
                    validator,
                    commonware_consensus::simplex::mocks::conflicter::Config { scheme },
                )
                .start(net_channels.votes);
            }
            Fourth::Garbage => {
                let Channels {
                    votes,
                    certificates,
                    resolver,
                    broadcast,
                    backfill,
                    gossip,
                } = net_channels;
                let mut senders = vec![
                    votes.0,
                    certificates.0,
                    resolver.0,
                    broadcast.0,
                    backfill.0,
                    gossip.0,
                ];
                validator.spawn(move |ctx| async move {
                    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6A5B);
                    loop {
                        ctx.sleep(Duration::from_millis(25)).await;
                        for sender in &mut senders {
                            let len = rng.random_range(0..2_048);
                            let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                            let _ = sender.send(Recipients::All, bytes, false);
                        }
                    }
                });
            }
        }
        validators.push(Validator { shared, _dir: dir });
    }
    Net {
        oracle,
        keys,
        validators,
    }
}

impl Net {
    /// The honest validators' finalized heights.
    fn heights(&self, honest: usize) -> Vec<u64> {
        self.validators[..honest]
            .iter()
            .map(|v| v.shared.store.finalized().map_or(0, |f| f.height))
            .collect()
    }

    /// Submits a DID creation to validator `i`'s pool; returns it.
    fn submit(&self, i: usize, now_ms: u64) -> Transaction {
        let (_, tx) = Holder::create();
        self.validators[i]
            .shared
            .admit(tx.clone(), now_ms)
            .unwrap()
            .unwrap();
        tx
    }

    /// Runs `seconds` of simulated time, submitting a DID creation to an honest validator
    /// every 200 ms; returns what was submitted.
    async fn load(&self, context: &Ctx, honest: usize, seconds: u64) -> Vec<Transaction> {
        let mut sent = Vec::new();
        for step in 0..seconds * 5 {
            let now = u64::try_from(
                context
                    .current()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_millis(),
            )
            .unwrap();
            sent.push(self.submit(step as usize % honest, now));
            context.sleep(Duration::from_millis(200)).await;
        }
        sent
    }

    /// Every honest validator holds the same block at every height they all finalized, and
    /// every transaction any of them finalized is in each one's blocks.
    fn agree(&self, honest: usize) {
        let common = *self.heights(honest).iter().min().unwrap();
        let mut finalized = std::collections::HashSet::new();
        for height in 1..=common {
            let headers: Vec<_> = self.validators[..honest]
                .iter()
                .map(|v| v.shared.store.header(height).unwrap().unwrap())
                .collect();
            assert!(
                headers.windows(2).all(|w| w[0] == w[1]),
                "the honest validators disagree at height {height}"
            );
        }
        for v in &self.validators[..honest] {
            let top = v.shared.store.finalized().unwrap().height;
            for height in 1..=top {
                for tx in v.shared.store.block(height).unwrap().unwrap().transactions {
                    finalized.insert(tx.hash());
                }
            }
        }
        for v in &self.validators[..honest] {
            let top = v.shared.store.finalized().unwrap().height;
            let mut mine = std::collections::HashSet::new();
            for height in 1..=top {
                for tx in v.shared.store.block(height).unwrap().unwrap().transactions {
                    mine.insert(tx.hash());
                }
            }
            let missing = finalized.difference(&mine).count();
            // A validator at a lower height may not have the newest block yet; it must have
            // everything up to the common height.
            if top == *self.heights(honest).iter().max().unwrap() {
                assert_eq!(missing, 0, "a finalized transaction is missing");
            }
        }
    }
}

/// Runs `scenario` in a deterministic runtime seeded with `seed`, with simulated time
/// starting after the genesis block's and a bound on how long it may run.
fn simulate<F, Fut>(seed: u64, scenario: F)
where
    F: FnOnce(Ctx) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let genesis_ms = genesis_header().timestamp_ms;
    let config = deterministic::Config::default()
        .with_seed(seed)
        .with_start_time(UNIX_EPOCH + Duration::from_millis(genesis_ms + 1_000))
        .with_timeout(Some(Duration::from_secs(600)));
    deterministic::Runner::new(config).start(scenario);
}

#[test]
fn validators_over_lossy_links_keep_finalizing_and_agree() {
    simulate(0xC0FFEE, |context| async move {
        let net = start(&context, Fourth::Honest, 90).await;
        let sent = net.load(&context, VALIDATORS, 15).await;
        context.sleep(Duration::from_secs(5)).await;
        let heights = net.heights(VALIDATORS);
        eprintln!("lossy links: heights {heights:?}");
        assert!(heights.iter().all(|h| *h >= 10), "{heights:?}");
        net.agree(VALIDATORS);
        // Everything submitted is final by now on the lossy network.
        let top = net.validators[0].shared.store.finalized().unwrap().height;
        let mut in_chain = std::collections::HashSet::new();
        for h in 1..=top {
            for tx in net.validators[0]
                .shared
                .store
                .block(h)
                .unwrap()
                .unwrap()
                .transactions
            {
                in_chain.insert(tx.hash());
            }
        }
        let final_count = sent
            .iter()
            .filter(|tx| in_chain.contains(&tx.hash()))
            .count();
        assert!(
            final_count * 10 >= sent.len() * 9,
            "{final_count} of {} final",
            sent.len()
        );
    });
}

#[test]
fn a_two_way_partition_halts_finality_and_healing_resumes_it() {
    simulate(0xDEC0DE, |context| async move {
        let net = start(&context, Fourth::Honest, 100).await;
        net.load(&context, VALIDATORS, 5).await;
        let before = net.heights(VALIDATORS);
        assert!(before.iter().all(|h| *h >= 3), "{before:?}");
        // {0, 1} | {2, 3}: no side holds the three votes a block needs.
        for a in 0..2 {
            for b in 2..4 {
                let (ka, kb) = (net.keys[a].clone(), net.keys[b].clone());
                net.oracle
                    .remove_link(ka.clone(), kb.clone())
                    .await
                    .unwrap();
                net.oracle.remove_link(kb, ka).await.unwrap();
            }
        }
        context.sleep(Duration::from_secs(2)).await;
        let cut = net.heights(VALIDATORS);
        net.load(&context, VALIDATORS, 15).await;
        let during = net.heights(VALIDATORS);
        assert_eq!(during, cut, "a side without a quorum finalized a block");
        net.agree(VALIDATORS);
        // Healed: all four finalize again and agree.
        link_all(&net.oracle, &net.keys, &link(100)).await;
        net.load(&context, VALIDATORS, 15).await;
        context.sleep(Duration::from_secs(5)).await;
        let after = net.heights(VALIDATORS);
        eprintln!("partition: {before:?} before, {during:?} while cut, {after:?} healed");
        let floor = during.iter().max().unwrap() + 5;
        assert!(after.iter().all(|h| *h >= floor), "{during:?} → {after:?}");
        net.agree(VALIDATORS);
    });
}

/// The three honest validators under a byzantine fourth.
fn byzantine(seed: u64, fourth: Fourth) {
    simulate(seed, move |context| async move {
        let net = start(&context, fourth, 100).await;
        net.load(&context, VALIDATORS - 1, 15).await;
        context.sleep(Duration::from_secs(5)).await;
        let heights = net.heights(VALIDATORS - 1);
        eprintln!("{fourth:?}: honest heights {heights:?}");
        assert!(heights.iter().all(|h| *h >= 10), "{fourth:?}: {heights:?}");
        if fourth == Fourth::WrongStateRoot {
            let lies = LIES.load(std::sync::atomic::Ordering::SeqCst);
            assert!(lies >= 3, "the liar led only {lies} times");
            eprintln!("{lies} blocks with a wrong state root proposed, none finalized");
        }
        net.agree(VALIDATORS - 1);
        // Every finalized block executes to the state root it claims: the honest stores
        // committed each one, and a block of the liar's never does.
        let v = &net.validators[0].shared.store;
        for h in 1..=v.finalized().unwrap().height {
            let header = v.header(h).unwrap().unwrap();
            assert_ne!(
                header.state_root,
                StateRoot([0xBA; 32]),
                "{fourth:?}: height {h}"
            );
        }
    });
}

#[test]
fn a_validator_signing_conflicting_votes_cannot_stop_or_split_the_others() {
    byzantine(0xB1, Fourth::Conflicting);
}

#[test]
fn a_validator_proposing_wrong_state_roots_cannot_stop_or_split_the_others() {
    byzantine(0xB2, Fourth::WrongStateRoot);
}

#[test]
fn a_validator_sending_garbage_cannot_stop_or_split_the_others() {
    byzantine(0xB3, Fourth::Garbage);
}
