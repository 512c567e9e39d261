//! The supervisor of `realdid devnet`'s processes, with a stand-in for the `realdid` binary:
//! what it starts, how it stops, kills and restarts them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use realdid::supervisor::Supervisor;
use realdid_registry::devnet::generate;

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A stand-in for the `realdid` binary: runs `setup`, prints its arguments, then sleeps.
fn fake_node(root: &Path, setup: &str) -> PathBuf {
    let exe = root.join("fake-realdid");
    std::fs::write(
        &exe,
        format!("#!/bin/sh\n{setup}\necho \"args: $*\"\nexec sleep 1000\n"),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    exe
}

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn supervisor_starts_kills_restarts_and_stops() {
    let root = tempfile::tempdir().unwrap();
    let layout = generate(&root.path().join("devnet"), 4, None).unwrap();
    let exe = fake_node(root.path(), "");
    let mut supervisor = Supervisor::start_all(&exe, &layout).unwrap();
    assert_eq!(supervisor.len(), 4);
    for i in 0..4 {
        assert!(supervisor.is_running(i).unwrap());
    }

    // Each node runs `<exe> node --config <its config>` with its output in its log.
    let node = &layout.nodes()[1];
    let expected = format!("args: node --config {}", node.config_path().display());
    wait_until("node-1's output", || {
        std::fs::read_to_string(node.log_path())
            .unwrap()
            .contains(&expected)
    });

    // kill -9 and restart.
    let first = supervisor.pid(1).unwrap();
    supervisor.kill(1).unwrap();
    assert!(!supervisor.is_running(1).unwrap());
    assert_eq!(supervisor.pid(1), None);
    assert!(!process_exists(first));
    supervisor.restart(1).unwrap();
    let second = supervisor.pid(1).unwrap();
    assert_ne!(first, second);
    wait_until("node-1's second start", || {
        std::fs::read_to_string(node.log_path())
            .unwrap()
            .matches("=== supervisor: starting")
            .count()
            == 2
    });

    // A graceful stop (sleep exits on SIGTERM).
    supervisor.stop(2, Duration::from_secs(5)).unwrap();
    assert!(!supervisor.is_running(2).unwrap());
    assert!(supervisor.exited().is_empty());

    // A node that exits on its own is reported once.
    let pid3 = supervisor.pid(3).unwrap();
    std::process::Command::new("kill")
        .arg("-9")
        .arg(pid3.to_string())
        .status()
        .unwrap();
    let mut exits = Vec::new();
    wait_until("node-3's exit", || {
        exits.extend(supervisor.exited());
        !exits.is_empty()
    });
    assert_eq!(exits.len(), 1);
    assert_eq!(exits[0].0, 3);
    assert!(!exits[0].1.success());

    let pids: Vec<u32> = (0..4).filter_map(|i| supervisor.pid(i)).collect();
    assert_eq!(pids.len(), 2);
    drop(supervisor);
    for pid in pids {
        assert!(!process_exists(pid), "pid {pid} still running after drop");
    }
}

#[test]
fn supervisor_kills_a_node_that_ignores_sigterm() {
    let root = tempfile::tempdir().unwrap();
    let layout = generate(&root.path().join("devnet"), 1, None).unwrap();
    let exe = fake_node(root.path(), "trap '' TERM");
    let mut supervisor = Supervisor::start_all(&exe, &layout).unwrap();
    let log = layout.nodes()[0].log_path().to_owned();
    wait_until("the node to start", || {
        std::fs::read_to_string(&log).unwrap().contains("args:")
    });
    let pid = supervisor.pid(0).unwrap();
    let started = Instant::now();
    supervisor.stop(0, Duration::from_millis(300)).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(!process_exists(pid));

    // A missing executable is an error naming it.
    let mut broken = Supervisor::new(root.path().join("absent"), &layout);
    let error = broken.start(0).unwrap_err().to_string();
    assert!(error.contains("absent"), "{error}");
}
