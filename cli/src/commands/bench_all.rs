//! `realdid bench all`: every benchmark on a fresh devnet, once or several times, written
//! up in one report (`report.md` and SVG plots) that states the machine, the commit, a
//! calibration figure and each target against the slowest run.
//!
//! Each run starts `realdid devnet` afresh in its own directory, as a supervised child
//! process (it does not outlive this one), waits until it reports itself up, runs the
//! registry and verifier benchmarks against it and stops it. The issuer benchmark runs in
//! this process before the devnet starts, on a machine left to it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use super::bench::RegistryBenchArgs;
use super::bench_figures::{IssuerFigures, RegistryFigures, VerifierFigures, calibrate};
use super::bench_issuer::IssuerBenchArgs;
use super::bench_report::{Machine, Memory, Report, Run};
use super::bench_verifier::VerifierBenchArgs;
use crate::error::CliError;
use crate::supervisor::{STOP_GRACE, Supervisor};

/// Options of `realdid bench all`.
#[derive(Debug, Args)]
pub struct AllArgs {
    /// Where the report (report.md, the plots) and each run's devnet (run-N/devnet,
    /// replaced if there) go.
    #[arg(long, default_value = "bench-report")]
    out: PathBuf,
    /// Runs, each on a fresh devnet; each target is judged on the slowest.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Seconds of registry writes per run.
    #[arg(long, default_value_t = 60)]
    write_secs: u64,
    /// Seconds of proven reads per run, one DID a call.
    #[arg(long, default_value_t = 20)]
    read_secs: u64,
    /// Seconds of proven reads per run through the registry client, which coalesces them.
    #[arg(long, default_value_t = 10)]
    coalesced_read_secs: u64,
    /// Verifications of repeated credentials per run.
    #[arg(long, default_value_t = 40_000)]
    verifications: usize,
    /// First-seen holders per run, each presenting once (0 leaves that phase out).
    #[arg(long, default_value_t = 3_000)]
    first_seen: usize,
    /// Credentials the issuer benchmark signs per run.
    #[arg(long, default_value_t = 60_000)]
    credentials: usize,
    /// Where the JavaScript SD-JWT library is installed (default: REALDID_SDJWT_NODE_PATH,
    /// which scripts/setup.sh exports). Without it the comparison is reported skipped.
    #[arg(long)]
    js_modules: Option<PathBuf>,
    /// Run the devnets in plaintext gRPC instead of TLS.
    #[arg(long)]
    plaintext: bool,
}

/// How long a devnet idles after it is up before its idle memory is read.
const IDLE_SETTLE: Duration = Duration::from_secs(10);

/// How long a devnet may take to come up before the run gives up.
const DEVNET_UP_WITHIN: Duration = Duration::from_secs(300);

/// What `realdid devnet` prints once everything it runs is up.
const DEVNET_UP: &str = "The devnet is up.";

/// Runs every benchmark and writes the report.
pub fn run(args: AllArgs) -> Result<(), CliError> {
    if args.runs == 0 {
        return Err(CliError::Usage("--runs: at least 1".into()));
    }
    create_dir(&args.out)?;
    let started = Instant::now();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let machine = Machine::read();
    println!(
        "realdid bench all: {} run(s) into {} on {}",
        args.runs,
        args.out.display(),
        machine.summary()
    );
    let mut runs = Vec::new();
    for n in 1..=args.runs {
        runs.push(one_run(&args, n)?);
    }
    let report = Report {
        command,
        machine,
        commit: commit(),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        took: started.elapsed(),
        runs,
    };
    for (name, svg) in report.plots() {
        write(&args.out.join(name), &svg)?;
    }
    let path = args.out.join("report.md");
    write(&path, &report.markdown())?;
    println!();
    for line in report.targets_text() {
        println!("{line}");
    }
    println!(
        "report: {} (took {:.1} min)",
        path.display(),
        report.took.as_secs_f64() / 60.0
    );
    Ok(())
}

