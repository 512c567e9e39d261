//! The registry state in RocksDB: the state tree versioned by height, finalized blocks,
//! certificates and indexes, each finalized block written in one atomic batch.
//!
//! Invariants the store keeps, and checks on [`Store::open`]:
//! - the meta record names the finalized height h, its block hash and state root, and is
//!   written in the same batch as everything of height h;
//! - the header stored at h hashes to that block hash and carries that state root, and the
//!   tree's root at version h is that state root;
//! - nothing is stored above h;
//! - the state-format record names this build's layout (otherwise
//!   [`Fault::StateFormat`]: an older directory is not damaged, only unreadable here).
//!
//! A database that breaks one of these refuses to open with [`Fault::Corrupt`]
//! rather than serve or extend a state that may differ from the other validators'.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use commonware_codec::{Copying, Decode as _, Encode as _, Read};
use realdid_core::codec::{
    Block, BlockHeader, StateRoot, Transaction, TxHash, transactions_root, transactions_root_of,
};
use realdid_core::did::RealDid;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, Direction, IteratorMode,
    Options, ReadOptions, SliceTransform, WriteBatch, WriteOptions,
};

use super::columns::{self, *};
use super::keys::StateKey;
use super::meta::{BlockInfo, Certified, Finalized, TxLocation};
use super::overlay::{Overlay, Staged};
use super::prover::{self, CACHED_PYRAMIDS, PyramidCache};
use super::records::DidRecord;
use super::tree::{
    CACHED_NODES, DbTree, EMPTY_ROOT, NodeCache, Tree, encode_node, encode_node_key, encode_value,
    tree_error, update_tree,
};
use crate::RegistryError;
use crate::error::Fault;
use crate::execute::{self, BlockContext, Dropped, Executed, Rejection, Writes};
use crate::proof::StateProof;

/// The registry's state database.
pub struct Store {
    db: DB,
    /// The latest finalized block; `None` until genesis is written.
    finalized: RwLock<Option<Finalized>>,
    /// The newest block with its own certificate, once there is one.
    certified: RwLock<Option<Arc<Certified>>>,
    /// Serialises commits (each checks the finalized height, then writes).
    commit_lock: Mutex<()>,
    /// Committed tree nodes recently read.
    nodes: NodeCache,
    /// Subtree hashes of the nodes proofs walk through.
    pyramids: PyramidCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .field("finalized", &self.finalized())
            .finish()
    }
}

fn db_options(new: bool, direct_io: bool) -> Options {
    let mut opts = Options::default();
    opts.create_if_missing(new);
    opts.create_missing_column_families(new);
    // Check what is cheap to check: SST file sizes and checksums as they are read, and stop
    // on the first inconsistency instead of carrying on.
    opts.set_paranoid_checks(true);
    // Every column family may hold two 64 MiB memtables (RocksDB's defaults): eleven of
    // them could hold 1.4 GiB before a flush. One budget for all keeps a node's memtables
    // within MEMTABLE_BYTES; past it, the largest is flushed. Under the write benchmark a
    // node's memtables stay below it (docs/PERFORMANCE.md, "Memory").
    opts.set_db_write_buffer_size(MEMTABLE_BYTES);
    // A flush writes a whole memtable (~60 MB under the write benchmark) at once. Through the
    // page cache those pages are dirty together, and the next commit's log sync may have to
    // wait for them to reach the disk; written directly, they are on the disk before the
    // flush is recorded. Finality's p99 under the write benchmark fell by a tenth
    // (docs/PERFORMANCE.md, "Flushes written directly"). Reads still use the page cache.
    opts.set_use_direct_io_for_flush_and_compaction(direct_io);
    opts
}

