//! The registry block as the consensus engine sees it.
//!
//! [`ChainBlock`] wraps `realdid_core::codec::Block` so the engine can hash, order and ship
//! it. Its digest is the core block hash, so the payload a finality certificate signs is the
//! same 32 bytes a light client recomputes from a header.

use std::sync::Arc;

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, Write};
use commonware_consensus::types::Height;
use commonware_consensus::{Block as EngineBlock, BoundedBlock, Heightable};
use commonware_cryptography::{Digestible, sha256};
use realdid_core::codec::{Block, BlockHash, MAX_BLOCK_LEN, transactions_root};

/// A block of the registry chain, with its hash computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBlock {
    block: Arc<Block>,
    hash: BlockHash,
}

impl ChainBlock {
    /// Wraps a core block.
    pub fn new(block: Block) -> Self {
        let hash = block.header.hash();
        Self {
            block: Arc::new(block),
            hash,
        }
    }

    /// The core block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The core block, shared rather than copied (a block may hold thousands of
    /// transactions).
    pub fn shared(&self) -> Arc<Block> {
        self.block.clone()
    }

    /// The block hash.
    pub fn hash(&self) -> BlockHash {
        self.hash
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
        if block.header.transactions_root != transactions_root(&block.transactions) {
            return Err(Error::Invalid(
                "ChainBlock",
                "transactions root does not match body",
            ));
        }
        Ok(Self::new(block))
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
