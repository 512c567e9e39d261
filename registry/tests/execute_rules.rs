//! Block execution rules: every rejection reason, with real signed transactions, and the
//! block-level behaviour (in-block dependencies, replays, greedy block building).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use commonware_codec::{Copying, Decode as _};
use execute_support::{
    HOLDER_TAG, Holder, MemChain, OPENING, accredit_action, document, fresh_key, genesis_header,
    hashed, hashes, key_id, test_chain,
};
use realdid_core::codec::{
    ApproverSet, BlockHeader, GovernanceAction, TraceApproval, TraceApprover, Transaction,
};
use realdid_core::did::{
    CreateOp, DidOperation, DocumentState, Purposes, RecoverOp, RecoveryCommitment, VerificationKey,
};
use realdid_proto::v1::TransactionRejectionReason;
use realdid_registry::execute::{
    self, MAX_APPROVAL_AGE_S, MAX_SEQUENCE_STEP, RejectReason, Rejection,
};
use realdid_registry::state::keys::{StateKey, utc_day};
use realdid_registry::state::records::{
    AuditAnchorRecord, DidRecord, IssuerRecord, NonceRecord, StatusAnchorRecord, TransparencyCounts,
};

fn decode<T: commonware_codec::Read<Cfg = ()>>(bytes: &[u8]) -> T {
    T::decode_cfg(Copying(bytes), &()).unwrap()
}

fn rejected(result: Result<(), Rejection>, reason: RejectReason) -> Rejection {
    let rejection = result.expect_err("the transaction should be refused");
    assert_eq!(rejection.reason, reason, "{}", rejection.message);
    assert!(!rejection.message.is_empty());
    rejection
}

fn did_record(chain: &MemChain, holder: &Holder) -> DidRecord {
    decode(&chain.state[&StateKey::Did(holder.did())])
}

#[test]
fn a_block_applies_one_operation_per_did() {
    let mut chain = MemChain::new();
    let (mut holder, create) = Holder::create();
    let update = holder.rotate();
    // A block with two operations on one DID is invalid, whatever their order.
    let (index, rejection) = chain.block(&[create.clone(), update.clone()]).unwrap_err();
    assert_eq!((index, rejection.reason), (1, RejectReason::Stale));
    assert!(
        rejection.message.contains("at most one"),
        "{}",
        rejection.message
    );
    assert_eq!(chain.height, 0, "an invalid block changes nothing");

    // A builder leaves the second for the next block, without refusing it.
    let ctx = chain.ctx();
    let mut candidates = vec![create.clone(), update.clone()].into_iter();
    let (included, _, rejections) =
        execute::build_block(&chain.state, &ctx, hashed(&mut candidates), 10).unwrap();
    assert_eq!(included, vec![create.clone()]);
    assert!(rejections.is_empty());

    let executed = chain.block(&[create]).unwrap();
    assert_eq!(executed.dids.len(), 1);
    chain.block(&[update]).unwrap();
    let record = did_record(&chain, &holder);
    assert_eq!(record.state, holder.state);
    assert_eq!(record.state.version, 2);
    assert_eq!((record.created_height, record.updated_height), (1, 2));

    // A later update keeps the creation height and time.
    let created_ms = record.created_ms;
    let again = holder.rotate();
    chain.block(&[again]).unwrap();
    let record = did_record(&chain, &holder);
    assert_eq!(record.state.version, 3);
    assert_eq!((record.created_height, record.updated_height), (1, 3));
    assert_eq!(record.created_ms, created_ms);
    assert!(record.updated_ms > created_ms);
}

#[test]
fn a_recovery_wins_over_a_thiefs_updates() {
    let mut chain = MemChain::new();
    let (mut owner, create) = Holder::create();
    chain.block(&[create]).unwrap();
    // The thief holds the device key and keeps updating; the owner recovers from the state
    // it saw before the thief's first update.
    let seen = owner.state.clone();
    let thief_first = owner.rotate();
    chain.block(&[thief_first]).unwrap();
    let thief_next = owner.rotate();
    let recovery = DidOperation::Recover(RecoverOp {
        did: seen.did.clone(),
        previous: seen.last_operation,
        recovery_key: owner.recovery.public_key(),
        document: document(&fresh_key(), &owner.issuing),
        next_recovery_commitment: RecoveryCommitment::to(&fresh_key().public_key()),
    })
    .sign(&test_chain(), None, &owner.recovery)
    .unwrap();
    let recovery = Transaction::Did(recovery);
    // Candidates as the pool hands them: recoveries before updates.
    let ctx = chain.ctx();
    let (included, _, rejections) = execute::build_block(
        &chain.state,
        &ctx,
        hashed(vec![recovery.clone(), thief_next.clone()]),
        10,
    )
    .unwrap();
    assert_eq!(included, vec![recovery.clone()]);
    assert!(rejections.is_empty(), "the update waits for the next block");
    chain.block(&included).unwrap();
    // In the next block the thief's update is void: built on a superseded state, by a key
    // the recovery removed.
    let void = chain.check(&thief_next).unwrap_err();
    assert_eq!(void.reason, RejectReason::Stale, "{void}");
    assert_eq!(did_record(&chain, &owner).state.version, 3);
}

