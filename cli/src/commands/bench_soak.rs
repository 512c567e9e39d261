//! `realdid bench soak`: a running devnet under a steady mixed load for as long as asked,
//! with the memory of every devnet process and the disk of every data directory sampled
//! as it goes, so that growth that would take a long-running network down shows.
//!
//! Each worker serves one new citizen after another, as a wallet and the bank would: a
//! wallet and a DID for the bank (a registry write), an enrolment with the issuer, a
//! presentation to the bank that must verify, a rotation of the DID's device key (a
//! registry write); every fifth citizen's credential is then revoked by the officer (a
//! status list published and anchored). The first sample is taken before the load starts:
//! it is each process's idle figure. The samples go to `OUT/soak.csv`, the summary, with
//! each figure's growth per hour, to `OUT/soak.md`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use realdid_issuer::authority::dataset::Person;
use realdid_issuer::config::IssuerConfig;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry::devnet::DevnetLayout;
use realdid_verifier::client::ProviderClient;
use realdid_verifier::config::VerifierConfig;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::Outcome;
use realdid_wallet::contents::Origin;
use realdid_wallet::issuer_link::Identity;
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::{Wallet, dids, present};

use crate::error::CliError;

/// Options of `realdid bench soak`.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// The running devnet's directory.
    #[arg(long, default_value = ".realdid/devnet")]
    dir: PathBuf,
    /// Minutes of load.
    #[arg(long, default_value_t = 60)]
    minutes: u64,
    /// Seconds between samples.
    #[arg(long, default_value_t = 60)]
    sample_secs: u64,
    /// Citizens served at once.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Where the samples (soak.csv) and the summary (soak.md) go.
    #[arg(long, default_value = "soak")]
    out: PathBuf,
}

/// What the load did, counted as it goes.
#[derive(Debug, Default)]
struct Counts {
    citizens: AtomicU64,
    dids: AtomicU64,
    enrolments: AtomicU64,
    presentations: AtomicU64,
    rotations: AtomicU64,
    revocations: AtomicU64,
    failures: AtomicU64,
}

impl Counts {
    fn snapshot(&self) -> [u64; 7] {
        [
            &self.citizens,
            &self.dids,
            &self.enrolments,
            &self.presentations,
            &self.rotations,
            &self.revocations,
            &self.failures,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }
}

const COUNT_NAMES: [&str; 7] = [
    "citizens",
    "dids",
    "enrolments",
    "presentations",
    "rotations",
    "revocations",
    "failures",
];

/// Everything a worker needs to serve a citizen.
struct Load {
    layout: DevnetLayout,
    people: Vec<Person>,
    issuer_endpoint: String,
    verifier_endpoint: String,
    bank_token: String,
    bank_audience: String,
    officer_password: String,
    wallets: tempfile::TempDir,
    counts: Counts,
    /// The last failure, for the summary.
    last_failure: std::sync::Mutex<String>,
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Runs `realdid bench soak`.
pub async fn run(args: SoakArgs) -> Result<(), CliError> {
    let dir = std::fs::canonicalize(&args.dir).map_err(|source| CliError::Io {
        path: args.dir.display().to_string(),
        source,
    })?;
    let layout = DevnetLayout::load(&dir)?;
    let issuer_config = IssuerConfig::load(&dir.join("issuer").join("issuer.toml"))?;
    let verifier_config = VerifierConfig::load(&dir.join("verifier").join("verifier.toml"))?;
    let bank = verifier_config
        .load_providers()?
        .into_iter()
        .find(|p| p.id == "bank")
        .ok_or_else(|| CliError::Usage("the devnet's verifier has no provider \"bank\"".into()))?;
    let load = Arc::new(Load {
        people: super::bench_verifier::people(&dir)?,
        issuer_endpoint: format!("{}://{}", layout.scheme(), issuer_config.grpc_listen),
        verifier_endpoint: format!("{}://{}", layout.scheme(), verifier_config.grpc_listen),
        bank_token: read(&dir.join("verifier").join("bank-token"))?
            .trim()
            .to_owned(),
        bank_audience: bank.did().to_string(),
        officer_password: read(&dir.join("issuer").join("operator-password"))?
            .trim()
            .to_owned(),
        wallets: tempfile::tempdir().map_err(|source| CliError::Io {
            path: "a temporary directory".into(),
            source,
        })?,
        layout,
        counts: Counts::default(),
        last_failure: std::sync::Mutex::new(String::new()),
    });
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::Io {
        path: args.out.display().to_string(),
        source,
    })?;
    let processes = devnet_processes(&dir);
    if processes.is_empty() {
        return Err(CliError::Usage(format!(
            "no process of the devnet in {} runs (start it with `realdid devnet --dir {}`)",
            dir.display(),
            args.dir.display()
        )));
    }
    let disks = data_dirs(&dir);
    println!(
        "realdid bench soak: {} min of load by {} workers on the devnet in {}, sampled every {} s",
        args.minutes,
        args.workers,
        dir.display(),
        args.sample_secs
    );

