//! DID reads coalesced: the DIDs that many callers ask for at about the same time are read in
//! one proven call (`ResolveMany`), so a verifier that meets many new holders at once pays one
//! round trip and one certificate check for all of them instead of one per holder.
//!
//! No caller waits for a batch to fill. A read starts at once while fewer than
//! [`IN_FLIGHT`] batches are out; past that, DIDs queue, and the next batch to start takes
//! every one queued (up to [`MAX_PROVEN_ENTRIES`]). Under light load each batch is one DID;
//! under heavy load batches grow with the wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use realdid_core::did::RealDid;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::ClientError;
use crate::gateway::{Proven, RegistryGateway};
use crate::light_client::MAX_PROVEN_ENTRIES;
use crate::records::DidRecord;

/// How many batches may be out at once.
pub const IN_FLIGHT: usize = 4;

/// One caller's read: the DID, and where its answer goes.
type Waiter = (
    RealDid,
    oneshot::Sender<Result<Proven<Option<DidRecord>>, ClientError>>,
);

/// Reads DIDs through a gateway, coalescing concurrent reads. Clones share the queue.
#[derive(Debug, Clone)]
pub struct DidReader {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    gateway: RegistryGateway,
    queue: Mutex<Vec<Waiter>>,
    permits: Arc<Semaphore>,
}

impl DidReader {
    /// A reader over `gateway`.
    pub fn new(gateway: RegistryGateway) -> Self {
        Self {
            inner: Arc::new(Inner {
                gateway,
                queue: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(IN_FLIGHT)),
            }),
        }
    }

    /// The DID's current record, proven (`None`: proven absent), with the height and time of
    /// the state it was proven at: [`RegistryGateway::resolve_did_at`], read together with
    /// whatever other DIDs are asked for meanwhile. Must be called within a Tokio runtime.
    pub async fn resolve(&self, did: &RealDid) -> Result<Proven<Option<DidRecord>>, ClientError> {
        let (answer, answered) = oneshot::channel();
        self.inner.queue().push((did.clone(), answer));
        Inner::dispatch(&self.inner);
        answered.await.unwrap_or_else(|_| {
            Err(ClientError::Unavailable {
                reason: format!("resolving {did}: the read was dropped before it answered"),
            })
        })
    }
}

impl Inner {
    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiter>> {
        // Whole waiters only are ever pushed or drained: a poisoned lock still holds a
        // valid queue.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts batches while a permit is free and DIDs wait. A batch that ends dispatches
    /// again, so a DID queued while every permit was out is taken by the next to end.
    fn dispatch(inner: &Arc<Self>) {
        loop {
            let Ok(permit) = inner.permits.clone().try_acquire_owned() else {
                return;
            };
            let batch: Vec<Waiter> = {
                let mut queue = inner.queue();
                let take = queue.len().min(MAX_PROVEN_ENTRIES);
                queue.drain(..take).collect()
            };
            if batch.is_empty() {
                return;
            }
            let this = inner.clone();
            tokio::spawn(async move {
                this.run(batch, permit).await;
                Self::dispatch(&this);
            });
        }
    }

    /// Reads one batch and answers its waiters, then gives the permit back. Not before: a
    /// caller answered often reads again at once, and with the permit free that read would
    /// take a call of its own, one DID long. Held until the answers are out, the permit makes
    /// those reads queue, and the next batch takes them together.
    async fn run(&self, batch: Vec<Waiter>, permit: OwnedSemaphorePermit) {
        let mut unique: Vec<RealDid> = Vec::with_capacity(batch.len());
        let mut place: HashMap<RealDid, usize> = HashMap::with_capacity(batch.len());
        let slots: Vec<usize> = batch
            .iter()
            .map(|(did, _)| {
                *place.entry(did.clone()).or_insert_with(|| {
                    unique.push(did.clone());
                    unique.len() - 1
                })
            })
            .collect();
        crate::metrics::COALESCED_CALLS.inc();
        crate::metrics::COALESCED_DIDS.inc_by(unique.len() as u64);
        let read = self.gateway.resolve_dids_at(&unique).await;
        for ((did, answer), slot) in batch.into_iter().zip(slots) {
            let result = match &read {
                // The light client checked one entry per DID asked; a missing one is never
                // taken for absence.
                Ok(proven) => match proven.value.get(slot) {
                    Some(value) => Ok(Proven {
                        height: proven.height,
                        block_time_ms: proven.block_time_ms,
                        value: value.clone(),
                    }),
                    None => Err(ClientError::proof(format!("no entry for {did}"))),
                },
                Err(e) => Err(again(e, &did)),
            };
            // The caller may have gone (its request was cancelled): nothing to answer.
            let _ = answer.send(result);
        }
        drop(permit);
    }
}

/// The batch's failure, for each of its callers.
fn again(e: &ClientError, did: &RealDid) -> ClientError {
    let reason = format!("resolving {did} (in a batch): {e}");
    match e {
        ClientError::Config { path, .. } => ClientError::Config {
            path: path.clone(),
            reason,
        },
        ClientError::InvalidRequest { what, .. } => ClientError::InvalidRequest {
            what: what.clone(),
            reason,
        },
        ClientError::Proof { .. } => ClientError::Proof { reason },
        _ => ClientError::Unavailable { reason },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use crate::LightClient;

    #[tokio::test]
    async fn every_caller_of_a_failed_batch_learns_why_with_its_own_did() {
        // Port 1 on loopback: nothing listens, every read fails.
        let gateway = RegistryGateway::new(
            &["http://127.0.0.1:1".into()],
            LightClient::new(&crate::ChainId::parse("test").expect("a chain id"), []),
        )
        .expect("a gateway");
        let reader = DidReader::new(gateway);
        let dids: Vec<RealDid> = (0..20u8).map(|i| RealDid::from_suffix([i; 32])).collect();
        let (calls, asked) = (
            crate::metrics::COALESCED_CALLS.get(),
            crate::metrics::COALESCED_DIDS.get(),
        );
        let answers = futures::future::join_all(dids.iter().map(|did| reader.resolve(did))).await;
        // Each DID was asked once, in fewer calls than DIDs (this is the crate's only test
        // that reads through a DidReader, so the process-wide counters are its own).
        let calls = crate::metrics::COALESCED_CALLS.get() - calls;
        assert_eq!(crate::metrics::COALESCED_DIDS.get() - asked, 20);
        assert!((1..20).contains(&calls), "{calls} calls");
        for (did, answer) in dids.iter().zip(answers) {
            let error = answer.expect_err("nothing answers");
            assert!(
                matches!(error, ClientError::Unavailable { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains(&did.to_string()), "{error}");
        }
        // The queue is empty and the permits are back: nothing is left waiting.
        assert!(reader.inner.queue().is_empty());
        assert_eq!(reader.inner.permits.available_permits(), IN_FLIGHT);
    }
}