#[test]
fn replayed_did_operations_are_refused() {
    let mut chain = MemChain::new();
    let (mut holder, create) = Holder::create();
    chain.block(std::slice::from_ref(&create)).unwrap();
    rejected(chain.check(&create), RejectReason::DidAlreadyExists);

    let update = holder.rotate();
    chain.block(std::slice::from_ref(&update)).unwrap();
    rejected(chain.check(&update), RejectReason::Stale);

    // The same operation twice in one block: the second copy is stale.
    let next = holder.rotate();
    let (index, rejection) = chain.block(&[next.clone(), next]).unwrap_err();
    assert_eq!(index, 1);
    assert_eq!(rejection.reason, RejectReason::Stale);
}

#[test]
fn did_updates_need_the_right_key() {
    let mut chain = MemChain::new();
    let (holder, create) = Holder::create();
    chain.block(&[create]).unwrap();
    let doc = document(&fresh_key(), &holder.issuing);

    // The device key id, but another key signed: the signature does not verify.
    let forged = holder.update_signed_by("device", &fresh_key(), doc.clone());
    rejected(
        chain.check(&Transaction::Did(forged)),
        RejectReason::BadSignature,
    );

    // A key without capabilityInvocation may not update.
    let by_issuing = holder.update_signed_by("issuing", &holder.issuing, doc.clone());
    rejected(
        chain.check(&Transaction::Did(by_issuing)),
        RejectReason::Unauthorized,
    );

    // A key id the document does not have.
    let unknown = holder.update_signed_by("other", &holder.device, doc.clone());
    rejected(
        chain.check(&Transaction::Did(unknown)),
        RejectReason::Unauthorized,
    );

    // A document that breaks the method rules (no controller key left).
    let no_controller = DocumentState {
        keys: vec![VerificationKey {
            id: key_id("issuing"),
            key: holder.issuing.public_key(),
            purposes: Purposes::ASSERTION_METHOD,
        }],
        services: vec![],
    };
    let bad_doc = holder.update_signed_by("device", &holder.device, no_controller);
    rejected(
        chain.check(&Transaction::Did(bad_doc)),
        RejectReason::InvalidDidOperation,
    );

    // The right key passes.
    let good = holder.update_signed_by("device", &holder.device, doc);
    chain.check(&Transaction::Did(good)).unwrap();
}

#[test]
fn operations_on_missing_or_deactivated_dids_are_refused() {
    let mut chain = MemChain::new();
    let (mut holder, create) = Holder::create();
    let update = holder.rotate();
    rejected(chain.check(&update), RejectReason::DidNotFound);

    chain.block(&[create]).unwrap();
    let (mut holder2, create2) = Holder::create();
    chain.block(&[create2]).unwrap();
    let deactivate = holder2.deactivate();
    chain.block(&[deactivate]).unwrap();
    assert!(did_record(&chain, &holder2).state.is_deactivated());
    let after = holder2.update_signed_by(
        "device",
        &holder2.device,
        document(&holder2.device, &holder2.issuing),
    );
    rejected(
        chain.check(&Transaction::Did(after)),
        RejectReason::DidDeactivated,
    );
}

#[test]
fn recovery_rules_map_to_their_reasons() {
    let mut chain = MemChain::new();
    let (holder, create) = Holder::create();
    chain.block(&[create]).unwrap();
    let recover = |recovery: &realdid_core::keys::SigningKey,
                   next: &realdid_core::keys::SigningKey| {
        Transaction::Did(
            DidOperation::Recover(RecoverOp {
                did: holder.did(),
                previous: holder.state.last_operation,
                recovery_key: recovery.public_key(),
                document: document(&holder.device, &holder.issuing),
                next_recovery_commitment: RecoveryCommitment::to(&next.public_key()),
            })
            .sign(&test_chain(), None, recovery)
            .unwrap(),
        )
    };
    // A thief's recovery key does not match the commitment.
    let thief = fresh_key();
    rejected(
        chain.check(&recover(&thief, &thief)),
        RejectReason::Unauthorized,
    );
    // Re-committing to the same recovery key breaks the method's rule.
    rejected(
        chain.check(&recover(&holder.recovery, &holder.recovery)),
        RejectReason::InvalidDidOperation,
    );
    chain
        .check(&recover(&holder.recovery, &fresh_key()))
        .unwrap();
}

