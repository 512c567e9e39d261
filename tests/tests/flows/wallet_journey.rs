//! The citizen's journey, every party its own process: `realdid devnet` (4 validators, the
//! reference authority, the issuer, a verifier replica with its requests in the real
//! Redis), a second verifier replica sharing that Redis, and the wallet CLI, run once per
//! step like a person would. Two providers each learn only what they asked for, under
//! DIDs and subject ids that cannot be linked; a lost device's wallet is restored and
//! recovered, and presenting works again; a suspension stops the next presentation; and the
//! devnet, stopped with SIGTERM or killed with SIGKILL, leaves no process of its own behind.
//!
//! The journeys share one `realdid devnet` ([`wallet_devnet`]), each with a wallet and a
//! person of its own, and run beside each other. The test that stops that devnet holds it
//! alone while it does; a journey that comes after starts it again from its directory.
//! Unlike the issuer's and the verifier's shared devnet it is not paused while other turns
//! run: its tests are the last of the binary to run (libtest runs them by name).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use realdid::supervisor::supervised;
use realdid_issuer::authority::dataset::Person;
use realdid_proto::tls::ClientTls;
use realdid_registry::devnet::DevnetLayout;
use realdid_tests::{lasting, realdid_binary};
use realdid_verifier::client::ProviderClient;
use realdid_verifier::config::VerifierConfig;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::{FailureReason, Outcome, Verified};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::{Turn, TurnGuard};

/// A child process stopped (SIGINT, then SIGKILL) when dropped.
struct Running(Child);

