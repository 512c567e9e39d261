//! Block execution: a pure function of (state, block context, transactions) → writes.
//!
//! Nothing here does I/O or reads a clock: the state comes through a [`StateView`], the
//! height, block time and governance set through a [`BlockContext`]. Every validator computes
//! the same writes from the same inputs, and the store turns them into a state root.
//!
//! | transaction    | authorised by                                   | also requires                                   |
//! |----------------|-------------------------------------------------|-------------------------------------------------|
//! | DID operation  | the DID method rules (`realdid_core::did::apply`) |                                               |
//! | accredit       | ≥ threshold distinct governance keys            | unused nonce; issuer DID exists and is live     |
//! | remove issuer  | ≥ threshold distinct governance keys            | unused nonce; issuer currently accredited       |
//! | trace approvers| ≥ threshold distinct governance keys            | unused nonce; issuer accredited; 2 ≤ k ≤ n ≤ 32, no id or key twice |
//! | status anchor  | an assertionMethod key of the issuer's DID      | issuer accredited; sequence ≥ 1, above the last anchored one of that list and at most `MAX_SEQUENCE_STEP` ahead of it |
//! | audit anchor   | an assertionMethod key of the issuer's DID, and k distinct trace approvers of the issuer on chain | issuer accredited; no anchor with that sequence yet; each approval signed for this chain, issuer and request hash, at most `MAX_APPROVAL_AGE_S` before the block |
//!
//! Replays are refused by the same rules: a DID operation names the hash of the operation it
//! builds on (a replay is stale, a replayed create finds its DID existing), a governance nonce
//! is used once, status-list sequences only go up and an audit sequence is anchored once.
//!
//! A block is valid only if every transaction in it passes, each against the state left by
//! the ones before it ([`execute_block`]), and it applies at most one operation to each DID:
//! every DID version is then the state at one height, provable by version. A proposer
//! assembles a block by dropping the candidates that fail and leaving for a later block the
//! second operation on a DID ([`build_block`]); the pool hands it recoveries before updates,
//! so a recovery wins over a thief's updates in the block that holds it.
//!
//! Failures of the state itself (a read that fails, a stored value that does not decode) are
//! [`RegistryError`]s, never rejections: a node that cannot read its state must stop, not
//! refuse a transaction the others accept.

mod anchor;
mod did;
mod governance;
mod rejection;

use std::collections::{BTreeMap, BTreeSet};

use commonware_codec::{Encode, EncodeSize};
use realdid_core::codec::{HEADER_LEN, MAX_BLOCK_LEN, MAX_BLOCK_TRANSACTIONS, Transaction, TxHash};
use realdid_core::keys::{PublicKey, SignatureCheck};

pub use anchor::{APPROVAL_CLOCK_LEEWAY_S, MAX_APPROVAL_AGE_S, MAX_SEQUENCE_STEP};
pub use realdid_core::keys::{REMEMBERED_SIGNATURES, SignatureMemo};
pub use rejection::{RejectReason, Rejection};

use crate::RegistryError;
use crate::state::keys::StateKey;

/// Reads the state a transaction is checked against.
pub trait StateView {
    /// The value under `key`, or `None` if the key holds nothing.
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, RegistryError>;
}

/// The record under `key`, decoded, or `None` if the key holds nothing. `what` names it in
/// the corruption error if the stored bytes do not decode.
fn read_record<T: commonware_codec::Read<Cfg = ()>>(
    view: &(impl StateView + ?Sized),
    key: &StateKey,
    what: &'static str,
) -> Result<Option<T>, RegistryError> {
    view.get(key)?
        .map(|bytes| crate::state::records::decode_value::<T>(&bytes, what))
        .transpose()
        .map_err(RegistryError::from)
}

impl<T: StateView + ?Sized> StateView for &T {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, RegistryError> {
        (**self).get(key)
    }
}

/// An in-memory state, for tests and tools.
impl StateView for BTreeMap<StateKey, Vec<u8>> {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, RegistryError> {
        Ok(BTreeMap::get(self, key).cloned())
    }
}

