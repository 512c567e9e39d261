//! `realdid bench registry`: load against a running devnet, as an outside client sees it.
//!
//! Writes: many concurrent clients submit signed DID creations, spread over every node, for
//! a fixed time; each submission returns when its transaction is final, so the time from
//! send to answer is the finality latency. Reads: proven resolves of DIDs created by the
//! write phase, from one node, each answer checked by the light client.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use commonware_codec::Encode as _;
use realdid_core::codec::{ChainId, Transaction};
use realdid_core::did::{Purposes, RealDid};
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_registry::devnet::DevnetLayout;
use realdid_registry_client::did_batch::DidReader;
use realdid_registry_client::light_client::LightClient;
use realdid_registry_client::metrics::{COALESCED_CALLS, COALESCED_DIDS};

use super::bench_figures::{CoalescedReads, RegistryFigures, Throughput, Timeline};
use super::bench_load::on_one_thread;
use crate::error::CliError;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Write throughput, finality latency and proven-read throughput of a running devnet.
    Registry(RegistryBenchArgs),
    /// Issuer CPU paths, in process: credentials signed per second (with status-list
    /// allocation) and person-index evaluations per second (Argon2id, which bounds
    /// enrolments).
    Issuer(super::bench_issuer::IssuerBenchArgs),
    /// Verified presentations per second and latency over gRPC against a running devnet's
    /// verifier (with Redis), the load generator on the same machine.
    Verifier(super::bench_verifier::VerifierBenchArgs),
    /// A running devnet under mixed load (enrolments, presentations, DID key rotations,
    /// revocations) for as long as asked, with every process's memory and every data
    /// directory's size sampled, and their growth per hour.
    Soak(super::bench_soak::SoakArgs),
    /// A fresh devnet, then the registry, issuer and verifier benchmarks (with the
    /// JavaScript comparison when its library is installed), written up in one report with
    /// plots, the machine, the commit and a calibration figure.
    All(super::bench_all::AllArgs),
}

/// Options of `realdid bench registry`.
#[derive(Debug, Clone, Args)]
pub struct RegistryBenchArgs {
    /// The devnet's directory (as `realdid devnet --dir`); the devnet must be running.
    #[arg(long, default_value = ".realdid/devnet")]
    pub dir: PathBuf,
    /// Seconds of sustained writes.
    #[arg(long, default_value_t = 60)]
    pub write_secs: u64,
    /// Seconds of proven reads.
    #[arg(long, default_value_t = 20)]
    pub read_secs: u64,
    /// Submissions in flight at once.
    #[arg(long, default_value_t = 2048)]
    pub concurrency: usize,
    /// Transactions signed before the run starts (the write phase ends early if they run
    /// out). By default, 8 000 a second of writes.
    #[arg(long)]
    pub prepared: Option<usize>,
    /// Reads in flight at once.
    #[arg(long, default_value_t = 64)]
    pub read_concurrency: usize,
    /// Seconds of proven reads through the registry client's coalescing reader (0: none).
    #[arg(long, default_value_t = 10)]
    pub coalesced_read_secs: u64,
}

/// Runs a benchmark.
pub fn run(cmd: BenchCommand) -> Result<(), CliError> {
    let runtime = super::runtime()?;
    match cmd {
        BenchCommand::Registry(args) => runtime.block_on(registry(args)).map(drop),
        BenchCommand::Issuer(args) => super::bench_issuer::run(args).map(drop),
        BenchCommand::Verifier(args) => {
            runtime.block_on(super::bench_verifier::run(args)).map(drop)
        }
        BenchCommand::All(args) => super::bench_all::run(args),
        BenchCommand::Soak(args) => runtime.block_on(super::bench_soak::run(args)),
    }
}

/// What the write phase did.
struct Written {
    /// Each submission answered final within the phase: when, and how long it took.
    timeline: Timeline,
    /// Submissions answered with anything but final.
    rejected: u64,
    /// Submissions that failed in transport.
    errors: u64,
    /// Some of the DIDs created, for the read phases: up to 64 per worker.
    created: Vec<RealDid>,
    /// Prepared transactions never sent.
    unsent: usize,
}

