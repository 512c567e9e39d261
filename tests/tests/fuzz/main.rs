//! Mutation fuzzing of every decoder of outside input: what a node receives (transactions,
//! blocks), what a verifier receives and fetches (compact JWS, SD-JWT, status lists), what
//! an approver is handed (trace request files), what a device reads back from disk (the
//! wallet file and its contents), and what the services turn gRPC requests into. Each
//! decoder must answer every input with a value or a typed error, never a panic.
//!
//! The suite runs each target for a fixed number of inputs from a fixed seed.
//! `scripts/fuzz.sh [seconds] [seed]` runs each for as long as asked, from a new seed each
//! time; the seed is printed, and `REALDID_FUZZ_SEED` replays it. An input that crashed a
//! decoder is added to that target's seeds, which every run feeds first, so that it never
//! crashes it again.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod decoders;
mod grpc_requests;
mod wallet_file;
