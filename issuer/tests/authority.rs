//! The reference identity authority over a real RocksDB register: the generator's people
//! match, and every wrong part (name, evidence, number) is a plain "no match".
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::sync::Arc;

use realdid_core::keys::{Algorithm, SigningKey};
use realdid_core::resident_id::{ResidentId, ResidentIdGenerator};
use realdid_issuer::IssuerError;
use realdid_issuer::authority::dataset::{Person, ResidentDataset};
use realdid_issuer::authority::reference::ReferenceAuthority;
use realdid_issuer::authority::{CheckRequest, IdentityAuthority, Verdict};
use realdid_proto::dev_ca::DevCa;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 21);

fn request(person: &Person) -> CheckRequest {
    CheckRequest {
        full_name: person.full_name.clone(),
        resident_id: ResidentId::parse(&person.resident_id, TODAY).unwrap(),
        evidence_token: person.evidence_token.clone(),
        request_id: "req-1".into(),
    }
}

async fn verdict(authority: &ReferenceAuthority, request: &CheckRequest) -> Verdict {
    authority.check(request).await.unwrap().verdict
}

#[tokio::test]
async fn generated_people_match_and_every_wrong_part_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let people = ResidentDataset::generate(dir.path(), 200, 7).unwrap();
    assert_eq!(people.len(), 200);
    let distinct: std::collections::HashSet<_> = people.iter().map(|p| &p.resident_id).collect();
    assert_eq!(distinct.len(), 200, "one person per number");
    // Every generated number is a valid GB 11643 number.
    for person in &people {
        ResidentId::parse(&person.resident_id, TODAY).unwrap();
    }
    let authority = ReferenceAuthority::new(Arc::new(ResidentDataset::open(dir.path()).unwrap()));

    let (alice, bob) = (&people[0], &people[1]);
    let mut references = Vec::new();
    for person in [alice, bob, alice] {
        match verdict(&authority, &request(person)).await {
            Verdict::Match { reference } => references.push(reference),
            other => panic!("expected a match, got {other:?}"),
        }
    }
    assert_ne!(
        references[0], references[2],
        "references are per check, not per person"
    );

    let mut wrong_name = request(alice);
    wrong_name.full_name = bob.full_name.clone();
    assert_eq!(verdict(&authority, &wrong_name).await, Verdict::NoMatch);

    let mut others_evidence = request(alice);
    others_evidence.evidence_token = bob.evidence_token.clone();
    assert_eq!(
        verdict(&authority, &others_evidence).await,
        Verdict::NoMatch
    );

    let mut garbled = request(alice);
    garbled.evidence_token.push('0');
    assert_eq!(verdict(&authority, &garbled).await, Verdict::NoMatch);

    // A valid number that nobody in the register holds.
    let mut generator = ResidentIdGenerator::new(99_999);
    let stranger = std::iter::from_fn(|| Some(generator.next_id()))
        .find(|id| !distinct.contains(&id.as_str().to_owned()))
        .unwrap();
    let mut unknown = request(alice);
    unknown.resident_id = stranger;
    assert_eq!(verdict(&authority, &unknown).await, Verdict::NoMatch);

    // Limits of the contract are refused before any lookup.
    let mut empty_name = request(alice);
    empty_name.full_name.clear();
    assert!(matches!(
        authority.check(&empty_name).await,
        Err(IssuerError::InvalidRequest(_))
    ));
    // Personal data stays out of Debug.
    let shown = format!("{:?}", request(alice));
    assert!(!shown.contains(&alice.resident_id) && !shown.contains(&alice.full_name));
}

