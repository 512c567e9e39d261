//! Status lists: fetching a Status List Token and trusting it only when its SHA-256 is the
//! hash the issuer anchored on the registry (proven) and its signature is the issuer's.
//!
//! A token must carry `exp` and be unexpired. A checked list is cached for `status_ttl`, or
//! less when the token's own `ttl` or `exp` says so, and only while the anchor it was checked
//! against is within the registry freshness bound: `status_ttl` is the bound on how long a
//! revocation takes to reach this verifier after the issuer's anchor is final
//! (docs/VERIFIER.md). Lists are cached per issuer and URI: one issuer's list never answers
//! for another's.
//!
//! A token is trusted only when its hash is a proven anchor's, but the token and the anchor
//! are read from two places that change at different moments: an issuer serves a new token
//! only once its own read shows the new anchor final, so for a moment the chain names a
//! token the issuer does not serve yet, and the node this verifier reads may be a block
//! behind the issuer's. So when the hashes differ, the anchor is read again; if they still
//! differ, the token is fetched again after [`TOKEN_REFETCH_PAUSE`] and compared with the
//! latest anchor (read once more if needed). Only then is the status declared unavailable:
//! at most one extra fetch and two extra anchor reads per check.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use realdid_core::clock::Clock;
use realdid_core::did::{DidState, KeyId, Purposes, RealDid};
use realdid_core::jws::CompactJws;
use realdid_core::status_list::{STATUS_LIST_JWT_TYP, Status, StatusList, StatusListTokenClaims};
use realdid_proto::tls::ClientTls;
use sha2::{Digest as _, Sha256};

use super::chain::ChainView;
use crate::cache::TtlCache;

/// Largest status list token read.
pub const MAX_TOKEN_BYTES: usize = 1024 * 1024;
/// How far in the future a token's `iat` may be, by this verifier's clock.
const MAX_TOKEN_CLOCK_SKEW_SECONDS: i64 = 60;
/// How long to wait before fetching a token again when it matches no anchor read. An issuer
/// anchors a new token, then polls its own proven read and serves the token only once the
/// anchor is final: a verifier reading the anchor in between sees the new anchor against
/// the old token. A few hundred milliseconds covers that poll (and a registry node a block
/// behind) without holding a presentation long; a token still unmatched after it is refused.
pub const TOKEN_REFETCH_PAUSE: Duration = Duration::from_millis(300);

/// Where status list tokens come from.
pub trait StatusSource: Send + Sync {
    /// The token published at `uri`, or why it could not be fetched.
    fn fetch(&self, uri: &str) -> impl Future<Output = Result<String, String>> + Send;
}

/// Fetches tokens over HTTPS (`https://` URIs, the issuer's certificate checked by the
/// configured CA or the system's roots) or HTTP (`http://`, a development issuer).
#[derive(Debug, Clone)]
pub struct HttpStatusSource {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
}

impl HttpStatusSource {
    /// A source that trusts `tls` for `https://` lists and gives up on a fetch after
    /// `timeout`.
    pub fn new(timeout: Duration, tls: &ClientTls) -> Result<Self, crate::VerifierError> {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        http.enforce_http(false);
        let config = tls
            .rustls_config()
            .map_err(|e| crate::VerifierError::Config(format!("status lists: {e}")))?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        })
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
    /// The height and block time of the anchor the token was checked against.
    height: u64,
    anchored_state_ms: u64,
    /// When the token's `exp` or `ttl` ends its use, Unix ms.
    usable_until_ms: i64,
    /// The anchor's sequence number and the token's SHA-256.
    sequence: u64,
    hash: [u8; 32],
    /// When it was checked, Unix ms.
    checked_at_ms: i64,
}

/// A status list a checker holds, as its operators are shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldList {
    /// Whose list.
    pub issuer: RealDid,
    /// Its URI.
    pub uri: String,
    /// The height its anchor was proven at.
    pub proven_height: u64,
    /// The anchor's sequence number.
    pub sequence: u64,
    /// The token's SHA-256.
    pub hash: [u8; 32],
    /// Its revoked and suspended entries.
    pub tally: realdid_core::status_list::StatusTally,
    /// When it was checked, Unix ms.
    pub checked_at_ms: i64,
    /// When it is used last: the earlier of its token's end and the cache's bound, Unix ms.
    pub expires_at_ms: i64,
}

