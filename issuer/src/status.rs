//! Status lists: where each credential's status lives, and the tokens that publish them.
//!
//! Each list is an IETF Token Status List of 2-bit entries (VALID, INVALID = revoked,
//! SUSPENDED). A credential gets a *random* free entry of the open list, not the next one:
//! with sequential entries the credentials of one enrolment would sit side by side, and two
//! services comparing their credentials' indexes could link them. A list is closed when
//! three quarters of it is used (so a random pick rarely retries) and the next one opens.
//!
//! Publication is the issuer's job (engine); this module builds the token: a JWT with
//! header `typ` = `statuslist+jwt`, payload `sub` (the list URI), `iat`, `exp`, `ttl` and
//! `status_list`, whose SHA-256 the issuer anchors on the registry. `exp` bounds how long a
//! copy of a token can be used at all (verifiers refuse a token without one), so the issuer
//! publishes every list again before its token expires, changed or not.

use realdid_core::jws::{KeySigner, sign_compact};
use realdid_core::status_list::{
    STATUS_LIST_JWT_TYP, Status, StatusBits, StatusList, StatusListTokenClaims, StatusTally,
    StatusUri,
};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::IssuerError;
use crate::store::ListRecord;

/// How long a verifier may cache a fetched list, seconds.
pub const LIST_TTL_SECONDS: u64 = 300;

/// The URI of list `number` under `base_url`.
pub fn list_uri(base_url: &str, number: u32) -> String {
    format!("{base_url}/status/{number}")
}

