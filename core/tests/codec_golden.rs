//! Golden vectors of the canonical encodings, round-trips, bounds and flipped bits.
//!
//! The pinned hashes are the encodings of fixed structures built from fixed keys (Ed25519 is
//! deterministic). If one changes, the wire or storage format changed: that needs a new
//! version tag and a migration, never a regenerated constant.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use proptest::prelude::*;
use realdid_core::codec::{
    ApproverSet, AuditAnchor, AuditOpening, Block, BlockHash, BlockHeader, ChainId, Encode,
    GovernanceAction, GovernanceTx, MAX_APPROVALS, MAX_BLOCK_LEN, MAX_NAME_LEN,
    MAX_TRANSACTION_LEN, StateRoot, StatusListAnchor, TraceApproval, TraceApprover,
    TraceDisclosure, Transaction, transactions_root,
};
use realdid_core::did::{
    CreateOp, DidOperation, DidState, DocumentState, KeyId, Purposes, RecoveryCommitment,
    ServiceEntry, SignedDidOperation, UpdateOp, VerificationKey, apply,
};
use realdid_core::keys::{Algorithm, SigningKey};
use sha2::{Digest, Sha256};

/// The chain the fixed transactions are signed for.
fn chain() -> ChainId {
    ChainId::parse("realdid-golden").unwrap()
}

fn fixed_key(byte: u8) -> SigningKey {
    SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte; 32]).unwrap()
}

fn key_id(s: &str) -> KeyId {
    s.parse().unwrap()
}

fn fixed_create() -> SignedDidOperation {
    let device = fixed_key(1);
    DidOperation::Create(CreateOp {
        document: DocumentState {
            keys: vec![VerificationKey {
                id: key_id("device"),
                key: device.public_key(),
                purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
            }],
            services: vec![ServiceEntry {
                id: key_id("hub"),
                service_type: "LinkedDomains".into(),
                endpoint: "https://example.com".into(),
            }],
        },
        recovery_commitment: RecoveryCommitment::to(&fixed_key(2).public_key()),
    })
    .sign(&chain(), Some(key_id("device")), &device)
    .unwrap()
}

fn fixed_transactions() -> Vec<Transaction> {
    let create = fixed_create();
    let state = apply(&chain(), None, &create).unwrap();
    let update = DidOperation::Update(UpdateOp {
        did: state.did.clone(),
        previous: state.last_operation,
        document: DocumentState {
            keys: vec![VerificationKey {
                id: key_id("issuing"),
                key: fixed_key(3).public_key(),
                purposes: Purposes::ASSERTION_METHOD.with(Purposes::CAPABILITY_INVOCATION),
            }],
            services: vec![],
        },
    })
    .sign(&chain(), Some(key_id("device")), &fixed_key(1))
    .unwrap();
    let action = GovernanceAction::AccreditIssuer {
        issuer: state.did.clone(),
        name: "Example Issuer".into(),
        credential_types: vec!["https://realdid.example/vct/real-name".into()],
    };
    let approvals = [4, 5, 6]
        .iter()
        .map(|b| GovernanceTx::approve(&chain(), &action, 0, &fixed_key(*b)).unwrap())
        .collect();
    let approvers_action = GovernanceAction::SetTraceApprovers {
        issuer: state.did.clone(),
        set: ApproverSet {
            threshold: 2,
            approvers: [10, 11, 12]
                .iter()
                .map(|b| TraceApprover {
                    id: format!("judge-{b}"),
                    signing_key: fixed_key(*b).public_key(),
                    hpke_key: [*b; 32],
                })
                .collect(),
        },
    };
    vec![
        Transaction::Did(create),
        Transaction::Did(update),
        Transaction::Governance(GovernanceTx {
            action,
            nonce: 0,
            approvals,
        }),
        Transaction::StatusAnchor(
            StatusListAnchor::sign(
                &chain(),
                state.did.clone(),
                "https://issuer.example/status/1".into(),
                7,
                [9; 32],
                realdid_core::status_list::StatusTally {
                    revoked: 2,
                    suspended: 1,
                },
                key_id("issuing"),
                &fixed_key(3),
            )
            .unwrap(),
        ),
        Transaction::AuditAnchor(
            AuditAnchor::sign(
                &chain(),
                AuditOpening {
                    issuer: state.did.clone(),
                    request_hash: [8; 32],
                    sequence: 1,
                    holder_commitment: [12; 32],
                    approvals: [10, 11]
                        .iter()
                        .map(|b| {
                            TraceApproval::sign(
                                &chain(),
                                &state.did,
                                &[8; 32],
                                1_795_000_000,
                                &fixed_key(*b),
                            )
                            .unwrap()
                        })
                        .collect(),
                },
                key_id("issuing"),
                &fixed_key(3),
            )
            .unwrap(),
        ),
        Transaction::Disclosure(
            TraceDisclosure::sign(
                &chain(),
                state.did.clone(),
                1,
                [13; 32],
                [14; 32],
                key_id("issuing"),
                &fixed_key(3),
            )
            .unwrap(),
        ),
        Transaction::Governance(GovernanceTx {
            action: approvers_action.clone(),
            nonce: 1,
            approvals: [4, 5, 6]
                .iter()
                .map(|b| {
                    GovernanceTx::approve(&chain(), &approvers_action, 1, &fixed_key(*b)).unwrap()
                })
                .collect(),
        }),
    ]
}

