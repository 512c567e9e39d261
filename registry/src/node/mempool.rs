//! Transactions waiting for a block, and the callers waiting for their fate.
//!
//! A transaction enters the pool only after it passed the rules against the latest
//! finalized state; it leaves when a finalized block includes it (the waiters get a receipt)
//! or when a proposer finds it no longer valid against a newer state (the waiters get the
//! rejection). The pool is bounded: a full pool refuses new work rather than grow.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use realdid_core::codec::{BlockHash, Transaction, TxHash};
use tokio::sync::{Notify, oneshot};

use crate::execute::Rejection;

/// Where a final transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction.
    pub tx_hash: TxHash,
    /// The height of the block that includes it.
    pub height: u64,
    /// That block's hash.
    pub block_hash: BlockHash,
    /// Its position in the block.
    pub index: u32,
}

/// The fate of a submitted transaction.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// In a finalized block.
    Final(Receipt),
    /// Will not be included.
    Rejected(Rejection),
}

/// Why the pool did not take a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolFull {
    /// The pool's capacity.
    pub capacity: usize,
}

struct Pending {
    seq: u64,
    tx: Transaction,
    waiters: Vec<oneshot::Sender<Outcome>>,
}

#[derive(Default)]
struct Inner {
    next_seq: u64,
    order: BTreeMap<u64, TxHash>,
    by_hash: HashMap<TxHash, Pending>,
}

impl Inner {
    /// The pending entry of `hash`, added at the back of the queue if new.
    fn add(
        &mut self,
        capacity: usize,
        hash: TxHash,
        tx: Transaction,
    ) -> Result<&mut Pending, PoolFull> {
        let full = self.by_hash.len() >= capacity;
        match self.by_hash.entry(hash) {
            Entry::Occupied(pending) => Ok(pending.into_mut()),
            Entry::Vacant(_) if full => Err(PoolFull { capacity }),
            Entry::Vacant(slot) => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.order.insert(seq, hash);
                Ok(slot.insert(Pending {
                    seq,
                    tx,
                    waiters: Vec::new(),
                }))
            }
        }
    }
}

/// The pending pool of one node.
pub struct Mempool {
    capacity: usize,
    inner: Mutex<Inner>,
    /// Woken whenever a transaction new to the pool arrives, so that an idle proposer
    /// proposes at once instead of at the end of its idle wait.
    arrivals: Notify,
}