/// Connections to every node, enough per node that no connection carries more calls than a
/// server takes from one (the rest would be shed), and at least four.
async fn submission_clients(
    layout: &DevnetLayout,
    endpoints: &[String],
    concurrency: usize,
) -> Result<Vec<RegistryClient<tonic::transport::Channel>>, CliError> {
    let per_connection = realdid_proto::server::MAX_CALLS_PER_CONNECTION;
    let per_node = concurrency
        .div_ceil(endpoints.len().max(1) * per_connection)
        .max(4);
    let mut clients = Vec::new();
    for endpoint in endpoints {
        for _ in 0..per_node {
            clients.push(connect(layout, endpoint.clone()).await?);
        }
    }
    Ok(clients)
}

/// Submits `prepared` transactions for `secs` from `concurrency` workers spread over
/// `clients`, each submission answered when its transaction is final, and prints the
/// committed rate every 5 s.
async fn write_phase(
    clients: Vec<RegistryClient<tonic::transport::Channel>>,
    prepared: Vec<(Vec<u8>, RealDid)>,
    concurrency: usize,
    secs: u64,
) -> Written {
    // Workers take the next transaction without waiting: the lock is never held across an
    // await.
    let feed = Arc::new(std::sync::Mutex::new(prepared.into_iter()));
    let next = {
        let feed = feed.clone();
        move || feed.lock().ok().and_then(|mut f| f.next())
    };
    let committed = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let mut client = clients[w % clients.len()].clone();
        let next = next.clone();
        let (committed, rejected, errors) = (committed.clone(), rejected.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut mine = Timeline::new(start);
            let mut mine_dids = Vec::new();
            while Instant::now() < deadline {
                let Some((bytes, did)) = next() else {
                    break;
                };
                let sent = Instant::now();
                match client
                    .submit_transaction(pb::SubmitTransactionRequest { transaction: bytes })
                    .await
                {
                    Ok(answer) => match answer.into_inner().result {
                        Some(pb::submit_transaction_response::Result::Finalized(_)) => {
                            if Instant::now() <= deadline {
                                committed.fetch_add(1, Ordering::Relaxed);
                                mine.record(sent);
                            }
                            if mine_dids.len() < 64 {
                                mine_dids.push(did);
                            }
                        }
                        _ => {
                            rejected.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            (mine, mine_dids)
        }));
    }
    let mut last = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let now = committed.load(Ordering::Relaxed);
        println!(
            "  {:>4.0} s  committed {:>9}  ({:>7.0}/s in the last 5 s)",
            start.elapsed().as_secs_f64(),
            now,
            (now - last) as f64 / 5.0
        );
        last = now;
    }
    let mut timeline = Timeline::new(start);
    let mut created = Vec::new();
    for worker in workers {
        if let Ok((mine, dids)) = worker.await {
            timeline.merge(mine);
            created.extend(dids);
        }
    }
    let unsent = feed.lock().map(|f| f.len()).unwrap_or(0);
    Written {
        timeline,
        rejected: rejected.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        created,
        unsent,
    }
}

fn signed_create(chain: &ChainId) -> Result<(Vec<u8>, RealDid), CliError> {
    let (_, signed) = super::single_key_did(chain, Purposes::AUTHENTICATION)?;
    let did = signed.operation.did();
    Ok((Transaction::Did(signed).encode().to_vec(), did))
}

async fn connect(
    layout: &DevnetLayout,
    endpoint: String,
) -> Result<RegistryClient<tonic::transport::Channel>, CliError> {
    layout
        .client_tls()
        .connect(&endpoint)
        .await
        .map(|c| RegistryClient::new(c).max_decoding_message_size(16 * 1024 * 1024))
        .map_err(|e| {
            CliError::Usage(format!(
                "cannot reach {endpoint}: {e} (is `realdid devnet` running?)"
            ))
        })
}

