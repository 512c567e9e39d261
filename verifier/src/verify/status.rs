//! Status lists: fetching a Status List Token and trusting it only when its SHA-256 is the
//! hash the issuer anchored on the registry (proven) and its signature is the issuer's.
//!
//! A checked list is cached for `status_ttl`: that is the bound on how long a revocation
//! takes to reach this verifier after the issuer's anchor is final (docs/VERIFIER.md). When
//! a fetched token is newer than the cached anchor (its hash differs), the anchor is read
//! again once before the status is declared unavailable.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use realdid_core::did::{DidState, KeyId, Purposes, RealDid};
use realdid_core::jws::CompactJws;
use realdid_core::status_list::{STATUS_LIST_JWT_TYP, Status, StatusList, StatusListTokenClaims};
use sha2::{Digest as _, Sha256};

use super::chain::ChainView;
use crate::cache::TtlCache;

/// Largest status list token read.
pub const MAX_TOKEN_BYTES: usize = 1024 * 1024;

/// Where status list tokens come from.
pub trait StatusSource: Send + Sync {
    /// The token published at `uri`, or why it could not be fetched.
    fn fetch(&self, uri: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// Fetches tokens over HTTP (`http://` URIs; TLS terminates in front of the issuer).
#[derive(Debug, Clone)]
pub struct HttpStatusSource {
    client: Client<HttpConnector, Empty<Bytes>>,
    timeout: Duration,
}

impl HttpStatusSource {
    /// A source that gives up on a fetch after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        }
    }
}

impl StatusSource for HttpStatusSource {
    async fn fetch(&self, uri: &str) -> Result<String, String> {
        let parsed: hyper::Uri = uri
            .parse()
            .map_err(|e| format!("{uri} is not a URI: {e}"))?;
        let answer = tokio::time::timeout(self.timeout, async {
            let response = self
                .client
                .get(parsed)
                .await
                .map_err(|e| format!("fetching {uri}: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("fetching {uri}: HTTP {}", response.status()));
            }
            let body = Limited::new(response.into_body(), MAX_TOKEN_BYTES)
                .collect()
                .await
                .map_err(|e| format!("reading {uri}: {e}"))?
                .to_bytes();
            String::from_utf8(body.to_vec()).map_err(|_| format!("{uri} is not text"))
        })
        .await;
        answer.map_err(|_| format!("fetching {uri}: no answer in {:?}", self.timeout))?
    }
}

/// Why a status could not be established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusProblem {
    /// The registry could not be read.
    Registry(String),
    /// The list could not be fetched or does not check.
    Unavailable(String),
}

#[derive(Debug, Clone)]
struct CheckedList {
    list: Arc<StatusList>,
    height: u64,
}

/// Checks statuses, caching checked lists.
#[derive(Debug)]
pub struct StatusChecker<S> {
    source: S,
    lists: TtlCache<String, CheckedList>,
}

impl<S: StatusSource> StatusChecker<S> {
    /// A checker fetching from `source`, trusting a checked list for `ttl`.
    pub fn new(source: S, ttl: Duration, capacity: usize) -> Self {
        Self {
            source,
            lists: TtlCache::new(ttl, capacity),
        }
    }

    /// The status of entry `index` of list `uri` of `issuer` (whose proven current state is
    /// `issuer_state`), and the registry height its anchor was proven at.
    pub async fn status(
        &self,
        chain: &impl ChainView,
        issuer: &RealDid,
        issuer_state: &DidState,
        uri: &str,
        index: u64,
    ) -> Result<(Status, u64), StatusProblem> {
        let checked = match self.lists.get(&uri.to_owned()) {
            Some(hit) => hit,
            None => {
                let checked = self
                    .fetch_and_check(chain, issuer, issuer_state, uri)
                    .await?;
                self.lists.insert(uri.to_owned(), checked.clone());
                checked
            }
        };
        let index = usize::try_from(index)
            .map_err(|_| StatusProblem::Unavailable(format!("index {index} is out of range")))?;
        let status = checked
            .list
            .get(index)
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: {e}")))?;
        Ok((status, checked.height))
    }

    async fn fetch_and_check(
        &self,
        chain: &impl ChainView,
        issuer: &RealDid,
        issuer_state: &DidState,
        uri: &str,
    ) -> Result<CheckedList, StatusProblem> {
        let token = self
            .source
            .fetch(uri)
            .await
            .map_err(StatusProblem::Unavailable)?;
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut anchor = self.anchor(chain, issuer, uri).await?;
        if anchor.1.anchor.list_hash != hash {
            // The list may be newer than the anchor we cached: read the anchor again once.
            chain.forget_anchor(issuer, uri);
            anchor = self.anchor(chain, issuer, uri).await?;
        }
        let (height, record) = anchor;
        if record.anchor.list_hash != hash {
            return Err(StatusProblem::Unavailable(format!(
                "the token served at {uri} is not the one anchored on the registry (sequence {})",
                record.anchor.sequence
            )));
        }
        let jws = CompactJws::parse(&token)
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: {e}")))?;
        if jws.typ() != Some(STATUS_LIST_JWT_TYP) {
            return Err(StatusProblem::Unavailable(format!(
                "{uri}: typ is not {STATUS_LIST_JWT_TYP}"
            )));
        }
        let kid = jws
            .header()
            .get("kid")
            .and_then(|k| k.as_str())
            .ok_or_else(|| StatusProblem::Unavailable(format!("{uri}: no kid")))?;
        let key = kid
            .strip_prefix(issuer.as_str())
            .and_then(|rest| rest.strip_prefix('#'))
            .and_then(|fragment| fragment.parse::<KeyId>().ok())
            .and_then(|id| issuer_state.key_for(&id, Purposes::ASSERTION_METHOD))
            .ok_or_else(|| {
                StatusProblem::Unavailable(format!(
                    "{uri}: {kid} is not an assertion key of {issuer}"
                ))
            })?;
        jws.verify(key)
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: {e}")))?;
        let claims: StatusListTokenClaims = serde_json::from_slice(jws.payload())
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: claims: {e}")))?;
        if claims.sub.as_str() != uri {
            return Err(StatusProblem::Unavailable(format!(
                "{uri}: the token is for {}",
                claims.sub
            )));
        }
        let list = StatusList::decode(&claims.status_list)
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: {e}")))?;
        Ok(CheckedList {
            list: Arc::new(list),
            height,
        })
    }

    async fn anchor(
        &self,
        chain: &impl ChainView,
        issuer: &RealDid,
        uri: &str,
    ) -> Result<(u64, realdid_registry::state::records::StatusAnchorRecord), StatusProblem> {
        match chain.status_anchor(issuer, uri).await {
            Ok((height, Some(record))) => Ok((height, record)),
            Ok((_, None)) => Err(StatusProblem::Unavailable(format!(
                "{uri} has no anchor on the registry"
            ))),
            Err(e) => Err(StatusProblem::Registry(e.to_string())),
        }
    }
}