/// Whether files in `dir` can be written with direct I/O (`O_DIRECT`). Most disk file systems
/// can; some cannot (tmpfs before Linux 6.6, some network file systems), and there RocksDB's
/// flushes would fail, so the store then writes through the page cache as before.
fn direct_io_supported(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let probe = dir.join(DIRECT_IO_PROBE);
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(&probe);
        // Nothing is written; a probe left behind by a crash is removed by the next one.
        let _ = std::fs::remove_file(&probe);
        opened.is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// The file [`direct_io_supported`] opens and removes.
const DIRECT_IO_PROBE: &str = "direct-io-probe";

/// Memory for all the memtables of a store together.
const MEMTABLE_BYTES: usize = 256 * 1024 * 1024;

/// Memory for RocksDB's uncompressed blocks, shared by every column family of a store: the
/// upper levels of the Merkle tree, read by every proof, stay in memory.
const BLOCK_CACHE_BYTES: usize = 128 * 1024 * 1024;

/// Options of one column family. Nearly every read is a point lookup or, in the values
/// column, a seek within one key hash, and most lookups of a fresh key find nothing (a DID
/// being created, a transaction not yet seen): Bloom filters, in the SST files and in the
/// memtable, answer those without searching, where a lookup would otherwise walk the
/// memtable's skip list and every level.
fn column_options(name: &str, cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);
    let mut opts = Options::default();
    if name == columns::VALUES {
        // Keys are key hash || version: filter on the key hash, so "the newest version of
        // this key" skips every file and memtable that has no version of it.
        opts.set_prefix_extractor(SliceTransform::create_fixed_prefix(32));
        table.set_whole_key_filtering(false);
    } else {
        opts.set_memtable_whole_key_filtering(true);
    }
    opts.set_memtable_prefix_bloom_ratio(0.05);
    opts.set_block_based_table_factory(&table);
    opts
}

/// Puts `entries` into `batch` in key order. RocksDB inserts a batch into the memtable's skip
/// list one entry after another, each search starting from where the previous one ended, so
/// keys in order search less than keys in hash order (how a block's keys come). Measured:
/// ~3.5 % more committed writes (docs/PERFORMANCE.md).
fn put_sorted(batch: &mut WriteBatch, cf: &ColumnFamily, mut entries: Vec<(Vec<u8>, Vec<u8>)>) {
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (key, value) in entries {
        batch.put_cf(cf, key, value);
    }
}

fn decode<T: Read<Cfg = ()>>(bytes: &[u8], what: &str) -> Result<T, RegistryError> {
    T::decode_cfg(Copying(bytes), &())
        .map_err(|e| RegistryError::corrupt(format!("{what} does not decode: {e}")))
}

impl Store {
    /// Opens (or creates) the database in `dir` and checks that it agrees with itself.
    pub fn open(dir: &Path) -> Result<Store, RegistryError> {
        std::fs::create_dir_all(dir).map_err(|source| RegistryError::Io {
            context: format!("creating the data directory {}", dir.display()),
            source,
        })?;
        let new = !dir.join("CURRENT").exists();
        let direct_io = direct_io_supported(dir);
        if !direct_io {
            tracing::info!(
                dir = %dir.display(),
                "this file system takes no direct I/O: flushes go through the page cache"
            );
        }
        let opts = db_options(new, direct_io);
        let mut retired = Vec::new();
        if !new {
            let present = DB::list_cf(&opts, dir)
                .map_err(RegistryError::storage("listing column families"))?;
            let present: BTreeSet<&str> = present.iter().map(String::as_str).collect();
            for name in columns::ALL {
                if !present.contains(name) {
                    return Err(RegistryError::corrupt(format!(
                        "column family {name} is missing from {}",
                        dir.display()
                    )));
                }
            }
            retired.extend(
                columns::RETIRED
                    .iter()
                    .filter(|name| present.contains(**name)),
            );
            if let Some(unknown) = present.iter().find(|n| {
                **n != "default" && !columns::ALL.contains(n) && !columns::RETIRED.contains(n)
            }) {
                return Err(RegistryError::corrupt(format!(
                    "unknown column family {unknown} in {}: not a registry database",
                    dir.display()
                )));
            }
        }
        let cache = Cache::new_lru_cache(BLOCK_CACHE_BYTES);
        // A retired column family is opened with the others (RocksDB opens all or none); its
        // directory is then refused for its format by `check_consistency`.
        let descriptors = columns::ALL
            .iter()
            .chain(retired)
            .map(|name| ColumnFamilyDescriptor::new(*name, column_options(name, &cache)));
        let db = DB::open_cf_descriptors(&opts, dir, descriptors)
            .map_err(RegistryError::storage("opening the state database"))?;
        let store = Store {
            db,
            finalized: RwLock::new(None),
            certified: RwLock::new(None),
            commit_lock: Mutex::new(()),
            nodes: NodeCache::with_capacity(CACHED_NODES),
            pyramids: PyramidCache::with_capacity(CACHED_PYRAMIDS),
        };
        let finalized = store.check_consistency()?;
        *store
            .finalized
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = finalized;
        if let Some(height) = store
            .last_key(CERTIFICATES)?
            .and_then(|key| columns::be_u64(&key, 0))
        {
            let header = store.header(height)?;
            let certificate = store.certificate(height)?;
            if let (Some(header), Some(certificate)) = (header, certificate) {
                store.remember_certified(Certified {
                    height,
                    header,
                    certificate,
                });
            }
        }
        Ok(store)
    }

