//! One devnet for the issuer's and the verifier's tests: 4 validators (real processes, real
//! RocksDB), the reference identity authority and an accredited issuer on real sockets, and
//! two verifier replicas sharing the real Redis. Started by the first test that asks, it runs
//! until the test process exits.
//!
//! It lives on [`realdid_tests::lasting`]'s thread and runtime, not on a test's: each test
//! has a runtime of its own that ends with it. Its nodes are started from the keeper thread,
//! so that they are killed when the test process exits (and not before); its issuer,
//! authority and replicas serve on the lasting runtime. Tests reach them from their own
//! runtimes through clients they make themselves.
//!
//! While tests of another turn run (see [`crate::Turn`]), its nodes are stopped where they
//! are (SIGSTOP): an idle devnet still makes blocks, and the processor time it takes slowed
//! the devnets of those tests by seconds. The next test that asks for it continues them and
//! waits for a block made after that, so that nothing reads a state older than a reader
//! accepts.
//!
//! Nothing here may be changed by one test under another's feet. A test that changes what
//! others rely on (the issuer's clock, its key, its accreditation, its status lists, its
//! traces and audit anchors; a replica's clock; a Redis) starts an issuer or a replica of its
//! own on this devnet ([`own_issuer`], [`realdid_tests::verifier::start_verifier`]), on its
//! own runtime, dropped with it. (A verifier that reads a status list and its anchor while
//! the issuer changes them refuses as unavailable: nobody revokes or suspends on the shared
//! issuer.) The shared issuer's people are shared out: the issuer's tests enrol people 0 to
//! 9, the verifier's tests people 10 to 20, the service-fault tests people 21 to 29, each
//! person in one test only.

use std::ops::Deref;
use std::time::Duration;

use realdid_issuer::provision::IDENTITY_VCT;
use realdid_tests::chain::{Devnet, Holder};
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::lasting;
use realdid_tests::verifier::{VerifierReplica, start_verifier};
use tokio::sync::{Mutex, OnceCell};

use crate::{Turn, TurnGuard};

/// The turn of the tests on the shared devnet.
const TURN: Turn = Turn::Shared("issuer and verifier");

/// People in the shared issuer's register.
const RESIDENTS: usize = 40;
/// How long the replicas cache what they read from the chain and the status lists.
pub const CACHE: Duration = Duration::from_millis(500);
/// The Redis the replicas keep their requests in.
pub const REDIS: &str = "redis://127.0.0.1:6379";

/// The shared devnet, its issuer and its verifier replicas.
#[derive(Debug)]
pub struct Shared {
    /// The validators.
    pub net: Devnet,
    /// The accredited issuer, with its authority.
    pub issuer: IssuerStack,
    /// Two replicas of one verifier: the same Redis, prefix and subject secret.
    pub replicas: [VerifierReplica; 2],
    /// Their key prefix in Redis, unique to this test process.
    pub redis_prefix: String,
    /// Whether its nodes are stopped (SIGSTOP) while another turn runs; held by a test that
    /// continues them until a block is made.
    paused: Mutex<bool>,
}

impl Shared {
    /// Stops its nodes where they are, unless they are.
    fn pause(&self) {
        // Nobody holds the lock between turns.
        if let Ok(mut paused) = self.paused.try_lock()
            && !*paused
        {
            self.signal_nodes("-STOP");
            *paused = true;
        }
    }

    /// Continues its nodes if they are stopped, and waits until every one has made a block
    /// since.
    async fn resume(&self) {
        let mut paused = self.paused.lock().await;
        if !*paused {
            return;
        }
        self.signal_nodes("-CONT");
        let within = Duration::from_secs(60);
        let now = self.net.wait_height(0, 0, within).await.height;
        for i in 0..self.net.layout.nodes().len() {
            self.net.wait_height(i, now + 1, within).await;
        }
        *paused = false;
    }

    fn signal_nodes(&self, signal: &str) {
        let pids: Vec<String> = (0..self.net.layout.nodes().len())
            .filter_map(|i| self.net.supervisor.pid(i))
            .map(|pid| pid.to_string())
            .collect();
        let sent = std::process::Command::new("kill")
            .arg(signal)
            .args(&pids)
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {signal} {pids:?} failed");
    }
}

/// The shared devnet, once started (or its failure).
static SHARED: OnceCell<Result<Shared, String>> = OnceCell::const_new();

/// Called when `turn` begins: stops the shared devnet's nodes unless it is their turn.
pub fn turn_begins(turn: Turn) {
    if turn != TURN
        && let Some(Ok(shared)) = SHARED.get()
    {
        shared.pause();
    }
}

/// The shared devnet, for as long as the test holding it runs.
#[derive(Debug)]
pub struct OnSharedDevnet {
    _turn: TurnGuard,
    shared: &'static Shared,
}

impl Deref for OnSharedDevnet {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        self.shared
    }
}

/// The shared devnet, started if this is the first test to ask; the caller's turn on the
/// machine is held with it.
pub async fn shared_devnet() -> OnSharedDevnet {
    let turn = TURN.take().await;
    // A devnet that failed to start fails every test that needs it, with the reason, rather
    // than being started again by each.
    let shared = SHARED.get_or_init(start).await;
    match shared {
        Ok(shared) => {
            shared.resume().await;
            OnSharedDevnet {
                _turn: turn,
                shared,
            }
        }
        Err(reason) => panic!("the shared devnet did not start: {reason}"),
    }
}

/// Starts the devnet from the keeper thread and its issuer and replicas on the lasting
/// runtime; a panic on the way is returned as its message.
async fn start() -> Result<Shared, String> {
    let started = tokio::spawn(async {
        // The nodes die with the thread that spawns them: the keeper's, which lasts.
        let net = lasting::on_keeper(|| {
            Devnet::start_in(
                lasting::dir("devnet"),
                4,
                &realdid_registry::devnet::devnet_tuning(),
            )
        })
        .await;
        lasting::run(async move {
            for i in 0..4 {
                net.wait_height(i, 1, Duration::from_secs(90)).await;
            }
            let issuer = IssuerStack::start_in(lasting::dir("issuer"), &net, RESIDENTS, 1).await;
            let redis_prefix = format!("realdid-test-{}:", std::process::id());
            let replica = || start_verifier(&net, Some(REDIS), &redis_prefix, IDENTITY_VCT, CACHE);
            let replicas = [replica().await, replica().await];
            Shared {
                net,
                issuer,
                replicas,
                redis_prefix,
                paused: Mutex::new(false),
            }
        })
        .await
    });
    started.await.map_err(|e| match e.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "it panicked".into()),
        Err(e) => e.to_string(),
    })
}

/// An issuer of the calling test's own on `net` (20 people, a disclosure delay of
/// `disclosure_delay_seconds`), accredited like the shared one; it stops with the test.
pub async fn own_issuer(net: &Devnet, disclosure_delay_seconds: u32) -> IssuerStack {
    IssuerStack::start(net, 20, disclosure_delay_seconds).await
}

/// `n` holder DIDs, put on `net`'s chain together (in one block rather than one block each).
pub async fn holders(net: &Devnet, n: usize) -> Vec<Holder> {
    futures::future::join_all((0..n).map(|_| holder_did(net))).await
}