#[test]
fn create_with_an_invalid_document_is_an_invalid_operation() {
    let chain = MemChain::new();
    let device = fresh_key();
    let op = DidOperation::Create(CreateOp {
        document: DocumentState {
            keys: vec![
                VerificationKey {
                    id: key_id("device"),
                    key: device.public_key(),
                    purposes: Purposes::CAPABILITY_INVOCATION,
                },
                VerificationKey {
                    id: key_id("device"),
                    key: fresh_key().public_key(),
                    purposes: Purposes::AUTHENTICATION,
                },
            ],
            services: vec![],
        },
        recovery_commitment: RecoveryCommitment::to(&fresh_key().public_key()),
    })
    .sign(&test_chain(), Some(key_id("device")), &device)
    .unwrap();
    rejected(
        chain.check(&Transaction::Did(op)),
        RejectReason::InvalidDidOperation,
    );
}

#[test]
fn governance_needs_a_quorum_of_distinct_governance_keys() {
    let mut chain = MemChain::new();
    let (holder, create) = Holder::create();
    chain.block(&[create]).unwrap();
    let council = &chain.council;
    let action = accredit_action(&holder.did());

    // Two of four keys, threshold three.
    let two = council.decide(action.clone(), 1, &[0, 1]);
    rejected(chain.check(&two), RejectReason::Unauthorized);
    // The same key three times counts once.
    let repeated = council.decide(action.clone(), 1, &[2, 2, 2]);
    rejected(chain.check(&repeated), RejectReason::Unauthorized);
    // Keys outside the governance set do not count.
    let mut outsiders = council.decide(action.clone(), 1, &[0, 1]);
    if let Transaction::Governance(g) = &mut outsiders {
        let stranger = fresh_key();
        g.approvals.push(
            realdid_core::codec::GovernanceTx::approve(&test_chain(), &action, 1, &stranger)
                .unwrap(),
        );
    }
    rejected(chain.check(&outsiders), RejectReason::Unauthorized);
    // A governance key's approval over another nonce is a forged approval here.
    let mut forged = council.decide(action.clone(), 1, &[0, 1]);
    if let Transaction::Governance(g) = &mut forged {
        g.approvals.push(
            realdid_core::codec::GovernanceTx::approve(&test_chain(), &action, 2, &council.keys[3])
                .unwrap(),
        );
    }
    rejected(chain.check(&forged), RejectReason::BadSignature);
    // Approvals by every governance key, made for another chain run by the same keys,
    // decide nothing here.
    let elsewhere = realdid_core::codec::ChainId::parse("another-chain").unwrap();
    let replayed = Transaction::Governance(
        realdid_core::codec::GovernanceTx::approved(&elsewhere, action.clone(), 1, &council.keys)
            .unwrap(),
    );
    rejected(chain.check(&replayed), RejectReason::BadSignature);

    let three = council.decide(action, 1, &[1, 2, 3]);
    let executed = chain.block(std::slice::from_ref(&three)).unwrap();
    let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(holder.did())]);
    assert!(record.is_accredited());
    assert_eq!(record.accredited_height, chain.height);
    assert_eq!(
        record.credential_types,
        vec!["https://vct.example/real-name".to_string()]
    );
    let nonce: NonceRecord = decode(&chain.state[&StateKey::GovernanceNonce(1)]);
    assert_eq!(nonce.height, chain.height);
    // The issuer's entry, its place in the register, the register's size, the nonce.
    assert_eq!(executed.writes.len(), 4);

    // The same decision again: its nonce is used.
    rejected(chain.check(&three), RejectReason::Stale);
}

#[test]
fn accreditation_and_removal_check_the_issuer() {
    let mut chain = MemChain::new();
    let (mut holder, create) = Holder::create();
    // Not on chain yet.
    let early = chain.council.accredit(&holder.did(), 1);
    rejected(chain.check(&early), RejectReason::DidNotFound);
    // Not accredited: cannot be removed.
    chain.block(&[create]).unwrap();
    let removal = chain.council.remove(&holder.did(), 2);
    rejected(chain.check(&removal), RejectReason::IssuerNotAccredited);
    // An accreditation must name credential types.
    let empty = chain.council.decide(
        GovernanceAction::AccreditIssuer {
            issuer: holder.did(),
            name: "Example".into(),
            credential_types: vec![],
        },
        3,
        &[0, 1, 2],
    );
    rejected(chain.check(&empty), RejectReason::Malformed);

    // Accredit, then remove in the same block: each sees the other's writes.
    let accredit = chain.council.accredit(&holder.did(), 4);
    let remove = chain.council.remove(&holder.did(), 5);
    chain.block(&[accredit, remove]).unwrap();
    let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(holder.did())]);
    let removal_record = record.removed.clone().unwrap();
    assert_eq!(removal_record.height, chain.height);
    assert_eq!(removal_record.reason, "licence withdrawn");
    // Removed twice: refused.
    rejected(
        chain.check(&chain.council.remove(&holder.did(), 6)),
        RejectReason::IssuerNotAccredited,
    );

    // A deactivated DID cannot be accredited.
    let deactivate = holder.deactivate();
    chain.block(&[deactivate]).unwrap();
    rejected(
        chain.check(&chain.council.accredit(&holder.did(), 7)),
        RejectReason::DidDeactivated,
    );
}

