//! What the verifier tells its operators about itself: verdicts by reason, how long each
//! took, how many are being checked, and how its request store and the registry answered.
//!
//! Kept in atomics beside the Prometheus metrics rather than read back from them: the
//! operator service answers once a second per console, and a verdict must cost the hot
//! path no lock. Counts start at zero with the process; a console derives rates and
//! percentiles from the differences between two reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use realdid_core::clock::Clock;
use realdid_proto::v1 as pb;

/// The latency buckets' upper bounds, µs: fine around the verifier's targets (a p99 under
/// 20 ms), coarse beyond.
pub const LATENCY_BOUNDS_US: [u64; 24] = [
    50, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000,
    20_000, 30_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
];

/// Verdicts are counted by the contract's value: 0 for VERIFIED (UNSPECIFIED is never
/// sent), then each failure reason's number.
const VERDICT_SLOTS: usize = 21;

/// How a dependency last answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependency {
    /// Whether the last check or use succeeded; `None` before the first.
    pub up: Option<bool>,
    /// When it was last checked, Unix ms.
    pub checked_at_ms: i64,
    /// Since when it has been up (or down), Unix ms.
    pub since_ms: i64,
    /// While down, why.
    pub error: String,
    /// How long the last check took.
    pub latency: Duration,
}

impl Dependency {
    /// Records a check's outcome at `now_ms`.
    fn record(&mut self, outcome: Result<(), String>, latency: Duration, now_ms: i64) {
        let up = outcome.is_ok();
        if self.up != Some(up) {
            self.since_ms = now_ms;
        }
        self.up = Some(up);
        self.checked_at_ms = now_ms;
        self.latency = latency;
        self.error = outcome.err().map(|e| bounded(&e, 1024)).unwrap_or_default();
    }

