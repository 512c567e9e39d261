//! A small mutation fuzzer for the decoders of outside input: each target starts from valid
//! inputs and is fed mutations of them (changed, inserted, removed, repeated and cut
//! bytes). The suite runs each target for a fixed number of inputs from a fixed seed;
//! `scripts/fuzz.sh [seconds] [seed]` sets `REALDID_FUZZ_SECONDS` to run each for as long as
//! asked, and `REALDID_FUZZ_SEED` to replay a run.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

/// How long each target runs, and from which seed.
#[derive(Debug, Clone, Copy)]
struct Budget {
    seconds: Option<u64>,
    seed: u64,
}

impl Budget {
    fn from_env() -> Self {
        let seconds = std::env::var("REALDID_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok());
        let seed = std::env::var("REALDID_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5EED_2026);
        Self { seconds, seed }
    }
}

/// A number below `n` (at least 1).
pub fn below(rng: &mut StdRng, n: usize) -> usize {
    rng.random_range(0..n.max(1))
}

/// `seed` with one to eight mutations.
pub fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + below(rng, 8) {
        let at = below(rng, out.len().max(1));
        match below(rng, 6) {
            0 if !out.is_empty() => out[at] ^= 1 << below(rng, 8),
            1 if !out.is_empty() => out[at] = rng.random::<u8>(),
            2 => out.insert(at.min(out.len()), rng.random::<u8>()),
            3 if !out.is_empty() => {
                let end = (at + 1 + below(rng, 16)).min(out.len());
                out.drain(at..end);
            }
            4 if !out.is_empty() => {
                let end = (at + 1 + below(rng, 64)).min(out.len());
                let piece = out[at..end].to_vec();
                let to = below(rng, out.len());
                out.splice(to..to, piece);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Feeds `decode` every seed, then mutations of `seeds` (made by `mutator` from a random
/// seed), for the budget: `suite_inputs` inputs in the ordinary run, or the seconds
/// `scripts/fuzz.sh` asks for. Returns how many mutated inputs it fed.
pub fn run_with(
    name: &str,
    seeds: &[Vec<u8>],
    suite_inputs: u64,
    mutator: impl Fn(&mut StdRng, &[u8]) -> Vec<u8>,
    decode: impl Fn(&[u8]),
) -> u64 {
    let budget = Budget::from_env();
    // Seeded, so that a seed replays a run; the name keeps targets apart.
    let salt = name
        .bytes()
        .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b));
    let mut rng = StdRng::seed_from_u64(budget.seed ^ salt);
    let deadline = budget
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    // Every seed as it is first: the decoder must take its own valid input.
    for seed in seeds {
        decode(seed);
    }
    let mut inputs = 0u64;
    loop {
        let done = match deadline {
            Some(deadline) => Instant::now() >= deadline,
            None => inputs >= suite_inputs,
        };
        if done {
            break;
        }
        let seed = &seeds[below(&mut rng, seeds.len())];
        decode(&mutator(&mut rng, seed));
        inputs += 1;
    }
    if budget.seconds.is_some() {
        eprintln!("{name}: {inputs} inputs from seed {}", budget.seed);
    }
    inputs
}

/// [`run_with`] the byte mutations of [`mutate`], 3 000 inputs in the ordinary run.
pub fn run(name: &str, seeds: &[Vec<u8>], decode: impl Fn(&[u8])) -> u64 {
    run_with(name, seeds, 3_000, mutate, decode)
}
