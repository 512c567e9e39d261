//! `realdid bench verifier`: verified presentations per second and latency over real gRPC,
//! against a running devnet's verifier (with its Redis), the load generator on the same
//! machine.
//!
//! Set-up (not timed): holder wallets (realdid-wallet) register their DIDs and enrol with
//! the devnet's issuer, many at once, then one presentation request per verification is
//! created and the holder's wallet answers it. Timed: only `VerifyPresentation` calls,
//! `--concurrency` in flight, in two parts: a few credentials presented again and again at
//! full speed (the verifier's signature memo, key memo and DID cache help); then
//! credentials of holders the verifier has never seen, each presented once (nothing helps:
//! two signature checks, a key decompression and a proven read of the holder's DID each),
//! sent in alternating chunks with as many repeated ones, all at half the full-speed rate
//! (`bench_first_seen`). The verifier's own CPU time is read from /proc for each part; a
//! first-seen presentation's is compared with a repeated one's sent at the same pace and
//! at the same time, as a verification costs more CPU at a lower rate (fewer calls share
//! each system call and wake-up) and on a slower moment of the machine.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use realdid_core::keys::Jwk;
use realdid_core::sd_jwt::SdJwt;
use realdid_issuer::authority::dataset::Person;
use realdid_issuer::config::IssuerConfig;
use realdid_proto::tls::ClientTls;
use realdid_registry::devnet::DevnetLayout;
use realdid_registry_client::RegistryGateway;
use realdid_verifier::client::ProviderClient;
use realdid_verifier::config::VerifierConfig;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::Outcome;
use realdid_verifier::verify::status::{HttpStatusSource, StatusSource as _};
use realdid_wallet::issuer_link::{Identity, IssuerLink};
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::present;
use realdid_wallet::{Wallet, dids};

use super::bench_figures::{JsResults, Timeline, VerifierFigures, VerifierPhase};
use super::bench_first_seen;
use super::bench_load::on_one_thread;
use super::bench_soak::{CpuTimes, devnet_processes};
use crate::error::CliError;

/// Options of `realdid bench verifier`.
#[derive(Debug, Clone, Args)]
pub struct VerifierBenchArgs {
    /// The running devnet's directory.
    #[arg(long, default_value = ".realdid/devnet")]
    pub dir: PathBuf,
    /// Verifications to time, of a few credentials presented again and again.
    #[arg(long, default_value_t = 40_000)]
    pub verifications: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Connections the calls in flight are spread over: at least this many, and at least
    /// enough that none carries more calls than the verifier takes from one connection. The
    /// verifier serves each HTTP/2 connection on one task (its TLS, framing and headers, one
    /// call after another), so a single connection carrying every call leaves a core idle
    /// while that task catches up, as one busy provider's single connection would
    /// (docs/PERFORMANCE.md, "Verifier: where the time goes").
    #[arg(long, default_value_t = 2)]
    pub connections: usize,
    /// Distinct credentials presented again and again (one DID each).
    #[arg(long, default_value_t = 32)]
    pub credentials: usize,
    /// Holders each presenting once a credential the verifier has never seen (a phase
    /// timed apart, where no memo or cache helps); 0 leaves the phase out.
    #[arg(long, default_value_t = 3_000)]
    pub first_seen: usize,
    /// Where the JavaScript SD-JWT VC library is installed (a node_modules directory):
    /// the comparison verifies the same presentations with it, after the timed gRPC run.
    /// scripts/setup.sh installs it and exports REALDID_SDJWT_NODE_PATH, the default.
    #[arg(long)]
    pub js_modules: Option<PathBuf>,
}

/// Holders prepared at once: each a wallet that registers its DID (a final registry write)
/// and enrols with the issuer.
const PREPARING_AT_ONCE: usize = 48;

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The register's people, as the devnet wrote them for its authority: whom the benchmarks
/// enrol. None would leave nobody to enrol.
pub(super) fn people(dir: &Path) -> Result<Vec<Person>, CliError> {
    let path = dir.join("authority").join("people.json");
    let people: Vec<Person> = serde_json::from_str(&read(&path)?)?;
    if people.is_empty() {
        return Err(CliError::Usage(format!(
            "{} lists nobody to enrol",
            path.display()
        )));
    }
    Ok(people)
}

