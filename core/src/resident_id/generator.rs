//! [`ResidentIdGenerator`]: valid, synthetic resident identity numbers for test data, and
//! the tiny deterministic PRNG ([`SplitMix64`]) behind it and [`super::name`].
//!
//! Synthetic numbers are *valid* (they parse, the check character is right) but made up:
//! a random real region from [`super::region::KNOWN_REGIONS`] (or the one asked for), a
//! birth date uniformly in a range, a random sequence number of the asked-for sex. A
//! made-up number may, by chance, be someone's real one; use them only in tests and
//! demos, never as if they identified a person.
//!
//! Generation is deterministic: the same seed and settings give the same numbers on every
//! platform and every run, so a failing test can be replayed. That is also why the PRNG
//! is written out here (SplitMix64, Steele, Lea and Flood 2014: 64 bits of state, passes
//! BigCrush, a few lines) instead of depending on a crate whose output may change between
//! versions. It is not cryptographic and must never make secrets.

use time::Date;
use time::macros::date;

use super::birth_date::EARLIEST_BIRTH_DATE;
use super::error::ResidentIdError;
use super::name::{SyntheticName, synthetic_name};
use super::number::{ResidentId, Sex};
use super::region::{KNOWN_REGIONS, Province, RegionCode};

/// SplitMix64: a small, fast, deterministic, non-cryptographic PRNG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`. Every seed, including 0, is fine.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0), by multiply-and-shift (Lemire): the
    /// bias is below `bound / 2^64`, far too small to matter for test data.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A random element of `items`, `None` if it is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = self.below(items.len() as u64);
        items.get(usize::try_from(index).ok()?)
    }
}

/// The default earliest birth date of generated numbers.
pub const DEFAULT_EARLIEST_BIRTH: Date = date!(1950 - 01 - 01);
/// The default latest birth date of generated numbers (adults in any test run after 2023).
pub const DEFAULT_LATEST_BIRTH: Date = date!(2005 - 12 - 31);

/// The region used if the known-region table were ever empty: 110101 Beijing Dongcheng.
const FALLBACK_REGION: RegionCode = RegionCode::from_parts(Province::Beijing, 1, 1);

/// Makes valid synthetic resident identity numbers (and names) from a seed.
///
/// ```
/// use realdid_core::resident_id::{ResidentIdGenerator, Sex};
///
/// let mut generator = ResidentIdGenerator::new(42).with_sex(Sex::Female);
/// let id = generator.next_id();
/// assert_eq!(id.sex(), Sex::Female);
/// let today = time::macros::date!(2026 - 01 - 01);
/// assert_eq!(realdid_core::resident_id::ResidentId::parse(id.as_str(), today), Ok(id));
/// ```
#[derive(Debug, Clone)]
pub struct ResidentIdGenerator {
    rng: SplitMix64,
    region: Option<RegionCode>,
    sex: Option<Sex>,
    earliest: Date,
    latest: Date,
}

impl ResidentIdGenerator {
    /// A generator seeded with `seed`: random known region, random sex, birth dates from
    /// [`DEFAULT_EARLIEST_BIRTH`] to [`DEFAULT_LATEST_BIRTH`].
    pub const fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
            region: None,
            sex: None,
            earliest: DEFAULT_EARLIEST_BIRTH,
            latest: DEFAULT_LATEST_BIRTH,
        }
    }

    /// Every number from now on in `region` (any plausible code, known or not).
    #[must_use]
    pub const fn with_region(mut self, region: RegionCode) -> Self {
        self.region = Some(region);
        self
    }

    /// Every number from now on of `sex`.
    #[must_use]
    pub const fn with_sex(mut self, sex: Sex) -> Self {
        self.sex = Some(sex);
        self
    }

    /// Birth dates from now on uniformly in `earliest..=latest`.
    ///
    /// Fails if the range is empty, starts before 1800-01-01 (which [`ResidentId::parse`]
    /// would refuse) or ends after year 9999 (which four digits cannot write). Numbers
    /// parse with any `today` on or after `latest`.
    pub fn with_birth_range(
        mut self,
        earliest: Date,
        latest: Date,
    ) -> Result<Self, ResidentIdError> {
        if earliest > latest || earliest < EARLIEST_BIRTH_DATE || latest.year() > 9999 {
            return Err(ResidentIdError::BirthDateRange { earliest, latest });
        }
        self.earliest = earliest;
        self.latest = latest;
        Ok(self)
    }

    /// The next synthetic number.
    pub fn next_id(&mut self) -> ResidentId {
        let region = match self.region {
            Some(region) => region,
            None => self
                .rng
                .pick(KNOWN_REGIONS)
                .map_or(FALLBACK_REGION, |known| known.code),
        };
        let first = self.earliest.to_julian_day();
        let span = u64::try_from(self.latest.to_julian_day() - first).unwrap_or(0);
        let offset = i32::try_from(self.rng.below(span + 1)).unwrap_or(0);
        let birth_date = Date::from_julian_day(first + offset).unwrap_or(self.earliest);
        let sex = match self.sex {
            Some(sex) => sex,
            None if self.rng.below(2) == 1 => Sex::Male,
            None => Sex::Female,
        };
        // 0..=499 doubled is every even number up to 998; plus one, every odd up to 999.
        let half = u16::try_from(self.rng.below(500)).unwrap_or(0);
        let sequence = half * 2 + u16::from(sex == Sex::Male);
        ResidentId::from_parts(region, birth_date, sequence)
    }

    /// A synthetic Chinese name from the same random stream.
    pub fn next_name(&mut self) -> SyntheticName {
        synthetic_name(&mut self.rng)
    }

    /// The random stream, to draw other test data from the same seed.
    pub fn rng(&mut self) -> &mut SplitMix64 {
        &mut self.rng
    }
}

impl Iterator for ResidentIdGenerator {
    type Item = ResidentId;

    /// Never ends.
    fn next(&mut self) -> Option<ResidentId> {
        Some(self.next_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_output() {
        // The first outputs for seed 1234567 of the reference C implementation.
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn below_stays_below() {
        let mut rng = SplitMix64::new(7);
        assert_eq!(rng.below(0), 0);
        assert!((0..1000).all(|_| rng.below(3) < 3));
        assert_eq!(rng.pick::<u8>(&[]), None);
    }

    #[test]
    fn same_seed_same_numbers() {
        let a: Vec<_> = ResidentIdGenerator::new(9).take(20).collect();
        let b: Vec<_> = ResidentIdGenerator::new(9).take(20).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn fallback_region_is_known() {
        assert_eq!(FALLBACK_REGION.get(), 110_101);
        assert!(FALLBACK_REGION.known().is_some());
    }
}
