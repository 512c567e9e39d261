//! Submissions checked in batches.
//!
//! Under load, many submissions wait while one is checked. One worker takes every submission
//! waiting at once and checks their signatures together ([`Shared::admit_batch`]), at about
//! half the cost each. A submission that finds the worker idle is checked at once, alone, so
//! batching adds no wait when there is no load.

use std::sync::Arc;

use realdid_core::codec::Transaction;
use tokio::sync::{mpsc, oneshot};

use crate::RegistryError;
use crate::node::shared::{Admission, Shared};

/// Most submissions checked in one batch.
const MAX_BATCH: usize = 512;

/// Submissions that may wait for the worker; beyond them, handlers wait to queue.
const QUEUE: usize = 4096;

struct Submission {
    tx: Transaction,
    now_ms: u64,
    reply: oneshot::Sender<Admission>,
}

/// The way into the admission worker; cloned by every handler. The worker ends when the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub struct Admissions {
    queue: mpsc::Sender<Submission>,
}

impl Admissions {
    /// Starts the worker thread over `shared`.
    pub fn start(shared: Arc<Shared>) -> Result<Self, RegistryError> {
        let (queue, waiting) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("admissions".into())
            .spawn(move || work(&shared, waiting))
            .map_err(|source| RegistryError::Io {
                context: "starting the admission worker".into(),
                source,
            })?;
        Ok(Self { queue })
    }

    /// Checks and pools a submission, as [`Shared::admit`] does.
    pub async fn admit(&self, tx: Transaction, now_ms: u64) -> Admission {
        let stopped = || RegistryError::Unavailable {
            reason: "the admission worker has stopped".into(),
        };
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Submission { tx, now_ms, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn work(shared: &Shared, mut waiting: mpsc::Receiver<Submission>) {
    while let Some(first) = waiting.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH
            && let Ok(next) = waiting.try_recv()
        {
            batch.push(next);
        }
        // The batch is checked now, against the newest of its arrival times.
        let now_ms = batch.iter().map(|s| s.now_ms).max().unwrap_or_default();
        let (txs, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|s| (s.tx, s.reply)).unzip();
        for (reply, admission) in replies.into_iter().zip(shared.admit_batch(txs, now_ms)) {
            // A caller that went away no longer wants the answer; its transaction stays.
            let _ = reply.send(admission);
        }
    }
}
