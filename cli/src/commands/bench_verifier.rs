//! `realdid bench verifier`: verified presentations per second and latency over real gRPC,
//! against a running devnet's verifier (with its Redis), the load generator on the same
//! machine.
//!
//! Set-up (not timed): holder wallets (realdid-wallet) register their DIDs and enrol with
//! the devnet's issuer, then one presentation request per verification is created and the
//! holder's wallet answers it. Timed: only `VerifyPresentation` calls, `--concurrency` in flight.
//! The verifier's own CPU time is read from /proc for the timed phase.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use realdid_core::keys::Jwk;
use realdid_core::sd_jwt::SdJwt;
use realdid_issuer::authority::dataset::Person;
use realdid_issuer::config::IssuerConfig;
use realdid_registry::devnet::DevnetLayout;
use realdid_verifier::client::ProviderClient;
use realdid_verifier::config::VerifierConfig;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::Outcome;
use realdid_verifier::verify::status::{HttpStatusSource, StatusSource as _};
use realdid_wallet::issuer_link::{Identity, IssuerLink};
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::present;
use realdid_wallet::{Wallet, dids};

use crate::error::CliError;

/// Options of `realdid bench verifier`.
#[derive(Debug, Args)]
pub struct VerifierBenchArgs {
    /// The running devnet's directory.
    #[arg(long, default_value = ".realdid/devnet")]
    dir: PathBuf,
    /// Verifications to time.
    #[arg(long, default_value_t = 40_000)]
    verifications: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Distinct credentials presented (one DID each).
    #[arg(long, default_value_t = 32)]
    credentials: usize,
    /// Where the JavaScript SD-JWT VC library is installed (a node_modules directory):
    /// the comparison verifies the same presentations with it, after the timed gRPC run.
    /// scripts/setup.sh installs it and exports REALDID_SDJWT_NODE_PATH, the default.
    #[arg(long)]
    js_modules: Option<PathBuf>,
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// User + system CPU of the process whose command line mentions `needle`, in seconds.
fn cpu_seconds_of(needle: &str) -> Option<f64> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && !cmdline.contains("bench") {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks: f64 =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            return Some(ticks / 100.0);
        }
    }
    None
}

/// Runs the benchmark.
pub async fn run(args: VerifierBenchArgs) -> Result<(), CliError> {
    let layout = DevnetLayout::load(&args.dir)?;
    let issuer_config = IssuerConfig::load(&args.dir.join("issuer").join("issuer.toml"))?;
    let verifier_path = args.dir.join("verifier").join("verifier.toml");
    let verifier_config = VerifierConfig::load(&verifier_path)?;
    let token = read(&args.dir.join("verifier").join("bank-token"))?;
    let people: Vec<Person> =
        serde_json::from_str(&read(&args.dir.join("authority").join("people.json"))?)?;
    let endpoint = format!("{}://{}", layout.scheme(), verifier_config.grpc_listen);
    let tls = layout.client_tls();
    let bank = verifier_config
        .load_providers()?
        .into_iter()
        .find(|p| p.id == "bank")
        .ok_or_else(|| {
            CliError::Usage(format!("{}: no provider \"bank\"", verifier_path.display()))
        })?;
    let audience = bank.did().as_str();
    println!(
        "realdid bench verifier: {} verifications at {} in flight against {endpoint} (requests in {})",
        args.verifications,
        args.concurrency,
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
    println!("  enrolling {} holders …", args.credentials);
    let registry = layout.gateway()?;
    let mut link = IssuerLink::connect_with(
        &format!("{}://{}", layout.scheme(), issuer_config.grpc_listen),
        &tls,
    )
    .await?;
    let wallets = tempfile::tempdir().map_err(|source| CliError::Io {
        path: "a temporary directory".into(),
        source,
    })?;
    let start = usize::try_from(super::unix_ms() % 1000).unwrap_or(0) * 2;
    let mut holders: Vec<Wallet> = Vec::new();
    let mut waiting = super::Waiting::new("the holders' enrolments");
    for i in 0..args.credentials {
        waiting.tick_count(i, args.credentials);
        let person = &people[(start + i) % people.len()];
        let mut wallet = Wallet::create(
            &wallets.path().join(i.to_string()),
            "benchmark holder",
            KdfParams::MINIMUM,
        )?;
        let did = dids::for_provider(&mut wallet, &registry, audience).await?;
        let identity = Identity {
            full_name: person.full_name.clone(),
            resident_id: person.resident_id.clone(),
            evidence_token: person.evidence_token.clone(),
        };
        link.enrol(&mut wallet, &identity, &[did]).await?;
        holders.push(wallet);
    }
    drop(waiting);

    println!(
        "  creating {} requests and their presentations …",
        args.verifications
    );
    let mut provider = ProviderClient::connect_with(endpoint.clone(), &token, &tls).await?;
    let spec = RequestSpec {
        claims: vec!["province".into()],
        predicates: vec!["real_name_verified".into()],
        purpose: "benchmark".into(),
        expiry_seconds: 3600,
        credential_types: vec![],
    };
    let now = super::unix_s();
    let mut work = Vec::with_capacity(args.verifications);
    let mut waiting = super::Waiting::new("the requests and presentations");
    for i in 0..args.verifications {
        waiting.tick_count(i, args.verifications);
        let request = provider.create_request(&spec).await?;
        let object = present::verify_request(&request.request_object, &registry).await?;
        let prepared = present::prepare(&holders[i % holders.len()], &object, now)?;
        work.push((request.request_id, request.nonce, prepared.presentation));
    }
    drop(waiting);

    println!("  verifying …");
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let needle = verifier_path.display().to_string();
    let cpu_before = cpu_seconds_of(&needle);
    let started = Instant::now();
    // No connection carries more calls than the verifier takes from one.
    let mut connections = vec![provider.clone()];
    for _ in 1..args
        .concurrency
        .div_ceil(realdid_proto::server::MAX_CALLS_PER_CONNECTION)
    {
        connections.push(ProviderClient::connect_with(endpoint.clone(), &token, &tls).await?);
    }
    let mut tasks = Vec::new();
    for t in 0..args.concurrency {
        let (work, next) = (work.clone(), next.clone());
        let mut client = connections[t % connections.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((id, _, presentation)) = work.get(i) else {
                    break;
                };
                let t = Instant::now();
                match client.verify(id, presentation).await {
                    Ok(Outcome::Verified(_)) => latencies.push(t.elapsed()),
                    _ => failed += 1,
                }
            }
            (latencies, failed)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (l, f) = task
            .await
            .map_err(|e| CliError::Refused(format!("a worker failed: {e}")))?;
        latencies.extend(l);
        failed += f;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu_after = cpu_seconds_of(&needle);
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len().saturating_sub(1)) as f64 * p).round() as usize)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "verified: {} in {secs:.2} s = {:.0}/s; failed {failed}",
        latencies.len(),
        latencies.len() as f64 / secs
    );
    println!(
        "latency at {} in flight: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.concurrency,
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        println!(
            "verifier process CPU: {:.1} µs per verification ({:.2} cores)",
            (after - before) * 1e6 / latencies.len().max(1) as f64,
            (after - before) / secs
        );
    }
    let rate = latencies.len() as f64 / secs;
    let js_modules = args
        .js_modules
        .clone()
        .or_else(|| std::env::var_os("REALDID_SDJWT_NODE_PATH").map(PathBuf::from));
    let comparison = match &js_modules {
        Some(modules) => {
            let holder_credentials: Vec<&str> = holders
                .iter()
                .flat_map(|w| w.contents().credentials.iter().map(|c| c.compact.as_str()))
                .collect();
            Some(
                javascript_comparison(
                    modules,
                    &issuer_config,
                    &holder_credentials,
                    &work,
                    audience,
                )
                .await,
            )
        }
        None => None,
    };
    for line in js_report(rate, comparison) {
        println!("{line}");
    }
    Ok(())
}

