//! What every realdid gRPC server carries besides its own service: health, and server
//! reflection of this contract in both versions (v1 and v1alpha, so that every grpcurl
//! works). The registry, the issuer, the identity authority and the verifier all start here.

use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::Router;

/// A server with health (reporting `S` as serving) and reflection; add the service itself.
/// The error is the reflection builder's, as text.
pub async fn with_health_and_reflection<S: NamedService>() -> Result<Router, String> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<S>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
    };
    let v1 = reflection()
        .build_v1()
        .map_err(|e| format!("reflection: {e}"))?;
    let v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| format!("reflection: {e}"))?;
    Ok(Server::builder()
        .add_service(health_service)
        .add_service(v1)
        .add_service(v1alpha))
}
