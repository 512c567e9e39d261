//! Tests of `realdid_core::status_list` against the published examples of the IETF Token
//! Status List draft and the W3C Bitstring Status List v1.0, plus property tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use realdid_core::ErrorKind;
use realdid_core::status_list::{
    BitstringStatusList, BitstringStatusListEntry, BitstringStatusListSubject, MIN_BITSTRING_BITS,
    Status, StatusBits, StatusClaim, StatusList, StatusListError, StatusListIndex,
    StatusListObject, StatusListTokenClaims, StatusPurpose, StatusSize, StatusTally, StatusUri,
};
use serde_json::json;

/// The W3C spec example: 131,072 zero bits.
const W3C_EXAMPLE: &str = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

fn object(bits: StatusBits, lst: &str) -> StatusListObject {
    StatusListObject {
        bits,
        lst: lst.to_owned(),
        aggregation_uri: None,
    }
}

fn statuses(list: &StatusList) -> Vec<u8> {
    (0..list.len())
        .map(|i| list.get(i).unwrap().raw())
        .collect()
}

fn list_of(bits: StatusBits, values: &[u8]) -> StatusList {
    let mut list = StatusList::new(bits, values.len()).unwrap();
    for (i, &value) in values.iter().enumerate() {
        list.set(i, Status::from_raw(value)).unwrap();
    }
    list
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

// ---- IETF Token Status List -------------------------------------------------------------

const ONE_BIT: [u8; 16] = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
const TWO_BIT: [u8; 12] = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];

#[test]
fn draft_one_bit_example_decodes() {
    let list = StatusList::decode(&object(StatusBits::One, "eNrbuRgAAhcBXQ")).unwrap();
    assert_eq!(list.as_bytes(), [0xb9, 0xa3]);
    assert_eq!(statuses(&list), ONE_BIT);
}

#[test]
fn draft_two_bit_example_decodes() {
    let list = StatusList::decode(&object(StatusBits::Two, "eNo76fITAAPfAgc")).unwrap();
    assert_eq!(list.as_bytes(), [0xc9, 0x44, 0xf9]);
    assert_eq!(statuses(&list), TWO_BIT);
}

#[test]
fn the_tally_counts_revoked_and_suspended_entries_of_the_draft_examples() {
    let one = StatusList::decode(&object(StatusBits::One, "eNrbuRgAAhcBXQ")).unwrap();
    assert_eq!(
        one.tally(),
        StatusTally {
            revoked: 9,
            suspended: 0
        }
    );
    let two = StatusList::decode(&object(StatusBits::Two, "eNo76fITAAPfAgc")).unwrap();
    // 1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3: four INVALID, two SUSPENDED, 3 is neither.
    assert_eq!(
        two.tally(),
        StatusTally {
            revoked: 4,
            suspended: 2
        }
    );
}

#[test]
fn draft_examples_round_trip_through_our_encoder() {
    for (bits, values, published) in [
        (StatusBits::One, &ONE_BIT[..], "eNrbuRgAAhcBXQ"),
        (StatusBits::Two, &TWO_BIT[..], "eNo76fITAAPfAgc"),
    ] {
        let list = list_of(bits, values);
        let encoded = list.encode().unwrap();
        assert_eq!(StatusList::decode(&encoded).unwrap(), list);
        assert_eq!(StatusList::decode(&object(bits, published)).unwrap(), list);
    }
}

#[test]
fn status_list_object_json_shape() {
    let encoded = list_of(StatusBits::One, &ONE_BIT).encode().unwrap();
    let value = serde_json::to_value(&encoded).unwrap();
    assert_eq!(value, json!({"bits": 1, "lst": encoded.lst}));
    let parsed: StatusListObject =
        serde_json::from_value(json!({"bits": 2, "lst": "eNo76fITAAPfAgc"})).unwrap();
    assert_eq!(parsed.bits, StatusBits::Two);
    for bits in [0, 3, 5, 16, 256] {
        let result = serde_json::from_value::<StatusListObject>(json!({"bits": bits, "lst": ""}));
        assert!(result.is_err(), "bits {bits}");
    }
    assert_eq!(
        StatusBits::try_from(3u8),
        Err(StatusListError::UnsupportedBits { found: 3 })
    );
}

