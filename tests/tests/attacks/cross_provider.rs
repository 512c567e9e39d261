//! Asking in another provider's name. A wallet keeps one DID per provider so that providers
//! cannot link their customers. It used to pick that DID from the request's `aud`, a name
//! any verifier could write into the request it serves: a shop asked "as the bank", got the
//! citizen's bank DID in the answer, and could link it with the DID the citizen shows the
//! shop. Now the wallet answers only a request signed by a key of the provider's own DID on
//! the registry, under the DID it keeps for that provider, and sends the answer only where
//! the provider signed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use realdid_core::did::{KeyId, RealDid};
use realdid_core::presentation_request::RequestObject;
use realdid_issuer::provision::IDENTITY_VCT;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_proto::v1::verifier_server::{Verifier as VerifierRpc, VerifierServer};
use realdid_registry::devnet::devnet_tuning;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::light_client::LightClient;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::IssuerStack;
use realdid_tests::verifier::{BANK, SHOP, authorized_as, start_verifier};
use realdid_wallet::issuer_link::{Identity, IssuerLink};
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::present::{self, Transport, Verdict};
use realdid_wallet::{Wallet, WalletError, dids};
use tokio::sync::Mutex;
use tonic::{Request, Response, Status};

use crate::serial;

/// The shop's own verifier endpoint: it serves whatever request object the shop chooses
/// and counts the presentations that reach it.
#[derive(Default)]
struct ShopServer {
    object: Mutex<String>,
    answers: AtomicUsize,
}

#[tonic::async_trait]
impl VerifierRpc for ShopServer {
    async fn create_presentation_request(
        &self,
        _: Request<pb::CreatePresentationRequestRequest>,
    ) -> Result<Response<pb::CreatePresentationRequestResponse>, Status> {
        Err(Status::unimplemented(
            "the shop's server only serves requests",
        ))
    }

    async fn get_request(
        &self,
        _: Request<pb::GetRequestRequest>,
    ) -> Result<Response<pb::GetRequestResponse>, Status> {
        Ok(Response::new(pb::GetRequestResponse {
            request_object: self.object.lock().await.clone(),
            expires_at_unix_ms: 0,
        }))
    }

    async fn verify_presentation(
        &self,
        _: Request<pb::VerifyPresentationRequest>,
    ) -> Result<Response<pb::VerifyPresentationResponse>, Status> {
        Err(Status::unimplemented(
            "the shop's server only serves requests",
        ))
    }

    async fn submit_presentation(
        &self,
        _: Request<pb::SubmitPresentationRequest>,
    ) -> Result<Response<pb::SubmitPresentationResponse>, Status> {
        self.answers.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(pb::SubmitPresentationResponse::default()))
    }

    async fn get_result(
        &self,
        _: Request<pb::GetResultRequest>,
    ) -> Result<Response<pb::GetResultResponse>, Status> {
        Err(Status::unimplemented(
            "the shop's server only serves requests",
        ))
    }
}

/// Starts the shop's server; its `host:port`.
async fn shop_server(server: Arc<ShopServer>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(VerifierServer::from_arc(server))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    addr.to_string()
}

