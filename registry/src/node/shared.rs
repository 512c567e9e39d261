//! What every part of a running node shares: the store, the pending pool, the blocks
//! executed but not yet final, and the stream of finalized blocks.
//!
//! Nothing here knows the consensus engine: the engine adapter in `crate::consensus`
//! hands in core blocks, so the execution path can be tested without a network.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use realdid_core::codec::{
    Block, BlockHash, BlockHeader, Transaction, TxHash, transactions_root_of,
};
use realdid_core::keys::SignatureCheck;
use tokio::sync::{broadcast, oneshot};

use crate::RegistryError;
use crate::config::Pacing;
use crate::consensus::block::ChainBlock;
use crate::execute::{BlockContext, Governance, Rejection, SignatureMemo};
use crate::node::gossip::Outbox;
use crate::node::mempool::{LaneCapacities, Mempool, Outcome, Receipt};
use crate::state::{Staged, Store};

/// Whether a transaction passes the rules now; `Err` when the node cannot tell.
type Verdict = Result<Result<(), Rejection>, RegistryError>;

/// What became of a submission: pooled (the receiver gets its fate), refused with the rule it
/// breaks, or not checked because the node cannot tell.
pub type Admission = Result<Result<oneshot::Receiver<Outcome>, Rejection>, RegistryError>;

/// How many finalized heights keep their staged execution in the cache.
const KEEP_FINAL_STAGED: u64 = 8;

/// A block that became final on this node: its header, all a block stream tells. The
/// channel keeps its last events for receivers that have not read them yet, so an event
/// holds only what is small: a client that never reads its stream cannot make the node
/// keep whole blocks.
#[derive(Debug, Clone)]
pub struct FinalizedEvent {
    /// The block's header.
    pub header: BlockHeader,
}

/// Why a proposed chain cannot be built on or accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainVerdict {
    /// The chain is permanently invalid (a fork below finality, a failing transaction, a
    /// wrong state root).
    Invalid(String),
}

/// State shared by the engine adapter, the gRPC service and the finalizer.
pub struct Shared {
    /// The finalized state.
    pub store: Store,
    /// The pending pool.
    pub mempool: Mempool,
    /// Transactions submitted here, to be gossiped to the other validators.
    pub outbox: Outbox,
    /// Signatures already found good here.
    signatures: SignatureMemo,
    /// The governance keys from genesis.
    pub governance: Governance,
    /// Most transactions a proposer puts in one block.
    pub max_block_txs: usize,
    /// When to propose.
    pub pacing: Pacing,
    staged: Mutex<HashMap<BlockHash, Arc<Staged>>>,
    finalized: broadcast::Sender<FinalizedEvent>,
    /// Per validator (genesis order): when this node last saw its signature on a finality
    /// certificate, and the height certified.
    seen: Mutex<Vec<Option<(u64, u64)>>>,
    last_commit_ms: AtomicU64,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("mempool", &self.mempool)
            .field("max_block_txs", &self.max_block_txs)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Assembles the shared state.
    pub fn new(
        store: Store,
        governance: Governance,
        validators: usize,
        pool: LaneCapacities,
        max_block_txs: usize,
        pacing: Pacing,
    ) -> Self {
        let (finalized, _) = broadcast::channel(1024);
        Self {
            seen: Mutex::new(vec![None; validators]),
            last_commit_ms: AtomicU64::new(0),
            store,
            mempool: Mempool::new(pool),
            outbox: Outbox::default(),
            signatures: SignatureMemo::default(),
            governance,
            max_block_txs,
            pacing,
            staged: Mutex::new(HashMap::new()),
            finalized,
        }
    }

    /// Subscribes to finalized blocks.
    pub fn subscribe(&self) -> broadcast::Receiver<FinalizedEvent> {
        self.finalized.subscribe()
    }