/// The keys that decide governance transactions, and the chain they govern (from the
/// genesis file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Governance {
    /// The chain: governance approvals and issuers' anchors are signed for it, and count
    /// on no other.
    pub chain: realdid_core::codec::ChainId,
    /// The governance keys.
    pub keys: Vec<PublicKey>,
    /// How many distinct keys of `keys` must approve a governance transaction. A threshold of
    /// zero is treated as one: a governance decision always needs an approval.
    pub threshold: usize,
}

impl Governance {
    /// The governance rule of the chain `genesis` starts: its keys, its threshold.
    pub fn of(genesis: &crate::genesis::Genesis) -> Self {
        let config = genesis.governance_config();
        Self {
            chain: genesis.chain_id().clone(),
            keys: config.keys().to_vec(),
            threshold: config.threshold(),
        }
    }
}

/// What a block's transactions may depend on besides the state.
#[derive(Clone, Copy)]
pub struct BlockContext<'a> {
    /// The height of the block being executed.
    pub height: u64,
    /// The block's timestamp (from its header), unix milliseconds.
    pub timestamp_ms: u64,
    /// The governance keys and threshold.
    pub governance: &'a Governance,
    /// Where signatures are checked: the node's memory of good ones, or a
    /// [`realdid_core::keys::Deferred`] checker that puts them off to check them together.
    pub signatures: &'a dyn SignatureCheck,
}

impl std::fmt::Debug for BlockContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockContext")
            .field("height", &self.height)
            .field("timestamp_ms", &self.timestamp_ms)
            .field("governance", &self.governance)
            .finish_non_exhaustive()
    }
}

/// The state changes of one transaction: each key with its new value (`None`: removed).
pub type Writes = Vec<(StateKey, Option<Vec<u8>>)>;

/// The candidates a block builder dropped, each with its rejection.
pub type Dropped = Vec<(TxHash, Rejection)>;

/// The outcome of executing a block's transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Executed {
    /// The final value of every key the block wrote.
    pub writes: BTreeMap<StateKey, Option<Vec<u8>>>,
    /// The hashes of the transactions, in block order.
    pub tx_hashes: Vec<TxHash>,
    /// The DIDs the block operated on (one operation each).
    pub dids: BTreeSet<realdid_core::did::RealDid>,
}

/// A view of `base` with the writes of the block so far on top.
struct Pending<'a, V: ?Sized> {
    base: &'a V,
    writes: &'a BTreeMap<StateKey, Option<Vec<u8>>>,
}

impl<V: StateView + ?Sized> StateView for Pending<'_, V> {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, RegistryError> {
        match self.writes.get(key) {
            Some(value) => Ok(value.clone()),
            None => self.base.get(key),
        }
    }
}

/// Checks one transaction against `view` and returns the writes it makes, or the first rule
/// it breaks.
pub fn check_transaction(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    tx: &Transaction,
) -> Result<Result<Writes, Rejection>, RegistryError> {
    match tx {
        Transaction::Did(op) => did::check(view, ctx, op, &op.operation.did()),
        Transaction::Governance(g) => governance::check(view, ctx, g),
        Transaction::StatusAnchor(a) => anchor::check_status(view, ctx, a),
        Transaction::AuditAnchor(a) => anchor::check_audit(view, ctx, a),
        Transaction::Disclosure(d) => anchor::check_disclosure(view, ctx, d),
    }
}

/// Why a transaction does not go into the block being executed or built.
enum NotApplied {
    /// It breaks a rule.
    Rejected(Rejection),
    /// It operates on a DID the block already operated on: invalid in this block, perhaps
    /// valid in the next.
    DidTaken(Rejection),
}