/// Checks statuses, caching checked lists.
#[derive(Debug)]
pub struct StatusChecker<S> {
    source: S,
    lists: TtlCache<(RealDid, String), CheckedList>,
    /// The checks under way, one per list: every presentation that needs a list while it is
    /// fetched and checked waits for that one check's answer instead of starting its own.
    /// Otherwise, when a popular list's cache entry ends, every presentation in flight
    /// fetches the whole token, reads the anchor and checks the signature at once.
    checking: std::sync::Mutex<HashMap<ListKey, Answer>>,
    /// The wait before a token that matches no anchor is fetched again.
    refetch_pause: Duration,
}

type ListKey = (RealDid, String);

/// Where the answer of a check under way will be: `None` until the check ends. A check whose
/// caller went away (its call cancelled) drops its sender without an answer.
type Answer = tokio::sync::watch::Receiver<Option<Result<CheckedList, StatusProblem>>>;

/// Removes a check from those under way when its caller is done with it, answered or
/// cancelled.
struct Checking<'a> {
    checking: &'a std::sync::Mutex<HashMap<ListKey, Answer>>,
    key: &'a ListKey,
}

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        self.checking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(self.key);
    }
}

/// What a caller that found no usable list does: check it itself, or wait for the check
/// another caller started.
enum Role {
    Check(tokio::sync::watch::Sender<Option<Result<CheckedList, StatusProblem>>>),
    Wait(Answer),
}

impl<S: StatusSource> StatusChecker<S> {
    /// A checker fetching from `source`, trusting a checked list for `ttl` by `clock`.
    pub fn new(source: S, ttl: Duration, capacity: usize, clock: Arc<dyn Clock>) -> Self {
        Self {
            source,
            lists: TtlCache::new(ttl, capacity, clock),
            checking: std::sync::Mutex::new(HashMap::new()),
            refetch_pause: TOKEN_REFETCH_PAUSE,
        }
    }

    /// Waits `pause` instead of [`TOKEN_REFETCH_PAUSE`] before fetching again a token that
    /// matches no anchor: what tests (whose sources and chains answer at once) set to zero.
    #[must_use]
    pub fn with_refetch_pause(mut self, pause: Duration) -> Self {
        self.refetch_pause = pause;
        self
    }

    /// The lists held now (the cache's bound not passed), at most `limit`, the most recently
    /// checked first: what tells an operator whether a status change has reached this
    /// verifier.
    pub fn held(&self, limit: usize) -> Vec<HeldList> {
        let mut held: Vec<HeldList> = self
            .lists
            .live()
            .into_iter()
            .map(|((issuer, uri), list, cached_until)| HeldList {
                issuer,
                uri,
                proven_height: list.height,
                sequence: list.sequence,
                hash: list.hash,
                tally: list.list.tally(),
                checked_at_ms: list.checked_at_ms,
                expires_at_ms: list.usable_until_ms.min(cached_until.as_i64()),
            })
            .collect();
        held.sort_by(|a, b| {
            b.checked_at_ms
                .cmp(&a.checked_at_ms)
                .then_with(|| a.uri.cmp(&b.uri))
        });
        held.truncate(limit);
        held
    }

