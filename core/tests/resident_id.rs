//! Tests of `realdid_core::resident_id`: the samples of GB 11643-1999, every error
//! variant, the masked `Debug`, and property tests of the generator and the check
//! character.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use proptest::prelude::*;
use realdid_core::ErrorKind;
use realdid_core::resident_id::{
    EARLIEST_BIRTH_DATE, KNOWN_REGIONS, Province, RegionCode, ResidentId, ResidentIdError,
    ResidentIdGenerator, Sex, check_character,
};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 05 - 01);

fn parse(text: &str) -> Result<ResidentId, ResidentIdError> {
    ResidentId::parse(text, TODAY)
}

/// `first17` followed by its correct check character.
fn with_check(first17: &str) -> String {
    let bytes: [u8; 17] = first17.as_bytes().try_into().unwrap();
    format!("{first17}{}", check_character(&bytes).unwrap())
}

#[test]
fn standard_sample_beijing() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(id.as_str(), "11010519491231002X");
    assert_eq!(id.to_string(), "11010519491231002X");
    assert_eq!(id.region().get(), 110_105);
    assert_eq!(id.region().province(), Province::Beijing);
    assert_eq!(id.region().known().unwrap().county_en, "Chaoyang");
    assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
    assert_eq!(id.sequence(), 2);
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(id.check_character(), 'X');
}

#[test]
fn standard_sample_guangdong_retired_region() {
    let id = parse("440524188001010014").unwrap();
    assert_eq!(id.region().province(), Province::Guangdong);
    assert_eq!(id.region().province().name_zh(), "广东省");
    assert_eq!(
        id.region().known(),
        None,
        "440524 is retired, yet plausible"
    );
    assert_eq!(id.birth_date(), date!(1880 - 01 - 01));
    assert_eq!(id.sequence(), 1);
    assert_eq!(id.sex(), Sex::Male);
}

#[test]
fn lowercase_x_is_normalised() {
    let lower = parse("11010519491231002x").unwrap();
    assert_eq!(lower.as_str(), "11010519491231002X");
    assert_eq!(lower, parse("11010519491231002X").unwrap());
}

#[test]
fn debug_masks_the_birth_date() {
    let id = parse("11010519491231002X").unwrap();
    assert_eq!(format!("{id:?}"), "ResidentId(110105********002X)");
    assert!(!format!("{id:#?}").contains("19491231"));
}

