//! Burning someone else's presentation request. A request's id travels in a QR code, so
//! whoever sees it can submit a presentation for it, and another provider of the same
//! verifier can call VerifyPresentation on it. The verifier spent the request on the first
//! presentation whatever the verdict, and before it checked that a calling provider owned
//! the request: a glance at the screen was enough to make the citizen's answer fail.

use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::verifier::{
    BANK, SHOP_TOKEN, ask_as_bank, authorized, authorized_as, present, start_verifier,
};
use std::time::Duration;
use tonic::transport::Channel;

use crate::serial;

async fn submit(
    verifier: &mut VerifierClient<Channel>,
    request_id: &str,
    presentation: String,
) -> pb::SubmitPresentationResponse {
    verifier
        .submit_presentation(pb::SubmitPresentationRequest {
            request_id: request_id.to_owned(),
            presentation,
        })
        .await
        .expect("a verdict")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_holder_who_answers_a_request_can_spend_it() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let holder = holder_did(&net).await;
    let stranger = holder_did(&net).await;
    let credential = stack
        .enrol(0, &[&holder])
        .await
        .expect("enrolled")
        .credentials[0]
        .sd_jwt_vc
        .clone();
    let replica = start_verifier(
        &net,
        None,
        "burnt:",
        realdid_issuer::provision::IDENTITY_VCT,
        Duration::from_secs(1),
    )
    .await;
    let mut verifier = VerifierClient::connect(replica.endpoint.clone())
        .await
        .unwrap();
    let asked = ask_as_bank(&mut verifier).await;
    let genuine = present(
        &credential,
        &["real_name_verified"],
        &holder.key,
        &asked.nonce,
        &BANK.audience(),
    );

    // Another provider of the same verifier tries the bank's request: refused, and nothing
    // spent.
    let denied = verifier
        .verify_presentation(authorized_as(
            SHOP_TOKEN,
            pb::VerifyPresentationRequest {
                request_id: asked.request_id.clone(),
                presentation: "x~y".into(),
            },
        ))
        .await
        .expect_err("not the shop's request");
    assert_eq!(denied.code(), tonic::Code::PermissionDenied, "{denied:?}");

    // Someone who saw the QR code submits junk, a forged presentation, and a real
    // presentation by another holder bound to another request: each refused, none spends it.
    let junk = submit(&mut verifier, &asked.request_id, "junk~junk".into()).await;
    assert!(!junk.verified);
    assert_eq!(junk.reason(), pb::VerificationFailureReason::Malformed);
    let mut forged = genuine.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    let forged = submit(&mut verifier, &asked.request_id, forged).await;
    assert!(!forged.verified);
    assert_eq!(
        forged.reason(),
        pb::VerificationFailureReason::HolderBinding,
        "{}",
        forged.message
    );
    let elsewhere = present(
        &credential,
        &["real_name_verified"],
        &stranger.key,
        "another-nonce",
        &BANK.audience(),
    );
    assert!(
        !submit(&mut verifier, &asked.request_id, elsewhere)
            .await
            .verified
    );
    assert!(
        verifier
            .get_result(authorized(pb::GetResultRequest {
                request_id: asked.request_id.clone(),
            }))
            .await
            .is_err_and(|s| s.code() == tonic::Code::NotFound),
        "a refused attempt leaves no verdict for the provider"
    );

    // The citizen's own answer still verifies, once.
    let accepted = submit(&mut verifier, &asked.request_id, genuine.clone()).await;
    assert!(accepted.verified, "{}", accepted.message);
    let replayed = submit(&mut verifier, &asked.request_id, genuine).await;
    assert_eq!(
        replayed.reason(),
        pb::VerificationFailureReason::NonceReplayed
    );
    let verdict = verifier
        .get_result(authorized(pb::GetResultRequest {
            request_id: asked.request_id.clone(),
        }))
        .await
        .expect("the provider gets the verdict")
        .into_inner()
        .verdict
        .and_then(|v| v.result);
    assert!(
        matches!(
            verdict,
            Some(pb::verify_presentation_response::Result::Verified(_))
        ),
        "{verdict:?}"
    );
}
