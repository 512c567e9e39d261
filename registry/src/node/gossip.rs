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

use commonware_codec::{Decode as _, Encode as _, RangeCfg};
use realdid_core::codec::{MAX_TRANSACTION_LEN, Transaction};

/// Most transactions in one gossip message.
pub const MAX_BATCH: usize = 1024;

/// The canonical bytes of a batch of at most [`MAX_BATCH`] transactions.
pub fn encode_batch(txs: &[Transaction]) -> Vec<u8> {
    let raw: Vec<Vec<u8>> = txs.iter().map(|tx| tx.encode().to_vec()).collect();
    raw.encode().to_vec()
}

/// Why a peer's batch was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gossip batch does not decode: {0}")]
pub struct BadBatch(pub String);

/// Decodes a peer's batch: bounded in count and in each transaction's length, and every
/// transaction decodes. One bad transaction drops the whole batch: an honest peer sends none.
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Transaction>, BadBatch> {
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
    fn outbox_hands_out_each_transaction_once() {
        let outbox = Outbox::default();
        outbox.push(tx(1));
        outbox.push(tx(2));
        assert_eq!(outbox.take().len(), 2);
        assert!(outbox.take().is_empty());
    }
}