#[test]
fn the_register_lists_each_issuer_once_in_order_of_first_accreditation() {
    use realdid_registry::state::records::{RegisterEntry, RegisterSize};

    let mut chain = MemChain::new();
    let (a, create_a) = Holder::create();
    let (b, create_b) = Holder::create();
    chain.block(&[create_a, create_b]).unwrap();
    assert!(!chain.state.contains_key(&StateKey::RegisterSize));
    // Two first accreditations in one block take two places, in block order.
    chain
        .block(&[
            chain.council.accredit(&b.did(), 1),
            chain.council.accredit(&a.did(), 2),
        ])
        .unwrap();
    let first_height = chain.height;
    let size: RegisterSize = decode(&chain.state[&StateKey::RegisterSize]);
    assert_eq!(size.count, 2);
    let place = |chain: &MemChain, i| -> RegisterEntry {
        decode(&chain.state[&StateKey::RegisterEntry(i)])
    };
    assert_eq!(place(&chain, 0).issuer, b.did());
    assert_eq!(place(&chain, 1).issuer, a.did());
    assert_eq!(place(&chain, 1).height, first_height);
    // Re-accreditation, removal and accreditation again keep each issuer in its place.
    chain.block(&[chain.council.accredit(&a.did(), 3)]).unwrap();
    chain.block(&[chain.council.remove(&b.did(), 4)]).unwrap();
    chain.block(&[chain.council.accredit(&b.did(), 5)]).unwrap();
    let size: RegisterSize = decode(&chain.state[&StateKey::RegisterSize]);
    assert_eq!(size.count, 2, "the register grows only by new issuers");
    assert_eq!(place(&chain, 0).issuer, b.did());
    assert_eq!(place(&chain, 0).height, first_height);
    assert!(!chain.state.contains_key(&StateKey::RegisterEntry(2)));
}

fn approvers(n: u8) -> Vec<TraceApprover> {
    (1..=n)
        .map(|i| TraceApprover {
            id: format!("judge-{i}"),
            signing_key: fresh_key().public_key(),
            hpke_key: [i; 32],
        })
        .collect()
}

/// The approver set is what lets the chain refuse an opening too few approved, so only a
/// governance quorum may name it, only for an accredited issuer, and never a set in which
/// one party alone, or one party twice, could make up the threshold.
#[test]
fn trace_approvers_are_named_by_governance_for_an_accredited_issuer() {
    let mut chain = MemChain::new();
    let (holder, create) = Holder::create();
    chain.block(&[create]).unwrap();
    let set = |threshold, approvers| GovernanceAction::SetTraceApprovers {
        issuer: holder.did(),
        set: ApproverSet {
            threshold,
            approvers,
        },
    };
    // Not accredited yet.
    let early = chain.council.decide(set(2, approvers(3)), 1, &[0, 1, 2]);
    rejected(chain.check(&early), RejectReason::IssuerNotAccredited);
    chain
        .block(&[chain.council.accredit(&holder.did(), 2)])
        .unwrap();
    // Without a quorum of governors.
    let short = chain.council.decide(set(2, approvers(3)), 3, &[0, 1]);
    rejected(chain.check(&short), RejectReason::Unauthorized);
    // One approver alone, more than there are, one key twice.
    let alone = chain.council.decide(set(1, approvers(3)), 4, &[0, 1, 2]);
    rejected(chain.check(&alone), RejectReason::Malformed);
    let beyond = chain.council.decide(set(4, approvers(3)), 5, &[0, 1, 2]);
    rejected(chain.check(&beyond), RejectReason::Malformed);
    let mut doubled = approvers(3);
    doubled[2].signing_key = doubled[0].signing_key.clone();
    let twice = chain.council.decide(set(2, doubled), 6, &[0, 1, 2]);
    rejected(chain.check(&twice), RejectReason::Malformed);

    // Named: the record carries them and the height.
    let named = approvers(3);
    chain
        .block(&[chain.council.decide(set(2, named.clone()), 7, &[0, 1, 2])])
        .unwrap();
    let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(holder.did())]);
    let on_chain = record.trace_approvers.clone().unwrap();
    assert_eq!(on_chain.set.threshold, 2);
    assert_eq!(on_chain.set.approvers, named);
    assert_eq!(on_chain.height, chain.height);
    // A re-accreditation keeps them; a new decision replaces them (an approver removed).
    chain
        .block(&[chain.council.accredit(&holder.did(), 8)])
        .unwrap();
    let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(holder.did())]);
    assert_eq!(record.trace_approvers.unwrap().set.approvers, named);
    let fewer = named[..2].to_vec();
    chain
        .block(&[chain.council.decide(set(2, fewer.clone()), 9, &[1, 2, 3])])
        .unwrap();
    let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(holder.did())]);
    assert_eq!(record.trace_approvers.unwrap().set.approvers, fewer);
}

