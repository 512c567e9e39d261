//! The time, from a clock the caller is given.
//!
//! Code that judges time (how old a proven state is, whether a token or a request expired,
//! whether a cache entry is stale) reads it from a [`Clock`] it was handed, never from the
//! machine directly: the binary hands out the [`SystemClock`], unit tests a [`ManualClock`]
//! they move instead of waiting, and end-to-end tests a [`ShiftedClock`] (the machine's time
//! plus an offset they move) where real processes and real block times take part.
//!
//! Every time is a [`UnixMs`]: milliseconds since the Unix epoch. Wire formats keep their own
//! units (JWT times are seconds); the conversions are here, saturating, in one place.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A moment: milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMs(pub u64);

impl UnixMs {
    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Milliseconds since the epoch as the signed integers that requests, records and
    /// tokens carry (saturating: no clock reads past year 292 million).
    pub fn as_i64(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// Whole seconds since the epoch, as JWT `iat`/`exp`/`nbf` carry them.
    pub fn as_secs(self) -> i64 {
        self.as_i64() / 1000
    }

    /// The moment `by` later (saturating).
    pub fn saturating_add(self, by: Duration) -> Self {
        Self(self.0.saturating_add(millis(by)))
    }

    /// The moment `by` earlier (saturating at the epoch).
    pub fn saturating_sub(self, by: Duration) -> Self {
        Self(self.0.saturating_sub(millis(by)))
    }

    /// How long after `earlier` this is; zero if it is not after it.
    pub fn since(self, earlier: UnixMs) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Where a service reads the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> UnixMs;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The machine's clock, shared.
    pub fn shared() -> Arc<dyn Clock> {
        Arc::new(Self)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> UnixMs {
        UnixMs(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(millis)
                .unwrap_or(0),
        )
    }
}

/// A clock that moves only when told to; clones share the time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `ms`.
    pub fn at(ms: u64) -> Self {
        Self {
            ms: Arc::new(AtomicU64::new(ms)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.ms.fetch_add(millis(by), Ordering::SeqCst);
    }

    /// Sets the clock to `ms`.
    pub fn set(&self, ms: u64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixMs {
        UnixMs(self.ms.load(Ordering::SeqCst))
    }
}

/// The machine's time plus an offset that only grows; clones share the offset. For tests
/// where real time passes too (blocks are made, tokens signed by other processes): moving it
/// ages what the holder of the clock remembers without waiting.
#[derive(Debug, Clone, Default)]
pub struct ShiftedClock {
    offset_ms: Arc<AtomicU64>,
}

impl ShiftedClock {
    /// The machine's time, not shifted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shifts the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(millis(by), Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> UnixMs {
        SystemClock
            .now()
            .saturating_add(Duration::from_millis(self.offset_ms.load(Ordering::SeqCst)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::at(1_000);
        let shared = clock.clone();
        assert_eq!(shared.now(), UnixMs(1_000));
        clock.advance(Duration::from_secs(2));
        assert_eq!(shared.now(), UnixMs(3_000));
        clock.set(10);
        assert_eq!(shared.now(), UnixMs(10));
        assert!(SystemClock.now() > UnixMs(1_700_000_000_000));
    }

    #[test]
    fn a_shifted_clock_runs_ahead_of_the_machine_by_what_it_was_moved() {
        let clock = ShiftedClock::new();
        let shared = clock.clone();
        clock.advance(Duration::from_secs(3600));
        let ahead = shared.now().since(SystemClock.now());
        assert!(
            ahead > Duration::from_secs(3599) && ahead <= Duration::from_secs(3600),
            "{ahead:?}"
        );
    }

    #[test]
    fn conversions_saturate_instead_of_wrapping() {
        let t = UnixMs(1_750_000_123_456);
        assert_eq!(t.as_secs(), 1_750_000_123);
        assert_eq!(
            t.since(UnixMs(1_750_000_000_000)),
            Duration::from_millis(123_456)
        );
        assert_eq!(UnixMs(5).since(t), Duration::ZERO);
        assert_eq!(UnixMs(5).saturating_sub(Duration::from_secs(1)), UnixMs(0));
        assert_eq!(UnixMs(u64::MAX).as_i64(), i64::MAX);
        assert_eq!(
            UnixMs(u64::MAX - 1).saturating_add(Duration::from_secs(1)),
            UnixMs(u64::MAX)
        );
    }
}
