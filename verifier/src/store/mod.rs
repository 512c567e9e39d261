//! The presentation-request store: where the verifier keeps the requests it has handed out,
//! and the one place a request's nonce is spent.
//!
//! A nonce must be accepted at most once, by every replica of a verifier together, or a
//! captured presentation could be replayed against another replica. [`RequestStore::take`] is
//! therefore the single atomic "check and spend" step: the first caller gets the request, every
//! later caller (on any replica sharing the store) learns it was already used.
//!
//! Two stores: [`MemoryStore`] for a single replica (the default: no extra service to run),
//! and [`RedisStore`] for several replicas sharing one Redis. Both fail closed: when the store
//! cannot answer, the answer is [`VerifierError::StoreUnavailable`], never "open".
//!
//! The stores keep a request for a grace period ([`DEFAULT_GRACE`]) past its expiry, so that a
//! late `VerifyPresentation` still learns "expired" or "replayed" rather than "unknown". The
//! store does not judge expiry itself: [`RequestStore::take`] hands out an expired (but not yet
//! purged) request once, and the caller compares `expires_at_ms` with its clock.

pub mod memory;
pub mod redis;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use self::memory::MemoryStore;
pub use self::redis::RedisStore;
use realdid_core::clock::Clock;

use crate::VerifierError;

/// How long past its expiry a request is still kept (and reported as expired or used).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10 * 60);

/// An open presentation request, as the verifier keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRequest {
    /// The request's id, unique per verifier deployment; the store's key.
    pub request_id: String,
    /// The single-use nonce the holder must sign over.
    pub nonce: String,
    /// The provider's DID: whose request it is, and the `aud` the key-binding JWT must name.
    pub audience: String,
    /// The claims asked for.
    pub claims: Vec<String>,
    /// The predicates asked for.
    pub predicates: Vec<String>,
    /// The credential types accepted.
    pub credential_types: Vec<String>,
    /// Why the provider asks, as shown to the holder.
    pub purpose: String,
    /// When the request was made, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// When the request stops being answerable, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The signed request object exactly as handed to the wallet.
    pub request_object: String,
}

/// A known request, and whether a verdict already took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The request.
    pub request: StoredRequest,
    /// Taken: every later presentation gets NONCE_REPLAYED, without being checked.
    pub used: bool,
}

/// What taking a request found. The caller read the request before checking a presentation
/// against it ([`RequestStore::get`]), and a stored request never changes, so taking it does
/// not hand it out again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The request was open and is now used; only this caller spent it.
    Open,
    /// The request was taken before (by this or another replica).
    AlreadyUsed,
    /// The request was never stored, or was purged after its expiry and grace period.
    Unknown,
}

/// Where the verifier keeps its open presentation requests.
pub trait RequestStore: Send + Sync + std::fmt::Debug {
    /// Stores a new request until `expires_at_ms` (plus a grace period of 10 minutes so that a
    /// late VerifyPresentation still learns "expired"/"replayed" rather than "unknown").
    ///
    /// Fails with `InvalidRequest` if the id is already stored (a stored request is never
    /// overwritten, so a used one cannot be made open again) or if the request would already
    /// be purged.
    fn put(
        &self,
        request: &StoredRequest,
    ) -> impl Future<Output = Result<(), VerifierError>> + Send;

    /// The request, if known, and whether it is used (one round trip).
    fn get(
        &self,
        request_id: &str,
    ) -> impl Future<Output = Result<Option<Known>, VerifierError>> + Send;

    /// Atomically marks `request`, as [`RequestStore::get`] returned it, used: `Open` the
    /// first time; `AlreadyUsed` every later time, on every replica sharing the store;
    /// `Unknown` once it is past its expiry and grace period.
    fn take(
        &self,
        request: &StoredRequest,
    ) -> impl Future<Output = Result<Taken, VerifierError>> + Send;

    /// Keeps the verdict on a presentation a wallet submitted for `request` (taken before),
    /// until the request is purged, for the provider to fetch from any replica.
    fn put_verdict(
        &self,
        request: &StoredRequest,
        verdict: &[u8],
    ) -> impl Future<Output = Result<(), VerifierError>> + Send;

    /// The verdict kept for `request_id`, if a wallet submitted one.
    fn get_verdict(
        &self,
        request_id: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, VerifierError>> + Send;

    /// Whether the store answers now (one round trip): what the verifier's health reports.
    fn ready(&self) -> impl Future<Output = Result<(), VerifierError>> + Send;
}

/// The store a verifier was configured with, chosen at start-up.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// In-process, for a single replica.
    Memory(MemoryStore),
    /// Shared Redis, for several replicas.
    Redis(RedisStore),
}

impl AnyStore {
    /// A Redis store if `redis_url` is given (connecting now, so that a bad URL or an
    /// unreachable Redis stops start-up; `rediss://` over TLS by `tls`), else a memory
    /// store; both with [`DEFAULT_GRACE`]. `key_prefix` namespaces the Redis keys (e.g.
    /// `"realdid:verifier:"`).
    pub async fn from_config(
        redis_url: Option<&str>,
        key_prefix: &str,
        clock: Arc<dyn Clock>,
        tls: &realdid_proto::tls::ClientTls,
    ) -> Result<AnyStore, VerifierError> {
        match redis_url {
            Some(url) => Ok(AnyStore::Redis(
                RedisStore::connect_with(url, key_prefix, DEFAULT_GRACE, tls)
                    .await?
                    .with_clock(clock),
            )),
            None => Ok(AnyStore::Memory(MemoryStore::new().with_clock(clock))),
        }
    }
}

impl RequestStore for AnyStore {
    async fn put(&self, request: &StoredRequest) -> Result<(), VerifierError> {
        match self {
            AnyStore::Memory(store) => store.put(request).await,
            AnyStore::Redis(store) => store.put(request).await,
        }
    }

    async fn get(&self, request_id: &str) -> Result<Option<Known>, VerifierError> {
        match self {
            AnyStore::Memory(store) => store.get(request_id).await,
            AnyStore::Redis(store) => store.get(request_id).await,
        }
    }

    async fn take(&self, request: &StoredRequest) -> Result<Taken, VerifierError> {
        match self {
            AnyStore::Memory(store) => store.take(request).await,
            AnyStore::Redis(store) => store.take(request).await,
        }
    }

    async fn put_verdict(
        &self,
        request: &StoredRequest,
        verdict: &[u8],
    ) -> Result<(), VerifierError> {
        match self {
            AnyStore::Memory(store) => store.put_verdict(request, verdict).await,
            AnyStore::Redis(store) => store.put_verdict(request, verdict).await,
        }
    }

    async fn get_verdict(&self, request_id: &str) -> Result<Option<Vec<u8>>, VerifierError> {
        match self {
            AnyStore::Memory(store) => store.get_verdict(request_id).await,
            AnyStore::Redis(store) => store.get_verdict(request_id).await,
        }
    }

    async fn ready(&self) -> Result<(), VerifierError> {
        match self {
            AnyStore::Memory(store) => store.ready().await,
            AnyStore::Redis(store) => store.ready().await,
        }
    }
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// When a request is purged: its expiry plus the grace period.
pub(crate) fn purge_at_ms(request: &StoredRequest, grace: Duration) -> i64 {
    request.expires_at_ms.saturating_add(duration_ms(grace))
}