#[test]
fn status_anchors_go_forward_and_need_an_accredited_signer() {
    let mut chain = MemChain::new();
    let issuer = chain.issuer();
    let list = "https://issuer.example/status/1";

    rejected(
        chain.check(&issuer.status_anchor(list, 0)),
        RejectReason::Malformed,
    );
    // Signed by the controller key, which lacks assertionMethod.
    let by_device = issuer.status_anchor_signed("device", &issuer.device, list, 1);
    rejected(chain.check(&by_device), RejectReason::Unauthorized);
    // The issuing key id, another key's signature.
    let forged = issuer.status_anchor_signed("issuing", &fresh_key(), list, 1);
    rejected(chain.check(&forged), RejectReason::BadSignature);
    // The issuer's own key, for another chain (a test network's anchor, whose sequence
    // would make this chain's own anchors of the list look old).
    let elsewhere = realdid_core::codec::ChainId::parse("another-chain").unwrap();
    let replayed = Transaction::StatusAnchor(
        realdid_core::codec::StatusListAnchor::sign(
            &elsewhere,
            issuer.did(),
            list.into(),
            1_000,
            [9; 32],
            realdid_core::status_list::StatusTally::default(),
            key_id("issuing"),
            &issuer.issuing,
        )
        .unwrap(),
    );
    rejected(chain.check(&replayed), RejectReason::BadSignature);

    let first = issuer.status_anchor(list, 3);
    chain.block(std::slice::from_ref(&first)).unwrap();
    let record: StatusAnchorRecord = decode(
        &chain.state[&StateKey::StatusList {
            issuer: issuer.did(),
            list_id: list.into(),
        }],
    );
    assert_eq!(record.anchor.sequence, 3);
    assert_eq!(record.height, chain.height);

    // Replays and sequences that do not go forward conflict; other lists are independent.
    rejected(chain.check(&first), RejectReason::AnchorConflict);
    rejected(
        chain.check(&issuer.status_anchor(list, 2)),
        RejectReason::AnchorConflict,
    );
    chain
        .check(&issuer.status_anchor("https://issuer.example/status/2", 1))
        .unwrap();
    let (index, rejection) = chain
        .block(&[issuer.status_anchor(list, 4), issuer.status_anchor(list, 4)])
        .unwrap_err();
    assert_eq!((index, rejection.reason), (1, RejectReason::AnchorConflict));
    chain.block(&[issuer.status_anchor(list, 4)]).unwrap();

    // A jump to the end of the sequences would leave the list unable to move again: refused,
    // naming the bound, as is any jump past it; a jump within it is taken.
    let end = rejected(
        chain.check(&issuer.status_anchor(list, u64::MAX)),
        RejectReason::AnchorConflict,
    );
    assert!(end.message.contains("jumps more than"), "{}", end.message);
    rejected(
        chain.check(&issuer.status_anchor(list, 4 + MAX_SEQUENCE_STEP + 1)),
        RejectReason::AnchorConflict,
    );
    rejected(
        chain
            .check(&issuer.status_anchor("https://issuer.example/status/3", MAX_SEQUENCE_STEP + 1)),
        RejectReason::AnchorConflict,
    );
    chain
        .block(&[issuer.status_anchor(list, 4 + MAX_SEQUENCE_STEP)])
        .unwrap();
}

#[test]
fn anchors_by_issuers_off_the_register_are_refused() {
    let mut chain = MemChain::new();
    let (stranger, create) = Holder::create();
    chain.block(&[create]).unwrap();
    rejected(
        chain.check(&stranger.status_anchor("https://x.example/s", 1)),
        RejectReason::IssuerNotAccredited,
    );
    rejected(
        chain.check(&chain.audit_anchor(&stranger, 1, [1; 32])),
        RejectReason::IssuerNotAccredited,
    );

    let mut issuer = chain.issuer();
    chain
        .check(&chain.audit_anchor(&issuer, 1, [1; 32]))
        .unwrap();
    let remove = chain.council.remove(&issuer.did(), 99);
    chain.block(&[remove]).unwrap();
    rejected(
        chain.check(&chain.audit_anchor(&issuer, 1, [1; 32])),
        RejectReason::IssuerNotAccredited,
    );

    // An accredited issuer whose DID is deactivated cannot anchor.
    let mut chain = MemChain::new();
    issuer = chain.issuer();
    let deactivate = issuer.deactivate();
    chain.block(&[deactivate]).unwrap();
    rejected(
        chain.check(&chain.audit_anchor(&issuer, 1, [1; 32])),
        RejectReason::DidDeactivated,
    );
}

