//! The one error type of [`crate::resident_id`].

use time::Date;

use crate::ErrorKind;

/// Why a text is not a valid resident identity number (or a generator setting is wrong).
///
/// Each variant names the part that is wrong. Character positions count from 1, as a
/// person reading the number would. Note that some variants carry parts of the number
/// (region, birth date): treat the error as personal data too when logging.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Not 18 characters.
    #[error("a resident identity number has 18 characters, found {found}")]
    Length {
        /// How many characters (not bytes) the input has.
        found: usize,
    },
    /// A character that is not allowed where it is: positions 1 to 17 must be ASCII
    /// digits, position 18 a digit or `X`.
    #[error("character {position} is {found:?}, expected a digit (or 'X' in position 18)")]
    NonDigit {
        /// Position of the character, counting from 1.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The first six digits are not a plausible administrative division code.
    #[error("region code {code:?} is not a plausible administrative division code")]
    UnknownRegion {
        /// The code found (cut to a few characters when parsed from free text).
        code: String,
    },
    /// Digits 7 to 14 are not a calendar date.
    #[error("birth date {date} (YYYYMMDD) is not a calendar date")]
    InvalidBirthDate {
        /// The eight digits found.
        date: String,
    },
    /// The birth date is after the day the number was checked on.
    #[error("birth date {birth_date} is after today ({today})")]
    BirthDateInFuture {
        /// The birth date in the number.
        birth_date: Date,
        /// The date the number was checked against.
        today: Date,
    },
    /// The birth date is before the earliest date accepted.
    #[error("birth date {birth_date} is before the earliest accepted, {earliest}")]
    BirthDateTooEarly {
        /// The birth date in the number.
        birth_date: Date,
        /// The earliest birth date accepted.
        earliest: Date,
    },
    /// The 18th character is not the ISO 7064 MOD 11-2 check character of the first 17.
    #[error("check character is {found}, expected {expected}")]
    CheckCharacter {
        /// The check character the first 17 digits give.
        expected: char,
        /// The check character in the number.
        found: char,
    },
    /// A generator birth-date range that is empty or outside 1800-01-01..=9999-12-31.
    #[error("birth date range {earliest}..={latest} is empty or outside the representable years")]
    BirthDateRange {
        /// The earliest birth date asked for.
        earliest: Date,
        /// The latest birth date asked for.
        latest: Date,
    },
}

impl ResidentIdError {
    /// What kind of failure this is, for mapping to transport codes. Every variant is
    /// [`ErrorKind::InvalidInput`]: a number is either well formed or not.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Length { .. }
            | Self::NonDigit { .. }
            | Self::UnknownRegion { .. }
            | Self::InvalidBirthDate { .. }
            | Self::BirthDateInFuture { .. }
            | Self::BirthDateTooEarly { .. }
            | Self::CheckCharacter { .. }
            | Self::BirthDateRange { .. } => ErrorKind::InvalidInput,
        }
    }
}
