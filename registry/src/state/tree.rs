//! The state tree's storage: jmt's `TreeReader` over RocksDB, and the encodings of its nodes
//! and values.
//!
//! jmt reports storage failures as `anyhow` errors; the reader wraps a [`RegistryError`] in
//! them and [`tree_error`] unwraps it again, so a RocksDB failure or damaged node stays a
//! storage or corruption error instead of becoming an opaque tree error.

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use std::sync::Arc;

use jmt::{KeyHash, OwnedValue, RootHash, Version};
use rocksdb::{DB, Direction, IteratorMode, ReadOptions};

use super::columns::{self, NODES, VALUES};
use crate::RegistryError;
use realdid_core::recent::Recent;

/// The jmt instance of the registry: SHA-256, as [`crate::proof`] verifies.
pub(super) type Tree<'a, R> = jmt::Sha256Jmt<'a, R>;

/// Applies one block's writes to the tree at `version`.
///
/// jmt's one-key-at-a-time insertion walks from the root for every key and rehashes every
/// node on the path each time, so a block of n keys hashes the upper levels n times. Its batch
/// insertion builds and hashes each touched node once per block: executing a block fell from
/// 18.8 % to 14.6 % of a validator's CPU under the write benchmark (docs/PERFORMANCE.md,
/// where the throughput did not measurably move). Both give the
/// same tree, node for node (jmt's tests check it, and so does `batch_and_one_by_one_agree`
/// below). The batch form takes neither removals nor an empty set; those go key by key.
pub(super) fn update_tree<R: TreeReader>(
    reader: &R,
    writes: Vec<(KeyHash, Option<OwnedValue>)>,
    version: Version,
) -> Result<(RootHash, TreeUpdateBatch), RegistryError> {
    let tree = Tree::new(reader);
    if writes.is_empty() || writes.iter().any(|(_, value)| value.is_none()) {
        return tree.put_value_set(writes, version).map_err(tree_error);
    }
    let sets = writes
        .into_iter()
        .filter_map(|(key, value)| value.map(|value| (key, value)))
        .collect();
    let (roots, batch) = tree
        .batch_put_value_sets(vec![sets], None, version)
        .map_err(tree_error)?;
    match roots.as_slice() {
        [root] => Ok((*root, batch)),
        _ => Err(RegistryError::tree(format!(
            "one set of writes gave {} roots",
            roots.len()
        ))),
    }
}

/// The root of the empty tree (the state at genesis).
pub const EMPTY_ROOT: realdid_core::codec::StateRoot =
    realdid_core::codec::StateRoot(*b"SPARSE_MERKLE_PLACEHOLDER_HASH__");

/// Turns an error out of jmt back into the registry error it carries, if any.
pub(super) fn tree_error(error: anyhow::Error) -> RegistryError {
    match error.downcast::<RegistryError>() {
        Ok(error) => error,
        Err(other) => RegistryError::tree(format!("{other:#}")),
    }
}

/// A node's key in RocksDB: version (big-endian), nibble count, nibbles two to a byte.
///
/// Version first, so that every node a block writes sorts after every node already stored:
/// a block's nodes go into the memtable's skip list at its end, in order, instead of being
/// scattered over it (as jmt's own little-endian borsh form would place them), and flushed
/// files of successive blocks do not overlap. The count fixes the length of the rest, so no
/// two keys encode alike.
pub(super) fn encode_node_key(key: &NodeKey) -> Vec<u8> {
    let path = key.nibble_path();
    let count = path.num_nibbles();
    let mut packed = [0u8; 32];
    // A path is at most 64 nibbles (a 32-byte key hash).
    for i in 0..count.min(64) {
        packed[i / 2] |= u8::from(path.get_nibble(i)) << if i % 2 == 0 { 4 } else { 0 };
    }
    stored_node_key(key.version(), &packed, count.min(64))
}

