//! The citizen's journey, every party its own process: `realdid devnet` (4 validators, the
//! reference authority, the issuer, a verifier replica with its requests in the real
//! Redis), a second verifier replica sharing that Redis, and the wallet CLI, run once per
//! step like a person would. Two providers each learn only what they asked for, under
//! DIDs and subject ids that cannot be linked; the device is lost and the wallet restored
//! and recovered, and presenting works again; a suspension stops the next presentation.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use realdid_issuer::authority::dataset::Person;
use realdid_tests::realdid_binary;
use realdid_verifier::client::ProviderClient;
use realdid_verifier::config::VerifierConfig;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::{FailureReason, Outcome, Verified};

/// A child process killed (with its own children, by process group) when dropped.
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
            std::thread::sleep(Duration::from_millis(100));
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

/// Starts `realdid devnet` and waits until it says it is up.
fn devnet(dir: &Path) -> Running {
    let mut child = Command::new(realdid_binary())
        .args(["devnet", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("realdid devnet starts");
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
    rx.recv_timeout(Duration::from_secs(300))
        .expect("the devnet comes up within 5 minutes");
    running
}

/// A second verifier replica: the devnet's configuration on another port, the same Redis,
/// prefix and subject secret.
fn second_replica(dir: &Path) -> (Running, String) {
    let first = dir.join("verifier").join("verifier.toml");
    let text = std::fs::read_to_string(&first).unwrap();
    assert!(
        text.contains("redis_url"),
        "the devnet's verifier uses Redis (scripts/setup.sh starts one)"
    );
    let config = VerifierConfig::load(&first).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let second = dir.join("verifier").join("verifier-2.toml");
    std::fs::write(
        &second,
        text.replace(&config.grpc_listen.to_string(), &port.to_string()),
    )
    .unwrap();
    let child = Command::new(realdid_binary())
        .args(["verifier", "--config"])
        .arg(&second)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Running(child), format!("http://{port}"))
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

async fn provider(dir: &Path, name: &str, endpoint: &str) -> ProviderClient {
    let token =
        std::fs::read_to_string(dir.join("verifier").join(format!("{name}-token"))).unwrap();
    ProviderClient::connect(endpoint.to_owned(), token.trim())
        .await
        .unwrap()
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

#[tokio::test(flavor = "multi_thread")]
async fn the_citizen_journey_across_processes() {
    let _serial = crate::serial().await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("devnet");
    let devnet = devnet(&dir);
    let (replica, second) = second_replica(&dir);
    let first = format!(
        "http://{}",
        VerifierConfig::load(&dir.join("verifier").join("verifier.toml"))
            .unwrap()
            .grpc_listen
    );
    let issuer_config =
        realdid_issuer::config::IssuerConfig::load(&dir.join("issuer").join("issuer.toml"))
            .unwrap();
    let issuer = format!("http://{}", issuer_config.grpc_listen);
    let people: Vec<Person> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("authority").join("people.json")).unwrap(),
    )
    .unwrap();
    let person = &people[7];
    let bank_did = provider_did(&dir, "bank");
    let shop_did = provider_did(&dir, "shop");

    // A wallet, sealed under a passphrase.
    std::fs::write(root.path().join("pass"), "a citizen's passphrase\n").unwrap();
    let wallet = WalletCli {
        wallet: root.path().join("phone").join("wallet"),
        passphrase: root.path().join("pass"),
        devnet: dir.clone(),
    };
    wallet.ok(&["create", "--kdf-memory-mib", "19"]);

    // Enrolment with two provider DIDs, created on the registry on demand.
    let enrol = |w: &WalletCli| {
        w.ok(&w.with_registry(&[
            "enrol",
            "--issuer",
            &issuer,
            "--name",
            &person.full_name,
            "--resident-id",
            &person.resident_id,
            "--evidence",
            &person.evidence_token,
            "--provider",
            &bank_did,
            "--provider",
            &shop_did,
        ]))
    };
    enrol(&wallet);
    let listed = wallet.ok(&["did", "list"]);
    let dids: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(dids.len(), 2, "one DID per provider: {listed}");
    assert_ne!(dids[0], dids[1]);

    // Provider A (the bank) asks for age_over_18 only, on replica 2, which is where the
    // answer goes; the verdict is read back on replica 1 (the shared Redis holds it).
    let bank = provider(&dir, "bank", &first).await;
    let bank_2 = provider(&dir, "bank", &second).await;
    let (out, outcome) = present(&wallet, &bank_2, &bank, &spec(&[], &["age_over_18"])).await;
    assert!(out.status.success());
    let a = verified(outcome);
    assert!(
        a.claims.is_empty(),
        "the bank asked for no claim: {:?}",
        a.claims
    );
    assert_eq!(a.predicates, vec!["age_over_18".to_owned()]);

    // Provider B (the shop) asks for the province only.
    let shop = provider(&dir, "shop", &first).await;
    let (out, outcome) = present(&wallet, &shop, &shop, &spec(&["province"], &[])).await;
    assert!(out.status.success());
    let b = verified(outcome);
    assert_eq!(b.claims.keys().collect::<Vec<_>>(), vec!["province"]);
    assert!(b.predicates.is_empty());

    // Unlinkable: different subject ids, and each provider saw a different DID (the
    // wallet's log says which DID answered whom).
    assert_ne!(a.subject_id, b.subject_id);
    let log = wallet.ok(&["log"]);
    let as_did = |aud: &str| {
        log.lines()
            .find(|l| l.contains(&format!("to {aud} ")))
            .and_then(|l| l.split(" as ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .unwrap()
            .to_owned()
    };
    assert_ne!(as_did(&bank_did), as_did(&shop_did));
    assert!(log.contains("disclosed [age_over_18]") && log.contains("disclosed [province]"));

    // The same person presenting to the bank again gets the same subject id. (Replica 2
    // now caches the bank DID's state, with the key about to be lost.)
    let (_, again) = present(&wallet, &bank_2, &bank, &spec(&[], &["age_over_18"])).await;
    assert_eq!(verified(again).subject_id, a.subject_id);

    // The phone is lost. A backup restored on a new device brings back DIDs, credentials
    // and the log; recovering each DID with its recovery key replaces the lost device keys
    // (the old keys no longer control anything); enrolling again binds new credentials.
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
        devnet: dir.clone(),
    };
    let restored = new_phone.ok(&[
        "restore",
        "--from",
        backup.to_str().unwrap(),
        "--backup-passphrase-file",
        root.path().join("backup-pass").to_str().unwrap(),
    ]);
    assert!(
        restored.contains("2 DIDs, 2 credentials, 3 log entries"),
        "{restored}"
    );
    for did in &dids {
        new_phone.ok(&new_phone.with_registry(&["did", "recover", did]));
    }
    // The old credentials are bound to the lost key: the wallet has nothing it can
    // key-bind, and says so, sending nothing.
    let (out, outcome) = try_present(&new_phone, &bank, &bank, &spec(&[], &["age_over_18"])).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("enrol again"));
    assert!(outcome.is_none());
    enrol(&new_phone);
    // Replica 2 may still cache the DID with its lost key: a cached state that does not
    // authorise the credential's key is read again before anything is refused.
    let (out, outcome) = present(&new_phone, &bank_2, &bank, &spec(&[], &["age_over_18"])).await;
    assert!(out.status.success());
    assert_eq!(
        verified(outcome).subject_id,
        a.subject_id,
        "the same DID, the same subject id"
    );

    // The citizen suspends the bank DID's credential; within the verifier's status cache
    // bound (5 s on the devnet) the next presentation is refused as suspended.
    let bank_holder_did = as_did(&bank_did);
    new_phone.ok(&["suspend", "--issuer", &issuer, "--did", &bank_holder_did]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (out, outcome) = present(&new_phone, &bank, &bank, &spec(&[], &["age_over_18"])).await;
        match outcome {
            Outcome::Failed(f) if f.reason == FailureReason::Suspended => {
                assert!(!out.status.success());
                assert!(String::from_utf8_lossy(&out.stderr).contains("SUSPENDED"));
                break;
            }
            Outcome::Verified(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            other => panic!("expected SUSPENDED within 30 s, got {other:?}"),
        }
    }

    // SIGTERM, as a service manager sends it, stops the devnet and everything it started.
    drop(replica);
    assert!(
        !processes_under(&dir).is_empty(),
        "the devnet's processes are found"
    );
    devnet.terminate();
    let left = processes_under(&dir);
    assert!(left.is_empty(), "still running after SIGTERM: {left:?}");
}