impl Executed {
    /// Applies one transaction (whose hash is `hash`) on top of the writes so far; when it is
    /// not applied, nothing changes.
    fn apply(
        &mut self,
        view: &(impl StateView + ?Sized),
        ctx: &BlockContext<'_>,
        tx: &Transaction,
        hash: TxHash,
    ) -> Result<Result<(), NotApplied>, RegistryError> {
        let pending = Pending {
            base: view,
            writes: &self.writes,
        };
        // A creation's DID is a hash of its content: worked out once, here.
        let (checked, did) = match tx {
            Transaction::Did(op) => {
                let did = op.operation.did();
                if self.dids.contains(&did) {
                    return Ok(Err(NotApplied::DidTaken(Rejection::new(
                        RejectReason::Stale,
                        format!(
                            "{did} already has an operation in this block; a block applies at most one to a DID"
                        ),
                    ))));
                }
                (did::check(&pending, ctx, op, &did)?, Some(did))
            }
            other => (check_transaction(&pending, ctx, other)?, None),
        };
        let writes = match checked {
            Ok(writes) => writes,
            Err(rejection) => return Ok(Err(NotApplied::Rejected(rejection))),
        };
        self.writes.extend(writes);
        self.tx_hashes.push(hash);
        self.dids.extend(did);
        Ok(Ok(()))
    }
}

/// Executes a block: every transaction must pass, each against the state the earlier ones
/// left. `tx_hashes` are the transactions' hashes, in order (worked out where the block came
/// in). Returns the writes, or the index of the first failing transaction with its
/// rejection (the block is then invalid).
pub fn execute_block(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    txs: &[Transaction],
    tx_hashes: &[TxHash],
) -> Result<Result<Executed, (usize, Rejection)>, RegistryError> {
    if tx_hashes.len() != txs.len() {
        return Err(RegistryError::InvalidRequest {
            reason: format!(
                "{} transaction hashes for {} transactions",
                tx_hashes.len(),
                txs.len()
            ),
        });
    }
    let mut executed = Executed::default();
    if txs.len() > MAX_BLOCK_TRANSACTIONS {
        let rejection = Rejection::new(
            RejectReason::Malformed,
            format!(
                "block has {} transactions, at most {MAX_BLOCK_TRANSACTIONS}",
                txs.len()
            ),
        );
        return Ok(Err((MAX_BLOCK_TRANSACTIONS, rejection)));
    }
    for (index, (tx, hash)) in txs.iter().zip(tx_hashes).enumerate() {
        match executed.apply(view, ctx, tx, *hash)? {
            Ok(()) => {}
            Err(NotApplied::Rejected(rejection) | NotApplied::DidTaken(rejection)) => {
                return Ok(Err((index, rejection)));
            }
        }
    }
    Ok(Ok(executed))
}

/// Assembles a block for a proposer: takes candidates (each with its hash, as the pool
/// keeps them) in order while the block has room (`max_txs`, [`MAX_BLOCK_TRANSACTIONS`] and
/// [`MAX_BLOCK_LEN`]), includes each one that passes against the state so far and drops each
/// one that fails, with its rejection.
///
/// Candidates after the block is full are not consumed from the iterator. A candidate too
/// large for the room left, or a second operation on a DID the block already operates on,
/// is skipped without a rejection: it may fit, or still be valid in, a later block.
pub fn build_block(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    candidates: impl IntoIterator<Item = (TxHash, Transaction)>,
    max_txs: usize,
) -> Result<(Vec<Transaction>, Executed, Dropped), RegistryError> {
    let max_txs = max_txs.min(MAX_BLOCK_TRANSACTIONS);
    let mut included = Vec::new();
    let mut executed = Executed::default();
    let mut rejected = Vec::new();
    // Header and the largest transaction-count prefix.
    let mut block_len = HEADER_LEN + MAX_BLOCK_TRANSACTIONS.encode_size();
    let mut candidates = candidates.into_iter();
    while included.len() < max_txs {
        let Some((hash, tx)) = candidates.next() else {
            break;
        };
        let tx_len = tx.encode_size();
        let framed = tx_len.encode_size() + tx_len;
        if block_len + framed > MAX_BLOCK_LEN {
            continue;
        }
        match executed.apply(view, ctx, &tx, hash)? {
            Ok(()) => {
                block_len += framed;
                included.push(tx);
            }
            Err(NotApplied::Rejected(rejection)) => rejected.push((hash, rejection)),
            Err(NotApplied::DidTaken(_)) => {}
        }
    }
    Ok((included, executed, rejected))
}

/// Encodes a record for a write.
fn put(key: StateKey, value: &impl Encode) -> (StateKey, Option<Vec<u8>>) {
    (key, Some(value.encode().to_vec()))
}
