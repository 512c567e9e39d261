//! The did:realdid operation rules: every rule the spec states, refused with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use realdid_core::ErrorKind;
use realdid_core::did::{
    CreateOp, DeactivateOp, Did, DidError, DidOperation, DidState, DocumentState, KeyId, Purposes,
    RealDid, RecoverOp, RecoveryCommitment, ServiceEntry, SignedDidOperation, UpdateOp,
    VerificationKey, apply, document::realdid_document,
};
use realdid_core::keys::{Algorithm, SigningKey};

/// The chain the operations in these tests are signed for.
fn chain() -> realdid_core::codec::ChainId {
    realdid_core::codec::ChainId::parse("realdid-test").expect("a chain id")
}

struct Holder {
    device: SigningKey,
    recovery: SigningKey,
}

fn key_id(s: &str) -> KeyId {
    s.parse().unwrap()
}

fn doc(key: &SigningKey) -> DocumentState {
    DocumentState {
        keys: vec![VerificationKey {
            id: key_id("device"),
            key: key.public_key(),
            purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
        }],
        services: vec![],
    }
}

fn create(alg: Algorithm) -> (Holder, SignedDidOperation, DidState) {
    let holder = Holder {
        device: SigningKey::generate(alg).unwrap(),
        recovery: SigningKey::generate(alg).unwrap(),
    };
    let op = DidOperation::Create(CreateOp {
        document: doc(&holder.device),
        recovery_commitment: RecoveryCommitment::to(&holder.recovery.public_key()),
    })
    .sign(&chain(), Some(key_id("device")), &holder.device)
    .unwrap();
    let state = apply(&chain(), None, &op).unwrap();
    (holder, op, state)
}

fn update(
    state: &DidState,
    signer: &str,
    key: &SigningKey,
    new: DocumentState,
) -> SignedDidOperation {
    DidOperation::Update(UpdateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        document: new,
    })
    .sign(&chain(), Some(key_id(signer)), key)
    .unwrap()
}

#[test]
fn create_derives_a_self_certifying_did() {
    for alg in [Algorithm::EdDsa, Algorithm::Es256] {
        let (_, op, state) = create(alg);
        assert_eq!(state.version, 1);
        assert_eq!(state.did, op.operation.did());
        assert_eq!(state.last_operation, op.hash());
        // The DID round-trips through its text form.
        let parsed: RealDid = state.did.as_str().parse().unwrap();
        assert_eq!(parsed, state.did);
        // One DID whether its text was parsed or not yet rendered: equal, and one map key.
        let unrendered = RealDid::from_suffix(*state.did.suffix());
        let keys: std::collections::HashSet<RealDid> = [parsed, unrendered.clone()].into();
        assert_eq!(keys.len(), 1);
        assert_eq!(unrendered.to_string(), state.did.as_str());
        assert!(matches!(
            state.did.as_str().parse::<Did>().unwrap(),
            Did::Realdid(_)
        ));
    }
}

#[test]
fn the_same_create_twice_is_refused() {
    let (_, op, state) = create(Algorithm::EdDsa);
    let err = apply(&chain(), Some(&state), &op).unwrap_err();
    assert!(matches!(err, DidError::AlreadyExists { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Rejected);
}

#[test]
fn an_operation_signed_for_another_chain_is_refused() {
    // The same keys hold the same DID on a test network and on the main chain: without the
    // chain in the signature, every operation made on one would replay on the other.
    let elsewhere = realdid_core::codec::ChainId::parse("another-chain").unwrap();
    let (holder, create_here, state) = create(Algorithm::EdDsa);
    let create_there =
        create_here
            .operation
            .clone()
            .sign(&elsewhere, Some(key_id("device")), &holder.device);
    let err = apply(&chain(), None, &create_there.unwrap()).unwrap_err();
    assert!(matches!(err, DidError::BadSignature { .. }), "{err}");

    let next = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let update_there = DidOperation::Update(UpdateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        document: doc(&next),
    })
    .sign(&elsewhere, Some(key_id("device")), &holder.device)
    .unwrap();
    let err = apply(&chain(), Some(&state), &update_there).unwrap_err();
    assert!(matches!(err, DidError::BadSignature { .. }), "{err}");
    // The same update, signed for this chain, applies: only the chain differed.
    let update_here = DidOperation::Update(UpdateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        document: doc(&next),
    })
    .sign(&chain(), Some(key_id("device")), &holder.device)
    .unwrap();
    assert_eq!(
        apply(&chain(), Some(&state), &update_here).unwrap().version,
        2
    );

    let deactivate_there = DidOperation::Deactivate(DeactivateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        recovery_key: holder.recovery.public_key(),
    })
    .sign(&elsewhere, None, &holder.recovery)
    .unwrap();
    let err = apply(&chain(), Some(&state), &deactivate_there).unwrap_err();
    assert!(matches!(err, DidError::BadSignature { .. }), "{err}");
}

