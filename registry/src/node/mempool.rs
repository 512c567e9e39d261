//! Transactions waiting for a block, and the callers waiting for their fate.
//!
//! A transaction enters the pool only after it passed the rules against the latest
//! finalized state; it leaves when a finalized block includes it (the waiters get a receipt)
//! or when a proposer finds it no longer valid against a newer state (the waiters get the
//! rejection). The pool is bounded: a full pool refuses new work rather than grow.
//!
//! It waits in one of three [`Lane`]s, each with its own capacity, drained in order: what
//! only accredited issuers and the governance can sign (status and audit anchors,
//! accreditations) first, then recoveries and deactivations, then everything anyone may send
//! (DID creations and updates). So a flood of free DID operations can neither fill the room
//! a revocation needs in the pool nor crowd it out of a block, and a DID's recovery is
//! proposed before the updates of a thief who holds its device key.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use commonware_codec::EncodeSize as _;
use realdid_core::codec::{BlockHash, Transaction, TxHash};
use realdid_core::did::DidOperation;
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

/// The queue a pending transaction waits in; a proposer drains them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// Status and audit anchors and governance: only accredited issuers and the governance
    /// keys can sign them.
    Authority = 0,
    /// DID recoveries and deactivations: they must win over a thief's updates.
    Recovery = 1,
    /// DID creations and updates: anyone may send them.
    Open = 2,
}

impl Lane {
    /// Every lane, in the order a proposer takes them.
    pub const ALL: [Lane; 3] = [Lane::Authority, Lane::Recovery, Lane::Open];

    /// The lane `tx` waits in.
    pub fn of(tx: &Transaction) -> Self {
        match tx {
            Transaction::Governance(_)
            | Transaction::StatusAnchor(_)
            | Transaction::AuditAnchor(_)
            | Transaction::Disclosure(_) => Lane::Authority,
            Transaction::Did(op) => match op.operation {
                DidOperation::Recover(_) | DidOperation::Deactivate(_) => Lane::Recovery,
                DidOperation::Create(_) | DidOperation::Update(_) => Lane::Open,
            },
        }
    }

    /// The lane's name, for errors and logs.
    pub fn name(self) -> &'static str {
        match self {
            Lane::Authority => "anchors and governance",
            Lane::Recovery => "recoveries and deactivations",
            Lane::Open => "DID creations and updates",
        }
    }
}

/// How many transactions each lane holds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneCapacities {
    /// [`Lane::Authority`].
    pub authority: usize,
    /// [`Lane::Recovery`].
    pub recovery: usize,
    /// [`Lane::Open`].
    pub open: usize,
}

impl LaneCapacities {
    /// The capacity of `lane`.
    pub fn of(&self, lane: Lane) -> usize {
        match lane {
            Lane::Authority => self.authority,
            Lane::Recovery => self.recovery,
            Lane::Open => self.open,
        }
    }

    /// Every lane holding `capacity` (tests).
    pub fn all(capacity: usize) -> Self {
        Self {
            authority: capacity,
            recovery: capacity,
            open: capacity,
        }
    }
}

/// Most callers that may wait at once for one pending transaction. Resubmitting the same
/// bytes is how a client learns a transaction's fate, so every caller gets a place in the
/// queue of its transaction; without a bound, one transaction resubmitted in a loop by
/// callers that never hang up would grow that queue for as long as it stays pending.
pub const MAX_WAITERS: usize = 256;

/// Why the pool did not take a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolFull {
    /// The transaction's lane is full.
    Lane {
        /// The lane that is full.
        lane: Lane,
        /// Its capacity.
        capacity: usize,
    },
    /// [`MAX_WAITERS`] callers already wait for this very transaction.
    Waiters,
}

impl std::fmt::Display for PoolFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lane { lane, capacity } => write!(
                f,
                "the pending pool's lane for {} is full ({capacity} transactions)",
                lane.name(),
            ),
            Self::Waiters => write!(
                f,
                "{MAX_WAITERS} callers already wait for this transaction; wait for one of them to learn its fate"
            ),
        }
    }
}

