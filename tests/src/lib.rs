//! Helpers of the end-to-end tests: finding the `realdid` binary and running it as a separate
//! process, the way users and operators do.
// This crate exists only to support tests: a failed expectation is how a test fails.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod chain;
pub mod fuzz;
pub mod issuer;
pub mod lasting;
pub mod redis;
pub mod stub_registry;
pub mod terminal;
pub mod verifier;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The system clock, Unix seconds: what the services under test stamp their times with.
pub fn unix_s() -> i64 {
    unix_ms() / 1000
}

/// The system clock, Unix milliseconds.
pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The `realdid` binary built in the same target directory as this test.
///
/// `scripts/test.sh` builds it before running the tests; `REALDID_BIN` overrides the path.
pub fn realdid_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REALDID_BIN") {
        return PathBuf::from(path);
    }
    // The test executable is <target>/<profile>/deps/<test>-<hash>; the binary is
    // <target>/<profile>/realdid.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let bin = profile_dir.join("realdid");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p realdid` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// Runs `realdid <args>` and returns its output.
pub fn realdid(args: &[&str]) -> Output {
    let bin = realdid_binary();
    Command::new(&bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}

/// `GET url` over plain HTTP (`http://host:port/path`), as a scraper or a resolver client
/// sends it: the whole answer, status line first.
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.trim_start_matches("http://");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("writing to {addr}: {e}"));
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .unwrap_or_else(|e| panic!("reading from {addr}: {e}"));
    answer
}

/// Kills `child`, if there is one (SIGKILL: nothing is flushed), and waits until it is gone.
pub fn kill_and_wait(child: &mut Option<std::process::Child>) {
    if let Some(mut child) = child.take() {
        let _ = child.kill();
        let _ = child.wait();
    }
}