/// The stored key of the node at `version` whose path is the first `nibbles` nibbles of
/// `path` (a key hash, or any 32 bytes whose nibbles past the path are ignored).
pub(super) fn stored_node_key(version: Version, path: &[u8; 32], nibbles: usize) -> Vec<u8> {
    let nibbles = nibbles.min(64);
    let mut out = Vec::with_capacity(9 + nibbles.div_ceil(2));
    out.extend_from_slice(&version.to_be_bytes());
    out.push(nibbles as u8);
    out.extend_from_slice(&path[..nibbles / 2]);
    if nibbles % 2 == 1 {
        out.push(path[nibbles / 2] & 0xF0);
    }
    out
}

pub(super) fn encode_node(node: &Node) -> Result<Vec<u8>, RegistryError> {
    borsh::to_vec(node).map_err(|e| RegistryError::tree(format!("encoding a tree node: {e}")))
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

/// Committed tree nodes by stored key ([`stored_node_key`]). A committed node never changes
/// (its key names its version), so a cached node is exactly what RocksDB holds; absences are
/// not cached.
pub(super) type NodeCache = Recent<Vec<u8>, Arc<Node>>;

/// Reads the tree as committed in RocksDB.
pub(super) struct DbTree<'a> {
    pub(super) db: &'a DB,
    pub(super) nodes: &'a NodeCache,
}