    /// The status of entry `index` of list `uri` of `issuer` (whose proven current state is
    /// `issuer_state`) at `now_ms`, and the registry height its anchor was proven at.
    pub async fn status(
        &self,
        chain: &impl ChainView,
        issuer: &RealDid,
        issuer_state: &DidState,
        uri: &str,
        index: u64,
        now_ms: i64,
    ) -> Result<(Status, u64), StatusProblem> {
        let key = (issuer.clone(), uri.to_owned());
        let usable =
            |c: &CheckedList| now_ms < c.usable_until_ms && chain.is_fresh(c.anchored_state_ms);
        let checked = match self.lists.get(&key).filter(usable) {
            Some(hit) => hit,
            None => {
                self.check_once(&key, || {
                    self.fetch_and_check(chain, issuer, issuer_state, uri, now_ms)
                })
                .await?
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

    /// Runs `check` of the list `key` names and holds the list it gives, or waits for the
    /// answer of the check another caller has under way; an answer is shared whether it is a
    /// list or a problem. A check whose caller was cancelled gives no answer: a waiting
    /// caller then checks itself.
    async fn check_once<F>(
        &self,
        key: &ListKey,
        check: impl Fn() -> F,
    ) -> Result<CheckedList, StatusProblem>
    where
        F: std::future::Future<Output = Result<CheckedList, StatusProblem>>,
    {
        loop {
            let role = {
                let mut checking = self
                    .checking
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match checking.get(key) {
                    Some(answer) => Role::Wait(answer.clone()),
                    None => {
                        let (sender, answer) = tokio::sync::watch::channel(None);
                        checking.insert(key.clone(), answer);
                        Role::Check(sender)
                    }
                }
            };
            match role {
                Role::Check(sender) => {
                    let _under_way = Checking {
                        checking: &self.checking,
                        key,
                    };
                    let checked = check().await;
                    if let Ok(list) = &checked {
                        self.lists.insert(key.clone(), list.clone());
                    }
                    sender.send_replace(Some(checked.clone()));
                    return checked;
                }
                Role::Wait(mut answer) => {
                    if let Ok(answered) = answer.wait_for(Option::is_some).await
                        && let Some(checked) = answered.clone()
                    {
                        return checked;
                    }
                }
            }
        }
    }

    async fn fetch_and_check(
        &self,
        chain: &impl ChainView,
        issuer: &RealDid,
        issuer_state: &DidState,
        uri: &str,
        now_ms: i64,
    ) -> Result<CheckedList, StatusProblem> {
        let mut token = self
            .source
            .fetch(uri)
            .await
            .map_err(StatusProblem::Unavailable)?;
        let mut hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut anchor = self.anchor(chain, issuer, uri).await?;
        if anchor.1.anchor.list_hash != hash {
            // The list may be newer than the anchor we cached: read the anchor again once.
            chain.forget_anchor(issuer, uri);
            anchor = self.anchor(chain, issuer, uri).await?;
        }
        if anchor.1.anchor.list_hash != hash {
            // The anchor may be newer than the list: the issuer serves a new token only once
            // it has seen its anchor final, so fetch the token once more after a pause.
            if !self.refetch_pause.is_zero() {
                tokio::time::sleep(self.refetch_pause).await;
            }
            token = self.source.fetch(uri).await.map_err(|e| {
                StatusProblem::Unavailable(format!(
                    "the token served at {uri} is not the one anchored on the registry (sequence {}), and fetching it again failed: {e}",
                    anchor.1.anchor.sequence
                ))
            })?;
            hash = Sha256::digest(token.as_bytes()).into();
            if anchor.1.anchor.list_hash != hash {
                // Or the node we read is behind the issuer's: read the anchor a last time.
                chain.forget_anchor(issuer, uri);
                anchor = self.anchor(chain, issuer, uri).await?;
            }
        }
        let ((height, anchored_state_ms), record) = anchor;
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
        let now_s = now_ms.div_euclid(1000);
        let Some(exp) = claims.exp else {
            return Err(StatusProblem::Unavailable(format!(
                "{uri}: the token has no exp, so nothing bounds how long it may be used"
            )));
        };
        claims
            .check_not_expired(now_s)
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: {e}")))?;
        if claims.iat > now_s.saturating_add(MAX_TOKEN_CLOCK_SKEW_SECONDS) {
            return Err(StatusProblem::Unavailable(format!(
                "{uri}: the token was issued at {}, in the future",
                claims.iat
            )));
        }
        let mut usable_until_ms = exp.saturating_mul(1000);
        if let Some(ttl) = claims.ttl {
            let ttl_ms = i64::try_from(ttl.saturating_mul(1000)).unwrap_or(i64::MAX);
            usable_until_ms = usable_until_ms.min(now_ms.saturating_add(ttl_ms));
        }
        let list = StatusList::decode(&claims.status_list)
            .map_err(|e| StatusProblem::Unavailable(format!("{uri}: {e}")))?;
        // The public transparency count comes from what the issuer declares on chain; a
        // list that does not match its declaration is refused, so the count cannot lie
        // without every verifier that reads the list noticing.
        let (held, declared) = (list.tally(), record.anchor.tally);
        if held != declared {
            return Err(StatusProblem::Unavailable(format!(
                "{uri}: the list holds {} revoked and {} suspended entries; its anchor (sequence {}) declares {} and {}",
                held.revoked,
                held.suspended,
                record.anchor.sequence,
                declared.revoked,
                declared.suspended
            )));
        }
        Ok(CheckedList {
            list: Arc::new(list),
            height,
            anchored_state_ms,
            usable_until_ms,
            sequence: record.anchor.sequence,
            hash,
            checked_at_ms: now_ms,
        })
    }

    async fn anchor(
        &self,
        chain: &impl ChainView,
        issuer: &RealDid,
        uri: &str,
    ) -> Result<
        (
            (u64, u64),
            Arc<realdid_registry_client::records::StatusAnchorRecord>,
        ),
        StatusProblem,
    > {
        match chain.status_anchor(issuer, uri).await {
            Ok(read) => match read.value {
                Some(record) => Ok(((read.height, read.block_time_ms), record)),
                None => Err(StatusProblem::Unavailable(format!(
                    "{uri} has no anchor on the registry"
                ))),
            },
            Err(e) => Err(StatusProblem::Registry(e.to_string())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::{HashMap, VecDeque};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use realdid_core::codec::StatusListAnchor;
    use realdid_core::did::{CreateOp, DidOperation, apply};
    use realdid_core::jws::{KeySigner, sign_compact};
    use realdid_core::keys::{Algorithm, SigningKey};
    use realdid_core::status_list::{StatusBits, StatusTally, StatusUri};
    use realdid_registry_client::ClientError;
    use realdid_registry_client::gateway::Proven;
    use realdid_registry_client::records::{IssuerRecord, StatusAnchorRecord};
    use serde_json::{Map, Value};

    use super::*;
    use crate::verify::chain::AtHeight;

    fn chain() -> realdid_core::codec::ChainId {
        realdid_core::codec::ChainId::parse("realdid-test").expect("a chain id")
    }

    const URI: &str = "https://issuer.example/status/1";
    const NOW_MS: i64 = 1_800_000_000_000;

    /// An issuer: its key and its DID's state.
    fn issuer() -> (SigningKey, DidState) {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let create = DidOperation::Create(CreateOp::single_key(
            &key.public_key(),
            Purposes::ASSERTION_METHOD,
            &key.public_key(),
        ))
        .sign(&chain(), Some(KeyId::first()), &key)
        .unwrap();
        (key, apply(&chain(), None, &create).unwrap())
    }

    /// A status list token of `issuer` for [`URI`] with entry 0 set to `first`.
    fn token(key: &SigningKey, issuer: &DidState, first: Status, exp: Option<i64>) -> String {
        let mut list = StatusList::new(StatusBits::Two, 16).unwrap();
        list.set(0, first).unwrap();
        let claims = StatusListTokenClaims {
            sub: URI.parse::<StatusUri>().unwrap(),
            iat: NOW_MS / 1000 - 10,
            exp,
            ttl: Some(60),
            status_list: list.encode().unwrap(),
        };
        let mut header = Map::new();
        header.insert("typ".into(), Value::String(STATUS_LIST_JWT_TYP.into()));
        header.insert(
            "kid".into(),
            Value::String(format!("{}#{}", issuer.did, KeyId::first().as_str())),
        );
        let payload = serde_json::to_vec(&claims).unwrap();
        sign_compact(&header, &payload, &KeySigner::new(key.clone())).unwrap()
    }

    /// The registry: the anchor of each (issuer, URI), and whether reads are still fresh.
    #[derive(Default)]
    struct Anchors {
        anchors: Mutex<HashMap<(RealDid, String), StatusAnchorRecord>>,
        /// A node behind the chain: the older anchors it answers with, one per read, before
        /// it has caught up and answers from `anchors`.
        behind: Mutex<VecDeque<StatusAnchorRecord>>,
        stale: AtomicBool,
        /// Anchor reads answered.
        reads: AtomicUsize,
    }

    impl Anchors {
        /// The anchor `issuer` holds now for [`URI`].
        fn current(&self, issuer: &DidState) -> StatusAnchorRecord {
            self.anchors.lock().unwrap()[&(issuer.did.clone(), URI.to_owned())].clone()
        }

        /// Anchors `token`, declaring the tally of the list [`token`] made with entry 0 set
        /// to `first`.
        fn anchor(&self, key: &SigningKey, issuer: &DidState, token: &str, first: Status) {
            let declared = StatusTally {
                revoked: u64::from(first == Status::INVALID),
                suspended: u64::from(first == Status::SUSPENDED),
            };
            self.anchor_declaring(key, issuer, token, declared);
        }

        fn anchor_declaring(
            &self,
            key: &SigningKey,
            issuer: &DidState,
            token: &str,
            declared: StatusTally,
        ) {
            let anchor = StatusListAnchor::sign(
                &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                issuer.did.clone(),
                URI.into(),
                1,
                Sha256::digest(token.as_bytes()).into(),
                declared,
                KeyId::first(),
                key,
            )
            .unwrap();
            self.anchors.lock().unwrap().insert(
                (issuer.did.clone(), URI.into()),
                StatusAnchorRecord {
                    anchor,
                    height: 5,
                    timestamp_ms: NOW_MS as u64,
                },
            );
        }
    }

    impl ChainView for Anchors {
        async fn did(&self, _: &RealDid) -> Result<AtHeight<DidState>, ClientError> {
            Err(ClientError::Unavailable {
                reason: "not asked".into(),
            })
        }

        async fn accreditation(&self, _: &RealDid) -> Result<AtHeight<IssuerRecord>, ClientError> {
            Err(ClientError::Unavailable {
                reason: "not asked".into(),
            })
        }

        async fn status_anchor(
            &self,
            issuer: &RealDid,
            uri: &str,
        ) -> Result<AtHeight<StatusAnchorRecord>, ClientError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let behind = self.behind.lock().unwrap().pop_front();
            let value = behind.or_else(|| {
                self.anchors
                    .lock()
                    .unwrap()
                    .get(&(issuer.clone(), uri.to_owned()))
                    .cloned()
            });
            Ok(Proven {
                height: 5,
                block_time_ms: NOW_MS as u64,
                value: value.map(Arc::new),
            })
        }

        fn forget_anchor(&self, _: &RealDid, _: &str) {}

        fn forget_did(&self, _: &RealDid) {}

        fn is_fresh(&self, _: u64) -> bool {
            !self.stale.load(Ordering::SeqCst)
        }
    }

    /// Tokens by URI as each issuer's server serves them, counting fetches.
    #[derive(Default)]
    struct Served {
        token: Mutex<String>,
        /// An issuer that has not yet switched: the older tokens it serves, one per fetch,
        /// before it serves `token`.
        before: Mutex<VecDeque<String>>,
        fetches: AtomicUsize,
    }

    impl StatusSource for Served {
        async fn fetch(&self, _uri: &str) -> Result<String, String> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let before = self.before.lock().unwrap().pop_front();
            Ok(before.unwrap_or_else(|| self.token.lock().unwrap().clone()))
        }
    }

    /// A checker over a fresh [`Served`]; it fetches again at once, so tests never wait.
    fn checker() -> StatusChecker<Served> {
        StatusChecker::new(
            Served::default(),
            Duration::from_secs(300),
            16,
            realdid_core::clock::SystemClock::shared(),
        )
        .with_refetch_pause(Duration::ZERO)
    }

    async fn status_at(
        checker: &StatusChecker<Served>,
        chain: &Anchors,
        issuer: &DidState,
        now_ms: i64,
    ) -> Result<Status, StatusProblem> {
        checker
            .status(chain, &issuer.did, issuer, URI, 0, now_ms)
            .await
            .map(|(status, _)| status)
    }

    #[tokio::test]
    async fn a_list_that_does_not_match_the_counts_its_anchor_declares_is_refused() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        let exp = Some(NOW_MS / 1000 + 120);
        // An issuer that revokes but declares nothing revoked, to keep the public count low.
        let token = token(&key, &issuer, Status::INVALID, exp);
        chain.anchor_declaring(&key, &issuer, &token, StatusTally::default());
        let lying = checker();
        *lying.source.token.lock().unwrap() = token.clone();
        match status_at(&lying, &chain, &issuer, NOW_MS).await {
            Err(StatusProblem::Unavailable(message)) => assert!(
                message.contains("holds 1 revoked and 0 suspended")
                    && message.contains("declares 0 and 0"),
                "{message}"
            ),
            other => panic!("an understated count was accepted: {other:?}"),
        }
        // Declared honestly, the same list is read.
        chain.anchor(&key, &issuer, &token, Status::INVALID);
        let checker = checker();
        *checker.source.token.lock().unwrap() = token;
        assert_eq!(
            status_at(&checker, &chain, &issuer, NOW_MS).await.unwrap(),
            Status::INVALID
        );
    }

    #[tokio::test]
    async fn a_checked_list_is_shown_held_with_its_anchor_and_counts() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        // The cache's clock at the test's time, so that its bound (300 s) is known.
        let checker = StatusChecker::new(
            Served::default(),
            Duration::from_secs(300),
            16,
            Arc::new(realdid_core::clock::ManualClock::at(NOW_MS as u64)),
        );
        assert!(checker.held(10).is_empty());
        let token = token(&key, &issuer, Status::INVALID, Some(NOW_MS / 1000 + 3600));
        chain.anchor(&key, &issuer, &token, Status::INVALID);
        *checker.source.token.lock().unwrap() = token.clone();
        status_at(&checker, &chain, &issuer, NOW_MS).await.unwrap();
        let held = checker.held(10);
        assert_eq!(held.len(), 1);
        let list = &held[0];
        assert_eq!((&list.issuer, list.uri.as_str()), (&issuer.did, URI));
        assert_eq!((list.proven_height, list.sequence), (5, 1));
        assert_eq!(
            list.hash,
            <[u8; 32]>::from(Sha256::digest(token.as_bytes()))
        );
        assert_eq!((list.tally.revoked, list.tally.suspended), (1, 0));
        assert_eq!(list.checked_at_ms, NOW_MS);
        assert_eq!(
            list.expires_at_ms,
            NOW_MS + 60_000,
            "the token's ttl ends its use first"
        );
        assert!(checker.held(0).is_empty(), "the limit holds");
    }

    #[tokio::test]
    async fn a_token_without_exp_or_past_it_is_refused() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        for (exp, why) in [(None, "no exp"), (Some(NOW_MS / 1000 - 1), "expired")] {
            let checker = checker();
            let token = token(&key, &issuer, Status::VALID, exp);
            chain.anchor(&key, &issuer, &token, Status::VALID);
            *checker.source.token.lock().unwrap() = token;
            match status_at(&checker, &chain, &issuer, NOW_MS).await {
                Err(StatusProblem::Unavailable(message)) => {
                    assert!(message.contains(why), "{message}")
                }
                other => panic!("{why}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_checked_list_is_used_within_its_ttl_and_exp_and_while_its_anchor_is_fresh() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        let checker = checker();
        let exp = NOW_MS / 1000 + 120;
        let token = token(&key, &issuer, Status::VALID, Some(exp));
        chain.anchor(&key, &issuer, &token, Status::VALID);
        *checker.source.token.lock().unwrap() = token;
        let fetches = || checker.source.fetches.load(Ordering::SeqCst);

        assert_eq!(
            status_at(&checker, &chain, &issuer, NOW_MS).await.unwrap(),
            Status::VALID
        );
        assert_eq!(
            status_at(&checker, &chain, &issuer, NOW_MS + 59_000)
                .await
                .unwrap(),
            Status::VALID
        );
        assert_eq!(
            fetches(),
            1,
            "within the token's ttl (60 s), the checked list serves"
        );
        status_at(&checker, &chain, &issuer, NOW_MS + 61_000)
            .await
            .unwrap();
        assert_eq!(fetches(), 2, "past the token's ttl, it is fetched again");

        chain.stale.store(true, Ordering::SeqCst);
        let _ = status_at(&checker, &chain, &issuer, NOW_MS + 62_000).await;
        assert_eq!(
            fetches(),
            3,
            "a list checked against an anchor now too old is not reused"
        );
        chain.stale.store(false, Ordering::SeqCst);

        let refused = status_at(&checker, &chain, &issuer, (exp + 1) * 1000).await;
        assert!(
            matches!(&refused, Err(StatusProblem::Unavailable(m)) if m.contains("expired")),
            "past exp the token is refused, cached or not: {refused:?}"
        );
    }

    #[tokio::test]
    async fn one_issuers_list_never_answers_for_anothers() {
        let (key_a, issuer_a) = issuer();
        let (key_b, issuer_b) = issuer();
        let chain = Anchors::default();
        let checker = checker();
        let exp = Some(NOW_MS / 1000 + 3600);
        // Issuer A's list (entry 0 valid) is checked and cached under the URI…
        let token_a = token(&key_a, &issuer_a, Status::VALID, exp);
        chain.anchor(&key_a, &issuer_a, &token_a, Status::VALID);
        *checker.source.token.lock().unwrap() = token_a;
        assert_eq!(
            status_at(&checker, &chain, &issuer_a, NOW_MS)
                .await
                .unwrap(),
            Status::VALID
        );
        // …and issuer B, whose list at the same URI revoked entry 0, is read on its own.
        let token_b = token(&key_b, &issuer_b, Status::INVALID, exp);
        chain.anchor(&key_b, &issuer_b, &token_b, Status::INVALID);
        *checker.source.token.lock().unwrap() = token_b;
        assert_eq!(
            status_at(&checker, &chain, &issuer_b, NOW_MS)
                .await
                .unwrap(),
            Status::INVALID
        );
    }

    #[tokio::test]
    async fn a_token_fetched_before_the_issuer_serves_its_new_anchors_list_is_fetched_again() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        let checker = checker();
        let exp = Some(NOW_MS / 1000 + 3600);
        // The issuer revoked entry 0 and its new anchor is final, but it still serves the
        // old list until its own poll sees the anchor final.
        let old = token(&key, &issuer, Status::VALID, exp);
        let new = token(&key, &issuer, Status::INVALID, exp);
        chain.anchor(&key, &issuer, &new, Status::INVALID);
        checker.source.before.lock().unwrap().push_back(old);
        *checker.source.token.lock().unwrap() = new;
        assert_eq!(
            status_at(&checker, &chain, &issuer, NOW_MS).await,
            Ok(Status::INVALID),
            "the list the new anchor names is read"
        );
        assert_eq!(checker.source.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_token_fetched_before_this_verifiers_node_has_its_anchor_is_checked_again() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        let checker = checker();
        let exp = Some(NOW_MS / 1000 + 3600);
        // The issuer's node has the new anchor final and it serves the new list, while the
        // node this verifier reads is a block behind and still answers with the old anchor.
        let old = token(&key, &issuer, Status::VALID, exp);
        chain.anchor(&key, &issuer, &old, Status::VALID);
        let old_anchor = chain.current(&issuer);
        chain
            .behind
            .lock()
            .unwrap()
            .extend([old_anchor.clone(), old_anchor]);
        let new = token(&key, &issuer, Status::INVALID, exp);
        chain.anchor(&key, &issuer, &new, Status::INVALID);
        *checker.source.token.lock().unwrap() = new;
        assert_eq!(
            status_at(&checker, &chain, &issuer, NOW_MS).await,
            Ok(Status::INVALID),
            "the new list is read once the node has its anchor"
        );
        assert_eq!(chain.reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_token_no_anchor_names_is_refused_after_one_more_fetch() {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        let checker = checker();
        let exp = Some(NOW_MS / 1000 + 3600);
        let anchored = token(&key, &issuer, Status::VALID, exp);
        chain.anchor(&key, &issuer, &anchored, Status::VALID);
        // A validly signed list the issuer never anchored.
        *checker.source.token.lock().unwrap() = token(&key, &issuer, Status::SUSPENDED, exp);
        match status_at(&checker, &chain, &issuer, NOW_MS).await {
            Err(StatusProblem::Unavailable(message)) => assert!(
                message.contains("is not the one anchored on the registry"),
                "{message}"
            ),
            other => panic!("an unanchored list was accepted: {other:?}"),
        }
        assert_eq!(
            checker.source.fetches.load(Ordering::SeqCst),
            2,
            "fetched once more, and no more"
        );
        assert_eq!(
            chain.reads.load(Ordering::SeqCst),
            3,
            "the anchor is read at most twice more"
        );
    }

    /// A source whose fetches wait until it opens, counting them; it serves `token`, or fails
    /// when `failing`.
    struct Gated {
        token: String,
        failing: bool,
        open: tokio::sync::Semaphore,
        fetches: AtomicUsize,
    }

    impl StatusSource for Gated {
        async fn fetch(&self, _uri: &str) -> Result<String, String> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let _open = self.open.acquire().await.map_err(|e| e.to_string())?;
            if self.failing {
                Err("the issuer's server is down".into())
            } else {
                Ok(self.token.clone())
            }
        }
    }

    /// A checker whose source is closed, and the registry anchoring the token it serves.
    fn gated(failing: bool) -> (StatusChecker<Gated>, Anchors, DidState) {
        let (key, issuer) = issuer();
        let chain = Anchors::default();
        let token = token(&key, &issuer, Status::VALID, Some(NOW_MS / 1000 + 120));
        chain.anchor(&key, &issuer, &token, Status::VALID);
        let source = Gated {
            token,
            failing,
            open: tokio::sync::Semaphore::new(0),
            fetches: AtomicUsize::new(0),
        };
        let checker = StatusChecker::new(
            source,
            Duration::from_secs(300),
            16,
            realdid_core::clock::SystemClock::shared(),
        )
        .with_refetch_pause(Duration::ZERO);
        (checker, chain, issuer)
    }

    async fn gated_status(
        checker: &StatusChecker<Gated>,
        chain: &Anchors,
        issuer: &DidState,
    ) -> Result<Status, StatusProblem> {
        checker
            .status(chain, &issuer.did, issuer, URI, 0, NOW_MS)
            .await
            .map(|(status, _)| status)
    }

    /// Opens the source once every call polled before it has started (or waits for) a fetch.
    async fn open_after_the_others(source: &Gated) {
        tokio::task::yield_now().await;
        source.open.add_permits(1 << 16);
    }

    #[tokio::test]
    async fn presentations_that_need_a_list_while_it_is_checked_share_one_fetch() {
        let (checker, chain, issuer) = gated(false);
        let (a, b, c, d, ()) = tokio::join!(
            gated_status(&checker, &chain, &issuer),
            gated_status(&checker, &chain, &issuer),
            gated_status(&checker, &chain, &issuer),
            gated_status(&checker, &chain, &issuer),
            open_after_the_others(&checker.source),
        );
        for answer in [a, b, c, d] {
            assert_eq!(answer, Ok(Status::VALID));
        }
        assert_eq!(checker.source.fetches.load(Ordering::SeqCst), 1);
        assert_eq!(chain.reads.load(Ordering::SeqCst), 1);
        // The list is held now: the next presentation neither fetches nor waits.
        assert_eq!(
            gated_status(&checker, &chain, &issuer).await,
            Ok(Status::VALID)
        );
        assert_eq!(checker.source.fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_check_answers_every_presentation_waiting_for_it() {
        let (checker, chain, issuer) = gated(true);
        let (a, b, c, ()) = tokio::join!(
            gated_status(&checker, &chain, &issuer),
            gated_status(&checker, &chain, &issuer),
            gated_status(&checker, &chain, &issuer),
            open_after_the_others(&checker.source),
        );
        for answer in [a, b, c] {
            assert!(
                matches!(&answer, Err(StatusProblem::Unavailable(m)) if m.contains("down")),
                "{answer:?}"
            );
        }
        assert_eq!(checker.source.fetches.load(Ordering::SeqCst), 1);
        // A failure is not held: the next presentation checks again.
        let _ = gated_status(&checker, &chain, &issuer).await;
        assert_eq!(checker.source.fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_check_whose_caller_went_away_is_taken_over_by_one_waiting_for_it() {
        use std::task::{Context, Poll, Waker};
        let (checker, chain, issuer) = gated(false);
        let mut context = Context::from_waker(Waker::noop());
        let mut first = Box::pin(gated_status(&checker, &chain, &issuer));
        assert!(first.as_mut().poll(&mut context).is_pending());
        let mut second = Box::pin(gated_status(&checker, &chain, &issuer));
        assert!(second.as_mut().poll(&mut context).is_pending());
        assert_eq!(
            checker.source.fetches.load(Ordering::SeqCst),
            1,
            "the second waits for the first's check"
        );
        drop(first);
        checker.source.open.add_permits(1 << 16);
        // Bounded, so that a waiter nobody answers fails the test instead of hanging it.
        let second = tokio::time::timeout(Duration::from_secs(10), second)
            .await
            .expect("the waiting presentation takes the check over");
        assert_eq!(second, Ok(Status::VALID));
        assert_eq!(checker.source.fetches.load(Ordering::SeqCst), 2);
        assert!(matches!(
            Box::pin(gated_status(&checker, &chain, &issuer))
                .as_mut()
                .poll(&mut context),
            Poll::Ready(Ok(Status::VALID))
        ));
    }
}
