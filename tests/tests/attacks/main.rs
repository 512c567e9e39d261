//! Attacks on the running system, each performed end to end against real processes and
//! sockets, each refused. docs/SECURITY.md lists every attack, the test here that performs
//! it, and the guarantee it backs.
//!
//! The tests of this binary run one at a time (each starts its own devnet, and two devnets
//! at once would starve each other on a small machine): every test holds [`serial`] for its
//! whole run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod big_blocks;
mod burnt_requests;
mod cross_provider;
mod crowding;
mod db_copy;
mod fake_authority;
mod holder_loops;
mod issuer_flood;
mod linkable_times;
mod recovery;
mod server_bounds;
mod stale_approvals;
mod stale_reads;
mod trace_subject;
mod unproven_receipts;

use tokio::sync::{Mutex, MutexGuard};

/// Held by every test of this binary for its whole run. (An async lock: each test has its own
/// runtime, and a test that failed releases it like one that passed.)
async fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::const_new(());
    SERIAL.lock().await
}