#[test]
fn audit_anchors_are_anchored_once() {
    let mut chain = MemChain::new();
    let issuer = chain.issuer();
    let anchor = chain.audit_anchor(&issuer, 1, [5; 32]);
    chain.block(std::slice::from_ref(&anchor)).unwrap();
    let record: AuditAnchorRecord = decode(
        &chain.state[&StateKey::Audit {
            issuer: issuer.did(),
            sequence: 1,
        }],
    );
    assert_eq!(record.anchor.request_hash, [5; 32]);
    assert_eq!(record.anchor.approvals.len(), 2);
    rejected(chain.check(&anchor), RejectReason::AnchorConflict);
    // Another record under the same sequence conflicts too; a new sequence does not.
    rejected(
        chain.check(&chain.audit_anchor(&issuer, 1, [6; 32])),
        RejectReason::AnchorConflict,
    );
    chain
        .check(&chain.audit_anchor(&issuer, 2, [6; 32]))
        .unwrap();
}

/// The chain, not the issuer's software, decides what k-of-n means: an opening anchored
/// with fewer than k approvals, with one approver counted twice, with a key governance did
/// not name, with a signature over another request, or with an approval too old, is
/// refused, so an issuer cannot open an identity record without the approvers.
#[test]
fn an_opening_needs_k_distinct_approvers_of_the_issuer_on_chain() {
    let mut chain = MemChain::new();
    let issuer = chain.issuer();
    let request = [7; 32];
    let anchor = |approvals| issuer.audit_anchor_approved(1, request, approvals);
    let a0 = chain.approval(&issuer, request, 0);
    let a1 = chain.approval(&issuer, request, 1);

    let short = rejected(
        chain.check(&anchor(vec![a0.clone()])),
        RejectReason::Unauthorized,
    );
    assert!(short.message.contains("needs 2"), "{}", short.message);
    rejected(
        chain.check(&anchor(vec![a0.clone(), a0.clone()])),
        RejectReason::Malformed,
    );
    let stranger = fresh_key();
    let outsider = TraceApproval::sign(
        &test_chain(),
        &issuer.did(),
        &request,
        a0.signed_at_s,
        &stranger,
    )
    .unwrap();
    rejected(
        chain.check(&anchor(vec![a0.clone(), outsider])),
        RejectReason::Unauthorized,
    );
    // Approver 1's approval of another request, moved onto this one.
    let mut moved = chain.approval(&issuer, [8; 32], 1);
    moved.signed_at_s = a1.signed_at_s;
    rejected(
        chain.check(&anchor(vec![a0.clone(), moved])),
        RejectReason::BadSignature,
    );
    let old_at = a1.signed_at_s - MAX_APPROVAL_AGE_S - 1;
    let old = TraceApproval::sign(
        &test_chain(),
        &issuer.did(),
        &request,
        old_at,
        &chain.approvers[1],
    )
    .unwrap();
    rejected(
        chain.check(&anchor(vec![a0.clone(), old])),
        RejectReason::Stale,
    );

    // An issuer without approvers on chain cannot open anything.
    let (bare, create) = Holder::create();
    let accredit = chain.council.accredit(&bare.did(), 77);
    chain.block(&[create, accredit]).unwrap();
    let unnamed = bare.audit_anchor_approved(
        1,
        request,
        vec![
            chain.approval(&bare, request, 0),
            chain.approval(&bare, request, 1),
        ],
    );
    rejected(chain.check(&unnamed), RejectReason::Unauthorized);

    // k distinct approvers: taken, in either order.
    chain.block(&[anchor(vec![a1, a0])]).unwrap();
}

/// Revocations are counted from the tallies the issuer declares with each status-list
/// anchor: summed over its lists, never falling (a revocation is final), suspensions as a
/// level; and day by day, under the block's UTC day, so anyone can read them over time.
#[test]
fn revocations_are_counted_per_issuer_and_day_and_never_fall() {
    let mut chain = MemChain::new();
    let issuer = chain.issuer();
    let totals = |chain: &MemChain| {
        let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(issuer.did())]);
        (record.counts.revocations, record.counts.suspended)
    };
    let day = |chain: &MemChain| {
        let key = StateKey::TransparencyDay {
            issuer: issuer.did(),
            day: utc_day(chain.ctx().timestamp_ms),
        };
        chain
            .state
            .get(&key)
            .map(|bytes| decode::<TransparencyCounts>(bytes))
    };
    let (one, two) = (
        "https://issuer.example/status/1",
        "https://issuer.example/status/2",
    );
    assert_eq!(day(&chain), None, "nothing counted yet");
    chain
        .block(&[issuer.status_anchor_counting(one, 1, 2, 1)])
        .unwrap();
    chain
        .block(&[issuer.status_anchor_counting(two, 1, 3, 0)])
        .unwrap();
    assert_eq!(totals(&chain), (5, 1), "summed over both lists");
    // List one: one more revoked, its suspension lifted.
    chain
        .block(&[issuer.status_anchor_counting(one, 2, 3, 0)])
        .unwrap();
    assert_eq!(totals(&chain), (6, 0));
    let today = day(&chain).expect("the day's count");
    assert_eq!((today.revocations, today.suspended), (6, 0));

    // A falling revoked count would undo a revocation: refused, and nothing counted.
    let undo = rejected(
        chain.check(&issuer.status_anchor_counting(one, 3, 2, 0)),
        RejectReason::AnchorConflict,
    );
    assert!(
        undo.message.contains("undo a revocation"),
        "{}",
        undo.message
    );
    assert_eq!(totals(&chain), (6, 0));

    // The next UTC day starts its own count; the totals carry on.
    chain.later_ms += 86_400_000;
    assert_eq!(day(&chain), None, "a new day starts empty");
    chain
        .block(&[issuer.status_anchor_counting(two, 2, 4, 2)])
        .unwrap();
    let next = day(&chain).expect("the next day's count");
    assert_eq!((next.revocations, next.suspended, next.openings), (1, 2, 0));
    assert_eq!(totals(&chain), (7, 2));
    // An opening the same day lands in that day's count too.
    let opening = chain.audit_anchor(&issuer, 1, [1; 32]);
    chain.block(&[opening]).unwrap();
    let next = day(&chain).expect("the next day's count");
    assert_eq!((next.openings, next.revocations, next.suspended), (1, 1, 2));
}

