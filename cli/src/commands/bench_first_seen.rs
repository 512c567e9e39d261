//! The first-seen comparison of `realdid bench verifier`: the verifier CPU a presentation
//! it has never seen costs, against a repeated one sent the same way.
//!
//! A verification's CPU depends on the rate it runs at as well as on its work (at a lower
//! rate fewer calls share each system call and wake-up), and on the machine, whose speed can
//! move by a tenth within minutes on a shared host. Two phases run one after the other would
//! each meet a different machine; so the two kinds are sent in alternating chunks of
//! [`CHUNK`] calls, first-seen, repeated, repeated, first-seen, … (each kind as often first
//! of a pair as second), every chunk paced: a first-seen chunk at the pace given, a repeated
//! chunk at the pace the latest first-seen chunk kept. Each chunk's verifier CPU comes from
//! the scheduler's nanosecond counts; each kind's figures are the sums of its chunks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bench_figures::{Timeline, VerifierPhase};
use super::bench_verifier::{Caller, Sent, Work};
use crate::error::CliError;

/// Calls of one kind sent together. At the paces of the benchmark (a few thousand a second)
/// a chunk lasts some 50 ms: short against the machine's drifts, long against a call.
pub const CHUNK: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    FirstSeen,
    Repeated,
}

/// The chunks of `pairs` pairs in the order sent: (pair, kind), first-seen first in even
/// pairs and second in odd ones.
fn order(pairs: usize) -> impl Iterator<Item = (usize, Kind)> {
    (0..pairs).flat_map(|pair| {
        let kinds = if pair % 2 == 0 {
            [Kind::FirstSeen, Kind::Repeated]
        } else {
            [Kind::Repeated, Kind::FirstSeen]
        };
        kinds.map(|kind| (pair, kind))
    })
}

/// The pace a paced run of `calls` kept, when its last call was sent `last_sent` after its
/// first: the pace `asked` unless the calls fell behind it.
fn kept_pace(calls: usize, last_sent: Duration, asked: f64) -> f64 {
    if calls < 2 || last_sent.is_zero() {
        return asked;
    }
    asked.min((calls - 1) as f64 / last_sent.as_secs_f64())
}

/// One kind's chunks, summed: the time its own chunks took, its calls, its CPU.
struct Tally(Sent);

impl Tally {
    fn new() -> Tally {
        Tally(Sent {
            verified: Timeline::new(Instant::now()),
            failed: 0,
            elapsed: Duration::ZERO,
            last_sent: Duration::ZERO,
            cpu: Some(0.0),
        })
    }

    fn add(&mut self, chunk: Sent) {
        let sum = &mut self.0;
        sum.verified.merge(chunk.verified);
        sum.failed += chunk.failed;
        sum.elapsed += chunk.elapsed;
        sum.cpu = sum.cpu.zip(chunk.cpu).map(|(sum, cpu)| sum + cpu);
    }

    /// The kind's figures: its rate over the time its own chunks took, its CPU per
    /// verification over all its chunks.
    fn phase(self) -> VerifierPhase {
        let mut phase = self.0.phase();
        // Each chunk counts its seconds from its own start: no series second by second.
        phase.verified.seconds.clear();
        phase
    }
}

/// Sends `first_seen` and as many of `repeated` in alternating chunks, first-seen chunks at
/// `pace` a second, and gives back the figures of each kind: (first-seen, repeated).
pub async fn compare(
    caller: &Caller,
    first_seen: &Arc<Work>,
    repeated: &Arc<Work>,
    pace: f64,
) -> Result<(VerifierPhase, VerifierPhase), CliError> {
    let count = first_seen.len().min(repeated.len());
    schedule(count, pace, async |kind, range, pace| {
        let work = match kind {
            Kind::FirstSeen => first_seen,
            Kind::Repeated => repeated,
        };
        caller.send(work, range, Some(pace)).await
    })
    .await
}

