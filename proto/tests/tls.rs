//! Every realdid server over TLS refuses what it must: a plaintext client, a client that
//! does not trust its CA, and, with mutual TLS, a client without a certificate of the
//! expected CA. Real sockets, real certificates, real handshakes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use realdid_proto::dev_ca::DevCa;
use realdid_proto::server::with_health_and_reflection;
use realdid_proto::tls::{ClientTls, ServerTls};
use realdid_proto::v1::registry_server::RegistryServer;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Any service name will do: the server is checked through its health service.
type Named = RegistryServer<()>;

/// Starts a server with health and reflection only, over `tls`; returns its address and a
/// sender that stops it.
async fn serve(tls: &ServerTls) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (router, _health) = with_health_and_reflection::<Named>(Some(tls))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(router.serve_with_incoming_shutdown(
        tokio_stream::wrappers::TcpListenerStream::new(listener),
        async {
            let _ = stopped.await;
        },
    ));
    (format!("https://{addr}"), stop)
}

/// Whether a health check over `tls` to `url` is answered.
async fn answered(tls: &ClientTls, url: &str) -> Result<(), String> {
    let channel = tls.connect(url).await.map_err(|e| format!("{e:?}"))?;
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

fn ca_in(dir: &Path, name: &str) -> DevCa {
    let ca = DevCa::new(name).unwrap();
    ca.write_cert(dir).unwrap();
    ca
}

#[tokio::test]
async fn a_tls_server_answers_only_clients_that_trust_its_ca_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_in(dir.path(), "realdid test CA");
    let tls = ca
        .write_server(dir.path(), "node", &["127.0.0.1"], false)
        .unwrap();
    let (url, _stop) = serve(&tls).await;

    // Trusting the CA: answered.
    let trusting = DevCa::client_of(dir.path(), None);
    answered(&trusting, &url).await.unwrap();

    // The same server spoken to in plaintext: no answer.
    let plain = url.replace("https://", "http://");
    assert!(
        answered(&trusting, &plain).await.is_err(),
        "a TLS server answered a plaintext client"
    );

    // A client that trusts another CA refuses the server's certificate.
    let other = tempfile::tempdir().unwrap();
    ca_in(other.path(), "another CA");
    let error = answered(&DevCa::client_of(other.path(), None), &url)
        .await
        .expect_err("a certificate of an untrusted CA was accepted");
    assert!(
        error.contains("certificate") || error.contains("Certificate"),
        "the refusal does not say it is the certificate: {error}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_in(dir.path(), "realdid test CA");
    // The certificate names another address than the one the client dials.
    let tls = ca
        .write_server(
            dir.path(),
            "elsewhere",
            &["10.9.8.7", "registry.example"],
            false,
        )
        .unwrap();
    let (url, _stop) = serve(&tls).await;
    assert!(
        answered(&DevCa::client_of(dir.path(), None), &url)
            .await
            .is_err(),
        "a certificate for another name was accepted"
    );
}

#[tokio::test]
async fn mutual_tls_serves_only_clients_with_a_certificate_of_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_in(dir.path(), "realdid test CA");
    let tls = ca
        .write_server(dir.path(), "authority", &["127.0.0.1"], true)
        .unwrap();
    ca.write_server(dir.path(), "issuer", &["127.0.0.1"], false)
        .unwrap();
    let (url, _stop) = serve(&tls).await;

    // A known organisation, with its certificate: answered.
    answered(&DevCa::client_of(dir.path(), Some("issuer")), &url)
        .await
        .unwrap();

    // No certificate: refused.
    assert!(
        answered(&DevCa::client_of(dir.path(), None), &url)
            .await
            .is_err(),
        "mutual TLS served a client without a certificate"
    );

    // A certificate from another CA (the client still trusts the server's CA): refused.
    let other = tempfile::tempdir().unwrap();
    let stranger_ca = ca_in(other.path(), "another CA");
    stranger_ca
        .write_server(other.path(), "stranger", &["127.0.0.1"], false)
        .unwrap();
    let stranger = ClientTls {
        ca: Some(dir.path().join("ca.pem")),
        cert: Some(other.path().join("stranger.pem")),
        key: Some(other.path().join("stranger.key")),
    };
    assert!(
        answered(&stranger, &url).await.is_err(),
        "mutual TLS served a client whose certificate another CA issued"
    );
}

#[tokio::test]
async fn unusable_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = ServerTls {
        cert: dir.path().join("absent.pem"),
        key: dir.path().join("absent.key"),
        client_ca: None,
    };
    let Err(error) = with_health_and_reflection::<Named>(Some(&missing)).await else {
        panic!("a server without its certificate file started");
    };
    assert!(error.contains("absent.pem"), "{error}");

    let half = ClientTls {
        ca: None,
        cert: Some(dir.path().join("c.pem")),
        key: None,
    };
    assert!(half.endpoint("https://127.0.0.1:1").is_err());
    assert!(
        ClientTls::default()
            .endpoint("ftp://127.0.0.1:1")
            .unwrap_err()
            .to_string()
            .contains("https://")
    );
}