/// What every part of the benchmark reads from the devnet's directory.
struct Devnet {
    layout: DevnetLayout,
    registry: RegistryGateway,
    issuer_endpoint: String,
    verifier_endpoint: String,
    /// The devnet's directory, where its processes are found (to read the verifier's CPU).
    dir: PathBuf,
    token: String,
    audience: String,
    people: Vec<Person>,
}

/// One presentation to verify: the request's id, its nonce and the presentation.
pub(super) type Work = Vec<(String, String, String)>;

/// Runs the benchmark, prints its figures and returns them.
pub async fn run(args: VerifierBenchArgs) -> Result<VerifierFigures, CliError> {
    let layout = DevnetLayout::load(&args.dir)?;
    let issuer_config = IssuerConfig::load(&args.dir.join("issuer").join("issuer.toml"))?;
    let verifier_path = args.dir.join("verifier").join("verifier.toml");
    let verifier_config = VerifierConfig::load(&verifier_path)?;
    let bank = verifier_config
        .load_providers()?
        .into_iter()
        .find(|p| p.id == "bank")
        .ok_or_else(|| {
            CliError::Usage(format!("{}: no provider \"bank\"", verifier_path.display()))
        })?;
    let devnet = Arc::new(Devnet {
        registry: layout.gateway()?,
        issuer_endpoint: format!("{}://{}", layout.scheme(), issuer_config.grpc_listen),
        verifier_endpoint: format!("{}://{}", layout.scheme(), verifier_config.grpc_listen),
        dir: args.dir.clone(),
        token: read(&args.dir.join("verifier").join("bank-token"))?,
        audience: bank.did().as_str().to_owned(),
        people: people(&args.dir)?,
        layout,
    });
    println!(
        "realdid bench verifier: {} verifications of {} credentials, then {} first-seen, at {} in flight over {} connections to {} (requests in {})",
        args.verifications,
        args.credentials,
        args.first_seen,
        args.concurrency,
        connection_count(args.concurrency, args.connections),
        devnet.verifier_endpoint,
        if verifier_config.redis_url.is_some() {
            "Redis"
        } else {
            "process memory"
        }
    );

    // Holders: one wallet each (in a temporary directory), with one DID for the bank and
    // its credential, from people not enrolled before (a fresh slice of the register per
    // run, so the per-person cap is never reached). The wallet library does what a
    // citizen's wallet does.
    let wallets = tempfile::tempdir().map_err(|source| CliError::Io {
        path: "a temporary directory".into(),
        source,
    })?;
    let first_person = usize::try_from(super::unix_ms() % 1000).unwrap_or(0) * 2;
    let holders = prepare_holders(
        &devnet,
        wallets.path(),
        first_person..first_person + args.credentials,
    )
    .await?;
    let newcomers = prepare_holders(
        &devnet,
        wallets.path(),
        first_person + args.credentials..first_person + args.credentials + args.first_seen,
    )
    .await?;
    let provider = ProviderClient::connect_with(
        devnet.verifier_endpoint.clone(),
        &devnet.token,
        &tls(&devnet),
    )
    .await?;
    // Every request lives through all the set-up and every phase.
    let expiry = request_expiry(args.verifications + 2 * newcomers.len());
    let repeated_work = requests(&devnet, &provider, &holders, args.verifications, expiry).await?;
    let first_seen_work = requests(&devnet, &provider, &newcomers, newcomers.len(), expiry).await?;
    let paced_work = if newcomers.is_empty() {
        Work::new()
    } else {
        requests(&devnet, &provider, &holders, newcomers.len(), expiry).await?
    };

    let caller = Caller::connect(&devnet, args.concurrency, args.connections).await?;
    println!(
        "  verifying presentations of {} credentials, again and again …",
        holders.len()
    );
    let repeated_work = Arc::new(repeated_work);
    let repeated = caller
        .send(&repeated_work, 0..repeated_work.len(), None)
        .await?
        .phase();
    report("repeated credentials", &repeated, args.concurrency);
    let (first_seen, repeated_at_first_seen_rate) = if first_seen_work.is_empty() {
        (None, None)
    } else {
        // A first-seen presentation up to twice as costly keeps up with half the repeated
        // rate. Where a first-seen chunk falls short of its pace (its latency times the calls
        // in flight bounds it), the repeated chunks follow the pace it kept.
        let pace = repeated.verified.per_second / 2.0;
        println!(
            "  verifying {} first-seen and {} repeated presentations in alternating chunks of {}, sent at {pace:.0}/s …",
            first_seen_work.len(),
            paced_work.len(),
            bench_first_seen::CHUNK
        );
        let (first, again) = bench_first_seen::compare(
            &caller,
            &Arc::new(first_seen_work),
            &Arc::new(paced_work),
            pace,
        )
        .await?;
        report("first-seen credentials", &first, args.concurrency);
        report(
            "repeated credentials at the first-seen pace",
            &again,
            args.concurrency,
        );
        if let (Some(first), Some(again)) = (first.cpu_us_each, again.cpu_us_each) {
            println!(
                "first-seen / repeated verifier CPU at the same pace: {:.2}×",
                first / again.max(f64::MIN_POSITIVE)
            );
        }
        (Some(first), Some(again))
    };

    let js_modules = args
        .js_modules
        .clone()
        .or_else(|| std::env::var_os("REALDID_SDJWT_NODE_PATH").map(PathBuf::from));
    let javascript = match &js_modules {
        Some(modules) => {
            let holder_credentials: Vec<&str> = holders
                .iter()
                .flat_map(|w| w.contents().credentials.iter().map(|c| c.compact.as_str()))
                .collect();
            javascript_comparison(
                modules,
                &tls(&devnet),
                &issuer_config,
                &holder_credentials,
                &repeated_work,
                &devnet.audience,
            )
            .await
            .map_err(|e| e.to_string())
        }
        None => Err("no --js-modules (scripts/setup.sh installs the library)".into()),
    };
    for line in js_report(repeated.verified.per_second, &javascript) {
        println!("{line}");
    }
    Ok(VerifierFigures {
        repeated,
        first_seen,
        repeated_at_first_seen_rate,
        javascript,
    })
}