#[test]
fn get_and_set_errors() {
    let mut list = StatusList::new(StatusBits::Two, 10).unwrap();
    assert_eq!(list.len(), 12, "rounded up to whole bytes");
    let error = list.get(12).unwrap_err();
    assert_eq!(
        error,
        StatusListError::IndexOutOfRange { index: 12, len: 12 }
    );
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(
        list.set(usize::MAX, Status::INVALID),
        Err(StatusListError::IndexOutOfRange {
            index: usize::MAX,
            len: 12
        })
    );
    let error = list.set(0, Status::from_raw(4)).unwrap_err();
    assert_eq!(error, StatusListError::ValueTooWide { value: 4, bits: 2 });
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    list.set(11, Status::APPLICATION_SPECIFIC).unwrap();
    assert_eq!(list.get(11).unwrap(), Status::APPLICATION_SPECIFIC);
    assert_eq!(list.as_bytes(), [0, 0, 0b1100_0000]);

    let mut eight = StatusList::new(StatusBits::Eight, 2).unwrap();
    eight.set(1, Status::from_raw(0xff)).unwrap();
    assert_eq!(eight.as_bytes(), [0, 0xff]);
    assert_eq!(Status::from_raw(0xff).to_string(), "0xFF");
    assert_eq!(Status::SUSPENDED.to_string(), "SUSPENDED");
}

#[test]
fn little_endian_bit_order() {
    let mut list = StatusList::new(StatusBits::One, 16).unwrap();
    list.set(0, Status::INVALID).unwrap();
    list.set(9, Status::INVALID).unwrap();
    assert_eq!(list.as_bytes(), [0b0000_0001, 0b0000_0010]);
    let mut four = StatusList::new(StatusBits::Four, 2).unwrap();
    four.set(1, Status::from_raw(0xa)).unwrap();
    assert_eq!(four.as_bytes(), [0xa0]);
}

#[test]
fn too_large_lists_are_refused() {
    assert!(matches!(
        StatusList::new(StatusBits::Eight, 16 * 1024 * 1024 + 1),
        Err(StatusListError::TooLarge { .. })
    ));
    // A zip bomb: 1 MiB of zeros compresses to about a kilobyte.
    let bomb = URL_SAFE_NO_PAD.encode(zlib(&vec![0u8; 1024 * 1024]));
    let decoded = StatusList::decode_with_limit(&object(StatusBits::One, &bomb), 1024 * 1024);
    assert_eq!(decoded.unwrap().len(), 8 * 1024 * 1024);
    let refused = StatusList::decode_with_limit(&object(StatusBits::One, &bomb), 1024 * 1024 - 1);
    assert_eq!(
        refused,
        Err(StatusListError::TooLarge {
            limit: 1024 * 1024 - 1
        })
    );
    // Text longer than any list within the limit could need is refused before decoding.
    let long = "A".repeat(10_000);
    assert!(matches!(
        StatusList::decode_with_limit(&object(StatusBits::One, &long), 1000),
        Err(StatusListError::EncodedTooLong { .. })
    ));
}

