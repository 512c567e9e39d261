//! The in-process request store: the embedded default for a single replica.
//!
//! A map behind one mutex, so `take` is atomic within the process. It is bounded (a flood of
//! CreatePresentationRequest calls must not exhaust memory): expired requests are purged on
//! every operation through a queue ordered by purge time, and when the store is still full a
//! new request is refused as [`VerifierError::StoreUnavailable`] rather than evicting an open
//! one (evicting would turn a pending request into "unknown" under load).
//!
//! Several replicas must not use it: each would keep its own "used" marks, and a presentation
//! could be accepted once per replica. They share a [`super::RedisStore`] instead.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use realdid_core::clock::{Clock, SystemClock};

use super::{DEFAULT_GRACE, Known, RequestStore, StoredRequest, Taken, purge_at_ms};
use crate::VerifierError;

/// Most requests a memory store holds at once.
pub const MAX_MEMORY_ENTRIES: usize = 1_000_000;

/// In-process request store. Clones share the same requests.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    grace: Duration,
    max_entries: usize,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// One item per entry: (purge time, request id), earliest first.
    purge_queue: BinaryHeap<Reverse<(i64, String)>>,
}

struct Entry {
    request: StoredRequest,
    used: bool,
    purge_at_ms: i64,
    /// The verdict on a presentation a wallet submitted, kept with the request.
    verdict: Option<Vec<u8>>,
}

impl std::fmt::Debug for MemoryStore {
    /// Nonces stay out of logs (and a million entries out of a debug line).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("grace", &self.grace)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store with the default grace period and at most [`MAX_MEMORY_ENTRIES`] requests.
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_GRACE, MAX_MEMORY_ENTRIES)
    }

    /// A store keeping requests `grace` past their expiry, holding at most `max_entries`
    /// (tests use a short grace and a small bound).
    pub fn with_limits(grace: Duration, max_entries: usize) -> Self {
        MemoryStore {
            inner: Arc::new(Mutex::new(Inner::default())),
            grace,
            max_entries,
            clock: SystemClock::shared(),
        }
    }

    /// The same store, purging and expiring by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().as_i64()
    }

    /// How many requests are held now (purged ones not counted).
    pub fn len(&self) -> usize {
        let mut inner = self.lock();
        inner.purge(self.now_ms());
        inner.entries.len()
    }

    /// Whether no request is held now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map. A panic cannot leave it half-updated (every update is a single insert or
    /// field write), so a poisoned lock is still safe to use: the store stays available.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn put_now(&self, request: &StoredRequest) -> Result<(), VerifierError> {
        let now = self.now_ms();
        let purge_at = purge_at_ms(request, self.grace);
        if purge_at <= now {
            return Err(VerifierError::InvalidRequest(
                "expires_at_ms: the request is past its expiry and grace period".to_owned(),
            ));
        }
        let mut inner = self.lock();
        inner.purge(now);
        if inner.entries.contains_key(&request.request_id) {
            return Err(VerifierError::InvalidRequest(
                "request_id: already stored".to_owned(),
            ));
        }
        if inner.entries.len() >= self.max_entries {
            return Err(VerifierError::store_unavailable("request store full"));
        }
        inner
            .purge_queue
            .push(Reverse((purge_at, request.request_id.clone())));
        inner.entries.insert(
            request.request_id.clone(),
            Entry {
                request: request.clone(),
                used: false,
                purge_at_ms: purge_at,
                verdict: None,
            },
        );
        Ok(())
    }

    fn get_now(&self, request_id: &str) -> Option<Known> {
        let mut inner = self.lock();
        inner.purge(self.now_ms());
        inner.entries.get(request_id).map(|entry| Known {
            request: entry.request.clone(),
            used: entry.used,
        })
    }

    fn take_now(&self, request_id: &str) -> Taken {
        let mut inner = self.lock();
        inner.purge(self.now_ms());
        match inner.entries.get_mut(request_id) {
            None => Taken::Unknown,
            Some(entry) if entry.used => Taken::AlreadyUsed,
            Some(entry) => {
                entry.used = true;
                Taken::Open
            }
        }
    }
}

impl Inner {
    /// Drops every request whose expiry and grace period are over.
    fn purge(&mut self, now: i64) {
        while let Some(Reverse((purge_at, _))) = self.purge_queue.peek() {
            if *purge_at > now {
                break;
            }
            if let Some(Reverse((purge_at, id))) = self.purge_queue.pop()
                && self
                    .entries
                    .get(&id)
                    .is_some_and(|entry| entry.purge_at_ms == purge_at)
            {
                self.entries.remove(&id);
            }
        }
    }
}