fn tls(devnet: &Devnet) -> ClientTls {
    devnet.layout.client_tls()
}

/// Prints a timed phase's figures.
fn report(what: &str, phase: &VerifierPhase, concurrency: usize) {
    let v = &phase.verified;
    println!(
        "{what}: verified {} in {:.2} s = {:.0}/s; failed {}",
        v.count, v.secs, v.per_second, phase.failed
    );
    println!(
        "  latency at {concurrency} in flight: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        v.p50_ms, v.p99_ms, v.max_ms
    );
    if let (Some(us), Some(cores)) = (phase.cpu_us_each, phase.cores) {
        println!("  verifier process CPU: {us:.1} µs per verification ({cores:.2} cores)");
    }
}

/// A source address for the `slot`th connection to `endpoint`: on a loopback endpoint,
/// one of 127.0.0.2 and up, so that the issuer's per-address limit on calls counts each
/// connection as the citizen it stands for; elsewhere the system's choice.
pub(super) fn source_address(endpoint: &str, slot: usize) -> Option<IpAddr> {
    let host = endpoint.split("://").nth(1)?.split(':').next()?;
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let slot = u8::try_from(slot % 250).unwrap_or(0);
    loopback.then_some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + slot)))
}

/// A citizen's link to the issuer at `endpoint`, connected from the `slot`th source
/// address ([`source_address`]).
pub(super) async fn issuer_link(
    tls: &ClientTls,
    endpoint: &str,
    slot: usize,
) -> Result<IssuerLink, CliError> {
    let channel = tls
        .endpoint(endpoint)
        .map_err(|e| CliError::Refused(e.to_string()))?
        .local_address(source_address(endpoint, slot))
        .connect()
        .await
        .map_err(|e| CliError::Refused(format!("cannot reach the issuer at {endpoint}: {e}")))?;
    Ok(IssuerLink::over(channel).await?)
}

