//! The system end to end, part by part and as a whole: the registry chain (with a validator
//! crashed and restarted), the issuer, the verifier, the citizen's journey through the CLI,
//! and the CLI's offline commands. One binary, so that the dependencies are linked once.
//!
//! The tests that start a devnet run one at a time (two devnets at once would starve each
//! other on a small machine): each holds [`serial`] for its whole run. The others run beside
//! them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_core;
mod issuer_flow;
mod organisations;
mod registry_chain;
mod registry_crash;
mod verifier_flow;
mod verifier_stale_did;
mod wallet_journey;

use tokio::sync::{Mutex, MutexGuard};

/// Held by every test of this binary that starts a devnet, for its whole run. (An async
/// lock: each test has its own runtime, and a test that failed releases it like one that
/// passed.)
async fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::const_new(());
    SERIAL.lock().await
}
