//! The state tree's storage: jmt's `TreeReader` over RocksDB, and the encodings of its nodes
//! and values.
//!
//! jmt reports storage failures as `anyhow` errors; the reader wraps a [`RegistryError`] in
//! them and [`tree_error`] unwraps it again, so a RocksDB failure or damaged node stays a
//! storage or corruption error instead of becoming an opaque tree error.

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use rocksdb::{DB, Direction, IteratorMode, ReadOptions};

use super::columns::{self, NODES, VALUES};
use crate::RegistryError;
use realdid_core::recent::Recent;

/// The jmt instance of the registry: SHA-256, as [`crate::proof`] verifies.
pub(super) type Tree<'a, R> = jmt::Sha256Jmt<'a, R>;

/// The root of the empty tree (the state at genesis).
pub const EMPTY_ROOT: realdid_core::codec::StateRoot =
    realdid_core::codec::StateRoot(*b"SPARSE_MERKLE_PLACEHOLDER_HASH__");

/// Turns an error out of jmt back into the registry error it carries, if any.
pub(super) fn tree_error(error: anyhow::Error) -> RegistryError {
    match error.downcast::<RegistryError>() {
        Ok(error) => error,
        Err(other) => RegistryError::Tree {
            reason: format!("{other:#}"),
        },
    }
}

pub(super) fn encode_node_key(key: &NodeKey) -> Result<Vec<u8>, RegistryError> {
    borsh::to_vec(key).map_err(|e| RegistryError::Tree {
        reason: format!("encoding a node key: {e}"),
    })
}

pub(super) fn encode_node(node: &Node) -> Result<Vec<u8>, RegistryError> {
    borsh::to_vec(node).map_err(|e| RegistryError::Tree {
        reason: format!("encoding a tree node: {e}"),
    })
}

/// A tree value as stored: a removal marker or the value.
pub(super) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![0],
        Some(v) => {
            let mut out = Vec::with_capacity(1 + v.len());
            out.push(1);
            out.extend_from_slice(v);
            out
        }
    }
}

fn decode_value(bytes: &[u8]) -> Result<Option<OwnedValue>, RegistryError> {
    match bytes.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, value)) => Ok(Some(value.to_vec())),
        _ => Err(RegistryError::corrupt(
            "a stored tree value has a bad marker",
        )),
    }
}

fn cf<'a>(db: &'a DB, name: &'static str) -> Result<&'a rocksdb::ColumnFamily, RegistryError> {
    db.cf_handle(name)
        .ok_or_else(|| RegistryError::corrupt(format!("column family {name} is missing")))
}

/// How many committed tree nodes a store keeps decoded in memory (at least; at most twice).
/// Every proof walks from the root, so the upper levels of the newest versions are read by
/// nearly every read: 2¹⁶ nodes hold them many times over.
pub(super) const CACHED_NODES: usize = 1 << 16;

/// Committed tree nodes by key. A committed node never changes (its key names its version),
/// so a cached node is exactly what RocksDB holds; absences are not cached.
pub(super) type NodeCache = Recent<NodeKey, Node>;

/// Reads the tree as committed in RocksDB.
pub(super) struct DbTree<'a> {
    pub(super) db: &'a DB,
    pub(super) nodes: &'a NodeCache,
}

impl DbTree<'_> {
    pub(super) fn node(&self, key: &NodeKey) -> Result<Option<Node>, RegistryError> {
        if let Some(node) = self.nodes.get(key) {
            return Ok(Some(node));
        }
        let node = self.read_node(key)?;
        if let Some(node) = &node {
            self.nodes.insert(key.clone(), node.clone());
        }
        Ok(node)
    }

    fn read_node(&self, key: &NodeKey) -> Result<Option<Node>, RegistryError> {
        let bytes = self
            .db
            .get_pinned_cf(cf(self.db, NODES)?, encode_node_key(key)?)
            .map_err(RegistryError::storage("reading a tree node"))?;
        bytes
            .map(|b| {
                borsh::from_slice::<Node>(&b).map_err(|e| {
                    RegistryError::corrupt(format!(
                        "tree node at version {} does not decode: {e}",
                        key.version()
                    ))
                })
            })
            .transpose()
    }

    /// The newest value of `key_hash` at a version ≤ `max_version`.
    pub(super) fn value(
        &self,
        max_version: Version,
        key_hash: &[u8; 32],
    ) -> Result<Option<OwnedValue>, RegistryError> {
        let from = columns::value_key(key_hash, max_version);
        // Seek within this key hash (the column's prefix), so the prefix Bloom filters apply.
        let mut within = ReadOptions::default();
        within.set_prefix_same_as_start(true);
        let mut iter = self.db.iterator_cf_opt(
            cf(self.db, VALUES)?,
            within,
            IteratorMode::From(&from, Direction::Reverse),
        );
        match iter.next() {
            None => Ok(None),
            Some(Err(e)) => Err(RegistryError::Storage {
                context: "reading a tree value",
                source: e,
            }),
            Some(Ok((key, value))) if key.len() == 40 && key[..32] == key_hash[..] => {
                decode_value(&value)
            }
            Some(Ok(_)) => Ok(None),
        }
    }
}

impl TreeReader for DbTree<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.node(node_key)?)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.value(max_version, &key_hash.0)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only jmt's state-sync restore asks for this; the registry does not restore trees.
        Err(anyhow::anyhow!(
            "the registry store does not support tree restore"
        ))
    }
}