    let mut samples = vec![sample(&processes, &disks, 0.0, &load.counts)];
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.minutes * 60);
    let running = Arc::new(AtomicBool::new(true));
    let mut workers = Vec::new();
    for w in 0..args.workers {
        let (load, running) = (load.clone(), running.clone());
        workers.push(tokio::spawn(async move {
            let mut citizen = w as u64;
            while running.load(Ordering::Relaxed) {
                if let Err(e) = serve_citizen(&load, citizen).await {
                    load.counts.failures.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut last) = load.last_failure.lock() {
                        *last = e.to_string();
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                citizen += args.workers as u64;
            }
        }));
    }
    while Instant::now() < deadline {
        let wait = Duration::from_secs(args.sample_secs).min(deadline - Instant::now());
        tokio::time::sleep(wait).await;
        let s = sample(
            &processes,
            &disks,
            started.elapsed().as_secs_f64(),
            &load.counts,
        );
        println!("  {}", s.progress(&processes));
        samples.push(s);
    }
    running.store(false, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }
    let csv = args.out.join("soak.csv");
    write(&csv, &to_csv(&processes, &disks, &samples))?;
    let last_failure = load
        .last_failure
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    let summary = summarize(&processes, &disks, &samples, &last_failure);
    let md = args.out.join("soak.md");
    write(&md, &summary)?;
    println!("{summary}");
    println!("samples in {}, summary in {}", csv.display(), md.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// One citizen, from a new wallet to (for every fifth) a revoked credential.
async fn serve_citizen(load: &Load, citizen: u64) -> Result<(), CliError> {
    let counts = &load.counts;
    let tls = load.layout.client_tls();
    let registry = load.layout.gateway()?;
    let path = load.wallets.path().join(citizen.to_string());
    let mut wallet = Wallet::create(&path, "soak citizen", KdfParams::MINIMUM)?;
    let did = dids::for_provider(&mut wallet, &registry, &load.bank_audience).await?;
    counts.dids.fetch_add(1, Ordering::Relaxed);
    let person = &load.people[usize::try_from(citizen).unwrap_or(0) % load.people.len()];
    let identity = Identity {
        full_name: person.full_name.clone(),
        resident_id: person.resident_id.clone(),
        evidence_token: person.evidence_token.clone(),
    };
    // Each citizen from an address of its own, as on a real network: the issuer limits the
    // calls of one address, and the officer's logins keep 127.0.0.1.
    let slot = usize::try_from(citizen).unwrap_or(0);
    let mut link = super::bench_verifier::issuer_link(&tls, &load.issuer_endpoint, slot).await?;
    link.enrol(&mut wallet, &identity, std::slice::from_ref(&did))
        .await?;
    counts.enrolments.fetch_add(1, Ordering::Relaxed);

    let mut bank =
        ProviderClient::connect_with(load.verifier_endpoint.clone(), &load.bank_token, &tls)
            .await?;
    let request = bank
        .create_request(&RequestSpec {
            claims: vec!["province".into()],
            predicates: vec!["real_name_verified".into()],
            purpose: "soak".into(),
            expiry_seconds: 0,
            credential_types: vec![],
        })
        .await?;
    let object = present::verify_request(&request.request_object, &registry).await?;
    let prepared = present::prepare(&wallet, &object, super::unix_s())?;
    match bank
        .verify(&request.request_id, &prepared.presentation)
        .await?
    {
        Outcome::Verified(_) => counts.presentations.fetch_add(1, Ordering::Relaxed),
        Outcome::Failed(f) => {
            return Err(CliError::Refused(format!(
                "a fresh credential was refused: {:?}: {}",
                f.reason, f.message
            )));
        }
    };
    dids::rotate(&mut wallet, &registry, &did).await?;
    counts.rotations.fetch_add(1, Ordering::Relaxed);

    if citizen.is_multiple_of(5) {
        let credential = wallet
            .contents()
            .credentials
            .iter()
            .find_map(|c| match &c.origin {
                Origin::Enrolment { credential_id, .. } => Some(credential_id.clone()),
                Origin::Import => None,
            })
            .ok_or_else(|| CliError::Refused("the enrolment stored no credential".into()))?;
        revoke(load, &credential).await?;
        counts.revocations.fetch_add(1, Ordering::Relaxed);
    }
    counts.citizens.fetch_add(1, Ordering::Relaxed);
    drop(wallet);
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// The officer logs in and revokes `credential` (its list is published and anchored).
async fn revoke(load: &Load, credential: &str) -> Result<(), CliError> {
    let channel = load
        .layout
        .client_tls()
        .connect(&load.issuer_endpoint)
        .await
        .map_err(|e| CliError::Refused(format!("the issuer: {e}")))?;
    let mut issuer = IssuerClient::new(channel);
    let refused = |what: &'static str| {
        move |s: tonic::Status| CliError::Refused(format!("{what}: {}", s.message()))
    };
    let session = issuer
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "officer".into(),
            credential: Some(pb::operator_login_request::Credential::Password(
                load.officer_password.clone(),
            )),
        })
        .await
        .map_err(refused("the officer's login"))?
        .into_inner()
        .session_token;
    let mut request = tonic::Request::new(pb::RevokeCredentialsRequest {
        target: Some(pb::revoke_credentials_request::Target::CredentialId(
            credential.to_owned(),
        )),
        reason: pb::RevocationReason::KeyCompromise as i32,
        note: "soak".into(),
    });
    let bearer = format!("Bearer {session}")
        .parse()
        .map_err(|_| CliError::Refused("the session token is not ASCII".into()))?;
    request.metadata_mut().insert("authorization", bearer);
    issuer
        .revoke_credentials(request)
        .await
        .map_err(refused("the revocation"))?;
    Ok(())
}

/// A devnet process: its name (the devnet directory entry its command line names) and pid.
#[derive(Debug, Clone)]
pub(super) struct Process {
    pub(super) name: String,
    pub(super) pid: u32,
}

/// The processes whose command line names a file under `dir` (nodes, authority, issuer,
/// verifier), and the `realdid devnet` that supervises them: realdid processes, known by a
/// program named `realdid` or by running this very executable, whatever its file is called
/// (a devnet started by `bench all` runs it).
pub(super) fn devnet_processes(dir: &Path) -> Vec<Process> {
    let needle = dir.display().to_string();
    let own = std::env::current_exe().ok();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let exe = std::fs::read_link(entry.path().join("exe")).ok();
        if !is_realdid(&args, exe.as_deref(), own.as_deref()) {
            continue;
        }
        let name = args.iter().find_map(|a| {
            a.strip_prefix(&needle)
                .and_then(|rest| rest.trim_start_matches('/').split('/').next())
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
        });
        let name = match (name, args.iter().any(|a| a == "devnet")) {
            (Some(name), _) => name,
            (None, true) if args.iter().any(|a| a.starts_with(&needle)) => "devnet".to_owned(),
            _ => continue,
        };
        found.push(Process { name, pid });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Whether a process with these arguments, running `exe`, is realdid: its program is named
/// `realdid`, or it runs `own`, the executable asking.
fn is_realdid(args: &[String], exe: Option<&Path>, own: Option<&Path>) -> bool {
    args.first().is_some_and(|a| a.ends_with("realdid"))
        || exe.is_some_and(|exe| own.is_some_and(|own| exe == own))
}

/// The devnet's directories that hold data: one per node, the issuer's, the verifier's and
/// the authority's.
fn data_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "wallets"))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Bytes of the files under `dir`.
fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => disk_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// A process's resident memory, bytes (0 once it is gone).
pub(super) fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmRSS:")
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
        })
        .map_or(0, |kib| kib * 1024)
}