impl DbTree<'_> {
    pub(super) fn node(&self, key: &NodeKey) -> Result<Option<Node>, RegistryError> {
        Ok(self
            .stored_node(encode_node_key(key))?
            .map(|node| Node::clone(&node)))
    }

    /// The node stored under `key` ([`stored_node_key`]), shared with the cache.
    pub(super) fn stored_node(&self, key: Vec<u8>) -> Result<Option<Arc<Node>>, RegistryError> {
        if let Some(node) = self.nodes.get(&key) {
            return Ok(Some(node));
        }
        let node = self.read_node(&key)?.map(Arc::new);
        if let Some(node) = &node {
            self.nodes.insert(key, node.clone());
        }
        Ok(node)
    }

    fn read_node(&self, key: &[u8]) -> Result<Option<Node>, RegistryError> {
        let bytes = self
            .db
            .get_pinned_cf(cf(self.db, NODES)?, key)
            .map_err(RegistryError::storage("reading a tree node"))?;
        bytes
            .map(|b| {
                borsh::from_slice::<Node>(&b).map_err(|e| {
                    RegistryError::corrupt(format!(
                        "tree node at version {} does not decode: {e}",
                        columns::be_u64(key, 0).unwrap_or_default()
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
            Some(Err(e)) => Err(RegistryError::storage("reading a tree value")(e)),
            Some(Ok((key, value))) if key.len() == 40 && key[..32] == key_hash[..] => {
                decode_value(&value)
            }
            Some(Ok(_)) => Ok(None),
        }
    }

    /// The value `key_hash` was given at exactly `version` (`None`: none then, or removed
    /// then). A point read, which RocksDB answers from its Bloom filters and one block, where
    /// [`value`](Self::value) opens an iterator over every memtable and level.
    pub(super) fn value_written_at(
        &self,
        version: Version,
        key_hash: &[u8; 32],
    ) -> Result<Option<OwnedValue>, RegistryError> {
        let bytes = self
            .db
            .get_pinned_cf(cf(self.db, VALUES)?, columns::value_key(key_hash, version))
            .map_err(RegistryError::storage("reading a tree value"))?;
        match bytes {
            Some(bytes) => decode_value(&bytes),
            None => Ok(None),
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use jmt::mock::MockTreeStore;
    use proptest::prelude::*;

    use super::*;

    /// A store holding the empty tree at version 0, as genesis leaves it.
    fn genesis() -> MockTreeStore {
        let store = MockTreeStore::default();
        let (root, batch) = update_tree(&store, Vec::new(), 0).unwrap();
        assert_eq!(root.0, EMPTY_ROOT.0);
        store.write_tree_update_batch(batch).unwrap();
        store
    }

    /// Blocks of writes: each a list of (key index, value), keys drawn from a small space so
    /// that later blocks update keys earlier ones created, and split leaves.
    fn blocks() -> impl Strategy<Value = Vec<Vec<(u16, Vec<u8>)>>> {
        let write = (0u16..600, proptest::collection::vec(any::<u8>(), 0..40));
        proptest::collection::vec(proptest::collection::vec(write, 1..120), 1..6)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// The block-at-once insertion gives the same root and the same nodes to store as
        /// inserting key by key, block after block.
        #[test]
        fn batch_and_one_by_one_agree(blocks in blocks()) {
            let batched = genesis();
            let one_by_one = genesis();
            for (index, writes) in blocks.into_iter().enumerate() {
                let version = index as Version + 1;
                let writes: Vec<(KeyHash, Option<OwnedValue>)> = writes
                    .into_iter()
                    .map(|(key, value)| (KeyHash::with::<sha2::Sha256>(key.to_be_bytes()), Some(value)))
                    .collect::<std::collections::BTreeMap<_, _>>()
                    .into_iter()
                    .collect();
                let (root, batch) = update_tree(&batched, writes.clone(), version).unwrap();
                let (expected_root, expected) =
                    Tree::new(&one_by_one).put_value_set(writes, version).unwrap();
                prop_assert_eq!(root, expected_root);
                prop_assert_eq!(&batch.node_batch, &expected.node_batch);
                batched.write_tree_update_batch(batch).unwrap();
                one_by_one.write_tree_update_batch(expected).unwrap();
            }
        }
    }

    /// The stored form of node keys is one-to-one, and every node of a block sorts after every
    /// node of the blocks before it (what the memtable and the flushed files rely on). The
    /// versions run past 256, where a little-endian form would sort 256 before 255.
    #[test]
    fn node_keys_are_distinct_and_ordered_by_version() {
        let store = genesis();
        let mut seen = std::collections::BTreeMap::new();
        let mut newest_before: Option<Vec<u8>> = None;
        for version in 1..=260u64 {
            let writes = (0..8u64)
                .map(|i| {
                    let key = KeyHash::with::<sha2::Sha256>((version * 8 + i).to_be_bytes());
                    (key, Some(version.to_be_bytes().to_vec()))
                })
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect();
            let (_, batch) = update_tree(&store, writes, version).unwrap();
            let keys: Vec<Vec<u8>> = batch
                .node_batch
                .nodes()
                .keys()
                .map(|key| {
                    let bytes = encode_node_key(key);
                    assert_eq!(seen.insert(bytes.clone(), key.clone()), None, "{key:?}");
                    bytes
                })
                .collect();
            let oldest = keys.iter().min().unwrap();
            if let Some(before) = &newest_before {
                assert!(before < oldest, "version {version}");
            }
            newest_before = keys.into_iter().max();
            store.write_tree_update_batch(batch).unwrap();
        }
        assert!(seen.len() > 2_000, "{} nodes", seen.len());
    }

    #[test]
    fn removals_and_empty_blocks_take_the_key_by_key_path() {
        let store = genesis();
        let key = KeyHash::with::<sha2::Sha256>(b"k");
        let (root, batch) = update_tree(&store, vec![(key, Some(b"v".to_vec()))], 1).unwrap();
        store.write_tree_update_batch(batch).unwrap();
        // An empty block keeps the root; a removal empties the tree again.
        let (same, batch) = update_tree(&store, Vec::new(), 2).unwrap();
        assert_eq!(same, root);
        store.write_tree_update_batch(batch).unwrap();
        let (empty, _) = update_tree(&store, vec![(key, None)], 3).unwrap();
        assert_eq!(empty.0, EMPTY_ROOT.0);
    }
}
