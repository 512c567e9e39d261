//! Tests of `realdid_core::escrow` through its public API: what k approvers together can
//! open, and everything that must open nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use realdid_core::ErrorKind;
use realdid_core::escrow::{
    ApproverPublic, ApproverSecret, EscrowError, HpkePublicKey, MAX_APPROVERS, MAX_RECORD_LEN,
    OfficerSecret, ReleasedShare, ThresholdSealed, open, release_share, seal,
};

const NAMES: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const RECORD: &[u8] = "{\"full_name\":\"张三\",\"resident_id\":\"11010519491231002X\"}".as_bytes();
const ANCHOR: [u8; 32] = [7u8; 32];

fn approvers(n: usize) -> (Vec<ApproverSecret>, Vec<ApproverPublic>) {
    let secrets: Vec<ApproverSecret> = NAMES[..n]
        .iter()
        .map(|name| ApproverSecret::generate(name).unwrap())
        .collect();
    let publics = secrets.iter().map(ApproverSecret::public).collect();
    (secrets, publics)
}

fn release_all(
    sealed: &ThresholdSealed,
    secrets: &[ApproverSecret],
    officer: &HpkePublicKey,
    anchor: &[u8; 32],
) -> Vec<ReleasedShare> {
    secrets
        .iter()
        .map(|me| release_share(sealed, me, anchor, officer).unwrap())
        .collect()
}

fn err<T: std::fmt::Debug>(result: Result<T, EscrowError>) -> EscrowError {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(e) => e,
    }
}

/// Every subset of `0..n` with `k` members.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0u32..1 << n)
        .filter(|mask| mask.count_ones() as usize == k)
        .map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect())
        .collect()
}

fn pick(shares: &[ReleasedShare], which: &[usize]) -> Vec<ReleasedShare> {
    which.iter().map(|&i| shares[i].clone()).collect()
}

#[test]
fn escrow_round_trip_2_of_3_with_every_pair() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-1", RECORD, &publics, 2).unwrap();
    assert_eq!(sealed.record_id(), "enrolment-1");
    assert_eq!(sealed.threshold(), 2);
    assert_eq!(sealed.approvers(), publics.as_slice());
    let released = release_all(&sealed, &secrets, &officer.public(), &ANCHOR);
    for pair in subsets(3, 2) {
        let opened = open(&sealed, &pick(&released, &pair), &officer, &ANCHOR).unwrap();
        assert_eq!(opened, RECORD, "approvers {pair:?}");
    }
    // More than the threshold opens too.
    assert_eq!(open(&sealed, &released, &officer, &ANCHOR).unwrap(), RECORD);
}

#[test]
fn escrow_round_trip_3_of_5_with_every_triple() {
    let (secrets, publics) = approvers(5);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-2", RECORD, &publics, 3).unwrap();
    let released = release_all(&sealed, &secrets, &officer.public(), &ANCHOR);
    for triple in subsets(5, 3) {
        let opened = open(&sealed, &pick(&released, &triple), &officer, &ANCHOR).unwrap();
        assert_eq!(opened, RECORD, "approvers {triple:?}");
    }
    assert_eq!(open(&sealed, &released, &officer, &ANCHOR).unwrap(), RECORD);
    // An empty record round-trips too.
    let empty = seal("enrolment-3", b"", &publics, 5).unwrap();
    let all = release_all(&empty, &secrets, &officer.public(), &ANCHOR);
    assert_eq!(open(&empty, &all, &officer, &ANCHOR).unwrap(), b"");
}

#[test]
fn escrow_below_threshold_opens_nothing() {
    let (secrets, publics) = approvers(5);
    let officer = OfficerSecret::generate().unwrap();
    for k in 2..=5u8 {
        let sealed = seal("enrolment-k", RECORD, &publics, k).unwrap();
        let released = release_all(&sealed, &secrets, &officer.public(), &ANCHOR);
        let need = usize::from(k);
        for fewer in subsets(5, need - 1) {
            let e = err(open(&sealed, &pick(&released, &fewer), &officer, &ANCHOR));
            assert_eq!(
                e,
                EscrowError::NotEnoughShares {
                    have: need - 1,
                    need
                }
            );
            assert_eq!(e.kind(), ErrorKind::Rejected);
        }
    }
}