/// A request for the bank's customer's province, under the request id `id`, naming
/// `client_id`, to be answered at `host`.
fn request_naming(client_id: RealDid, id: &str, host: &str) -> RequestObject {
    RequestObject {
        request_id: id.into(),
        nonce: "a-nonce-the-shop-made".into(),
        client_id,
        response_uri: format!("realdid://{host}/requests/{id}"),
        claims: vec!["province".into()],
        predicates: vec!["real_name_verified".into()],
        credential_types: vec![],
        purpose: "open an account".into(),
        exp: realdid_tests::unix_s() + 300,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_cannot_ask_as_the_bank_and_learn_the_bank_did() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    BANK.register(&net).await;
    SHOP.register(&net).await;
    let registry = RegistryGateway::new(
        &net.endpoints(),
        LightClient::for_genesis(net.layout.genesis()),
    )
    .unwrap();

    // A citizen with one DID for the bank and one for the shop, each with its credential.
    let dir = tempfile::tempdir().unwrap();
    let mut wallet = Wallet::create(
        &dir.path().join("wallet"),
        "a citizen's passphrase",
        KdfParams::MINIMUM,
    )
    .unwrap();
    let at_bank = dids::for_provider(&mut wallet, &registry, BANK.audience().as_str())
        .await
        .unwrap();
    let at_shop = dids::for_provider(&mut wallet, &registry, SHOP.audience().as_str())
        .await
        .unwrap();
    let person = &stack.people[0];
    IssuerLink::connect(&stack.endpoint)
        .await
        .unwrap()
        .enrol(
            &mut wallet,
            &Identity {
                full_name: person.full_name.clone(),
                resident_id: person.resident_id.clone(),
                evidence_token: person.evidence_token.clone(),
            },
            &[at_bank.clone(), at_shop.clone()],
        )
        .await
        .unwrap();

    let shop_server_state = Arc::new(ShopServer::default());
    let shop_host = shop_server(shop_server_state.clone()).await;
    let shop_uri = |id: &str| format!("realdid://{shop_host}/requests/{id}");
    let serve = |object: String| {
        let state = shop_server_state.clone();
        async move { *state.object.lock().await = object }
    };

    // 1. The shop names the bank and the bank's key, and signs with its own key.
    let forged = request_naming(BANK.did(), "forged", &shop_host)
        .sign(&KeyId::first(), SHOP.keys().active_key().unwrap())
        .unwrap();
    serve(forged).await;
    let refused = present::fetch_request(&shop_uri("forged"), &registry, &Transport::plaintext())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, WalletError::Request(m) if m.contains("signature")),
        "{refused}"
    );

    // 2. The shop serves a plain request object naming the bank, as wallets used to read it.
    serve(request_naming(BANK.did(), "plain", &shop_host).to_json()).await;
    let refused = present::fetch_request(&shop_uri("plain"), &registry, &Transport::plaintext())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, WalletError::Request(m) if m.contains("malformed")),
        "{refused}"
    );

    // 3. The shop relays a genuine request of the bank (a request id is on the bank's
    //    screen for anyone to read) from its own address. The wallet shows it as the bank's
    //    and answers the bank, where the bank signed: nothing reaches the shop.
    let verifier = start_verifier(&net, None, "cross:", IDENTITY_VCT, Duration::from_secs(1)).await;
    let mut client = VerifierClient::connect(verifier.endpoint.clone())
        .await
        .unwrap();
    let asked = client
        .create_presentation_request(authorized_as(
            BANK.token,
            pb::CreatePresentationRequestRequest {
                claims: vec!["province".into()],
                predicates: vec!["real_name_verified".into()],
                purpose: "open an account".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(asked.client_id, BANK.audience());
    serve(asked.request_object.clone()).await;
    let relayed = present::fetch_request(
        &shop_uri(&asked.request_id),
        &registry,
        &Transport::plaintext(),
    )
    .await
    .unwrap();
    assert_eq!(relayed.provider(), &BANK.did());
    assert!(present::describe(&wallet, &relayed).contains(BANK.audience().as_str()));
    let prepared = present::prepare(&wallet, &relayed, realdid_tests::unix_s()).unwrap();
    assert_eq!(prepared.did, at_bank);
    assert_eq!(
        present::send(&mut wallet, &prepared, &Transport::plaintext())
            .await
            .unwrap(),
        Verdict::Verified
    );
    assert_eq!(shop_server_state.answers.load(Ordering::SeqCst), 0);

    // 4. The shop's own request is answered under the shop's DID, never the bank's.
    let asked = client
        .create_presentation_request(authorized_as(
            SHOP.token,
            pb::CreatePresentationRequestRequest {
                predicates: vec!["age_over_18".into()],
                purpose: "sell wine".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let own = present::fetch_request(&asked.request_uri, &registry, &Transport::plaintext())
        .await
        .unwrap();
    let prepared = present::prepare(&wallet, &own, realdid_tests::unix_s()).unwrap();
    assert_eq!(prepared.did, at_shop);
    let issuer_jwt = prepared.presentation.split('~').next().unwrap();
    let presented: serde_json::Value = serde_json::from_slice(
        realdid_core::jws::CompactJws::parse(issuer_jwt)
            .unwrap()
            .payload(),
    )
    .unwrap();
    assert_eq!(presented["sub"], at_shop.as_str());
    assert_ne!(presented["sub"], at_bank.as_str());
}