/// A process's threads' run times, as the scheduler counts them in nanoseconds
/// (`/proc/<pid>/task/*/schedstat`); `/proc/<pid>/stat` counts in 10 ms ticks, too coarse
/// for runs of a few tens of milliseconds. The scheduler brings a thread's count up to date
/// when it stops or is interrupted, so a thread running through the read may be counted up
/// to one tick short: read while the process waits (between runs of calls, all answered),
/// the counts are whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CpuTimes(std::collections::BTreeMap<u64, u64>);

impl CpuTimes {
    /// The process's threads now; `None` once it is gone.
    pub(super) fn read(pid: u32) -> Option<CpuTimes> {
        let mut threads = std::collections::BTreeMap::new();
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .flatten()
        {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            // A thread gone between the listing and the read is not there.
            let Ok(schedstat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            threads.insert(tid, schedstat.split_whitespace().next()?.parse().ok()?);
        }
        Some(CpuTimes(threads))
    }

    /// The CPU seconds the process used from `earlier` to this reading. A thread that ended
    /// in between took its count with it (the process's own figure keeps it only in ticks),
    /// so then the time is not known: `None`, never a figure too low.
    pub(super) fn since(&self, earlier: &CpuTimes) -> Option<f64> {
        let mut nanoseconds = 0u64;
        for (tid, before) in &earlier.0 {
            nanoseconds += self.0.get(tid)?.checked_sub(*before)?;
        }
        for (tid, now) in &self.0 {
            if !earlier.0.contains_key(tid) {
                nanoseconds += now;
            }
        }
        Some(nanoseconds as f64 / 1e9)
    }
}

/// The figures at one moment.
#[derive(Debug, Clone)]
struct Sample {
    elapsed_s: f64,
    rss: Vec<u64>,
    disk: Vec<u64>,
    counts: [u64; 7],
}

fn sample(processes: &[Process], disks: &[PathBuf], elapsed_s: f64, counts: &Counts) -> Sample {
    Sample {
        elapsed_s,
        rss: processes.iter().map(|p| rss_bytes(p.pid)).collect(),
        disk: disks.iter().map(|d| disk_bytes(d)).collect(),
        counts: counts.snapshot(),
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl Sample {
    fn progress(&self, processes: &[Process]) -> String {
        let rss: Vec<String> = processes
            .iter()
            .zip(&self.rss)
            .map(|(p, r)| format!("{} {:.0}", p.name, mib(*r)))
            .collect();
        format!(
            "{:>6.0} s  citizens {}  failures {}  RSS MiB: {}",
            self.elapsed_s,
            self.counts[0],
            self.counts[6],
            rss.join(", ")
        )
    }
}

fn to_csv(processes: &[Process], disks: &[PathBuf], samples: &[Sample]) -> String {
    let mut header = vec!["elapsed_s".to_owned()];
    header.extend(processes.iter().map(|p| format!("rss_mib_{}", p.name)));
    header.extend(disks.iter().map(|d| format!("disk_mib_{}", dir_name(d))));
    header.extend(COUNT_NAMES.iter().map(|c| (*c).to_owned()));
    let mut out = header.join(",") + "\n";
    for s in samples {
        let mut row = vec![format!("{:.0}", s.elapsed_s)];
        row.extend(s.rss.iter().map(|r| format!("{:.1}", mib(*r))));
        row.extend(s.disk.iter().map(|d| format!("{:.1}", mib(*d))));
        row.extend(s.counts.iter().map(u64::to_string));
        out += &(row.join(",") + "\n");
    }
    out
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A figure's growth per hour between the sample a tenth of the way in (past the warm-up)
/// and the last one.
fn per_hour(samples: &[Sample], value: impl Fn(&Sample) -> u64) -> Option<f64> {
    let last = samples.last()?;
    let from = samples
        .iter()
        .skip(1)
        .find(|s| s.elapsed_s >= last.elapsed_s / 10.0)?;
    let span = last.elapsed_s - from.elapsed_s;
    (span > 0.0).then(|| (value(last) as f64 - value(from) as f64) / span * 3600.0)
}

fn summarize(
    processes: &[Process],
    disks: &[PathBuf],
    samples: &[Sample],
    last_failure: &str,
) -> String {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return "no sample".into();
    };
    let minutes = last.elapsed_s / 60.0;
    let mut out = format!("## Soak: {minutes:.0} min of mixed load\n\n");
    out += "| done | count | per minute |\n|---|---|---|\n";
    for (name, count) in COUNT_NAMES.iter().zip(last.counts) {
        out += &format!(
            "| {name} | {count} | {:.1} |\n",
            count as f64 / minutes.max(1.0 / 60.0)
        );
    }
    out += "\n| process | RSS idle (MiB) | RSS at the end | highest | growth per hour |\n|---|---|---|---|---|\n";
    for (i, p) in processes.iter().enumerate() {
        let highest = samples.iter().map(|s| s.rss[i]).max().unwrap_or(0);
        let growth = per_hour(samples, |s| s.rss[i]).map_or("–".into(), |g| {
            format!("{:+.1} MiB", g / (1024.0 * 1024.0))
        });
        out += &format!(
            "| {} | {:.0} | {:.0} | {:.0} | {growth} |\n",
            p.name,
            mib(first.rss[i]),
            mib(last.rss[i]),
            mib(highest)
        );
    }
    out += "\n| data directory | at the start (MiB) | at the end | growth per hour |\n|---|---|---|---|\n";
    for (i, d) in disks.iter().enumerate() {
        let growth = per_hour(samples, |s| s.disk[i]).map_or("–".into(), |g| {
            format!("{:+.1} MiB", g / (1024.0 * 1024.0))
        });
        out += &format!(
            "| {} | {:.1} | {:.1} | {growth} |\n",
            dir_name(d),
            mib(first.disk[i]),
            mib(last.disk[i])
        );
    }
    if !last_failure.is_empty() {
        out += &format!("\nThe last failure: {last_failure}\n");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_threads_run_time_is_read_finer_than_the_kernels_ticks() {
        let me = std::process::id();
        // A thread spins for 3 ms, tells its id, then waits: stopped, its count is whole.
        let (spun, done) = std::sync::mpsc::channel();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let spinner = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut turns = 0u64;
            while started.elapsed() < std::time::Duration::from_millis(3) {
                turns = std::hint::black_box(turns.wrapping_add(1));
            }
            let link = std::fs::read_link("/proc/thread-self").unwrap();
            let tid: u64 = link.file_name().unwrap().to_str().unwrap().parse().unwrap();
            spun.send(tid).unwrap();
            wait.recv().unwrap();
        });
        let tid = done.recv().unwrap();
        let spinning = CpuTimes::read(me).unwrap();
        release.send(()).unwrap();
        spinner.join().unwrap();
        let ns = spinning.0[&tid];
        // In 10 ms ticks it would read as a whole number of ticks, most often none.
        assert!(
            ns > 0 && !ns.is_multiple_of(10_000_000),
            "{ns} ns read for 3 ms of spinning"
        );
        assert!(!CpuTimes::read(me).unwrap().0.contains_key(&tid), "ended");
        assert_eq!(CpuTimes::read(u32::MAX), None, "no such process");
    }

    #[test]
    fn a_thread_that_ended_leaves_the_cpu_unknown_and_a_new_one_counts_whole() {
        let times = |threads: &[(u64, u64)]| CpuTimes(threads.iter().copied().collect());
        let before = times(&[(1, 1_000_000_000), (2, 500_000_000)]);
        let grown = times(&[(1, 1_200_000_000), (2, 500_000_000), (3, 50_000_000)]);
        let used = grown.since(&before).unwrap();
        assert!((used - 0.25).abs() < 1e-12, "{used}");
        // Thread 2 ended: its share of the run is gone with it.
        assert_eq!(times(&[(1, 1_200_000_000)]).since(&before), None);
        // A count that went down is another thread under a reused id.
        assert_eq!(
            times(&[(1, 900_000_000), (2, 500_000_000)]).since(&before),
            None
        );
    }

    fn at(elapsed_s: f64, rss: u64) -> Sample {
        Sample {
            elapsed_s,
            rss: vec![rss],
            disk: vec![rss / 2],
            counts: [0; 7],
        }
    }

    /// A devnet started by a binary under another file name (a copy kept for comparison)
    /// is still found: by the executable it runs, not only by its name.
    #[test]
    fn a_realdid_process_is_known_by_its_name_or_by_running_this_executable() {
        let args = |program: &str| vec![program.to_owned(), "verifier".to_owned()];
        let own = Path::new("/opt/bin/realdid-before");
        assert!(is_realdid(&args("/usr/bin/realdid"), None, Some(own)));
        assert!(is_realdid(
            &args("/opt/bin/realdid-before"),
            Some(own),
            Some(own)
        ));
        assert!(!is_realdid(
            &args("/opt/bin/realdid-before"),
            Some(Path::new("/opt/bin/other")),
            Some(own)
        ));
        assert!(!is_realdid(&args("/usr/bin/redis-server"), None, Some(own)));
        assert!(!is_realdid(&args("/usr/bin/redis-server"), Some(own), None));
    }

    /// Growth per hour is measured past the warm-up: from the sample a tenth of the way
    /// in to the last one, so the climb from idle to the working set is not counted.
    #[test]
    fn growth_is_per_hour_and_leaves_the_warm_up_out() {
        const MIB: u64 = 1024 * 1024;
        // Idle 100 MiB, 500 MiB once loaded, then 10 MiB more every 6 minutes.
        let samples: Vec<Sample> = std::iter::once(at(0.0, 100 * MIB))
            .chain((1..=10u32).map(|i| at(f64::from(i) * 360.0, (500 + 10 * u64::from(i)) * MIB)))
            .collect();
        let growth = per_hour(&samples, |s| s.rss[0]).unwrap() / MIB as f64;
        assert!((growth - 100.0).abs() < 1e-6, "{growth}");
        let processes = [Process {
            name: "node-0".into(),
            pid: 1,
        }];
        let summary = summarize(&processes, &[PathBuf::from("/d/node-0")], &samples, "");
        assert!(
            summary.contains("| node-0 | 100 | 600 | 600 | +100.0 MiB |"),
            "{summary}"
        );
        let csv = to_csv(&processes, &[PathBuf::from("/d/node-0")], &samples);
        assert!(csv.starts_with("elapsed_s,rss_mib_node-0,disk_mib_node-0,citizens"));
        assert_eq!(csv.lines().count(), 12);
    }
}