#[test]
fn escrow_duplicated_shares_of_one_approver_count_once() {
    let (secrets, publics) = approvers(5);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-4", RECORD, &publics, 3).unwrap();
    let alice = release_share(&sealed, &secrets[0], &ANCHOR, &officer.public()).unwrap();
    let alice_again = release_share(&sealed, &secrets[0], &ANCHOR, &officer.public()).unwrap();
    let bob = release_share(&sealed, &secrets[1], &ANCHOR, &officer.public()).unwrap();
    let carol = release_share(&sealed, &secrets[2], &ANCHOR, &officer.public()).unwrap();
    // The same release twice, and two releases by one approver.
    for shares in [
        vec![alice.clone(), alice.clone(), bob.clone()],
        vec![alice.clone(), alice_again.clone(), bob.clone()],
        vec![alice.clone(), alice_again.clone(), alice.clone()],
    ] {
        assert_eq!(
            err(open(&sealed, &shares, &officer, &ANCHOR)),
            EscrowError::NotEnoughShares {
                have: distinct(&shares),
                need: 3
            }
        );
    }
    let shares = vec![alice.clone(), alice_again, bob, alice, carol];
    assert_eq!(open(&sealed, &shares, &officer, &ANCHOR).unwrap(), RECORD);
}

fn distinct(shares: &[ReleasedShare]) -> usize {
    let mut ids: Vec<&str> = shares.iter().map(ReleasedShare::approver_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

#[test]
fn escrow_shares_released_for_one_record_do_not_open_another() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let record_a = seal("enrolment-a", b"record of A", &publics, 2).unwrap();
    let record_b = seal("enrolment-b", b"record of B", &publics, 2).unwrap();
    let for_a = release_all(&record_a, &secrets, &officer.public(), &ANCHOR);
    let for_b = release_all(&record_b, &secrets, &officer.public(), &ANCHOR);

    // As released: they name record A.
    assert_eq!(
        err(open(&record_b, &for_a[..2], &officer, &ANCHOR)),
        EscrowError::WrongRecord {
            expected: "enrolment-b".into(),
            found: "enrolment-a".into()
        }
    );
    // Relabelled as record B's: they do not open, and mixed with a genuine share of B they
    // do not help either.
    let relabelled: Vec<ReleasedShare> = for_a
        .iter()
        .map(|share| {
            let json = share
                .to_json()
                .unwrap()
                .replace("enrolment-a", "enrolment-b");
            ReleasedShare::from_json(&json).unwrap()
        })
        .collect();
    assert_eq!(
        err(open(&record_b, &relabelled[..2], &officer, &ANCHOR)),
        EscrowError::ReleaseDoesNotOpen {
            approver: "alice".into()
        }
    );
    let mixed = vec![for_b[0].clone(), relabelled[1].clone()];
    assert_eq!(
        err(open(&record_b, &mixed, &officer, &ANCHOR)),
        EscrowError::ReleaseDoesNotOpen {
            approver: "bob".into()
        }
    );
    assert_eq!(
        open(&record_b, &for_b[1..], &officer, &ANCHOR).unwrap(),
        b"record of B"
    );
}

#[test]
fn escrow_shares_released_under_another_anchor_or_to_another_officer_open_nothing() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-5", RECORD, &publics, 2).unwrap();
    let released = release_all(&sealed, &secrets, &officer.public(), &ANCHOR);

    let other_anchor = [8u8; 32];
    let e = err(open(&sealed, &released, &officer, &other_anchor));
    assert_eq!(
        e,
        EscrowError::ReleaseDoesNotOpen {
            approver: "alice".into()
        }
    );
    assert_eq!(e.kind(), ErrorKind::InvalidSignature);

    let other_officer = OfficerSecret::generate().unwrap();
    assert_eq!(
        err(open(&sealed, &released, &other_officer, &ANCHOR)),
        EscrowError::ReleaseDoesNotOpen {
            approver: "alice".into()
        }
    );

    // A release relabelled as another approver's does not open either.
    let json = released[0].to_json().unwrap().replace("alice", "carol");
    let relabelled = ReleasedShare::from_json(&json).unwrap();
    assert_eq!(
        err(open(
            &sealed,
            &[relabelled, released[1].clone()],
            &officer,
            &ANCHOR
        )),
        EscrowError::ReleaseDoesNotOpen {
            approver: "carol".into()
        }
    );
}

