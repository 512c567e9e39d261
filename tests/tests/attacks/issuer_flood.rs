//! Costing the issuer without credentials. Anyone may ask for nonces, enrol and log in: the
//! nonce table was one shared table that a loop of CreateNonce filled for everyone; the
//! login lockout counted a failure only after its Argon2id check, so guesses sent in
//! parallel all ran; Enrol had no bound at all, and the per-person cap on live DIDs was
//! counted outside the lock its commit takes, so parallel enrolments of one person all
//! passed it.

use std::net::{IpAddr, Ipv4Addr};

use futures::future::join_all;
use realdid_issuer::operators::MAX_FAILURES;
use realdid_proto::v1 as pb;
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};

use crate::serial;

/// A loopback address standing for client machine `n`.
fn machine(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 1, n))
}

fn wrong_password() -> pb::OperatorLoginRequest {
    pb::OperatorLoginRequest {
        operator_id: "officer".into(),
        credential: Some(pb::operator_login_request::Credential::Password(
            "guess".into(),
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_floods_are_bounded_and_honest_callers_go_on() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let mut stack = IssuerStack::start(&net, 5, 1).await;
    stack
        .reconfigure(|c| {
            c.policy.max_dids_per_enrolment = 1;
            c.policy.max_dids_per_person = 2;
            c.limits.enrolments_in_flight = 4;
        })
        .await;
    let per_source = stack.config.limits.calls_per_source as usize;

    // 100 CreateNonce at once from one machine: at most its bucket is served, the rest are
    // refused RESOURCE_EXHAUSTED naming the limit that refused them (the machine's calls, or
    // the 64 calls one connection may have in flight, whichever a call meets first); another
    // machine is served at once.
    let flooder = stack.client_from(machine(1)).await;
    let answers = join_all((0..100).map(|_| {
        let mut client = flooder.clone();
        async move {
            client
                .create_nonce(pb::CreateNonceRequest {
                    purpose: pb::NoncePurpose::Enrol as i32,
                })
                .await
        }
    }))
    .await;
    let served = answers.iter().filter(|a| a.is_ok()).count();
    assert!((1..=per_source).contains(&served), "{served} nonces served");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_eq!(
            refused.code(),
            tonic::Code::ResourceExhausted,
            "{refused:?}"
        );
        assert!(
            refused
                .message()
                .contains(&format!("more than {per_source} unauthenticated calls"))
                || refused
                    .message()
                    .contains("Too many active requests for the connection"),
            "{}",
            refused.message()
        );
    }
    stack
        .client_from(machine(2))
        .await
        .create_nonce(pb::CreateNonceRequest {
            purpose: pb::NoncePurpose::Enrol as i32,
        })
        .await
        .expect("another machine is served");

    // 100 password guesses at once, from ten machines: at most MAX_FAILURES of them are
    // ever checked, the rest are refused without an Argon2id evaluation; then the name is
    // locked, the right password included.
    let mut guessers = Vec::new();
    for n in 10..20 {
        guessers.push(stack.client_from(machine(n)).await);
    }
    let answers = join_all((0..100).map(|i| {
        let mut client = guessers[i % guessers.len()].clone();
        async move { client.operator_login(wrong_password()).await }
    }))
    .await;
    let mut checked = 0;
    for answer in &answers {
        match answer {
            Ok(_) => panic!("a wrong password opened a session"),
            Err(s) if s.code() == tonic::Code::Unauthenticated => checked += 1,
            Err(s) => assert_eq!(s.code(), tonic::Code::ResourceExhausted, "{s:?}"),
        }
    }
    assert!(
        checked <= MAX_FAILURES,
        "{checked} parallel guesses were checked"
    );
    let mut guesser = guessers[0].clone();
    while checked < MAX_FAILURES {
        let answer = guesser.operator_login(wrong_password()).await;
        match answer {
            Err(s) if s.code() == tonic::Code::Unauthenticated => checked += 1,
            Err(s) if s.message().contains("failed logins") => break,
            other => panic!("{other:?}"),
        }
    }
    let locked = guesser
        .operator_login(wrong_password())
        .await
        .expect_err("locked");
    assert!(locked.message().contains("failed logins"), "{locked:?}");
    assert_eq!(checked, MAX_FAILURES);

    // Twelve enrolments of one person at once, each with a DID of its own, from twelve
    // machines: at most enrolments_in_flight are decided together, and however they
    // interleave the person ends with at most max_dids_per_person live credentials.
    let holders = join_all((0..12).map(|_| holder_did(&net))).await;
    let mut clients = Vec::new();
    for n in 0..12u8 {
        clients.push(stack.client_from(machine(30 + n)).await);
    }
    let stack_ref = &stack;
    let answers = join_all(
        clients
            .into_iter()
            .zip(&holders)
            .map(|(mut client, holder)| async move {
                stack_ref.try_enrol_with(&mut client, 0, &[holder]).await
            }),
    )
    .await;
    let (mut issued, mut capped, mut busy) = (0, 0, 0);
    for answer in answers {
        match answer {
            Ok(pb::enrol_response::Result::Issued(_)) => issued += 1,
            Ok(pb::enrol_response::Result::Refused(r)) => {
                assert_eq!(r.reason(), pb::EnrolmentRefusalReason::Policy, "{r:?}");
                assert!(r.message.contains("the limit is 2"), "{}", r.message);
                capped += 1;
            }
            Err(s) => {
                assert_eq!(s.code(), tonic::Code::ResourceExhausted, "{s:?}");
                assert!(
                    s.message().contains("enrolments are being decided"),
                    "{s:?}"
                );
                busy += 1;
            }
        }
    }
    assert!(
        (1..=2).contains(&issued),
        "{issued} issued, {capped} capped, {busy} busy"
    );
    assert!(busy >= 1, "{issued} issued, {capped} capped, {busy} busy");

    // Honest callers go on: another person enrols from the flooded machine once its
    // bucket has refilled, and from a fresh one at once.
    let honest = holder_did(&net).await;
    let mut client = stack.client_from(machine(50)).await;
    assert!(matches!(
        stack.try_enrol_with(&mut client, 1, &[&honest]).await,
        Ok(pb::enrol_response::Result::Issued(_))
    ));
}
