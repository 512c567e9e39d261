//! What verification reads from the registry: DID states, accreditations and status-list
//! anchors, each proven (checked by the light client against the genesis validator keys),
//! no older than the gateway's freshness bound, and cached for a bounded time. A cached
//! read is served only while its state is still within the freshness bound, so a verdict
//! never rests on state older than that bound, cache or not.

use std::sync::Arc;
use std::time::Duration;

use realdid_core::did::{DidState, RealDid};
use realdid_registry_client::ClientError;
use realdid_registry_client::did_batch::DidReader;
use realdid_registry_client::gateway::{Proven, RegistryGateway};
use realdid_registry_client::records::{IssuerRecord, StatusAnchorRecord};

use crate::cache::TtlCache;

/// How long each kind of registry read is trusted, and how many are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCacheConfig {
    /// DID states (issuers' and holders').
    pub did_ttl: Duration,
    /// Accreditations.
    pub accreditation_ttl: Duration,
    /// Status-list anchors.
    pub anchor_ttl: Duration,
    /// Entries per cache.
    pub capacity: usize,
}

impl Default for ChainCacheConfig {
    fn default() -> Self {
        Self {
            did_ttl: Duration::from_secs(30),
            accreditation_ttl: Duration::from_secs(30),
            anchor_ttl: Duration::from_secs(30),
            capacity: 100_000,
        }
    }
}

/// A proven read (`None`: proven absent) with the height and block time of its state. The
/// value is shared: a cache hit hands out the cached value itself, not a deep copy of a DID
/// document or an accreditation at every presentation.
pub type AtHeight<T> = Proven<Option<Arc<T>>>;

/// The registry reads verification needs.
pub trait ChainView: Send + Sync {
    /// A DID's current state.
    fn did(
        &self,
        did: &RealDid,
    ) -> impl Future<Output = Result<AtHeight<DidState>, ClientError>> + Send;
    /// An issuer's accreditation.
    fn accreditation(
        &self,
        issuer: &RealDid,
    ) -> impl Future<Output = Result<AtHeight<IssuerRecord>, ClientError>> + Send;
    /// The latest anchor of a status list.
    fn status_anchor(
        &self,
        issuer: &RealDid,
        uri: &str,
    ) -> impl Future<Output = Result<AtHeight<StatusAnchorRecord>, ClientError>> + Send;
    /// Forgets a cached anchor (a fetched list is newer than it).
    fn forget_anchor(&self, issuer: &RealDid, uri: &str);
    /// Forgets a cached DID state (a presentation uses a key it does not hold).
    fn forget_did(&self, did: &RealDid);
    /// Whether a state made at `block_time_ms` is still fresh enough to decide on: what a
    /// cache of things checked against the registry (status lists) asks before serving one.
    fn is_fresh(&self, block_time_ms: u64) -> bool;
}

/// [`ChainView`] over a [`RegistryGateway`], with caches.
#[derive(Debug)]
pub struct CachedChain {
    gateway: RegistryGateway,
    /// DID reads that miss the cache, coalesced with the others of the moment.
    did_reader: DidReader,
    dids: TtlCache<RealDid, AtHeight<DidState>>,
    accreditations: TtlCache<RealDid, AtHeight<IssuerRecord>>,
    anchors: TtlCache<(RealDid, String), AtHeight<StatusAnchorRecord>>,
}

impl CachedChain {
    /// Reads through `gateway`, caching as `config` says; entries age by the gateway's clock,
    /// the one that judges how fresh a proven state is.
    pub fn new(gateway: RegistryGateway, config: ChainCacheConfig) -> Self {
        let clock = gateway.clock();
        Self {
            dids: TtlCache::new(config.did_ttl, config.capacity, clock.clone()),
            accreditations: TtlCache::new(config.accreditation_ttl, config.capacity, clock.clone()),
            anchors: TtlCache::new(config.anchor_ttl, config.capacity, clock),
            did_reader: DidReader::new(gateway.clone()),
            gateway,
        }
    }
}

impl CachedChain {
    /// The gateway it reads through, past its caches.
    pub fn gateway(&self) -> &RegistryGateway {
        &self.gateway
    }

    /// The cached value of `key` in `cache`, if its state is still fresh.
    fn cached<K: Eq + std::hash::Hash + Clone, T: Clone>(
        &self,
        cache: &TtlCache<K, AtHeight<T>>,
        key: &K,
    ) -> Option<AtHeight<T>> {
        cache
            .get(key)
            .filter(|hit| self.gateway.is_fresh(hit.block_time_ms))
    }
}

impl ChainView for CachedChain {
    async fn did(&self, did: &RealDid) -> Result<AtHeight<DidState>, ClientError> {
        if let Some(hit) = self.cached(&self.dids, did) {
            return Ok(hit);
        }
        let value = self
            .did_reader
            .resolve(did)
            .await?
            .map(|record| record.map(|r| Arc::new(r.state)));
        self.dids.insert(did.clone(), value.clone());
        Ok(value)
    }

    async fn accreditation(&self, issuer: &RealDid) -> Result<AtHeight<IssuerRecord>, ClientError> {
        if let Some(hit) = self.cached(&self.accreditations, issuer) {
            return Ok(hit);
        }
        let value = self
            .gateway
            .accreditation_at(issuer)
            .await?
            .map(|v| v.map(Arc::new));
        self.accreditations.insert(issuer.clone(), value.clone());
        Ok(value)
    }

    async fn status_anchor(
        &self,
        issuer: &RealDid,
        uri: &str,
    ) -> Result<AtHeight<StatusAnchorRecord>, ClientError> {
        let key = (issuer.clone(), uri.to_owned());
        if let Some(hit) = self.cached(&self.anchors, &key) {
            return Ok(hit);
        }
        let value = self
            .gateway
            .status_anchor_at(issuer, uri)
            .await?
            .map(|v| v.map(Arc::new));
        self.anchors.insert(key, value.clone());
        Ok(value)
    }

    fn forget_anchor(&self, issuer: &RealDid, uri: &str) {
        self.anchors.remove(&(issuer.clone(), uri.to_owned()));
    }

    fn forget_did(&self, did: &RealDid) {
        self.dids.remove(did);
    }

    fn is_fresh(&self, block_time_ms: u64) -> bool {
        self.gateway.is_fresh(block_time_ms)
    }
}