/// Every opening moves the issuer's public count in the same block, and its disclosure is
/// accepted once, by the issuer, only when it opens the commitment the anchor carries: the
/// tag a wallet recognises is the one fixed when the trace was opened.
#[test]
fn openings_are_counted_and_disclosed_once_with_the_committed_tag() {
    let mut chain = MemChain::new();
    let issuer = chain.issuer();
    let count = |chain: &MemChain| {
        let record: IssuerRecord = decode(&chain.state[&StateKey::Issuer(issuer.did())]);
        (
            record.counts.openings,
            record.last_audit_sequence,
            record.counts.disclosures,
        )
    };
    assert_eq!(count(&chain), (0, 0, 0));
    rejected(
        chain.check(&issuer.disclosure(1, HOLDER_TAG, OPENING)),
        RejectReason::AnchorConflict,
    );
    let first = chain.audit_anchor(&issuer, 1, [1; 32]);
    chain.block(&[first]).unwrap();
    let third = chain.audit_anchor(&issuer, 3, [3; 32]);
    chain.block(&[third]).unwrap();
    assert_eq!(
        count(&chain),
        (2, 3, 0),
        "two openings, the last at sequence 3"
    );

    // Another tag, or the right tag with another opening, does not open the commitment.
    rejected(
        chain.check(&issuer.disclosure(1, [8; 32], OPENING)),
        RejectReason::Malformed,
    );
    rejected(
        chain.check(&issuer.disclosure(1, HOLDER_TAG, [11; 32])),
        RejectReason::Malformed,
    );
    // Only the issuer discloses its own openings.
    let (stranger, create) = Holder::create();
    chain.block(&[create]).unwrap();
    let forged = Transaction::Disclosure(
        realdid_core::codec::TraceDisclosure::sign(
            &test_chain(),
            issuer.did(),
            1,
            HOLDER_TAG,
            OPENING,
            key_id("issuing"),
            &stranger.issuing,
        )
        .unwrap(),
    );
    rejected(chain.check(&forged), RejectReason::BadSignature);

    chain
        .block(&[issuer.disclosure(1, HOLDER_TAG, OPENING)])
        .unwrap();
    let record: AuditAnchorRecord = decode(
        &chain.state[&StateKey::Audit {
            issuer: issuer.did(),
            sequence: 1,
        }],
    );
    let disclosed = record.disclosure.expect("disclosed");
    assert_eq!(disclosed.holder_tag, HOLDER_TAG);
    assert_eq!(disclosed.height, chain.height);
    assert_eq!(count(&chain), (2, 3, 1));
    rejected(
        chain.check(&issuer.disclosure(1, HOLDER_TAG, OPENING)),
        RejectReason::AnchorConflict,
    );
}

#[test]
fn an_issuer_created_and_accredited_in_one_block_may_anchor_in_it() {
    let mut chain = MemChain::new();
    let (issuer, create) = Holder::create();
    let accredit = chain.council.accredit(&issuer.did(), 1);
    let approvers = chain
        .council
        .set_approvers(&issuer.did(), 2, 2, &chain.approvers);
    let anchor = chain.audit_anchor(&issuer, 1, [1; 32]);
    // In the wrong order the anchor fails at its index; in the right order all pass.
    let (index, rejection) = chain
        .block(&[
            anchor.clone(),
            create.clone(),
            accredit.clone(),
            approvers.clone(),
        ])
        .unwrap_err();
    assert_eq!(
        (index, rejection.reason),
        (0, RejectReason::IssuerNotAccredited)
    );
    assert_eq!(chain.height, 0, "an invalid block changes nothing");
    chain.block(&[create, accredit, approvers, anchor]).unwrap();
}

