//! Transaction gossip: every validator hears of each admitted transaction, so whichever
//! validator leads next can include it.
//!
//! Without gossip a transaction waits in the pool of the one node it was submitted to until
//! that node leads, one view in n: with four validators, three quarters of a rotation on
//! average. With it, the next leader includes it. Each node checks what it hears against
//! its own finalized state before pooling it, exactly as a submission; a peer's batch is
//! never trusted. Only transactions submitted to this node are sent on, so a transaction
//! crosses each link once.

use std::sync::Mutex;

use commonware_codec::{Decode as _, Encode as _, EncodeSize as _, RangeCfg};
use realdid_core::codec::{MAX_TRANSACTION_LEN, Transaction};

/// Most transactions in one gossip message.
pub const MAX_BATCH: usize = 1024;
/// Largest gossip message, in bytes: a batch is cut when the next transaction would not fit.
/// The p2p message limit is derived from it (`crate::consensus::engine::max_message_size`).
pub const MAX_BATCH_LEN: usize = 1024 * 1024;

/// The canonical bytes of a batch of transactions (at most [`MAX_BATCH`] of them, within
/// [`MAX_BATCH_LEN`]).
pub fn encode_batch(txs: &[Transaction]) -> Vec<u8> {
    let raw: Vec<Vec<u8>> = txs.iter().map(|tx| tx.encode().to_vec()).collect();
    raw.encode().to_vec()
}

/// `txs` as gossip messages, in order: each at most [`MAX_BATCH`] transactions and
/// [`MAX_BATCH_LEN`] bytes, whatever the transactions' sizes.
pub fn encode_batches(txs: &[Transaction]) -> Vec<Vec<u8>> {
    // Every count prefix is sized at its widest, so a batch never outgrows its estimate.
    let prefix = MAX_BATCH.encode_size();
    let mut batches = Vec::new();
    let mut start = 0;
    let mut len = prefix;
    for (i, tx) in txs.iter().enumerate() {
        let tx_len = tx.encode_size();
        let framed = MAX_TRANSACTION_LEN.encode_size() + tx_len;
        if i > start && (i - start == MAX_BATCH || len + framed > MAX_BATCH_LEN) {
            batches.push(encode_batch(&txs[start..i]));
            start = i;
            len = prefix;
        }
        len += framed;
    }
    if start < txs.len() {
        batches.push(encode_batch(&txs[start..]));
    }
    batches
}

/// Why a peer's batch was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gossip batch does not decode: {0}")]
pub struct BadBatch(pub String);

/// Decodes a peer's batch: bounded in count and in each transaction's length, and every
/// transaction decodes. One bad transaction drops the whole batch: an honest peer sends none.
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Transaction>, BadBatch> {
    if bytes.len() > MAX_BATCH_LEN {
        return Err(BadBatch(format!(
            "{} bytes, at most {MAX_BATCH_LEN}",
            bytes.len()
        )));
    }
    let cfg = (
        RangeCfg::from(..=MAX_BATCH),
        (RangeCfg::from(..=MAX_TRANSACTION_LEN), ()),
    );
    let raw = Vec::<Vec<u8>>::decode_cfg(commonware_codec::Copying(bytes), &cfg)
        .map_err(|e| BadBatch(e.to_string()))?;
    raw.iter()
        .map(|tx| Transaction::decode_bounded(tx).map_err(|e| BadBatch(e.to_string())))
        .collect()
}

/// Transactions admitted here and not yet sent to the peers.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: Mutex<Vec<Transaction>>,
}

impl Outbox {
    /// Queues a transaction for the next send.
    pub fn push(&self, tx: Transaction) {
        self.lock().push(tx);
    }

    /// Everything queued, oldest first; the outbox is left empty.
    pub fn take(&self) -> Vec<Transaction> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Transaction>> {
        // Whole transactions only are pushed: a poisoned lock still holds a valid queue.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::node::mempool::tests::tx;

    #[test]
    fn batches_round_trip_and_bad_batches_are_refused() {
        let txs: Vec<_> = (1..=3).map(tx).collect();
        let bytes = encode_batch(&txs);
        assert_eq!(decode_batch(&bytes).unwrap(), txs);
        assert!(decode_batch(&bytes[..bytes.len() - 1]).is_err());
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_batch(&trailing).is_err());
        // A batch with a transaction that does not decode is refused whole.
        let raw = vec![txs[0].encode().to_vec(), vec![0xff, 1, 2]];
        assert!(decode_batch(&raw.encode()).is_err());
        // Too many transactions.
        let many = vec![txs[0].encode().to_vec(); MAX_BATCH + 1];
        assert!(decode_batch(&many.encode()).is_err());
    }

    #[test]
    fn batches_stay_within_their_bounds_whatever_the_transactions() {
        use realdid_core::codec::{GovernanceAction, GovernanceTx, MAX_APPROVALS};
        use realdid_core::keys::{Algorithm, SigningKey};
        // Governance transactions with the most approvals: about 6 KB each.
        let signers: Vec<_> = (0..MAX_APPROVALS)
            .map(|_| SigningKey::generate(Algorithm::EdDsa).unwrap())
            .collect();
        let large: Vec<Transaction> = (0..400)
            .map(|nonce| {
                let action = GovernanceAction::RemoveIssuer {
                    issuer: realdid_core::did::RealDid::from_suffix([7; 32]),
                    reason: "r".repeat(realdid_core::codec::MAX_NAME_LEN),
                };
                Transaction::Governance(
                    GovernanceTx::approved(
                        &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                        action,
                        nonce,
                        &signers,
                    )
                    .unwrap(),
                )
            })
            .collect();
        let small: Vec<Transaction> = (1..=3000).map(tx).collect();
        for txs in [large, small] {
            let batches = encode_batches(&txs);
            assert!(batches.len() > 1, "the transactions need several batches");
            let mut back = Vec::new();
            for batch in &batches {
                assert!(batch.len() <= MAX_BATCH_LEN, "{} bytes", batch.len());
                let decoded = decode_batch(batch).unwrap();
                assert!(decoded.len() <= MAX_BATCH);
                back.extend(decoded);
            }
            assert_eq!(back, txs, "every transaction once, in order");
        }
        assert!(encode_batches(&[]).is_empty());
        let too_long = vec![0u8; MAX_BATCH_LEN + 1];
        assert!(decode_batch(&too_long).unwrap_err().0.contains("at most"));
    }

    #[test]
    fn outbox_hands_out_each_transaction_once() {
        let outbox = Outbox::default();
        outbox.push(tx(1));
        outbox.push(tx(2));
        assert_eq!(outbox.take().len(), 2);
        assert!(outbox.take().is_empty());
    }
}