#[test]
fn create_signed_by_a_key_outside_the_document_is_refused() {
    let holder = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let thief = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let op = DidOperation::Create(CreateOp {
        document: doc(&holder),
        recovery_commitment: RecoveryCommitment::to(&thief.public_key()),
    })
    .sign(&chain(), Some(key_id("device")), &thief)
    .unwrap();
    let err = apply(&chain(), None, &op).unwrap_err();
    assert!(
        matches!(
            err,
            DidError::BadSignature {
                operation: "create",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn update_rotates_keys_and_the_old_key_loses_control() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let new_key = SigningKey::generate(Algorithm::Es256).unwrap();
    let mut new_doc = doc(&new_key);
    new_doc.keys[0].id = key_id("device-2");
    new_doc.services.push(ServiceEntry {
        id: key_id("inbox"),
        service_type: "LinkedDomains".into(),
        endpoint: "https://example.com".into(),
    });
    let op = update(&state, "device", &holder.device, new_doc.clone());
    let v2 = apply(&chain(), Some(&state), &op).unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.document, new_doc);

    // The old device key is gone: an update it signs is refused.
    let err = apply(
        &chain(),
        Some(&v2),
        &update(&v2, "device", &holder.device, doc(&holder.device)),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DidError::UnauthorisedKey {
                reason: "not in the document",
                ..
            }
        ),
        "{err}"
    );
    // The new key works.
    let v3 = apply(
        &chain(),
        Some(&v2),
        &update(&v2, "device-2", &new_key, doc(&new_key)),
    )
    .unwrap();
    assert_eq!(v3.version, 3);
}

#[test]
fn replayed_update_is_stale() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let op = update(&state, "device", &holder.device, doc(&holder.device));
    let v2 = apply(&chain(), Some(&state), &op).unwrap();
    let err = apply(&chain(), Some(&v2), &op).unwrap_err();
    assert!(matches!(err, DidError::StaleOperation { .. }), "{err}");
}