fn fixed_block() -> Block {
    let transactions = fixed_transactions();
    Block {
        header: BlockHeader {
            height: 42,
            parent: BlockHash([0x11; 32]),
            timestamp_ms: 1_795_000_000_000,
            state_root: StateRoot([0x22; 32]),
            transactions_root: transactions_root(&transactions),
            transaction_count: transactions.len() as u32,
        },
        transactions,
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn golden_did_from_fixed_create() {
    let did = fixed_create().operation.did();
    assert_eq!(did.as_str(), GOLDEN_DID);
}

#[test]
fn golden_transaction_encodings() {
    let got: Vec<String> = fixed_transactions()
        .iter()
        .map(|tx| sha(&tx.encode()))
        .collect();
    assert_eq!(got, GOLDEN_TX_HASHES);
}

#[test]
fn golden_block_encoding_and_hash() {
    let block = fixed_block();
    assert_eq!(sha(&block.encode()), GOLDEN_BLOCK_SHA);
    assert_eq!(block.header.hash().to_string(), GOLDEN_HEADER_HASH);
}

#[test]
fn every_transaction_round_trips() {
    for tx in fixed_transactions() {
        let bytes = tx.encode();
        assert_eq!(
            Transaction::decode_bounded(&bytes).unwrap(),
            tx,
            "{}",
            tx.name()
        );
    }
    let block = fixed_block();
    assert_eq!(Block::decode_bounded(&block.encode()).unwrap(), block);
}

#[test]
fn did_state_round_trips() {
    use commonware_codec::{Decode, Encode as _};
    let state = apply(&chain(), None, &fixed_create()).unwrap();
    let bytes = state.encode();
    let back = DidState::decode_cfg(commonware_codec::Copying(&bytes), &()).unwrap();
    assert_eq!(back, state);
}

#[test]
fn oversized_and_trailing_input_is_refused() {
    let tx = fixed_transactions().remove(0);
    let mut bytes = tx.encode().to_vec();
    bytes.push(0);
    assert!(
        Transaction::decode_bounded(&bytes).is_err(),
        "trailing byte accepted"
    );
    let huge = vec![1u8; MAX_TRANSACTION_LEN + 1];
    assert!(Transaction::decode_bounded(&huge).is_err());
    // A length prefix claiming 2^62 keys must fail on the bound, not allocate.
    let mut bomb = vec![1u8]; // did operation
    bomb.push(1); // create
    bomb.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]);
    assert!(Transaction::decode_bounded(&bomb).is_err());
}