/// Runs the registry benchmark against the running devnet in `args.dir`, prints its
/// figures and returns them.
pub async fn registry(args: RegistryBenchArgs) -> Result<RegistryFigures, CliError> {
    let layout = DevnetLayout::load(&args.dir)?;
    let endpoints: Vec<String> = layout.nodes().iter().map(|n| n.grpc_endpoint()).collect();
    // Every node must answer before the transactions are signed, which takes a while: a
    // devnet that is not running is said so at once. The load connects again on its own
    // thread.
    for endpoint in &endpoints {
        connect(&layout, endpoint.clone()).await?;
    }
    println!(
        "realdid bench registry: {} validators, {} s of writes at {} in flight, {} s of proven reads",
        endpoints.len(),
        args.write_secs,
        args.concurrency,
        args.read_secs
    );

    // Transactions are signed before the clock starts, on every core, so the figures
    // measure the chain rather than this client's signing.
    let budget = args.prepared.unwrap_or_else(|| {
        usize::try_from(args.write_secs)
            .unwrap_or(usize::MAX)
            .saturating_mul(8_000)
    });
    println!("  signing {budget} DID creations ahead …");
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let mut makers = Vec::new();
    for t in 0..threads {
        let share = budget / threads + usize::from(t < budget % threads);
        let chain = layout.genesis().chain_id().clone();
        makers.push(std::thread::spawn(move || {
            (0..share)
                .map(|_| signed_create(&chain))
                .collect::<Result<Vec<_>, CliError>>()
        }));
    }
    let mut waiting = super::Waiting::new("the signed transactions");
    while !makers.iter().all(|m| m.is_finished()) {
        waiting.tick();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(waiting);
    let mut prepared = Vec::with_capacity(budget);
    for maker in makers {
        let batch = maker
            .join()
            .map_err(|_| CliError::Refused("a signing thread panicked".into()))??;
        prepared.extend(batch);
    }

    // The submissions run on a thread of their own (`on_one_thread`), as the reads do.
    let Written {
        timeline: written,
        rejected,
        errors,
        created: dids,
        unsent,
    } = {
        let (layout, endpoints) = (layout.clone(), endpoints.clone());
        let (concurrency, secs) = (args.concurrency, args.write_secs);
        on_one_thread(move || async move {
            let clients = submission_clients(&layout, &endpoints, concurrency).await?;
            Ok(write_phase(clients, prepared, concurrency, secs).await)
        })
        .await?
    };
    if unsent == 0 {
        println!("  note: every prepared transaction was sent; raise --prepared for a longer run");
    }
    let writes = written.summary(Duration::from_secs(args.write_secs));
    println!("writes:");
    println!(
        "  committed DID creates  {} in {} s = {:.0}/s",
        writes.count, args.write_secs, writes.per_second
    );
    println!("  rejected {rejected}  transport errors {errors}");
    println!(
        "  finality latency (submit → final receipt)  p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        writes.p50_ms, writes.p99_ms, writes.max_ms
    );

    // Proven reads from one node, each checked by the light client.
    if dids.is_empty() {
        return Err(CliError::Refused(
            "no DID was committed; nothing to read".into(),
        ));
    }
    // Readers hold DIDs as text, parsed from what they were given: render each once here,
    // not in every read (a DID kept from its creation has only its bytes).
    for did in &dids {
        did.as_str();
    }
    let dids = Arc::new(dids);
    let node0 = endpoints[0].clone();

    // One DID per call, as a light client resolves one DID: the proof alone, checked here.
    // Both read phases run on a thread of their own (`on_one_thread`).
    let (reads, read_failures) = {
        let (layout, node0, dids) = (layout.clone(), node0.clone(), dids.clone());
        let (secs, concurrency) = (args.read_secs, args.read_concurrency);
        on_one_thread(move || async move {
            let light = Arc::new(LightClient::for_genesis(layout.genesis()));
            let mut read_clients = Vec::new();
            for _ in 0..8 {
                read_clients.push(connect(&layout, node0.clone()).await?);
            }
            Ok(read_phase(dids, secs, concurrency, |w| {
                let client = read_clients[w % read_clients.len()].clone();
                let light = light.clone();
                move |did: RealDid| {
                    let mut client = client.clone();
                    let light = light.clone();
                    async move {
                        let answer = client
                            .resolve(pb::ResolveRequest {
                                did: did.to_string(),
                                at: None,
                                proof_only: true,
                            })
                            .await;
                        answer.is_ok_and(|answer| {
                            answer.into_inner().proof.is_some_and(|proof| {
                                matches!(light.verify_did(&did, &proof), Ok((_, Some(_))))
                            })
                        })
                    }
                }
            })
            .await)
        })
        .await?
    };
    println!("proven reads (node 0, every answer checked by the light client):");
    print_reads(&reads, read_failures);

    // The same reads through the registry client a verifier uses, which coalesces the reads
    // in flight into proven ResolveMany calls (up to 64 DIDs against one certificate).
    let coalesced = if args.coalesced_read_secs == 0 {
        None
    } else {
        // This process's reader is the only one counting: its calls over the phase.
        let before = (COALESCED_CALLS.get(), COALESCED_DIDS.get());
        let (layout, node0) = (layout.clone(), node0.clone());
        let (secs, concurrency) = (args.coalesced_read_secs, args.read_concurrency);
        let (reads, failed) = on_one_thread(move || async move {
            let gateway = realdid_registry_client::RegistryGateway::with_tls(
                std::slice::from_ref(&node0),
                LightClient::for_genesis(layout.genesis()),
                &layout.client_tls(),
            )
            .map_err(|e| CliError::Usage(format!("cannot read from {node0}: {e}")))?;
            let reader = DidReader::new(gateway);
            Ok(read_phase(dids, secs, concurrency, |_| {
                let reader = reader.clone();
                move |did: RealDid| {
                    let reader = reader.clone();
                    async move { matches!(reader.resolve(&did).await, Ok(p) if p.value.is_some()) }
                }
            })
            .await)
        })
        .await?;
        let calls = COALESCED_CALLS.get() - before.0;
        let dids_per_call = (COALESCED_DIDS.get() - before.1) as f64 / calls.max(1) as f64;
        println!("proven reads coalesced by the registry client (node 0, every answer checked):");
        print_reads(&reads, failed);
        println!("  {calls} ResolveMany calls, {dids_per_call:.1} DIDs a call");
        Some(CoalescedReads {
            reads,
            failed,
            dids_per_call,
        })
    };
    Ok(RegistryFigures {
        writes,
        rejected,
        transport_errors: errors,
        reads,
        read_failures,
        coalesced_reads: coalesced,
    })
}

/// Runs `concurrency` readers of `dids` for `secs`, each with the read `reader` makes for
/// it, and returns the reads that checked out and how many did not.
async fn read_phase<R, F>(
    dids: Arc<Vec<RealDid>>,
    secs: u64,
    concurrency: usize,
    reader: impl Fn(usize) -> R,
) -> (Throughput, u64)
where
    R: Fn(RealDid) -> F + Send + 'static,
    F: Future<Output = bool> + Send,
{
    let bad = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (read, bad, dids) = (reader(w), bad.clone(), dids.clone());
        workers.push(tokio::spawn(async move {
            let mut mine = Timeline::new(start);
            let mut i = w;
            while Instant::now() < deadline {
                let did = dids[i % dids.len()].clone();
                i += 7;
                let sent = Instant::now();
                let ok = read(did).await;
                if ok && Instant::now() <= deadline {
                    mine.record(sent);
                } else if !ok {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
            mine
        }));
    }
    let mut done = Timeline::new(start);
    for worker in workers {
        if let Ok(timeline) = worker.await {
            done.merge(timeline);
        }
    }
    (
        done.summary(Duration::from_secs(secs)),
        bad.load(Ordering::Relaxed),
    )
}

fn print_reads(reads: &Throughput, failed: u64) {
    println!(
        "  {} in {:.0} s = {:.0}/s  p50 {:.2} ms  p99 {:.2} ms  (failed {failed})",
        reads.count, reads.secs, reads.per_second, reads.p50_ms, reads.p99_ms,
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use realdid_registry::devnet::Transport;

    use super::*;

    #[tokio::test]
    async fn a_devnet_that_is_not_running_is_said_so_before_anything_is_signed() {
        // A devnet's files, and no node running.
        let dir = tempfile::tempdir().unwrap();
        DevnetLayout::open_or_generate(dir.path(), 4, None, Transport::Tls).unwrap();
        let args = RegistryBenchArgs {
            dir: dir.path().to_owned(),
            write_secs: 1,
            read_secs: 1,
            concurrency: 8,
            // Far more than the wait below lets anyone sign: the answer must come first.
            prepared: Some(2_000_000),
            read_concurrency: 1,
            coalesced_read_secs: 0,
        };
        let refused = tokio::time::timeout(Duration::from_secs(30), registry(args))
            .await
            .expect("an answer before the transactions are signed")
            .unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("cannot reach") && message.contains("realdid devnet"),
            "{message}"
        );
    }
}