#[test]
fn build_block_drops_failing_candidates_and_respects_the_limit() {
    let chain = MemChain::new();
    let (mut a, create_a) = Holder::create();
    let (b, create_b) = Holder::create();
    let update_a = a.rotate();
    let orphan_update = {
        let (mut c, _) = Holder::create();
        c.rotate()
    };
    let candidates = vec![
        update_a.clone(), // before its create: DidNotFound, dropped
        create_a.clone(),
        orphan_update.clone(),
        create_a.clone(), // a second operation on DID a: left for a later block
        create_b.clone(),
        b.status_anchor("https://l.example/1", 1), // not accredited
    ];
    let ctx = chain.ctx();
    let (included, executed, rejections) =
        execute::build_block(&chain.state, &ctx, hashed(candidates.clone()), 10).unwrap();
    assert_eq!(included, vec![create_a.clone(), create_b.clone()]);
    assert_eq!(executed.tx_hashes, vec![create_a.hash(), create_b.hash()]);
    let reasons: Vec<_> = rejections.iter().map(|(h, r)| (*h, r.reason)).collect();
    assert_eq!(
        reasons,
        vec![
            (update_a.hash(), RejectReason::DidNotFound),
            (orphan_update.hash(), RejectReason::DidNotFound),
            (candidates[5].hash(), RejectReason::IssuerNotAccredited),
        ]
    );
    // What the builder included is a valid block with the same writes.
    let replay = execute::execute_block(&chain.state, &ctx, &included, &hashes(&included))
        .unwrap()
        .unwrap();
    assert_eq!(replay, executed);

    // At most max_txs, and candidates past the limit are left in the iterator.
    let mut rest = candidates.into_iter().skip(1);
    let (included, _, rejections) =
        execute::build_block(&chain.state, &ctx, hashed(&mut rest), 1).unwrap();
    assert_eq!(included, vec![create_a]);
    assert!(rejections.is_empty());
    assert_eq!(rest.next(), Some(orphan_update));
}

#[test]
fn build_block_stays_within_the_block_length_whatever_the_candidates() {
    use commonware_codec::{Encode as _, EncodeSize as _};
    use realdid_core::codec::{Block, MAX_BLOCK_LEN, transactions_root};

    let chain = MemChain::new();
    let candidates: Vec<Transaction> = (0..520).map(|i| Holder::create_padded(i).1).collect();
    let offered: usize = candidates.iter().map(|tx| tx.encode_size()).sum();
    assert!(offered > MAX_BLOCK_LEN, "the candidates overfill a block");
    let ctx = chain.ctx();
    let (included, _, rejections) =
        execute::build_block(&chain.state, &ctx, hashed(candidates), 10_000).unwrap();
    assert!(
        rejections.is_empty(),
        "a candidate that does not fit is not refused"
    );
    assert!(included.len() < 520);
    let block = Block {
        header: BlockHeader {
            transactions_root: transactions_root(&included),
            transaction_count: included.len() as u32,
            ..genesis_header()
        },
        transactions: included,
    };
    let encoded = block.encode();
    assert!(
        encoded.len() <= MAX_BLOCK_LEN,
        "a built block is {} bytes, the limit {MAX_BLOCK_LEN}",
        encoded.len()
    );
    assert!(
        encoded.len() > MAX_BLOCK_LEN - 11_000,
        "the block is filled up to the last candidate that fits"
    );
    assert_eq!(Block::decode_bounded(&encoded).unwrap(), block);
}

#[test]
fn reasons_map_to_the_wire_enum() {
    let pairs = [
        (
            RejectReason::Malformed,
            TransactionRejectionReason::Malformed,
        ),
        (
            RejectReason::BadSignature,
            TransactionRejectionReason::BadSignature,
        ),
        (
            RejectReason::Unauthorized,
            TransactionRejectionReason::Unauthorized,
        ),
        (RejectReason::Stale, TransactionRejectionReason::Stale),
        (
            RejectReason::DidAlreadyExists,
            TransactionRejectionReason::DidAlreadyExists,
        ),
        (
            RejectReason::DidNotFound,
            TransactionRejectionReason::DidNotFound,
        ),
        (
            RejectReason::DidDeactivated,
            TransactionRejectionReason::DidDeactivated,
        ),
        (
            RejectReason::InvalidDidOperation,
            TransactionRejectionReason::InvalidDidOperation,
        ),
        (
            RejectReason::IssuerNotAccredited,
            TransactionRejectionReason::IssuerNotAccredited,
        ),
        (
            RejectReason::AnchorConflict,
            TransactionRejectionReason::AnchorConflict,
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    for (ours, wire) in pairs {
        assert_eq!(ours.to_proto(), wire);
        assert!(seen.insert(wire as i32));
    }
}