    fn cf(&self, name: &'static str) -> Result<&ColumnFamily, RegistryError> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| RegistryError::corrupt(format!("column family {name} is missing")))
    }

    fn read(&self, cf: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, RegistryError> {
        self.db
            .get_cf(self.cf(cf)?, key)
            .map_err(RegistryError::storage("reading the state database"))
    }

    /// The last key of a column family.
    fn last_key(&self, cf: &'static str) -> Result<Option<Box<[u8]>>, RegistryError> {
        // The values column has a prefix extractor: a scan across prefixes must say so.
        let mut whole = ReadOptions::default();
        whole.set_total_order_seek(true);
        match self
            .db
            .iterator_cf_opt(self.cf(cf)?, whole, IteratorMode::End)
            .next()
        {
            None => Ok(None),
            Some(Ok((key, _))) => Ok(Some(key)),
            Some(Err(source)) => Err(RegistryError::storage("reading the state database")(source)),
        }
    }

    fn tree(&self) -> DbTree<'_> {
        DbTree {
            db: &self.db,
            nodes: &self.nodes,
        }
    }

    /// The checks of [`Store::open`]; returns the finalized block, if any.
    fn check_consistency(&self) -> Result<Option<Finalized>, RegistryError> {
        let Some(bytes) = self.read(META, FINALIZED_KEY)? else {
            for cf in [HEADERS, BLOCKS, HEIGHTS, NODES, VALUES] {
                if self.last_key(cf)?.is_some() {
                    return Err(RegistryError::corrupt(format!(
                        "the finalized-height record is missing, but {cf} holds data"
                    )));
                }
            }
            return Ok(None);
        };
        let format = match self.read(META, FORMAT_KEY)? {
            None => 1,
            Some(bytes) => <[u8; 4]>::try_from(bytes.as_slice())
                .map(u32::from_be_bytes)
                .map_err(|_| RegistryError::corrupt("the state-format record is not 4 bytes"))?,
        };
        if format != STATE_FORMAT {
            return Err(Fault::StateFormat {
                dir: self.db.path().display().to_string(),
                found: format,
                expected: STATE_FORMAT,
            }
            .into());
        }
        let finalized: Finalized = decode(&bytes, "the finalized-height record")?;
        let h = finalized.height;
        let header = self
            .header(h)?
            .ok_or_else(|| RegistryError::corrupt(format!("no header at finalized height {h}")))?;
        if header.height != h {
            return Err(RegistryError::corrupt(format!(
                "the header stored at height {h} is for height {}",
                header.height
            )));
        }
        if header.hash() != finalized.block_hash {
            return Err(RegistryError::corrupt(format!(
                "the header at finalized height {h} hashes to {}, the finalized record says {}",
                header.hash(),
                finalized.block_hash
            )));
        }
        if header.state_root != finalized.state_root {
            return Err(RegistryError::corrupt(format!(
                "the header at height {h} has state root {}, the finalized record says {}",
                header.state_root, finalized.state_root
            )));
        }
        let block = self
            .block(h)?
            .ok_or_else(|| RegistryError::corrupt(format!("no block at finalized height {h}")))?;
        if block.header != header {
            return Err(RegistryError::corrupt(format!(
                "the block at height {h} does not match its header"
            )));
        }
        let info = self
            .block_info(h)?
            .ok_or_else(|| RegistryError::corrupt(format!("no block info at height {h}")))?;
        if info.finalized() != finalized {
            return Err(RegistryError::corrupt(format!(
                "the block info at height {h} does not match the finalized record"
            )));
        }
        if h > 0 {
            let parent = self
                .header(h - 1)?
                .ok_or_else(|| RegistryError::corrupt(format!("no header at height {}", h - 1)))?;
            if parent.hash() != header.parent {
                return Err(RegistryError::corrupt(format!(
                    "the header at height {h} does not link to the header at height {}",
                    h - 1
                )));
            }
        }
        for cf in [HEADERS, BLOCKS, HEIGHTS] {
            let last = self.last_key(cf)?.and_then(|k| columns::be_u64(&k, 0));
            if last != Some(h) {
                return Err(RegistryError::corrupt(format!(
                    "{cf} ends at height {last:?}, the finalized height is {h}"
                )));
            }
        }
        if let Some(last) = self.last_key(CERTIFICATES)?
            && columns::be_u64(&last, 0).is_none_or(|c| c > h)
        {
            return Err(RegistryError::corrupt(format!(
                "a certificate is stored above the finalized height {h}"
            )));
        }
        let root = Tree::new(&self.tree())
            .get_root_hash_option(h)
            .map_err(tree_error)?
            .ok_or_else(|| {
                RegistryError::corrupt(format!("the state tree has no root at height {h}"))
            })?;
        if root.0 != finalized.state_root.0 {
            return Err(RegistryError::corrupt(format!(
                "the state tree's root at height {h} is {}, the finalized record says {}",
                hex::encode(root.0),
                finalized.state_root
            )));
        }
        Ok(Some(finalized))
    }