struct Pending {
    seq: u64,
    lane: Lane,
    /// The transaction's encoded length.
    len: usize,
    tx: Transaction,
    waiters: Vec<oneshot::Sender<Outcome>>,
}

#[derive(Default)]
struct Inner {
    next_seq: u64,
    /// Per lane, the pending hashes in arrival order.
    order: [BTreeMap<u64, TxHash>; 3],
    by_hash: HashMap<TxHash, Pending>,
}

impl Inner {
    /// The pending entry of `hash`, added at the back of its lane if new.
    fn add(
        &mut self,
        capacities: &LaneCapacities,
        hash: TxHash,
        tx: Transaction,
    ) -> Result<&mut Pending, PoolFull> {
        let lane = Lane::of(&tx);
        let capacity = capacities.of(lane);
        let full = self.order[lane as usize].len() >= capacity;
        match self.by_hash.entry(hash) {
            Entry::Occupied(pending) => Ok(pending.into_mut()),
            Entry::Vacant(_) if full => Err(PoolFull::Lane { lane, capacity }),
            Entry::Vacant(slot) => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.order[lane as usize].insert(seq, hash);
                Ok(slot.insert(Pending {
                    seq,
                    lane,
                    len: tx.encode_size(),
                    tx,
                    waiters: Vec::new(),
                }))
            }
        }
    }

    /// Every pending hash, lane by lane, each lane in arrival order.
    fn in_lane_order(&self) -> impl Iterator<Item = &TxHash> {
        self.order.iter().flat_map(BTreeMap::values)
    }
}

/// The pending pool of one node.
pub struct Mempool {
    capacities: LaneCapacities,
    inner: Mutex<Inner>,
    /// Woken whenever a transaction new to the pool arrives, so that an idle proposer
    /// proposes at once instead of at the end of its idle wait.
    arrivals: Notify,
}

impl std::fmt::Debug for Mempool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mempool")
            .field("capacities", &self.capacities)
            .field("len", &self.len())
            .finish()
    }
}

