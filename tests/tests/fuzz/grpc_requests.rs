//! gRPC requests as a client sends them: protobuf bytes, decoded as the services decode
//! them, then turned into what the services act on. A provider's presentation request
//! becomes a signed request object, which the wallet parses and checks against the
//! provider's DID; a citizen's enrolment passes the issuer's limits or is refused naming a
//! field; the DIDs and resident ids a request names parse or are refused. None may panic,
//! and what a service accepts must be what was asked.

use prost::Message as _;
use realdid_core::codec::ChainId;
use realdid_core::did::{OrgKeys, RealDid, apply};
use realdid_core::presentation_request::SignedRequest;
use realdid_core::resident_id::ResidentId;
use realdid_issuer::IssuerError;
use realdid_proto::v1 as pb;
use realdid_tests::fuzz::run;
use realdid_verifier::VerifierError;
use realdid_verifier::provider::Provider;
use realdid_verifier::requests::{RequestSpec, create};

fn chain() -> ChainId {
    ChainId::parse("realdid-fuzz").unwrap()
}

#[test]
fn presentation_requests_convert_or_are_refused() {
    let keys = OrgKeys::from_keys(
        realdid_core::keys::SigningKey::from_secret_bytes(
            realdid_core::keys::Algorithm::EdDsa,
            &[11; 32],
        )
        .unwrap(),
        realdid_core::keys::SigningKey::from_secret_bytes(
            realdid_core::keys::Algorithm::EdDsa,
            &[12; 32],
        )
        .unwrap(),
    );
    let state = apply(&chain(), None, &keys.create_operation(&chain()).unwrap()).unwrap();
    let provider = Provider {
        id: "bank".into(),
        token_sha256: "00".repeat(32),
        keys,
    };
    let now_ms = 1_795_000_000_000;
    let seeds: Vec<Vec<u8>> = [
        pb::CreatePresentationRequestRequest {
            claims: vec!["province".into()],
            predicates: vec!["real_name_verified".into()],
            purpose: "open an account".into(),
            expiry_seconds: 0,
            credential_types: vec![],
        },
        pb::CreatePresentationRequestRequest {
            claims: vec!["given_name".into(), "family_name".into()],
            predicates: vec!["age_over_18".into()],
            purpose: "sell wine".into(),
            expiry_seconds: 600,
            credential_types: vec!["https://realdid.example/credentials/identity".into()],
        },
    ]
    .iter()
    .map(|m| m.encode_to_vec())
    .collect();
    let mut made = Vec::new();
    run("create presentation request", &seeds, |bytes| {
        let Ok(r) = pb::CreatePresentationRequestRequest::decode(bytes) else {
            return;
        };
        let spec = RequestSpec {
            claims: r.claims,
            predicates: r.predicates,
            purpose: r.purpose,
            expiry_seconds: r.expiry_seconds,
            credential_types: r.credential_types,
        };
        match create(
            &spec,
            &provider,
            now_ms,
            "realdid://verifier.example/requests",
        ) {
            Ok((stored, _uri)) => {
                // What the wallet then fetches: it parses, checks the provider's
                // signature, and sees exactly what was asked.
                let verified = SignedRequest::parse(&stored.request_object)
                    .and_then(|s| s.verify(&state))
                    .unwrap_or_else(|e| panic!("a request the verifier made: {e}"));
                assert_eq!(verified.provider(), provider.did());
                assert_eq!(stored.claims, spec.claims);
                assert_eq!(stored.predicates, spec.predicates);
            }
            Err(VerifierError::InvalidRequest(_)) => {}
            Err(other) => panic!("{spec:?} gave {other:?}"),
        }
    });
    // The request objects themselves, as a wallet receives them from anyone.
    let object = create(
        &RequestSpec {
            claims: vec!["province".into()],
            purpose: "open an account".into(),
            ..RequestSpec::default()
        },
        &provider,
        now_ms,
        "realdid://verifier.example/requests",
    )
    .unwrap()
    .0
    .request_object;
    made.push(object.clone().into_bytes());
    run("request object", &made, |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(signed) = SignedRequest::parse(text)
            && let Ok(verified) = signed.verify(&state)
        {
            // Only the object as signed checks.
            assert_eq!(text, object, "a changed request object checked");
            let _ = verified.provider();
        }
    });
}

#[test]
fn enrolments_pass_the_limits_or_are_refused_naming_a_field() {
    let did = RealDid::from_suffix([1; 32]).to_string();
    let seeds: Vec<Vec<u8>> = [
        pb::EnrolRequest {
            nonce: "n-0123456789abcdef".into(),
            full_name: "Zhang Wei".into(),
            resident_id: "11010519491231002X".into(),
            evidence_token: "liveness-token".into(),
            dids: vec![pb::DidControlProof {
                did: did.clone(),
                proof_jws: "eyJhbGciOiJFZERTQSJ9.e30.c2ln".into(),
            }],
            holder_tag_key: vec![7; 32],
            credential_type: String::new(),
        },
        pb::EnrolRequest {
            nonce: "n-1".into(),
            full_name: "李华".into(),
            resident_id: "440524188001010014".into(),
            evidence_token: "t".into(),
            dids: vec![
                pb::DidControlProof {
                    did: did.clone(),
                    proof_jws: "a.b.c".into(),
                },
                pb::DidControlProof {
                    did: RealDid::from_suffix([2; 32]).to_string(),
                    proof_jws: "a.b.c".into(),
                },
            ],
            holder_tag_key: vec![9; 32],
            credential_type: "https://realdid.example/credentials/identity".into(),
        },
    ]
    .iter()
    .map(|m| m.encode_to_vec())
    .collect();
    let today = time::macros::date!(2026 - 12 - 05);
    run("enrol request", &seeds, |bytes| {
        let Ok(r) = pb::EnrolRequest::decode(bytes) else {
            return;
        };
        let resident_id = r.resident_id.clone();
        let request = realdid_issuer::service::enrol_request(r);
        match request.check_limits(16, today) {
            Ok(()) => {
                // Within the limits: every field it names parses on its own.
                assert!(ResidentId::parse(&resident_id, today).is_ok());
                for d in &request.dids {
                    assert!(d.did.parse::<RealDid>().is_ok(), "{}", d.did);
                }
            }
            Err(IssuerError::InvalidRequest(field)) => {
                assert!(field.contains(':'), "the refusal names no field: {field}");
            }
            Err(other) => panic!("an enrolment's limits gave {other:?}"),
        }
    });
}

#[test]
fn dids_and_resident_ids_parse_or_are_refused() {
    let dids = vec![
        RealDid::from_suffix([5; 32]).to_string().into_bytes(),
        format!("{}#key-1", RealDid::from_suffix([6; 32])).into_bytes(),
    ];
    run("did", &dids, |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(did) = text.parse::<RealDid>()
        {
            // A DID is its one spelling: it prints back to what was parsed.
            assert_eq!(did.to_string(), text);
        }
    });
    let today = time::macros::date!(2026 - 12 - 05);
    let ids = vec![
        b"11010519491231002X".to_vec(),
        b"440524188001010014".to_vec(),
    ];
    run("resident id", &ids, |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes) {
            let _ = ResidentId::parse(text, today);
        }
    });
}
