//! The store's own records: the finalized height and per-height metadata.
//!
//! ```text
//! finalized   version u8 (=1) || height u64 || block hash(32) || state root(32) || timestamp ms u64
//! block info  version u8 (=1) || height u64 || block hash(32) || state root(32) || timestamp ms u64
//!             || finalized at ms u64 || transaction count u32
//! tx location height u64 || index u32
//! ```

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt as _, Write};
use realdid_core::codec::primitives::read_bytes32;
use realdid_core::codec::{BlockHash, BlockHeader, StateRoot};

const VERSION: u8 = 1;

/// The latest finalized block as the store holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalized {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub block_hash: BlockHash,
    /// The state root after it.
    pub state_root: StateRoot,
    /// Its timestamp (from its header), unix milliseconds.
    pub timestamp_ms: u64,
}

/// The newest block with a finality certificate of its own, which the store keeps in memory:
/// nearly every proven read is taken there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certified {
    /// Its height.
    pub height: u64,
    /// Its header.
    pub header: BlockHeader,
    /// Its certificate.
    pub certificate: Vec<u8>,
}

/// What the store records about each finalized height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// The height.
    pub height: u64,
    /// The block's hash.
    pub block_hash: BlockHash,
    /// The state root after the block.
    pub state_root: StateRoot,
    /// The block's timestamp (from its header), unix milliseconds.
    pub timestamp_ms: u64,
    /// When this node committed the block as final, unix milliseconds (its own clock).
    pub finalized_at_ms: u64,
    /// Number of transactions in the block.
    pub transaction_count: u32,
}

impl BlockInfo {
    /// The block as the latest finalized one.
    pub fn finalized(&self) -> Finalized {
        Finalized {
            height: self.height,
            block_hash: self.block_hash,
            state_root: self.state_root,
            timestamp_ms: self.timestamp_ms,
        }
    }
}

/// Where a transaction is on the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Height of the finalized block that holds it.
    pub height: u64,
    /// Its zero-based position in that block.
    pub index: u32,
}

fn read_version(buf: &mut impl Buf) -> Result<(), Error> {
    match u8::read(buf)? {
        VERSION => Ok(()),
        other => Err(Error::InvalidEnum(other)),
    }
}

impl Write for Finalized {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(VERSION);
        buf.put_u64(self.height);
        buf.put_slice(&self.block_hash.0);
        buf.put_slice(&self.state_root.0);
        buf.put_u64(self.timestamp_ms);
    }
}

impl EncodeSize for Finalized {
    fn encode_size(&self) -> usize {
        1 + 8 + 32 + 32 + 8
    }
}

impl Read for Finalized {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        read_version(buf)?;
        Ok(Self {
            height: u64::read(buf)?,
            block_hash: BlockHash(read_bytes32(buf)?),
            state_root: StateRoot(read_bytes32(buf)?),
            timestamp_ms: u64::read(buf)?,
        })
    }
}

impl Write for BlockInfo {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(VERSION);
        buf.put_u64(self.height);
        buf.put_slice(&self.block_hash.0);
        buf.put_slice(&self.state_root.0);
        buf.put_u64(self.timestamp_ms);
        buf.put_u64(self.finalized_at_ms);
        buf.put_u32(self.transaction_count);
    }
}

impl EncodeSize for BlockInfo {
    fn encode_size(&self) -> usize {
        1 + 8 + 32 + 32 + 8 + 8 + 4
    }
}

impl Read for BlockInfo {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        read_version(buf)?;
        Ok(Self {
            height: u64::read(buf)?,
            block_hash: BlockHash(read_bytes32(buf)?),
            state_root: StateRoot(read_bytes32(buf)?),
            timestamp_ms: u64::read(buf)?,
            finalized_at_ms: u64::read(buf)?,
            transaction_count: u32::read(buf)?,
        })
    }
}

impl Write for TxLocation {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u64(self.height);
        buf.put_u32(self.index);
    }
}

impl EncodeSize for TxLocation {
    fn encode_size(&self) -> usize {
        12
    }
}

impl Read for TxLocation {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            height: u64::read(buf)?,
            index: u32::read(buf)?,
        })
    }
}
