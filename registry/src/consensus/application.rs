//! The registry as a Commonware application: propose and verify blocks.
//!
//! Marshal's inline wrapper hands us a block's ancestry, newest first. We walk it down to
//! this node's finalized block, execute (or reuse) every block in between, and then build
//! or check the new block on top. A block is valid only if every transaction passes the
//! rules and its header carries the state root that executing it gives; a chain that forks
//! below the finalized block is never valid.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use commonware_consensus::Application;
use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::simplex::types::Context;
use commonware_cryptography::{Digested, ed25519, sha256};
use commonware_runtime::{Clock, Metrics, Spawner};
use futures::StreamExt as _;
use tracing::{debug, warn};

use super::Scheme;
use super::block::ChainBlock;
use crate::node::shared::{ChainVerdict, Shared};
use crate::state::Staged;

/// How far in the future a block's time may be, by this node's clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_millis(2_000);

/// The registry application.
#[derive(Clone, Debug)]
pub struct RegistryApp {
    shared: Arc<Shared>,
}

impl RegistryApp {
    /// An application over the node's shared state.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

/// Unix milliseconds of a runtime clock reading.
pub fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The blocks of an ancestry above this node's finalized block, oldest first.
enum Lineage {
    /// The chain above the finalized block (possibly empty).
    Above(Vec<ChainBlock>),
    /// The first block of the ancestry is already finalized here.
    Finalized,
    /// The ancestry does not lead to this node's finalized block.
    Fork(String),
    /// The ancestry ended early (shutdown or missing data).
    Incomplete,
}

async fn lineage(shared: &Shared, mut ancestry: impl Ancestry<ChainBlock>) -> Lineage {
    let Some(finalized) = shared.store.finalized() else {
        return Lineage::Incomplete;
    };
    let mut above = Vec::new();
    loop {
        let Some(next) = ancestry.next().await else {
            return Lineage::Incomplete;
        };
        let block: &ChainBlock = next.inner();
        let height = block.block().header.height;
        if height > finalized.height {
            above.push(block.clone());
            continue;
        }
        let ours = if height == finalized.height {
            Some(finalized.block_hash)
        } else {
            shared
                .store
                .header(height)
                .ok()
                .flatten()
                .map(|header| header.hash())
        };
        if ours != Some(block.hash()) {
            return Lineage::Fork(format!(
                "ancestry reaches height {height} at {} but this node finalized {}",
                block.hash(),
                ours.map(|h| h.to_string())
                    .unwrap_or_else(|| "nothing".into()),
            ));
        }
        if above.is_empty() {
            return Lineage::Finalized;
        }
        above.reverse();
        return Lineage::Above(above);
    }
}

/// The executed blocks between this node's finalized block and the head of `ancestry`
/// (oldest first), or why there is nothing valid to build on.
async fn executed_chain(
    shared: &Shared,
    ancestry: impl Ancestry<ChainBlock>,
) -> Result<Vec<Arc<Staged>>, String> {
    let chain = match lineage(shared, ancestry).await {
        Lineage::Above(chain) => chain,
        Lineage::Finalized => Vec::new(),
        Lineage::Fork(reason) => return Err(format!("off the finalized chain: {reason}")),
        Lineage::Incomplete => return Err("the ancestry is incomplete".into()),
    };
    match shared.stage_chain(&chain) {
        Ok(Ok(staged)) => Ok(staged),
        Ok(Err(ChainVerdict::Invalid(reason))) => Err(format!("invalid parent chain: {reason}")),
        Err(error) => Err(format!("cannot execute the parent chain: {error}")),
    }
}

impl RegistryApp {
    /// Waits until a block on a parent made at `parent_ms` is due: no sooner than one
    /// interval after the parent, and, while the pool holds nothing that `staged` has not
    /// already included, until a transaction arrives or the idle wait has passed.
    async fn pace(&self, runtime: &impl Clock, parent_ms: u64, staged: &[Arc<Staged>]) {
        let pacing = self.shared.pacing;
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let due = parent_ms.saturating_add(ms(pacing.interval));
        let idle_due = parent_ms.saturating_add(ms(pacing.idle_wait));
        loop {
            let now = unix_ms(runtime.current());
            if now < due {
                runtime.sleep(Duration::from_millis(due - now)).await;
                continue;
            }
            // Registered before the pool is looked at, so no arrival falls in between.
            let arrival = self.shared.mempool.arrival();
            if now >= idle_due || self.shared.has_candidates(staged) {
                return;
            }
            tokio::select! {
                _ = arrival => {},
                _ = runtime.sleep(Duration::from_millis(idle_due - now)) => {},
            }
        }
    }
}

impl<E> Application<E> for RegistryApp
where
    E: Clock + Spawner + Metrics,
{
    type SigningScheme = Scheme;
    type Context = Context<sha256::Digest, ed25519::PublicKey>;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, _context): (E, Self::Context),
        ancestry: impl Ancestry<ChainBlock>,
        _input: (),
    ) -> Option<Digested<ChainBlock>> {
        let parent = ancestry.peek()?.inner().clone();
        let finalized = self.shared.store.finalized()?;
        if parent.block().header.height < finalized.height {
            // Building there would fork below finality.
            return None;
        }
        let staged = match executed_chain(&self.shared, ancestry).await {
            Ok(staged) => staged,
            Err(reason) => {
                warn!(%reason, "not proposing");
                return None;
            }
        };
        self.pace(&runtime, parent.block().header.timestamp_ms, &staged)
            .await;
        let now = unix_ms(runtime.current());
        match self
            .shared
            .build_block(&staged, &parent.block().header, now)
        {
            Ok(block) => {
                debug!(
                    height = block.block().header.height,
                    txs = block.block().transactions.len(),
                    "proposing"
                );
                let digest = commonware_cryptography::Digestible::digest(&block);
                Some(Digested::precomputed(block, digest))
            }
            Err(error) => {
                warn!(%error, "cannot build a block");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (runtime, _context): (E, Self::Context),
        mut ancestry: impl Ancestry<ChainBlock>,
    ) -> bool {
        let Some(candidate) = ancestry.next().await else {
            return false;
        };
        let candidate: ChainBlock = candidate.inner().clone();
        let header = &candidate.block().header;
        if let Some(finalized) = self.shared.store.finalized()
            && header.height <= finalized.height
        {
            // Already decided here: valid exactly when it is the block we finalized.
            let ours = self.shared.store.header(header.height).ok().flatten();
            return ours.map(|h| h.hash()) == Some(candidate.hash());
        }
        let now = unix_ms(runtime.current());
        if header.timestamp_ms > now.saturating_add(MAX_CLOCK_SKEW.as_millis() as u64) {
            // Keep the request pending would be kinder to a skewed clock, but a block from
            // the future by more than the bound is refused by every honest validator alike.
            warn!(height = header.height, "block time is in the future");
            return false;
        }
        if self.shared.is_staged(&candidate.hash()) {
            // Built here, or verified before: executing it again would give the same answer.
            return true;
        }
        let Some(parent) = ancestry.peek().map(|p| p.inner().clone()) else {
            return false;
        };
        if header.timestamp_ms <= parent.block().header.timestamp_ms {
            warn!(height = header.height, "block time does not advance");
            return false;
        }
        let staged = match executed_chain(&self.shared, ancestry).await {
            Ok(staged) => staged,
            Err(reason) => {
                warn!(%reason, "refusing a block");
                return false;
            }
        };
        match self.shared.stage_block(&staged, &candidate) {
            Ok(Ok(done)) => {
                self.shared.remember_staged(candidate.hash(), done);
                true
            }
            Ok(Err(ChainVerdict::Invalid(reason))) => {
                warn!(%reason, "refusing an invalid block");
                false
            }
            Err(error) => {
                warn!(%error, "cannot execute a block");
                false
            }
        }
    }
}
