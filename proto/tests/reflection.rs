//! Reflection tells a client what a server really serves: its own service, health and
//! reflection, not the contract's other services; and health's descriptor is there, so that
//! generic clients (grpcurl) can call it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use realdid_proto::server::with_health_and_reflection;
use realdid_proto::v1::registry_server::RegistryServer;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

async fn ask(
    client: &mut ServerReflectionClient<tonic::transport::Channel>,
    request: MessageRequest,
) -> ServerReflectionResponse {
    let outbound = tokio_stream::iter([ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    }]);
    let mut answers = client
        .server_reflection_info(outbound)
        .await
        .unwrap()
        .into_inner();
    answers.message().await.unwrap().expect("one answer")
}

#[tokio::test]
async fn a_registry_node_lists_the_registry_health_and_reflection_only() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (router, _health) = with_health_and_reflection::<RegistryServer<()>>(None)
        .await
        .unwrap();
    tokio::spawn(
        router.serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let channel = realdid_proto::tls::ClientTls::default()
        .connect(&format!("http://{addr}"))
        .await
        .unwrap();
    let mut client = ServerReflectionClient::new(channel);

    let listed = match ask(&mut client, MessageRequest::ListServices(String::new()))
        .await
        .message_response
    {
        Some(MessageResponse::ListServicesResponse(list)) => list
            .service
            .into_iter()
            .map(|s| s.name)
            .collect::<BTreeSet<_>>(),
        other => panic!("not a list: {other:?}"),
    };
    let expected: BTreeSet<String> = [
        "realdid.v1.Registry",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(listed, expected);

    // Health's descriptor is served, so a generic client can build a Check call.
    match ask(
        &mut client,
        MessageRequest::FileContainingSymbol("grpc.health.v1.Health".into()),
    )
    .await
    .message_response
    {
        Some(MessageResponse::FileDescriptorResponse(files)) => {
            assert!(!files.file_descriptor_proto.is_empty())
        }
        other => panic!("health is not described: {other:?}"),
    }
}
