//! Crash safety of the registry chain: validators SIGKILLed while transactions flow come
//! back and agree with the others; a validator whose state directory is damaged refuses to
//! start with a message instead of serving a diverging state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use realdid_core::did::Purposes;
use realdid_proto::v1 as pb;
use realdid_registry_client::light_client::LightClient;
use realdid_tests::chain::{Devnet, create_did, resolve, submit};
use realdid_tests::realdid_binary;

const SLOW: Duration = Duration::from_secs(90);

/// Creates DIDs through `node`, one after another, until `writing` is cleared; returns
/// each one the node acknowledged as final, with the height its receipt named.
async fn write_until_stopped(
    mut node: realdid_proto::v1::registry_client::RegistryClient<tonic::transport::Channel>,
    writing: Arc<AtomicBool>,
) -> Vec<(realdid_core::did::RealDid, u64)> {
    let mut acknowledged = Vec::new();
    while writing.load(Ordering::Relaxed) {
        let (tx, holder) = create_did(Purposes::AUTHENTICATION);
        if let pb::submit_transaction_response::Result::Finalized(receipt) =
            submit(&mut node, &tx).await
        {
            acknowledged.push((holder.state.did, receipt.height));
        }
    }
    acknowledged
}

/// Starts [`write_until_stopped`] through node 0: the flag that stops it, and the task
/// that returns what was acknowledged.
async fn writing_through_node_0(
    net: &Devnet,
) -> (
    Arc<AtomicBool>,
    tokio::task::JoinHandle<Vec<(realdid_core::did::RealDid, u64)>>,
) {
    let writing = Arc::new(AtomicBool::new(true));
    let writer = tokio::spawn(write_until_stopped(net.client(0).await, writing.clone()));
    (writing, writer)
}