/// The JavaScript comparison's lines. The comparison is optional: when it was not asked
/// for, or could not run (no library where `--js-modules` points, no Node), the report says
/// why it is skipped, and the run that was timed still stands.
fn js_report(rate: f64, comparison: Option<Result<JsResults, CliError>>) -> Vec<String> {
    let js = match comparison {
        None => {
            return vec![
                "JavaScript comparison skipped: no --js-modules (scripts/setup.sh installs the \
                 library)"
                    .into(),
            ];
        }
        Some(Err(e)) => return vec![format!("JavaScript comparison skipped: {e}")],
        Some(Ok(js)) => js,
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

/// What the JavaScript script reports: the SD-JWT verification of @sd-jwt/core over every
/// presentation, and @sd-jwt/sd-jwt-vc's (with its per-call status check) over the first
/// [`JS_VC_LIMIT`].
#[derive(Debug, serde::Deserialize)]
struct JsResults {
    sd_jwt: JsResult,
    sd_jwt_vc: JsResult,
}

/// How many presentations the (slow) SD-JWT VC run of the JavaScript library verifies.
const JS_VC_LIMIT: usize = 2_000;

/// One run of the JavaScript script.
#[derive(Debug, serde::Deserialize)]
struct JsResult {
    verified: usize,
    failed: usize,
    seconds: f64,
    per_second: f64,
    first_error: Option<String>,
}

/// Verifies the benchmark's presentations with the JavaScript reference library in one
/// Node process (tests/interop/js/verify_presentations.cjs): the issuer key and the status
/// list tokens are handed to it, so that it does no network I/O while timed.
async fn javascript_comparison(
    modules: &Path,
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
    let source = HttpStatusSource::new(Duration::from_secs(5), &Default::default())?;
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
    use super::*;

    #[test]
    fn a_comparison_left_out_or_unable_to_run_is_reported_skipped_not_failed() {
        let none = js_report(8_000.0, None);
        assert_eq!(none.len(), 1);
        assert!(none[0].starts_with("JavaScript comparison skipped: no --js-modules"));
        let missing = js_report(
            8_000.0,
            Some(Err(CliError::Usage(
                "/nonexistent holds no @sd-jwt library".into(),
            ))),
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
            Some(Ok(JsResults {
                sd_jwt: run(1_000.0),
                sd_jwt_vc: run(500.0),
            })),
        );
        assert_eq!(ran.len(), 4);
        assert!(
            ran[1].contains("8.0×") && ran[3].contains("16.0×"),
            "{ran:?}"
        );
    }
}
