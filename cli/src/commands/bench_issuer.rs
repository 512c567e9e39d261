//! `realdid bench issuer`: the issuer's CPU-bound paths, measured in process with the code
//! enrolment runs. Network, the authority and the registry are not in these figures: the
//! registry's own are in `realdid bench registry`.

use std::time::Instant;

use clap::Args;
use realdid_core::did::Purposes;
use realdid_core::keys::PublicKey;
use realdid_core::resident_id::ResidentIdGenerator;
use realdid_issuer::issuance::{Batch, Subject, issue};
use realdid_issuer::keys::IssuerKeys;
use realdid_issuer::privacy::person_index::{Argon2Cost, PersonIndex};
use realdid_issuer::provision::IDENTITY_VCT;
use realdid_issuer::status::OpenList;

use super::bench_figures::IssuerFigures;
use crate::error::CliError;

/// Options of `realdid bench issuer`.
#[derive(Debug, Clone, Args)]
pub struct IssuerBenchArgs {
    /// Credentials to sign (in enrolments of `--dids`).
    #[arg(long, default_value_t = 60_000)]
    pub credentials: usize,
    /// DIDs per enrolment.
    #[arg(long, default_value_t = 3)]
    pub dids: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Person-index evaluations.
    #[arg(long, default_value_t = 200)]
    pub index_evaluations: usize,
}

/// Runs the benchmark, prints its figures and returns them.
pub fn run(args: IssuerBenchArgs) -> Result<IssuerFigures, CliError> {
    let keys = IssuerKeys::generate()?;
    let mut ids = ResidentIdGenerator::new(11);
    let chain = super::offline_chain()?;
    let holders: Vec<(realdid_core::did::RealDid, PublicKey)> = (0..args.dids)
        .map(|_| {
            let (key, signed) = super::single_key_did(&chain, Purposes::AUTHENTICATION)?;
            Ok((signed.operation.did(), key.public_key()))
        })
        .collect::<Result<_, CliError>>()?;
    let list = std::sync::Mutex::new(OpenList::new(1, 1 << 24, []));
    let enrolments = args.credentials.div_ceil(args.dids.max(1));
    let per_thread = enrolments.div_ceil(args.threads.max(1));
    let resident = ids.next_id();
    let now = i64::try_from(super::unix_ms()).unwrap_or(i64::MAX);
    println!(
        "signing {} credentials ({} per enrolment) on {} threads, with status allocation…",
        per_thread * args.threads * args.dids,
        args.dids,
        args.threads
    );
    let started = Instant::now();
    let (credentials_per_second, bytes_each) = std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for _ in 0..args.threads {
            workers.push(scope.spawn(|| {
                let subject = Subject {
                    full_name: "王小明",
                    resident_id: &resident,
                };
                let dids: Vec<_> = holders.iter().map(|h| h.0.clone()).collect();
                let keys_of: Vec<_> = holders.iter().map(|h| h.1.clone()).collect();
                let mut bytes = 0usize;
                for _ in 0..per_thread {
                    let slots = {
                        let mut list = list.lock().unwrap_or_else(|p| p.into_inner());
                        (0..dids.len())
                            .map(|_| list.allocate().map(|s| s.map(|i| (1, i))))
                            .collect::<Result<Option<Vec<_>>, _>>()?
                            .ok_or_else(|| CliError::Refused("status list full".into()))?
                    };
                    let issued = issue(
                        &keys,
                        "http://127.0.0.1:50081",
                        &Batch {
                            enrolment_id: "bench",
                            subject: &subject,
                            dids: &dids,
                            holder_keys: &keys_of,
                            slots: &slots,
                            vct: IDENTITY_VCT,
                            validity_days: 365,
                            now_ms: now,
                        },
                    )?;
                    bytes += issued.iter().map(|c| c.sd_jwt.len()).sum::<usize>();
                }
                Ok::<usize, CliError>(bytes)
            }));
        }
        let mut total = 0;
        for w in workers {
            total += w
                .join()
                .map_err(|_| CliError::Refused("a worker panicked".into()))??;
        }
        let secs = started.elapsed().as_secs_f64();
        let count = per_thread * args.threads * args.dids;
        let (rate, bytes_each) = (count as f64 / secs, total / count.max(1));
        println!(
            "credentials issued: {count} in {secs:.2} s = {rate:.0}/s ({bytes_each} bytes each on average)"
        );
        Ok::<_, CliError>((rate, bytes_each))
    })?;

    let cost = Argon2Cost::default();
    let index = PersonIndex::new([7; 32], cost)?;
    let people: Vec<_> = (0..args.index_evaluations).map(|_| ids.next_id()).collect();
    let started = Instant::now();
    std::thread::scope(|scope| {
        let chunks: Vec<_> = people
            .chunks(people.len().div_ceil(args.threads.max(1)).max(1))
            .collect();
        let workers: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(|| {
                    chunk
                        .iter()
                        .map(|id| index.key(id).map(|_| ()))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| CliError::Refused("a worker panicked".into()))??;
        }
        Ok::<(), CliError>(())
    })?;
    let secs = started.elapsed().as_secs_f64();
    let index_per_second = people.len() as f64 / secs;
    let index_ms_each = secs * 1000.0 * args.threads as f64 / people.len().max(1) as f64;
    println!(
        "person index ({cost}): {} evaluations in {secs:.2} s = {index_per_second:.1}/s, {index_ms_each:.1} ms each per core; one per enrolment, so enrolments/s is at most this",
        people.len(),
    );
    Ok(IssuerFigures {
        credentials_per_second,
        bytes_each,
        index_per_second,
        index_ms_each,
        index_cost: cost.to_string(),
    })
}
