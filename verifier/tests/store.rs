//! The request stores against their contract: single use across replicas, expiry, and
//! failing closed when Redis is gone. The Redis tests use the server on 127.0.0.1:6379
//! (scripts/setup.sh starts one), each under its own random key prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use realdid_core::clock::{ShiftedClock, SystemClock};

use realdid_proto::dev_ca::DevCa;
use realdid_proto::tls::ServerTls;
use realdid_verifier::VerifierError;
use realdid_verifier::store::{
    AnyStore, Known, MemoryStore, RedisStore, RequestStore, StoredRequest, Taken,
};

const REDIS_URL: &str = "redis://127.0.0.1:6379/";
const SHORT_GRACE: Duration = Duration::from_millis(300);

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn prefix() -> String {
    format!("realdid-test:{}:", random_hex())
}

fn request(expires_in_ms: i64) -> StoredRequest {
    let now = now_ms();
    StoredRequest {
        request_id: random_hex(),
        nonce: random_hex(),
        audience: "did:realdid:provider".to_owned(),
        claims: vec!["given_name".to_owned()],
        predicates: vec!["age>=18".to_owned()],
        credential_types: vec!["RealNameCredential".to_owned()],
        purpose: "account opening".to_owned(),
        created_at_ms: now,
        expires_at_ms: now + expires_in_ms,
        request_object: "e30.e30.sig".to_owned(),
    }
}

async fn redis() -> RedisStore {
    RedisStore::connect(REDIS_URL, &prefix())
        .await
        .expect("Redis on 127.0.0.1:6379 (run scripts/setup.sh)")
}

// ---- the contract, for any store ----

async fn put_get_take_once<S: RequestStore>(store: &S) {
    let open = request(60_000);
    store.put(&open).await.unwrap();
    assert_eq!(
        store.get(&open.request_id).await.unwrap(),
        Some(Known {
            request: open.clone(),
            used: false
        })
    );
    assert_eq!(store.take(&open).await.unwrap(), Taken::Open);
    assert_eq!(store.take(&open).await.unwrap(), Taken::AlreadyUsed);
    assert_eq!(store.take(&open).await.unwrap(), Taken::AlreadyUsed);
    // A used request is still known, as used (for "replayed" rather than "unknown").
    assert_eq!(
        store.get(&open.request_id).await.unwrap(),
        Some(Known {
            request: open.clone(),
            used: true
        })
    );
    // It can never be stored afresh, so never become open again.
    assert!(matches!(
        store.put(&open).await,
        Err(VerifierError::InvalidRequest(m)) if m.contains("request_id")
    ));
    assert_eq!(store.take(&open).await.unwrap(), Taken::AlreadyUsed);
}

async fn unknown_is_unknown<S: RequestStore>(store: &S) {
    assert_eq!(store.get("never-stored").await.unwrap(), None);
}

/// Lets `by` pass for the store: a Redis store's expiries are the server's, in real time; an
/// in-process store reads the `clock` it was given, which the test moves instead.
async fn pass(clock: Option<&ShiftedClock>, by: Duration) {
    match clock {
        Some(clock) => clock.advance(by),
        None => tokio::time::sleep(by).await,
    }
}

async fn gone_after_expiry_and_grace<S: RequestStore>(store: &S, clock: Option<&ShiftedClock>) {
    let short = request(200);
    store.put(&short).await.unwrap();
    let used = request(200);
    store.put(&used).await.unwrap();
    assert!(matches!(store.take(&used).await.unwrap(), Taken::Open));
    // Past expiry but within grace: still there, still single use.
    pass(clock, Duration::from_millis(300)).await;
    assert_eq!(
        store
            .get(&short.request_id)
            .await
            .unwrap()
            .map(|k| k.request),
        Some(short.clone())
    );
    assert_eq!(store.take(&used).await.unwrap(), Taken::AlreadyUsed);
    // Past expiry and grace: purged, open or used alike.
    pass(clock, Duration::from_millis(400)).await;
    assert_eq!(store.get(&short.request_id).await.unwrap(), None);
    assert_eq!(store.take(&short).await.unwrap(), Taken::Unknown);
    assert_eq!(store.take(&used).await.unwrap(), Taken::Unknown);
}

async fn refuses_already_purged<S: RequestStore>(store: &S) {
    let stale = request(-10_000);
    assert!(matches!(
        store.put(&stale).await,
        Err(VerifierError::InvalidRequest(m)) if m.contains("expires_at_ms")
    ));
    assert_eq!(store.take(&stale).await.unwrap(), Taken::Unknown);
}