/// Wallets for the people at `range` of the register (wrapping around), each with a DID
/// for the bank and its credential, made [`PREPARING_AT_ONCE`] at a time.
async fn prepare_holders(
    devnet: &Arc<Devnet>,
    dir: &Path,
    range: std::ops::Range<usize>,
) -> Result<Vec<Wallet>, CliError> {
    let total = range.len();
    if total == 0 {
        return Ok(Vec::new());
    }
    let next = Arc::new(AtomicUsize::new(range.start));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for slot in 0..PREPARING_AT_ONCE.min(total) {
        let mut link = issuer_link(&tls(devnet), &devnet.issuer_endpoint, slot).await?;
        let (devnet, next, done, dir) =
            (devnet.clone(), next.clone(), done.clone(), dir.to_owned());
        let end = range.end;
        tasks.spawn(async move {
            let mut made = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    return Ok::<_, CliError>(made);
                }
                let person = &devnet.people[i % devnet.people.len()];
                let mut wallet = Wallet::create(
                    &dir.join(i.to_string()),
                    "benchmark holder",
                    KdfParams::MINIMUM,
                )?;
                let did =
                    dids::for_provider(&mut wallet, &devnet.registry, &devnet.audience).await?;
                let identity = Identity {
                    full_name: person.full_name.clone(),
                    resident_id: person.resident_id.clone(),
                    evidence_token: person.evidence_token.clone(),
                };
                link.enrol(&mut wallet, &identity, &[did]).await?;
                made.push(wallet);
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let mut waiting = super::Waiting::new(format!("{total} holders' DIDs and enrolments"));
    let mut holders = Vec::with_capacity(total);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(result) => holders.extend(
                    result.map_err(|e| CliError::Refused(format!("a holder task failed: {e}")))??,
                ),
                None => break,
            },
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        waiting.tick_count(done.load(Ordering::Relaxed), total);
    }
    Ok(holders)
}

/// How long the benchmark's `count` requests stay open: through their set-up and the timed
/// phases (each request made, then verified, at ~200 a second or more), and no longer,
/// since every request and its used mark stay in the verifier's Redis until then.
fn request_expiry(count: usize) -> u32 {
    let seconds = 120 + count / 100;
    u32::try_from(seconds)
        .unwrap_or(u32::MAX)
        .min(realdid_verifier::requests::MAX_EXPIRY_SECONDS)
}

/// `count` requests of the bank, the `i`th answered by holder `i` modulo their number,
/// created and answered [`PREPARING_AT_ONCE`] at a time.
async fn requests(
    devnet: &Arc<Devnet>,
    provider: &ProviderClient,
    holders: &[Wallet],
    count: usize,
    expiry_seconds: u32,
) -> Result<Work, CliError> {
    if count == 0 || holders.is_empty() {
        return Ok(Vec::new());
    }
    let spec = RequestSpec {
        claims: vec!["province".into()],
        predicates: vec!["real_name_verified".into()],
        purpose: "benchmark".into(),
        expiry_seconds,
        credential_types: vec![],
    };
    let now = super::unix_s();
    let mut waiting = super::Waiting::new(format!("{count} requests and their presentations"));
    let mut work = Vec::with_capacity(count);
    // No more at once than one connection carries (the provider client has one).
    for chunk in (0..count).collect::<Vec<_>>().chunks(PREPARING_AT_ONCE) {
        waiting.tick_count(work.len(), count);
        let mut created = tokio::task::JoinSet::new();
        for &i in chunk {
            let (mut provider, spec, registry) =
                (provider.clone(), spec.clone(), devnet.registry.clone());
            created.spawn(async move {
                let request = provider.create_request(&spec).await?;
                let object = present::verify_request(&request.request_object, &registry).await?;
                Ok::<_, CliError>((i, request, object))
            });
        }
        let mut answered = Vec::with_capacity(chunk.len());
        while let Some(joined) = created.join_next().await {
            let (i, request, object) =
                joined.map_err(|e| CliError::Refused(format!("a request task failed: {e}")))??;
            let prepared = present::prepare(&holders[i % holders.len()], &object, now)?;
            answered.push((
                i,
                (request.request_id, request.nonce, prepared.presentation),
            ));
        }
        answered.sort_by_key(|(i, _)| *i);
        work.extend(answered.into_iter().map(|(_, w)| w));
    }
    Ok(work)
}

