//! The shared request store: Redis, for several verifier replicas.
//!
//! Keys, under a deployment's prefix:
//! - `<prefix>req:<id>`: the request as JSON, expiring (PX) at its expiry plus the grace period;
//! - `<prefix>used:<id>`: the "used" mark, expiring with the request;
//! - `<prefix>verdict:<id>`: the verdict on a presentation a wallet submitted (protobuf
//!   bytes), expiring with the request.
//!
//! `take` is one `SET NX` of the used mark: of any number of replicas taking the same id at
//! once, exactly one sets it. The mark expires when the request does, so an id is never
//! "used" without its request for longer than the two expiries differ (a few ms of the
//! verifier's clock); a caller reads the request ([`RequestStore::get`]) before it takes it.
//!
//! Every Redis failure (refused connection, timeout, script error) is
//! [`VerifierError::StoreUnavailable`]: the verifier fails closed. Each operation is bounded
//! by [`REDIS_OP_TIMEOUT`], so an unreachable Redis costs a caller seconds, not a hung call.
//! A take whose answer is lost (a timeout after Redis ran the script) leaves the request
//! used: the holder must ask for a new request, which is the safe side.
//!
//! Standalone Redis only: the two keys of a request are not in one cluster hash slot.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult};

use realdid_core::clock::{Clock, SystemClock};
use realdid_proto::tls::ClientTls;

use super::{DEFAULT_GRACE, Known, RequestStore, StoredRequest, Taken, purge_at_ms};
use crate::VerifierError;

/// The longest any one Redis operation (connecting included) may take before the store
/// reports itself unavailable.
pub const REDIS_OP_TIMEOUT: Duration = Duration::from_secs(2);

/// Request store in Redis, shared by every replica given the same URL and prefix. Clones
/// share one connection (multiplexed, reconnecting after failures).
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    grace: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RedisStore {
    /// The URL may hold a password, so only the prefix is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to Redis at `url` (`redis://[:password@]host:port[/db]`) with the default
    /// grace period. Fails with `Config` for a bad URL and `StoreUnavailable` if Redis does not
    /// answer within [`REDIS_OP_TIMEOUT`].
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, VerifierError> {
        Self::connect_with_grace(url, key_prefix, DEFAULT_GRACE).await
    }

    /// As [`RedisStore::connect`], keeping requests `grace` past their expiry.
    pub async fn connect_with_grace(
        url: &str,
        key_prefix: &str,
        grace: Duration,
    ) -> Result<Self, VerifierError> {
        Self::connect_with(url, key_prefix, grace, &ClientTls::default()).await
    }

    /// As [`RedisStore::connect_with_grace`]; a `rediss://` URL is reached over TLS,
    /// trusting `tls`'s CA (the system's roots when it names none) and showing its
    /// certificate, for a Redis that requires clients to (`tls-auth-clients yes`).
    pub async fn connect_with(
        url: &str,
        key_prefix: &str,
        grace: Duration,
        tls: &ClientTls,
    ) -> Result<Self, VerifierError> {
        let client = if url.starts_with("rediss://") {
            redis::Client::build_with_tls(url, certificates(tls)?)
        } else {
            redis::Client::open(url)
        }
        .map_err(|error| VerifierError::Config(format!("redis url: {error}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_OP_TIMEOUT))
            .set_response_timeout(Some(REDIS_OP_TIMEOUT))
            .set_number_of_retries(2);
        let connection = bounded(
            "connect",
            ConnectionManager::new_with_config(client, config),
        )
        .await?;
        Ok(RedisStore {
            connection,
            prefix: key_prefix.to_owned(),
            grace,
            clock: SystemClock::shared(),
        })
    }

    /// The same store, setting expiries by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn request_key(&self, request_id: &str) -> String {
        format!("{}req:{request_id}", self.prefix)
    }

    fn used_key(&self, request_id: &str) -> String {
        format!("{}used:{request_id}", self.prefix)
    }

    fn verdict_key(&self, request_id: &str) -> String {
        format!("{}verdict:{request_id}", self.prefix)
    }

    /// How long `request` and what goes with it (its used mark, its verdict) are kept from
    /// now: until its expiry plus the grace period; 0 or less once it is purged.
    fn left_ms(&self, request: &StoredRequest) -> i64 {
        purge_at_ms(request, self.grace).saturating_sub(self.clock.now().as_i64())
    }
}

/// The certificates of `tls`, as the Redis client takes them.
fn certificates(tls: &ClientTls) -> Result<redis::TlsCertificates, VerifierError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| VerifierError::Config(format!("redis TLS: {}: {e}", path.display())))
    };
    let client_tls = match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
            client_cert: read(cert)?,
            client_key: read(key)?,
        }),
        (None, None) => None,
        _ => {
            return Err(VerifierError::Config(
                "redis TLS: a client certificate needs its key".into(),
            ));
        }
    };
    Ok(redis::TlsCertificates {
        client_tls,
        root_cert: tls.ca.as_deref().map(read).transpose()?,
    })
}

