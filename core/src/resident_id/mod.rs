//! Resident identity numbers of the People's Republic of China (公民身份号码,
//! GB 11643-1999): parsing and checking them ([`ResidentId`]), and making valid synthetic
//! ones for test data ([`ResidentIdGenerator`], [`synthetic_name`]).
//!
//! The issuer's real-name check starts here: a number that does not parse is never sent
//! to the identity-verification service, and a number that does parse carries its region,
//! birth date and sex as typed values.
//!
//! | file | what it holds |
//! |---|---|
//! | [`number`] | [`ResidentId`], [`Sex`]: the 18-character format and its invariants |
//! | [`region`] | [`RegionCode`], [`Province`], the table of [`KNOWN_REGIONS`] |
//! | [`birth_date`] | the birth-date rules and [`EARLIEST_BIRTH_DATE`] |
//! | [`check_digit`] | ISO 7064 MOD 11-2 |
//! | [`generator`] | [`ResidentIdGenerator`], [`SplitMix64`] |
//! | [`name`] | [`synthetic_name`] |
//!
//! Nothing here reads the clock: [`ResidentId::parse`] takes `today`.
//!
//! Out of scope: the 15-digit numbers of before 1999 (no check character, two-digit
//! years; convert them before parsing), and the residence-permit numbers of Hong Kong,
//! Macao and Taiwan residents, whose region codes 810000 / 820000 / 830000 are
//! province-only codes and so are refused here.

pub mod birth_date;
pub mod check_digit;
mod error;
pub mod generator;
pub mod name;
pub mod number;
pub mod region;

pub use birth_date::EARLIEST_BIRTH_DATE;
pub use check_digit::check_character;
pub use error::ResidentIdError;
pub use generator::{
    DEFAULT_EARLIEST_BIRTH, DEFAULT_LATEST_BIRTH, ResidentIdGenerator, SplitMix64,
};
pub use name::{SyntheticName, synthetic_name};
pub use number::{RESIDENT_ID_LEN, ResidentId, Sex};
pub use region::{KNOWN_REGIONS, KnownRegion, Province, RegionCode};