/// What sends the timed calls: a thread of its own (`on_one_thread`) holding connections
/// enough that none carries more calls than the verifier takes from one, and the verifier's
/// process, whose CPU each run of calls reads. The load thread lives as long as the caller.
pub(super) struct Caller {
    runs: tokio::sync::mpsc::UnboundedSender<Run>,
    verifier: Option<u32>,
}

/// One run of calls for the load thread, and where its outcome goes.
struct Run {
    work: Arc<Work>,
    range: std::ops::Range<usize>,
    pace: Option<f64>,
    done: tokio::sync::oneshot::Sender<Result<Sent, CliError>>,
}

/// One run of calls: each verified call's timing, the calls refused, and the verifier's CPU.
pub(super) struct Sent {
    pub verified: Timeline,
    pub failed: u64,
    /// From the first call's start to the last answer.
    pub elapsed: Duration,
    /// When the last call was sent, since the first: with a pace, the pace the calls kept.
    pub last_sent: Duration,
    /// The verifier's CPU over the run, in seconds; `None` when it could not be read whole
    /// (the verifier gone, or one of its threads ended during the run). Read by the caller,
    /// around the load thread's run.
    pub cpu: Option<f64>,
}

impl Sent {
    /// The run's figures as a phase's.
    pub fn phase(&self) -> VerifierPhase {
        let count = self.verified.count().max(1) as f64;
        VerifierPhase {
            verified: self.verified.summary(self.elapsed),
            failed: self.failed,
            cpu_us_each: self.cpu.map(|c| c * 1e6 / count),
            cores: self
                .cpu
                .map(|c| c / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)),
        }
    }
}

impl Caller {
    /// Starts the load thread and connects it to the verifier; returns once connected.
    async fn connect(
        devnet: &Devnet,
        concurrency: usize,
        connections_asked: usize,
    ) -> Result<Caller, CliError> {
        let (endpoint, token, tls) = (
            devnet.verifier_endpoint.clone(),
            devnet.token.clone(),
            tls(devnet),
        );
        let (runs, mut queue) = tokio::sync::mpsc::unbounded_channel::<Run>();
        let (ready, connected) = tokio::sync::oneshot::channel();
        // Everything the calls touch is made on the load thread: a client made on the
        // command's runtime would keep its connection's tasks there.
        tokio::spawn(on_one_thread(move || async move {
            let mut connections = Vec::new();
            for _ in 0..connection_count(concurrency, connections_asked) {
                match ProviderClient::connect_with(endpoint.clone(), &token, &tls).await {
                    Ok(client) => connections.push(client),
                    Err(error) => {
                        let _ = ready.send(Err(CliError::from(error)));
                        return Ok(());
                    }
                }
            }
            let _ = ready.send(Ok(()));
            // Until the caller is dropped.
            while let Some(run) = queue.recv().await {
                let ran = run_calls(&connections, concurrency, run.work, run.range, run.pace).await;
                // The caller may have given up waiting.
                let _ = run.done.send(ran);
            }
            Ok(())
        }));
        connected.await.map_err(|_| load_thread_stopped())??;
        let verifier = devnet_processes(&devnet.dir)
            .into_iter()
            .find(|p| p.name == "verifier")
            .map(|p| p.pid);
        Ok(Caller { runs, verifier })
    }

    fn verifier_cpu(&self) -> Option<CpuTimes> {
        CpuTimes::read(self.verifier?)
    }

    /// Verifies the presentations of `work` at `range` over gRPC on the load thread, at
    /// most `concurrency` in flight, timed, with the verifier's CPU time over the run. With a
    /// `pace` (per second), the i-th call is not sent before i / pace seconds into the run;
    /// without one, each call follows the last.
    pub async fn send(
        &self,
        work: &Arc<Work>,
        range: std::ops::Range<usize>,
        pace: Option<f64>,
    ) -> Result<Sent, CliError> {
        let cpu_before = self.verifier_cpu();
        let (done, ran) = tokio::sync::oneshot::channel();
        self.runs
            .send(Run {
                work: work.clone(),
                range,
                pace,
                done,
            })
            .map_err(|_| load_thread_stopped())?;
        let mut sent = ran.await.map_err(|_| load_thread_stopped())??;
        sent.cpu = self
            .verifier_cpu()
            .zip(cpu_before)
            .and_then(|(after, before)| after.since(&before));
        Ok(sent)
    }
}