/// Waits until every node has caught up with node 0, then checks that all hold the same
/// block (state root included) at the tip and that node `failed` proves every write in
/// `acknowledged` at the height its receipt named: zero lost.
async fn all_agree_and_nothing_is_lost(
    net: &Devnet,
    failed: usize,
    acknowledged: &[(realdid_core::did::RealDid, u64)],
) {
    let tip = net.wait_height(0, 0, SLOW).await.height;
    let mut blocks = Vec::new();
    for i in 0..net.layout.nodes().len() {
        net.wait_height(i, tip, SLOW).await;
        let mut node = net.client(i).await;
        blocks.push(
            node.get_block(pb::GetBlockRequest { height: tip })
                .await
                .unwrap()
                .into_inner()
                .block,
        );
    }
    assert!(
        blocks.windows(2).all(|w| w[0] == w[1]),
        "the nodes disagree at height {tip}"
    );
    let light = LightClient::for_genesis(net.layout.genesis());
    let mut node = net.client(failed).await;
    for (did, height) in acknowledged {
        let answer = resolve(&mut node, did, None).await;
        let (_, record) = light.verify_did(did, &answer.proof.unwrap()).unwrap();
        let record = record.unwrap_or_else(|| panic!("{did}, final at {height}, is lost"));
        assert_eq!(record.created_height, *height);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_validators_catch_up_and_damaged_state_refuses_to_start() {
    let _serial = crate::serial().await;
    let mut net = Devnet::running(4, &realdid_registry::devnet::devnet_tuning()).await;
    let light = LightClient::for_genesis(net.layout.genesis());

    // Writes keep flowing through node 0 while node 1 is killed and restarted twice.
    let (writing, writer) = writing_through_node_0(&net).await;
    let mut node0 = net.client(0).await;
    for pause in [700u64, 1300] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        net.supervisor.kill(1).unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        net.supervisor.start(1).unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    writing.store(false, Ordering::Relaxed);
    let dids: Vec<_> = writer
        .await
        .unwrap()
        .into_iter()
        .map(|(did, _)| did)
        .collect();
    assert!(
        !dids.is_empty(),
        "no write was finalized while a validator was crashing"
    );

    // Node 1 catches up: the same block at node 0's height, and every DID written
    // meanwhile proven from node 1's own state.
    let tip = node0
        .get_chain_status(pb::GetChainStatusRequest {})
        .await
        .unwrap()
        .into_inner()
        .height;
    net.wait_height(1, tip, SLOW).await;
    let mut node1 = net.client(1).await;
    let b0 = node0
        .get_block(pb::GetBlockRequest { height: tip })
        .await
        .unwrap()
        .into_inner();
    let b1 = node1
        .get_block(pb::GetBlockRequest { height: tip })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(b0.block, b1.block, "node 1 diverged at height {tip}");
    for did in &dids {
        let answer = resolve(&mut node1, did, None).await;
        let (_, record) = light
            .verify_did(did, &answer.proof.unwrap())
            .expect("node 1's proof verifies");
        assert!(
            record.is_some(),
            "{did} missing on node 1 after its crashes"
        );
    }

    // Node 2's state directory is damaged while it is down: it refuses to start.
    net.supervisor.kill(2).unwrap();
    let state = net.layout.nodes()[2].dir().join("data").join("state");
    let current = std::fs::read_to_string(state.join("CURRENT")).unwrap();
    std::fs::write(state.join(current.trim()), b"not a rocksdb manifest").unwrap();
    let config = net.layout.nodes()[2].config_path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(realdid_binary())
            .args(["node", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(3),
        "a damaged node must stop with the status that says restarting cannot help: {stderr}"
    );
    assert!(
        stderr.contains("storage") || stderr.contains("damaged"),
        "the refusal does not say what is wrong: {stderr}"
    );
    net.supervisor.stop_all(Duration::from_secs(5)).unwrap();
}

/// A validator that hangs (SIGSTOP: it sends nothing and answers nothing, as if cut off
/// from the others) for a minute under a steady write load, then comes back: the other
/// three keep finalizing, no acknowledged write is lost, the hung one catches up, and all
/// four hold the same blocks, state roots included, afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_validator_under_load_loses_nothing_and_all_agree_afterwards() {
    let _serial = crate::serial().await;
    let mut net = Devnet::running(4, &realdid_registry::devnet::devnet_tuning()).await;
    let (writing, writer) = writing_through_node_0(&net).await;
    let signal = |name: &str, pid: u32| {
        let sent = std::process::Command::new("kill")
            .args([name, &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill {name} {pid}");
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hung = net.supervisor.pid(2).expect("node 2 runs");
    let before = net.wait_height(0, 0, SLOW).await.height;
    signal("-STOP", hung);
    tokio::time::sleep(Duration::from_secs(60)).await;
    let during = net.wait_height(0, 0, SLOW).await.height;
    signal("-CONT", hung);
    assert!(
        during > before + 3,
        "the other three did not keep finalizing: {before} → {during}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    writing.store(false, Ordering::Relaxed);
    let acknowledged = writer.await.unwrap();
    // A load, one write after another, each waiting for finality (slower while a leader
    // in four is hung): how many is the machine's business; none may be lost.
    eprintln!("{} writes acknowledged around the hang", acknowledged.len());
    assert!(acknowledged.len() >= 5, "{} writes", acknowledged.len());

    // Node 2 catches up; all agree, and every acknowledged write is proven on node 2.
    all_agree_and_nothing_is_lost(&net, 2, &acknowledged).await;
    net.supervisor.stop_all(Duration::from_secs(5)).unwrap();
}

/// A validator whose disk fills under load must stop, not vote or serve from a state it
/// could not write, and must recover once there is room. The full disk is simulated without
/// privileges: node 3's file size limit (RLIMIT_FSIZE) is lowered to zero while it runs, so
/// that every write that would grow a file fails (EFBIG; the node turns the SIGXFSZ that
/// would otherwise kill it into that error), as on a full disk (ENOSPC). The consensus
/// engine refuses to vote without persisting the vote and stops the process, which exits by
/// itself with a failure status or an abort (the log, on the same full disk, cannot take
/// the message).
/// The other three keep finalizing; node 3, started again with room, catches up, agrees on
/// the tip, and proves every acknowledged write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_whose_disk_fills_stops_cleanly_and_recovers() {
    let _serial = crate::serial().await;
    let mut net = Devnet::running(4, &realdid_registry::devnet::devnet_tuning()).await;
    let (writing, writer) = writing_through_node_0(&net).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let full = net.supervisor.pid(3).expect("node 3 runs");
    let limited = std::process::Command::new("prlimit")
        .args(["--pid", &full.to_string(), "--fsize=0"])
        .status()
        .unwrap();
    assert!(limited.success(), "prlimit");
    let before = net.wait_height(0, 0, SLOW).await.height;
    // Node 3 stops by itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some((_, status)) = net.supervisor.exited().into_iter().find(|(i, _)| *i == 3) {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node 3 still runs on a full disk\n{}",
            net.log_tail(3)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    {
        use std::os::unix::process::ExitStatusExt as _;
        // By itself: a failure status, or an abort (a panic whose message the full disk
        // could not take), but not the file size signal, nor a kill.
        eprintln!("node 3 stopped on the full disk: {status:?}");
        const SIGKILL: i32 = 9;
        const SIGXFSZ: i32 = 25;
        assert!(
            !status.success() && !matches!(status.signal(), Some(SIGKILL | SIGXFSZ)),
            "node 3 must stop by itself, with a failure status: {status:?}\n{}",
            net.log_tail(3)
        );
    }
    let during = net.wait_height(0, before + 3, SLOW).await.height;
    assert!(during > before, "the other three stopped too");
    // Room again: node 3 starts, catches up and agrees.
    net.supervisor.start(3).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    writing.store(false, Ordering::Relaxed);
    let acknowledged = writer.await.unwrap();
    all_agree_and_nothing_is_lost(&net, 3, &acknowledged).await;
    net.supervisor.stop_all(Duration::from_secs(5)).unwrap();
}
