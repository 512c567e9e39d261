//! Mutation fuzzing of every decoder of outside input realdid-core owns: transactions and
//! blocks (what a node receives), compact JWS and SD-JWT (what a verifier receives),
//! status lists (what a verifier fetches), and trace request files (what an approver is
//! handed). Each target starts from a valid input and feeds the decoder mutations of it
//! (changed, inserted, removed, repeated and cut bytes): a decoder must answer each with a
//! value or an error, never a panic, and a value it accepts must encode back to a value it
//! accepts again.
//!
//! The suite runs each target for a fixed number of inputs. `scripts/fuzz.sh [seconds]`
//! runs each for as long as asked, with a new seed each time; the seed is printed, and
//! `REALDID_FUZZ_SEED` replays it. An input that crashed a decoder is added to that
//! target's seeds, which every run feeds first, so that it never crashes it again.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

use realdid_core::codec::{
    Block, BlockHash, BlockHeader, ChainId, Encode, StateRoot, Transaction, transactions_root,
};
use realdid_core::did::{CreateOp, DidOperation, KeyId, Purposes};
use realdid_core::escrow::OfficerSecret;
use realdid_core::jws::{CompactJws, KeySigner, sign_compact};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_core::sd_jwt::SdJwt;
use realdid_core::status_list::{Status, StatusBits, StatusList, StatusListObject};
use realdid_core::trace::TraceRequestFields;
use realdid_core::trace_file::TraceRequestFile;

/// Inputs per target in the ordinary test run.
const SUITE_INPUTS: u64 = 3_000;

/// How long each target runs, and from which seed.
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
fn below(rng: &mut StdRng, n: usize) -> usize {
    rng.random_range(0..n.max(1))
}

/// `seed` with one to eight mutations.
fn mutate(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
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

/// Feeds `decode` mutations of `seeds` for the budget; returns how many inputs it took.
fn run(name: &str, seeds: &[Vec<u8>], decode: impl Fn(&[u8])) -> u64 {
    let budget = Budget::from_env();
    // Seeded, so that a seed replays a run.
    let mut rng = StdRng::seed_from_u64(budget.seed ^ name.len() as u64);
    let deadline = budget
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut inputs = 0u64;
    // Every seed as it is first: the decoder must take its own valid input.
    for seed in seeds {
        decode(seed);
    }
    loop {
        let done = match deadline {
            Some(deadline) => Instant::now() >= deadline,
            None => inputs >= SUITE_INPUTS,
        };
        if done {
            break;
        }
        let seed = &seeds[below(&mut rng, seeds.len())];
        decode(&mutate(&mut rng, seed));
        inputs += 1;
    }
    if budget.seconds.is_some() {
        eprintln!("{name}: {inputs} inputs from seed {}", budget.seed);
    }
    inputs
}

fn chain() -> ChainId {
    ChainId::parse("realdid-fuzz").unwrap()
}

fn create_tx(byte: u8) -> Transaction {
    let device = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte; 32]).unwrap();
    let recovery = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte + 1; 32]).unwrap();
    let op = DidOperation::Create(CreateOp::single_key(
        &device.public_key(),
        Purposes::AUTHENTICATION,
        &recovery.public_key(),
    ))
    .sign(&chain(), Some(KeyId::first()), &device)
    .unwrap();
    Transaction::Did(op)
}

#[test]
fn transactions_and_blocks_decode_or_refuse() {
    let txs = vec![create_tx(1), create_tx(3)];
    let block = Block {
        header: BlockHeader {
            height: 7,
            parent: BlockHash([1; 32]),
            timestamp_ms: 1_795_000_000_000,
            state_root: StateRoot([2; 32]),
            transactions_root: transactions_root(&txs),
            transaction_count: txs.len() as u32,
        },
        transactions: txs.clone(),
    };
    let tx_seeds: Vec<Vec<u8>> = txs.iter().map(|t| t.encode().to_vec()).collect();
    run("transaction", &tx_seeds, |bytes| {
        if let Ok(tx) = Transaction::decode_bounded(bytes) {
            let again = tx.encode().to_vec();
            assert_eq!(Transaction::decode_bounded(&again).unwrap(), tx);
        }
    });
    run("block", &[block.encode().to_vec()], |bytes| {
        if let Ok(block) = Block::decode_bounded(bytes) {
            let again = block.encode().to_vec();
            assert_eq!(Block::decode_bounded(&again).unwrap(), block);
        }
    });
}

#[test]
fn jws_and_sd_jwt_parse_or_refuse() {
    let key = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[9; 32]).unwrap();
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), "dc+sd-jwt".into());
    header.insert("kid".into(), "did:realdid:x#key-1".into());
    let jws = sign_compact(
        &header,
        br#"{"iss":"did:realdid:x","_sd":["abc"],"_sd_alg":"sha-256"}"#,
        &KeySigner::new(key.clone()),
    )
    .unwrap();
    let disclosure = "WyJzYWx0IiwiY2l0eSIsIkJlaWppbmciXQ";
    let kb = sign_compact(&serde_json::Map::new(), b"{}", &KeySigner::new(key.clone())).unwrap();
    let seeds = vec![
        jws.clone().into_bytes(),
        format!("{jws}~{disclosure}~").into_bytes(),
        format!("{jws}~{disclosure}~{disclosure}~{kb}").into_bytes(),
    ];
    run("jws", &seeds[..1], |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(parsed) = CompactJws::parse(text)
        {
            let _ = (parsed.header(), parsed.payload());
            let _ = parsed.verify(&key.public_key());
        }
    });
    run("sd-jwt", &seeds, |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(parsed) = SdJwt::parse(text)
        {
            let _ = parsed.payload();
        }
    });
}

#[test]
fn status_lists_decode_or_refuse() {
    let mut list = StatusList::new(StatusBits::Two, 64).unwrap();
    list.set(3, Status::INVALID).unwrap();
    list.set(9, Status::SUSPENDED).unwrap();
    let object = serde_json::to_vec(&list.encode().unwrap()).unwrap();
    run("status list", &[object], |bytes| {
        if let Ok(object) = serde_json::from_slice::<StatusListObject>(bytes)
            && let Ok(list) = StatusList::decode(&object)
        {
            let _ = list.tally();
        }
    });
}

#[test]
fn trace_request_files_parse_or_refuse() {
    let file = TraceRequestFile::new(
        &TraceRequestFields {
            trace_id: "t-1",
            subject_did: "did:realdid:subject",
            legal_basis: "warrant",
            case_reference: "CASE-1",
            requested_by: "officer",
            created_at_ms: 1,
            subject_at_ms: 1,
            enrolment_id: "e-1",
        },
        2,
        &[5; 32],
        &chain(),
        &realdid_core::did::OrgKeys::generate()
            .unwrap()
            .did()
            .clone(),
        &OfficerSecret::generate().unwrap().public(),
    );
    run(
        "trace request file",
        &[file.to_json().into_bytes()],
        |bytes| {
            if let Ok(text) = std::str::from_utf8(bytes)
                && let Ok(parsed) = TraceRequestFile::parse(text)
            {
                let _ = parsed.checked_hash();
                let _ = parsed.describe();
            }
        },
    );
}
