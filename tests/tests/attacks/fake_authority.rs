//! Whoever answers on the identity authority's address. The issuer took any MATCH with a
//! reference as the authority's word, so a fake authority (a misrouted connection, anyone on
//! the path) could have real-name credentials issued for anyone.

use std::sync::{Arc, Mutex};

use realdid_core::keys::{Algorithm, SigningKey};
use realdid_issuer::IssuerError;
use realdid_issuer::authority::{Answer, CheckRequest, IdentityAuthority, Verdict};
use realdid_proto::v1 as pb;
use realdid_proto::v1::identity_authority_client::IdentityAuthorityClient;
use realdid_proto::v1::identity_authority_server::{
    IdentityAuthority as AuthorityRpc, IdentityAuthorityServer,
};
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};
use tokio::sync::oneshot;

use crate::serial;

/// An authority that says MATCH to everyone, signing with a key of its own.
struct AlwaysMatch;

impl IdentityAuthority for AlwaysMatch {
    async fn check(&self, _request: &CheckRequest) -> Result<Answer, IssuerError> {
        Ok(Answer {
            verdict: Verdict::Match {
                reference: "forged".into(),
            },
            checked_at_ms: 1,
        })
    }
}

/// A relay that answers every check with one recorded, genuinely signed MATCH.
struct Replay {
    recorded: Arc<Mutex<pb::CheckResponse>>,
}

#[tonic::async_trait]
impl AuthorityRpc for Replay {
    async fn check(
        &self,
        _request: tonic::Request<pb::CheckRequest>,
    ) -> Result<tonic::Response<pb::CheckResponse>, tonic::Status> {
        Ok(tonic::Response::new(self.recorded.lock().unwrap().clone()))
    }
}

/// Binds a loopback listener; its endpoint.
async fn listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    (listener, endpoint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_not_signed_by_the_configured_authority_issue_nothing() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let mut stack = IssuerStack::start(&net, 5, 1).await;
    let real_authority = stack.config.authority.clone();
    let mut stops: Vec<oneshot::Sender<()>> = Vec::new();

    // An impostor with its own key says MATCH for a person it never checked.
    let (socket, impostor) = listener().await;
    let (stop, stopped) = oneshot::channel::<()>();
    stops.push(stop);
    tokio::spawn(realdid_issuer::authority::grpc::serve(
        AlwaysMatch,
        SigningKey::generate(Algorithm::EdDsa).unwrap(),
        socket,
        None,
        async move {
            let _ = stopped.await;
        },
    ));
    stack.use_authority(impostor).await;
    let holder = holder_did(&net).await;
    let refused = stack
        .try_enrol(2, &[&holder])
        .await
        .expect_err("no credential on a fake authority's word");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(
        refused.message().contains("not signed by the configured"),
        "{}",
        refused.message()
    );

    // A relay replaying the real authority's signed MATCH of person 0 (recorded for another
    // request) for any check.
    let mut real = IdentityAuthorityClient::connect(real_authority.clone())
        .await
        .unwrap();
    let person = &stack.people[0];
    let recorded = real
        .check(pb::CheckRequest {
            full_name: person.full_name.clone(),
            resident_id: person.resident_id.clone(),
            evidence_token: person.evidence_token.clone(),
            request_id: "recorded".into(),
            nonce: vec![9; 32],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.result(), pb::CheckResult::Match);
    let (socket, relay) = listener().await;
    let (stop, stopped) = oneshot::channel::<()>();
    stops.push(stop);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(IdentityAuthorityServer::new(Replay {
                recorded: Arc::new(Mutex::new(recorded)),
            }))
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(socket),
                async move {
                    let _ = stopped.await;
                },
            ),
    );
    stack.use_authority(relay).await;
    for who in [0, 3] {
        let refused = stack
            .try_enrol(who, &[&holder])
            .await
            .expect_err("a replayed answer issues nothing");
        assert!(
            refused.message().contains("not signed by the configured"),
            "{}",
            refused.message()
        );
    }

    // The real authority's own answers still count.
    stack.use_authority(real_authority).await;
    stack.enrol(2, &[&holder]).await.expect("enrolled");
    for stop in stops {
        let _ = stop.send(());
    }
}