#[test]
fn malformed_lists_are_refused() {
    let good = zlib(&[0xb9, 0xa3]);
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "empty"),
        ("eNrbuRgAAhcBXQ==".to_owned(), "padding"),
        ("eNrbuRgAAhcBXQ!".to_owned(), "bad character"),
        ("eNr+uRgAAhcBXQ".to_owned(), "standard alphabet"),
        (URL_SAFE_NO_PAD.encode(&good[..good.len() - 3]), "truncated"),
        (URL_SAFE_NO_PAD.encode([0xb9, 0xa3]), "not zlib"),
        (
            URL_SAFE_NO_PAD.encode([&good[..], &[0]].concat()),
            "trailing data",
        ),
        (
            {
                let mut bad_checksum = good.clone();
                *bad_checksum.last_mut().unwrap() ^= 1;
                URL_SAFE_NO_PAD.encode(bad_checksum)
            },
            "bad checksum",
        ),
    ];
    for (lst, what) in cases {
        let error = StatusList::decode(&object(StatusBits::One, &lst)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{what}: {error}");
        let base64_problem = matches!(what, "padding" | "bad character" | "standard alphabet");
        if base64_problem {
            assert!(
                matches!(error, StatusListError::Base64 { .. }),
                "{what}: {error}"
            );
        } else {
            assert!(
                matches!(error, StatusListError::Decompress { .. }),
                "{what}: {error}"
            );
        }
    }
}

#[test]
fn status_list_token_claims() {
    let payload = json!({
        "sub": "https://example.com/statuslists/1",
        "iat": 1686920170,
        "exp": 2291720170_i64,
        "ttl": 43200,
        "iss": "https://example.com",
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}
    });
    let claims: StatusListTokenClaims = serde_json::from_value(payload.clone()).unwrap();
    assert_eq!(claims.sub.as_str(), "https://example.com/statuslists/1");
    assert_eq!(
        (claims.iat, claims.exp, claims.ttl),
        (1686920170, Some(2291720170), Some(43200))
    );
    assert_eq!(
        statuses(&StatusList::decode(&claims.status_list).unwrap()),
        ONE_BIT
    );
    let mut expected = payload;
    expected.as_object_mut().unwrap().remove("iss");
    assert_eq!(serde_json::to_value(&claims).unwrap(), expected);

    assert_eq!(claims.check_not_expired(2291720169), Ok(()));
    let error = claims.check_not_expired(2291720170).unwrap_err();
    assert_eq!(
        error,
        StatusListError::Expired {
            exp: 2291720170,
            now: 2291720170
        }
    );
    assert_eq!(error.kind(), ErrorKind::Expired);

    let missing_sub = json!({"iat": 1, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}});
    assert!(serde_json::from_value::<StatusListTokenClaims>(missing_sub).is_err());
    let relative_sub = json!({"sub": "/statuslists/1", "iat": 1,
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}});
    assert!(serde_json::from_value::<StatusListTokenClaims>(relative_sub).is_err());
}

