//! A node answering "finalized" for a transaction it never sent on. The issuer took the
//! node's word: it released an identity on an audit anchor that was never on chain, and
//! reported a revocation published whose anchor no verifier could find.

use realdid_registry::devnet::devnet_tuning;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::light_client::LightClient;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::stub_registry::{Lie, StubRegistry};

use crate::serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_claiming_finality_without_the_anchor_releases_nothing() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let mut stack = IssuerStack::start(&net, 5, 1).await;
    let holder = holder_did(&net).await;
    let issued = stack.enrol(0, &[&holder]).await.expect("enrolled");
    let credential = &issued.credentials[0];
    let subject = holder.state.did.to_string();
    let trace = stack.approved_trace(&subject, None, 2).await;
    let honest = RegistryGateway::new(
        &net.endpoints(),
        LightClient::for_genesis(net.layout.genesis()),
    )
    .unwrap();
    let issuer_did = stack.issuer().did();
    let list = stack.issuer().list_uri(1);
    let anchored_before = honest
        .status_anchor_at(&issuer_did, &list)
        .await
        .unwrap()
        .value
        .expect("list 1 is anchored")
        .anchor
        .sequence;

    // The issuer's only node lies about finality (its proven reads are honest).
    let liar = StubRegistry::start(&net.endpoints()[0], Lie::FakeFinality).await;
    stack.use_registry(vec![liar.endpoint.clone()]).await;

    let refused = stack
        .open_trace(&trace)
        .await
        .expect_err("no identity without an anchor on chain");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    assert!(
        refused.message().contains("does not hold it")
            || refused.message().contains("no proven read showed it"),
        "{}",
        refused.message()
    );
    for sequence in 1..=2 {
        let audit = honest.audit_anchor_at(&issuer_did, sequence).await.unwrap();
        assert!(audit.value.is_none(), "no audit anchor {sequence} on chain");
    }

    let not_published = stack
        .revoke(&credential.credential_id)
        .await
        .expect_err("a revocation whose anchor is not on chain is not reported published");
    assert_eq!(not_published.code(), tonic::Code::Unavailable);
    let anchored = honest.status_anchor_at(&issuer_did, &list).await.unwrap();
    assert_eq!(
        anchored.value.unwrap().anchor.sequence,
        anchored_before,
        "nothing new was anchored"
    );

    // With honest nodes after the liar, the opening goes through them: released only with
    // its anchor proven on chain, and the revocation published too.
    let mut endpoints = vec![liar.endpoint.clone()];
    endpoints.extend(net.endpoints());
    stack.use_registry(endpoints).await;
    let opened = stack.open_trace(&trace).await.expect("opened");
    let receipt = opened.audit_anchor.expect("its anchor");
    // The failed attempt used up audit sequence 1; the opening is sequence 2.
    let audit = honest
        .audit_anchor_at(&issuer_did, 2)
        .await
        .unwrap()
        .value
        .expect("the audit anchor is on chain");
    assert_eq!(
        audit.height, receipt.height,
        "the receipt is the proven one"
    );
    stack
        .revoke(&credential.credential_id)
        .await
        .expect("published through an honest node");
    let anchored = honest.status_anchor_at(&issuer_did, &list).await.unwrap();
    assert!(anchored.value.unwrap().anchor.sequence > anchored_before);
}
