//! [`ResidentId`]: a checked 18-character resident identity number, and [`Sex`].
//!
//! # Format (GB 11643-1999)
//!
//! ```text
//! 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 X
//! └── region ─┘ └── birth date ──┘ └seq┘ check
//!   (6 digits)     (YYYYMMDD)     (3)   (1)
//! ```
//!
//! - region: where the number was first issued ([`super::region`]);
//! - birth date: [`super::birth_date`];
//! - sequence: tells apart people of the same region and birth date; odd for men, even
//!   for women;
//! - check character: ISO 7064 MOD 11-2 over the first 17 digits, `0`-`9` or `X`
//!   ([`super::check_digit`]).
//!
//! # Invariants
//!
//! A `ResidentId` exists only if every rule holds, checked in this order so the error names
//! the first thing wrong from the left: length, characters, region, birth date, check
//! character. A lowercase `x` is accepted and stored as `X`, so two spellings of the same
//! number compare equal and print the same.
//!
//! The number is personal data. `Display` and [`ResidentId::as_str`] give it in full, for
//! the places that need it; `Debug` masks the birth date, so that a stray `{:?}` in a log
//! line does not leak it.

use std::fmt;

use time::Date;

use super::birth_date;
use super::check_digit;
use super::error::ResidentIdError;
use super::region::RegionCode;

/// Number of characters in a resident identity number.
pub const RESIDENT_ID_LEN: usize = 18;

/// Sex as the sequence number encodes it: odd for male, even for female.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd sequence number.
    Male,
    /// Even sequence number.
    Female,
}

impl Sex {
    /// The sex a sequence number encodes.
    pub const fn from_sequence(sequence: u16) -> Self {
        if sequence % 2 == 1 {
            Self::Male
        } else {
            Self::Female
        }
    }
}

/// A valid 18-character resident identity number (GB 11643-1999).
///
/// Built only by [`ResidentId::parse`] (and the synthetic generator, which builds valid
/// numbers by construction).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    /// The 18 characters, ASCII, check character uppercase.
    text: String,
    region: RegionCode,
    birth_date: Date,
    sequence: u16,
}

impl ResidentId {
    /// Parses `text` as a resident identity number checked on the day `today`.
    ///
    /// Accepts exactly 18 characters: 17 ASCII digits, then a digit, `X` or `x`. The
    /// region must be plausible, the birth date a real date from 1800-01-01 to `today`,
    /// and the check character right. See [`ResidentIdError`] for what each failure
    /// reports.
    pub fn parse(text: &str, today: Date) -> Result<Self, ResidentIdError> {
        let found = text.chars().count();
        if found != RESIDENT_ID_LEN {
            return Err(ResidentIdError::Length { found });
        }
        let mut body = [0u8; 17];
        let mut check = '0';
        for (index, c) in text.chars().enumerate() {
            match (body.get_mut(index), c) {
                (Some(slot), '0'..='9') => *slot = c as u8,
                (None, '0'..='9' | 'X' | 'x') => check = c.to_ascii_uppercase(),
                _ => {
                    return Err(ResidentIdError::NonDigit {
                        position: index + 1,
                        found: c,
                    });
                }
            }
        }

        let [
            r0,
            r1,
            r2,
            r3,
            r4,
            r5,
            y0,
            y1,
            y2,
            y3,
            m0,
            m1,
            d0,
            d1,
            s0,
            s1,
            s2,
        ] = body;
        let region = RegionCode::try_from(decimal(&[r0, r1, r2, r3, r4, r5]))?;
        let birth_date = birth_date::parse(&[y0, y1, y2, y3, m0, m1, d0, d1], today)?;
        let expected = check_digit::of_digits(&body);
        if check != expected {
            return Err(ResidentIdError::CheckCharacter {
                expected,
                found: check,
            });
        }
        let sequence = u16::try_from(decimal(&[s0, s1, s2])).unwrap_or(0);
        Ok(Self {
            text: assemble(&body, check),
            region,
            birth_date,
            sequence,
        })
    }

    /// A valid number from its parts, computing the check character. For the generator,
    /// whose callers guarantee `birth_date` is in 1800..=9999 and `sequence` below 1000.
    pub(crate) fn from_parts(region: RegionCode, birth_date: Date, sequence: u16) -> Self {
        let mut body = [0u8; 17];
        let fields = [
            (0..6, region.get()),
            (6..10, u32::try_from(birth_date.year()).unwrap_or(0)),
            (10..12, u32::from(u8::from(birth_date.month()))),
            (12..14, u32::from(birth_date.day())),
            (14..17, u32::from(sequence)),
        ];
        for (range, value) in fields {
            if let Some(slots) = body.get_mut(range) {
                write_decimal(slots, value);
            }
        }
        let check = check_digit::of_digits(&body);
        Self {
            text: assemble(&body, check),
            region,
            birth_date,
            sequence: sequence % 1000,
        }
    }

    /// The number, 18 characters, `X` uppercase.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Where the number was first issued.
    pub fn region(&self) -> RegionCode {
        self.region
    }

    /// The holder's date of birth.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The sequence number (digits 15-17), 0..=999.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// The holder's sex, from the parity of the sequence number.
    pub fn sex(&self) -> Sex {
        Sex::from_sequence(self.sequence)
    }

    /// The check character, `0`-`9` or `X`.
    pub fn check_character(&self) -> char {
        self.text.chars().last().unwrap_or('0')
    }
}

impl fmt::Display for ResidentId {
    /// The full number. It is personal data: display it only where it is needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for ResidentId {
    /// Masks the birth date: `ResidentId(110105********002X)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region = self.text.get(..6).unwrap_or_default();
        let tail = self.text.get(14..).unwrap_or_default();
        write!(f, "ResidentId({region}********{tail})")
    }
}

/// The value of ASCII decimal digits.
fn decimal(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, &b| acc * 10 + u32::from(b.wrapping_sub(b'0') % 10))
}

/// Writes the lowest `slots.len()` decimal digits of `value` into `slots`, zero-padded.
fn write_decimal(slots: &mut [u8], mut value: u32) {
    for slot in slots.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// The 18-character text of 17 ASCII digits and a check character.
fn assemble(body: &[u8; 17], check: char) -> String {
    let mut text: String = body.iter().map(|&b| char::from(b)).collect();
    text.push(check);
    text
}
