//! Tests of resharing: what the new set opens, what it refuses, and contributions and pieces
//! made wrong on purpose.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use curve25519_dalek_5::scalar::Scalar;

use super::binding::{reshare_info, share_aad};
use super::reshare::contribution_of_value;
use super::sealed::SealedShare;
use super::share::own_share;
use super::suite::{hpke_seal, rng};
use super::*;
use crate::ErrorKind;

const ANCHOR: [u8; 32] = [5u8; 32];
const RECORD: &[u8] = b"{\"resident_id\":\"11010519491231002X\"}";

/// Approvers with these names; `.1` holds their public halves in the same order.
fn keys(names: &[&str]) -> (Vec<ApproverSecret>, Vec<ApproverPublic>) {
    let secrets: Vec<ApproverSecret> = names
        .iter()
        .map(|name| ApproverSecret::generate(name).unwrap())
        .collect();
    let publics = secrets.iter().map(ApproverSecret::public).collect();
    (secrets, publics)
}

/// The contributions of `who` to resharing `sealed` to `threshold` of `to`.
fn contributions(
    sealed: &ThresholdSealed,
    who: &[&ApproverSecret],
    threshold: u8,
    to: &[ApproverPublic],
) -> Vec<ReshareContribution> {
    who.iter()
        .map(|me| reshare_contribution(sealed, me, threshold, to).unwrap())
        .collect()
}

/// Opens `sealed` with the releases of `who`.
fn opened_by(sealed: &ThresholdSealed, who: &[&ApproverSecret]) -> Result<Vec<u8>, EscrowError> {
    let officer = OfficerSecret::generate().unwrap();
    let released: Vec<ReleasedShare> = who
        .iter()
        .map(|me| release_share(sealed, me, &ANCHOR, &officer.public()))
        .collect::<Result<_, _>>()?;
    open(sealed, &released, &officer, &ANCHOR)
}

/// Every subset of `items` with `k` members.
fn subsets<T>(items: &[T], k: usize) -> Vec<Vec<&T>> {
    (0u32..1 << items.len())
        .filter(|mask| mask.count_ones() as usize == k)
        .map(|mask| {
            (0..items.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| &items[i])
                .collect()
        })
        .collect()
}

fn json(sealed: &ThresholdSealed) -> serde_json::Value {
    serde_json::from_str(&sealed.to_json().unwrap()).unwrap()
}

/// A canonical scalar that is nobody's share.
fn stray_value() -> [u8; 32] {
    Scalar::from_bytes_mod_order([7u8; 32]).to_bytes()
}

