//! The issuer's RocksDB: what it issued, to which DIDs, in which status lists, and the
//! lawful-trace requests. No plaintext name or resident identity number is ever written
//! here (the test suite scans the files for them): persons appear only as their
//! [`PersonKey`], identities only sealed.
//!
//! | column family | key | value |
//! |---|---|---|
//! | `credentials` | credential id | [`CredentialRecord`] |
//! | `enrolments` | enrolment id | [`EnrolmentRecord`] |
//! | `dids` | DID | the ids of the credentials ever issued to it (JSON array) |
//! | `persons` | person key (32 bytes) | the person's enrolment ids (JSON array) |
//! | `lists` | list number (u32 BE) | [`ListRecord`] |
//! | `slots` | list number (u32 BE) ‖ index (u32 BE) | credential id |
//! | `traces` | trace id | [`TraceRecord`] |
//! | `log` | time (i64 BE) ‖ 8 random bytes | [`LogEntry`]: operator actions, revocation notes |
//! | `meta` | name | counters |
//!
//! Values are JSON: small and self-describing. Those of `credentials`, `enrolments`,
//! `persons`, `traces` and `log` are sealed ([`RowSeal`]): they are what links one person's DIDs, and a
//! copy of the database alone must not.

pub mod columns;
mod records;
mod sealed;

use std::path::Path;
use std::sync::Mutex;

use rocksdb::{ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, WriteBatch};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use records::{
    CredentialRecord, CredentialStatus, EnrolmentRecord, ListRecord, LogEntry, Published, Receipt,
    TraceApprovalRecord, TraceOpening, TraceRecord,
};
pub use sealed::RowSeal;

use crate::IssuerError;
use crate::privacy::person_index::PersonKey;

/// The issuer's database.
pub struct Store {
    db: DB,
    seal: RowSeal,
    /// Serialises read-check-write sequences (binding DIDs, counters): the issuer is one
    /// process, and these are short.
    pub(crate) write_lock: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

/// A set of writes applied atomically.
#[derive(Debug, Default)]
pub struct Batch {
    puts: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
    deletes: Vec<(&'static str, Vec<u8>)>,
}

impl Batch {
    /// Puts `value` as JSON.
    pub fn put(
        &mut self,
        cf: &'static str,
        key: impl Into<Vec<u8>>,
        value: &impl Serialize,
    ) -> Result<(), IssuerError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| IssuerError::Internal(format!("encoding a {cf} record: {e}")))?;
        self.puts.push((cf, key.into(), bytes));
        Ok(())
    }

    /// Puts raw bytes.
    pub fn put_raw(&mut self, cf: &'static str, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        self.puts.push((cf, key.into(), value));
    }

    /// Deletes a row (after the puts).
    pub fn delete(&mut self, cf: &'static str, key: impl Into<Vec<u8>>) {
        self.deletes.push((cf, key.into()));
    }
}

/// Rows of a column family as read: each key with its record.
pub type Rows<T> = Vec<(Vec<u8>, T)>;

/// The `meta` counter of credentials issued: slots in use, kept with the slots so that the
/// operators' figures need not walk every slot.
pub const ISSUED: &str = "credentials_issued";

/// The key of one status-list slot.
pub fn slot_key(list: u32, index: u32) -> [u8; 8] {
    let mut key = [0u8; 8];
    key[..4].copy_from_slice(&list.to_be_bytes());
    key[4..].copy_from_slice(&index.to_be_bytes());
    key
}

