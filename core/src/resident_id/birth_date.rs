//! The birth date in a resident identity number: digits 7 to 14, `YYYYMMDD`.
//!
//! It must be a real calendar date (so `19000229` is refused: 1900 was not a leap year),
//! not after `today`, and not before [`EARLIEST_BIRTH_DATE`]. `today` is an argument
//! because core has no clock; the caller passes the date in China (UTC+8) on which the
//! number is being checked.
//!
//! Why 1800-01-01 and not 1900-01-01: the standard's own annex gives the sample
//! `440524188001010014`, born 1880-01-01, and a validator that rejects the standard's
//! sample would be wrong by the standard's letter. No living person was born before
//! 1900, so the earlier bound costs nothing in practice; it only stops nonsense such as
//! year 0001.

use time::{Date, Month};

use super::error::ResidentIdError;

/// The earliest birth date accepted: 1800-01-01 (see the module documentation).
pub const EARLIEST_BIRTH_DATE: Date = time::macros::date!(1800 - 01 - 01);

/// The birth date written by the eight ASCII digits `digits`, checked against the bounds.
pub(crate) fn parse(digits: &[u8; 8], today: Date) -> Result<Date, ResidentIdError> {
    let number = |range: std::ops::Range<usize>| {
        digits
            .get(range)
            .unwrap_or_default()
            .iter()
            .fold(0u16, |acc, &b| {
                acc * 10 + u16::from(b.wrapping_sub(b'0') % 10)
            })
    };
    let invalid = || ResidentIdError::InvalidBirthDate {
        date: digits.iter().map(|&b| char::from(b)).collect(),
    };
    let year = i32::from(number(0..4));
    let month = u8::try_from(number(4..6))
        .ok()
        .and_then(|month| Month::try_from(month).ok())
        .ok_or_else(invalid)?;
    let day = u8::try_from(number(6..8)).map_err(|_| invalid())?;
    let birth_date = Date::from_calendar_date(year, month, day).map_err(|_| invalid())?;
    check_bounds(birth_date, today)?;
    Ok(birth_date)
}

/// Fails if `birth_date` is before [`EARLIEST_BIRTH_DATE`] or after `today`.
pub(crate) fn check_bounds(birth_date: Date, today: Date) -> Result<(), ResidentIdError> {
    if birth_date < EARLIEST_BIRTH_DATE {
        return Err(ResidentIdError::BirthDateTooEarly {
            birth_date,
            earliest: EARLIEST_BIRTH_DATE,
        });
    }
    if birth_date > today {
        return Err(ResidentIdError::BirthDateInFuture { birth_date, today });
    }
    Ok(())
}
