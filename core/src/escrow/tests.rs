//! Tests that need the module's insides: shares made wrong on purpose, and the secret a
//! sealing must not leak.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use zeroize::Zeroizing;

use super::binding::{share_aad, share_info};
use super::sealed::{SealedShare, seal_keeping_secret};
use super::share::release_value;
use super::suite::{data_key, hpke_open, hpke_seal, rng};
use super::*;

const ANCHOR: [u8; 32] = [3u8; 32];
const RECORD: &[u8] = b"{\"resident_id\":\"11010519491231002X\"}";

fn approvers(n: usize) -> (Vec<ApproverSecret>, Vec<ApproverPublic>) {
    let secrets: Vec<ApproverSecret> = ["alice", "bob", "carol", "dave", "erin"][..n]
        .iter()
        .map(|name| ApproverSecret::generate(name).unwrap())
        .collect();
    let publics = secrets.iter().map(ApproverSecret::public).collect();
    (secrets, publics)
}

/// What approver `index` reads from its sealed share, without any check.
fn own_share(sealed: &ThresholdSealed, me: &ApproverSecret) -> Zeroizing<[u8; 32]> {
    let index = sealed.approver_index(me.id()).unwrap();
    let share = &sealed.pieces(index).unwrap()[0];
    let opened = hpke_open(
        me.hpke_secret(),
        &share.enc,
        &share_info(sealed.record_id()),
        &share_aad(&sealed.digest(), index, me.id()),
        &share.ciphertext,
    )
    .unwrap();
    let mut value = Zeroizing::new([0u8; 32]);
    value.copy_from_slice(&opened);
    value
}

/// The share plus one (mod the group order), as a canonical encoding.
fn plus_one(value: &[u8; 32]) -> [u8; 32] {
    use curve25519_dalek_5::scalar::Scalar;
    let scalar = Option::<Scalar>::from(Scalar::from_canonical_bytes(*value)).unwrap();
    (scalar + Scalar::ONE).to_bytes()
}

#[test]
fn escrow_sealing_holds_neither_the_secret_nor_the_key() {
    let (_secrets, publics) = approvers(3);
    let (sealed, secret) = seal_keeping_secret("e1", RECORD, &publics, 2).unwrap();
    let key = data_key(&secret, "e1").unwrap();
    let json = sealed.to_json().unwrap();
    for needle in [secret.as_ref(), key.as_ref(), RECORD] {
        assert!(!json.contains(&hex::encode(needle)));
        assert!(!json.contains(&B64.encode(needle)));
        assert!(!json.as_bytes().windows(needle.len()).any(|w| w == needle));
    }
    assert!(!json.contains("11010519491231002X"));
    let officer = OfficerSecret::generate().unwrap();
    assert_eq!(
        open(&sealed, &[], &officer, &ANCHOR),
        Err(EscrowError::NotEnoughShares { have: 0, need: 2 })
    );
}

#[test]
fn escrow_corrupted_share_is_caught_and_names_its_approver() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("e2", RECORD, &publics, 2).unwrap();
    let alice = release_share(&sealed, &secrets[0], &ANCHOR, &officer.public()).unwrap();

    // Bob releases a wrong value, properly sealed for this record and anchor.
    let bob_share = own_share(&sealed, &secrets[1]);
    let wrong = release_value(
        &sealed,
        "bob",
        &plus_one(&bob_share),
        &ANCHOR,
        &officer.public(),
    )
    .unwrap();
    let e = open(&sealed, &[alice.clone(), wrong], &officer, &ANCHOR).unwrap_err();
    assert_eq!(
        e,
        EscrowError::ShareDoesNotVerify {
            approver: "bob".into()
        }
    );
    assert!(e.to_string().contains("bob"));

    // Not a canonical scalar at all.
    let garbage = release_value(&sealed, "bob", &[0xff; 32], &ANCHOR, &officer.public()).unwrap();
    assert_eq!(
        open(&sealed, &[alice.clone(), garbage], &officer, &ANCHOR),
        Err(EscrowError::ShareDoesNotVerify {
            approver: "bob".into()
        })
    );

    // Bob's true share under Carol's name: right polynomial, wrong point.
    let misattributed =
        release_value(&sealed, "carol", &bob_share, &ANCHOR, &officer.public()).unwrap();
    assert_eq!(
        open(&sealed, &[alice.clone(), misattributed], &officer, &ANCHOR),
        Err(EscrowError::ShareDoesNotVerify {
            approver: "carol".into()
        })
    );

    // The true share opens.
    let right = release_value(&sealed, "bob", &bob_share, &ANCHOR, &officer.public()).unwrap();
    assert_eq!(
        open(&sealed, &[alice, right], &officer, &ANCHOR).unwrap(),
        RECORD
    );
}