    /// The latest finalized block; `None` before genesis.
    pub fn finalized(&self) -> Option<Finalized> {
        *self
            .finalized
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The newest block with its own finality certificate, if any.
    pub fn latest_certified(&self) -> Option<Arc<Certified>> {
        self.certified
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember_certified(&self, certified: Certified) {
        *self
            .certified
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(certified));
    }

    fn finalized_or_unavailable(&self) -> Result<Finalized, RegistryError> {
        self.finalized().ok_or_else(|| RegistryError::Unavailable {
            reason: "the state database has no genesis yet".into(),
        })
    }

    /// Writes height 0 (the empty state, under `header`) into a new database. On a database
    /// that already has it, checks that it is the same genesis and does nothing.
    pub fn genesis_init(&self, header: &BlockHeader) -> Result<Finalized, RegistryError> {
        let bad = |reason: &str| RegistryError::InvalidRequest {
            reason: format!("genesis header: {reason}"),
        };
        if header.height != 0 {
            return Err(bad("height is not 0"));
        }
        // The genesis header's parent field carries the genesis file's hash (see
        // `node::genesis_block`), so it is not checked here.
        if header.transaction_count != 0 || header.transactions_root != transactions_root(&[]) {
            return Err(bad("genesis holds no transactions"));
        }
        if header.state_root != EMPTY_ROOT {
            return Err(bad("state root is not the empty tree's root"));
        }
        let _guard = self
            .commit_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.finalized().is_some() {
            let stored = self
                .block_info(0)?
                .ok_or_else(|| RegistryError::corrupt("no block info at height 0"))?;
            if stored.block_hash != header.hash() {
                return Err(RegistryError::corrupt(format!(
                    "the data directory holds another chain: its genesis is {}, expected {}",
                    stored.block_hash,
                    header.hash()
                )));
            }
            return self.finalized_or_unavailable();
        }
        let (root, update) = Tree::new(&self.tree())
            .put_value_set(Vec::new(), 0)
            .map_err(tree_error)?;
        if root.0 != EMPTY_ROOT.0 {
            return Err(RegistryError::tree(
                "the empty tree does not have the empty root",
            ));
        }
        let block = Block {
            header: header.clone(),
            transactions: Vec::new(),
        };
        let staged = Staged {
            height: 0,
            executed: Executed::default(),
            root: EMPTY_ROOT,
            tree: update,
        };
        self.write_height(&block, &staged, None, header.timestamp_ms)
    }

    /// A view of the state after `ancestors` (staged blocks at finalized+1, finalized+2, …,
    /// oldest first; empty for the finalized state). Ancestors at or below the finalized
    /// height are skipped if they are the blocks that were finalized there.
    pub fn view<'a>(&'a self, ancestors: &'a [Arc<Staged>]) -> Result<Overlay<'a>, RegistryError> {
        let base = self.finalized_or_unavailable()?.height;
        let mut first = 0;
        for staged in ancestors {
            if staged.height > base {
                break;
            }
            let info = self.block_info(staged.height)?.ok_or_else(|| {
                RegistryError::corrupt(format!("no block info at height {}", staged.height))
            })?;
            if info.state_root != staged.root {
                return Err(RegistryError::InvalidRequest {
                    reason: format!(
                        "staged block at height {} is not the block finalized there",
                        staged.height
                    ),
                });
            }
            first += 1;
        }
        let ancestors = &ancestors[first..];
        for (i, staged) in ancestors.iter().enumerate() {
            if staged.height != base + 1 + i as u64 {
                return Err(RegistryError::InvalidRequest {
                    reason: format!(
                        "staged ancestors must be heights {}.. in order, found {} at position {i}",
                        base + 1,
                        staged.height
                    ),
                });
            }
        }
        Ok(Overlay {
            db: self.tree(),
            base,
            ancestors,
        })
    }

    fn overlay_for<'a>(
        &'a self,
        ancestors: &'a [Arc<Staged>],
        ctx: &BlockContext<'_>,
    ) -> Result<Overlay<'a>, RegistryError> {
        let overlay = self.view(ancestors)?;
        if ctx.height != overlay.height() + 1 {
            return Err(RegistryError::InvalidRequest {
                reason: format!(
                    "block at height {} cannot follow the state at height {}",
                    ctx.height,
                    overlay.height()
                ),
            });
        }
        Ok(overlay)
    }

    fn stage_writes(
        overlay: &Overlay<'_>,
        height: u64,
        executed: Executed,
    ) -> Result<Staged, RegistryError> {
        let writes = executed
            .writes
            .iter()
            .map(|(key, value)| (jmt::KeyHash(key.key_hash().0), value.clone()))
            .collect();
        let (root, tree) = update_tree(overlay, writes, height)?;
        Ok(Staged {
            height,
            executed,
            root: StateRoot(root.0),
            tree,
        })
    }

    /// Checks one transaction against the state after `ancestors`, as the next block would
    /// (for refusing a transaction at submission).
    pub fn check(
        &self,
        ancestors: &[Arc<Staged>],
        ctx: &BlockContext<'_>,
        tx: &Transaction,
    ) -> Result<Result<Writes, Rejection>, RegistryError> {
        let overlay = self.overlay_for(ancestors, ctx)?;
        execute::check_transaction(&overlay, ctx, tx)
    }

    /// Executes a proposed block on the state after `ancestors` and computes its state root,
    /// without writing anything. `tx_hashes` are the transactions' hashes, in order, as the
    /// block carries them from its decoding. Returns the index and rejection of the first
    /// invalid transaction if the block is invalid.
    pub fn stage(
        &self,
        ancestors: &[Arc<Staged>],
        ctx: &BlockContext<'_>,
        txs: &[Transaction],
        tx_hashes: &[TxHash],
    ) -> Result<Result<Staged, (usize, Rejection)>, RegistryError> {
        let overlay = self.overlay_for(ancestors, ctx)?;
        let executed = match execute::execute_block(&overlay, ctx, txs, tx_hashes)? {
            Ok(executed) => executed,
            Err(rejection) => return Ok(Err(rejection)),
        };
        Self::stage_writes(&overlay, ctx.height, executed).map(Ok)
    }

    /// Builds a block for a proposer from `candidates` on the state after `ancestors` (see
    /// [`execute::build_block`]) and stages it.
    pub fn stage_build(
        &self,
        ancestors: &[Arc<Staged>],
        ctx: &BlockContext<'_>,
        candidates: impl IntoIterator<Item = (TxHash, Transaction)>,
        max_txs: usize,
    ) -> Result<(Vec<Transaction>, Staged, Dropped), RegistryError> {
        let overlay = self.overlay_for(ancestors, ctx)?;
        let (txs, executed, rejected) = execute::build_block(&overlay, ctx, candidates, max_txs)?;
        let staged = Self::stage_writes(&overlay, ctx.height, executed)?;
        Ok((txs, staged, rejected))
    }

    /// Commits a finalized block with its staged execution and finality certificate, in one
    /// atomic write. An empty `certificate` means the block has none of its own (it was
    /// finalized as the ancestor of a certified descendant); nothing is stored for it.
    ///
    /// Idempotent: a block already committed at its height is a no-op; another block at a
    /// committed height is [`Fault::Corrupt`]. A block that is not the next height,
    /// does not build on the finalized block, or whose header disagrees with `staged` (state
    /// root, transactions) is refused: the first two with [`RegistryError::InvalidRequest`],
    /// the last with [`Fault::Diverged`].
    pub fn commit(
        &self,
        block: &Block,
        staged: &Staged,
        certificate: &[u8],
        finalized_at_ms: u64,
    ) -> Result<(), RegistryError> {
        let header = &block.header;
        let height = header.height;
        let _guard = self
            .commit_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let finalized = self.finalized_or_unavailable()?;
        if height <= finalized.height {
            let stored = self.block_info(height)?.ok_or_else(|| {
                RegistryError::corrupt(format!("no block info at committed height {height}"))
            })?;
            if stored.block_hash == header.hash() {
                return Ok(());
            }
            return Err(RegistryError::corrupt(format!(
                "height {height} is committed with block {}, asked to commit block {}",
                stored.block_hash,
                header.hash()
            )));
        }
        if height != finalized.height + 1 {
            return Err(RegistryError::InvalidRequest {
                reason: format!(
                    "cannot commit height {height}: the finalized height is {}",
                    finalized.height
                ),
            });
        }
        if header.parent != finalized.block_hash {
            return Err(RegistryError::InvalidRequest {
                reason: format!(
                    "block {height} builds on {}, the finalized block is {}",
                    header.parent, finalized.block_hash
                ),
            });
        }
        let diverged = |reason: String| RegistryError::from(Fault::Diverged { height, reason });
        if staged.height != height {
            return Err(diverged(format!(
                "staged execution is for height {}",
                staged.height
            )));
        }
        if staged.root != header.state_root {
            return Err(diverged(format!(
                "the header's state root is {}, local execution gives {}",
                header.state_root, staged.root
            )));
        }
        // The staged execution is of the header's transactions when the hashes it executed
        // sum to the header's root; the body agrees with its header where the block came
        // in (its decoding checks the root; a builder works the root out from the body).
        // Compared so, the commit hashes no transaction again.
        if header.transaction_count as usize != block.transactions.len()
            || staged.executed.tx_hashes.len() != block.transactions.len()
        {
            return Err(diverged(format!(
                "the header counts {} transactions, the body holds {} and the staged execution ran {}",
                header.transaction_count,
                block.transactions.len(),
                staged.executed.tx_hashes.len()
            )));
        }
        if header.transactions_root
            != transactions_root_of(staged.executed.tx_hashes.iter().copied())
        {
            return Err(diverged(
                "the staged execution is of other transactions than the header's".into(),
            ));
        }
        let certificate = Some(certificate).filter(|c| !c.is_empty());
        self.write_height(block, staged, certificate, finalized_at_ms)
            .map(|_| ())
    }

    /// Writes everything of one height, and the meta record, in one batch.
    fn write_height(
        &self,
        block: &Block,
        staged: &Staged,
        certificate: Option<&[u8]>,
        finalized_at_ms: u64,
    ) -> Result<Finalized, RegistryError> {
        let header = &block.header;
        let height = header.height;
        let hk = columns::height_key(height);
        let mut batch = WriteBatch::default();

        let mut nodes = Vec::with_capacity(staged.tree.node_batch.nodes().len());
        // The next block walks down from the new inner nodes (they are the newest tree): keep
        // them decoded once written, rather than read them back from the memtable. Leaves are
        // rarely read again (a new key lands next to one only by chance).
        let mut inner = Vec::new();
        for (key, node) in staged.tree.node_batch.nodes() {
            let key = encode_node_key(key);
            if matches!(node, jmt::storage::Node::Internal(_)) {
                inner.push((key.clone(), Arc::new(node.clone())));
            }
            nodes.push((key, encode_node(node)?));
        }
        put_sorted(&mut batch, self.cf(NODES)?, nodes);
        let values = staged
            .tree
            .node_batch
            .values()
            .iter()
            .map(|((version, key_hash), value)| {
                (
                    columns::value_key(&key_hash.0, *version).to_vec(),
                    encode_value(value.as_deref()),
                )
            })
            .collect();
        put_sorted(&mut batch, self.cf(VALUES)?, values);
        let mut did_versions = Vec::new();
        for (key, value) in &staged.executed.writes {
            // The DID version this block wrote: a block applies one operation per DID
            // (execution refuses a second), so the version in the record is the only one.
            if let (StateKey::Did(did), Some(value)) = (key, value) {
                let version = DidRecord::version_in(value)?;
                did_versions.push((
                    columns::did_version_key(did.suffix(), version).to_vec(),
                    hk.to_vec(),
                ));
            }
        }
        put_sorted(&mut batch, self.cf(DID_VERSIONS)?, did_versions);
        let mut locations = Vec::with_capacity(staged.executed.tx_hashes.len());
        for (index, hash) in staged.executed.tx_hashes.iter().enumerate() {
            let location = TxLocation {
                height,
                index: u32::try_from(index).map_err(|_| RegistryError::InvalidRequest {
                    reason: "too many transactions in one block".into(),
                })?,
            };
            locations.push((hash.0.to_vec(), location.encode().to_vec()));
        }
        put_sorted(&mut batch, self.cf(TX_INDEX)?, locations);
        batch.put_cf(self.cf(BLOCKS)?, hk, block.encode());
        batch.put_cf(self.cf(HEADERS)?, hk, header.encode());
        if let Some(certificate) = certificate {
            batch.put_cf(self.cf(CERTIFICATES)?, hk, certificate);
        }
        let info = BlockInfo {
            height,
            block_hash: header.hash(),
            state_root: header.state_root,
            timestamp_ms: header.timestamp_ms,
            finalized_at_ms,
            transaction_count: header.transaction_count,
        };
        batch.put_cf(self.cf(HEIGHTS)?, hk, info.encode());
        batch.put_cf(
            self.cf(TIME_INDEX)?,
            columns::time_key(header.timestamp_ms, height),
            [],
        );
        let finalized = info.finalized();
        batch.put_cf(self.cf(META)?, FINALIZED_KEY, finalized.encode());
        if height == 0 {
            batch.put_cf(self.cf(META)?, FORMAT_KEY, STATE_FORMAT.to_be_bytes());
        }

        let mut options = WriteOptions::default();
        options.set_sync(true);
        // The batch holds each column's keys in order (`put_sorted`): each memtable insert then
        // starts from where the previous one ended instead of searching from the top.
        options.set_memtable_insert_hint_per_batch(true);
        self.db
            .write_opt(batch, &options)
            .map_err(RegistryError::storage("committing a finalized block"))?;
        for (key, node) in inner {
            self.nodes.insert(key, node);
        }
        *self
            .finalized
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(finalized);
        if let Some(certificate) = certificate {
            self.remember_certified(Certified {
                height,
                header: header.clone(),
                certificate: certificate.to_vec(),
            });
        }
        Ok(finalized)
    }

    fn check_height(&self, height: u64) -> Result<(), RegistryError> {
        let finalized = self.finalized_or_unavailable()?;
        if height > finalized.height {
            return Err(RegistryError::NotFound {
                what: format!(
                    "state at height {height} (the finalized height is {})",
                    finalized.height
                ),
            });
        }
        Ok(())
    }

    /// The value of `key` as of finalized `height`.
    pub fn get(&self, key: &StateKey, height: u64) -> Result<Option<Vec<u8>>, RegistryError> {
        self.check_height(height)?;
        self.tree().value(height, &key.key_hash().0)
    }

    /// The value of `key` as of finalized `height`, with a proof against that height's state
    /// root (of the value, or of its absence).
    pub fn prove(
        &self,
        key: &StateKey,
        height: u64,
    ) -> Result<(Option<Vec<u8>>, StateProof), RegistryError> {
        self.check_height(height)?;
        prover::prove(&self.tree(), &self.pyramids, &key.key_hash().0, height)
    }

    /// The finalized block at `height`.
    pub fn block(&self, height: u64) -> Result<Option<Block>, RegistryError> {
        self.read(BLOCKS, &columns::height_key(height))?
            .map(|bytes| {
                Block::decode_bounded(&bytes).map_err(|e| {
                    RegistryError::corrupt(format!(
                        "the block at height {height} does not decode: {e}"
                    ))
                })
            })
            .transpose()
    }

    /// The header of the finalized block at `height`.
    pub fn header(&self, height: u64) -> Result<Option<BlockHeader>, RegistryError> {
        self.read(HEADERS, &columns::height_key(height))?
            .map(|bytes| decode(&bytes, "a stored header"))
            .transpose()
    }

    /// The finality certificate of the block at `height`: none for genesis and for a block
    /// finalized as the ancestor of a certified descendant.
    pub fn certificate(&self, height: u64) -> Result<Option<Vec<u8>>, RegistryError> {
        self.read(CERTIFICATES, &columns::height_key(height))
    }

    /// The first height at or above `height` whose block has its own certificate, with that
    /// certificate: what a proven read at `height` links to.
    pub fn certified_at_or_after(
        &self,
        height: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, RegistryError> {
        let from = columns::height_key(height);
        let mut iter = self.db.iterator_cf(
            self.cf(CERTIFICATES)?,
            IteratorMode::From(&from, Direction::Forward),
        );
        match iter.next() {
            None => Ok(None),
            Some(Ok((key, value))) => {
                let at = columns::be_u64(&key, 0)
                    .filter(|_| key.len() == 8)
                    .ok_or_else(|| RegistryError::corrupt("a certificate key is malformed"))?;
                Ok(Some((at, value.into_vec())))
            }
            Some(Err(source)) => Err(RegistryError::storage("reading certificates")(source)),
        }
    }

    /// What the store recorded about the block at `height`.
    pub fn block_info(&self, height: u64) -> Result<Option<BlockInfo>, RegistryError> {
        self.read(HEIGHTS, &columns::height_key(height))?
            .map(|bytes| decode(&bytes, "a stored block info"))
            .transpose()
    }

    /// Where a finalized transaction is.
    pub fn tx_location(&self, tx_hash: &TxHash) -> Result<Option<TxLocation>, RegistryError> {
        self.read(TX_INDEX, &tx_hash.0)?
            .map(|bytes| decode(&bytes, "a stored transaction location"))
            .transpose()
    }

    /// The height of the last finalized block whose timestamp is at or before `unix_ms`.
    ///
    /// Assumes block timestamps never decrease along the chain (consensus refuses a block
    /// older than its parent).
    pub fn height_at_or_before(&self, unix_ms: u64) -> Result<Option<u64>, RegistryError> {
        let from = columns::time_key(unix_ms, u64::MAX);
        let mut iter = self.db.iterator_cf(
            self.cf(TIME_INDEX)?,
            IteratorMode::From(&from, Direction::Reverse),
        );
        match iter.next() {
            None => Ok(None),
            Some(Ok((key, _))) => columns::be_u64(&key, 8)
                .map(Some)
                .ok_or_else(|| RegistryError::corrupt("a time index key is malformed")),
            Some(Err(source)) => Err(RegistryError::storage("reading the time index")(source)),
        }
    }

    /// The height of the block that wrote `version` of `did`.
    ///
    /// When one block applied several operations to a DID, every version it wrote maps to
    /// that height, and the state at that height holds the last of them.
    pub fn did_version_height(
        &self,
        did: &RealDid,
        version: u64,
    ) -> Result<Option<u64>, RegistryError> {
        self.read(
            DID_VERSIONS,
            &columns::did_version_key(did.suffix(), version),
        )?
        .map(|bytes| {
            columns::be_u64(&bytes, 0)
                .filter(|_| bytes.len() == 8)
                .ok_or_else(|| RegistryError::corrupt("a DID version entry is malformed"))
        })
        .transpose()
    }

    /// Flushes memtables to SST files (before a backup; tests).
    pub fn flush(&self) -> Result<(), RegistryError> {
        for name in columns::ALL {
            self.db
                .flush_cf(self.cf(name)?)
                .map_err(RegistryError::storage("flushing the state database"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Where the probe cannot open its file, flushes go through the page cache: the store
    /// still opens, writes its flushed files and reads them back after a reopen. (The
    /// integration tests cover the direct case.)
    #[test]
    fn a_directory_without_direct_io_keeps_buffered_flushes() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the probe's file goes: opening it for writing fails, as opening
        // with O_DIRECT fails on a file system without direct I/O.
        std::fs::create_dir(dir.path().join(DIRECT_IO_PROBE)).unwrap();
        assert!(!direct_io_supported(dir.path()));
        let genesis = BlockHeader {
            height: 0,
            parent: Default::default(),
            timestamp_ms: 1_700_000_000_000,
            state_root: EMPTY_ROOT,
            transactions_root: transactions_root(&[]),
            transaction_count: 0,
        };
        let store = Store::open(dir.path()).unwrap();
        let finalized = store.genesis_init(&genesis).unwrap();
        store.flush().unwrap();
        drop(store);
        let log = std::fs::read_to_string(dir.path().join("LOG")).unwrap();
        assert!(
            log.contains("use_direct_io_for_flush_and_compaction: 0"),
            "RocksDB's LOG does not say direct I/O is off"
        );
        let flushed = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|entry| entry.as_ref().unwrap().path().extension() == Some("sst".as_ref()))
            .count();
        assert!(flushed > 0, "the flush wrote no file");
        // Every column was flushed: what reads back comes from the files, not from the log.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.finalized(), Some(finalized));
        assert_eq!(store.header(0).unwrap(), Some(genesis));
    }
}