#[test]
fn referenced_token_status_claim() {
    let value = json!({"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}});
    let claim: StatusClaim = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(claim.status_list.idx, 0);
    assert_eq!(serde_json::to_value(&claim).unwrap(), value);
    let claims: StatusListTokenClaims = serde_json::from_value(json!({
        "sub": "https://example.com/statuslists/1", "iat": 1,
        "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}
    }))
    .unwrap();
    assert!(claims.is_referenced_by(&claim.status_list));
    for bad in [
        json!({"status_list": {"idx": -1, "uri": "https://example.com/1"}}),
        json!({"status_list": {"idx": 1.5, "uri": "https://example.com/1"}}),
        json!({"status_list": {"idx": 1, "uri": "not a uri"}}),
        json!({"status_list": {"uri": "https://example.com/1"}}),
    ] {
        assert!(
            serde_json::from_value::<StatusClaim>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn uris() {
    for good in [
        "https://example.com/1",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "did:web:example.com#status",
    ] {
        assert_eq!(good.parse::<StatusUri>().unwrap().as_str(), good);
    }
    for bad in [
        "",
        "example.com/1",
        "/1",
        "https://exa mple.com",
        "1http://x",
        "https:",
        "https://é.com",
        "http://x\n",
    ] {
        let error = bad.parse::<StatusUri>().unwrap_err();
        assert!(
            matches!(error, StatusListError::InvalidUri { .. }),
            "{bad:?}"
        );
    }
    let long = format!("https://example.com/{}", "a".repeat(3000));
    let error = long.parse::<StatusUri>().unwrap_err();
    let StatusListError::InvalidUri { found, .. } = error else {
        panic!("{error}")
    };
    assert!(
        found.chars().count() <= 41,
        "the error does not echo the whole input"
    );
}

// ---- W3C Bitstring Status List ------------------------------------------------------------

#[test]
fn w3c_spec_example_is_131072_zero_bits() {
    let list = BitstringStatusList::decode(W3C_EXAMPLE, StatusSize::ONE).unwrap();
    assert_eq!(list.bit_len(), 131_072);
    assert_eq!(list.len(), 131_072);
    assert!(list.as_bytes().iter().all(|&b| b == 0));
    assert_eq!(list.get(0), Ok(0));
    assert_eq!(list.get(131_071), Ok(0));
    assert_eq!(
        list.get(131_072),
        Err(StatusListError::IndexOutOfRange {
            index: 131_072,
            len: 131_072
        })
    );
    assert_eq!(BitstringStatusList::new(StatusSize::ONE, 0).unwrap(), list);
}

#[test]
fn w3c_big_endian_bit_order_and_multi_bit_entries() {
    let mut list = BitstringStatusList::new(StatusSize::ONE, 0).unwrap();
    list.set(0, 1).unwrap();
    list.set(9, 1).unwrap();
    assert_eq!(&list.as_bytes()[..2], [0b1000_0000, 0b0100_0000]);
    assert_eq!(
        list.set(0, 2),
        Err(StatusListError::ValueTooWide { value: 2, bits: 1 })
    );

    // Three-bit entries straddle bytes: entry 2 is bits 6, 7, 8.
    let size = StatusSize::new(3).unwrap();
    let mut list = BitstringStatusList::new(size, 10).unwrap();
    assert_eq!(list.len(), MIN_BITSTRING_BITS, "at least 131,072 entries");
    list.set(2, 0b101).unwrap();
    assert_eq!(&list.as_bytes()[..2], [0b0000_0010, 0b1000_0000]);
    assert_eq!(list.get(2), Ok(0b101));
    assert_eq!(list.get(1), Ok(0));
    assert_eq!(list.get(3), Ok(0));
    assert_eq!(
        StatusSize::new(0),
        Err(StatusListError::UnsupportedStatusSize { found: 0 })
    );
    assert_eq!(
        StatusSize::new(9),
        Err(StatusListError::UnsupportedStatusSize { found: 9 })
    );
}

#[test]
fn w3c_encoding() {
    let mut list = BitstringStatusList::new(StatusSize::ONE, 200_000).unwrap();
    assert_eq!(list.bit_len(), 200_000);
    for index in [0, 7, 94_567, 199_999] {
        list.set(index, 1).unwrap();
    }
    let encoded = list.encode().unwrap();
    assert!(
        encoded.starts_with("uH4sI"),
        "multibase u + gzip magic: {encoded}"
    );
    assert_eq!(
        BitstringStatusList::decode(&encoded, StatusSize::ONE).unwrap(),
        list
    );
}

#[test]
fn w3c_malformed_lists_are_refused() {
    let body = &W3C_EXAMPLE[1..];
    assert_eq!(
        BitstringStatusList::decode(body, StatusSize::ONE),
        Err(StatusListError::MultibasePrefix { found: Some('H') })
    );
    assert_eq!(
        BitstringStatusList::decode("", StatusSize::ONE),
        Err(StatusListError::MultibasePrefix { found: None })
    );
    assert!(matches!(
        BitstringStatusList::decode(&format!("z{body}"), StatusSize::ONE),
        Err(StatusListError::MultibasePrefix { found: Some('z') })
    ));
    // ZLIB where GZIP is expected.
    let zlib_list = format!("u{}", URL_SAFE_NO_PAD.encode(zlib(&[0; 16_384])));
    assert!(matches!(
        BitstringStatusList::decode(&zlib_list, StatusSize::ONE),
        Err(StatusListError::Decompress { .. })
    ));
    // Shorter than the minimum.
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&[0; 100]).unwrap();
    let short = format!("u{}", URL_SAFE_NO_PAD.encode(gzip.finish().unwrap()));
    assert_eq!(
        BitstringStatusList::decode(&short, StatusSize::ONE),
        Err(StatusListError::BitstringTooShort {
            bits: 800,
            minimum: 131_072
        })
    );
    // Bounded decompression.
    assert_eq!(
        BitstringStatusList::decode_with_limit(W3C_EXAMPLE, StatusSize::ONE, 16_383),
        Err(StatusListError::TooLarge { limit: 16_383 })
    );
}

#[test]
fn w3c_status_entry() {
    let value = json!({
        "id": "https://example.com/credentials/status/3#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.com/credentials/status/3"
    });
    let entry: BitstringStatusListEntry = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(entry.status_purpose, StatusPurpose::Revocation);
    assert_eq!(entry.status_list_index.get(), 94_567);
    assert_eq!(entry.effective_status_size(), StatusSize::ONE);
    assert_eq!(serde_json::to_value(&entry).unwrap(), value);

    let built = BitstringStatusListEntry::new(
        StatusPurpose::Suspension,
        7,
        "https://example.com/credentials/status/4".parse().unwrap(),
    );
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        json!({
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": "7",
            "statusListCredential": "https://example.com/credentials/status/4"
        })
    );

    let message = json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "0",
        "statusListCredential": "https://example.com/credentials/status/5",
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "pending_review"},
            {"status": "0x1", "message": "accepted"},
            {"status": "0x2", "message": "rejected"},
            {"status": "0x3", "message": "undefined"}
        ]
    });
    let entry: BitstringStatusListEntry = serde_json::from_value(message.clone()).unwrap();
    assert_eq!(entry.effective_status_size(), StatusSize::new(2).unwrap());
    assert_eq!(entry.status_message[2].status, 2);
    assert_eq!(serde_json::to_value(&entry).unwrap(), message);
}