impl Store {
    /// Opens (or creates) the database in `dir`, its linking rows sealed with `seal`.
    pub fn open(dir: &Path, seal: RowSeal) -> Result<Self, IssuerError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let cfs = columns::ALL
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        let db = DB::open_cf_descriptors(&opts, dir, cfs)
            .map_err(IssuerError::storage("opening the issuer database"))?;
        let store = Self {
            db,
            seal,
            write_lock: Mutex::new(()),
        };
        store.count_issued_once()?;
        Ok(store)
    }

    /// Sets the [`ISSUED`] counter from the slots in use, once: a database written before
    /// the counter was kept lacks it.
    fn count_issued_once(&self) -> Result<(), IssuerError> {
        if self.get_raw(columns::META, ISSUED.as_bytes())?.is_some() {
            return Ok(());
        }
        let mut batch = Batch::default();
        Self::set_counter(&mut batch, ISSUED, self.count(columns::SLOTS, b"")?);
        self.write(batch)
    }

    fn cf(&self, name: &'static str) -> Result<&rocksdb::ColumnFamily, IssuerError> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| IssuerError::Corrupt(format!("column family {name} is missing")))
    }

    /// The value as written: opened when its column family is sealed.
    fn plain(&self, cf: &'static str, key: &[u8], stored: Vec<u8>) -> Result<Vec<u8>, IssuerError> {
        if RowSeal::seals(cf) {
            self.seal.open(cf, key, &stored)
        } else {
            Ok(stored)
        }
    }

    /// Reads one JSON record.
    pub fn get<T: DeserializeOwned>(
        &self,
        cf: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, IssuerError> {
        let Some(bytes) = self.get_raw(cf, key)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| IssuerError::Corrupt(format!("a {cf} record does not decode: {e}")))
    }

    /// Reads raw bytes.
    pub fn get_raw(&self, cf: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, IssuerError> {
        self.db
            .get_cf(self.cf(cf)?, key)
            .map_err(IssuerError::storage("reading the issuer database"))?
            .map(|stored| self.plain(cf, key, stored))
            .transpose()
    }

    /// Applies `batch` atomically and durably (synced: an issued credential or an opened
    /// trace must survive a crash once its caller has been told).
    pub fn write(&self, batch: Batch) -> Result<(), IssuerError> {
        let mut wb = WriteBatch::default();
        for (cf, key, value) in batch.puts {
            let value = if RowSeal::seals(cf) {
                self.seal.seal(cf, &key, &value)?
            } else {
                value
            };
            wb.put_cf(self.cf(cf)?, key, value);
        }
        for (cf, key) in batch.deletes {
            wb.delete_cf(self.cf(cf)?, key);
        }
        let mut opts = rocksdb::WriteOptions::default();
        opts.set_sync(true);
        self.db
            .write_opt(wb, &opts)
            .map_err(IssuerError::storage("writing the issuer database"))
    }

    /// Every record of a column family whose key starts with `prefix`, in key order.
    pub fn scan<T: DeserializeOwned>(
        &self,
        cf: &'static str,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, T)>, IssuerError> {
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(self.cf(cf)?, IteratorMode::From(prefix, Direction::Forward))
        {
            let (key, value) =
                item.map_err(IssuerError::storage("scanning the issuer database"))?;
            if !key.starts_with(prefix) {
                break;
            }
            let record = self.decode(cf, &key, value.to_vec())?;
            out.push((key.to_vec(), record));
        }
        Ok(out)
    }

    /// Up to `limit` records of a column family after key `after` (from the first when
    /// empty), in key order, and whether more follow.
    pub fn scan_after<T: DeserializeOwned>(
        &self,
        cf: &'static str,
        after: &[u8],
        limit: usize,
    ) -> Result<(Rows<T>, bool), IssuerError> {
        let mode = IteratorMode::From(after, Direction::Forward);
        self.page(cf, mode, |key| !after.is_empty() && key == after, limit)
    }

    /// Up to `limit` records of a column family before key `before` (from the last when
    /// empty), newest key first, and whether more precede them.
    pub fn scan_before<T: DeserializeOwned>(
        &self,
        cf: &'static str,
        before: &[u8],
        limit: usize,
    ) -> Result<(Rows<T>, bool), IssuerError> {
        let mode = if before.is_empty() {
            IteratorMode::End
        } else {
            IteratorMode::From(before, Direction::Reverse)
        };
        self.page(cf, mode, |key| !before.is_empty() && key >= before, limit)
    }

    /// Up to `limit` records from `mode` on, leaving out the keys `skip` names, and
    /// whether more follow.
    fn page<T: DeserializeOwned>(
        &self,
        cf: &'static str,
        mode: IteratorMode<'_>,
        skip: impl Fn(&[u8]) -> bool,
        limit: usize,
    ) -> Result<(Rows<T>, bool), IssuerError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(cf)?, mode) {
            let (key, value) =
                item.map_err(IssuerError::storage("scanning the issuer database"))?;
            if skip(&key) {
                continue;
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            let record = self.decode(cf, &key, value.to_vec())?;
            out.push((key.to_vec(), record));
        }
        Ok((out, false))
    }

    /// A stored record, opened when its column is sealed.
    fn decode<T: DeserializeOwned>(
        &self,
        cf: &'static str,
        key: &[u8],
        value: Vec<u8>,
    ) -> Result<T, IssuerError> {
        let value = self.plain(cf, key, value)?;
        serde_json::from_slice(&value)
            .map_err(|e| IssuerError::Corrupt(format!("a {cf} record does not decode: {e}")))
    }

    /// How many keys of a column family start with `prefix` (none kept in memory).
    pub fn count(&self, cf: &'static str, prefix: &[u8]) -> Result<u64, IssuerError> {
        let mut n = 0;
        self.each_key(cf, prefix, |_| n += 1)?;
        Ok(n)
    }

    /// Calls `each` with every key of a column family that starts with `prefix`.
    fn each_key(
        &self,
        cf: &'static str,
        prefix: &[u8],
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), IssuerError> {
        for item in self
            .db
            .iterator_cf(self.cf(cf)?, IteratorMode::From(prefix, Direction::Forward))
        {
            let (key, _) = item.map_err(IssuerError::storage("scanning the issuer database"))?;
            if !key.starts_with(prefix) {
                break;
            }
            each(&key);
        }
        Ok(())
    }

    /// The keys of a column family that start with `prefix`.
    pub fn keys(&self, cf: &'static str, prefix: &[u8]) -> Result<Vec<Vec<u8>>, IssuerError> {
        let mut out = Vec::new();
        self.each_key(cf, prefix, |key| out.push(key.to_vec()))?;
        Ok(out)
    }

    /// A counter in `meta` (0 when never set).
    pub fn counter(&self, name: &str) -> Result<u64, IssuerError> {
        match self.get_raw(columns::META, name.as_bytes())? {
            None => Ok(0),
            Some(bytes) => {
                let bytes: [u8; 8] = bytes.try_into().map_err(|_| {
                    IssuerError::Corrupt(format!("meta counter {name} is not 8 bytes"))
                })?;
                Ok(u64::from_be_bytes(bytes))
            }
        }
    }

    /// Sets a counter in `batch`.
    pub fn set_counter(batch: &mut Batch, name: &str, value: u64) {
        batch.put_raw(
            columns::META,
            name.as_bytes().to_vec(),
            value.to_be_bytes().to_vec(),
        );
    }

    /// The credential ids ever issued to `did`.
    pub fn did_credentials(&self, did: &str) -> Result<Vec<String>, IssuerError> {
        Ok(self.get(columns::DIDS, did.as_bytes())?.unwrap_or_default())
    }

    /// Writes an enrolment and what it issued in one atomic batch: each credential, each
    /// DID's list of bound credentials and its status-list slot, the enrolment, and the
    /// person's list of enrolments. The caller holds `write_lock` across the checks it made
    /// before (the DIDs are free, the person may enrol), so that they still hold here.
    pub fn commit_enrolment(
        &self,
        enrolment: &EnrolmentRecord,
        person: &PersonKey,
        credentials: &[&CredentialRecord],
    ) -> Result<(), IssuerError> {
        let mut batch = Batch::default();
        let issued = self
            .counter(ISSUED)?
            .saturating_add(credentials.len() as u64);
        Self::set_counter(&mut batch, ISSUED, issued);
        for r in credentials {
            batch.put(columns::CREDENTIALS, r.id.clone().into_bytes(), *r)?;
            let mut bound = self.did_credentials(&r.did)?;
            bound.push(r.id.clone());
            batch.put(columns::DIDS, r.did.clone().into_bytes(), &bound)?;
            batch.put_raw(
                columns::SLOTS,
                slot_key(r.list, r.index).to_vec(),
                r.id.clone().into_bytes(),
            );
        }
        batch.put(
            columns::ENROLMENTS,
            enrolment.id.clone().into_bytes(),
            enrolment,
        )?;
        let mut person_enrolments = self.person_enrolments(person)?;
        person_enrolments.push(enrolment.id.clone());
        batch.put(columns::PERSONS, person.0.to_vec(), &person_enrolments)?;
        self.write(batch)
    }

    /// The enrolment ids of a person.
    pub fn person_enrolments(&self, person: &PersonKey) -> Result<Vec<String>, IssuerError> {
        Ok(self.get(columns::PERSONS, &person.0)?.unwrap_or_default())
    }

    /// One credential.
    pub fn credential(&self, id: &str) -> Result<Option<CredentialRecord>, IssuerError> {
        self.get(columns::CREDENTIALS, id.as_bytes())
    }

    /// One enrolment.
    pub fn enrolment(&self, id: &str) -> Result<Option<EnrolmentRecord>, IssuerError> {
        self.get(columns::ENROLMENTS, id.as_bytes())
    }

    /// One status list.
    pub fn list(&self, number: u32) -> Result<Option<ListRecord>, IssuerError> {
        self.get(columns::LISTS, &number.to_be_bytes())
    }

    /// One trace request.
    pub fn trace(&self, id: &str) -> Result<Option<TraceRecord>, IssuerError> {
        self.get(columns::TRACES, id.as_bytes())
    }

    /// Appends an entry to the operator log in `batch`, keyed by its time and 8 random
    /// bytes: in time order, and two entries of the same millisecond never collide.
    pub fn log(&self, batch: &mut Batch, entry: &LogEntry) -> Result<(), IssuerError> {
        let mut key = entry.at_ms.to_be_bytes().to_vec();
        let mut tail = [0u8; 8];
        getrandom::fill(&mut tail).map_err(IssuerError::Randomness)?;
        key.extend_from_slice(&tail);
        batch.put(columns::LOG, key, entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(id: &str, list: u32, index: u32) -> CredentialRecord {
        CredentialRecord {
            id: id.to_owned(),
            enrolment_id: format!("enrolment-{id}"),
            did: format!("did:realdid:{id}"),
            vct: "https://example.invalid/vct".to_owned(),
            list,
            index,
            issued_at_ms: 1,
            expires_at_ms: 2,
            status: CredentialStatus::Valid,
            holder_key: None,
        }
    }

    fn enrolment(id: &str, credentials: &[&CredentialRecord]) -> EnrolmentRecord {
        EnrolmentRecord {
            id: id.to_owned(),
            person: "person".to_owned(),
            dids: credentials.iter().map(|c| c.did.clone()).collect(),
            credential_ids: credentials.iter().map(|c| c.id.clone()).collect(),
            enrolled_at_ms: 1,
            escrow: Vec::new(),
            holder_tag_key: String::new(),
            fraud: false,
        }
    }

    #[test]
    fn the_issued_counter_follows_the_slots_and_is_rebuilt_when_missing() -> Result<(), IssuerError>
    {
        let dir = tempfile::tempdir().map_err(|e| IssuerError::Internal(e.to_string()))?;
        let seal = || RowSeal::from_pepper(b"a pepper for this test only");
        let person = PersonKey([7; crate::privacy::person_index::INDEX_LEN]);
        {
            let store = Store::open(dir.path(), seal())?;
            assert_eq!(store.counter(ISSUED)?, 0, "a new database counts none");
            let (a, b, c) = (
                credential("a", 1, 5),
                credential("b", 1, 9),
                credential("c", 2, 0),
            );
            store.commit_enrolment(&enrolment("e1", &[&a, &b]), &person, &[&a, &b])?;
            store.commit_enrolment(&enrolment("e2", &[&c]), &person, &[&c])?;
            assert_eq!(store.counter(ISSUED)?, 3);
            assert_eq!(store.count(columns::SLOTS, b"")?, 3);
            // As a database written before the counter was kept.
            store
                .db
                .delete_cf(store.cf(columns::META)?, ISSUED.as_bytes())
                .map_err(IssuerError::storage("deleting the counter"))?;
        }
        let store = Store::open(dir.path(), seal())?;
        assert_eq!(
            store.counter(ISSUED)?,
            3,
            "counted from the slots on opening"
        );
        Ok(())
    }
}