fn one_run(args: &AllArgs, n: usize) -> Result<Run, CliError> {
    let step = |what: &str| println!("\n[run {n} of {}] {what}", args.runs);
    let run_dir = args.out.join(format!("run-{n}"));
    let dir = run_dir.join("devnet");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    create_dir(&run_dir)?;

    step("calibrating: bare Ed25519 verifications on one core");
    let calibration = calibrate(Duration::from_secs(3))?;
    println!("  {calibration:.0} verifications/s");

    step("issuer: credentials signed and person-index evaluations, in process");
    let issuer: IssuerFigures = super::bench_issuer::run(IssuerBenchArgs {
        credentials: args.credentials,
        dids: 3,
        threads: 2,
        index_evaluations: 200,
    })?;

    step("starting a fresh devnet");
    let mut devnet = start_devnet(&dir, &run_dir.join("devnet.log"), args.plaintext)?;
    let runtime = super::runtime()?;
    let mut memory = Vec::new();
    let measured = runtime.block_on(async {
        // Idle figures once the nodes have settled: a node's memory right after start is
        // still growing into its buffers.
        tokio::time::sleep(IDLE_SETTLE).await;
        memory.push(Memory::of(&dir, "idle"));
        step("registry: DID creations to finality, then proven reads");
        let registry: RegistryFigures = super::bench::registry(RegistryBenchArgs {
            dir: dir.clone(),
            write_secs: args.write_secs,
            read_secs: args.read_secs,
            concurrency: 2048,
            prepared: None,
            read_concurrency: 64,
            coalesced_read_secs: args.coalesced_read_secs,
        })
        .await?;
        memory.push(Memory::of(&dir, "after the registry"));
        step("verifier: repeated credentials, then first-seen ones, then the JavaScript library");
        let verifier: VerifierFigures = super::bench_verifier::run(VerifierBenchArgs {
            dir: dir.clone(),
            verifications: args.verifications,
            concurrency: 64,
            connections: 2,
            credentials: 32,
            first_seen: args.first_seen,
            js_modules: args.js_modules.clone(),
        })
        .await?;
        memory.push(Memory::of(&dir, "after the verifier"));
        Ok::<_, CliError>((registry, verifier))
    });
    step("stopping the devnet");
    devnet.stop_all(STOP_GRACE)?;
    let (registry, verifier) = measured?;
    Ok(Run {
        calibration,
        registry,
        issuer,
        verifier,
        memory,
    })
}

/// Starts `realdid devnet --dir dir` (generated afresh there), logging to `log`, and waits
/// until it reports itself up.
fn start_devnet(dir: &Path, log: &Path, plaintext: bool) -> Result<Supervisor, CliError> {
    let exe = std::env::current_exe().map_err(io(Path::new("current executable")))?;
    let mut supervisor = Supervisor::empty(exe);
    let mut command = vec!["devnet".into(), "--dir".into(), dir.as_os_str().to_owned()];
    if plaintext {
        command.push("--plaintext".into());
    }
    if log.exists() {
        std::fs::remove_file(log).map_err(io(log))?;
    }
    let i = supervisor.add("devnet", command, log);
    supervisor.start(i)?;
    let deadline = Instant::now() + DEVNET_UP_WITHIN;
    let mut waiting = super::Waiting::new("the devnet to come up");
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(DEVNET_UP) {
            return Ok(supervisor);
        }
        if !supervisor.is_running(i)? || Instant::now() >= deadline {
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            return Err(CliError::Refused(format!(
                "the devnet in {} did not come up within {} s; the end of {}:\n{}",
                dir.display(),
                DEVNET_UP_WITHIN.as_secs(),
                log.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )));
        }
        waiting.tick();
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The commit the binary was built from, as its build recorded it (cli/build.rs): with
/// "with uncommitted changes" when its sources differed from that commit.
fn commit() -> String {
    env!("REALDID_BUILD_COMMIT").to_owned()
}

fn create_dir(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(io(dir))
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(io(path))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError {
    let path = path.display().to_string();
    move |source| CliError::Io { path, source }
}