impl Mempool {
    /// An empty pool whose lanes hold at most `capacities`.
    pub fn new(capacities: LaneCapacities) -> Self {
        Self {
            capacities,
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

    /// Number of pending transactions in `lane`.
    pub fn lane_len(&self, lane: Lane) -> usize {
        self.lock().order[lane as usize].len()
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
        let pending = inner.add(&self.capacities, hash, tx)?;
        // Callers that hung up wait for nothing: their places go first.
        pending.waiters.retain(|waiter| !waiter.is_closed());
        if pending.waiters.len() >= MAX_WAITERS {
            return Err(PoolFull::Waiters);
        }
        pending.waiters.push(sender);
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

    /// Adds a checked transaction that nobody here waits for (one a peer gossiped), whose
    /// hash the caller worked out already (`hash`). Returns false when it was already
    /// pending.
    pub fn offer(&self, hash: TxHash, tx: Transaction) -> Result<bool, PoolFull> {
        debug_assert_eq!(hash, tx.hash(), "the hash offered is not the transaction's");
        let mut inner = self.lock();
        if inner.by_hash.contains_key(&hash) {
            return Ok(false);
        }
        inner.add(&self.capacities, hash, tx)?;
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
        inner.in_lane_order().any(|hash| !skip.contains(hash))
    }

    /// The pending transactions a block would take first, at most `max`, lane by lane and
    /// each lane in arrival order.
    pub fn candidates(&self, max: usize) -> Vec<Transaction> {
        self.candidates_except(max, usize::MAX, &HashSet::new())
            .into_iter()
            .map(|(_, tx)| tx)
            .collect()
    }

    /// [`Mempool::candidates`] not in `skip`, each with its hash, at most `max` of them and
    /// `max_bytes` of encoded transactions together (a block cannot hold more, so copying
    /// more would only cost the proposer). The pool knows each hash and length already:
    /// nothing is hashed or encoded again.
    pub fn candidates_except(
        &self,
        max: usize,
        max_bytes: usize,
        skip: &HashSet<TxHash>,
    ) -> Vec<(TxHash, Transaction)> {
        let inner = self.lock();
        let mut bytes = 0usize;
        inner
            .in_lane_order()
            .filter(|hash| !skip.contains(*hash))
            .filter_map(|hash| Some((*hash, inner.by_hash.get(hash)?)))
            .take_while(|(_, pending)| {
                bytes = bytes.saturating_add(pending.len);
                bytes <= max_bytes
            })
            .take(max)
            .map(|(hash, pending)| (hash, pending.tx.clone()))
            .collect()
    }

    /// Settles transactions: each leaves the pool and its waiters learn the outcome.
    pub fn settle(&self, outcomes: impl IntoIterator<Item = (TxHash, Outcome)>) {
        let mut inner = self.lock();
        for (hash, outcome) in outcomes {
            if let Some(pending) = inner.by_hash.remove(&hash) {
                inner.order[pending.lane as usize].remove(&pending.seq);
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
                &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                RealDid::from_suffix([1; 32]),
                "https://issuer.example/status/1".into(),
                sequence,
                [2; 32],
                realdid_core::status_list::StatusTally::default(),
                realdid_core::did::KeyId::first(),
                &key,
            )
            .unwrap(),
        )
    }

    #[test]
    fn fifo_bounded_and_settled_once_for_every_waiter() {
        let pool = Mempool::new(LaneCapacities::all(2));
        let (a, b, c) = (tx(1), tx(2), tx(3));
        let mut first = pool.insert(a.clone()).unwrap();
        let mut again = pool.insert(a.clone()).unwrap();
        pool.insert(b.clone()).unwrap();
        assert_eq!(
            pool.insert(c).unwrap_err(),
            PoolFull::Lane {
                lane: Lane::Authority,
                capacity: 2
            }
        );
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
    fn callers_waiting_for_one_transaction_are_bounded() {
        let pool = Mempool::new(LaneCapacities::all(2));
        let a = tx(1);
        let mut waiting: Vec<_> = (0..MAX_WAITERS)
            .map(|_| pool.insert(a.clone()).unwrap())
            .collect();
        assert_eq!(pool.insert(a.clone()).unwrap_err(), PoolFull::Waiters);
        assert!(
            PoolFull::Waiters
                .to_string()
                .contains("callers already wait for this transaction")
        );
        // A caller that hung up frees its place.
        waiting.pop();
        waiting.push(pool.insert(a.clone()).unwrap());
        assert_eq!(pool.len(), 1);
        pool.settle([(
            a.hash(),
            Outcome::Rejected(Rejection {
                reason: RejectReason::Stale,
                message: "superseded".into(),
            }),
        )]);
        assert!(waiting.iter_mut().all(|w| w.try_recv().is_ok()));
    }

    #[test]
    fn offered_transactions_join_the_queue_without_waiters() {
        let pool = Mempool::new(LaneCapacities::all(2));
        let (a, b, c) = (tx(1), tx(2), tx(3));
        assert!(pool.offer(a.hash(), a.clone()).unwrap());
        assert!(!pool.offer(a.hash(), a.clone()).unwrap(), "already pending");
        // A local submission of a gossiped transaction waits for it like any other.
        let mut waiter = pool.insert(a.clone()).unwrap();
        assert!(pool.offer(b.hash(), b.clone()).unwrap());
        assert_eq!(
            pool.offer(c.hash(), c).unwrap_err(),
            PoolFull::Lane {
                lane: Lane::Authority,
                capacity: 2
            }
        );
        assert!(pool.contains(&a.hash()) && pool.contains(&b.hash()));
        assert_eq!(pool.candidates(10), vec![a.clone(), b.clone()]);
        let skip: HashSet<TxHash> = [a.hash()].into();
        assert_eq!(
            pool.candidates_except(10, usize::MAX, &skip),
            vec![(b.hash(), b.clone())],
            "each candidate comes with its hash"
        );
        assert_eq!(pool.candidates_except(0, usize::MAX, &skip), vec![]);
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

    /// A signed DID operation of `kind` (the signature need not verify: the pool does not
    /// check).
    fn did_op(kind: &str, seed: u8) -> Transaction {
        use realdid_core::did::{
            CreateOp, DeactivateOp, DidOperation, KeyId, OperationHash, Purposes,
        };
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let did = RealDid::from_suffix([seed; 32]);
        let operation = match kind {
            "create" => DidOperation::Create(CreateOp::single_key(
                &key.public_key(),
                Purposes::AUTHENTICATION,
                &key.public_key(),
            )),
            _ => DidOperation::Deactivate(DeactivateOp {
                did,
                previous: OperationHash([seed; 32]),
                recovery_key: key.public_key(),
            }),
        };
        let signer = (kind == "create").then(KeyId::first);
        Transaction::Did(
            operation
                .sign(
                    &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                    signer,
                    &key,
                )
                .unwrap(),
        )
    }

    #[test]
    fn lanes_are_drained_in_order_and_filled_on_their_own() {
        let pool = Mempool::new(LaneCapacities {
            authority: 1,
            recovery: 1,
            open: 2,
        });
        let (create_a, create_b, create_c) = (
            did_op("create", 1),
            did_op("create", 2),
            did_op("create", 3),
        );
        let (deactivate, anchor) = (did_op("deactivate", 4), tx(1));
        assert_eq!(Lane::of(&create_a), Lane::Open);
        assert_eq!(Lane::of(&deactivate), Lane::Recovery);
        assert_eq!(Lane::of(&anchor), Lane::Authority);
        pool.insert(create_a.clone()).unwrap();
        pool.insert(create_b.clone()).unwrap();
        // The open lane is full; the others still take what they are for.
        let full = pool.insert(create_c).unwrap_err();
        assert_eq!(
            full,
            PoolFull::Lane {
                lane: Lane::Open,
                capacity: 2
            }
        );
        assert!(full.to_string().contains("DID creations and updates"));
        pool.insert(deactivate.clone()).unwrap();
        pool.insert(anchor.clone()).unwrap();
        assert_eq!(pool.lane_len(Lane::Open), 2);
        // Anchors first, then recoveries, then the open lane in arrival order.
        assert_eq!(
            pool.candidates(10),
            vec![
                anchor.clone(),
                deactivate.clone(),
                create_a.clone(),
                create_b.clone()
            ]
        );
        assert_eq!(pool.candidates(2), vec![anchor.clone(), deactivate.clone()]);
        // At most max_bytes of transactions.
        let two = anchor.encode_size() + deactivate.encode_size();
        assert_eq!(
            pool.candidates_except(10, two, &HashSet::new()),
            vec![(anchor.hash(), anchor), (deactivate.hash(), deactivate)]
        );
        assert_eq!(pool.candidates_except(10, 0, &HashSet::new()), vec![]);
    }

    #[test]
    fn only_a_new_transaction_wakes_an_idle_proposer() {
        use futures::FutureExt as _;
        let pool = Mempool::new(LaneCapacities::all(4));
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
        assert!(!pool.offer(a.hash(), a.clone()).unwrap());
        assert!(
            waiting.now_or_never().is_none(),
            "a known transaction does not"
        );

        let waiting = pool.arrival();
        assert!(pool.offer(b.hash(), b).unwrap());
        assert!(waiting.now_or_never().is_some(), "a gossiped one does");
        assert!(pool.has_candidates_except(&skip_a));
    }
}