#[test]
fn w3c_status_entry_is_checked() {
    let base = json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.com/credentials/status/3"
    });
    let with = |key: &str, value: serde_json::Value| {
        let mut entry = base.clone();
        entry[key] = value;
        serde_json::from_value::<BitstringStatusListEntry>(entry)
    };
    assert!(with("type", json!("StatusList2021Entry")).is_err());
    assert!(with("statusPurpose", json!("expiry")).is_err());
    assert!(
        with("statusListIndex", json!(94567)).is_err(),
        "a number, not a string"
    );
    for index in [
        "",
        "-1",
        "+1",
        " 1",
        "1.0",
        "0x10",
        "１",
        "999999999999999999999",
    ] {
        assert!(with("statusListIndex", json!(index)).is_err(), "{index:?}");
    }
    assert!(with("statusListCredential", json!("status/3")).is_err());
    assert!(with("statusSize", json!(9)).is_err());
    assert!(with("statusMessage", json!([{"status": "2", "message": "x"}])).is_err());
    assert!(
        with(
            "statusMessage",
            json!([{"status": "0x100", "message": "x"}])
        )
        .is_err()
    );
    assert_eq!(
        "abc".parse::<StatusListIndex>(),
        Err(StatusListError::InvalidIndex {
            found: "abc".to_owned()
        })
    );
}

#[test]
fn w3c_status_list_subject() {
    let value = json!({
        "id": "https://example.com/status/3#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": W3C_EXAMPLE
    });
    let subject: BitstringStatusListSubject = serde_json::from_value(value.clone()).unwrap();
    let list = BitstringStatusList::decode(&subject.encoded_list, StatusSize::ONE).unwrap();
    assert_eq!(list.len(), 131_072);
    assert_eq!(serde_json::to_value(&subject).unwrap(), value);
    let mut wrong = value;
    wrong["type"] = json!("BitstringStatusListEntry");
    assert!(serde_json::from_value::<BitstringStatusListSubject>(wrong).is_err());
}

