//! Applies finalized blocks to the store, in order, exactly once in effect.
//!
//! Marshal delivers every finalized block at least once, in height order, and waits for our
//! acknowledgement before it considers the block delivered. We acknowledge only after the
//! block, its state changes and its finality certificate are in RocksDB in one atomic
//! batch, so a crash between delivery and commit means marshal delivers it again, and the
//! store's idempotent commit makes the second delivery a no-op.

use std::sync::Arc;

use commonware_actor::Feedback;
use commonware_consensus::Reporter;
use commonware_consensus::marshal::Update;
use commonware_consensus::marshal::core::Mailbox;
use commonware_consensus::marshal::standard::Standard;
use commonware_consensus::types::Height;
use commonware_runtime::{Clock, Handle, Spawner};
use commonware_utils::Acknowledgement as _;
use commonware_utils::acknowledgement::Exact;
use tokio::sync::mpsc;
use tracing::{error, info};

use super::Scheme;
use super::application::unix_ms;
use super::block::ChainBlock;
use crate::node::shared::Shared;

/// The reporter marshal delivers finalized blocks to.
#[derive(Clone, Debug)]
pub struct Finalizer {
    queue: mpsc::UnboundedSender<(ChainBlock, Exact)>,
}

impl Finalizer {
    /// Starts the task that commits delivered blocks; it stops the node (by returning an
    /// error) when a block cannot be committed, since going on would diverge, and when
    /// marshal stops delivering. The task runs on
    /// `context`, whose clock gives the times it records (when a block was committed here,
    /// when a validator last signed).
    pub fn start<E: Clock + Spawner>(
        shared: Arc<Shared>,
        marshal: Mailbox<Scheme, Standard<ChainBlock>>,
        context: E,
    ) -> (Self, Handle<Result<(), crate::RegistryError>>) {
        let (queue, mut deliveries) = mpsc::unbounded_channel::<(ChainBlock, Exact)>();
        let task = context.spawn(move |clock| async move {
            while let Some((block, ack)) = deliveries.recv().await {
                let height = block.block().header.height;
                // The store can be behind marshal's delivered height (a state directory
                // restored from an older copy): replay the missing blocks from marshal's
                // archive before this one, so nothing is skipped.
                let mut next = shared.store.finalized().map(|f| f.height + 1).unwrap_or(1);
                while next < height {
                    let missing = marshal
                        .get_block(Height::new(next))
                        .await
                        .map(|b| b.inner().clone())
                        .ok_or_else(|| crate::RegistryError::corrupt(format!(
                            "the state store stops at height {} but the engine's archive has no block {next}; \
                             move the data directory aside and restart to resync",
                            next - 1
                        )))?;
                    commit(&clock, &shared, &marshal, missing, unix_ms(clock.current())).await?;
                    next += 1;
                }
                let txs = block.block().transactions.len();
                let hash = block.hash();
                if let Err(error) =
                    commit(&clock, &shared, &marshal, block, unix_ms(clock.current())).await
                {
                    error!(height, %error, "cannot commit a finalized block; stopping");
                    return Err(error);
                }
                info!(height, txs, %hash, "finalized");
                ack.acknowledge();
            }
            // Marshal let go of the reporter: it stopped (a journal it could not write, a
            // panic). A node without it finalizes nothing more, so this is a failure, never
            // a clean stop that a supervisor would leave stopped.
            Err(crate::RegistryError::Unavailable {
                reason: "marshal stopped delivering finalized blocks".into(),
            })
        });
        (Self { queue }, task)
    }
}

/// Commits one finalized block with its certificate (when it has its own) and notes which
/// validators signed it, `now` (Unix ms).
async fn commit(
    context: &impl Spawner,
    shared: &Arc<Shared>,
    marshal: &Mailbox<Scheme, Standard<ChainBlock>>,
    block: ChainBlock,
    now: u64,
) -> Result<(), crate::RegistryError> {
    let height = block.block().header.height;
    let certificate = match marshal.get_finalization(Height::new(height)).await {
        Some(f) => {
            let signers: Vec<usize> = f
                .certificate
                .signers
                .iter()
                .map(|p| p.get() as usize)
                .collect();
            shared.record_signers(&signers, height, now);
            super::certificate::encode(&f)
        }
        None => Vec::new(),
    };
    let shared = shared.clone();
    // A synced RocksDB write: on a thread that may block.
    context
        .child("commit")
        .shared(true)
        .spawn(move |_| async move { shared.commit_finalized(block, certificate, now) })
        .await
        .map_err(|stopped| crate::RegistryError::Unavailable {
            reason: format!("commit task failed: {stopped}"),
        })?
}

impl Reporter for Finalizer {
    type Activity = Update<ChainBlock>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match activity {
            Update::Block(block, ack) => {
                let block: ChainBlock = block.inner().clone();
                if self.queue.send((block, ack)).is_err() {
                    // The commit task stopped; dropping the acknowledgement stops marshal too.
                    return Feedback::Closed;
                }
                Feedback::Ok
            }
            Update::Tip(..) => Feedback::Ok,
        }
    }
}