impl RequestStore for MemoryStore {
    async fn put(&self, request: &StoredRequest) -> Result<(), VerifierError> {
        self.put_now(request)
    }

    async fn get(&self, request_id: &str) -> Result<Option<Known>, VerifierError> {
        Ok(self.get_now(request_id))
    }

    async fn take(&self, request: &StoredRequest) -> Result<Taken, VerifierError> {
        Ok(self.take_now(&request.request_id))
    }

    async fn put_verdict(
        &self,
        request: &StoredRequest,
        verdict: &[u8],
    ) -> Result<(), VerifierError> {
        let mut inner = self.lock();
        inner.purge(self.now_ms());
        match inner.entries.get_mut(&request.request_id) {
            Some(entry) => {
                entry.verdict = Some(verdict.to_vec());
                Ok(())
            }
            None => Err(VerifierError::NotFound(
                "the request was purged before its verdict was kept".to_owned(),
            )),
        }
    }

    async fn get_verdict(&self, request_id: &str) -> Result<Option<Vec<u8>>, VerifierError> {
        let mut inner = self.lock();
        inner.purge(self.now_ms());
        Ok(inner
            .entries
            .get(request_id)
            .and_then(|entry| entry.verdict.clone()))
    }

    /// The process's own memory always answers; a full store still serves verdicts.
    async fn ready(&self) -> Result<(), VerifierError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use realdid_core::clock::ManualClock;

    /// When the tests' requests are made, Unix ms.
    const NOW: i64 = 1_750_000_000_000;

    fn request(id: &str, expires_at_ms: i64) -> StoredRequest {
        StoredRequest {
            request_id: id.to_owned(),
            nonce: format!("nonce-{id}"),
            audience: "https://rp.example".to_owned(),
            claims: vec!["age_over_18".to_owned()],
            predicates: Vec::new(),
            credential_types: vec!["RealNameCredential".to_owned()],
            purpose: "test".to_owned(),
            created_at_ms: NOW,
            expires_at_ms,
            request_object: "a.b.c".to_owned(),
        }
    }

    #[test]
    fn store_purges_in_expiry_order_not_insertion_order() {
        let mut inner = Inner::default();
        for (id, purge_at) in [("late", 300), ("early", 100), ("middle", 200)] {
            inner.purge_queue.push(Reverse((purge_at, id.to_owned())));
            inner.entries.insert(
                id.to_owned(),
                Entry {
                    request: request(id, purge_at),
                    used: false,
                    purge_at_ms: purge_at,
                    verdict: None,
                },
            );
        }
        inner.purge(150);
        assert!(!inner.entries.contains_key("early"));
        assert_eq!(inner.entries.len(), 2);
        inner.purge(250);
        assert_eq!(inner.entries.keys().collect::<Vec<_>>(), vec!["late"]);
        assert_eq!(inner.purge_queue.len(), 1);
    }

    #[test]
    fn store_full_is_unavailable_and_expired_entries_make_room() {
        let clock = ManualClock::at(NOW as u64);
        let store = MemoryStore::with_limits(Duration::from_millis(0), 2)
            .with_clock(Arc::new(clock.clone()));
        let now = NOW;
        store.put_now(&request("a", now + 60_000)).unwrap();
        store.put_now(&request("b", now + 50)).unwrap();
        let full = store.put_now(&request("c", now + 60_000)).unwrap_err();
        assert!(
            matches!(&full, VerifierError::StoreUnavailable { reason, .. } if reason == "request store full"),
            "{full:?}"
        );
        clock.advance(Duration::from_millis(80));
        store.put_now(&request("c", now + 60_000)).unwrap();
        assert_eq!(store.len(), 2);
        assert_eq!(store.take_now("b"), Taken::Unknown);
    }

    #[test]
    fn store_refuses_to_overwrite_a_used_request() {
        let store = MemoryStore::new().with_clock(Arc::new(ManualClock::at(NOW as u64)));
        let open = request("x", NOW + 60_000);
        store.put_now(&open).unwrap();
        assert_eq!(store.take_now("x"), Taken::Open);
        assert!(matches!(
            store.put_now(&open),
            Err(VerifierError::InvalidRequest(_))
        ));
        assert_eq!(store.take_now("x"), Taken::AlreadyUsed);
    }
}