impl Running {
    /// Sends `signal` and waits up to `patience` for the exit; whether it exited.
    fn signal_and_wait(&mut self, signal: &str, patience: Duration) -> bool {
        let _ = Command::new("kill")
            .args([signal, &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends SIGTERM, as a service manager would, and waits up to 30 s for the exit.
    fn terminate(mut self) {
        assert!(
            self.signal_and_wait("-TERM", Duration::from_secs(30)),
            "realdid devnet did not exit within 30 s of SIGTERM"
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        // SIGINT first: `realdid devnet` stops its nodes, issuer and verifier on it.
        if !self.signal_and_wait("-INT", Duration::from_secs(10)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The processes whose command line names `dir`: a devnet's nodes, authority, issuer and
/// verifier all run from their directories under it.
fn processes_under(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|line| line.contains(&needle))
        .collect()
}

/// `realdid devnet` in `dir` with `args`, its errors appended to `dir`'s sibling
/// `devnet.log`; marked to be killed when the thread spawning it exits.
fn devnet_command(dir: &Path, args: &[&str]) -> Command {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.with_extension("log"))
        .unwrap();
    let mut command = Command::new(realdid_binary());
    supervised(&mut command)
        .args(["devnet", "--dir"])
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(log);
    command
}

/// Waits until the devnet `child` in `dir` says it is up.
fn until_up(mut child: Child, dir: &Path) -> Running {
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("The devnet is up") {
                let _ = tx.send(());
            }
        }
    });
    if let Err(e) = rx.recv_timeout(Duration::from_secs(300)) {
        let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
        panic!("the devnet did not come up within 5 minutes ({e}):\n{log}");
    }
    running
}

/// The journeys' devnet: `realdid devnet` and a second verifier replica, their endpoints,
/// and what a citizen and the providers know of it.
struct WalletDevnet {
    dir: PathBuf,
    devnet: Running,
    replica: Running,
    /// The devnet's verifier replica.
    first: String,
    /// The second replica.
    second: String,
    issuer: String,
    /// What its clients trust: its CA (`realdid devnet` speaks TLS).
    tls: ClientTls,
    people: Vec<Person>,
    bank_did: String,
    shop_did: String,
}

/// The journeys' devnet while one runs, `None` before the first journey and after a test
/// stopped it.
static WALLET_DEVNET: RwLock<Option<WalletDevnet>> = RwLock::const_new(None);

impl WalletDevnet {
    /// Starts it in its directory (made the first time, kept for the test process), from the
    /// keeper thread: its processes live until it is stopped or the test process exits.
    async fn start() -> Self {
        static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
        let dir = ROOT
            .get_or_init(|| lasting::dir("wallet-devnet"))
            .path()
            .join("devnet");
        let mut command = devnet_command(&dir, &[]);
        let child = lasting::on_keeper(move || command.spawn())
            .await
            .expect("realdid devnet starts");
        let devnet = until_up(child, &dir);
        let layout = DevnetLayout::load(&dir).unwrap();
        let scheme = layout.scheme();
        let (replica, second) = second_replica(&dir, scheme).await;
        let first = format!(
            "{scheme}://{}",
            VerifierConfig::load(&dir.join("verifier").join("verifier.toml"))
                .unwrap()
                .grpc_listen
        );
        let issuer_config =
            realdid_issuer::config::IssuerConfig::load(&dir.join("issuer").join("issuer.toml"))
                .unwrap();
        let people = serde_json::from_str(
            &std::fs::read_to_string(dir.join("authority").join("people.json")).unwrap(),
        )
        .unwrap();
        Self {
            issuer: format!("{scheme}://{}", issuer_config.grpc_listen),
            tls: layout.client_tls(),
            people,
            bank_did: provider_did(&dir, "bank"),
            shop_did: provider_did(&dir, "shop"),
            first,
            second,
            replica,
            devnet,
            dir,
        }
    }

    /// The client of provider `name` (the bank or the shop) on replica `endpoint`.
    async fn provider(&self, name: &str, endpoint: &str) -> ProviderClient {
        let token =
            std::fs::read_to_string(self.dir.join("verifier").join(format!("{name}-token")))
                .unwrap();
        ProviderClient::connect_with(endpoint.to_owned(), token.trim(), &self.tls)
            .await
            .unwrap()
    }
}

/// The journeys' devnet, started if no test has yet (or again, after a test stopped it),
/// with the caller's turn on the machine.
async fn wallet_devnet() -> (TurnGuard, RwLockReadGuard<'static, WalletDevnet>) {
    let turn = Turn::Shared("wallet").take().await;
    let running = WALLET_DEVNET.read().await;
    if running.is_some() {
        return (turn, RwLockReadGuard::map(running, |w| w.as_ref().unwrap()));
    }
    drop(running);
    let mut starting = WALLET_DEVNET.write().await;
    if starting.is_none() {
        *starting = Some(WalletDevnet::start().await);
    }
    let running = starting.downgrade();
    (turn, RwLockReadGuard::map(running, |w| w.as_ref().unwrap()))
}

/// The journeys' devnet for a test that stops it: no journey runs on it until the test
/// ends, and the next one starts it again.
async fn wallet_devnet_to_stop() -> (
    TurnGuard,
    RwLockWriteGuard<'static, Option<WalletDevnet>>,
    WalletDevnet,
) {
    let turn = Turn::Shared("wallet").take().await;
    let mut held = WALLET_DEVNET.write().await;
    let devnet = match held.take() {
        Some(devnet) => devnet,
        None => WalletDevnet::start().await,
    };
    (turn, held, devnet)
}

/// A second verifier replica: the devnet's configuration on another port, the same Redis,
/// prefix, subject secret and certificate; started from the keeper thread like the devnet.
/// Its endpoint, of `scheme`.
async fn second_replica(dir: &Path, scheme: &str) -> (Running, String) {
    let first = dir.join("verifier").join("verifier.toml");
    let second = dir.join("verifier").join("verifier-2.toml");
    if !second.exists() {
        let mut text = std::fs::read_to_string(&first).unwrap();
        assert!(
            text.contains("redis_url"),
            "the devnet's verifier uses Redis (scripts/setup.sh starts one)"
        );
        // Every port of its own: the replica listens beside the first.
        let config = VerifierConfig::load(&first).unwrap();
        for taken in std::iter::once(config.grpc_listen).chain(config.metrics_listen) {
            let free = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            text = text.replace(&taken.to_string(), &free.to_string());
        }
        std::fs::write(&second, text).unwrap();
    }
    let listen = VerifierConfig::load(&second).unwrap().grpc_listen;
    let log_path = dir.join("verifier").join("verifier-2.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut command = Command::new(realdid_binary());
    supervised(&mut command)
        .args(["verifier", "--config"])
        .arg(&second)
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let mut child = Running(lasting::on_keeper(move || command.spawn()).await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(listen).is_err() {
        let exited = child.0.try_wait().unwrap();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "the second replica does not listen on {listen} ({exited:?}):\n{}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, format!("{scheme}://{listen}"))
}

/// The wallet CLI on one wallet file.
struct WalletCli {
    wallet: PathBuf,
    passphrase: PathBuf,
    devnet: PathBuf,
}

impl WalletCli {
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(realdid_binary())
            .arg("wallet")
            .arg("--wallet")
            .arg(&self.wallet)
            .arg("--passphrase-file")
            .arg(&self.passphrase)
            .args(args)
            .env_remove("REALDID_WALLET_PASSPHRASE")
            .output()
            .unwrap();
        eprintln!(
            "$ realdid wallet {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "realdid wallet {args:?} failed");
        String::from_utf8(out.stdout).unwrap()
    }

    fn with_registry<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = args.to_vec();
        all.extend(["--devnet", self.devnet.to_str().unwrap()]);
        all
    }
}

/// The DID of the devnet's provider `name`, which signs its requests.
fn provider_did(dir: &Path, name: &str) -> String {
    realdid_verifier::provider::load_keys(&dir.join("verifier").join(format!("{name}-keys.json")))
        .unwrap()
        .did()
        .to_string()
}

fn spec(claims: &[&str], predicates: &[&str]) -> RequestSpec {
    RequestSpec {
        claims: claims.iter().map(|c| (*c).to_owned()).collect(),
        predicates: predicates.iter().map(|c| (*c).to_owned()).collect(),
        purpose: "the journey test".into(),
        expiry_seconds: 120,
        credential_types: vec![],
    }
}

/// The provider asks on the replica `asks` is connected to; the wallet reads the request by
/// its URI, checks it against the provider's DID, and sends the answer where the provider
/// signed (that replica); the provider reads the verdict back through `reads` (`None`: the
/// wallet sent nothing).
async fn try_present(
    wallet: &WalletCli,
    asks: &ProviderClient,
    reads: &ProviderClient,
    spec: &RequestSpec,
) -> (Output, Option<Outcome>) {
    let request = asks.clone().create_request(spec).await.unwrap();
    let out = wallet.run(&wallet.with_registry(&[
        "present",
        "--request-uri",
        &request.request_uri,
        "--yes",
    ]));
    match reads.clone().result(&request.request_id).await {
        Ok(verdict) => (out, Some(verdict)),
        Err(realdid_verifier::VerifierError::NotFound(_)) => (out, None),
        Err(e) => panic!("reading the verdict: {e}"),
    }
}

/// [`try_present`], when the wallet must have sent an answer.
async fn present(
    wallet: &WalletCli,
    asks: &ProviderClient,
    reads: &ProviderClient,
    spec: &RequestSpec,
) -> (Output, Outcome) {
    let (out, verdict) = try_present(wallet, asks, reads, spec).await;
    (out, verdict.expect("the wallet sent a presentation"))
}

fn verified(outcome: Outcome) -> Verified {
    match outcome {
        Outcome::Verified(v) => v,
        Outcome::Failed(f) => panic!("refused: {f:?}"),
    }
}

/// A citizen with a new wallet, sealed under a passphrase, in a directory of the test's.
fn new_wallet(root: &Path, devnet: &WalletDevnet) -> WalletCli {
    std::fs::write(root.join("pass"), "a citizen's passphrase\n").unwrap();
    let wallet = WalletCli {
        wallet: root.join("phone").join("wallet"),
        passphrase: root.join("pass"),
        devnet: devnet.dir.clone(),
    };
    wallet.ok(&["create", "--kdf-memory-mib", "19"]);
    wallet
}

/// Enrols `person` into `wallet` with two provider DIDs (the bank's and the shop's), created
/// on the registry on demand.
fn enrol(wallet: &WalletCli, devnet: &WalletDevnet, person: &Person) -> String {
    wallet.ok(&wallet.with_registry(&[
        "enrol",
        "--issuer",
        &devnet.issuer,
        "--name",
        &person.full_name,
        "--resident-id",
        &person.resident_id,
        "--evidence",
        &person.evidence_token,
        "--provider",
        &devnet.bank_did,
        "--provider",
        &devnet.shop_did,
    ]))
}

/// The wallet's DIDs, one per provider.
fn dids(wallet: &WalletCli) -> Vec<String> {
    let listed = wallet.ok(&["did", "list"]);
    let dids: Vec<String> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert_eq!(dids.len(), 2, "one DID per provider: {listed}");
    dids
}

/// The DID that answered `audience`, from the wallet's log.
fn answered_as(log: &str, audience: &str) -> String {
    log.lines()
        .find(|l| l.contains(&format!("to {audience} ")))
        .and_then(|l| l.split(" as ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_owned()
}

fn age_over_18() -> RequestSpec {
    spec(&[], &["age_over_18"])
}

/// Selective disclosure and unlinkability are the point of the system: a provider that asks
/// for a predicate learns no claim, one that asks for a claim learns no predicate, and the
/// two see different DIDs and subject ids, so they cannot tell they serve one citizen; the
/// same provider does recognise the citizen again. The bank asks on replica 2 and reads the
/// verdict on replica 1: the replicas share the requests through Redis.
#[tokio::test(flavor = "multi_thread")]
async fn providers_learn_only_what_they_asked_and_cannot_link_the_citizen() {
    let (_turn, devnet) = wallet_devnet().await;
    let root = tempfile::tempdir().unwrap();
    let wallet = new_wallet(root.path(), &devnet);
    enrol(&wallet, &devnet, &devnet.people[7]);
    let dids = dids(&wallet);
    assert_ne!(dids[0], dids[1]);

    let bank = devnet.provider("bank", &devnet.first).await;
    let bank_2 = devnet.provider("bank", &devnet.second).await;
    let (out, outcome) = present(&wallet, &bank_2, &bank, &age_over_18()).await;
    assert!(out.status.success());
    let a = verified(outcome);
    assert!(
        a.claims.is_empty(),
        "the bank asked for no claim: {:?}",
        a.claims
    );
    assert_eq!(a.predicates, vec!["age_over_18".to_owned()]);

    // The shop asks for the province only.
    let shop = devnet.provider("shop", &devnet.first).await;
    let (out, outcome) = present(&wallet, &shop, &shop, &spec(&["province"], &[])).await;
    assert!(out.status.success());
    let b = verified(outcome);
    assert_eq!(b.claims.keys().collect::<Vec<_>>(), vec!["province"]);
    assert!(b.predicates.is_empty());

    // Unlinkable: different subject ids, and each provider saw a different DID (the
    // wallet's log says which DID answered whom).
    assert_ne!(a.subject_id, b.subject_id);
    let log = wallet.ok(&["log"]);
    assert_ne!(
        answered_as(&log, &devnet.bank_did),
        answered_as(&log, &devnet.shop_did)
    );
    assert!(log.contains("disclosed [age_over_18]") && log.contains("disclosed [province]"));

    // The same person presenting to the bank again gets the same subject id.
    let (_, again) = present(&wallet, &bank_2, &bank, &age_over_18()).await;
    assert_eq!(verified(again).subject_id, a.subject_id);
}

/// A lost phone must not cost a citizen their identity, nor leave the lost keys in control:
/// a backup restored on a new device brings back DIDs, credentials and the log; recovering
/// each DID with its recovery key replaces the lost device keys, so the old credentials can
/// no longer be key-bound and the wallet says so, sending nothing; enrolling again binds new
/// credentials, and the bank still knows the citizen by the same subject id, even through a
/// replica that cached the DID with its lost key.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_phone_restored_and_recovered_presents_again_under_the_same_subject_id() {
    let (_turn, devnet) = wallet_devnet().await;
    let root = tempfile::tempdir().unwrap();
    let wallet = new_wallet(root.path(), &devnet);
    let person = &devnet.people[8];
    enrol(&wallet, &devnet, person);
    let dids = dids(&wallet);
    let bank = devnet.provider("bank", &devnet.first).await;
    let bank_2 = devnet.provider("bank", &devnet.second).await;
    let shop = devnet.provider("shop", &devnet.first).await;
    // Replica 2 now caches the bank DID's state, with the key about to be lost.
    let (_, outcome) = present(&wallet, &bank_2, &bank, &age_over_18()).await;
    let subject_id = verified(outcome).subject_id;
    let (_, outcome) = present(&wallet, &shop, &shop, &spec(&["province"], &[])).await;
    verified(outcome);

    std::fs::write(root.path().join("backup-pass"), "the backup passphrase\n").unwrap();
    let backup = root.path().join("wallet.backup");
    wallet.ok(&[
        "backup",
        "--to",
        backup.to_str().unwrap(),
        "--backup-passphrase-file",
        root.path().join("backup-pass").to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(root.path().join("phone")).unwrap();
    let new_phone = WalletCli {
        wallet: root.path().join("new-phone").join("wallet"),
        passphrase: root.path().join("pass"),
        devnet: devnet.dir.clone(),
    };
    let restored = new_phone.ok(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--backup-passphrase-file",
        root.path().join("backup-pass").to_str().unwrap(),
    ]);
    assert!(
        restored.contains("2 DIDs, 2 credentials, 2 log entries"),
        "{restored}"
    );
    for did in &dids {
        new_phone.ok(&new_phone.with_registry(&["did", "recover", did]));
    }
    // The old credentials are bound to the lost key: the wallet has nothing it can
    // key-bind, and says so, sending nothing.
    let (out, outcome) = try_present(&new_phone, &bank, &bank, &age_over_18()).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("enrol again"));
    assert!(outcome.is_none());
    enrol(&new_phone, &devnet, person);
    // Replica 2 may still cache the DID with its lost key: a cached state that does not
    // authorise the credential's key is read again before anything is refused.
    let (out, outcome) = present(&new_phone, &bank_2, &bank, &age_over_18()).await;
    assert!(out.status.success());
    assert_eq!(
        verified(outcome).subject_id,
        subject_id,
        "the same DID, the same subject id"
    );
}

/// A citizen who suspects misuse must be able to stop their credential at once, themselves:
/// within the verifier's status cache bound (5 s on the devnet) the next presentation is
/// refused as suspended, and the wallet says so.
#[tokio::test(flavor = "multi_thread")]
async fn a_suspension_stops_the_next_presentation() {
    let (_turn, devnet) = wallet_devnet().await;
    let root = tempfile::tempdir().unwrap();
    let wallet = new_wallet(root.path(), &devnet);
    enrol(&wallet, &devnet, &devnet.people[9]);
    let bank = devnet.provider("bank", &devnet.first).await;
    let (_, outcome) = present(&wallet, &bank, &bank, &age_over_18()).await;
    verified(outcome);

    let log = wallet.ok(&["log"]);
    let bank_holder_did = answered_as(&log, &devnet.bank_did);
    wallet.ok(&wallet.with_registry(&[
        "suspend",
        "--issuer",
        &devnet.issuer,
        "--did",
        &bank_holder_did,
    ]));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (out, outcome) = present(&wallet, &bank, &bank, &age_over_18()).await;
        match outcome {
            Outcome::Failed(f) if f.reason == FailureReason::Suspended => {
                assert!(!out.status.success());
                assert!(String::from_utf8_lossy(&out.stderr).contains("SUSPENDED"));
                break;
            }
            Outcome::Verified(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => panic!("expected SUSPENDED within 30 s, got {other:?}"),
        }
    }
}

/// A citizen who was traced finds it in their own wallet's log, from the chain, once the
/// disclosure delay has ended: every party of the trace works with its own key and command
/// (the officer, two approvers), and the wallet recognises the disclosure by the tag only it
/// can compute, for its traced DID and no other.
#[tokio::test(flavor = "multi_thread")]
async fn a_traced_citizen_finds_the_trace_in_the_wallet_log() {
    let (_turn, devnet) = wallet_devnet().await;
    let root = tempfile::tempdir().unwrap();
    let wallet = new_wallet(root.path(), &devnet);
    enrol(&wallet, &devnet, &devnet.people[12]);
    let traces = |wallet: &WalletCli| -> Vec<serde_json::Value> {
        let log: serde_json::Value =
            serde_json::from_str(&wallet.ok(&wallet.with_registry(&["--json", "log"]))).unwrap();
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "trace")
            .cloned()
            .collect()
    };
    assert!(traces(&wallet).is_empty(), "nothing traced yet");

    let dir = &devnet.dir;
    let at = |name: &str| root.path().join(name).display().to_string();
    let ca = dir.join("tls").join("ca.pem").display().to_string();
    let layout = DevnetLayout::load(dir).unwrap();
    let registry: Vec<String> = layout.nodes().iter().map(|n| n.grpc_endpoint()).collect();
    let registry = registry.join(",");
    let genesis = layout.genesis_path().display().to_string();
    let cli = |args: &[&str]| {
        let out = Command::new(realdid_binary()).args(args).output().unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let ok = |args: &[&str]| {
        let (code, text) = cli(args);
        assert_eq!(code, Some(0), "realdid {args:?}: {text}");
        text
    };
    let bank_did = answered_as_provider(&wallet, &devnet.bank_did);
    let password = dir
        .join("issuer")
        .join("operator-password")
        .display()
        .to_string();
    ok(&[
        "issuer",
        "login",
        "--endpoint",
        &devnet.issuer,
        "--tls-ca",
        &ca,
        "--operator",
        "officer",
        "--password-file",
        &password,
        "--session-file",
        &at("session"),
    ]);
    ok(&["issuer", "officer-key", "--out", &at("officer.key.json")]);
    ok(&[
        "issuer",
        "trace",
        "create",
        "--endpoint",
        &devnet.issuer,
        "--tls-ca",
        &ca,
        "--session-file",
        &at("session"),
        "--did",
        &bank_did,
        "--legal-basis",
        "Court order 2026-9",
        "--case-reference",
        "CASE-9",
        "--officer-key",
        &at("officer.key.json"),
        "--out",
        &at("request.json"),
    ]);
    let trace_id = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(at("request.json")).unwrap(),
    )
    .unwrap()["trace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approver = |i: usize| {
        dir.join("approvers")
            .join(format!("approver-{i}.key.json"))
            .display()
            .to_string()
    };
    for i in [1, 2] {
        ok(&[
            "approver",
            "approve",
            "--endpoint",
            &devnet.issuer,
            "--tls-ca",
            &ca,
            "--request",
            &at("request.json"),
            "--key",
            &approver(i),
            "--yes",
        ]);
    }
    let open = [
        "issuer",
        "trace",
        "open",
        "--endpoint",
        &devnet.issuer,
        "--tls-ca",
        &ca,
        "--session-file",
        &at("session"),
        "--officer-key",
        &at("officer.key.json"),
        "--trace-id",
        &trace_id,
        "--genesis",
        &genesis,
        "--registry",
        &registry,
    ];
    let (code, _) = cli(&open);
    assert_eq!(code, Some(2), "anchored, nothing released yet");
    for i in [1, 2] {
        ok(&[
            "approver",
            "release",
            "--endpoint",
            &devnet.issuer,
            "--tls-ca",
            &ca,
            "--request",
            &at("request.json"),
            "--key",
            &approver(i),
            "--genesis",
            &genesis,
            "--registry",
            &registry,
        ]);
    }
    ok(&open);

    // The issuer discloses the opening once its delay (2 s on the devnet) has ended.
    let deadline = Instant::now() + Duration::from_secs(60);
    let found = loop {
        let found = traces(&wallet);
        if !found.is_empty() || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["did"], bank_did.as_str(), "{found:?}");
    assert_eq!(found[0]["approvals"], 2, "{found:?}");
    assert!(
        found[0]["disclosed_height"].as_u64().unwrap()
            >= found[0]["anchored_height"].as_u64().unwrap()
    );
    // Another citizen's wallet, enrolled by the same issuer, sees nothing of it.
    let other_root = tempfile::tempdir().unwrap();
    let other = new_wallet(other_root.path(), &devnet);
    enrol(&other, &devnet, &devnet.people[13]);
    assert!(
        traces(&other).is_empty(),
        "another wallet recognises the trace"
    );
}

/// A service manager stops the devnet with SIGTERM: it must stop everything it started
/// (nodes, authority, issuer, verifier), or their ports and data directories stay taken.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_the_devnet_and_everything_it_started() {
    let (_turn, _alone, devnet) = wallet_devnet_to_stop().await;
    let WalletDevnet {
        dir,
        devnet,
        replica,
        ..
    } = devnet;
    drop(replica);
    assert!(
        !processes_under(&dir).is_empty(),
        "the devnet's processes are found"
    );
    devnet.terminate();
    let left = processes_under(&dir);
    assert!(left.is_empty(), "still running after SIGTERM: {left:?}");
}

/// The README's first command ends in the devnet's demo, the citizen journey told from each
/// party's side. Its lawful-trace step prints one line that operators and scripts rely on,
/// its numbers read back from the chain by a proven read; the journey must reach it (and
/// the steps after it) and the devnet must then say it is up.
#[tokio::test(flavor = "multi_thread")]
async fn the_devnet_demo_reaches_its_proven_trace_line() {
    let _alone = crate::serial().await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let mut child = devnet_command(&dir, &["--demo"])
        .spawn()
        .expect("realdid devnet --demo starts");
    let stdout = child.stdout.take().unwrap();
    let mut devnet = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let up = line.contains("The devnet is up");
            lines.push(line);
            if up {
                let _ = tx.send(lines);
                return;
            }
        }
        let _ = tx.send(lines);
    });
    let lines = rx
        .recv_timeout(Duration::from_secs(400))
        .expect("the demo finishes within 400 s");
    devnet.signal_and_wait("-TERM", Duration::from_secs(30));
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    assert!(
        lines.last().is_some_and(|l| l.contains("The devnet is up")),
        "the demo stopped early:\n{}\n{log}",
        lines.join("\n")
    );
    let trace: Vec<&String> = lines
        .iter()
        .filter(|l| l.trim_start().starts_with("trace opened:"))
        .collect();
    assert_eq!(trace.len(), 1, "{}", lines.join("\n"));
    let words: Vec<&str> = trace[0].split_whitespace().collect();
    // trace opened: audit anchor <seq> at height <h>, <k> of <n> approvals, proven
    assert_eq!(words.len(), 13, "{}", trace[0]);
    assert_eq!(
        (
            words[..4].join(" "),
            words[5],
            words[6],
            words[9],
            words[11],
            words[12]
        ),
        (
            "trace opened: audit anchor".to_owned(),
            "at",
            "height",
            "of",
            "approvals,",
            "proven"
        ),
        "{}",
        trace[0]
    );
    assert!(words[4].parse::<u64>().unwrap() >= 1, "{}", trace[0]);
    assert!(words[7].trim_end_matches(',').parse::<u64>().unwrap() > 0);
    assert_eq!(
        (words[8], words[10]),
        ("2", "3"),
        "2 of the devnet's 3 approvers"
    );
    // The citizen's wallet then finds that very opening on chain by its own tag, and anyone
    // can count the issuer's openings.
    let found = format!(
        "the wallet finds it on chain by its own tag: audit anchor {} ",
        words[4]
    );
    let all = lines.join("\n");
    assert!(lines.iter().any(|l| l.contains(&found)), "{all}");
    let counted = "anyone can count, proven: the issuer opened 1 record(s), 1 disclosed";
    assert!(lines.iter().any(|l| l.contains(counted)), "{all}");
}

/// A devnet killed outright (SIGKILL, the OOM killer, a crashed terminal) has no chance to
/// stop what it started: the processes it supervises must go with it on their own, or they
/// keep its ports and data directories. (A 1-validator devnet of its own: this test kills
/// it.)
#[tokio::test(flavor = "multi_thread")]
async fn a_devnet_killed_with_sigkill_takes_every_process_it_started_with_it() {
    let _alone = crate::serial().await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let child = devnet_command(&dir, &["--validators", "1"])
        .spawn()
        .expect("realdid devnet starts");
    let mut devnet = until_up(child, &dir);
    let started = processes_under(&dir);
    assert!(
        started.len() >= 5,
        "the devnet, its node, authority, issuer and verifier: {started:?}"
    );
    devnet.0.kill().unwrap();
    devnet.0.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_under(&dir);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after the devnet was killed: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The wallet's DID for provider `provider`.
fn answered_as_provider(wallet: &WalletCli, provider: &str) -> String {
    let listed: serde_json::Value =
        serde_json::from_str(&wallet.ok(&["--json", "did", "list"])).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["provider"] == provider)
        .and_then(|d| d["did"].as_str())
        .unwrap()
        .to_owned()
}