impl std::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mempool")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl Mempool {
    /// An empty pool holding at most `capacity` transactions.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
            arrivals: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.lock().by_hash.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a checked transaction (or joins the wait for an identical pending one) and
    /// returns where its fate will arrive.
    pub fn insert(&self, tx: Transaction) -> Result<oneshot::Receiver<Outcome>, PoolFull> {
        let (sender, receiver) = oneshot::channel();
        let hash = tx.hash();
        let mut inner = self.lock();
        let known = inner.by_hash.contains_key(&hash);
        inner.add(self.capacity, hash, tx)?.waiters.push(sender);
        drop(inner);
        if !known {
            self.arrivals.notify_waiters();
        }
        Ok(receiver)
    }

    /// True when a transaction with this hash is pending.
    pub fn contains(&self, hash: &TxHash) -> bool {
        self.lock().by_hash.contains_key(hash)
    }

    /// Adds a checked transaction that nobody here waits for (one a peer gossiped).
    /// Returns false when it was already pending.
    pub fn offer(&self, tx: Transaction) -> Result<bool, PoolFull> {
        let hash = tx.hash();
        let mut inner = self.lock();
        if inner.by_hash.contains_key(&hash) {
            return Ok(false);
        }
        inner.add(self.capacity, hash, tx)?;
        drop(inner);
        self.arrivals.notify_waiters();
        Ok(true)
    }

    /// Resolves when a transaction new to the pool arrives after this call (even before
    /// the first poll: `notify_waiters` wakes every `Notified` created before it). Create
    /// it before looking at the pool, so that an arrival in between is not missed.
    pub fn arrival(&self) -> tokio::sync::futures::Notified<'_> {
        self.arrivals.notified()
    }

    /// True when a transaction outside `skip` is pending.
    pub fn has_candidates_except(&self, skip: &HashSet<TxHash>) -> bool {
        let inner = self.lock();
        inner.order.values().any(|hash| !skip.contains(hash))
    }

    /// The oldest pending transactions, at most `max`, in arrival order.
    pub fn candidates(&self, max: usize) -> Vec<Transaction> {
        self.candidates_except(max, &HashSet::new())
    }

    /// The oldest pending transactions not in `skip`, at most `max`, in arrival order. The
    /// pool knows each hash already: nothing is hashed again.
    pub fn candidates_except(&self, max: usize, skip: &HashSet<TxHash>) -> Vec<Transaction> {
        let inner = self.lock();
        inner
            .order
            .values()
            .filter(|hash| !skip.contains(*hash))
            .take(max)
            .filter_map(|hash| inner.by_hash.get(hash).map(|p| p.tx.clone()))
            .collect()
    }

    /// Settles transactions: each leaves the pool and its waiters learn the outcome.
    pub fn settle(&self, outcomes: impl IntoIterator<Item = (TxHash, Outcome)>) {
        let mut inner = self.lock();
        for (hash, outcome) in outcomes {
            if let Some(pending) = inner.by_hash.remove(&hash) {
                inner.order.remove(&pending.seq);
                for waiter in pending.waiters {
                    // A caller that gave up no longer listens; nothing to do.
                    let _ = waiter.send(outcome.clone());
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use crate::execute::RejectReason;
    use realdid_core::codec::StatusListAnchor;
    use realdid_core::did::RealDid;
    use realdid_core::keys::{Algorithm, SigningKey};

    /// A valid, distinct transaction per `sequence` (a signed status anchor).
    pub(crate) fn tx(sequence: u64) -> Transaction {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        Transaction::StatusAnchor(
            StatusListAnchor::sign(
                RealDid::from_suffix([1; 32]),
                "https://issuer.example/status/1".into(),
                sequence,
                [2; 32],
                realdid_core::did::KeyId::first(),
                &key,
            )
            .unwrap(),
        )
    }

    #[test]
    fn fifo_bounded_and_settled_once_for_every_waiter() {
        let pool = Mempool::new(2);
        let (a, b, c) = (tx(1), tx(2), tx(3));
        let mut first = pool.insert(a.clone()).unwrap();
        let mut again = pool.insert(a.clone()).unwrap();
        pool.insert(b.clone()).unwrap();
        assert_eq!(pool.insert(c).unwrap_err(), PoolFull { capacity: 2 });
        assert_eq!(pool.candidates(10), vec![a.clone(), b.clone()]);
        assert_eq!(pool.candidates(1), vec![a.clone()]);

        let rejection = Rejection {
            reason: RejectReason::Stale,
            message: "superseded".into(),
        };
        pool.settle([(a.hash(), Outcome::Rejected(rejection))]);
        for waiter in [&mut first, &mut again] {
            match waiter.try_recv().unwrap() {
                Outcome::Rejected(r) => assert_eq!(r.reason, RejectReason::Stale),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(pool.candidates(10), vec![b.clone()]);
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn offered_transactions_join_the_queue_without_waiters() {
        let pool = Mempool::new(2);
        let (a, b, c) = (tx(1), tx(2), tx(3));
        assert!(pool.offer(a.clone()).unwrap());
        assert!(!pool.offer(a.clone()).unwrap(), "already pending");
        // A local submission of a gossiped transaction waits for it like any other.
        let mut waiter = pool.insert(a.clone()).unwrap();
        assert!(pool.offer(b.clone()).unwrap());
        assert_eq!(pool.offer(c).unwrap_err(), PoolFull { capacity: 2 });
        assert!(pool.contains(&a.hash()) && pool.contains(&b.hash()));
        assert_eq!(pool.candidates(10), vec![a.clone(), b.clone()]);
        let skip: HashSet<TxHash> = [a.hash()].into();
        assert_eq!(pool.candidates_except(10, &skip), vec![b.clone()]);
        assert_eq!(pool.candidates_except(0, &skip), vec![]);
        let receipt = Receipt {
            tx_hash: a.hash(),
            height: 7,
            block_hash: BlockHash([3; 32]),
            index: 0,
        };
        pool.settle([
            (a.hash(), Outcome::Final(receipt)),
            (b.hash(), Outcome::Final(receipt)),
        ]);
        assert!(matches!(waiter.try_recv().unwrap(), Outcome::Final(r) if r == receipt));
        assert!(pool.is_empty());
    }

    #[test]
    fn only_a_new_transaction_wakes_an_idle_proposer() {
        use futures::FutureExt as _;
        let pool = Mempool::new(4);
        let (a, b) = (tx(1), tx(2));
        let skip_a: HashSet<TxHash> = [a.hash()].into();
        assert!(!pool.has_candidates_except(&HashSet::new()));

        // Registered before the arrival, not yet polled: still woken.
        let waiting = pool.arrival();
        pool.insert(a.clone()).unwrap();
        assert!(waiting.now_or_never().is_some(), "a new transaction wakes");
        assert!(pool.has_candidates_except(&HashSet::new()));
        assert!(!pool.has_candidates_except(&skip_a), "a is in an ancestor");

        let waiting = pool.arrival();
        pool.insert(a.clone()).unwrap();
        assert!(!pool.offer(a.clone()).unwrap());
        assert!(
            waiting.now_or_never().is_none(),
            "a known transaction does not"
        );

        let waiting = pool.arrival();
        assert!(pool.offer(b).unwrap());
        assert!(waiting.now_or_never().is_some(), "a gossiped one does");
        assert!(pool.has_candidates_except(&skip_a));
    }
}