/// The connections `concurrency` calls in flight are spread over: `asked`, or more when one
/// connection would carry more calls than the verifier takes from one; never more than the
/// calls (a connection without a call of its own would stay idle).
fn connection_count(concurrency: usize, asked: usize) -> usize {
    asked
        .min(concurrency)
        .max(concurrency.div_ceil(realdid_proto::server::MAX_CALLS_PER_CONNECTION))
        .max(1)
}

fn load_thread_stopped() -> CliError {
    CliError::Refused("the load generator's thread stopped".into())
}

/// One run of calls, on the load thread: `work` at `range` over `connections`, `concurrency`
/// in flight, at `pace` (see [`Caller::send`]); the verifier's CPU is left to the caller.
async fn run_calls(
    connections: &[ProviderClient],
    concurrency: usize,
    work: Arc<Work>,
    range: std::ops::Range<usize>,
    pace: Option<f64>,
) -> Result<Sent, CliError> {
    let started = Instant::now();
    let first = range.start;
    let workers = drive(
        range.len(),
        concurrency,
        pace,
        |t| {
            let client = connections[t % connections.len()].clone();
            (client, Timeline::new(started), 0u64, Duration::ZERO)
        },
        move |(mut client, mut verified, mut failed, mut last_sent), i| {
            let work = work.clone();
            async move {
                let Some((id, _, presentation)) = work.get(first + i) else {
                    return (client, verified, failed, last_sent);
                };
                let sent = Instant::now();
                last_sent = last_sent.max(sent.saturating_duration_since(started));
                match client.verify(id, presentation).await {
                    Ok(Outcome::Verified(_)) => verified.record(sent),
                    _ => failed += 1,
                }
                (client, verified, failed, last_sent)
            }
        },
    )
    .await?;
    let mut sent = Sent {
        verified: Timeline::new(started),
        failed: 0,
        elapsed: started.elapsed(),
        last_sent: Duration::ZERO,
        cpu: None,
    };
    for (_, verified, failed, last_sent) in workers {
        sent.verified.merge(verified);
        sent.failed += failed;
        sent.last_sent = sent.last_sent.max(last_sent);
    }
    Ok(sent)
}

/// Runs `call` for every index below `count` on `workers` tasks, each taking the next index
/// when its last call is done, and gives back each worker's state (from `init`, threaded
/// through its calls). With a `pace` (per second), the i-th call does not start before
/// i / pace seconds after the first: an open-loop schedule as long as the workers keep up,
/// and each call after the last (closed loop) once they fall behind it.
async fn drive<S, F, Fut>(
    count: usize,
    workers: usize,
    pace: Option<f64>,
    init: impl Fn(usize) -> S,
    call: F,
) -> Result<Vec<S>, CliError>
where
    S: Send + 'static,
    F: Fn(S, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = S> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for t in 0..workers {
        let (call, next, mut state) = (call.clone(), next.clone(), init(t));
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                if let Some(rate) = pace.filter(|r| *r > 0.0) {
                    tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate))
                        .await;
                }
                state = call(state, i).await;
            }
            state
        }));
    }
    let mut states = Vec::with_capacity(workers);
    for task in tasks {
        states.push(
            task.await
                .map_err(|e| CliError::Refused(format!("a worker failed: {e}")))?,
        );
    }
    Ok(states)
}

/// The JavaScript comparison's lines. The comparison is optional: when it was not asked
/// for, or could not run (no library where `--js-modules` points, no Node), the report says
/// why it is skipped, and the run that was timed still stands.
pub fn js_report(rate: f64, comparison: &Result<JsResults, String>) -> Vec<String> {
    let js = match comparison {
        Err(why) => return vec![format!("JavaScript comparison skipped: {why}")],
        Ok(js) => js,
    };
    let mut lines = Vec::new();
    for (what, run) in [
        ("@sd-jwt/core, SD-JWT with key binding", &js.sd_jwt),
        ("@sd-jwt/sd-jwt-vc, SD-JWT VC with status", &js.sd_jwt_vc),
    ] {
        lines.push(format!(
            "JavaScript {what}, same presentations, one process: {} verified in {:.2} s = {:.0}/s; failed {}{}",
            run.verified,
            run.seconds,
            run.per_second,
            run.failed,
            run.first_error
                .as_ref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        ));
        lines.push(format!(
            "  realdid over gRPC / this: {:.1}×",
            rate / run.per_second.max(f64::MIN_POSITIVE)
        ));
    }
    lines
}