#[test]
fn update_signed_by_the_wrong_key_is_refused() {
    let (_, _, state) = create(Algorithm::EdDsa);
    let other = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let err = apply(
        &chain(),
        Some(&state),
        &update(&state, "device", &other, doc(&other)),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DidError::BadSignature {
                operation: "update",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[test]
fn update_by_a_key_without_capability_invocation_is_refused() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let auth_only = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let mut two = doc(&holder.device);
    two.keys.push(VerificationKey {
        id: key_id("auth"),
        key: auth_only.public_key(),
        purposes: Purposes::AUTHENTICATION,
    });
    let v2 = apply(
        &chain(),
        Some(&state),
        &update(&state, "device", &holder.device, two),
    )
    .unwrap();
    let err = apply(
        &chain(),
        Some(&v2),
        &update(&v2, "auth", &auth_only, doc(&auth_only)),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DidError::UnauthorisedKey {
                reason: "lacks capabilityInvocation",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn documents_that_break_the_rules_are_refused() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let mut no_controller = doc(&holder.device);
    no_controller.keys[0].purposes = Purposes::AUTHENTICATION;
    let mut duplicate = doc(&holder.device);
    duplicate.keys.push(duplicate.keys[0].clone());
    let mut bad_service = doc(&holder.device);
    bad_service.services.push(ServiceEntry {
        id: key_id("s"),
        service_type: "X".into(),
        endpoint: "has space".into(),
    });
    for (name, d) in [
        ("no controller", no_controller),
        ("duplicate", duplicate),
        ("bad service", bad_service),
    ] {
        let err = apply(
            &chain(),
            Some(&state),
            &update(&state, "device", &holder.device, d),
        )
        .unwrap_err();
        assert!(
            matches!(err, DidError::InvalidDocument { .. }),
            "{name}: {err}"
        );
    }
}

fn recover_op(
    state: &DidState,
    recovery: &SigningKey,
    new_doc: DocumentState,
    next: &SigningKey,
) -> SignedDidOperation {
    DidOperation::Recover(RecoverOp {
        did: state.did.clone(),
        previous: state.last_operation,
        recovery_key: recovery.public_key(),
        document: new_doc,
        next_recovery_commitment: RecoveryCommitment::to(&next.public_key()),
    })
    .sign(&chain(), None, recovery)
    .unwrap()
}

#[test]
fn recovery_with_the_committed_key_replaces_the_lost_device() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let new_device = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let next_recovery = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let op = recover_op(&state, &holder.recovery, doc(&new_device), &next_recovery);
    let v2 = apply(&chain(), Some(&state), &op).unwrap();
    assert_eq!(v2.document.keys[0].key, new_device.public_key());
    assert_eq!(
        v2.recovery_commitment,
        Some(RecoveryCommitment::to(&next_recovery.public_key()))
    );

    // The used recovery key is spent.
    let again = recover_op(&v2, &holder.recovery, doc(&holder.device), &holder.device);
    let err = apply(&chain(), Some(&v2), &again).unwrap_err();
    assert!(matches!(err, DidError::RecoveryKeyMismatch { .. }), "{err}");
}

#[test]
fn recovery_supersedes_updates_made_since_its_signer_looked() {
    // A thief holding the device key updates the DID after the owner read it; the owner's
    // recovery, built on what the owner saw, still takes the DID back, and so does a
    // deactivation. An update naming an old operation stays stale.
    let (holder, _, seen) = create(Algorithm::EdDsa);
    let thief = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let mut current = seen.clone();
    for _ in 0..3 {
        let op = update(&current, "device", &holder.device, doc(&holder.device));
        current = apply(&chain(), Some(&current), &op).unwrap();
    }
    let stale = update(&seen, "device", &holder.device, doc(&thief));
    let err = apply(&chain(), Some(&current), &stale).unwrap_err();
    assert!(matches!(err, DidError::StaleOperation { .. }), "{err}");

    let new_device = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let next = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let recovered = apply(
        &chain(),
        Some(&current),
        &recover_op(&seen, &holder.recovery, doc(&new_device), &next),
    )
    .unwrap();
    assert_eq!(recovered.version, current.version + 1);
    assert_eq!(recovered.document.keys[0].key, new_device.public_key());
    // The thief's key lost all power: `device` now names the owner's new key.
    let err = apply(
        &chain(),
        Some(&recovered),
        &update(&recovered, "device", &holder.device, doc(&thief)),
    )
    .unwrap_err();
    assert!(matches!(err, DidError::BadSignature { .. }), "{err}");

    let deactivate = DidOperation::Deactivate(DeactivateOp {
        did: seen.did.clone(),
        previous: seen.last_operation,
        recovery_key: holder.recovery.public_key(),
    })
    .sign(&chain(), None, &holder.recovery)
    .unwrap();
    assert!(
        apply(&chain(), Some(&current), &deactivate)
            .unwrap()
            .is_deactivated()
    );
}

#[test]
fn recovery_by_another_key_or_reusing_the_commitment_is_refused() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let thief = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let err = apply(
        &chain(),
        Some(&state),
        &recover_op(&state, &thief, doc(&thief), &thief),
    )
    .unwrap_err();
    assert!(matches!(err, DidError::RecoveryKeyMismatch { .. }), "{err}");

    let reuse = recover_op(
        &state,
        &holder.recovery,
        doc(&holder.device),
        &holder.recovery,
    );
    let err = apply(&chain(), Some(&state), &reuse).unwrap_err();
    assert!(
        matches!(err, DidError::RecoveryCommitmentReused { .. }),
        "{err}"
    );
}

#[test]
fn deactivation_is_final() {
    let (holder, _, state) = create(Algorithm::Es256);
    let op = DidOperation::Deactivate(DeactivateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        recovery_key: holder.recovery.public_key(),
    })
    .sign(&chain(), None, &holder.recovery)
    .unwrap();
    let dead = apply(&chain(), Some(&state), &op).unwrap();
    assert!(dead.is_deactivated());
    assert!(dead.document.keys.is_empty());
    let doc_json = serde_json::to_value(realdid_document(&dead).unwrap()).unwrap();
    assert!(doc_json.get("verificationMethod").is_none());

    let err = apply(
        &chain(),
        Some(&dead),
        &update(&dead, "device", &holder.device, doc(&holder.device)),
    )
    .unwrap_err();
    assert!(matches!(err, DidError::Deactivated { .. }), "{err}");
}

#[test]
fn deactivation_signed_by_the_device_key_is_refused() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let op = DidOperation::Deactivate(DeactivateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        recovery_key: holder.device.public_key(),
    })
    .sign(&chain(), None, &holder.device)
    .unwrap();
    let err = apply(&chain(), Some(&state), &op).unwrap_err();
    assert!(matches!(err, DidError::RecoveryKeyMismatch { .. }), "{err}");
}

