//! Proofs of state reads, built from the committed tree.
//!
//! This walks the path jmt 0.12's `get_with_proof` walks and gives the same siblings, as
//! hashes ([`crate::proof`]). jmt's prover hands out each sibling as the node it hashes from:
//! for a sibling that is a single leaf it reads that leaf from RocksDB, and for a sibling
//! subtree inside a 16-way node it rehashes the children below it, on every read. Here:
//! - a 16-way node's subtree hashes are computed once and remembered ([`PyramidCache`]):
//!   the upper levels of the tree are on every path;
//! - no sibling is read, only hashed from its parent's child entries;
//! - the proven key's own leaf is not read either when the key holds a value: it is the
//!   leaf of (key, value), which is checked against the hash its parent holds.
//!
//! Within a 16-way node the path runs down a binary tree of four levels; a range of children
//! holding a single leaf hashes as that leaf, so the path stops there ([`descend`]). jmt's
//! own proofs are the reference: `proofs_are_jmts_own` below builds trees of many shapes and
//! compares them sibling by sibling.

use std::sync::Arc;

use jmt::Version;
use jmt::storage::{LeafNode, Node};

use super::tree::{DbTree, stored_node_key};
use crate::RegistryError;
use crate::proof::{PLACEHOLDER_HASH, ProofLeaf, StateProof, internal_hash};
use realdid_core::recent::Recent;

/// The hashes of every aligned range of a 16-way node's children: width 1 at 0..16, width 2
/// at 16..24, width 4 at 24..28, width 8 at 28..30 and the node itself at 30.
pub(super) type Pyramid = [[u8; 32]; 31];

/// Subtree hashes of the nodes proofs walk through, by stored node key. A node never changes,
/// so neither do its hashes.
pub(super) type PyramidCache = Recent<Vec<u8>, Arc<Pyramid>>;

/// How many nodes' subtree hashes a store remembers (at least; at most twice): the four
/// upper levels of a 16-way tree are 4 369 nodes.
pub(super) const CACHED_PYRAMIDS: usize = 1 << 13;

/// Where a prover reads the committed tree: nodes by stored key, values by version.
pub(super) trait TreeSource {
    /// The node stored under `key` ([`stored_node_key`]).
    fn node(&self, key: Vec<u8>) -> Result<Option<Arc<Node>>, RegistryError>;
    /// The newest value of `key_hash` at a version ≤ `version`.
    fn value(
        &self,
        version: Version,
        key_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, RegistryError>;
    /// The value `key_hash` was given at exactly `version`, if it was given one then.
    fn value_written_at(
        &self,
        version: Version,
        key_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, RegistryError>;
}

impl TreeSource for DbTree<'_> {
    fn node(&self, key: Vec<u8>) -> Result<Option<Arc<Node>>, RegistryError> {
        self.stored_node(key)
    }

    fn value(
        &self,
        version: Version,
        key_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        DbTree::value(self, version, key_hash)
    }

    fn value_written_at(
        &self,
        version: Version,
        key_hash: &[u8; 32],
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        DbTree::value_written_at(self, version, key_hash)
    }
}

/// The fewest children of a node whose subtree hashes are remembered.
const MIN_CACHED_CHILDREN: usize = 5;

/// One child entry of a 16-way node.
#[derive(Debug, Clone, Copy)]
struct Child {
    hash: [u8; 32],
    version: Version,
    leaf: bool,
}

/// A 16-way node's children, by nibble.
struct Children([Option<Child>; 16]);

impl Children {
    fn from_entries(entries: impl IntoIterator<Item = (u8, Child)>) -> Self {
        let mut children = [None; 16];
        for (nibble, child) in entries {
            children[usize::from(nibble & 0x0F)] = Some(child);
        }
        Self(children)
    }

    /// The children in `[start, start + width)`: how many, and the first of them.
    fn range(&self, start: u8, width: u8) -> (usize, Option<(u8, Child)>) {
        let mut count = 0;
        let mut first = None;
        for index in start..start + width {
            if let Some(child) = self.0[usize::from(index)] {
                count += 1;
                first = first.or(Some((index, child)));
            }
        }
        (count, first)
    }

    /// The child a range hashes as, when it hashes as one child (jmt: a single leaf, or any
    /// single child at width 1), rather than as an internal node of its two halves.
    fn single(&self, start: u8, width: u8) -> Option<(u8, Child)> {
        match self.range(start, width) {
            (1, Some((index, child))) if width == 1 || child.leaf => Some((index, child)),
            _ => None,
        }
    }

