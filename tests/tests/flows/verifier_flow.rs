//! The verifier end to end: a 4-validator devnet, the issuer, and two verifier replicas
//! sharing a real Redis. A valid presentation passes and yields only what was asked; a
//! replay is refused by either replica; each kind of bad presentation is refused with its
//! reason; and with its Redis gone a replica fails closed.

use std::time::Duration;

use realdid_core::codec::GovernanceAction;
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_issuer::provision::IDENTITY_VCT;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_tests::chain::{Devnet, Holder};
use realdid_tests::issuer::{IssuerStack, control_proof, holder_did, nonce};
use realdid_tests::verifier::{
    BANK, PROVIDER_TOKEN, Reference, SHOP, present, present_with_reference, start_verifier,
};
use realdid_verifier::client::ProviderClient;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::{FailureReason, Outcome};
use tonic::transport::Channel;

const SLOW: Duration = Duration::from_secs(90);
const CACHE: Duration = Duration::from_millis(500);

fn authorized<T>(message: T) -> tonic::Request<T> {
    authorized_for(&BANK.audience(), message)
}

/// `message` with the bearer token of the provider whose DID is `audience`.
fn authorized_for<T>(audience: &str, message: T) -> tonic::Request<T> {
    let token = if audience == SHOP.audience() {
        SHOP.token
    } else {
        PROVIDER_TOKEN
    };
    realdid_tests::verifier::authorized_as(token, message)
}