#[test]
fn wrong_check_character() {
    let error = parse("110105194912310021").unwrap_err();
    assert_eq!(
        error,
        ResidentIdError::CheckCharacter {
            expected: 'X',
            found: '1'
        }
    );
    assert_eq!(error.to_string(), "check character is 1, expected X");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[test]
fn wrong_length() {
    for (text, found) in [
        ("", 0),
        ("11010519491231002", 17),
        ("11010519491231002XX", 19),
        ("110105 19491231002X", 19),
    ] {
        assert_eq!(
            parse(text),
            Err(ResidentIdError::Length { found }),
            "{text:?}"
        );
    }
    // Length counts characters, not bytes.
    assert_eq!(parse("一二三"), Err(ResidentIdError::Length { found: 3 }));
    let huge = "1".repeat(1_000_000);
    assert_eq!(
        parse(&huge),
        Err(ResidentIdError::Length { found: 1_000_000 })
    );
}

#[test]
fn non_digit() {
    for (text, position, found) in [
        ("A1010519491231002X", 1, 'A'),
        ("11010519491231O02X", 15, 'O'),
        ("1101051949123100X2", 17, 'X'),
        ("11010519491231002Y", 18, 'Y'),
        ("１１0105194912310021", 1, '１'),
        ("11010519491231002-", 18, '-'),
    ] {
        assert_eq!(
            parse(text),
            Err(ResidentIdError::NonDigit { position, found }),
            "{text:?}"
        );
    }
}

#[test]
fn unknown_region() {
    for first17 in [
        "99010519491231002", // no province 99
        "00010519491231002",
        "16010519491231002", // 16 is not a province
        "83010519491231002", // nor 83 (Taiwan residence permits use it; out of scope)
        "11000019491231002", // province-only code
    ] {
        let text = with_check(first17);
        let expected = ResidentIdError::UnknownRegion {
            code: first17[..6].to_owned(),
        };
        assert_eq!(parse(&text), Err(expected), "{text}");
    }
    // Every real province prefix is accepted, even without a known county.
    for province in Province::ALL {
        let text = with_check(&format!("{:02}999919800101001", province.code()));
        assert_eq!(parse(&text).unwrap().region().province(), province);
    }
}

#[test]
fn invalid_birth_date() {
    for date in [
        "19000230", "19000229", "20230229", "19801301", "19800001", "19800100", "19800132",
        "00000000",
    ] {
        let text = with_check(&format!("110105{date}002"));
        assert_eq!(
            parse(&text),
            Err(ResidentIdError::InvalidBirthDate {
                date: date.to_owned()
            }),
            "{text}"
        );
    }
    // 2000 and 2024 were leap years.
    assert!(parse(&with_check("11010520000229002")).is_ok());
    assert!(parse(&with_check("11010520240229002")).is_ok());
}

#[test]
fn birth_date_in_future() {
    let text = with_check("11010520260502002");
    assert_eq!(
        parse(&text),
        Err(ResidentIdError::BirthDateInFuture {
            birth_date: date!(2026 - 05 - 02),
            today: TODAY
        })
    );
    // Born today is fine; tomorrow is refused only until tomorrow.
    assert!(parse(&with_check("11010520260501002")).is_ok());
    assert!(ResidentId::parse(&text, date!(2026 - 05 - 02)).is_ok());
}

#[test]
fn birth_date_too_early() {
    assert_eq!(EARLIEST_BIRTH_DATE, date!(1800 - 01 - 01));
    assert!(parse(&with_check("11010518000101002")).is_ok());
    let text = with_check("11010517991231002");
    assert_eq!(
        parse(&text),
        Err(ResidentIdError::BirthDateTooEarly {
            birth_date: date!(1799 - 12 - 31),
            earliest: EARLIEST_BIRTH_DATE
        })
    );
}

#[test]
fn errors_name_the_first_problem_from_the_left() {
    // Unknown region and an impossible date and a wrong check character: the region wins.
    assert!(matches!(
        parse("990105190002300021"),
        Err(ResidentIdError::UnknownRegion { .. })
    ));
    // Impossible date and wrong check character: the date wins.
    assert!(matches!(
        parse("110105190002300021"),
        Err(ResidentIdError::InvalidBirthDate { .. })
    ));
}

#[test]
fn region_codes() {
    let code: RegionCode = "440305".parse().unwrap();
    assert_eq!(code.known().unwrap().county_zh, "南山区");
    assert_eq!(code.to_string(), "440305");
    assert!(KNOWN_REGIONS.len() >= 30);
    assert!(matches!(
        "99".parse::<RegionCode>(),
        Err(ResidentIdError::UnknownRegion { .. })
    ));
    assert!(RegionCode::try_from(1_100_000).is_err());
}

#[test]
fn generator_settings() {
    let region: RegionCode = "310101".parse().unwrap();
    let mut generator = ResidentIdGenerator::new(1)
        .with_region(region)
        .with_sex(Sex::Male)
        .with_birth_range(date!(1990 - 01 - 01), date!(1990 - 01 - 31))
        .unwrap();
    for _ in 0..100 {
        let id = generator.next_id();
        assert_eq!(id.region(), region);
        assert_eq!(id.sex(), Sex::Male);
        assert!(id.sequence() % 2 == 1 && id.sequence() <= 999);
        assert!((date!(1990 - 01 - 01)..=date!(1990 - 01 - 31)).contains(&id.birth_date()));
        assert_eq!(parse(id.as_str()), Ok(id));
    }
    let single_day = ResidentIdGenerator::new(2)
        .with_birth_range(EARLIEST_BIRTH_DATE, EARLIEST_BIRTH_DATE)
        .unwrap()
        .next_id();
    assert_eq!(single_day.birth_date(), EARLIEST_BIRTH_DATE);
    for (earliest, latest) in [
        (date!(2000 - 01 - 02), date!(2000 - 01 - 01)),
        (date!(1799 - 12 - 31), date!(2000 - 01 - 01)),
    ] {
        assert_eq!(
            ResidentIdGenerator::new(0)
                .with_birth_range(earliest, latest)
                .unwrap_err(),
            ResidentIdError::BirthDateRange { earliest, latest }
        );
    }
}

#[test]
fn generator_covers_regions_and_both_sexes() {
    let ids: Vec<ResidentId> = ResidentIdGenerator::new(5).take(2000).collect();
    let regions: std::collections::HashSet<_> = ids.iter().map(|id| id.region()).collect();
    assert_eq!(regions.len(), KNOWN_REGIONS.len());
    assert!(ids.iter().any(|id| id.sex() == Sex::Male));
    assert!(ids.iter().any(|id| id.sex() == Sex::Female));
    assert!(ids.iter().all(|id| id.region().known().is_some()));
}

#[test]
fn synthetic_names() {
    let mut generator = ResidentIdGenerator::new(11);
    let names: Vec<String> = (0..50).map(|_| generator.next_name().to_string()).collect();
    assert!(
        names
            .iter()
            .all(|name| (2..=3).contains(&name.chars().count()))
    );
    let mut again = ResidentIdGenerator::new(11);
    let repeated: Vec<String> = (0..50).map(|_| again.next_name().to_string()).collect();
    assert_eq!(names, repeated, "deterministic");
    let name = generator.next_name();
    assert_eq!(
        name.to_string(),
        format!("{}{}", name.surname(), name.given_name())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_numbers_parse_with_the_right_check_character(seed in any::<u64>()) {
        let mut generator = ResidentIdGenerator::new(seed);
        for _ in 0..8 {
            let id = generator.next_id();
            let first17: [u8; 17] = id.as_str().as_bytes()[..17].try_into().unwrap();
            prop_assert_eq!(Some(id.check_character()), check_character(&first17));
            prop_assert_eq!(parse(id.as_str()), Ok(id));
        }
    }

    /// MOD 11-2 catches every single substitution, so every one of the 18 × 10 changes of
    /// a valid number is refused; a change of the check character names it.
    #[test]
    fn every_single_character_change_is_rejected(seed in any::<u64>()) {
        let id = ResidentIdGenerator::new(seed).next_id();
        let original: Vec<char> = id.as_str().chars().collect();
        for position in 0..18 {
            for replacement in "0123456789X".chars() {
                if original[position] == replacement {
                    continue;
                }
                let mut chars = original.clone();
                chars[position] = replacement;
                let changed: String = chars.into_iter().collect();
                let error = parse(&changed).unwrap_err();
                if position == 17 {
                    prop_assert_eq!(
                        error,
                        ResidentIdError::CheckCharacter {
                            expected: id.check_character(),
                            found: replacement,
                        }
                    );
                }
            }
        }
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,24}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_near_misses(text in "[0-9xX]{16,19}") {
        let _ = parse(&text);
    }
}