/// 20 tasks take the same request at once, spread over the given replicas: exactly one wins.
async fn exactly_one_of_many<S: RequestStore + Clone + 'static>(replicas: &[S]) {
    let open = request(60_000);
    replicas[0].put(&open).await.unwrap();
    let mut tasks = Vec::new();
    for index in 0..20 {
        let store = replicas[index % replicas.len()].clone();
        let open = open.clone();
        tasks.push(tokio::spawn(
            async move { store.take(&open).await.unwrap() },
        ));
    }
    let mut opened = 0;
    for task in tasks {
        match task.await.unwrap() {
            Taken::Open => opened += 1,
            Taken::AlreadyUsed => {}
            Taken::Unknown => panic!("a stored request was reported unknown"),
        }
    }
    assert_eq!(opened, 1);
}

// ---- memory ----

#[tokio::test]
async fn memory_store_put_get_take_once() {
    put_get_take_once(&MemoryStore::new()).await;
}

#[tokio::test]
async fn memory_store_unknown() {
    unknown_is_unknown(&MemoryStore::new()).await;
}

#[tokio::test]
async fn memory_store_expiry() {
    let clock = ShiftedClock::new();
    let store = MemoryStore::with_limits(SHORT_GRACE, 100).with_clock(Arc::new(clock.clone()));
    gone_after_expiry_and_grace(&store, Some(&clock)).await;
    refuses_already_purged(&store).await;
    assert!(store.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_concurrent_takes() {
    let store = MemoryStore::new();
    exactly_one_of_many(&[store.clone(), store]).await;
}

#[tokio::test]
async fn memory_store_full_is_unavailable() {
    let store = MemoryStore::with_limits(SHORT_GRACE, 3);
    for _ in 0..3 {
        store.put(&request(60_000)).await.unwrap();
    }
    assert!(matches!(
        store.put(&request(60_000)).await,
        Err(VerifierError::StoreUnavailable { reason, .. }) if reason == "request store full"
    ));
}

#[tokio::test]
async fn any_store_without_url_is_memory() {
    let store = AnyStore::from_config(None, "unused:", SystemClock::shared(), &Default::default())
        .await
        .unwrap();
    assert!(matches!(store, AnyStore::Memory(_)));
    put_get_take_once(&store).await;
}

// ---- redis ----

#[tokio::test]
async fn redis_store_put_get_take_once() {
    put_get_take_once(&redis().await).await;
}

#[tokio::test]
async fn redis_store_unknown() {
    unknown_is_unknown(&redis().await).await;
}

#[tokio::test]
async fn redis_store_expiry() {
    let store = RedisStore::connect_with_grace(REDIS_URL, &prefix(), SHORT_GRACE)
        .await
        .unwrap();
    gone_after_expiry_and_grace(&store, None).await;
    refuses_already_purged(&store).await;
}

/// A request's used mark expires with it: nothing of a spent request stays in Redis.
#[tokio::test]
async fn redis_store_used_mark_goes_with_its_request() {
    let prefix = prefix();
    let store = RedisStore::connect_with_grace(REDIS_URL, &prefix, SHORT_GRACE)
        .await
        .unwrap();
    let used = request(200);
    store.put(&used).await.unwrap();
    assert_eq!(store.take(&used).await.unwrap(), Taken::Open);
    let keys = [
        format!("{prefix}req:{}", used.request_id),
        format!("{prefix}used:{}", used.request_id),
    ];
    let mut redis = redis::Client::open(REDIS_URL)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut exists = redis::cmd("EXISTS");
    exists.arg(&keys);
    let before: i64 = exists.query_async(&mut redis).await.unwrap();
    assert_eq!(before, 2, "the request and its used mark");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after: i64 = exists.query_async(&mut redis).await.unwrap();
    assert_eq!(after, 0, "both gone past expiry and grace");
}

#[tokio::test]
async fn redis_store_two_replicas_share_single_use() {
    let shared = prefix();
    let first = RedisStore::connect(REDIS_URL, &shared).await.unwrap();
    let second = RedisStore::connect(REDIS_URL, &shared).await.unwrap();
    let open = request(60_000);
    first.put(&open).await.unwrap();
    assert_eq!(
        second.get(&open.request_id).await.unwrap(),
        Some(Known {
            request: open.clone(),
            used: false
        })
    );
    assert_eq!(first.take(&open).await.unwrap(), Taken::Open);
    assert_eq!(second.take(&open).await.unwrap(), Taken::AlreadyUsed);
    // The other replica reads it as used.
    assert!(second.get(&open.request_id).await.unwrap().unwrap().used);
    // Another deployment (another prefix) does not see it.
    let other = redis().await;
    assert_eq!(other.get(&open.request_id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_concurrent_takes_across_replicas() {
    let shared = prefix();
    let first = RedisStore::connect(REDIS_URL, &shared).await.unwrap();
    let second = RedisStore::connect(REDIS_URL, &shared).await.unwrap();
    exactly_one_of_many(&[first, second]).await;
}

#[tokio::test]
async fn any_store_with_url_is_redis() {
    let store = AnyStore::from_config(
        Some(REDIS_URL),
        &prefix(),
        SystemClock::shared(),
        &Default::default(),
    )
    .await
    .unwrap();
    assert!(matches!(store, AnyStore::Redis(_)));
    put_get_take_once(&store).await;
}

#[tokio::test]
async fn redis_store_bad_url_is_config() {
    let error = RedisStore::connect("not a url", &prefix())
        .await
        .unwrap_err();
    assert!(matches!(error, VerifierError::Config(_)), "{error:?}");
}

// ---- failing closed ----

#[tokio::test]
async fn unreachable_redis_fails_closed_quickly() {
    let started = Instant::now();
    let error = AnyStore::from_config(
        Some("redis://127.0.0.1:1/"),
        &prefix(),
        SystemClock::shared(),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&error, VerifierError::StoreUnavailable { reason, .. } if reason.contains("redis")),
        "{error:?}"
    );
    assert!(
        std::error::Error::source(&error).is_some_and(|s| s.is::<redis::RedisError>()),
        "Redis's own error is kept as the source: {error:?}"
    );
    assert_eq!(error.grpc_code(), tonic::Code::Unavailable);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A Redis server of the test's own, on a free port, killed when dropped.
struct OwnRedis {
    child: std::process::Child,
    url: String,
}

impl OwnRedis {
    async fn start() -> OwnRedis {
        Self::start_with(&[], "redis").await
    }

    /// A Redis that speaks TLS only, with `tls`'s certificate, requiring client certificates
    /// of `tls`'s client CA when it has one.
    async fn start_tls(tls: &ServerTls) -> OwnRedis {
        let path = |p: &std::path::Path| p.display().to_string();
        let mut args = vec![
            "--tls-cert-file".to_owned(),
            path(&tls.cert),
            "--tls-key-file".into(),
            path(&tls.key),
        ];
        match &tls.client_ca {
            Some(ca) => args.extend([
                "--tls-ca-cert-file".into(),
                path(ca),
                "--tls-auth-clients".into(),
                "yes".into(),
            ]),
            None => args.extend(["--tls-auth-clients".into(), "no".into()]),
        }
        Self::start_with(&args, "rediss").await
    }

    async fn start_with(tls_args: &[String], scheme: &str) -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port, tls_args, scheme).await
    }

    async fn start_on(port: u16, tls_args: &[String], scheme: &str) -> OwnRedis {
        let port_flag = if tls_args.is_empty() {
            ["--port".to_owned(), port.to_string()]
        } else {
            // TLS only: the plain port is off.
            ["--port".to_owned(), "0".to_owned()]
        };
        let mut command = std::process::Command::new("redis-server");
        command
            .args(port_flag)
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !tls_args.is_empty() {
            command
                .args(["--tls-port", &port.to_string()])
                .args(tls_args);
        }
        let child = command.spawn().expect("redis-server on PATH");
        let own = OwnRedis {
            child,
            url: format!("{scheme}://127.0.0.1:{port}/"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        own
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn rediss_serves_only_a_verifier_with_a_certificate_of_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::new("redis CA").unwrap();
    ca.write_cert(dir.path()).unwrap();
    let server_tls = ca
        .write_server(dir.path(), "redis", &["127.0.0.1"], true)
        .unwrap();
    ca.write_server(dir.path(), "verifier", &["127.0.0.1"], false)
        .unwrap();
    let server = OwnRedis::start_tls(&server_tls).await;
    let verifier = DevCa::client_of(dir.path(), Some("verifier"));

    // The verifier, with its certificate: requests stored and taken once, over TLS.
    let store = AnyStore::from_config(
        Some(&server.url),
        &prefix(),
        SystemClock::shared(),
        &verifier,
    )
    .await
    .unwrap();
    let open = request(60_000);
    store.put(&open).await.unwrap();
    assert!(matches!(store.take(&open).await.unwrap(), Taken::Open));
    assert!(matches!(
        store.take(&open).await.unwrap(),
        Taken::AlreadyUsed
    ));

    // Without a client certificate: no store.
    let anonymous = DevCa::client_of(dir.path(), None);
    let refused = AnyStore::from_config(
        Some(&server.url),
        &prefix(),
        SystemClock::shared(),
        &anonymous,
    )
    .await;
    assert!(
        matches!(&refused, Err(VerifierError::StoreUnavailable { .. })),
        "{:?}",
        refused.err()
    );

    // Plaintext to the TLS port: no store either.
    let plain = server.url.replace("rediss://", "redis://");
    assert!(
        AnyStore::from_config(Some(&plain), &prefix(), SystemClock::shared(), &verifier)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn redis_stopping_midway_fails_closed() {
    let mut server = OwnRedis::start().await;
    let store = RedisStore::connect(&server.url, &prefix()).await.unwrap();
    let open = request(60_000);
    store.put(&open).await.unwrap();
    let pending = request(60_000);
    store.put(&pending).await.unwrap();
    assert!(matches!(store.take(&open).await.unwrap(), Taken::Open));

    server.stop();

    for _ in 0..3 {
        let started = Instant::now();
        let taken = store.take(&pending).await;
        assert!(
            matches!(&taken, Err(VerifierError::StoreUnavailable { reason, .. }) if reason.contains("redis take")),
            "{taken:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(
            store.get(&pending.request_id).await,
            Err(VerifierError::StoreUnavailable { .. })
        ));
        assert!(matches!(
            store.put(&request(60_000)).await,
            Err(VerifierError::StoreUnavailable { .. })
        ));
    }
}

/// The health a client reads from `addr`, for the whole server.
async fn health_of(addr: std::net::SocketAddr) -> i32 {
    let channel = realdid_proto::tls::ClientTls::default()
        .connect(&format!("http://{addr}"))
        .await
        .unwrap();
    tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

async fn wait_for_health(addr: std::net::SocketAddr, status: tonic_health::ServingStatus) {
    let wanted = status as i32;
    let deadline = Instant::now() + Duration::from_secs(15);
    while health_of(addr).await != wanted {
        assert!(Instant::now() < deadline, "health never became {status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn health_turns_not_serving_while_redis_is_down_and_back() {
    use realdid_proto::v1::verifier_server::VerifierServer;
    use realdid_verifier::service::VerifierService;
    use tonic_health::ServingStatus;

    let mut server = OwnRedis::start().await;
    let port: u16 = server
        .url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let store = RedisStore::connect(&server.url, &prefix()).await.unwrap();
    let (health, health_service) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health_service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let stats = std::sync::Arc::new(realdid_verifier::stats::Stats::new(
        realdid_core::clock::SystemClock::shared(),
    ));
    tokio::spawn(
        realdid_verifier::health::follow_store::<VerifierServer<VerifierService>>(
            store,
            stats.clone(),
            health,
            Duration::from_millis(100),
        )
        .await,
    );
    wait_for_health(addr, ServingStatus::Serving).await;
    let store_health = || stats.snapshot().store.unwrap_or_default();
    assert!(
        store_health().up,
        "the operators' figures show the store up"
    );

    let up = || {
        realdid_proto::metrics::encode("")
            .lines()
            .find(|l| l.starts_with("realdid_verifier_store_up "))
            .map(str::to_owned)
    };
    assert_eq!(up().as_deref(), Some("realdid_verifier_store_up 1"));

    server.stop();
    wait_for_health(addr, ServingStatus::NotServing).await;
    assert_eq!(
        up().as_deref(),
        Some("realdid_verifier_store_up 0"),
        "the metric follows the health"
    );
    let down = store_health();
    assert!(
        !down.up && !down.error.is_empty(),
        "the operators' figures show the store down, and why: {down:?}"
    );

    let _again = OwnRedis::start_on(port, &[], "redis").await;
    wait_for_health(addr, ServingStatus::Serving).await;
    assert_eq!(up().as_deref(), Some("realdid_verifier_store_up 1"));
    let again = store_health();
    assert!(again.up && again.since_unix_ms > down.since_unix_ms);
}