/// How many presentations the (slow) SD-JWT VC run of the JavaScript library verifies.
const JS_VC_LIMIT: usize = 2_000;

/// Verifies the benchmark's presentations with the JavaScript reference library in one
/// Node process (tests/interop/js/verify_presentations.cjs): the issuer key and the status
/// list tokens are handed to it, so that it does no network I/O while timed.
async fn javascript_comparison(
    modules: &Path,
    tls: &ClientTls,
    issuer_config: &IssuerConfig,
    credentials: &[&str],
    work: &[(String, String, String)],
    audience: &str,
) -> Result<JsResults, CliError> {
    if !modules.join("@sd-jwt").is_dir() {
        return Err(CliError::Usage(format!(
            "{} holds no @sd-jwt library (scripts/setup.sh installs it)",
            modules.display()
        )));
    }
    println!("  verifying the same presentations with the JavaScript library …");
    let keys = realdid_issuer::keys::load(&issuer_config.keys_file)?;
    let issuer_jwk = Jwk::from_signing_key(keys.active_key()?)
        .map_err(|e| CliError::Refused(format!("issuer key: {e}")))?
        .public_only();
    let source = HttpStatusSource::new(Duration::from_secs(5), tls)?;
    let mut status_lists = serde_json::Map::new();
    for credential in credentials {
        let uri = SdJwt::parse(credential)?
            .payload()?
            .get("status")
            .and_then(|s| s.get("status_list"))
            .and_then(|l| l.get("uri"))
            .and_then(|u| u.as_str())
            .map(str::to_owned)
            .ok_or_else(|| CliError::Refused("a credential without a status list".into()))?;
        if !status_lists.contains_key(&uri) {
            let token = source.fetch(&uri).await.map_err(CliError::Refused)?;
            status_lists.insert(uri, token.into());
        }
    }
    let presentations: Vec<serde_json::Value> = work
        .iter()
        .map(|(_, nonce, presentation)| {
            serde_json::json!({"nonce": nonce, "presentation": presentation})
        })
        .collect();
    let input = serde_json::json!({
        "issuer_jwk": issuer_jwk,
        "audience": audience,
        "status_lists": status_lists,
        "presentations": presentations,
        "vc_limit": JS_VC_LIMIT,
    });
    let dir = tempfile::tempdir().map_err(|source| CliError::Io {
        path: "a temporary directory".into(),
        source,
    })?;
    let write = |name: &str, text: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(|source| CliError::Io {
            path: path.display().to_string(),
            source,
        })
    };
    write("sd_jwt_node.cjs", JS_CRYPTO.as_bytes())?;
    write("verify_presentations.cjs", JS_VERIFY.as_bytes())?;
    write("input.json", &serde_json::to_vec(&input)?)?;
    let out = tokio::process::Command::new("node")
        .env("NODE_PATH", modules)
        .arg(dir.path().join("verify_presentations.cjs"))
        .arg(dir.path().join("input.json"))
        .output()
        .await
        .map_err(|e| CliError::Refused(format!("cannot run node: {e}")))?;
    if !out.status.success() {
        return Err(CliError::Refused(format!(
            "the JavaScript comparison failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// The comparison's scripts, carried in the binary so that it runs from any directory.
const JS_CRYPTO: &str = include_str!("../../../tests/interop/js/sd_jwt_node.cjs");
const JS_VERIFY: &str = include_str!("../../../tests/interop/js/verify_presentations.cjs");

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is a failure report

    use super::super::bench_figures::JsResult;
    use super::*;

    /// When each call started, in (paused) time since the first, in the order of the calls,
    /// each call taking `each`.
    async fn starts(
        count: usize,
        workers: usize,
        pace: Option<f64>,
        each: Duration,
    ) -> Vec<Duration> {
        let zero = tokio::time::Instant::now();
        let states = drive(
            count,
            workers,
            pace,
            |_| Vec::new(),
            move |mut seen: Vec<(usize, Duration)>, i| async move {
                seen.push((i, zero.elapsed()));
                tokio::time::sleep(each).await;
                seen
            },
        )
        .await
        .unwrap();
        let mut all: Vec<(usize, Duration)> = states.into_iter().flatten().collect();
        all.sort();
        let called: Vec<usize> = all.iter().map(|(i, _)| *i).collect();
        assert_eq!(
            called,
            (0..count).collect::<Vec<_>>(),
            "each call exactly once"
        );
        all.into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn calls_are_spread_over_the_connections_asked_and_never_over_the_servers_bound() {
        let bound = realdid_proto::server::MAX_CALLS_PER_CONNECTION;
        assert_eq!(connection_count(bound, 1), 1);
        assert_eq!(connection_count(bound, 2), 2);
        // More calls than one connection may carry need a second even when one is asked.
        assert_eq!(connection_count(bound + 1, 1), 2);
        assert_eq!(connection_count(4 * bound, 2), 4);
        assert_eq!(connection_count(0, 0), 1);
        // No more connections than calls.
        assert_eq!(connection_count(4, 1_000), 4);
    }

    #[test]
    fn requests_outlive_their_set_up_within_the_verifiers_bound() {
        assert_eq!(request_expiry(0), 120);
        assert_eq!(request_expiry(46_000), 580);
        assert_eq!(request_expiry(151_000), 1_630);
        assert_eq!(
            request_expiry(10_000_000),
            realdid_verifier::requests::MAX_EXPIRY_SECONDS
        );
    }

    fn due(i: usize, rate: f64) -> Duration {
        Duration::from_secs_f64(i as f64 / rate)
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_phase_starts_each_call_on_time_while_the_workers_keep_up() {
        // 8 workers of 5 ms calls could carry 1 600/s; 200/s is asked.
        let starts = starts(100, 8, Some(200.0), Duration::from_millis(5)).await;
        for (i, t) in starts.iter().enumerate() {
            // The timer rounds a deadline up to its next millisecond.
            let due = due(i, 200.0);
            assert!(
                *t >= due && *t <= due + Duration::from_millis(1),
                "call {i} started at {t:?}, due at {due:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_pace_the_workers_cannot_keep_turns_into_each_call_after_the_last() {
        // 2 workers of 10 ms calls carry 200/s, not the 1 000/s asked.
        let starts = starts(100, 2, Some(1_000.0), Duration::from_millis(10)).await;
        for (i, t) in starts.iter().enumerate() {
            assert!(
                *t >= due(i, 1_000.0),
                "call {i} started at {t:?}, before its time"
            );
        }
        // 100 calls at 200/s: the last starts 49 rounds of 10 ms in, not later.
        let last = starts[99];
        assert!(
            last >= Duration::from_millis(490) && last <= Duration::from_millis(492),
            "{last:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_pace_each_worker_calls_again_when_done() {
        let starts = starts(40, 4, None, Duration::from_millis(10)).await;
        for (i, t) in starts.iter().enumerate() {
            assert_eq!(*t, Duration::from_millis(10 * (i as u64 / 4)), "call {i}");
        }
    }

    #[test]
    fn a_comparison_left_out_or_unable_to_run_is_reported_skipped_not_failed() {
        let none = js_report(8_000.0, &Err("no --js-modules".into()));
        assert_eq!(none.len(), 1);
        assert!(none[0].starts_with("JavaScript comparison skipped: no --js-modules"));
        let missing = js_report(
            8_000.0,
            &Err("/nonexistent holds no @sd-jwt library".into()),
        );
        assert_eq!(missing.len(), 1);
        assert!(missing[0].contains("skipped") && missing[0].contains("/nonexistent"));
        let run = |per_second| JsResult {
            verified: 100,
            failed: 0,
            seconds: 1.0,
            per_second,
            first_error: None,
        };
        let ran = js_report(
            8_000.0,
            &Ok(JsResults {
                sd_jwt: run(1_000.0),
                sd_jwt_vc: run(500.0),
            }),
        );
        assert_eq!(ran.len(), 4);
        assert!(
            ran[1].contains("8.0×") && ran[3].contains("16.0×"),
            "{ran:?}"
        );
    }
}
