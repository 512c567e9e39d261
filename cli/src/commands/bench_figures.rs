//! What the benchmarks measure, as values: each `realdid bench` part prints its figures and
//! returns them, so that `realdid bench all` can put several parts and runs in one report.

use std::time::{Duration, Instant};

/// The value at fraction `p` (0 to 1) of `sorted`, nearest rank; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Completed operations of one timed phase, each with when it completed and how long it
/// took, for figures over time.
#[derive(Debug, Clone)]
pub struct Timeline {
    start: Instant,
    /// (completion, in ms since `start`; latency in µs).
    done: Vec<(u32, u32)>,
}

impl Timeline {
    /// An empty timeline of a phase that starts at `start`.
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            done: Vec::new(),
        }
    }

    /// Records one operation sent at `sent` that completed now.
    pub fn record(&mut self, sent: Instant) {
        let now = Instant::now();
        let at = now.saturating_duration_since(self.start).as_millis();
        let took = now.saturating_duration_since(sent).as_micros();
        self.done.push((
            u32::try_from(at).unwrap_or(u32::MAX),
            u32::try_from(took).unwrap_or(u32::MAX),
        ));
    }

    /// Takes in another worker's records of the same phase.
    pub fn merge(&mut self, other: Timeline) {
        self.done.extend(other.done);
    }

    /// How many operations were recorded.
    pub fn count(&self) -> usize {
        self.done.len()
    }

    /// The latencies of the whole phase, in µs, sorted.
    fn latencies(&self) -> Vec<u64> {
        let mut all: Vec<u64> = self.done.iter().map(|&(_, l)| u64::from(l)).collect();
        all.sort_unstable();
        all
    }

    /// The phase's summary over `elapsed`.
    pub fn summary(&self, elapsed: Duration) -> Throughput {
        let latencies = self.latencies();
        let secs = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
        Throughput {
            count: self.done.len() as u64,
            secs: elapsed.as_secs_f64(),
            per_second: self.done.len() as f64 / secs,
            p50_ms: percentile(&latencies, 0.50) as f64 / 1000.0,
            p99_ms: percentile(&latencies, 0.99) as f64 / 1000.0,
            max_ms: latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
            seconds: self.per_second(elapsed),
        }
    }

    /// One point per whole second of `elapsed` (a last partial second is left out: its
    /// rate would read low).
    fn per_second(&self, elapsed: Duration) -> Vec<Second> {
        let whole = elapsed.as_secs().max(1) as usize;
        let mut buckets: Vec<Vec<u64>> = vec![Vec::new(); whole];
        for &(at, latency) in &self.done {
            if let Some(bucket) = buckets.get_mut(at as usize / 1000) {
                bucket.push(u64::from(latency));
            }
        }
        buckets
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| {
                b.sort_unstable();
                Second {
                    at: i as u32 + 1,
                    count: b.len() as u64,
                    p50_ms: percentile(&b, 0.50) as f64 / 1000.0,
                    p99_ms: percentile(&b, 0.99) as f64 / 1000.0,
                }
            })
            .collect()
    }
}

/// One second of a timed phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Second {
    /// The second's end, in seconds since the phase started.
    pub at: u32,
    /// Operations completed in it.
    pub count: u64,
    /// Median latency of those, ms.
    pub p50_ms: f64,
    /// 99th percentile latency of those, ms.
    pub p99_ms: f64,
}

/// A timed phase: how many, how fast, how long each took.
#[derive(Debug, Clone, PartialEq)]
pub struct Throughput {
    /// Operations that succeeded within the phase.
    pub count: u64,
    /// The phase's length.
    pub secs: f64,
    /// `count / secs`.
    pub per_second: f64,
    /// Latency percentiles and maximum, ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The same, second by second.
    pub seconds: Vec<Second>,
}

/// `realdid bench registry`'s figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryFigures {
    /// Committed DID creations; latency is submit to final receipt.
    pub writes: Throughput,
    /// Submissions refused, and calls that failed in transport.
    pub rejected: u64,
    pub transport_errors: u64,
    /// Proven resolves from one node, each checked by the light client.
    pub reads: Throughput,
    /// Reads that failed or did not check out.
    pub read_failures: u64,
    /// The same reads through the registry client's coalescing reader (`None`: not run).
    pub coalesced_reads: Option<CoalescedReads>,
}

