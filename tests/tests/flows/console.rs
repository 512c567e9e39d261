//! The operator console as an operator uses it: the real `realdid tui` in a terminal (tmux),
//! keys sent and the screen read back, against a devnet under a light write load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use realdid_core::did::Purposes;
use realdid_proto::v1 as pb;
use realdid_tests::chain::{Devnet, create_did, submit, update_did};
use realdid_tests::realdid_binary;
use realdid_tests::terminal::{Terminal, height};

const SLOW: Duration = Duration::from_secs(90);

/// The newest block the chain view's live list shows.
fn newest_block(screen: &str) -> Option<u64> {
    let mut lines = screen.lines().skip_while(|l| !l.contains("height hash"));
    lines.next()?;
    let row = lines.next()?;
    let list = row.rsplit("││").next()?;
    list.trim_start_matches('│')
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The row of validator `index` in the chain view.
fn validator_row(screen: &str, index: usize) -> Option<&str> {
    screen.lines().find(|line| {
        line.trim_start_matches('│')
            .starts_with(&format!("{index} "))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_follows_the_chain_resolves_proven_and_shows_a_hung_validator_down() {
    let _serial = crate::serial().await;
    let mut net = Devnet::start(4);
    for i in 0..4 {
        net.wait_height(i, 1, SLOW).await;
    }
    // A light write load through node 3, all along (node 0 is stopped later).
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        let mut node3 = net.client(3).await;
        tokio::spawn(async move {
            while writing.load(Ordering::Relaxed) {
                let (tx, _) = create_did(Purposes::AUTHENTICATION);
                let _ = submit(&mut node3, &tx).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let console = Terminal::start(&format!(
        "{} tui --devnet {}",
        realdid_binary().display(),
        net.layout.dir().display()
    ));

    // The chain view, live: the height rises between two looks.
    let first = console
        .wait_for("a height", |s| height(s).is_some_and(|h| h > 0))
        .await;
    let before = height(&first).unwrap();
    let later = console
        .wait_for("the height rising", |s| {
            height(s).is_some_and(|h| h >= before + 2)
        })
        .await;
    assert!(later.contains("4/4 nodes up"), "{later}");

    // Enter opens the newest block: its transactions by kind, and its certificate checked.
    console.keys(&["Enter"]);
    console
        .wait_for("the block opened", |s| {
            s.contains("transactions") && s.contains("final")
        })
        .await;
    console.keys(&["Escape"]);
    console
        .wait_for("the block closed", |s| !s.contains("Esc closes"))
        .await;

    // `?` opens the help, Escape closes it.
    console.type_text("?");
    console
        .wait_for("the help", |s| s.contains("command line (commands below)"))
        .await;
    console.keys(&["Escape"]);
    console
        .wait_for("the help closed", |s| {
            !s.contains("command line (commands below)")
        })
        .await;

    // A DID written now, and then updated, resolves proven with its document and both
    // versions, the first read proven where it was applied.
    let (tx, holder) = create_did(Purposes::AUTHENTICATION);
    let mut node1 = net.client(1).await;
    assert!(matches!(
        submit(&mut node1, &tx).await,
        pb::submit_transaction_response::Result::Finalized(_)
    ));
    let (update, _) = update_did(&holder, &holder.key);
    assert!(matches!(
        submit(&mut node1, &update).await,
        pb::submit_transaction_response::Result::Finalized(_)
    ));
    let did = holder.state.did.to_string();
    console.type_text(&format!(":resolve {did}"));
    console.keys(&["Enter"]);
    let resolved = console
        .wait_for("the DID resolved with its versions", |s| {
            s.contains("against the genesis validators")
                && s.contains(&format!("\"id\": \"{did}\""))
                && s.contains("versions v2 h")
        })
        .await;
    assert!(resolved.contains("proven at height"), "{resolved}");
    assert!(
        resolved.contains("+key-2") && resolved.contains("created: key-1"),
        "{resolved}"
    );
    // The update, found by its hash, opens its block at it.
    console.type_text(&format!(":tx {}", hex::encode(update.hash().0)));
    console.keys(&["Enter"]);
    console
        .wait_for("the block holding the update", |s| {
            s.contains("the transaction looked for is #") && s.contains("DID update")
        })
        .await;
    console.keys(&["Escape"]);

    // Validator 0 hangs (the most advanced node of the lowest index, so the one whose block
    // stream the console follows): the chain view shows its node and it down, and both
    // the nodes' height and the live blocks keep moving, the stream taken from another node.
    // It hangs (SIGSTOP) rather than exits: a hung node closes no connection and sends no
    // error, so only its silence tells.
    console.type_text("1");
    let hung = net.supervisor.pid(0).expect("node 0 runs").to_string();
    let signal = |name: &str| {
        let sent = std::process::Command::new("kill")
            .args([name, &hung])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill {name} {hung}");
    };
    signal("-STOP");
    let down = console
        .wait_for("validator 0 down", |s| {
            validator_row(s, 0).is_some_and(|row| row.contains("DOWN"))
                && s.contains("3/4 nodes up")
        })
        .await;
    let at = height(&down).unwrap();
    let moving = console
        .wait_for(
            "the height and the blocks rising without validator 0",
            |s| {
                height(s).is_some_and(|h| h >= at + 2)
                    && newest_block(s).is_some_and(|h| h >= at + 2)
            },
        )
        .await;
    for i in 1..4 {
        let row = validator_row(&moving, i).unwrap_or_default();
        assert!(row.contains("UP"), "validator {i}: {row}\n{moving}");
    }
    signal("-CONT");

    // `q` quits: the terminal's only program ends.
    console.type_text("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while console.alive() {
        assert!(
            Instant::now() < deadline,
            "q did not quit:\n{}",
            console.screen()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    writing.store(false, Ordering::Relaxed);
    writer.await.unwrap();
    net.supervisor.stop_all(Duration::from_secs(5)).unwrap();
}

/// Governors sign a proposal file from the console, each with their own key file, and
/// submit it once it holds a quorum: the decision is final and the register shows it,
/// proven.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governors_sign_and_submit_a_proposal_from_the_console() {
    use realdid_registry_client::gateway::RegistryGateway;
    use realdid_registry_client::light_client::LightClient;

    let shared = crate::shared_devnet::shared_devnet().await;
    let net = &shared.net;
    let issuer = realdid_tests::issuer::holder_did(net).await;
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    std::fs::create_dir(&proposals).unwrap();
    let proposed = std::process::Command::new(realdid_binary())
        .args(["governance", "propose", "--genesis"])
        .arg(net.layout.genesis_path())
        .arg("--out")
        .arg(proposals.join("accredit.json"))
        .args(["accredit", "--issuer", issuer.state.did.as_str()])
        .args(["--name", "Console Test Issuer"])
        .args([
            "--credential-type",
            "https://realdid.example/credentials/console",
        ])
        .output()
        .unwrap();
    assert!(proposed.status.success(), "{proposed:?}");

    let console = Terminal::start(&format!(
        "{} tui --genesis {} --registry {} --proposals {}",
        realdid_binary().display(),
        net.layout.genesis_path().display(),
        net.endpoints().join(","),
        proposals.display()
    ));
    console.type_text("3");
    console
        .wait_for("the proposal listed", |s| {
            s.contains("accredit.json") && s.contains("0 of 2")
        })
        .await;
    let keys = net.layout.governance_key_files();
    for (signed, key) in ["1 of 2", "2 of 2"].into_iter().zip(keys) {
        console.type_text(&format!(":sign accredit.json {}", key.display()));
        console.keys(&["Enter"]);
        console
            .wait_for("the question, naming the decision", |s| {
                s.contains("sign accredit.json (") && s.contains("y confirms")
            })
            .await;
        console.type_text("y");
        console
            .wait_for("the approval counted", |s| s.contains(signed))
            .await;
    }
    console.type_text(":submit accredit.json");
    console.keys(&["Enter"]);
    console
        .wait_for("the submit question", |s| {
            s.contains("submit accredit.json (")
        })
        .await;
    console.type_text("y");
    console
        .wait_for("the decision final", |s| {
            s.contains("accredit.json: final at height")
        })
        .await;
    // The register names the new issuer: the console finds and reads it unasked.
    console
        .wait_for("the new issuer, found through the register", |s| {
            s.contains("Console Test Issuer") && s.contains("register: ")
        })
        .await;

    let gateway = RegistryGateway::new(
        &net.endpoints(),
        LightClient::for_genesis(net.layout.genesis()),
    )
    .unwrap();
    let entry = gateway
        .accreditation(&issuer.state.did)
        .await
        .unwrap()
        .expect("accredited, proven");
    assert_eq!(entry.name, "Console Test Issuer");
}
