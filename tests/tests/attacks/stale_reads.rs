//! A node (or anyone on the path) answering with old, validly certified state. A finality
//! certificate never expires, so before readers bounded the age of the state they accept,
//! the verifier took the first node's answer that checked: a revoked credential's old
//! status anchor kept it valid, as long as the old status token was served beside it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::light_client::LightClient;
use realdid_tests::chain::{Devnet, Holder};
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::stub_registry::{Lie, StubRegistry};
use realdid_tests::unix_ms;
use realdid_tests::verifier::present;
use realdid_verifier::store::StoredRequest;
use realdid_verifier::verify::chain::{CachedChain, ChainCacheConfig};
use realdid_verifier::verify::status::{HttpStatusSource, StatusChecker, StatusSource};
use realdid_verifier::verify::{CheckOptions, Checks, FailureReason, Outcome};

use realdid_registry::devnet::devnet_tuning;

use crate::serial;

/// The oldest state the verifier here accepts. Short, so that the frozen answers age past it
/// within the test; the chain's block times are real, so they age in real time.
const MAX_STATE_AGE: Duration = Duration::from_secs(3);
const AUDIENCE: &str = "https://bank.example";

/// The status list token as an attacker on the path of a plaintext fetch serves it: the
/// first token fetched from each URI, for ever.
#[derive(Debug, Default)]
struct FrozenTokens {
    honest: Option<HttpStatusSource>,
    first: Mutex<HashMap<String, String>>,
}

impl StatusSource for FrozenTokens {
    async fn fetch(&self, uri: &str) -> Result<String, String> {
        if let Some(token) = self.first.lock().unwrap().get(uri) {
            return Ok(token.clone());
        }
        let token = self
            .honest
            .as_ref()
            .expect("an honest source")
            .fetch(uri)
            .await?;
        self.first
            .lock()
            .unwrap()
            .insert(uri.to_owned(), token.clone());
        Ok(token)
    }
}

/// A verifier whose first registry node is `stub`, then the devnet's honest nodes.
fn verifier(net: &Devnet, stub: &StubRegistry) -> Checks<CachedChain, FrozenTokens> {
    let mut endpoints = vec![stub.endpoint.clone()];
    endpoints.extend(net.endpoints());
    let gateway = RegistryGateway::new(&endpoints, LightClient::for_genesis(net.layout.genesis()))
        .unwrap()
        .with_max_state_age(MAX_STATE_AGE);
    let cache = Duration::from_millis(500);
    let clock = gateway.clock();
    let chain = CachedChain::new(
        gateway,
        ChainCacheConfig {
            did_ttl: cache,
            accreditation_ttl: cache,
            anchor_ttl: cache,
            capacity: 100,
        },
    );
    let tokens = FrozenTokens {
        honest: Some(HttpStatusSource::new(Duration::from_secs(3), &Default::default()).unwrap()),
        ..FrozenTokens::default()
    };
    Checks::new(
        chain,
        StatusChecker::new(tokens, cache, 100, clock),
        CheckOptions {
            accepted_types: vec![realdid_issuer::provision::IDENTITY_VCT.into()],
            subject_secret: [9; 32],
            leeway_seconds: 60,
            key_binding_max_age: Duration::from_secs(300),
            remembered_signatures: 0,
        },
    )
}