    fn pyramid(&self) -> Pyramid {
        let mut hashes = [PLACEHOLDER_HASH; 31];
        for (index, child) in self.0.iter().enumerate() {
            if let Some(child) = child {
                hashes[index] = child.hash;
            }
        }
        let mut below = 0;
        let mut at = 16;
        for level in 1..=4u8 {
            let width = 1u8 << level;
            for i in 0..(16 >> level) {
                let start = i as u8 * width;
                hashes[at + i] = match self.range(start, width) {
                    (0, _) => PLACEHOLDER_HASH,
                    _ => match self.single(start, width) {
                        Some((_, child)) => child.hash,
                        None => internal_hash(&hashes[below + 2 * i], &hashes[below + 2 * i + 1]),
                    },
                };
            }
            below = at;
            at += 16 >> level;
        }
        hashes
    }
}

/// Where the range `[start, start + width)` sits in a [`Pyramid`].
fn pyramid_index(start: u8, width: u8) -> usize {
    let level = width.trailing_zeros() as usize;
    let offset = [0, 16, 24, 28, 30][level];
    offset + usize::from(start) / usize::from(width)
}

/// The path through one 16-way node towards nibble `n`: pushes the four (or fewer) siblings,
/// top down, and returns the child the path continues to, if any.
///
/// The child may not be the `n`-th: when the half holding `n` holds a single leaf, the path
/// ends at that leaf, whose key is then another key's (a proof of absence).
fn descend(
    children: &Children,
    pyramid: &Pyramid,
    n: u8,
    siblings: &mut Vec<[u8; 32]>,
) -> Option<(u8, Child)> {
    for level in (0..4u8).rev() {
        let width = 1u8 << level;
        let start = (0xFFu8 << level) & n;
        let sibling = start ^ width;
        siblings.push(pyramid[pyramid_index(sibling, width)]);
        match children.range(start, width) {
            (0, _) => return None,
            _ => {
                if let Some(single) = children.single(start, width) {
                    return Some(single);
                }
            }
        }
    }
    None
}

/// The value of `key_hash` at `version`, with its proof (of the value, or of its absence).
pub(super) fn prove(
    tree: &impl TreeSource,
    pyramids: &PyramidCache,
    key_hash: &[u8; 32],
    version: Version,
) -> Result<(Option<Vec<u8>>, StateProof), RegistryError> {
    let missing =
        |what: String| RegistryError::corrupt(format!("{what} (state tree at version {version})"));
    let mut siblings: Vec<[u8; 32]> = Vec::with_capacity(64);
    let mut key = stored_node_key(version, key_hash, 0);
    let mut node = tree
        .node(key.clone())?
        .ok_or_else(|| missing("no root".into()))?;
    for depth in 0..64usize {
        let children = match &*node {
            Node::Null if depth == 0 => return Ok((None, StateProof::new(None, Vec::new()))),
            Node::Null => return Err(missing(format!("an empty node at depth {depth}"))),
            Node::Leaf(leaf) => return leaf_answer(tree, key_hash, version, leaf, siblings),
            Node::Internal(internal) => {
                Children::from_entries(internal.children_unsorted().map(|(nibble, child)| {
                    let entry = Child {
                        hash: child.hash,
                        version: child.version,
                        leaf: child.is_leaf(),
                    };
                    (u8::from(nibble), entry)
                }))
            }
        };
        let pyramid = match pyramids.get(&key) {
            Some(pyramid) => pyramid,
            None => {
                let pyramid = Arc::new(children.pyramid());
                // A node of few children hashes in a few steps: remember the wide ones.
                if children.range(0, 16).0 >= MIN_CACHED_CHILDREN {
                    pyramids.insert(key.clone(), pyramid.clone());
                }
                pyramid
            }
        };
        let shift = if depth % 2 == 0 { 4 } else { 0 };
        let n = (key_hash[depth / 2] >> shift) & 0x0F;
        let Some((index, child)) = descend(&children, &pyramid, n, &mut siblings) else {
            return Ok((None, finish(None, siblings)));
        };
        let mut path = *key_hash;
        if index != n {
            // The path ends at a neighbour's leaf: its key differs from ours at this nibble.
            path[depth / 2] = if depth % 2 == 0 {
                (index << 4) | (path[depth / 2] & 0x0F)
            } else {
                (path[depth / 2] & 0xF0) | index
            };
        }
        key = stored_node_key(child.version, &path, depth + 1);
        if child.leaf && index == n {
            // The key's own leaf, if the key holds a value: no need to read it. A leaf is
            // mostly written with its value, at the version it carries: one point read finds
            // that value. Where jmt moved the leaf down a level since (a new key split its
            // place), it wrote the leaf again without the value, and the value is the newest
            // one before (a seek). Either value is the key's only if it hashes to the leaf.
            let at_leaf = tree.value_written_at(child.version, key_hash)?;
            let value = match at_leaf {
                Some(value) => Some(value),
                None => tree.value(version, key_hash)?,
            };
            if let Some(value) = value {
                let leaf = ProofLeaf::of_value(*key_hash, &value);
                if leaf.hash() == child.hash {
                    return Ok((Some(value), finish(Some(leaf), siblings)));
                }
            }
        }
        node = tree
            .node(key.clone())?
            .ok_or_else(|| missing(format!("no node under nibble {index:x} at depth {depth}")))?;
    }
    Err(missing("a path longer than 64 nibbles".into()))
}

/// A proof from the siblings gathered top down.
fn finish(leaf: Option<ProofLeaf>, mut top_down: Vec<[u8; 32]>) -> StateProof {
    top_down.reverse();
    StateProof::new(leaf, top_down)
}

/// The answer at a leaf the path reached: the key's value, or its absence shown by another
/// key's leaf.
fn leaf_answer(
    tree: &impl TreeSource,
    key_hash: &[u8; 32],
    version: Version,
    leaf: &LeafNode,
    siblings: Vec<[u8; 32]>,
) -> Result<(Option<Vec<u8>>, StateProof), RegistryError> {
    // jmt keeps a leaf's value hash private; its borsh form is key hash ‖ value hash.
    let bytes =
        borsh::to_vec(leaf).map_err(|e| RegistryError::tree(format!("encoding a leaf: {e}")))?;
    if bytes.len() != 64 {
        return Err(RegistryError::tree(format!(
            "a leaf encodes in {} bytes, not 64",
            bytes.len()
        )));
    }
    let mut proof_leaf = ProofLeaf {
        key_hash: [0; 32],
        value_hash: [0; 32],
    };
    proof_leaf.key_hash.copy_from_slice(&bytes[..32]);
    proof_leaf.value_hash.copy_from_slice(&bytes[32..]);
    if proof_leaf.key_hash != *key_hash {
        return Ok((None, finish(Some(proof_leaf), siblings)));
    }
    let value = tree.value(version, key_hash)?.ok_or_else(|| {
        RegistryError::corrupt(format!(
            "the tree holds a leaf for a key with no value at version {version}"
        ))
    })?;
    Ok((Some(value), finish(Some(proof_leaf), siblings)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use jmt::mock::MockTreeStore;
    use jmt::storage::TreeUpdateBatch;
    use jmt::{KeyHash, Sha256Jmt};
    use proptest::prelude::*;
    use sha2::Sha256;

    use super::*;
    use crate::state::jmt_proof::proof_of_jmt;
    use crate::state::tree::encode_node_key;

    /// The committed tree in memory, under the store's node keys.
    #[derive(Default)]
    struct Memory {
        nodes: HashMap<Vec<u8>, Arc<Node>>,
        values: BTreeMap<([u8; 32], Version), Option<Vec<u8>>>,
        /// How many times a value was sought (the newest at or before a version).
        seeks: std::cell::Cell<usize>,
    }

    impl Memory {
        fn write(&mut self, batch: &TreeUpdateBatch) {
            for (key, node) in batch.node_batch.nodes() {
                self.nodes
                    .insert(encode_node_key(key), Arc::new(node.clone()));
            }
            for ((version, key_hash), value) in batch.node_batch.values() {
                self.values.insert((key_hash.0, *version), value.clone());
            }
        }
    }

    impl TreeSource for Memory {
        fn node(&self, key: Vec<u8>) -> Result<Option<Arc<Node>>, RegistryError> {
            Ok(self.nodes.get(&key).cloned())
        }

        fn value(
            &self,
            version: Version,
            key_hash: &[u8; 32],
        ) -> Result<Option<Vec<u8>>, RegistryError> {
            self.seeks.set(self.seeks.get() + 1);
            Ok(self
                .values
                .range((*key_hash, 0)..=(*key_hash, version))
                .next_back()
                .and_then(|(_, value)| value.clone()))
        }

        fn value_written_at(
            &self,
            version: Version,
            key_hash: &[u8; 32],
        ) -> Result<Option<Vec<u8>>, RegistryError> {
            Ok(self.values.get(&(*key_hash, version)).cloned().flatten())
        }
    }

    fn key(i: u16) -> KeyHash {
        KeyHash::with::<Sha256>(i.to_be_bytes())
    }

    /// Versions of writes over a small key space, so that later versions update, remove and
    /// split what earlier ones wrote; a value of `None` removes the key.
    fn versions() -> impl Strategy<Value = Vec<BTreeMap<u16, Option<u8>>>> {
        let write = (0u16..700, proptest::option::weighted(0.85, any::<u8>()));
        proptest::collection::vec(
            proptest::collection::btree_map(write.0, write.1, 0..150),
            1..5,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        /// At every version, for keys present, removed and never written, the prover gives
        /// jmt's own value and proof (siblings as hashes), through a pyramid memory small enough
        /// to forget.
        #[test]
        fn proofs_are_jmts_own(versions in versions(), probes in proptest::collection::vec(0u16..800, 24)) {
            let reference = MockTreeStore::default();
            let tree = Sha256Jmt::new(&reference);
            let mut memory = Memory::default();
            let pyramids = PyramidCache::with_capacity(4);
            let (_, genesis) = tree.put_value_set(Vec::new(), 0).unwrap();
            reference.write_tree_update_batch(genesis.clone()).unwrap();
            memory.write(&genesis);
            for (index, writes) in versions.iter().enumerate() {
                let version = index as Version + 1;
                let writes: Vec<_> = writes
                    .iter()
                    .map(|(k, v)| (key(*k), v.map(|byte| vec![byte; 3])))
                    .collect();
                let (_, batch) = tree.put_value_set(writes, version).unwrap();
                reference.write_tree_update_batch(batch.clone()).unwrap();
                memory.write(&batch);
            }
            for version in 0..=versions.len() as Version {
                for probe in &probes {
                    let (value, expected) = tree.get_with_proof(key(*probe), version).unwrap();
                    let (ours, proof) = prove(&memory, &pyramids, &key(*probe).0, version).unwrap();
                    prop_assert_eq!(&ours, &value, "key {} at version {}", probe, version);
                    prop_assert_eq!(proof, proof_of_jmt(&expected), "key {} at version {}", probe, version);
                }
            }
        }
    }

    /// A key whose leaf was written with its value is proven with one read of the value at
    /// the leaf's version, no seek; a key whose leaf jmt moved down since still is proven,
    /// by a seek.
    #[test]
    fn a_leaf_written_with_its_value_is_proven_without_a_seek() {
        let reference = MockTreeStore::default();
        let tree = Sha256Jmt::new(&reference);
        let mut memory = Memory::default();
        let pyramids = PyramidCache::with_capacity(64);
        let mut version = 0;
        let mut put = |writes: Vec<(KeyHash, Option<Vec<u8>>)>, memory: &mut Memory| {
            let (_, batch) = tree.put_value_set(writes, version).unwrap();
            reference.write_tree_update_batch(batch.clone()).unwrap();
            memory.write(&batch);
            version += 1;
        };
        put(Vec::new(), &mut memory);
        put(vec![(key(0), Some(b"first".to_vec()))], &mut memory);
        // Enough keys after it that one lands beside key 0 and moves its leaf down.
        put(
            (1..400).map(|i| (key(i), Some(vec![1; 4]))).collect(),
            &mut memory,
        );
        let tree = Sha256Jmt::new(&reference);
        for i in 1..400 {
            let (value, _) = prove(&memory, &pyramids, &key(i).0, 2).unwrap();
            assert_eq!(value, Some(vec![1; 4]));
        }
        assert_eq!(memory.seeks.get(), 0, "leaves written with their values");
        let (value, proof) = prove(&memory, &pyramids, &key(0).0, 2).unwrap();
        assert_eq!(value, Some(b"first".to_vec()));
        let (_, expected) = tree.get_with_proof(key(0), 2).unwrap();
        assert_eq!(proof, proof_of_jmt(&expected));
        assert_eq!(memory.seeks.get(), 1, "the moved leaf's value is sought");
    }

    #[test]
    fn pyramid_of_a_full_node_is_its_hash_tree() {
        let mut children = [None; 16];
        for (i, child) in children.iter_mut().enumerate() {
            *child = Some(Child {
                hash: [i as u8; 32],
                version: 1,
                leaf: false,
            });
        }
        let pyramid = Children(children).pyramid();
        assert_eq!(pyramid[16], internal_hash(&[0; 32], &[1; 32]));
        assert_eq!(
            pyramid[pyramid_index(14, 2)],
            internal_hash(&[14; 32], &[15; 32])
        );
        assert_eq!(
            pyramid[30],
            internal_hash(&pyramid[pyramid_index(0, 8)], &pyramid[pyramid_index(8, 8)])
        );
    }
}
