//! The operator console as an operator uses it: the real `realdid tui` in a terminal (tmux),
//! keys sent and the screen read back, against a devnet under a light write load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use realdid_core::did::Purposes;
use realdid_proto::v1 as pb;
use realdid_tests::chain::{Devnet, create_did, submit};
use realdid_tests::realdid_binary;
use realdid_tests::terminal::{Terminal, height};

const SLOW: Duration = Duration::from_secs(90);

/// The row of validator `index` in the chain view.
fn validator_row(screen: &str, index: usize) -> Option<&str> {
    screen.lines().find(|line| {
        line.trim_start_matches('│')
            .starts_with(&format!("{index} "))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_follows_the_chain_resolves_proven_and_shows_a_stopped_validator_down() {
    let _serial = crate::serial().await;
    let mut net = Devnet::start(4);
    for i in 0..4 {
        net.wait_height(i, 1, SLOW).await;
    }
    // A light write load through node 0, all along.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = writing.clone();
        let mut node0 = net.client(0).await;
        tokio::spawn(async move {
            while writing.load(Ordering::Relaxed) {
                let (tx, _) = create_did(Purposes::AUTHENTICATION);
                let _ = submit(&mut node0, &tx).await;
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
        .wait_for("the block closed", |s| !s.contains("Esc or Enter closes"))
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

    // A DID written now resolves, proven, with its document.
    let (tx, holder) = create_did(Purposes::AUTHENTICATION);
    let mut node1 = net.client(1).await;
    assert!(matches!(
        submit(&mut node1, &tx).await,
        pb::submit_transaction_response::Result::Finalized(_)
    ));
    let did = holder.state.did.to_string();
    console.type_text(&format!(":resolve {did}"));
    console.keys(&["Enter"]);
    let resolved = console
        .wait_for("the DID resolved", |s| {
            s.contains("against the genesis validators")
                && s.contains(&format!("\"id\": \"{did}\""))
        })
        .await;
    assert!(resolved.contains("proven at height"), "{resolved}");

    // Validator 3 stops: the chain view shows its node and it down, and keeps moving.
    console.type_text("1");
    net.supervisor.stop(3, Duration::from_secs(5)).unwrap();
    let down = console
        .wait_for("validator 3 down", |s| {
            validator_row(s, 3).is_some_and(|row| row.contains("DOWN"))
                && s.contains("3/4 nodes up")
        })
        .await;
    let at = height(&down).unwrap();
    let moving = console
        .wait_for("the height rising without validator 3", |s| {
            height(s).is_some_and(|h| h >= at + 2)
        })
        .await;
    for i in 0..3 {
        let row = validator_row(&moving, i).unwrap_or_default();
        assert!(row.contains("UP"), "validator {i}: {row}\n{moving}");
    }

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