/// The chunks of `count` calls of each kind, in [`order`], each sent by `send` (the kind,
/// which of its calls, at what pace), summed by kind.
async fn schedule(
    count: usize,
    pace: f64,
    mut send: impl AsyncFnMut(Kind, std::ops::Range<usize>, f64) -> Result<Sent, CliError>,
) -> Result<(VerifierPhase, VerifierPhase), CliError> {
    let (mut first, mut again) = (Tally::new(), Tally::new());
    let mut kept = pace;
    for (pair, kind) in order(count.div_ceil(CHUNK)) {
        let range = pair * CHUNK..((pair + 1) * CHUNK).min(count);
        let calls = range.len();
        match kind {
            Kind::FirstSeen => {
                let chunk = send(kind, range, pace).await?;
                kept = kept_pace(calls, chunk.last_sent, pace);
                first.add(chunk);
            }
            Kind::Repeated => again.add(send(kind, range, kept).await?),
        }
    }
    Ok((first.phase(), again.phase()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is a failure report

    use super::*;

    #[test]
    fn each_kind_is_sent_as_often_first_of_a_pair_as_second() {
        let sent: Vec<(usize, Kind)> = order(4).collect();
        use Kind::*;
        assert_eq!(
            sent,
            [
                (0, FirstSeen),
                (0, Repeated),
                (1, Repeated),
                (1, FirstSeen),
                (2, FirstSeen),
                (2, Repeated),
                (3, Repeated),
                (3, FirstSeen)
            ]
        );
        // A first-seen chunk comes first, so every repeated chunk has one before it whose
        // pace it takes.
        assert_eq!(order(3).next(), Some((0, FirstSeen)));
    }

    #[test]
    fn a_chunk_that_fell_behind_its_pace_passes_on_the_pace_it_kept() {
        // 250 calls at 5 000/s: the last is sent 49.8 ms after the first.
        let on_time = kept_pace(250, Duration::from_micros(49_800), 5_000.0);
        assert!((on_time - 5_000.0).abs() < 1e-9, "{on_time}");
        // Never more than the pace asked, however the sends fell.
        assert_eq!(
            kept_pace(250, Duration::from_micros(49_000), 5_000.0),
            5_000.0
        );
        // Sent over 99.6 ms: half the pace.
        let behind = kept_pace(250, Duration::from_micros(99_600), 5_000.0);
        assert!((behind - 2_500.0).abs() < 1e-6, "{behind}");
        assert_eq!(kept_pace(1, Duration::ZERO, 5_000.0), 5_000.0);
    }

    #[tokio::test]
    async fn each_call_is_sent_once_and_repeated_chunks_follow_the_pace_first_seen_ones_kept() {
        // First-seen chunks fall behind: they keep half the pace asked and cost 1.5 times
        // the CPU of repeated ones.
        let mut sent: Vec<(Kind, std::ops::Range<usize>, f64)> = Vec::new();
        let (first, again) = schedule(600, 4_000.0, async |kind, range, pace| {
            sent.push((kind, range.clone(), pace));
            let calls = range.len();
            let kept = match kind {
                Kind::FirstSeen => pace / 2.0,
                Kind::Repeated => pace,
            };
            let cpu_each = match kind {
                Kind::FirstSeen => 150e-6,
                Kind::Repeated => 100e-6,
            };
            let mut chunk = chunk(calls as u32, 100, Some(cpu_each * calls as f64));
            chunk.last_sent = Duration::from_secs_f64((calls - 1) as f64 / kept);
            Ok(chunk)
        })
        .await
        .unwrap();
        for kind in [Kind::FirstSeen, Kind::Repeated] {
            let calls: Vec<usize> = sent
                .iter()
                .filter(|(k, _, _)| *k == kind)
                .flat_map(|(_, range, _)| range.clone())
                .collect();
            assert_eq!(
                calls,
                (0..600).collect::<Vec<_>>(),
                "{kind:?}: each call once"
            );
        }
        for (kind, range, pace) in &sent {
            let expected = match kind {
                Kind::FirstSeen => 4_000.0,
                Kind::Repeated => 2_000.0,
            };
            assert!(
                (pace - expected).abs() < 1e-6,
                "{kind:?} {range:?} sent at {pace}"
            );
        }
        assert_eq!(sent.len(), 6);
        assert_eq!((first.verified.count, again.verified.count), (600, 600));
        let ratio = first.cpu_us_each.unwrap() / again.cpu_us_each.unwrap();
        assert!((ratio - 1.5).abs() < 1e-9, "{ratio}");
    }

    fn chunk(calls: u32, elapsed_ms: u64, cpu: Option<f64>) -> Sent {
        let start = Instant::now();
        let mut verified = Timeline::new(start);
        for _ in 0..calls {
            verified.record(start);
        }
        Sent {
            verified,
            failed: 1,
            elapsed: Duration::from_millis(elapsed_ms),
            last_sent: Duration::ZERO,
            cpu,
        }
    }

    #[test]
    fn a_kind_is_judged_on_the_sums_of_its_chunks() {
        let mut tally = Tally::new();
        tally.add(chunk(200, 40, Some(0.030)));
        tally.add(chunk(300, 60, Some(0.045)));
        let phase = tally.phase();
        assert_eq!(phase.verified.count, 500);
        assert_eq!(phase.failed, 2);
        assert!((phase.verified.per_second - 5_000.0).abs() < 1e-6);
        // 75 ms of CPU over 500 verifications.
        let each = phase.cpu_us_each.unwrap();
        assert!((each - 150.0).abs() < 1e-6, "{each}");
        assert!((phase.cores.unwrap() - 0.75).abs() < 1e-9);
        assert!(phase.verified.seconds.is_empty());

        // One chunk whose CPU could not be read leaves the kind's CPU unknown, not low.
        let mut partial = Tally::new();
        partial.add(chunk(200, 40, Some(0.030)));
        partial.add(chunk(300, 60, None));
        assert_eq!(partial.phase().cpu_us_each, None);
    }
}
