//! The registry state: what is stored under each key, and the RocksDB store that keeps it
//! under a Jellyfish Merkle tree, versioned by block height.
//!
//! ```text
//!   StateKey ──key_hash──▶ leaf of the state tree (jmt, SHA-256) ──▶ value (records.rs)
//!   tree version = block height; genesis = height 0 = the empty tree
//!   header(h).state_root = root of the tree at version h
//! ```
//! - [`keys`]: the keys and their tree positions.
//! - [`records`]: the values and their canonical encodings.
//! - [`Store`]: the database: committed heights, historical reads and proofs, blocks,
//!   certificates and indexes, one atomic write per finalized block.
//! - [`Staged`] and [`Overlay`]: blocks executed on notarized but unfinalized parents, held in
//!   memory until they are final.

mod columns;
#[cfg(test)]
pub(crate) mod jmt_proof;
pub use realdid_registry_client::state_key as keys;
mod meta;
mod overlay;
mod prover;
pub use realdid_registry_client::records;
mod store;
mod tree;

pub use keys::StateKey;
pub use meta::{BlockInfo, Certified, Finalized, TxLocation};
pub use overlay::{Overlay, Staged};
pub use store::Store;
pub use tree::EMPTY_ROOT;