#[test]
fn operations_on_an_unknown_did_are_not_found() {
    let (holder, _, state) = create(Algorithm::EdDsa);
    let err = apply(
        &chain(),
        None,
        &update(&state, "device", &holder.device, doc(&holder.device)),
    )
    .unwrap_err();
    assert!(matches!(err, DidError::NotFound { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn rendered_document_lists_keys_by_purpose() {
    let (_, _, state) = create(Algorithm::EdDsa);
    let json = serde_json::to_value(realdid_document(&state).unwrap()).unwrap();
    let vm_id = format!("{}#device", state.did);
    assert_eq!(json["id"], state.did.as_str());
    assert_eq!(json["verificationMethod"][0]["id"], vm_id.as_str());
    assert_eq!(json["verificationMethod"][0]["type"], "JsonWebKey2020");
    assert_eq!(
        json["verificationMethod"][0]["publicKeyJwk"]["crv"],
        "Ed25519"
    );
    assert_eq!(json["authentication"][0], vm_id.as_str());
    assert_eq!(json["capabilityInvocation"][0], vm_id.as_str());
    assert!(json.get("assertionMethod").is_none());
}

#[test]
fn did_parsing_names_what_is_wrong() {
    for (input, reason) in [
        ("did:web:example.com", "method"),
        ("did:realdid:0OIl", "base58"),
        ("did:realdid:abc", "32 bytes"),
        ("did:realdid:", "32 bytes"),
    ] {
        let err = input.parse::<Did>().unwrap_err();
        assert!(err.to_string().contains(reason), "{input}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    // A non-canonical encoding (an extra leading '1' = an extra zero byte) is refused.
    let (_, _, state) = create(Algorithm::EdDsa);
    let padded = state.did.as_str().replace("did:realdid:", "did:realdid:1");
    assert!(padded.parse::<RealDid>().is_err());
    for bad in ["", "has space", "a#b", &"x".repeat(33)] {
        assert!(bad.parse::<KeyId>().is_err(), "{bad:?}");
    }
}

proptest::proptest! {
    /// A DID keeps the text it was parsed from instead of rendering it again, which is right
    /// only if no other text names the same 32 bytes: whatever parses must be the bytes' own
    /// rendering, leading '1's (zero bytes) included.
    #[test]
    fn only_the_canonical_text_of_a_suffix_parses(
        ones in 0usize..4,
        tail in "[1-9A-HJ-NP-Za-km-z]{38,45}",
    ) {
        let text = format!("did:realdid:{}{tail}", "1".repeat(ones));
        if let Ok(did) = text.parse::<RealDid>() {
            let rendered = RealDid::from_suffix(*did.suffix());
            proptest::prop_assert_eq!(rendered.as_str(), text.as_str());
            proptest::prop_assert_eq!(did.as_str(), text.as_str());
        }
    }

    #[test]
    fn every_suffix_round_trips_through_its_text(suffix in proptest::array::uniform32(0u8..4)) {
        let did = RealDid::from_suffix(suffix);
        let parsed: RealDid = did
            .as_str()
            .parse()
            .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}")))?;
        proptest::prop_assert_eq!(parsed.suffix(), &suffix);
    }
}