/// Proven reads through the registry client's coalescing reader.
#[derive(Debug, Clone, PartialEq)]
pub struct CoalescedReads {
    /// Reads that checked out.
    pub reads: Throughput,
    /// Reads that failed or did not check out.
    pub failed: u64,
    /// The distinct DIDs each `ResolveMany` call carried, on average: that the phase
    /// coalesced, and how much.
    pub dids_per_call: f64,
}

/// `realdid bench issuer`'s figures.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerFigures {
    /// Credentials signed per second, with status-list allocation.
    pub credentials_per_second: f64,
    /// Their average size.
    pub bytes_each: usize,
    /// Person-index (Argon2id) evaluations per second, and ms each per core.
    pub index_per_second: f64,
    pub index_ms_each: f64,
    /// The Argon2id cost, as configured.
    pub index_cost: String,
}

/// One timed phase of `realdid bench verifier`.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierPhase {
    /// Presentations verified, and their timing.
    pub verified: Throughput,
    /// Presentations not verified (none is expected).
    pub failed: u64,
    /// The verifier process's CPU time per verification (µs) and cores used, from /proc.
    pub cpu_us_each: Option<f64>,
    pub cores: Option<f64>,
}

/// One run of the JavaScript library over the benchmark's presentations.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct JsResult {
    pub verified: usize,
    pub failed: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub first_error: Option<String>,
}

/// What the JavaScript comparison reports: `@sd-jwt/core` over every presentation, and
/// `@sd-jwt/sd-jwt-vc` (with its per-call status check) over the first few thousand.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct JsResults {
    pub sd_jwt: JsResult,
    pub sd_jwt_vc: JsResult,
}

/// `realdid bench verifier`'s figures.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifierFigures {
    /// A few credentials presented again and again: the verifier's memos and caches help.
    pub repeated: VerifierPhase,
    /// Every presentation from a holder the verifier has not seen (nothing helps), sent at
    /// half the repeated rate, in chunks alternating with those of the next phase.
    pub first_seen: Option<VerifierPhase>,
    /// Repeated credentials again, as many as first-seen ones, each chunk sent at the pace
    /// the first-seen chunk before it kept: what a first-seen presentation's CPU is compared
    /// with. A verification's CPU depends on the rate and on how calls arrive as well as on
    /// its work (at a lower rate fewer calls share each system call and wake-up), and on the
    /// machine's speed of the moment, so both are sent at one pace and at the same time.
    pub repeated_at_first_seen_rate: Option<VerifierPhase>,
    /// The JavaScript comparison, or why it was skipped.
    pub javascript: Result<JsResults, String>,
}

/// The speed of this machine, so that runs on different machines can be compared: bare
/// Ed25519 signature verifications (ed25519-dalek, strict) per second on one core.
pub fn calibrate(for_at_least: Duration) -> Result<f64, crate::error::CliError> {
    use realdid_core::keys::{Algorithm, SigningKey};
    let key = SigningKey::generate(Algorithm::EdDsa)?;
    let public = key.public_key();
    let message = [7u8; 64];
    let signature = key.sign(&message)?;
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < for_at_least {
        for _ in 0..256 {
            public.verify(&message, &signature)?;
        }
        done += 256;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 51);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&[], 0.99), 0);
    }

    #[test]
    fn a_timeline_counts_each_second_and_leaves_the_partial_one_out() {
        let start = Instant::now() - Duration::from_millis(2_500);
        let mut t = Timeline::new(start);
        // Completed now, 2.5 s in: in the third, partial second.
        t.record(Instant::now() - Duration::from_millis(4));
        t.done.push((100, 1_000));
        t.done.push((900, 3_000));
        t.done.push((1_500, 2_000));
        let s = t.summary(Duration::from_millis(2_500));
        assert_eq!(s.count, 4);
        assert!((s.per_second - 1.6).abs() < 1e-9);
        assert_eq!(s.seconds.len(), 2);
        assert_eq!(
            (s.seconds[0].count, s.seconds[1].count, s.seconds[1].at),
            (2, 1, 2)
        );
        assert!(s.max_ms >= 4.0 && s.p50_ms >= 2.0, "{s:?}");
    }

    #[test]
    fn calibration_counts_real_verifications() {
        let rate = calibrate(Duration::from_millis(50)).expect("calibrates");
        // At least the one batch of 256 is counted: a debug build on a loaded 2-core machine
        // still does more than one a second (94 a second seen, beside the other tests), and
        // no core does 10 million.
        assert!((1.0..10_000_000.0).contains(&rate), "{rate}");
    }
}
