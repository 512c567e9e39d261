//! The system end to end, part by part and as a whole: the registry chain (with a validator
//! crashed and restarted), the issuer, the verifier, the citizen's journey through the CLI,
//! and the CLI's offline commands. One binary, so that the dependencies are linked once.
//!
//! Devnets take turns ([`Turn`]): two devnets starting or working at once would starve each
//! other on a small machine. A test with a devnet of its own runs alone ([`serial`]); the
//! tests of a devnet they share ([`shared_devnet`], the wallet's `realdid devnet`) run beside
//! each other. Tests without a devnet run beside anything. The shared devnet of the issuer's
//! and the verifier's tests is stopped (SIGSTOP) while another turn runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench_all;
mod cli_core;
mod console;
mod issuer_flow;
mod organisations;
mod registry_chain;
mod registry_crash;
mod service_faults;
mod shared_devnet;
mod verifier_flow;
mod verifier_lifecycle;
mod verifier_stale_did;
mod wallet_journey;

use std::sync::Mutex;

use tokio::sync::Notify;

/// Whose turn it is among the tests that run a devnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// A test with a devnet of its own: nothing else with a devnet runs beside it.
    Alone,
    /// The tests of the shared devnet named so: they run beside each other.
    Shared(&'static str),
}

/// Who has the machine now, and who waits for it.
#[derive(Debug)]
struct Turns {
    /// The turn being taken, and by how many tests.
    current: Option<(Turn, usize)>,
    /// The tests waiting, first come first: their tickets and turns.
    waiting: Vec<(u64, Turn)>,
    /// The next ticket.
    next: u64,
}

static TURNS: Mutex<Turns> = Mutex::new(Turns {
    current: None,
    waiting: Vec::new(),
    next: 0,
});
static TURN_CHANGED: Notify = Notify::const_new();

fn turns() -> std::sync::MutexGuard<'static, Turns> {
    TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Held for the whole of a test that runs a devnet; dropping it (when the test passes or
/// fails) lets the next turn begin.
#[derive(Debug)]
#[must_use]
struct TurnGuard;

/// A place in the queue, given up when the wait ends (or is abandoned).
struct Ticket(u64);

impl Drop for Ticket {
    fn drop(&mut self) {
        turns().waiting.retain(|(ticket, _)| *ticket != self.0);
        TURN_CHANGED.notify_waiters();
    }
}

impl Turn {
    /// Waits for this turn, first come first served: a test begins a turn when the machine
    /// is free and nobody came before it, and joins the turn of its shared devnet while
    /// nobody who came before it waits for another turn. (Async: each test has its own
    /// runtime, and waits without holding a thread of it.)
    async fn take(self) -> TurnGuard {
        let ticket = {
            let mut turns = turns();
            let ticket = turns.next;
            turns.next += 1;
            turns.waiting.push((ticket, self));
            Ticket(ticket)
        };
        loop {
            let changed = TURN_CHANGED.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut turns = turns();
                let before: Vec<Turn> = turns
                    .waiting
                    .iter()
                    .take_while(|(t, _)| *t != ticket.0)
                    .map(|(_, turn)| *turn)
                    .collect();
                let admitted = match (&mut turns.current, self) {
                    (None, _) => before.is_empty(),
                    (Some((Turn::Shared(now), count)), Turn::Shared(name))
                        if *now == name && before.iter().all(|t| *t == self) =>
                    {
                        *count += 1;
                        true
                    }
                    _ => false,
                };
                if admitted {
                    let begins = turns.current.is_none();
                    if begins {
                        turns.current = Some((self, 1));
                    }
                    drop(turns);
                    if begins {
                        shared_devnet::turn_begins(self);
                    }
                    // Leaving the queue wakes the others: those of the same turn may join.
                    drop(ticket);
                    return TurnGuard;
                }
            }
            changed.await;
        }
    }
}

impl Drop for TurnGuard {
    fn drop(&mut self) {
        let mut turns = turns();
        if let Some((_, count)) = turns.current.as_mut() {
            *count -= 1;
            if *count == 0 {
                turns.current = None;
            }
        }
        drop(turns);
        TURN_CHANGED.notify_waiters();
    }
}

/// Held by every test of this binary that starts a devnet of its own, for its whole run.
async fn serial() -> TurnGuard {
    Turn::Alone.take().await
}