    fn to_proto(&self) -> pb::DependencyHealth {
        pb::DependencyHealth {
            up: self.up == Some(true),
            checked_at_unix_ms: self.checked_at_ms,
            since_unix_ms: self.since_ms,
            error: self.error.clone(),
            latency_us: u64::try_from(self.latency.as_micros()).unwrap_or(u64::MAX),
        }
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// The verifier's figures since it started.
#[derive(Debug)]
pub struct Stats {
    clock: Arc<dyn Clock>,
    started_at_ms: i64,
    verdicts: [AtomicU64; VERDICT_SLOTS],
    latency: [AtomicU64; LATENCY_BOUNDS_US.len() + 1],
    in_flight: AtomicU64,
    store: Mutex<Dependency>,
    registry: Mutex<(Dependency, u64)>,
}

/// One presentation being checked; dropping it ends the count, however the check ended.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Stats {
    /// Figures from now on, dated by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            started_at_ms: clock.now().as_i64(),
            clock,
            verdicts: std::array::from_fn(|_| AtomicU64::new(0)),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
            in_flight: AtomicU64::new(0),
            store: Mutex::new(Dependency::default()),
            registry: Mutex::new((Dependency::default(), 0)),
        }
    }

    /// Counts a presentation as being checked until the guard drops.
    pub fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// Counts a verdict (`None`: verified, else the failure's reason) that took `took`.
    pub fn verdict(&self, failure: Option<pb::VerificationFailureReason>, took: Duration) {
        let slot = failure.map_or(0, |reason| reason as usize);
        if let Some(counter) = self.verdicts.get(slot) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BOUNDS_US.partition_point(|bound| *bound < us);
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        crate::metrics::verdict(match failure {
            None => "VERIFIED",
            Some(reason) => reason.as_str_name(),
        });
    }

    /// Records how the request store answered a check that took `latency`.
    pub fn store_checked(&self, outcome: Result<(), String>, latency: Duration) {
        let now = self.clock.now().as_i64();
        lock(&self.store).record(outcome, latency, now);
    }

    /// Records how the registry answered a proven read that took `latency` (its height when
    /// it answered).
    pub fn registry_read(&self, outcome: Result<u64, String>, latency: Duration) {
        let now = self.clock.now().as_i64();
        let mut registry = lock(&self.registry);
        if let Ok(height) = outcome {
            registry.1 = registry.1.max(height);
        }
        registry.0.record(outcome.map(|_| ()), latency, now);
    }

    /// Records a height a verdict's proven reads showed (the registry answered it).
    pub fn registry_seen(&self, height: u64) {
        let mut registry = lock(&self.registry);
        registry.1 = registry.1.max(height);
    }

    /// Everything above as the operator service returns it (without the status lists).
    pub fn snapshot(&self) -> pb::GetVerifierStatsResponse {
        let verdicts = self
            .verdicts
            .iter()
            .enumerate()
            .filter_map(|(slot, count)| {
                let count = count.load(Ordering::Relaxed);
                let name = if slot == 0 {
                    "VERIFIED"
                } else {
                    pb::VerificationFailureReason::try_from(i32::try_from(slot).ok()?)
                        .ok()?
                        .as_str_name()
                };
                (count > 0).then(|| (name.to_owned(), count))
            })
            .collect();
        let (registry, registry_height) = lock(&self.registry).clone();
        pb::GetVerifierStatsResponse {
            at_unix_ms: self.clock.now().as_i64(),
            started_at_unix_ms: self.started_at_ms,
            version: env!("CARGO_PKG_VERSION").into(),
            verdicts,
            latency: Some(pb::LatencyHistogram {
                bounds_us: LATENCY_BOUNDS_US.to_vec(),
                counts: self
                    .latency
                    .iter()
                    .map(|c| c.load(Ordering::Relaxed))
                    .collect(),
            }),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            store: Some(lock(&self.store).to_proto()),
            registry: Some(registry.to_proto()),
            registry_height,
            status_lists: Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use realdid_core::clock::ManualClock;

    use super::*;

    fn stats() -> (Arc<ManualClock>, Stats) {
        let clock = Arc::new(ManualClock::at(1_000));
        (clock.clone(), Stats::new(clock))
    }

    #[test]
    fn verdicts_are_counted_by_reason_and_timed_into_their_bucket() {
        let (_, stats) = stats();
        stats.verdict(None, Duration::from_micros(90));
        stats.verdict(None, Duration::from_micros(100));
        stats.verdict(
            Some(pb::VerificationFailureReason::Revoked),
            Duration::from_millis(25),
        );
        stats.verdict(
            Some(pb::VerificationFailureReason::RegistryUnavailable),
            Duration::from_secs(60),
        );
        let s = stats.snapshot();
        assert_eq!(s.verdicts.get("VERIFIED"), Some(&2));
        assert_eq!(
            s.verdicts.get("VERIFICATION_FAILURE_REASON_REVOKED"),
            Some(&1)
        );
        assert_eq!(
            s.verdicts
                .get("VERIFICATION_FAILURE_REASON_REGISTRY_UNAVAILABLE"),
            Some(&1)
        );
        assert_eq!(s.verdicts.len(), 3, "reasons never seen are left out");
        let latency = s.latency.unwrap();
        assert_eq!(latency.counts.len(), latency.bounds_us.len() + 1);
        // 90 µs and 100 µs are both within the 100 µs bound; 25 ms within 30 ms; a minute
        // beyond the last bound.
        assert_eq!(latency.counts[1], 2);
        assert_eq!(latency.counts[16], 1);
        assert_eq!(latency.counts[24], 1);
        assert_eq!(latency.counts.iter().sum::<u64>(), 4);
    }

    #[test]
    fn checks_in_flight_are_counted_until_they_end() {
        let (_, stats) = stats();
        let a = stats.begin();
        let b = stats.begin();
        assert_eq!(stats.snapshot().in_flight, 2);
        drop(a);
        assert_eq!(stats.snapshot().in_flight, 1);
        drop(b);
        assert_eq!(stats.snapshot().in_flight, 0);
    }

    #[test]
    fn a_dependency_says_since_when_it_is_up_or_down_and_why() {
        let (clock, stats) = stats();
        assert!(!stats.snapshot().store.unwrap().up, "unknown is not up");
        stats.store_checked(Ok(()), Duration::from_micros(300));
        clock.advance(Duration::from_secs(2));
        stats.store_checked(Ok(()), Duration::from_micros(200));
        let store = stats.snapshot().store.unwrap();
        assert!(store.up);
        assert_eq!(
            (store.since_unix_ms, store.checked_at_unix_ms),
            (1_000, 3_000)
        );
        assert_eq!(store.latency_us, 200);
        clock.advance(Duration::from_secs(2));
        stats.store_checked(Err("connection refused".into()), Duration::from_millis(1));
        let store = stats.snapshot().store.unwrap();
        assert!(!store.up);
        assert_eq!(store.since_unix_ms, 5_000);
        assert_eq!(store.error, "connection refused");

        stats.registry_read(Ok(40), Duration::from_millis(3));
        stats.registry_read(Ok(38), Duration::from_millis(3));
        stats.registry_read(Err("every node failed".into()), Duration::from_secs(5));
        let s = stats.snapshot();
        let registry = s.registry.unwrap();
        assert!(!registry.up);
        assert_eq!(registry.error, "every node failed");
        assert_eq!(s.registry_height, 40, "the highest height shown is kept");
    }

    #[test]
    fn an_error_is_cut_to_a_kibibyte_on_a_character_boundary() {
        let long = "é".repeat(1000);
        let cut = bounded(&long, 1024);
        assert!(cut.len() <= 1024 && cut.chars().all(|c| c == 'é'));
    }
}