/// A fresh request answered with `credential` by `holder`.
async fn verify(
    checks: &Checks<CachedChain, FrozenTokens>,
    credential: &str,
    holder: &Holder,
    round: u32,
) -> Outcome {
    let nonce = format!("stale-read-{round}");
    let now = unix_ms();
    let request = StoredRequest {
        request_id: format!("request-{round}"),
        nonce: nonce.clone(),
        audience: AUDIENCE.into(),
        claims: vec![],
        predicates: vec!["real_name_verified".into()],
        credential_types: vec![],
        purpose: "open an account".into(),
        created_at_ms: now,
        expires_at_ms: now + 300_000,
        request_object: "a.b.c".into(),
    };
    let presentation = present(
        credential,
        &["real_name_verified"],
        &holder.key,
        &nonce,
        AUDIENCE,
    );
    checks.verify(&request, &presentation, now).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_certified_state_from_a_node_cannot_hide_a_revocation() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let holder = holder_did(&net).await;
    let issued = stack.enrol(0, &[&holder]).await.expect("enrolled");
    let credential = &issued.credentials[0];
    let stub = StubRegistry::start(&net.layout.nodes()[0].grpc_endpoint(), Lie::FrozenReads).await;
    let checks = verifier(&net, &stub);

    // While the stub's answers are current, the credential verifies (and the stub and the
    // frozen token source remember what they answered).
    let frozen_at = Instant::now();
    match verify(&checks, &credential.sd_jwt_vc, &holder, 1).await {
        Outcome::Verified(_) => {}
        Outcome::Failed(f) => panic!("a valid credential was refused: {f:?}"),
    }

    stack
        .revoke(&credential.credential_id)
        .await
        .expect("the officer revokes");
    // The frozen answers age in real time, with the chain's own block times.
    let aged = MAX_STATE_AGE + Duration::from_secs(1);
    if let Some(rest) = aged.checked_sub(frozen_at.elapsed()) {
        tokio::time::sleep(rest).await;
    }

    // The stub still answers with the state from before the revocation, and the old token
    // is still served, but that state is too old: the verifier asks the honest nodes, finds
    // the newer anchor, and refuses.
    match verify(&checks, &credential.sd_jwt_vc, &holder, 2).await {
        Outcome::Verified(_) => panic!("a revoked credential verified on old state"),
        Outcome::Failed(f) => assert!(
            matches!(
                f.reason,
                FailureReason::Revoked | FailureReason::StatusUnavailable
            ),
            "{f:?}"
        ),
    }

    // Asked alone, the stub's answer is refused, and the refusal says why.
    let stub_only = RegistryGateway::new(
        std::slice::from_ref(&stub.endpoint),
        LightClient::for_genesis(net.layout.genesis()),
    )
    .unwrap()
    .with_max_state_age(MAX_STATE_AGE);
    let issuer_did = stack.issuer().did();
    let error = stub_only
        .status_anchor_at(&issuer_did, &credential.status_list_uri)
        .await
        .expect_err("old state is refused");
    assert!(
        error.to_string().contains("s old, older than the 3 s"),
        "{error}"
    );
}

/// The claims of a compact status list token.
fn token_claims(token: &str) -> realdid_core::status_list::StatusListTokenClaims {
    let jws = realdid_core::jws::CompactJws::parse(token).unwrap();
    serde_json::from_slice(jws.payload()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tokens_expire_and_are_published_again_before_they_do() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let holder = holder_did(&net).await;
    stack.enrol(0, &[&holder]).await.expect("enrolled");
    let issuer = stack.issuer();
    let validity = i64::from(stack.config.policy.status_token_validity_seconds);
    let (token, sequence) = issuer.status_list_token(1).unwrap().expect("published");
    let claims = token_claims(&token);
    assert_eq!(
        claims.exp,
        Some(claims.iat + validity),
        "every token carries exp"
    );
    assert!(claims.ttl.is_some());

    // Nothing to do while more than half the validity is left.
    issuer.refresh_expiring_lists().await.unwrap();
    assert_eq!(issuer.status_list_token(1).unwrap().unwrap().1, sequence);

    // A list whose token is about to expire (its record says so, as it would a day later)
    // is signed and anchored again, unchanged, with a new exp.
    let mut record = issuer.store().list(1).unwrap().unwrap();
    record.published.as_mut().unwrap().expires_at_s = unix_ms() / 1000 + 60;
    let mut batch = realdid_issuer::store::Batch::default();
    batch
        .put("lists", 1u32.to_be_bytes().to_vec(), &record)
        .unwrap();
    issuer.store().write(batch).unwrap();
    issuer.refresh_expiring_lists().await.unwrap();
    let (token, refreshed) = issuer.status_list_token(1).unwrap().unwrap();
    assert!(refreshed > sequence, "published again");
    let claims = token_claims(&token);
    assert!(claims.exp.unwrap() >= unix_ms() / 1000 + validity - 60);
    let anchored = stack.issuer().did();
    let gateway = RegistryGateway::new(
        &stack.config.registry,
        LightClient::for_genesis(net.layout.genesis()),
    )
    .unwrap();
    let anchor = gateway
        .status_anchor_at(&anchored, &issuer.list_uri(1))
        .await
        .unwrap()
        .value
        .expect("anchored");
    assert_eq!(
        anchor.anchor.sequence, refreshed,
        "the new token is the anchored one"
    );
}