async fn client(endpoint: &str) -> VerifierClient<Channel> {
    for _ in 0..100 {
        if let Ok(c) = VerifierClient::connect(endpoint.to_owned()).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no verifier on {endpoint}")
}

async fn request(
    verifier: &mut VerifierClient<Channel>,
    audience: &str,
    expiry_seconds: u32,
) -> pb::CreatePresentationRequestResponse {
    verifier
        .create_presentation_request(authorized_for(
            audience,
            pb::CreatePresentationRequestRequest {
                claims: vec!["province".into()],
                predicates: vec!["real_name_verified".into()],
                purpose: "open an account".into(),
                expiry_seconds,
                credential_types: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn verify(
    verifier: &mut VerifierClient<Channel>,
    request_id: &str,
    presentation: &str,
) -> Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)> {
    let answer = verifier
        .verify_presentation(authorized(pb::VerifyPresentationRequest {
            request_id: request_id.into(),
            presentation: presentation.into(),
        }))
        .await
        .unwrap()
        .into_inner();
    match answer.result.unwrap() {
        pb::verify_presentation_response::Result::Verified(v) => Ok(v),
        pb::verify_presentation_response::Result::Failure(f) => {
            eprintln!("refused: {:?}: {}", f.reason(), f.message);
            Err((f.reason(), f.claim))
        }
    }
}

/// A fresh request for `audience` on `verifier`, answered with `credential` disclosing
/// `reveal`, key-bound by `key` for `kb_audience`, and the verdict. The presentation is made
/// by `reference` (an SD-JWT implementation that is not realdid's) when given, else by
/// realdid's wallet code.
async fn attempt(
    reference: Option<Reference>,
    verifier: &mut VerifierClient<Channel>,
    audience: &str,
    credential: &str,
    reveal: &[&str],
    key: &SigningKey,
    kb_audience: &str,
) -> Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)> {
    let r = request(verifier, audience, 0).await;
    let p = match reference {
        Some(implementation) => present_with_reference(
            implementation,
            credential,
            reveal,
            key,
            &r.nonce,
            kb_audience,
        ),
        None => present(credential, reveal, key, &r.nonce, kb_audience),
    };
    verify(verifier, &r.request_id, &p).await
}

fn reason(
    result: Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)>,
) -> pb::VerificationFailureReason {
    match result {
        Ok(v) => panic!(
            "expected a refusal, got a verified presentation from {}",
            v.issuer_did
        ),
        Err((r, _)) => r,
    }
}

/// A redis-server of this test's own, on a free port, so that it can be stopped.
struct OwnRedis {
    child: std::process::Child,
    port: u16,
}

impl OwnRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup.sh installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presentations_pass_once_and_every_bad_one_is_refused_with_its_reason() {
    let _serial = crate::serial().await;
    let net = Devnet::start(4);
    for i in 0..4 {
        net.wait_height(i, 1, SLOW).await;
    }
    let stack = IssuerStack::start(&net, 20, 1).await;
    let mut issuer = stack.client().await;
    let issuer_did = stack.issuer().did().to_string();
    let holders: Vec<Holder> = vec![
        holder_did(&net).await,
        holder_did(&net).await,
        holder_did(&net).await,
    ];
    let person = &stack.people[0];
    let n = nonce(&mut issuer, pb::NoncePurpose::Enrol).await;
    let issued = match issuer
        .enrol(pb::EnrolRequest {
            nonce: n.clone(),
            full_name: person.full_name.clone(),
            resident_id: person.resident_id.clone(),
            evidence_token: person.evidence_token.clone(),
            dids: holders
                .iter()
                .map(|h| control_proof(h, &n, &issuer_did))
                .collect(),
            credential_type: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap()
    {
        pb::enrol_response::Result::Issued(issued) => issued,
        pb::enrol_response::Result::Refused(r) => panic!("refused: {}", r.message),
    };
    let credential = |i: usize| issued.credentials[i].sd_jwt_vc.clone();

    let prefix = format!("realdid-test-{}:", std::process::id());
    let redis = "redis://127.0.0.1:6379";
    let replica_a = start_verifier(&net, Some(redis), &prefix, IDENTITY_VCT, CACHE).await;
    let replica_b = start_verifier(&net, Some(redis), &prefix, IDENTITY_VCT, CACHE).await;
    let mut a = client(&replica_a.endpoint).await;
    let mut b = client(&replica_b.endpoint).await;
    let bank_did = BANK.audience();
    let bank = bank_did.as_str();
    let shop_did = SHOP.audience();
    let shop = shop_did.as_str();

    // A valid presentation: only what was asked comes back (not `city`, also disclosed).
    let r = request(&mut a, bank, 0).await;
    // The request on the wallet's side: the same object by id, without authentication.
    let got = a
        .get_request(pb::GetRequestRequest {
            request_id: r.request_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.request_object, r.request_object);
    assert_eq!(r.client_id, bank);
    let p = present(
        &credential(0),
        &["real_name_verified", "province", "city"],
        &holders[0].key,
        &r.nonce,
        bank,
    );
    let v = verify(&mut a, &r.request_id, &p)
        .await
        .expect("a valid presentation passes");
    assert_eq!(v.claims.keys().collect::<Vec<_>>(), vec!["province"]);
    assert!(
        v.claims["province"].starts_with('"'),
        "claim values are JSON text"
    );
    assert_eq!(v.predicates, vec!["real_name_verified".to_owned()]);
    assert_eq!(v.issuer_did, issuer_did);
    assert!(v.registry_height > 0);
    // Once answered, the request is no longer handed to wallets.
    let answered = a
        .get_request(pb::GetRequestRequest {
            request_id: r.request_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(answered.code(), tonic::Code::NotFound);
    assert!(
        answered.message().contains("already answered"),
        "{answered:?}"
    );

    // Replays: to the same replica and to the other one.
    assert_eq!(
        reason(verify(&mut a, &r.request_id, &p).await),
        pb::VerificationFailureReason::NonceReplayed
    );
    assert_eq!(
        reason(verify(&mut b, &r.request_id, &p).await),
        pb::VerificationFailureReason::NonceReplayed
    );
    // A request that took its verdict is not checked again: whatever comes later is a
    // replay, a malformed one too, and costs the verifier no verification.
    assert_eq!(
        reason(verify(&mut b, &r.request_id, "not a presentation").await),
        pb::VerificationFailureReason::NonceReplayed
    );

    // The subject id: stable for one provider, different for another. (Through the
    // provider's typed client this time.)
    let mut provider = ProviderClient::connect(replica_b.endpoint.clone(), PROVIDER_TOKEN)
        .await
        .unwrap();
    let r2 = provider
        .create_request(&RequestSpec {
            claims: vec!["province".into()],
            predicates: vec!["real_name_verified".into()],
            purpose: "open an account".into(),
            ..RequestSpec::default()
        })
        .await
        .unwrap();
    let p2 = present(
        &credential(0),
        &["real_name_verified", "province"],
        &holders[0].key,
        &r2.nonce,
        bank,
    );
    let Outcome::Verified(v2) = provider.verify(&r2.request_id, &p2).await.unwrap() else {
        panic!("the typed client's verification failed")
    };
    assert_eq!(v2.subject_id, v.subject_id);
    assert!(matches!(
        provider.verify(&r2.request_id, &p2).await.unwrap(),
        Outcome::Failed(f) if f.reason == FailureReason::NonceReplayed
    ));
    let r3 = request(&mut a, shop, 0).await;
    let p3 = present(
        &credential(0),
        &["real_name_verified", "province"],
        &holders[0].key,
        &r3.nonce,
        shop,
    );
    let v3 = a
        .verify_presentation(authorized_for(
            shop,
            pb::VerifyPresentationRequest {
                request_id: r3.request_id.clone(),
                presentation: p3,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::verify_presentation_response::Result::Verified(v3)) = v3.result else {
        panic!("the shop's presentation failed: {v3:?}")
    };
    assert_ne!(v3.subject_id, v.subject_id);

    // Presentations made by independent implementations (Python and JavaScript), not by
    // realdid: accepted when valid, refused with the right reason when not.
    for implementation in Reference::ALL {
        let by = Some(implementation);
        let both = ["real_name_verified", "province"];
        let key = &holders[1].key;
        let v = attempt(by, &mut a, bank, &credential(1), &both, key, bank)
            .await
            .unwrap_or_else(|e| panic!("a {implementation:?} presentation passes: {e:?}"));
        assert_eq!(v.claims.keys().collect::<Vec<_>>(), vec!["province"]);
        assert_eq!(
            reason(attempt(by, &mut a, bank, &credential(1), &both, key, shop).await),
            pb::VerificationFailureReason::AudienceMismatch,
            "{implementation:?}"
        );
        assert_eq!(
            reason(attempt(by, &mut a, bank, &credential(1), &both[..1], key, bank).await),
            pb::VerificationFailureReason::PolicyClaimMissing,
            "{implementation:?}"
        );
    }

    // A tampered disclosure.
    let r = request(&mut a, bank, 0).await;
    let good = present(
        &credential(1),
        &["real_name_verified", "province"],
        &holders[1].key,
        &r.nonce,
        bank,
    );
    let mut parts: Vec<String> = good.split('~').map(str::to_owned).collect();
    let mut bytes = parts[1].clone().into_bytes();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    parts[1] = String::from_utf8(bytes).unwrap();
    let tampered = parts.join("~");
    assert_eq!(
        reason(verify(&mut a, &r.request_id, &tampered).await),
        pb::VerificationFailureReason::Malformed
    );

    // The wrong audience.
    assert_eq!(
        reason(
            attempt(
                None,
                &mut a,
                bank,
                &credential(1),
                &["real_name_verified", "province"],
                &holders[1].key,
                shop
            )
            .await
        ),
        pb::VerificationFailureReason::AudienceMismatch
    );

    // Holder binding by another key.
    let stranger = SigningKey::generate(Algorithm::EdDsa).unwrap();
    assert_eq!(
        reason(
            attempt(
                None,
                &mut a,
                bank,
                &credential(1),
                &["real_name_verified", "province"],
                &stranger,
                bank
            )
            .await
        ),
        pb::VerificationFailureReason::HolderBinding
    );

    // A required claim hidden.
    assert_eq!(
        attempt(
            None,
            &mut a,
            bank,
            &credential(1),
            &["real_name_verified"],
            &holders[1].key,
            bank
        )
        .await
        .unwrap_err(),
        (
            pb::VerificationFailureReason::PolicyClaimMissing,
            "province".to_owned()
        )
    );

    // An expired request: replica a's clock moves past its expiry.
    let r = request(&mut a, bank, 1).await;
    replica_a.clock.advance(Duration::from_millis(1_100));
    let p = present(
        &credential(1),
        &["real_name_verified", "province"],
        &holders[1].key,
        &r.nonce,
        bank,
    );
    assert_eq!(
        reason(verify(&mut a, &r.request_id, &p).await),
        pb::VerificationFailureReason::RequestExpired
    );

    // A revoked credential, once the verifier's cache of the list has aged out.
    let token = stack.officer_session(&mut issuer).await;
    let mut revoke = tonic::Request::new(pb::RevokeCredentialsRequest {
        target: Some(pb::revoke_credentials_request::Target::CredentialId(
            issued.credentials[2].credential_id.clone(),
        )),
        reason: pb::RevocationReason::KeyCompromise as i32,
        note: String::new(),
    });
    revoke
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    issuer.revoke_credentials(revoke).await.unwrap();
    replica_a.clock.advance(CACHE + Duration::from_millis(200));
    assert_eq!(
        reason(
            attempt(
                None,
                &mut a,
                bank,
                &credential(2),
                &["real_name_verified", "province"],
                &holders[2].key,
                bank
            )
            .await
        ),
        pb::VerificationFailureReason::Revoked
    );

    // Redis gone: the replica that depends on it fails closed.
    let own = OwnRedis::start();
    let replica_c = start_verifier(
        &net,
        Some(&format!("redis://127.0.0.1:{}", own.port)),
        &prefix,
        IDENTITY_VCT,
        CACHE,
    )
    .await;
    let mut c = client(&replica_c.endpoint).await;
    let r = request(&mut c, bank, 0).await;
    let p = present(
        &credential(1),
        &["real_name_verified", "province"],
        &holders[1].key,
        &r.nonce,
        bank,
    );
    drop(own);
    let status = c
        .verify_presentation(authorized(pb::VerifyPresentationRequest {
            request_id: r.request_id.clone(),
            presentation: p,
        }))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        tonic::Code::Unavailable,
        "{}",
        status.message()
    );

    // The issuer's accreditation withdrawn: its credentials no longer pass.
    let officers = net.layout.governance_signing_keys().unwrap();
    let gateway = RegistryGateway::new(&stack.config.registry, stack.light.clone()).unwrap();
    gateway
        .decide(
            "removal",
            GovernanceAction::RemoveIssuer {
                issuer: stack.issuer().did(),
                reason: "test: withdrawn".into(),
            },
            8,
            &officers[..net.layout.governance_threshold()],
        )
        .await
        .unwrap();
    replica_a.clock.advance(CACHE + Duration::from_millis(200));
    assert_eq!(
        reason(
            attempt(
                None,
                &mut a,
                bank,
                &credential(1),
                &["real_name_verified", "province"],
                &holders[1].key,
                bank
            )
            .await
        ),
        pb::VerificationFailureReason::IssuerNotAccredited
    );
}
