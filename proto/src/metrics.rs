//! Metrics every realdid service exposes, in the Prometheus text format: one registry per
//! process, into which the server layer records every RPC (by method and gRPC code, with its
//! latency) and each service registers its own (consensus height, verdicts by reason,
//! enrolments, …) with [`register`]. [`serve`] answers `GET /metrics` on a listener of its
//! own, so that the scrape port can be firewalled apart from the service port.

use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

/// An RPC's method and the gRPC code it ended with.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    /// `/package.Service/Method`.
    pub method: String,
    /// The gRPC status code's name (`OK`, `NotFound`, …).
    pub code: String,
}

/// An RPC's method.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabel {
    /// `/package.Service/Method`.
    pub method: String,
}

struct Process {
    registry: Mutex<Registry>,
    rpcs: Family<RpcLabels, Counter>,
    latency: Family<MethodLabel, Histogram>,
}

fn latency_histogram() -> Histogram {
    // 100 µs to ~13 s, doubling.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.000_1, 2.0, 18,
    ))
}

static PROCESS: LazyLock<Process> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("realdid");
    let rpcs = Family::<RpcLabels, Counter>::default();
    let latency =
        Family::<MethodLabel, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
    registry.register(
        "rpc",
        "gRPC calls answered, by method and code",
        rpcs.clone(),
    );
    registry.register(
        "rpc_latency_seconds",
        "Time from a call's arrival to its response headers, by method",
        latency.clone(),
    );
    Process {
        registry: Mutex::new(registry),
        rpcs,
        latency,
    }
});

/// Registers a service's own metric under `realdid_<name>`. Call once per metric (from a
/// `LazyLock`, say): a second registration of a name would be exported twice.
pub fn register(name: &str, help: &str, metric: impl Metric) {
    lock().register(name, help, metric);
}

/// [`register`]s `metric` and gives it back, for a `LazyLock` that holds it: a metric's
/// clones share one value, so the one registered is the one the service updates.
pub fn registered<M: Metric + Clone>(name: &str, help: &str, metric: M) -> M {
    register(name, help, metric.clone());
    metric
}

fn lock() -> std::sync::MutexGuard<'static, Registry> {
    PROCESS
        .registry
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every metric of this process, in the Prometheus text format (`extra`, text of the same
/// format from elsewhere, such as the consensus engine's, is put before the end marker).
pub fn encode(extra: &str) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode_registry(&mut out, &lock());
    if !extra.is_empty() {
        out.push_str(extra);
        if !extra.ends_with('\n') {
            out.push('\n');
        }
    }
    let _ = prometheus_client::encoding::text::encode_eof(&mut out);
    out
}

/// Answers `GET /metrics` on `listener` with [`encode`] (and `extra()` appended) until
/// `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    extra: Arc<dyn Fn() -> String + Send + Sync>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let extra = extra.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    encode(&extra()),
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The server layer that counts and times every RPC.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcMetricsLayer;

impl<S> tower::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics { inner }
    }
}

/// [`RpcMetricsLayer`]'s service.
#[derive(Debug, Clone)]
pub struct RpcMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for RpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let started = Instant::now();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            let code = match &result {
                // An error is answered "trailers only": its status is in the headers. A
                // success carries its status in the trailers, which come later.
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map_or(tonic::Code::Ok, tonic::Code::from),
                Err(_) => tonic::Code::Unknown,
            };
            PROCESS
                .rpcs
                .get_or_create(&RpcLabels {
                    method: method.clone(),
                    code: format!("{code:?}"),
                })
                .inc();
            PROCESS
                .latency
                .get_or_create(&MethodLabel { method })
                .observe(started.elapsed().as_secs_f64());
            result
        })
    }
}