#[test]
fn reshare_to_a_set_with_a_new_approver_opens_with_the_new_set_only() {
    let (old, old_publics) = keys(&["alice", "bob", "carol"]);
    let (dave, dave_public) = keys(&["dave"]);
    let (alice, bob, carol, dave) = (&old[0], &old[1], &old[2], &dave[0]);
    let sealed = seal("r1", RECORD, &old_publics, 2).unwrap();
    let before = sealed.clone();
    let new_publics = vec![
        old_publics[1].clone(),
        old_publics[2].clone(),
        dave_public[0].clone(),
    ];

    let given = contributions(&sealed, &[alice, bob], 2, &new_publics);
    let resealed = reshare(&sealed, 2, &new_publics, &given).unwrap();
    assert_eq!(resealed.record_id(), "r1");
    assert_eq!(resealed.threshold(), 2);
    assert_eq!(resealed.approvers(), new_publics.as_slice());
    assert_ne!(resealed.digest(), sealed.digest());

    assert_eq!(opened_by(&resealed, &[dave, carol]).unwrap(), RECORD);
    for pair in subsets(&[bob, carol, dave], 2) {
        let pair: Vec<&ApproverSecret> = pair.into_iter().copied().collect();
        assert_eq!(opened_by(&resealed, &pair).unwrap(), RECORD);
    }
    for one in [bob, carol, dave] {
        assert_eq!(
            opened_by(&resealed, &[one]),
            Err(EscrowError::NotEnoughShares { have: 1, need: 2 })
        );
    }
    // The removed approver holds nothing in the new sealing.
    let officer = OfficerSecret::generate().unwrap();
    assert_eq!(
        release_share(&resealed, alice, &ANCHOR, &officer.public()),
        Err(EscrowError::NotAnApprover {
            id: "alice".into(),
            record_id: "r1".into()
        })
    );
    // An old share, released for the old sealing, does not count for the new one.
    let old_bob = release_share(&sealed, bob, &ANCHOR, &officer.public()).unwrap();
    let new_carol = release_share(&resealed, carol, &ANCHOR, &officer.public()).unwrap();
    assert_eq!(
        open(&resealed, &[old_bob, new_carol], &officer, &ANCHOR),
        Err(EscrowError::ReleaseDoesNotOpen {
            approver: "bob".into()
        })
    );
    // Bob's new share is not his old one.
    assert_ne!(
        *own_share(&resealed, bob).unwrap().1,
        *own_share(&sealed, bob).unwrap().1
    );

    // The input is untouched and still opens with the old approvers.
    assert_eq!(sealed, before);
    assert_eq!(opened_by(&sealed, &[alice, bob]).unwrap(), RECORD);
    // The record itself was not re-encrypted.
    let (old_json, new_json) = (json(&sealed), json(&resealed));
    assert_eq!(old_json["ciphertext"], new_json["ciphertext"]);
    assert_eq!(old_json["nonce"], new_json["nonce"]);
}