/// Runs one Redis operation within [`REDIS_OP_TIMEOUT`], naming it in any failure.
async fn bounded<T>(
    operation: &str,
    call: impl Future<Output = RedisResult<T>>,
) -> Result<T, VerifierError> {
    match tokio::time::timeout(REDIS_OP_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(redis_failed(operation, error)),
        Err(_) => Err(VerifierError::store_unavailable(format!(
            "redis {operation}: no answer within {} ms",
            REDIS_OP_TIMEOUT.as_millis()
        ))),
    }
}

fn redis_failed(operation: &str, error: RedisError) -> VerifierError {
    VerifierError::StoreUnavailable {
        reason: format!("redis {operation}: {error}"),
        source: Some(error),
    }
}

fn parse(request_id: &str, json: &str) -> Result<StoredRequest, VerifierError> {
    serde_json::from_str(json).map_err(|error| {
        VerifierError::Internal(format!(
            "stored request {request_id} is not a request: {error}"
        ))
    })
}

impl RequestStore for RedisStore {
    async fn put(&self, request: &StoredRequest) -> Result<(), VerifierError> {
        let ttl_ms = self.left_ms(request);
        if ttl_ms <= 0 {
            return Err(VerifierError::InvalidRequest(
                "expires_at_ms: the request is past its expiry and grace period".to_owned(),
            ));
        }
        let json = serde_json::to_string(request)
            .map_err(|error| VerifierError::Internal(format!("request to JSON: {error}")))?;
        let mut connection = self.connection.clone();
        let mut set = redis::cmd("SET");
        set.arg(self.request_key(&request.request_id))
            .arg(json)
            .arg("PX")
            .arg(ttl_ms)
            .arg("NX");
        match bounded("put", set.query_async::<Option<String>>(&mut connection)).await? {
            Some(_) => Ok(()),
            None => Err(VerifierError::InvalidRequest(
                "request_id: already stored".to_owned(),
            )),
        }
    }

    async fn get(&self, request_id: &str) -> Result<Option<Known>, VerifierError> {
        let mut connection = self.connection.clone();
        let mut get = redis::cmd("MGET");
        get.arg(self.request_key(request_id))
            .arg(self.used_key(request_id));
        let (request, used) = bounded(
            "get",
            get.query_async::<(Option<String>, Option<String>)>(&mut connection),
        )
        .await?;
        match request {
            Some(json) => Ok(Some(Known {
                request: parse(request_id, &json)?,
                used: used.is_some(),
            })),
            None => Ok(None),
        }
    }

    async fn take(&self, request: &StoredRequest) -> Result<Taken, VerifierError> {
        let ttl_ms = self.left_ms(request);
        if ttl_ms <= 0 {
            return Ok(Taken::Unknown);
        }
        let mut connection = self.connection.clone();
        let mut set = redis::cmd("SET");
        set.arg(self.used_key(&request.request_id))
            .arg("1")
            .arg("PX")
            .arg(ttl_ms)
            .arg("NX");
        match bounded("take", set.query_async::<Option<String>>(&mut connection)).await? {
            Some(_) => Ok(Taken::Open),
            None => Ok(Taken::AlreadyUsed),
        }
    }

    async fn put_verdict(
        &self,
        request: &StoredRequest,
        verdict: &[u8],
    ) -> Result<(), VerifierError> {
        let ttl_ms = self.left_ms(request);
        if ttl_ms <= 0 {
            return Err(VerifierError::NotFound(
                "the request was purged before its verdict was kept".to_owned(),
            ));
        }
        let mut connection = self.connection.clone();
        let mut set = redis::cmd("SET");
        set.arg(self.verdict_key(&request.request_id))
            .arg(verdict)
            .arg("PX")
            .arg(ttl_ms);
        bounded("put verdict", set.query_async::<()>(&mut connection)).await
    }

    async fn get_verdict(&self, request_id: &str) -> Result<Option<Vec<u8>>, VerifierError> {
        let mut connection = self.connection.clone();
        let mut get = redis::cmd("GET");
        get.arg(self.verdict_key(request_id));
        bounded(
            "get verdict",
            get.query_async::<Option<Vec<u8>>>(&mut connection),
        )
        .await
    }

    async fn ready(&self) -> Result<(), VerifierError> {
        let mut connection = self.connection.clone();
        bounded(
            "ping",
            redis::cmd("PING").query_async::<String>(&mut connection),
        )
        .await
        .map(|_| ())
    }
}
