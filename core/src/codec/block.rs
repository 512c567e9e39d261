//! Blocks and block headers of the registry chain.
//!
//! ```text
//! header   version u8 (=1) || height u64 || parent hash(32) || timestamp ms u64
//!          || state root(32) || transactions root(32) || transaction count u32
//! block    header || varint(n) || n × (varint(len) || transaction)
//! block hash         = SHA-256("realdid/block/v1" || header)
//! transactions root  = SHA-256("realdid/txs/v1" || tx hash 1 || … || tx hash n)
//! ```
//! The state root is the Merkle root of the state after this block's transactions, so a
//! proof against it, with the header and its finality certificate, proves a value as of
//! this height.

use bytes::BufMut;
use commonware_codec::{Buf, Decode as _, EncodeSize, Error, Read, ReadExt as _, Write};
use sha2::{Digest, Sha256};

use super::primitives::{read_bytes32, read_count};
use super::transaction::{MAX_TRANSACTION_LEN, Transaction, TxHash};

/// Most transactions in one block.
pub const MAX_BLOCK_TRANSACTIONS: usize = 20_000;
/// Largest encoded block: what a proposer may build and what a decoder accepts.
///
/// Every block travels whole in one p2p message, so the validators' message limit is derived
/// from this bound (with the consensus engine's framing), never the other way round: a block
/// a proposer builds can always be sent. 4 MiB holds about 380 of the largest DID creations
/// (about 11 KB each), or the [`MAX_BLOCK_TRANSACTIONS`] a block may count when they are the
/// common single-key creations (148 bytes).
pub const MAX_BLOCK_LEN: usize = 4 * 1024 * 1024;
/// The header encoding version.
pub const HEADER_VERSION: u8 = 1;
/// Encoded size of a header.
pub const HEADER_LEN: usize = 1 + 8 + 32 + 8 + 32 + 32 + 4;

const BLOCK_DOMAIN: &[u8] = b"realdid/block/v1";
const TXS_DOMAIN: &[u8] = b"realdid/txs/v1";

macro_rules! hash32 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), hex::encode(self.0))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }
    };
}

hash32!(
    /// The hash of a block header.
    BlockHash
);
hash32!(
    /// The Merkle root of the registry state.
    StateRoot
);

/// A block header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHeader {
    /// Height; genesis is 0.
    pub height: u64,
    /// Hash of the parent header (zero for genesis).
    pub parent: BlockHash,
    /// Proposer's time, unix milliseconds.
    pub timestamp_ms: u64,
    /// State root after this block.
    pub state_root: StateRoot,
    /// Root over the transaction hashes.
    pub transactions_root: [u8; 32],
    /// Number of transactions.
    pub transaction_count: u32,
}

impl BlockHeader {
    /// The block hash.
    pub fn hash(&self) -> BlockHash {
        let mut h = Sha256::new();
        h.update(BLOCK_DOMAIN);
        let mut bytes = Vec::with_capacity(HEADER_LEN);
        self.write(&mut bytes);
        h.update(&bytes);
        BlockHash(h.finalize().into())
    }

    /// Decodes a header received from outside.
    pub fn decode_bounded(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode_cfg(commonware_codec::Copying(bytes), &())
    }
}

/// The root over a block's transaction hashes.
pub fn transactions_root(transactions: &[Transaction]) -> [u8; 32] {
    transactions_root_of(transactions.iter().map(Transaction::hash))
}

/// [`transactions_root`] from the transactions' hashes, in block order, for a caller that
/// already holds them.
pub fn transactions_root_of(hashes: impl IntoIterator<Item = TxHash>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TXS_DOMAIN);
    for hash in hashes {
        h.update(hash.0);
    }
    h.finalize().into()
}

/// A block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in execution order.
    pub transactions: Vec<Transaction>,
}

impl Block {
    /// Decodes a block received from outside and checks that the header's transaction count
    /// and root match the body.
    pub fn decode_bounded(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_BLOCK_LEN {
            return Err(Error::InvalidLength(bytes.len()));
        }
        let block = Self::decode_cfg(commonware_codec::Copying(bytes), &())?;
        if block.header.transaction_count as usize != block.transactions.len() {
            return Err(Error::Invalid(
                "block",
                "transaction count does not match body",
            ));
        }
        if block.header.transactions_root != transactions_root(&block.transactions) {
            return Err(Error::Invalid(
                "block",
                "transactions root does not match body",
            ));
        }
        Ok(block)
    }
}

impl Write for BlockHeader {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(HEADER_VERSION);
        buf.put_u64(self.height);
        buf.put_slice(&self.parent.0);
        buf.put_u64(self.timestamp_ms);
        buf.put_slice(&self.state_root.0);
        buf.put_slice(&self.transactions_root);
        buf.put_u32(self.transaction_count);
    }
}

impl EncodeSize for BlockHeader {
    fn encode_size(&self) -> usize {
        HEADER_LEN
    }
}

impl Read for BlockHeader {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let version = u8::read(buf)?;
        if version != HEADER_VERSION {
            return Err(Error::InvalidEnum(version));
        }
        Ok(Self {
            height: u64::read(buf)?,
            parent: BlockHash(read_bytes32(buf)?),
            timestamp_ms: u64::read(buf)?,
            state_root: StateRoot(read_bytes32(buf)?),
            transactions_root: read_bytes32(buf)?,
            transaction_count: u32::read(buf)?,
        })
    }
}

impl Write for Block {
    fn write(&self, buf: &mut impl BufMut) {
        self.header.write(buf);
        self.transactions.len().write(buf);
        for tx in &self.transactions {
            tx.encode_size().write(buf);
            tx.write(buf);
        }
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        HEADER_LEN
            + self.transactions.len().encode_size()
            + self
                .transactions
                .iter()
                .map(|tx| {
                    let n = tx.encode_size();
                    n.encode_size() + n
                })
                .sum::<usize>()
    }
}

impl Read for Block {
    type Cfg = ();

    /// Refuses a block longer than [`MAX_BLOCK_LEN`] as soon as its length prefixes say so,
    /// before the transactions beyond it are decoded.
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let header = BlockHeader::read(buf)?;
        let n = read_count(buf, MAX_BLOCK_TRANSACTIONS)?;
        let mut transactions = Vec::with_capacity(n.min(buf.remaining()));
        let mut block_len = HEADER_LEN + n.encode_size();
        for _ in 0..n {
            let len = read_count(buf, MAX_TRANSACTION_LEN)?;
            block_len += len.encode_size() + len;
            if block_len > MAX_BLOCK_LEN {
                return Err(Error::InvalidLength(block_len));
            }
            if buf.remaining() < len {
                return Err(Error::EndOfBuffer);
            }
            let before = buf.remaining();
            let tx = Transaction::read(buf)?;
            if before - buf.remaining() != len {
                return Err(Error::Invalid(
                    "transaction",
                    "length prefix does not match",
                ));
            }
            transactions.push(tx);
        }
        Ok(Self {
            header,
            transactions,
        })
    }
}