#[test]
fn escrow_sealed_record_alone_opens_nothing() {
    let (_secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let secret = "11010519491231002X";
    let sealed = seal("enrolment-6", RECORD, &publics, 2).unwrap();
    let json = sealed.to_json().unwrap();
    assert!(!json.contains(secret));
    assert!(!json.contains(&hex::encode(secret)));
    assert!(!json.contains("张三"));
    assert!(!format!("{sealed:?}").contains(secret));
    // With no released share, no officer key opens it.
    assert_eq!(
        err(open(&sealed, &[], &officer, &ANCHOR)),
        EscrowError::NotEnoughShares { have: 0, need: 2 }
    );
    // Two sealings of one record share nothing.
    let again = seal("enrolment-6", RECORD, &publics, 2).unwrap();
    assert_ne!(again, sealed);
}

#[test]
fn escrow_only_an_approver_of_the_record_releases() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-7", RECORD, &publics, 2).unwrap();

    let outsider = ApproverSecret::generate("mallory").unwrap();
    let e = err(release_share(
        &sealed,
        &outsider,
        &ANCHOR,
        &officer.public(),
    ));
    assert_eq!(
        e,
        EscrowError::NotAnApprover {
            id: "mallory".into(),
            record_id: "enrolment-7".into()
        }
    );
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);

    // The right name with other keys is not the approver either.
    let impostor = ApproverSecret::generate("bob").unwrap();
    assert!(matches!(
        err(release_share(&sealed, &impostor, &ANCHOR, &officer.public())),
        EscrowError::NotAnApprover { id, .. } if id == "bob"
    ));

    // An officer given a release from someone who is not an approver says so.
    let other = seal(
        "enrolment-7",
        RECORD,
        &[publics[0].clone(), outsider.public()],
        2,
    )
    .unwrap();
    let from_outsider = release_share(&other, &outsider, &ANCHOR, &officer.public()).unwrap();
    let alice = release_share(&sealed, &secrets[0], &ANCHOR, &officer.public()).unwrap();
    assert!(matches!(
        err(open(&sealed, &[alice, from_outsider], &officer, &ANCHOR)),
        EscrowError::NotAnApprover { id, .. } if id == "mallory"
    ));
}

#[test]
fn escrow_seal_checks_its_parameters() {
    let (_secrets, publics) = approvers(3);
    for threshold in [0u8, 1, 4] {
        assert_eq!(
            err(seal("r", RECORD, &publics, threshold)),
            EscrowError::BadThreshold {
                threshold: usize::from(threshold),
                approvers: 3
            }
        );
    }
    assert!(matches!(
        err(seal("r", RECORD, &[], 0)),
        EscrowError::BadThreshold { .. }
    ));

    let many: Vec<ApproverPublic> = (0..=MAX_APPROVERS)
        .map(|i| ApproverSecret::generate(&format!("a{i}")).unwrap().public())
        .collect();
    assert_eq!(
        err(seal("r", RECORD, &many, 2)),
        EscrowError::TooLarge {
            what: "the approver list",
            len: MAX_APPROVERS + 1,
            max: MAX_APPROVERS
        }
    );
    // The largest set seals and opens.
    let (secrets, _) = approvers(2);
    let mut most = many[..MAX_APPROVERS - 2].to_vec();
    most.extend(secrets.iter().map(ApproverSecret::public));
    let sealed = seal("r", RECORD, &most, 2).unwrap();
    let officer = OfficerSecret::generate().unwrap();
    let released = release_all(&sealed, &secrets, &officer.public(), &ANCHOR);
    assert_eq!(open(&sealed, &released, &officer, &ANCHOR).unwrap(), RECORD);

    let twice = vec![publics[0].clone(), publics[1].clone(), publics[0].clone()];
    assert_eq!(
        err(seal("r", RECORD, &twice, 2)),
        EscrowError::DuplicateApprover { id: "alice".into() }
    );
    // One party under two names.
    let alice = &publics[0];
    let renamed = ApproverPublic::from_parts(
        "alice-2",
        &alice.ed25519_bytes(),
        alice.hpke_public_key().as_bytes(),
    )
    .unwrap();
    assert!(matches!(
        err(seal("r", RECORD, &[alice.clone(), renamed], 2)),
        EscrowError::DuplicateApproverKey { first, second, .. } if first == "alice" && second == "alice-2"
    ));

    for bad_id in ["", "line\nbreak"] {
        assert!(matches!(
            err(seal(bad_id, RECORD, &publics, 2)),
            EscrowError::BadId {
                what: "record id",
                ..
            }
        ));
    }
    assert!(matches!(
        err(seal(&"r".repeat(129), RECORD, &publics, 2)),
        EscrowError::BadId {
            what: "record id",
            ..
        }
    ));
    assert!(matches!(
        err(ApproverSecret::generate(&"a".repeat(65))),
        EscrowError::BadId {
            what: "approver id",
            ..
        }
    ));

    let huge = vec![0u8; MAX_RECORD_LEN + 1];
    assert!(matches!(
        err(seal("r", &huge, &publics, 2)),
        EscrowError::TooLarge {
            what: "the record",
            ..
        }
    ));
    assert!(seal("r", &huge[1..], &publics, 2).is_ok());
}