#[test]
fn the_same_seed_gives_the_same_people_with_a_new_secret() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = ResidentDataset::generate(a.path(), 20, 3).unwrap();
    let second = ResidentDataset::generate(b.path(), 20, 3).unwrap();
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(
            (&x.full_name, &x.resident_id),
            (&y.full_name, &y.resident_id)
        );
        assert_ne!(
            x.evidence_token, y.evidence_token,
            "evidence is per population"
        );
    }
    // Generating over an existing register is refused; so is opening an empty directory.
    assert!(matches!(
        ResidentDataset::generate(a.path(), 5, 1),
        Err(IssuerError::InvalidRequest(_))
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        ResidentDataset::open(empty.path()),
        Err(IssuerError::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn the_authority_answers_over_grpc_and_refuses_malformed_numbers() {
    use realdid_issuer::authority::grpc::{GrpcAuthority, serve};
    use realdid_proto::v1 as pb;

    let dir = tempfile::tempdir().unwrap();
    let people = ResidentDataset::generate(dir.path(), 10, 11).unwrap();
    let authority = ReferenceAuthority::new(Arc::new(ResidentDataset::open(dir.path()).unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let public = key.public_key();
    // The authority answers known issuers only: mutual TLS, with the issuer's certificate
    // from the same CA.
    let tls_dir = tempfile::tempdir().unwrap();
    let ca = DevCa::new("identity network CA").unwrap();
    ca.write_cert(tls_dir.path()).unwrap();
    let server_tls = ca
        .write_server(tls_dir.path(), "authority", &["127.0.0.1"], true)
        .unwrap();
    ca.write_server(tls_dir.path(), "issuer", &["127.0.0.1"], false)
        .unwrap();
    let issuer_tls = DevCa::client_of(tls_dir.path(), Some("issuer"));
    let server = tokio::spawn(async move {
        serve(authority, key, listener, Some(&server_tls), async move {
            let _ = stopped.await;
        })
        .await
    });

    // A caller without a certificate of the CA reaches nothing.
    let anonymous = GrpcAuthority::connect(
        endpoint.clone(),
        public.clone(),
        &DevCa::client_of(tls_dir.path(), None),
    )
    .await;
    let refused = match anonymous {
        Err(e) => e,
        Ok(client) => client
            .check(&request(&people[3]))
            .await
            .expect_err("mutual TLS answered a caller without a certificate"),
    };
    assert!(
        matches!(refused, IssuerError::Authority { .. }),
        "{refused}"
    );

    let remote = GrpcAuthority::connect(endpoint.clone(), public, &issuer_tls)
        .await
        .unwrap();
    let answer = remote.check(&request(&people[3])).await.unwrap();
    assert!(matches!(answer.verdict, Verdict::Match { .. }));
    assert!(answer.checked_at_ms > 0);
    let mut wrong = request(&people[3]);
    wrong.full_name = people[4].full_name.clone();
    assert_eq!(
        remote.check(&wrong).await.unwrap().verdict,
        Verdict::NoMatch
    );
    // A client configured with another authority's key takes none of its answers.
    let other = SigningKey::generate(Algorithm::EdDsa).unwrap().public_key();
    let mistrusting = GrpcAuthority::connect(endpoint.clone(), other, &issuer_tls)
        .await
        .unwrap();
    match mistrusting.check(&request(&people[3])).await {
        Err(IssuerError::Authority { reason, source }) => {
            assert!(reason.contains("not signed by the configured"), "{reason}");
            assert!(
                source.is_some(),
                "the signature check's own error is kept as the source"
            );
        }
        other => panic!("an answer of another key was taken: {other:?}"),
    }

    // A number with a wrong check digit never reaches the register: INVALID_ARGUMENT, with
    // the reason.
    let mut raw = pb::identity_authority_client::IdentityAuthorityClient::new(
        issuer_tls.connect(&endpoint).await.unwrap(),
    );
    let mut bad = people[3].resident_id.clone();
    let last = if bad.ends_with('0') { "1" } else { "0" };
    bad.replace_range(17.., last);
    let status = raw
        .check(pb::CheckRequest {
            full_name: people[3].full_name.clone(),
            resident_id: bad,
            evidence_token: people[3].evidence_token.clone(),
            request_id: "req-2".into(),
            nonce: vec![1; 32],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("resident_id"),
        "{}",
        status.message()
    );
    // Without a nonce to sign over, nothing is answered.
    let status = raw
        .check(pb::CheckRequest {
            full_name: people[3].full_name.clone(),
            resident_id: people[3].resident_id.clone(),
            evidence_token: people[3].evidence_token.clone(),
            request_id: "req-3".into(),
            nonce: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("nonce"), "{}", status.message());

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    // With the authority gone, the client says so instead of answering.
    match remote.check(&request(&people[3])).await {
        Err(IssuerError::Authority {
            source: Some(source),
            ..
        }) => assert!(
            source.downcast_ref::<tonic::Status>().is_some(),
            "the transport's status is kept: {source}"
        ),
        other => panic!("a gone authority must be reported with its cause: {other:?}"),
    }
}
