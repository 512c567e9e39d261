//! What every realdid gRPC server carries besides its own service: bounds on its callers,
//! health, and server reflection of this contract in both versions (v1 and v1alpha, so that
//! every grpcurl works). The registry, the issuer, the identity authority and the verifier
//! all start here.
//!
//! The bounds come before any service sees a call. A server takes at most
//! [`MAX_CONCURRENT_CALLS`] calls at once, across every connection, and at most
//! [`MAX_CALLS_PER_CONNECTION`] from one connection; a call beyond either is refused at once
//! with RESOURCE_EXHAUSTED rather than queued, so a flood costs a refusal, not memory. A call
//! that has not answered within [`CALL_TIMEOUT`] is ended (a stream once it has started is
//! not: its own service bounds it). Connections that stop answering HTTP/2 pings are
//! closed.

use std::time::Duration;

use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::Router;
use tonic_health::server::HealthReporter;
use tower::layer::util::{Identity, Stack};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;

use crate::tls::ServerTls;

/// Calls one server handles at once, across every connection.
pub const MAX_CONCURRENT_CALLS: usize = 1024;
/// Calls one connection may have in flight at once.
pub const MAX_CALLS_PER_CONNECTION: usize = 64;
/// HTTP/2 streams one connection may open at once.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 128;
/// The longest a call may take to answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How often an idle connection is pinged, and how long its answer may take.
pub const KEEPALIVE: Duration = Duration::from_secs(30);

/// The health service's name.
pub const HEALTH: &str = "grpc.health.v1.Health";
/// The reflection services' names.
pub const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
/// The reflection services' names (the older version grpcurl still asks for).
pub const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

/// The layers every server runs its services behind: calls past the global bound are shed.
pub type Bounds = Stack<
    Stack<GlobalConcurrencyLimitLayer, Stack<LoadShedLayer, Identity>>,
    Stack<crate::metrics::RpcMetricsLayer, Identity>,
>;

/// A server with the bounds above, health (reporting `S` as serving until the returned
/// reporter says otherwise) and reflection (listing `S`, health and reflection), over
/// TLS when `tls` is given (then it serves nothing in plaintext); add the service itself.
/// The error says which part could not be built.
pub async fn with_health_and_reflection<S: NamedService>(
    tls: Option<&ServerTls>,
) -> Result<(Router<Bounds>, HealthReporter), String> {
    with_health_and_reflection_of::<S>(tls, &[]).await
}

/// [`with_health_and_reflection`] for a server that also serves the services named `also`
/// (listed by reflection beside `S`; health reports `S`).
pub async fn with_health_and_reflection_of<S: NamedService>(
    tls: Option<&ServerTls>,
    also: &[&'static str],
) -> Result<(Router<Bounds>, HealthReporter), String> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<S>().await;
    // Reflection lists what this server serves, no more: its own service, health and
    // reflection itself (the contract's other services are in the same descriptor set, and a
    // client must not be told a registry node serves Issuer). Health's descriptor is
    // registered so that `grpcurl … grpc.health.v1.Health/Check` can build its request.
    let reflection = || {
        also.iter().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .with_service_name(S::NAME)
                .with_service_name(HEALTH)
                .with_service_name(REFLECTION_V1)
                .with_service_name(REFLECTION_V1ALPHA),
            |builder, name| builder.with_service_name(*name),
        )
    };
    let v1 = reflection()
        .build_v1()
        .map_err(|e| format!("reflection: {e}"))?;
    let v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| format!("reflection: {e}"))?;
    let bounds = tower::ServiceBuilder::new()
        .layer(LoadShedLayer::new())
        .layer(GlobalConcurrencyLimitLayer::new(MAX_CONCURRENT_CALLS))
        .into_inner();
    let mut server = Server::builder();
    if let Some(tls) = tls {
        let config = tls.config().map_err(|e| e.to_string())?;
        server = server
            .tls_config(config)
            .map_err(|e| format!("TLS: {e}: {}", tls.cert.display()))?;
    }
    let router = server
        .concurrency_limit_per_connection(MAX_CALLS_PER_CONNECTION)
        .load_shed(true)
        .timeout(CALL_TIMEOUT)
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .http2_keepalive_interval(Some(KEEPALIVE))
        .http2_keepalive_timeout(Some(KEEPALIVE))
        .tcp_keepalive(Some(KEEPALIVE))
        // The first layer is the outermost: metrics see every call, a call the bounds
        // refuse included.
        .layer(crate::metrics::RpcMetricsLayer)
        .layer(bounds)
        .add_service(health_service)
        .add_service(v1)
        .add_service(v1alpha);
    Ok((router, health))
}
