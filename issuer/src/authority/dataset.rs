//! The reference authority's source of record: a synthetic population in RocksDB.
//!
//! ```text
//! key                         value
//! "secret"                    the population secret (32 bytes): the evidence MAC key
//! "resident/" + ID (18 chars) {"full_name": "…"} (JSON)
//! ```
//! This is the *authority's* database and holds plaintext names and numbers, as a national
//! register does; the issuer's own storage never does.

use std::path::Path;

use realdid_core::resident_id::{ResidentId, ResidentIdGenerator};
use rocksdb::{DB, Options};
use serde::{Deserialize, Serialize};

use super::evidence::{self, SECRET_LEN};
use crate::IssuerError;

const SECRET_KEY: &[u8] = b"secret";
const RESIDENT_PREFIX: &[u8] = b"resident/";
/// Residents per write batch when generating.
const WRITE_CHUNK: usize = 50_000;

/// One synthetic person, as the generator hands them out (for demos and tests: what a
/// citizen would type, and the evidence their phone's liveness check would return).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The full name, as on the identity card.
    pub full_name: String,
    /// The resident identity number.
    pub resident_id: String,
    /// The person's evidence token.
    pub evidence_token: String,
}

#[derive(Serialize, Deserialize)]
struct Record {
    full_name: String,
}

/// The resident register of the reference authority.
pub struct ResidentDataset {
    db: DB,
    secret: [u8; SECRET_LEN],
}

impl std::fmt::Debug for ResidentDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidentDataset")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

fn resident_key(id: &ResidentId) -> Vec<u8> {
    [RESIDENT_PREFIX, id.as_str().as_bytes()].concat()
}

impl ResidentDataset {
    /// Creates a register of `count` distinct synthetic residents in the empty or missing
    /// directory `dir`, from `seed` (the same seed gives the same people, with a new
    /// secret), and returns them.
    pub fn generate(dir: &Path, count: usize, seed: u64) -> Result<Vec<Person>, IssuerError> {
        if dir.join("CURRENT").exists() {
            return Err(IssuerError::InvalidRequest(format!(
                "{} already holds a database; generate into a new directory",
                dir.display()
            )));
        }
        let mut opts = Options::default();
        opts.create_if_missing(true);
        let db = DB::open(&opts, dir).map_err(IssuerError::storage("creating the dataset"))?;
        let mut secret = [0u8; SECRET_LEN];
        getrandom::fill(&mut secret).map_err(IssuerError::Randomness)?;
        db.put(SECRET_KEY, secret)
            .map_err(IssuerError::storage("writing the dataset secret"))?;
        let mut generator = ResidentIdGenerator::new(seed);
        let mut people = Vec::with_capacity(count);
        let mut batch = rocksdb::WriteBatch::default();
        let mut seen = std::collections::HashSet::with_capacity(count);
        while people.len() < count {
            let id = generator.next_id();
            let full_name = generator.next_name().to_string();
            if !seen.insert(id.as_str().to_owned()) {
                continue; // the generator drew a number twice: one person per number
            }
            let record = serde_json::to_vec(&Record {
                full_name: full_name.clone(),
            })
            .map_err(|e| IssuerError::Corrupt(format!("encoding a resident: {e}")))?;
            batch.put(resident_key(&id), record);
            // Bounded batches: a register of millions is written in pieces, not held twice.
            if batch.len() >= WRITE_CHUNK {
                db.write(std::mem::take(&mut batch))
                    .map_err(IssuerError::storage("writing the residents"))?;
            }
            people.push(Person {
                evidence_token: evidence::mint(&secret, &id),
                resident_id: id.as_str().to_owned(),
                full_name,
            });
        }
        db.write(batch)
            .map_err(IssuerError::storage("writing the residents"))?;
        db.flush()
            .map_err(IssuerError::storage("flushing the dataset"))?;
        Ok(people)
    }

    /// Opens an existing register.
    pub fn open(dir: &Path) -> Result<Self, IssuerError> {
        if !dir.join("CURRENT").exists() {
            return Err(IssuerError::InvalidRequest(format!(
                "{} holds no resident dataset; create one with `realdid authority generate`",
                dir.display()
            )));
        }
        let mut opts = Options::default();
        opts.set_paranoid_checks(true);
        let db = DB::open(&opts, dir).map_err(IssuerError::storage("opening the dataset"))?;
        let secret = db
            .get(SECRET_KEY)
            .map_err(IssuerError::storage("reading the dataset secret"))?
            .ok_or_else(|| {
                IssuerError::Corrupt(format!("{} has no population secret", dir.display()))
            })?;
        let secret: [u8; SECRET_LEN] = secret.as_slice().try_into().map_err(|_| {
            IssuerError::Corrupt(format!(
                "the population secret in {} is {} bytes, not {SECRET_LEN}",
                dir.display(),
                secret.len()
            ))
        })?;
        Ok(Self { db, secret })
    }

    /// The registered full name of `id`, if the register has that number.
    pub fn full_name(&self, id: &ResidentId) -> Result<Option<String>, IssuerError> {
        let Some(bytes) = self
            .db
            .get_pinned(resident_key(id))
            .map_err(IssuerError::storage("reading a resident"))?
        else {
            return Ok(None);
        };
        let record: Record = serde_json::from_slice(&bytes)
            .map_err(|e| IssuerError::Corrupt(format!("a resident record does not decode: {e}")))?;
        Ok(Some(record.full_name))
    }

    /// True when `token` is the evidence of `id` in this population.
    pub fn evidence_matches(&self, id: &ResidentId, token: &str) -> bool {
        evidence::verify(&self.secret, id, token)
    }
}