#[test]
fn reshare_repeatedly_to_other_thresholds() {
    let names = ["alice", "bob", "carol", "dave", "erin", "frank"];
    let (all, publics) = keys(&names);
    let [alice, bob, carol, dave, erin, frank] = [0, 1, 2, 3, 4, 5].map(|i| &all[i]);
    let sealed = seal("r2", RECORD, &publics[..3], 2).unwrap();

    // 2-of-3 {alice, bob, carol} -> 3-of-4 {bob, carol, dave, erin}.
    let second_set = publics[1..5].to_vec();
    let given = contributions(&sealed, &[carol, alice], 3, &second_set);
    let second = reshare(&sealed, 3, &second_set, &given).unwrap();
    let members = [bob, carol, dave, erin];
    for triple in subsets(&members, 3) {
        let triple: Vec<&ApproverSecret> = triple.into_iter().copied().collect();
        assert_eq!(opened_by(&second, &triple).unwrap(), RECORD);
    }
    for pair in subsets(&members, 2) {
        let pair: Vec<&ApproverSecret> = pair.into_iter().copied().collect();
        assert_eq!(
            opened_by(&second, &pair),
            Err(EscrowError::NotEnoughShares { have: 2, need: 3 })
        );
    }
    // Two contributions were needed, so each new share is made of two pieces.
    assert_eq!(
        json(&second)["shares"][0]["pieces"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // 3-of-4 -> 2-of-2 {dave, frank}: resealed shares reshare again.
    let third_set = vec![publics[3].clone(), publics[5].clone()];
    let given = contributions(&second, &[bob, dave, erin], 2, &third_set);
    let third = reshare(&second, 2, &third_set, &given).unwrap();
    assert_eq!(opened_by(&third, &[dave, frank]).unwrap(), RECORD);
    for one in [dave, frank] {
        assert_eq!(
            opened_by(&third, &[one]),
            Err(EscrowError::NotEnoughShares { have: 1, need: 2 })
        );
    }
    assert_eq!(
        json(&third)["shares"][0]["pieces"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Each sealing still opens with its own set, and with no other.
    assert_eq!(opened_by(&second, &[bob, carol, erin]).unwrap(), RECORD);
    assert!(matches!(
        opened_by(&third, &[bob, dave]),
        Err(EscrowError::NotAnApprover { id, .. }) if id == "bob"
    ));
}

#[test]
fn reshare_does_not_grow_and_uses_the_lowest_indices() {
    let (old, publics) = keys(&["alice", "bob", "carol"]);
    let sealed = seal("r3", RECORD, &publics, 2).unwrap();
    // All three contribute, in reverse order: alice's and bob's are used.
    let given = contributions(&sealed, &[&old[2], &old[1], &old[0]], 2, &publics);
    let mut current = reshare(&sealed, 2, &publics, &given).unwrap();
    let contributors = |sealed: &ThresholdSealed| -> Vec<String> {
        json(sealed)["resealed"]["contributors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(contributors(&current), ["alice", "bob"]);
    let size = current.to_json().unwrap().len();
    for round in 0..3 {
        let given = contributions(&current, &[&old[1], &old[2]], 2, &publics);
        current = reshare(&current, 2, &publics, &given).unwrap();
        assert_eq!(contributors(&current), ["bob", "carol"]);
        assert_eq!(current.to_json().unwrap().len(), size, "round {round}");
        assert_eq!(opened_by(&current, &[&old[0], &old[2]]).unwrap(), RECORD);
    }
}

#[test]
fn reshare_refuses_bad_contributions() {
    let (old, publics) = keys(&["alice", "bob", "carol"]);
    let (extra, extra_publics) = keys(&["dave", "mallory"]);
    let (alice, bob, carol) = (&old[0], &old[1], &old[2]);
    let sealed = seal("r4", RECORD, &publics, 2).unwrap();
    let to = vec![
        publics[1].clone(),
        publics[2].clone(),
        extra_publics[0].clone(),
    ];
    let good = contributions(&sealed, &[alice, bob], 2, &to);
    let (a, b) = (&good[0], &good[1]);

    // Too few.
    for few in [&good[..1], &[]] {
        let e = reshare(&sealed, 2, &to, few).unwrap_err();
        assert_eq!(
            e,
            EscrowError::NotEnoughContributions {
                have: few.len(),
                need: 2
            }
        );
        assert_eq!(e.kind(), ErrorKind::Rejected);
    }
    // One approver twice: the same contribution, or two it made.
    let a_again = reshare_contribution(&sealed, alice, 2, &to).unwrap();
    for twice in [a.clone(), a_again] {
        assert_eq!(
            reshare(&sealed, 2, &to, &[a.clone(), twice, b.clone()]),
            Err(EscrowError::DuplicateContribution {
                approver: "alice".into()
            })
        );
    }

    // Made for another record, another sealing of this one, another new set.
    let other_record = seal("r4-other", RECORD, &publics, 2).unwrap();
    let other_sealing = seal("r4", RECORD, &publics, 2).unwrap();
    let mut other_to = to.clone();
    other_to[2] = extra_publics[1].clone();
    for (contribution, what) in [
        (
            reshare_contribution(&other_record, alice, 2, &to).unwrap(),
            "record",
        ),
        (
            reshare_contribution(&other_sealing, alice, 2, &to).unwrap(),
            "sealing",
        ),
        (
            reshare_contribution(&sealed, alice, 2, &other_to).unwrap(),
            "new approver set",
        ),
        (
            reshare_contribution(&sealed, alice, 3, &to).unwrap(),
            "new approver set",
        ),
    ] {
        let e = reshare(&sealed, 2, &to, &[contribution, b.clone()]).unwrap_err();
        assert_eq!(
            e,
            EscrowError::ContributionMismatch {
                approver: "alice".into(),
                what
            }
        );
    }

    // Alice reshares a value that is not her share: refused, and she is named.
    let alice_share = own_share(&sealed, alice).unwrap().1;
    let bob_share = own_share(&sealed, bob).unwrap().1;
    for value in [stray_value(), *bob_share] {
        let wrong = contribution_of_value(&sealed, alice, 0, &value, 2, &to).unwrap();
        let e = reshare(&sealed, 2, &to, &[wrong, b.clone()]).unwrap_err();
        assert_eq!(
            e,
            EscrowError::ContributionNotOfShare {
                approver: "alice".into()
            }
        );
        assert!(e.to_string().contains("alice"));
        assert_eq!(e.kind(), ErrorKind::InvalidSignature);
    }
    // Her share under Bob's name: the signature is hers, not Bob's.
    let mut as_bob = contribution_of_value(&sealed, alice, 1, &alice_share, 2, &to).unwrap();
    as_bob.approver_id = "bob".into();
    as_bob.sign(alice).unwrap();
    assert_eq!(
        reshare(&sealed, 2, &to, &[a.clone(), as_bob]),
        Err(EscrowError::ContributionSignatureInvalid {
            approver: "bob".into()
        })
    );
    // At someone else's place.
    let misplaced = contribution_of_value(&sealed, alice, 2, &alice_share, 2, &to).unwrap();
    assert!(matches!(
        reshare(&sealed, 2, &to, &[misplaced, b.clone()]),
        Err(EscrowError::ContributionMalformed { approver, .. }) if approver == "alice"
    ));
    // From someone who is no approver of the record.
    let outsider = contribution_of_value(&sealed, &extra[1], 0, &alice_share, 2, &to).unwrap();
    assert!(matches!(
        reshare(&sealed, 2, &to, &[outsider, b.clone()]),
        Err(EscrowError::NotAnApprover { id, .. }) if id == "mallory"
    ));
    assert!(matches!(
        reshare_contribution(&sealed, &extra[1], 2, &to),
        Err(EscrowError::NotAnApprover { id, .. }) if id == "mallory"
    ));

    // A tampered signature, a sub-share swapped after signing, a contribution signed by
    // another approver.
    let mut bad_signature = a.clone();
    bad_signature.signature[10] ^= 1;
    let mut swapped = a.clone();
    swapped.sub_shares.swap(0, 1);
    let mut signed_by_bob = a.clone();
    signed_by_bob.sign(bob).unwrap();
    for tampered in [bad_signature, swapped, signed_by_bob] {
        let e = reshare(&sealed, 2, &to, &[tampered, b.clone()]).unwrap_err();
        assert_eq!(
            e,
            EscrowError::ContributionSignatureInvalid {
                approver: "alice".into()
            }
        );
        assert_eq!(e.kind(), ErrorKind::InvalidSignature);
    }

    // The new set is checked as `seal` checks it.
    assert!(matches!(
        reshare(&sealed, 1, &to, &good),
        Err(EscrowError::BadThreshold { .. })
    ));
    assert!(matches!(
        reshare_contribution(&sealed, carol, 4, &to),
        Err(EscrowError::BadThreshold { .. })
    ));

    // The good ones still reshare.
    let resealed = reshare(&sealed, 2, &to, &good).unwrap();
    assert_eq!(opened_by(&resealed, &[carol, &extra[0]]).unwrap(), RECORD);
}

#[test]
fn reshare_bad_pieces_are_caught_at_release_naming_their_contributor() {
    let (old, publics) = keys(&["alice", "bob", "carol"]);
    let (dave, dave_public) = keys(&["dave"]);
    let (alice, bob, carol, dave) = (&old[0], &old[1], &old[2], &dave[0]);
    let sealed = seal("r5", RECORD, &publics, 2).unwrap();
    let to = vec![
        publics[1].clone(),
        publics[2].clone(),
        dave_public[0].clone(),
    ];
    let officer = OfficerSecret::generate().unwrap();
    let good = contributions(&sealed, &[alice, bob], 2, &to);

    // Alice seals Carol's sub-share to Dave's place (and signs it: the coordinator cannot
    // see inside). Dave cannot open that piece, and says whose it is.
    let mut misdirected = good[0].clone();
    misdirected.sub_shares[2] = misdirected.sub_shares[1].clone();
    misdirected.sign(alice).unwrap();
    let resealed = reshare(&sealed, 2, &to, &[misdirected, good[1].clone()]).unwrap();
    let e = release_share(&resealed, dave, &ANCHOR, &officer.public()).unwrap_err();
    assert_eq!(
        e,
        EscrowError::PieceDoesNotOpen {
            approver: "dave".into(),
            contributor: "alice".into()
        }
    );
    assert_eq!(e.kind(), ErrorKind::InvalidSignature);
    assert!(e.to_string().contains("alice") && e.to_string().contains("dave"));
    assert_eq!(opened_by(&resealed, &[bob, carol]).unwrap(), RECORD);

    // Alice seals Dave a wrong value, bound exactly as a right one would be.
    let mut wrong_value = good[0].clone();
    let (enc, ciphertext) = hpke_seal(
        "dave",
        dave.public().hpke_public_key(),
        &reshare_info("r5"),
        &share_aad(&wrong_value.digest(), 2, "dave"),
        &stray_value(),
        &mut rng().unwrap(),
    )
    .unwrap();
    wrong_value.sub_shares[2] = SealedShare::from_hpke(enc, &ciphertext).unwrap();
    wrong_value.sign(alice).unwrap();
    let resealed = reshare(&sealed, 2, &to, &[wrong_value, good[1].clone()]).unwrap();
    let wrong = EscrowError::PieceDoesNotVerify {
        approver: "dave".into(),
        contributor: "alice".into(),
    };
    assert_eq!(
        release_share(&resealed, dave, &ANCHOR, &officer.public()).unwrap_err(),
        wrong
    );
    assert_eq!(
        reshare_contribution(&resealed, dave, 2, &to).unwrap_err(),
        wrong
    );

    // Pieces altered, or moved to another approver's place, in the stored record.
    let resealed = reshare(&sealed, 2, &to, &good).unwrap();
    let value = json(&resealed);
    let mut flipped = value.clone();
    let text = flipped["shares"][2]["pieces"][1]["ciphertext"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = if text.starts_with('0') { "1" } else { "0" };
    flipped["shares"][2]["pieces"][1]["ciphertext"] = format!("{first}{}", &text[1..]).into();
    let flipped = ThresholdSealed::from_json(&flipped.to_string()).unwrap();
    assert_eq!(
        release_share(&flipped, dave, &ANCHOR, &officer.public()),
        Err(EscrowError::PieceDoesNotOpen {
            approver: "dave".into(),
            contributor: "bob".into()
        })
    );
    let mut moved = value.clone();
    moved["shares"][2]["pieces"][0] = value["shares"][1]["pieces"][0].clone();
    let moved = ThresholdSealed::from_json(&moved.to_string()).unwrap();
    assert_eq!(
        release_share(&moved, dave, &ANCHOR, &officer.public()),
        Err(EscrowError::PieceDoesNotOpen {
            approver: "dave".into(),
            contributor: "alice".into()
        })
    );
    // The commitments cannot be altered on their own: they must be those the
    // contributors' commitments combine to.
    let other = reshare(
        &sealed,
        2,
        &to,
        &contributions(&sealed, &[alice, bob], 2, &to),
    )
    .unwrap();
    let other = json(&other);
    for (path, replacement) in [
        ("/commitments/1", other["commitments"][1].clone()),
        (
            "/resealed/contributors/0/commitments/1",
            other["resealed"]["contributors"][0]["commitments"][1].clone(),
        ),
    ] {
        let mut altered = value.clone();
        *altered.pointer_mut(path).unwrap() = replacement;
        assert!(
            matches!(
                ThresholdSealed::from_json(&altered.to_string()),
                Err(EscrowError::Malformed { .. })
            ),
            "{path}"
        );
    }
    assert_eq!(opened_by(&resealed, &[carol, dave]).unwrap(), RECORD);
}

#[test]
fn reshare_contribution_and_resealed_record_json_round_trip() {
    let (old, publics) = keys(&["alice", "bob", "carol"]);
    let sealed = seal("r6", RECORD, &publics, 2).unwrap();
    let fresh = json(&sealed);
    assert!(fresh.get("resealed").is_none());
    assert!(fresh["shares"][0]["enc"].is_string());

    let given = contributions(&sealed, &[&old[0], &old[2]], 2, &publics);
    let text = given[0].to_json().unwrap();
    assert!(text.len() <= MAX_RESHARE_CONTRIBUTION_JSON_LEN);
    let back = ReshareContribution::from_json(&text).unwrap();
    assert_eq!(back, given[0]);
    assert_eq!(back.to_json().unwrap(), text);
    assert_eq!(back.record_id(), "r6");
    assert_eq!(back.approver_id(), "alice");
    assert_eq!(back.sealing_digest(), sealed.digest());
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["type"], "realdid-escrow-reshare-contribution-v1");
    let via_value: ReshareContribution = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(via_value, given[0]);
    for (field, bad) in [
        ("type", serde_json::json!("something-else")),
        ("signature", serde_json::json!("00")),
        ("commitments", serde_json::json!(["00", "11"])),
        ("approver", serde_json::json!("line\nbreak")),
        ("index", serde_json::json!(200)),
    ] {
        let mut altered = value.clone();
        altered[field] = bad;
        assert!(
            ReshareContribution::from_json(&altered.to_string()).is_err(),
            "{field}"
        );
    }
    assert!(matches!(
        ReshareContribution::from_json(&" ".repeat(MAX_RESHARE_CONTRIBUTION_JSON_LEN + 1)),
        Err(EscrowError::TooLarge { .. })
    ));

    let decoded: Vec<ReshareContribution> = given
        .iter()
        .map(|c| ReshareContribution::from_json(&c.to_json().unwrap()).unwrap())
        .collect();
    let resealed = reshare(&sealed, 2, &publics, &decoded).unwrap();
    let text = resealed.to_json().unwrap();
    let back = ThresholdSealed::from_json(&text).unwrap();
    assert_eq!(back, resealed);
    assert_eq!(back.digest(), resealed.digest());
    assert_eq!(back.to_json().unwrap(), text);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["type"], "realdid-threshold-escrow-v1");
    assert_eq!(
        value["resealed"]["contributors"].as_array().unwrap().len(),
        2
    );
    assert!(value["shares"][0].get("enc").is_none());
    assert_eq!(opened_by(&back, &[&old[1], &old[2]]).unwrap(), RECORD);

    // A resealed record without its lineage, or a fresh one with pieces, does not decode.
    let mut no_lineage = value.clone();
    no_lineage.as_object_mut().unwrap().remove("resealed");
    assert!(matches!(
        ThresholdSealed::from_json(&no_lineage.to_string()),
        Err(EscrowError::Malformed { .. })
    ));
    let mut fresh_with_pieces = fresh.clone();
    fresh_with_pieces["shares"][0]["pieces"] = value["shares"][0]["pieces"].clone();
    assert!(ThresholdSealed::from_json(&fresh_with_pieces.to_string()).is_err());
    assert!(matches!(
        ThresholdSealed::from_json(&" ".repeat(MAX_SEALED_JSON_LEN + 1)),
        Err(EscrowError::TooLarge { .. })
    ));
}

#[test]
fn reshare_refuses_a_result_too_large_to_read() {
    let names: Vec<String> = (0..16).map(|i| format!("approver-{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (secrets, publics) = keys(&names);
    let everyone: Vec<&ApproverSecret> = secrets.iter().collect();

    let small = seal("r7", RECORD, &publics, 16).unwrap();
    let given = contributions(&small, &everyone, 16, &publics);
    let resealed = reshare(&small, 16, &publics, &given).unwrap();
    let back = ThresholdSealed::from_json(&resealed.to_json().unwrap()).unwrap();
    assert_eq!(back, resealed);

    let record = vec![0x5au8; MAX_RECORD_LEN];
    let large = seal("r7", &record, &publics, 16).unwrap();
    let given = contributions(&large, &everyone, 16, &publics);
    assert!(matches!(
        reshare(&large, 16, &publics, &given),
        Err(EscrowError::TooLarge {
            what: "the resealed record",
            ..
        })
    ));
}