#[test]
fn escrow_share_from_another_sealing_is_caught() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    // The same record sealed twice to the same approvers.
    let first = seal("e3", RECORD, &publics, 2).unwrap();
    let second = seal("e3", RECORD, &publics, 2).unwrap();
    let alice = release_share(&first, &secrets[0], &ANCHOR, &officer.public()).unwrap();

    // As released for the second sealing, Bob's share does not open for the first.
    let bob_second = release_share(&second, &secrets[1], &ANCHOR, &officer.public()).unwrap();
    assert_eq!(
        open(&first, &[alice.clone(), bob_second], &officer, &ANCHOR),
        Err(EscrowError::ReleaseDoesNotOpen {
            approver: "bob".into()
        })
    );
    // Re-sealed for the first, it is caught by the commitments.
    let value = own_share(&second, &secrets[1]);
    let moved = release_value(&first, "bob", &value, &ANCHOR, &officer.public()).unwrap();
    assert_eq!(
        open(&first, &[alice, moved], &officer, &ANCHOR),
        Err(EscrowError::ShareDoesNotVerify {
            approver: "bob".into()
        })
    );
}

#[test]
fn escrow_approver_refuses_to_release_a_bad_share() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let mut sealed = seal("e4", RECORD, &publics, 2).unwrap();
    // Carol's sealed share replaced by a wrong value, sealed to her exactly as the sealer
    // would have: it opens, and she must not pass it on.
    let value = own_share(&sealed, &secrets[2]);
    let (enc, ciphertext) = hpke_seal(
        "carol",
        publics[2].hpke_public_key(),
        &share_info("e4"),
        &share_aad(&sealed.digest(), 2, "carol"),
        &plus_one(&value),
        &mut rng().unwrap(),
    )
    .unwrap();
    sealed.replace_share(
        2,
        0,
        SealedShare {
            enc,
            ciphertext: ciphertext.as_slice().try_into().unwrap(),
        },
    );
    assert_eq!(
        release_share(&sealed, &secrets[2], &ANCHOR, &officer.public()),
        Err(EscrowError::ShareDoesNotVerify {
            approver: "carol".into()
        })
    );
    // Alice's share sealed to Carol's place does not open there.
    let alice_slot = sealed.pieces(0).unwrap()[0].clone();
    sealed.replace_share(2, 0, alice_slot);
    assert_eq!(
        release_share(&sealed, &secrets[2], &ANCHOR, &officer.public()),
        Err(EscrowError::ShareDoesNotOpen {
            approver: "carol".into()
        })
    );
    assert!(release_share(&sealed, &secrets[0], &ANCHOR, &officer.public()).is_ok());
}

#[test]
fn escrow_ids_are_checked() {
    assert!(check_id("approver id", "alice", MAX_ID_LEN).is_ok());
    assert!(check_id("approver id", "张三", MAX_ID_LEN).is_ok());
    for bad in ["", "a\u{1b}[2J", "tab\there"] {
        assert!(matches!(
            check_id("approver id", bad, MAX_ID_LEN),
            Err(EscrowError::BadId { .. })
        ));
    }
    // A long id is cut at a character boundary in the error.
    let long = "张".repeat(30);
    let Err(EscrowError::BadId { id, .. }) = check_id("approver id", &long, MAX_ID_LEN) else {
        panic!("a 90-byte id is refused");
    };
    assert!(id.len() <= MAX_ID_LEN);
}

#[test]
fn escrow_small_order_hpke_key_is_refused_when_sealing() {
    let (_secrets, mut publics) = approvers(3);
    let alice = &publics[0];
    // The X25519 point 0 has small order: every shared secret with it is all zeros.
    publics[0] = ApproverPublic::from_parts("alice", &alice.ed25519_bytes(), &[0u8; 32]).unwrap();
    let e = seal("e5", RECORD, &publics, 2).unwrap_err();
    assert!(
        matches!(&e, EscrowError::Crypto { reason, .. } if reason.contains("\"alice\"")),
        "{e}"
    );
}