#[test]
fn escrow_sealed_record_serde_round_trip() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-8", RECORD, &publics, 2).unwrap();
    let json = sealed.to_json().unwrap();
    let back = ThresholdSealed::from_json(&json).unwrap();
    assert_eq!(back, sealed);
    assert_eq!(back.digest(), sealed.digest());
    assert_eq!(back.to_json().unwrap(), json);
    // Through serde_json::Value too (how a database column would hold it).
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["type"], "realdid-threshold-escrow-v1");
    assert_eq!(value["commitments"].as_array().unwrap().len(), 2);
    assert_eq!(value["shares"].as_array().unwrap().len(), 3);
    let again: ThresholdSealed = serde_json::from_value(value).unwrap();
    assert_eq!(again, sealed);

    let released: Vec<ReleasedShare> =
        release_all(&back, &secrets[1..], &officer.public(), &ANCHOR)
            .iter()
            .map(|share| ReleasedShare::from_json(&share.to_json().unwrap()).unwrap())
            .collect();
    assert_eq!(released[0].record_id(), "enrolment-8");
    assert_eq!(released[0].approver_id(), "bob");
    assert_eq!(open(&sealed, &released, &officer, &ANCHOR).unwrap(), RECORD);
}

#[test]
fn escrow_altered_sealed_record_is_refused() {
    let (secrets, publics) = approvers(3);
    let officer = OfficerSecret::generate().unwrap();
    let sealed = seal("enrolment-9", RECORD, &publics, 2).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&sealed.to_json().unwrap()).unwrap();

    // Structure: refused on decoding.
    let mut more = value.clone();
    more["threshold"] = 3.into();
    assert!(serde_json::from_value::<ThresholdSealed>(more).is_err());
    for (field, bad) in [
        ("nonce", serde_json::json!("00")),
        ("type", serde_json::json!("something-else")),
        ("ciphertext", serde_json::json!("***")),
        ("commitments", serde_json::json!(["00", "11"])),
    ] {
        let mut altered = value.clone();
        altered[field] = bad;
        assert!(
            ThresholdSealed::from_json(&altered.to_string()).is_err(),
            "{field}"
        );
    }
    assert!(matches!(
        err(ThresholdSealed::from_json(&"x".repeat(200 * 1024))),
        EscrowError::TooLarge { .. }
    ));

    // A commitment swapped for another valid point: the approvers' shares no longer open
    // (their binding covers the commitments), so nothing is released.
    let other = seal("enrolment-9", RECORD, &publics, 2).unwrap();
    let other_value: serde_json::Value = serde_json::from_str(&other.to_json().unwrap()).unwrap();
    let mut swapped = value.clone();
    swapped["commitments"][1] = other_value["commitments"][1].clone();
    let swapped = ThresholdSealed::from_json(&swapped.to_string()).unwrap();
    assert_eq!(
        err(release_share(
            &swapped,
            &secrets[0],
            &ANCHOR,
            &officer.public()
        )),
        EscrowError::ShareDoesNotOpen {
            approver: "alice".into()
        }
    );

    // A flipped ciphertext bit: the shares are good, the record does not decrypt.
    let text = value["ciphertext"].as_str().unwrap().to_owned();
    let flipped_char = if text.starts_with('A') { "B" } else { "A" };
    value["ciphertext"] = format!("{flipped_char}{}", &text[1..]).into();
    let flipped = ThresholdSealed::from_json(&value.to_string()).unwrap();
    let released = release_all(&flipped, &secrets[..2], &officer.public(), &ANCHOR);
    let e = err(open(&flipped, &released, &officer, &ANCHOR));
    assert_eq!(e, EscrowError::DecryptionFailed);
}