/// The list number of a URI of this issuer.
pub fn list_number(base_url: &str, uri: &str) -> Option<u32> {
    uri.strip_prefix(base_url)?
        .strip_prefix("/status/")?
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// The entries taken in the open list.
#[derive(Debug, Clone)]
pub struct OpenList {
    /// The list's number.
    pub number: u32,
    taken: Vec<u64>,
    count: u32,
    size: u32,
}

impl OpenList {
    /// An open list of `size` entries with `taken` already used.
    pub fn new(number: u32, size: u32, taken: impl IntoIterator<Item = u32>) -> Self {
        let mut list = Self {
            number,
            taken: vec![0; (size as usize).div_ceil(64)],
            count: 0,
            size,
        };
        for index in taken {
            list.mark(index);
        }
        list
    }

    fn mark(&mut self, index: u32) -> bool {
        let (word, bit) = ((index / 64) as usize, index % 64);
        match self.taken.get_mut(word) {
            Some(w) if *w & (1 << bit) == 0 && index < self.size => {
                *w |= 1 << bit;
                self.count += 1;
                true
            }
            _ => false,
        }
    }

    /// Whether the list is as full as it gets.
    pub fn is_full(&self) -> bool {
        u64::from(self.count) * 4 >= u64::from(self.size) * 3
    }

    /// Takes a random free entry; `None` once the list is full.
    pub fn allocate(&mut self) -> Result<Option<u32>, IssuerError> {
        if self.is_full() {
            return Ok(None);
        }
        // At most 3/4 taken, so each pick is free with probability >= 1/4; 64 misses in a
        // row happen with probability < 1e-8, and then a scan finds a free entry.
        for _ in 0..64 {
            let mut bytes = [0u8; 4];
            getrandom::fill(&mut bytes).map_err(IssuerError::Randomness)?;
            let index = u32::from_le_bytes(bytes) % self.size;
            if self.mark(index) {
                return Ok(Some(index));
            }
        }
        let free = (0..self.size).find(|i| self.taken[(*i / 64) as usize] & (1 << (i % 64)) == 0);
        Ok(free.filter(|i| self.mark(*i)))
    }
}

/// A new, all-VALID list record.
pub fn new_list(number: u32, size: u32) -> Result<ListRecord, IssuerError> {
    let list = StatusList::new(StatusBits::Two, size as usize)
        .map_err(|e| IssuerError::Internal(format!("status list: {e}")))?;
    Ok(ListRecord {
        number,
        size,
        statuses: hex::encode(list.as_bytes()),
        dirty: true,
        next_sequence: 1,
        published: None,
    })
}

/// The statuses of a stored list.
pub fn statuses(record: &ListRecord) -> Result<StatusList, IssuerError> {
    let bytes = hex::decode(&record.statuses)
        .map_err(|_| IssuerError::Corrupt(format!("status list {} is not hex", record.number)))?;
    StatusList::from_bytes(StatusBits::Two, bytes)
        .map_err(|e| IssuerError::Corrupt(format!("status list {}: {e}", record.number)))
}

/// Sets entry `index` of list `number` (decoded); returns whether it changed.
pub fn set_entry(
    list: &mut StatusList,
    number: u32,
    index: u32,
    status: Status,
) -> Result<bool, IssuerError> {
    let before = list
        .get(index as usize)
        .map_err(|e| IssuerError::Corrupt(format!("status list {number}: {e}")))?;
    if before == status {
        return Ok(false);
    }
    list.set(index as usize, status)
        .map_err(|e| IssuerError::Internal(format!("status list {number}: {e}")))?;
    Ok(true)
}

/// Writes changed statuses back into their record, marking it to be published.
pub fn store_statuses(record: &mut ListRecord, list: &StatusList) {
    record.statuses = hex::encode(list.as_bytes());
    record.dirty = true;
}

/// The signed Status List Token of `record` at `uri`, issued at `now_s` and valid for
/// `validity_s` seconds, and its SHA-256 (what is anchored).
pub fn token(
    record: &ListRecord,
    uri: &str,
    signer: &KeySigner,
    now_s: i64,
    validity_s: u32,
) -> Result<(String, [u8; 32], StatusTally), IssuerError> {
    let list = statuses(record)?;
    let claims = StatusListTokenClaims {
        sub: uri
            .parse::<StatusUri>()
            .map_err(|e| IssuerError::Config(format!("status list URI {uri}: {e}")))?,
        iat: now_s,
        exp: Some(now_s.saturating_add(i64::from(validity_s))),
        ttl: Some(LIST_TTL_SECONDS),
        status_list: list
            .encode()
            .map_err(|e| IssuerError::Internal(format!("encoding status list: {e}")))?,
    };
    let payload = serde_json::to_vec(&claims)
        .map_err(|e| IssuerError::Internal(format!("encoding status list token: {e}")))?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(STATUS_LIST_JWT_TYP.into()));
    let token = sign_compact(&header, &payload, signer)
        .map_err(|e| IssuerError::Internal(format!("signing status list token: {e}")))?;
    let hash = Sha256::digest(token.as_bytes()).into();
    Ok((token, hash, list.tally()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_random_distinct_and_stops_at_three_quarters() -> Result<(), IssuerError> {
        let mut list = OpenList::new(1, 1024, []);
        let mut seen = std::collections::HashSet::new();
        while let Some(i) = list.allocate()? {
            assert!(i < 1024);
            assert!(seen.insert(i), "entry {i} handed out twice");
        }
        assert_eq!(seen.len(), 768);
        // Not sequential: the first eight picks are not eight neighbours.
        let mut fresh = OpenList::new(1, 1 << 16, []);
        let picks: Vec<u32> = (0..8)
            .filter_map(|_| fresh.allocate().ok().flatten())
            .collect();
        assert!(picks.windows(2).any(|w| w[1] != w[0] + 1));
        // Entries taken before a restart stay taken.
        let reopened = OpenList::new(1, 1024, seen.iter().copied());
        assert!(reopened.is_full());
        Ok(())
    }

    #[test]
    fn statuses_change_and_uris_round_trip() -> Result<(), IssuerError> {
        let mut record = new_list(3, 1024)?;
        record.dirty = false;
        let mut list = statuses(&record)?;
        assert!(set_entry(&mut list, 3, 5, Status::SUSPENDED)?);
        assert!(!set_entry(&mut list, 3, 5, Status::SUSPENDED)?);
        store_statuses(&mut record, &list);
        assert!(record.dirty);
        assert_eq!(statuses(&record)?.get(5).ok(), Some(Status::SUSPENDED));
        assert_eq!(statuses(&record)?.get(4).ok(), Some(Status::VALID));
        let uri = list_uri("http://x:1", 3);
        assert_eq!(list_number("http://x:1", &uri), Some(3));
        assert_eq!(list_number("http://y:1", &uri), None);
        assert_eq!(list_number("http://x:1", "http://x:1/status/0"), None);
        Ok(())
    }
}
