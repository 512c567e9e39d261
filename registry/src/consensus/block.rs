//! The registry block as the consensus engine sees it.
//!
//! [`ChainBlock`] wraps `realdid_core::codec::Block` so the engine can hash, order and ship
//! it. Its digest is the core block hash, so the payload a finality certificate signs is the
//! same 32 bytes a light client recomputes from a header. It also carries its transactions'
//! hashes, worked out once where the block enters the node (decoded from a peer, or built
//! here): staging, the commit and the pending pool need them, and hashing a transaction
//! means encoding it again.

use std::sync::Arc;

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, Write};
use commonware_consensus::types::Height;
use commonware_consensus::{Block as EngineBlock, BoundedBlock, Heightable};
use commonware_cryptography::{Digestible, sha256};
use realdid_core::codec::{
    Block, BlockHash, MAX_BLOCK_LEN, Transaction, TxHash, transactions_root_of,
};

/// A block of the registry chain, with its hash and its transactions' hashes computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBlock {
    block: Arc<Block>,
    hash: BlockHash,
    /// `block.transactions`' hashes, in block order.
    tx_hashes: Arc<[TxHash]>,
}

impl ChainBlock {
    /// Wraps a core block.
    pub fn new(block: Block) -> Self {
        let tx_hashes = block.transactions.iter().map(Transaction::hash).collect();
        Self::with_hashes(block, tx_hashes)
    }

    /// Wraps a core block whose transactions' hashes the caller already holds, in block
    /// order (a proposer's pool keys its transactions by hash).
    pub(crate) fn with_hashes(block: Block, tx_hashes: Arc<[TxHash]>) -> Self {
        debug_assert!(
            block
                .transactions
                .iter()
                .map(Transaction::hash)
                .eq(tx_hashes.iter().copied()),
            "the hashes given are not the block's"
        );
        let hash = block.header.hash();
        Self {
            block: Arc::new(block),
            hash,
            tx_hashes,
        }
    }

    /// The core block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The block hash.
    pub fn hash(&self) -> BlockHash {
        self.hash
    }

    /// The transactions' hashes, in block order.
    pub fn tx_hashes(&self) -> &[TxHash] {
        &self.tx_hashes
    }
}

/// The engine's digest for a block hash.
pub fn to_digest(hash: BlockHash) -> sha256::Digest {
    sha256::Digest::from(hash.0)
}

/// The block hash an engine digest stands for.
pub fn from_digest(digest: &sha256::Digest) -> BlockHash {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    BlockHash(out)
}

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl BufMut) {
        self.block.write(buf);
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        self.block.encode_size()
    }
}

impl Read for ChainBlock {
    type Cfg = ();

    /// Blocks arrive from peers: the header must describe the body exactly.
    fn read_cfg(buf: &mut impl Buf, cfg: &()) -> Result<Self, Error> {
        let block = Block::read_cfg(buf, cfg)?;
        if block.header.transaction_count as usize != block.transactions.len() {
            return Err(Error::Invalid(
                "ChainBlock",
                "transaction count does not match body",
            ));
        }
        let tx_hashes: Arc<[TxHash]> = block.transactions.iter().map(Transaction::hash).collect();
        if block.header.transactions_root != transactions_root_of(tx_hashes.iter().copied()) {
            return Err(Error::Invalid(
                "ChainBlock",
                "transactions root does not match body",
            ));
        }
        Ok(Self::with_hashes(block, tx_hashes))
    }
}

impl Digestible for ChainBlock {
    type Digest = sha256::Digest;

    fn digest(&self) -> sha256::Digest {
        to_digest(self.hash)
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.block.header.height)
    }
}

impl EngineBlock for ChainBlock {
    fn parent(&self) -> sha256::Digest {
        to_digest(self.block.header.parent)
    }
}

/// The engine sizes its p2p messages from this bound; the block decoder refuses anything
/// longer, and a proposer never builds anything longer (`crate::execute::build_block`).
impl BoundedBlock for ChainBlock {
    fn max_encode_size(_: &()) -> usize {
        MAX_BLOCK_LEN
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use commonware_codec::{Decode as _, Encode as _};
    use realdid_core::codec::{BlockHeader, transactions_root};

    use super::*;
    use crate::node::mempool::tests::tx;

    fn block_of(transactions: Vec<Transaction>) -> Block {
        Block {
            header: BlockHeader {
                height: 1,
                parent: BlockHash([1; 32]),
                timestamp_ms: 1_700_000_000_000,
                state_root: Default::default(),
                transactions_root: transactions_root(&transactions),
                transaction_count: u32::try_from(transactions.len()).unwrap(),
            },
            transactions,
        }
    }

    #[test]
    fn a_decoded_block_carries_its_transactions_hashes_in_order() {
        let txs = vec![tx(1), tx(2), tx(3)];
        let block = block_of(txs.clone());
        let decoded = ChainBlock::decode_cfg(block.encode(), &()).unwrap();
        let hashes: Vec<TxHash> = txs.iter().map(Transaction::hash).collect();
        assert_eq!(decoded.tx_hashes(), hashes.as_slice());
        assert_eq!(decoded, ChainBlock::new(block));
    }

    #[test]
    fn a_body_that_does_not_sum_to_the_headers_root_is_refused() {
        let mut block = block_of(vec![tx(1), tx(2)]);
        block.transactions.swap(0, 1);
        let refused = ChainBlock::decode_cfg(block.encode(), &()).unwrap_err();
        assert!(
            refused.to_string().contains("transactions root"),
            "{refused}"
        );
    }
}