#[test]
fn escrow_key_files_round_trip() {
    let alice = ApproverSecret::generate("alice").unwrap();
    let file = alice.to_json().unwrap();
    let back = ApproverSecret::from_json(&file).unwrap();
    assert_eq!(back.public(), alice.public());
    assert_eq!(back.id(), "alice");
    assert_eq!(
        back.approval_key().public_key(),
        alice.public().approval_public_key()
    );
    // Serde directly, as a config loader would.
    let via_serde: ApproverSecret =
        serde_json::from_str(&serde_json::to_string(&alice).unwrap()).unwrap();
    assert_eq!(via_serde.public(), alice.public());

    // Debug shows no secret.
    let value: serde_json::Value = serde_json::from_str(&file).unwrap();
    let seed = value["ed25519_seed"].as_str().unwrap();
    let x25519 = value["x25519_secret"].as_str().unwrap();
    let debug = format!("{alice:?}");
    assert!(!debug.contains(seed) && !debug.contains(x25519), "{debug}");
    assert!(debug.contains("alice"));

    let public = alice.public();
    let public_file = public.to_json().unwrap();
    assert!(!public_file.contains(seed) && !public_file.contains(x25519));
    assert_eq!(ApproverPublic::from_json(&public_file).unwrap(), public);

    let officer = OfficerSecret::generate().unwrap();
    let officer_file = officer.to_json().unwrap();
    let officer_back = OfficerSecret::from_json(&officer_file).unwrap();
    assert_eq!(officer_back.public(), officer.public());
    let officer_value: serde_json::Value = serde_json::from_str(&officer_file).unwrap();
    let officer_secret = officer_value["x25519_secret"].as_str().unwrap();
    assert!(!format!("{officer:?}").contains(officer_secret));
    assert_eq!(
        HpkePublicKey::from_hex(&officer.public().to_hex()).unwrap(),
        officer.public()
    );

    // A restored officer key opens what was released to the original.
    let (secrets, publics) = approvers(2);
    let sealed = seal("enrolment-10", RECORD, &publics, 2).unwrap();
    let released = release_all(&sealed, &secrets, &officer.public(), &ANCHOR);
    assert_eq!(
        open(&sealed, &released, &officer_back, &ANCHOR).unwrap(),
        RECORD
    );

    // One kind of key file is not read as another, and damaged files are refused.
    assert!(ApproverSecret::from_json(&officer_file).is_err());
    assert!(OfficerSecret::from_json(&file).is_err());
    assert!(ApproverSecret::from_json(&file.replace(seed, &seed[2..])).is_err());
    assert!(ApproverPublic::from_json(&public_file.replace("alice", "")).is_err());
    let weak = ApproverPublic::from_parts("weak", &[0u8; 32], &[9u8; 32]);
    assert!(matches!(err(weak), EscrowError::Malformed { .. }));
}

#[test]
fn escrow_largest_sealing_fits_its_bounds() {
    use realdid_core::escrow::{MAX_ID_LEN, MAX_RECORD_ID_LEN, MAX_SEALED_JSON_LEN};
    let secrets: Vec<ApproverSecret> = (0..MAX_APPROVERS)
        .map(|i| ApproverSecret::generate(&format!("{i:0>width$}", width = MAX_ID_LEN)).unwrap())
        .collect();
    let publics: Vec<ApproverPublic> = secrets.iter().map(ApproverSecret::public).collect();
    let record = vec![0x5au8; MAX_RECORD_LEN];
    let record_id = "r".repeat(MAX_RECORD_ID_LEN);
    let k = u8::try_from(MAX_APPROVERS).unwrap();
    let sealed = seal(&record_id, &record, &publics, k).unwrap();
    let json = sealed.to_json().unwrap();
    assert!(json.len() <= MAX_SEALED_JSON_LEN, "{} bytes", json.len());
    let back = ThresholdSealed::from_json(&json).unwrap();
    let officer = OfficerSecret::generate().unwrap();
    let released = release_all(&back, &secrets, &officer.public(), &ANCHOR);
    for share in &released {
        let text = share.to_json().unwrap();
        assert_eq!(ReleasedShare::from_json(&text).unwrap(), *share);
    }
    assert_eq!(open(&back, &released, &officer, &ANCHOR).unwrap(), record);
}
