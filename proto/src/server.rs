//! What every gRPC server of this crate carries besides its own service: health, and
//! server reflection in both versions (v1 and v1alpha, so that every grpcurl works).

use tonic::server::NamedService;
use tonic::transport::Server;
use tonic::transport::server::Router;

use crate::IssuerError;

/// A server with health (reporting `S` as serving) and reflection; add the service itself.
pub(crate) async fn with_health_and_reflection<S: NamedService>() -> Result<Router, IssuerError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<S>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(realdid_proto::FILE_DESCRIPTOR_SET)
    };
    let v1 = reflection()
        .build_v1()
        .map_err(|e| IssuerError::Server(format!("reflection: {e}")))?;
    let v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| IssuerError::Server(format!("reflection: {e}")))?;
    Ok(Server::builder()
        .add_service(health_service)
        .add_service(v1)
        .add_service(v1alpha))
}