    /// Notes which validators signed the certificate of `height`.
    pub fn record_signers(&self, signers: &[usize], height: u64, now_ms: u64) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        for &index in signers {
            if let Some(slot) = seen.get_mut(index) {
                *slot = Some((now_ms, height));
            }
        }
    }

    /// Per validator, in genesis order: last seen (Unix ms) and the height it certified.
    pub fn validators_seen(&self) -> Vec<Option<(u64, u64)>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// When this node last committed a block, Unix ms (0 before the first).
    pub fn last_commit_ms(&self) -> u64 {
        self.last_commit_ms.load(Ordering::Relaxed)
    }

    fn staged_cache(&self) -> std::sync::MutexGuard<'_, HashMap<BlockHash, Arc<Staged>>> {
        self.staged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn context<'a>(
        &'a self,
        header: &BlockHeader,
        signatures: &'a dyn SignatureCheck,
    ) -> BlockContext<'a> {
        BlockContext {
            height: header.height,
            timestamp_ms: header.timestamp_ms,
            governance: &self.governance,
            signatures,
        }
    }

    /// Executes (or finds already executed) every block of a chain above the finalized
    /// height. `chain` is oldest first and starts right above the finalized block.
    pub fn stage_chain(
        &self,
        chain: &[ChainBlock],
    ) -> Result<Result<Vec<Arc<Staged>>, ChainVerdict>, RegistryError> {
        let mut staged: Vec<Arc<Staged>> = Vec::with_capacity(chain.len());
        for block in chain {
            let hash = block.hash();
            if let Some(done) = self.staged_cache().get(&hash).cloned() {
                staged.push(done);
                continue;
            }
            // The finalizer runs beside us: a block of the chain may have become final
            // since the caller walked it. It is then already in the state, if it is the
            // block finalized at its height.
            let height = block.block().header.height;
            if self.store.finalized().is_some_and(|f| height <= f.height) {
                if self.store.header(height)?.map(|h| h.hash()) != Some(hash) {
                    return Ok(Err(ChainVerdict::Invalid(format!(
                        "block {height} is not the block finalized at that height"
                    ))));
                }
                staged.clear();
                continue;
            }
            match self.stage_block(&staged, block)? {
                Ok(done) => {
                    self.staged_cache().insert(hash, done.clone());
                    staged.push(done);
                }
                Err(verdict) => return Ok(Err(verdict)),
            }
        }
        Ok(Ok(staged))
    }

    /// True when this node already executed the block with this hash (it built it, or
    /// verified it before) and the result matched its header.
    pub fn is_staged(&self, hash: &BlockHash) -> bool {
        self.staged_cache().contains_key(hash)
    }

    /// Keeps the execution of a verified block for its children and its commit.
    pub fn remember_staged(&self, hash: BlockHash, staged: Arc<Staged>) {
        self.staged_cache().insert(hash, staged);
    }

    /// Executes one block on top of `ancestors` and checks its header against the result.
    pub fn stage_block(
        &self,
        ancestors: &[Arc<Staged>],
        block: &ChainBlock,
    ) -> Result<Result<Arc<Staged>, ChainVerdict>, RegistryError> {
        let (tx_hashes, block) = (block.tx_hashes(), block.block());
        // The signatures this node has not seen yet (a block after a restart, transactions
        // the leader had not gossiped yet) are checked together; if one is bad, the block is
        // run again with single checks, which say which transaction fails.
        let deferred = self.signatures.deferred();
        let mut outcome = self.store.stage(
            ancestors,
            &self.context(&block.header, &deferred),
            &block.transactions,
            tx_hashes,
        )?;
        if !deferred.settle() {
            outcome = self.store.stage(
                ancestors,
                &self.context(&block.header, &self.signatures),
                &block.transactions,
                tx_hashes,
            )?;
        }
        let staged = match outcome {
            Ok(staged) => staged,
            Err((index, rejection)) => {
                return Ok(Err(ChainVerdict::Invalid(format!(
                    "transaction {index} of block {} fails: {}",
                    block.header.height, rejection.message
                ))));
            }
        };
        if staged.root != block.header.state_root {
            return Ok(Err(ChainVerdict::Invalid(format!(
                "block {} claims state root {} but executing it gives {}",
                block.header.height, block.header.state_root, staged.root
            ))));
        }
        Ok(Ok(Arc::new(staged)))
    }

    /// True when the pool holds a transaction that a block on `ancestors` could include.
    pub fn has_candidates(&self, ancestors: &[Arc<Staged>]) -> bool {
        self.mempool.has_candidates_except(&in_ancestors(ancestors))
    }

    /// Builds a new block on `parent` (whose executed chain above finality is `ancestors`)
    /// from the pending pool. Transactions no longer valid are dropped from the pool and
    /// their waiters told why.
    pub fn build_block(
        &self,
        ancestors: &[Arc<Staged>],
        parent: &BlockHeader,
        now_ms: u64,
    ) -> Result<ChainBlock, RegistryError> {
        let header_ctx = BlockHeader {
            height: parent.height + 1,
            parent: parent.hash(),
            timestamp_ms: now_ms.max(parent.timestamp_ms + 1),
            state_root: parent.state_root,
            transactions_root: [0; 32],
            transaction_count: 0,
        };
        let ctx = self.context(&header_ctx, &self.signatures);
        let candidates = self.mempool.candidates_except(
            self.max_block_txs,
            realdid_core::codec::MAX_BLOCK_LEN,
            &in_ancestors(ancestors),
        );
        let (included, staged, dropped) =
            self.store
                .stage_build(ancestors, &ctx, candidates, self.max_block_txs)?;
        self.mempool.settle(
            dropped
                .into_iter()
                .map(|(hash, rejection)| (hash, Outcome::Rejected(rejection))),
        );
        let count = u32::try_from(included.len()).map_err(|_| RegistryError::Unavailable {
            reason: "block would hold more than u32::MAX transactions".into(),
        })?;
        let tx_hashes: Arc<[TxHash]> = staged.executed.tx_hashes.as_slice().into();
        let block = Block {
            header: BlockHeader {
                state_root: staged.root,
                transactions_root: transactions_root_of(tx_hashes.iter().copied()),
                transaction_count: count,
                ..header_ctx
            },
            transactions: included,
        };
        let block = ChainBlock::with_hashes(block, tx_hashes);
        self.staged_cache().insert(block.hash(), Arc::new(staged));
        Ok(block)
    }

    /// Makes a finalized block durable (idempotently), settles its transactions in the
    /// pool and tells subscribers.
    pub fn commit_finalized(
        &self,
        chain_block: ChainBlock,
        certificate: Vec<u8>,
        now_ms: u64,
    ) -> Result<(), RegistryError> {
        let (hash, block) = (chain_block.hash(), chain_block.block());
        if let Some(done) = self.store.finalized()
            && block.header.height <= done.height
        {
            // Delivered again after a restart: the commit is already durable.
            return Ok(());
        }
        let staged = match self.staged_cache().get(&hash).cloned() {
            Some(staged) => staged,
            None => match self.stage_block(&[], &chain_block)? {
                Ok(staged) => staged,
                Err(ChainVerdict::Invalid(reason)) => {
                    return Err(RegistryError::corrupt(format!(
                        "a finalized block does not execute here: {reason}"
                    )));
                }
            },
        };
        self.store.commit(block, &staged, &certificate, now_ms)?;
        self.last_commit_ms.store(now_ms, Ordering::Relaxed);
        let metrics = &super::metrics::NODE;
        metrics.height.set(block.header.height);
        metrics
            .finality_seconds
            .observe(now_ms.saturating_sub(block.header.timestamp_ms) as f64 / 1000.0);
        {
            // Keep a few final blocks' executions: a proposer or verifier that walked its
            // chain just before this commit still finds them (the store's view skips them).
            let keep_above = block.header.height.saturating_sub(KEEP_FINAL_STAGED);
            self.staged_cache()
                .retain(|_, staged| staged.height > keep_above);
        }
        // The commit checked that the staged hashes are the block's, in order.
        self.mempool
            .settle(
                staged
                    .executed
                    .tx_hashes
                    .iter()
                    .enumerate()
                    .map(|(index, tx_hash)| {
                        let receipt = Receipt {
                            tx_hash: *tx_hash,
                            height: block.header.height,
                            block_hash: hash,
                            index: index as u32,
                        };
                        (receipt.tx_hash, Outcome::Final(receipt))
                    }),
            );
        super::metrics::NODE
            .pending
            .set(i64::try_from(self.mempool.len()).unwrap_or(i64::MAX));
        // No subscriber is fine.
        let _ = self.finalized.send(FinalizedEvent {
            header: block.header.clone(),
        });
        Ok(())
    }

    /// Checks a submitted transaction against the latest finalized state, queues it, and
    /// marks it for gossip to the other validators.
    pub fn admit(&self, tx: Transaction, now_ms: u64) -> Admission {
        let verdict = self.check_pending(&tx, now_ms);
        self.pool_submission(tx, verdict)
    }

    /// [`Shared::admit`] for several submissions at once, one answer per submission in
    /// order. Their signatures are checked together, at about half the cost each; if one
    /// is bad, each submission is checked again on its own.
    pub fn admit_batch(&self, txs: Vec<Transaction>, now_ms: u64) -> Vec<Admission> {
        let verdicts = self.check_batch(&txs, now_ms);
        txs.into_iter()
            .zip(verdicts)
            .map(|(tx, verdict)| self.pool_submission(tx, verdict))
            .collect()
    }

    fn pool_submission(&self, tx: Transaction, verdict: Verdict) -> Admission {
        if let Err(rejection) = verdict? {
            return Ok(Err(rejection));
        }
        let waiter = self
            .mempool
            .insert(tx.clone())
            .map_err(|full| RegistryError::Busy {
                reason: full.to_string(),
            })?;
        self.outbox.push(tx);
        Ok(Ok(waiter))
    }

    /// Pools the transactions of a batch a peer gossiped, those that pass the rules here.
    /// Returns how many were new and valid; a peer's word counts for nothing. A transaction
    /// the node cannot check (a storage error) is logged and left out; the rest still count.
    pub fn admit_gossiped(
        &self,
        txs: Vec<Transaction>,
        now_ms: u64,
    ) -> Result<usize, RegistryError> {
        let mut fresh = Vec::with_capacity(txs.len());
        let mut hashes = Vec::with_capacity(txs.len());
        for tx in txs {
            let hash = tx.hash();
            if !self.mempool.contains(&hash) && self.store.tx_location(&hash)?.is_none() {
                fresh.push(tx);
                hashes.push(hash);
            }
        }
        let verdicts = self.check_batch(&fresh, now_ms);
        let mut pooled = 0;
        for ((tx, hash), verdict) in fresh.into_iter().zip(hashes).zip(verdicts) {
            match verdict {
                // A full pool drops gossip: the submitting node still holds the transaction.
                Ok(Ok(())) if self.mempool.offer(hash, tx).unwrap_or(false) => pooled += 1,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot check a gossiped transaction"),
            }
        }
        Ok(pooled)
    }

    /// Checks each transaction against the latest finalized state, their signatures together:
    /// a batch costs about half as much per signature. If one signature is bad, every
    /// transaction is checked again on its own (good signatures are then remembered), so a
    /// forged signature costs its batch the saving and nothing else. Rejections are checked
    /// again too: a rule after the signature (an anchor's sequence, say) may have refused a
    /// transaction whose signature, checked first alone, is the real reason.
    fn check_batch(&self, txs: &[Transaction], now_ms: u64) -> Vec<Verdict> {
        if txs.len() < 2 {
            return txs
                .iter()
                .map(|tx| self.check_pending(tx, now_ms))
                .collect();
        }
        let deferred = self.signatures.deferred();
        let mut verdicts: Vec<Verdict> = txs
            .iter()
            .map(|tx| self.check_pending_with(&deferred, tx, now_ms))
            .collect();
        if !deferred.settle() {
            verdicts = txs
                .iter()
                .map(|tx| self.check_pending(tx, now_ms))
                .collect();
        }
        verdicts
    }

    fn check_pending(&self, tx: &Transaction, now_ms: u64) -> Verdict {
        self.check_pending_with(&self.signatures, tx, now_ms)
    }

    /// Checks `tx` against the latest finalized state, as the next block would run it.
    fn check_pending_with(
        &self,
        signatures: &dyn SignatureCheck,
        tx: &Transaction,
        now_ms: u64,
    ) -> Verdict {
        let Some(finalized) = self.store.finalized() else {
            return Err(RegistryError::Unavailable {
                reason: "the node has no finalized state yet".into(),
            });
        };
        let ctx = BlockContext {
            height: finalized.height + 1,
            timestamp_ms: now_ms,
            governance: &self.governance,
            signatures,
        };
        Ok(self.store.check(&[], &ctx, tx)?.map(drop))
    }
}

/// The transactions of the unfinalized `ancestors`. They stay pooled (settled when their
/// block is final, offered again if it is abandoned) but are not candidates: run again they
/// would fail (a DID created twice) and be wrongly refused.
fn in_ancestors(ancestors: &[Arc<Staged>]) -> HashSet<TxHash> {
    ancestors
        .iter()
        .flat_map(|staged| staged.executed.tx_hashes.iter().copied())
        .collect()
}