#[test]
fn a_block_longer_than_the_limit_does_not_decode() {
    // A governance transaction with the most approvals, about 6 KB.
    let signers: Vec<SigningKey> = (0..MAX_APPROVALS as u8).map(fixed_key).collect();
    let action = GovernanceAction::RemoveIssuer {
        issuer: fixed_create().operation.did(),
        reason: "r".repeat(MAX_NAME_LEN),
    };
    let tx =
        Transaction::Governance(GovernanceTx::approved(&chain(), action, 1, &signers).unwrap());
    let block_of = |count: usize| {
        let transactions = vec![tx.clone(); count];
        let mut block = fixed_block();
        block.header.transactions_root = transactions_root(&transactions);
        block.header.transaction_count = count as u32;
        block.transactions = transactions;
        block.encode().to_vec()
    };
    // Each transaction is framed by a two-byte length; the header and count take ~120 bytes.
    let fits = (MAX_BLOCK_LEN - 200) / (tx.encode().len() + 2);
    let at_limit = block_of(fits);
    assert!(at_limit.len() <= MAX_BLOCK_LEN);
    assert_eq!(
        Block::decode_bounded(&at_limit).unwrap().transactions.len(),
        fits
    );
    let over = block_of(fits + 1);
    assert!(over.len() > MAX_BLOCK_LEN);
    // Refused by the decoder itself, as a block arriving from a peer is (not only by the
    // length check of `decode_bounded`).
    let mut reader = commonware_codec::Copying(over.as_slice());
    assert!(<Block as commonware_codec::Read>::read_cfg(&mut reader, &()).is_err());
    assert!(Block::decode_bounded(&over).is_err());
}

#[test]
fn block_with_a_forged_transactions_root_is_refused() {
    let mut block = fixed_block();
    block.header.transactions_root[0] ^= 1;
    assert!(Block::decode_bounded(&block.encode()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Flipping any bit of a signed DID operation either breaks decoding or makes the
    /// operation invalid: never a different operation that still applies.
    #[test]
    fn a_flipped_bit_in_a_signed_create_never_applies(bit in 0usize..10_000) {
        let bytes = Transaction::Did(fixed_create()).encode().to_vec();
        let bit = bit % (bytes.len() * 8);
        let mut tampered = bytes.clone();
        tampered[bit / 8] ^= 1 << (bit % 8);
        if let Ok(Transaction::Did(op)) = Transaction::decode_bounded(&tampered) {
            prop_assert!(apply(&chain(), None, &op).is_err(), "bit {} still applies", bit);
        }
    }

    /// Flipping any bit of a governance transaction leaves no valid approval behind, except
    /// for flips inside one approval, which invalidate only that approval.
    #[test]
    fn a_flipped_bit_in_governance_loses_approvals(bit in 0usize..10_000) {
        let tx = fixed_transactions().remove(2);
        let keys: Vec<_> = [4u8, 5, 6].iter().map(|b| fixed_key(*b).public_key()).collect();
        let bytes = tx.encode().to_vec();
        let bit = bit % (bytes.len() * 8);
        let mut tampered = bytes.clone();
        tampered[bit / 8] ^= 1 << (bit % 8);
        if let Ok(Transaction::Governance(g)) = Transaction::decode_bounded(&tampered) {
            prop_assert!(g.valid_approvers(&chain(), &keys).len() < 3, "bit {} kept all approvals", bit);
        }
    }

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Transaction::decode_bounded(&bytes);
        let _ = Block::decode_bounded(&bytes);
        let _ = BlockHeader::decode_bounded(&bytes);
    }
}

const GOLDEN_DID: &str = "did:realdid:4ZDzYJkMRZZRJpKpNLcrPHEJU9L2sF1sj9hdSeszB1Cx";
// Anchors are signed under "realdid/anchor/v4" (a status anchor carries the revoked and
// suspended entries of its list, the audit anchor its holder commitment and approvals);
// then a disclosure, and a governance decision naming trace approvers.
const GOLDEN_TX_HASHES: [&str; 7] = [
    "63ed59ad88f2a3e81aa48785e73950b3eabba728c0b8ce0bac2d14405b33282c",
    "4cb23846ca6bcd729248d1033805cfc4d3a783b665d8902956a95fda75c964db",
    "c042e3de5d56e402f9b5150603033b7629b63c6b8ba6fce69c89a336eb43fbdd",
    "c97b299dfe49e81db9c007417740a1fcf535bbebeb81bacfb2d7744e6d78304c",
    "69a1f5d09f07ce89fc26157e0f9c44ef338dc21ee1207414f216be9d9629b304",
    "44741cfa414cf1140e48036f1283943e86259d19b24dd91409771f90c8d4ebc7",
    "197517301d13375b41c78bb4680e9c53017c8e1f6a6db9f3842172ac0d00243b",
];
const GOLDEN_BLOCK_SHA: &str = "93904936d66fc63574a52986eb4505c801a8df4cc1c3b1ec90567b9e9b858c22";
const GOLDEN_HEADER_HASH: &str = "93e2411f0611ec7d7abf569e3c0c0f3e517bf2140c32d9d804b7ccf283babec6";
