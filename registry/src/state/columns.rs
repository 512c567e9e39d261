//! The column families of the state database, declared in one place, and their key layouts.
//!
//! ```text
//! column family   key                                         value
//! jmt_nodes       version u64 || nibble count u8 || nibbles   borsh(jmt Node)
//! jmt_values      key hash(32) || version u64                 0 (removed) | 1 || value
//! blocks          height u64                                  Block
//! headers         height u64                                  BlockHeader
//! certificates    height u64                                  finality certificate (opaque)
//! heights         height u64                                  BlockInfo
//! tx_index        tx hash(32)                                 height u64 || index u32
//! time_index      timestamp ms u64 || height u64              (empty)
//! did_versions    DID suffix(32) || version u64               height u64
//! meta            "finalized"                                 Finalized
//! meta            "format"                                    state format u32
//! ```
//! Integers in keys are big-endian, so that byte order is numeric order: the newest version of
//! a value at or below a height, or the last block at or before a time, is one reverse seek.
//! Tree node keys lead with their version for the same reason: each block's nodes sort after all
//! the nodes before them (see `tree::encode_node_key`).

/// Tree nodes.
pub(super) const NODES: &str = "jmt_nodes";
/// Tree values by key hash and version: historical reads without walking the tree.
pub(super) const VALUES: &str = "jmt_values";
/// Finalized blocks.
pub(super) const BLOCKS: &str = "blocks";
/// Their headers.
pub(super) const HEADERS: &str = "headers";
/// Their finality certificates.
pub(super) const CERTIFICATES: &str = "certificates";
/// Per-height metadata.
pub(super) const HEIGHTS: &str = "heights";
/// Where each transaction landed.
pub(super) const TX_INDEX: &str = "tx_index";
/// Block timestamps to heights.
pub(super) const TIME_INDEX: &str = "time_index";
/// The height at which each DID version was written.
pub(super) const DID_VERSIONS: &str = "did_versions";
/// The finalized-height record.
pub(super) const META: &str = "meta";

/// Every column family the store uses (besides RocksDB's `default`, which it leaves empty).
pub(super) const ALL: [&str; 10] = [
    NODES,
    VALUES,
    BLOCKS,
    HEADERS,
    CERTIFICATES,
    HEIGHTS,
    TX_INDEX,
    TIME_INDEX,
    DID_VERSIONS,
    META,
];

/// The key of the state-format record in [`META`], written with genesis.
pub(super) const FORMAT_KEY: &[u8] = b"format";

/// The layout of the state this build writes and reads. Format 1 (no record) keyed tree
/// nodes by jmt's little-endian borsh form; format 2 leads with the big-endian version;
/// format 3 adds the trace approvers and the transparency count to issuer records, and the
/// approvals, holder commitment and disclosure to audit anchor records; format 4 adds
/// revocation counts to issuer and status anchor records and the per-day counts; format 5
/// the register of issuers (its size and places); format 6 drops the column of key preimages
/// (key hash → state key), which nothing read.
pub(super) const STATE_FORMAT: u32 = 6;

/// Column families of earlier formats, opened only so that such a directory is refused for
/// its format (in the meta record) rather than as an unknown database.
pub(super) const RETIRED: [&str; 1] = ["key_preimages"];

/// The key of the finalized-height record in [`META`].
pub(super) const FINALIZED_KEY: &[u8] = b"finalized";

/// A height key.
pub(super) fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

/// A [`VALUES`] key.
pub(super) fn value_key(key_hash: &[u8; 32], version: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(key_hash);
    key[32..].copy_from_slice(&version.to_be_bytes());
    key
}

/// A [`TIME_INDEX`] key.
pub(super) fn time_key(timestamp_ms: u64, height: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&timestamp_ms.to_be_bytes());
    key[8..].copy_from_slice(&height.to_be_bytes());
    key
}

/// A [`DID_VERSIONS`] key.
pub(super) fn did_version_key(suffix: &[u8; 32], version: u64) -> [u8; 40] {
    value_key(suffix, version)
}

/// Reads a big-endian u64 at `at` of a stored key or value.
pub(super) fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let slice = bytes.get(at..at + 8)?;
    Some(u64::from_be_bytes(slice.try_into().ok()?))
}
