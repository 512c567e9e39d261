//! What verification reads from the registry: DID states, accreditations and status-list
//! anchors, each proven (checked by the light client against the genesis validator keys)
//! and cached for a bounded time.

use std::time::Duration;

use realdid_core::did::{DidState, RealDid};
use realdid_registry::RegistryError;
use realdid_registry::gateway::RegistryGateway;
use realdid_registry::state::records::{IssuerRecord, StatusAnchorRecord};

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

/// A proven read and the height it was proven at.
pub type AtHeight<T> = (u64, Option<T>);

/// The registry reads verification needs.
pub trait ChainView: Send + Sync {
    /// A DID's current state.
    fn did(
        &self,
        did: &RealDid,
    ) -> impl Future<Output = Result<AtHeight<DidState>, RegistryError>> + Send;
    /// An issuer's accreditation.
    fn accreditation(
        &self,
        issuer: &RealDid,
    ) -> impl Future<Output = Result<AtHeight<IssuerRecord>, RegistryError>> + Send;
    /// The latest anchor of a status list.
    fn status_anchor(
        &self,
        issuer: &RealDid,
        uri: &str,
    ) -> impl Future<Output = Result<AtHeight<StatusAnchorRecord>, RegistryError>> + Send;
    /// Forgets a cached anchor (a fetched list is newer than it).
    fn forget_anchor(&self, issuer: &RealDid, uri: &str);
    /// Forgets a cached DID state (a presentation uses a key it does not hold).
    fn forget_did(&self, did: &RealDid);
}

/// [`ChainView`] over a [`RegistryGateway`], with caches.
#[derive(Debug)]
pub struct CachedChain {
    gateway: RegistryGateway,
    dids: TtlCache<RealDid, AtHeight<DidState>>,
    accreditations: TtlCache<RealDid, AtHeight<IssuerRecord>>,
    anchors: TtlCache<(RealDid, String), AtHeight<StatusAnchorRecord>>,
}

impl CachedChain {
    /// Reads through `gateway`, caching as `config` says.
    pub fn new(gateway: RegistryGateway, config: ChainCacheConfig) -> Self {
        Self {
            gateway,
            dids: TtlCache::new(config.did_ttl, config.capacity),
            accreditations: TtlCache::new(config.accreditation_ttl, config.capacity),
            anchors: TtlCache::new(config.anchor_ttl, config.capacity),
        }
    }
}

impl ChainView for CachedChain {
    async fn did(&self, did: &RealDid) -> Result<AtHeight<DidState>, RegistryError> {
        if let Some(hit) = self.dids.get(did) {
            return Ok(hit);
        }
        let (height, record) = self.gateway.resolve_did_at(did).await?;
        let value = (height, record.map(|r| r.state));
        self.dids.insert(did.clone(), value.clone());
        Ok(value)
    }

    async fn accreditation(
        &self,
        issuer: &RealDid,
    ) -> Result<AtHeight<IssuerRecord>, RegistryError> {
        if let Some(hit) = self.accreditations.get(issuer) {
            return Ok(hit);
        }
        let value = self.gateway.accreditation_at(issuer).await?;
        self.accreditations.insert(issuer.clone(), value.clone());
        Ok(value)
    }

    async fn status_anchor(
        &self,
        issuer: &RealDid,
        uri: &str,
    ) -> Result<AtHeight<StatusAnchorRecord>, RegistryError> {
        let key = (issuer.clone(), uri.to_owned());
        if let Some(hit) = self.anchors.get(&key) {
            return Ok(hit);
        }
        let value = self.gateway.status_anchor_at(issuer, uri).await?;
        self.anchors.insert(key, value.clone());
        Ok(value)
    }

    fn forget_anchor(&self, issuer: &RealDid, uri: &str) {
        self.anchors.remove(&(issuer.clone(), uri.to_owned()));
    }

    fn forget_did(&self, did: &RealDid) {
        self.dids.remove(did);
    }
}