// ---- Properties ---------------------------------------------------------------------------

fn any_bits() -> impl Strategy<Value = StatusBits> {
    prop_oneof![
        Just(StatusBits::One),
        Just(StatusBits::Two),
        Just(StatusBits::Four),
        Just(StatusBits::Eight)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The tally agrees with counting the statuses one by one, for every width.
    #[test]
    fn the_tally_matches_counting_each_status(
        width in prop::sample::select(vec![StatusBits::One, StatusBits::Two, StatusBits::Four, StatusBits::Eight]),
        raw in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let values: Vec<u8> = raw.iter().map(|v| v & width.max_value()).collect();
        let list = list_of(width, &values);
        let count = |status: u8| values.iter().filter(|&&v| v == status).count() as u64;
        prop_assert_eq!(list.tally(), StatusTally { revoked: count(1), suspended: count(2) });
    }

    #[test]
    fn token_list_set_get_and_round_trip(
        bits in any_bits(),
        initial in proptest::collection::vec(any::<u8>(), 1..64),
        index_seed in any::<usize>(),
        value_seed in any::<u8>(),
    ) {
        let values: Vec<u8> = initial.iter().map(|v| v & bits.max_value()).collect();
        let mut list = list_of(bits, &values);
        let before = statuses(&list);
        let index = index_seed % list.len();
        let value = Status::from_raw(value_seed & bits.max_value());
        list.set(index, value).unwrap();
        prop_assert_eq!(list.get(index).unwrap(), value);
        for (i, &old) in before.iter().enumerate() {
            if i != index {
                prop_assert_eq!(list.get(i).unwrap().raw(), old);
            }
        }
        let decoded = StatusList::decode(&list.encode().unwrap()).unwrap();
        prop_assert_eq!(decoded, list);
    }

    #[test]
    fn token_list_refuses_wide_values(bits in any_bits(), value in any::<u8>()) {
        let mut list = StatusList::new(bits, 8).unwrap();
        let result = list.set(0, Status::from_raw(value));
        prop_assert_eq!(result.is_ok(), value <= bits.max_value());
    }

    #[test]
    fn token_list_decode_never_panics(lst in "[A-Za-z0-9_-]{0,64}", bits in any_bits()) {
        let _ = StatusList::decode(&object(bits, &lst));
    }

    #[test]
    fn bitstring_set_get_and_round_trip(
        size in 1u8..=8,
        writes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16),
    ) {
        let size = StatusSize::new(size).unwrap();
        let mut list = BitstringStatusList::new(size, 0).unwrap();
        let mut expected = std::collections::BTreeMap::new();
        for (index_seed, value_seed) in writes {
            let index = index_seed % list.len();
            let value = value_seed & size.max_value();
            list.set(index, value).unwrap();
            expected.insert(index, value);
            prop_assert_eq!(list.get(index).unwrap(), value);
        }
        for (&index, &value) in &expected {
            prop_assert_eq!(list.get(index).unwrap(), value);
            // Neighbours not written stay zero.
            for neighbour in [index.wrapping_sub(1), index + 1] {
                if neighbour < list.len() && !expected.contains_key(&neighbour) {
                    prop_assert_eq!(list.get(neighbour).unwrap(), 0);
                }
            }
        }
        let set_bits: u32 = list.as_bytes().iter().map(|b| b.count_ones()).sum();
        let expected_bits: u32 = expected.values().map(|v| v.count_ones()).sum();
        prop_assert_eq!(set_bits, expected_bits, "no other bit changed");
        let decoded = BitstringStatusList::decode(&list.encode().unwrap(), size).unwrap();
        prop_assert_eq!(decoded, list);
    }
}
