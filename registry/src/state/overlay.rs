//! Speculative state: blocks executed on top of the finalized state but not final yet.
//!
//! Consensus proposes and verifies blocks whose parents are notarized but not finalized. A
//! [`Staged`] block holds its writes and its tree nodes in memory; an [`Overlay`] layers a
//! chain of them (oldest first, heights finalized+1, finalized+2, …) over the store as of the
//! finalized height, for reads by execution and by the tree. Nothing is written until the
//! block is final and committed.
//!
//! ```text
//!   reads ─▶ staged h+k ─▶ … ─▶ staged h+1 ─▶ RocksDB at version h (finalized)
//! ```
//! Reading the store at a fixed version h is safe while blocks are committed concurrently:
//! committing h+1 adds versions, it never changes version h.

use std::sync::Arc;

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};
use realdid_core::codec::StateRoot;

use super::keys::StateKey;
use super::tree::DbTree;
use crate::RegistryError;
use crate::execute::{Executed, StateView};

/// A block executed on top of the finalized state (or of other staged blocks), not yet
/// committed.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The block's height (= tree version).
    pub height: u64,
    /// Its transactions' writes and hashes.
    pub executed: Executed,
    /// The state root after it.
    pub root: StateRoot,
    /// The tree nodes and values it adds.
    pub tree: TreeUpdateBatch,
}

/// The state as of the last of a chain of staged blocks.
pub struct Overlay<'a> {
    pub(super) db: DbTree<'a>,
    /// The finalized height the chain builds on.
    pub(super) base: u64,
    /// Staged blocks at base+1, base+2, …
    pub(super) ancestors: &'a [Arc<Staged>],
}

impl std::fmt::Debug for Overlay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("base", &self.base)
            .field(
                "ancestors",
                &self.ancestors.iter().map(|a| a.height).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Overlay<'_> {
    /// The height of the state this overlay shows.
    pub fn height(&self) -> u64 {
        self.base + self.ancestors.len() as u64
    }

    /// The state root this overlay shows.
    pub fn root(&self) -> Result<StateRoot, RegistryError> {
        if let Some(last) = self.ancestors.last() {
            return Ok(last.root);
        }
        let root = super::tree::Tree::new(&self.db)
            .get_root_hash(self.base)
            .map_err(super::tree::tree_error)?;
        Ok(StateRoot(root.0))
    }
}

impl StateView for Overlay<'_> {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, RegistryError> {
        for staged in self.ancestors.iter().rev() {
            if let Some(value) = staged.executed.writes.get(key) {
                return Ok(value.clone());
            }
        }
        self.db.value(self.base, &key.key_hash().0)
    }
}

impl TreeReader for Overlay<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if node_key.version() > self.base {
            for staged in self.ancestors.iter().rev() {
                if let Some(node) = staged.tree.node_batch.get_node(node_key) {
                    return Ok(Some(node.clone()));
                }
            }
            return Ok(None);
        }
        Ok(self.db.node(node_key)?)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        for staged in self.ancestors.iter().rev() {
            if staged.height > max_version {
                continue;
            }
            if let Some(value) = staged
                .tree
                .node_batch
                .values()
                .get(&(staged.height, key_hash))
            {
                return Ok(value.clone());
            }
        }
        Ok(self.db.value(max_version.min(self.base), &key_hash.0)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Err(anyhow::anyhow!(
            "the registry store does not support tree restore"
        ))
    }
}
