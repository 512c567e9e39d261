//! `realdid bench verifier`: verified presentations per second and latency over real gRPC,
//! against a running devnet's verifier (with its Redis), the load generator on the same
//! machine.
//!
//! Set-up (not timed): holder DIDs are registered and enrolled with the devnet's issuer,
//! then one presentation request per verification is created and its presentation built
//! (the wallet's KB-JWT). Timed: only `VerifyPresentation` calls, `--concurrency` in flight.
//! The verifier's own CPU time is read from /proc for the timed phase.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use realdid_core::control_proof::sign_control_proof;
use realdid_core::did::{KeyId, Purposes, RealDid};
use realdid_core::jws::KeySigner;
use realdid_core::keys::SigningKey;
use realdid_core::sd_jwt::{ClaimPath, KeyBindingParams, SdJwt};
use realdid_issuer::authority::dataset::Person;
use realdid_issuer::config::IssuerConfig;
use realdid_issuer::keys::IssuerKeys;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry::devnet::DevnetLayout;
use realdid_verifier::client::ProviderClient;
use realdid_verifier::config::VerifierConfig;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::Outcome;

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
}

fn refused(what: &'static str) -> impl FnOnce(tonic::Status) -> CliError {
    move |s| CliError::Refused(format!("{what}: {}", s.message()))
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
    let issuer_did = IssuerKeys::load(&issuer_config.keys_file)?.did().clone();
    let verifier_path = args.dir.join("verifier").join("verifier.toml");
    let verifier_config = VerifierConfig::load(&verifier_path)?;
    let token = read(&args.dir.join("verifier").join("bank-token"))?;
    let people: Vec<Person> =
        serde_json::from_str(&read(&args.dir.join("authority").join("people.json"))?)?;
    let endpoint = format!("http://{}", verifier_config.grpc_listen);
    let audience = super::devnet_verifier::BANK;
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

    // Holders: one DID and credential each, from people not enrolled before (a fresh
    // slice of the register per run, so the per-person cap is never reached).
    println!("  enrolling {} holders …", args.credentials);
    let mut node = super::chain::client(&layout.nodes()[0].grpc_endpoint()).await?;
    let mut issuer = IssuerClient::connect(format!("http://{}", issuer_config.grpc_listen))
        .await
        .map_err(|e| CliError::Refused(format!("issuer: {e}")))?;
    let start = usize::try_from(super::unix_ms() % 1000).unwrap_or(0) * 2;
    let mut holders: Vec<(SigningKey, String)> = Vec::new();
    for i in 0..args.credentials {
        let person = &people[(start + i) % people.len()];
        let (key, did, tx) = super::chain::new_did(Purposes::AUTHENTICATION)?;
        super::chain::submit(&mut node, "holder DID", &tx).await?;
        let credential = enrol(&mut issuer, &issuer_did, person, &did, &key).await?;
        holders.push((key, credential));
    }

    println!(
        "  creating {} requests and their presentations …",
        args.verifications
    );
    let mut provider = ProviderClient::connect(endpoint.clone(), &token).await?;
    let spec = RequestSpec {
        audience: audience.into(),
        claims: vec!["province".into()],
        predicates: vec!["real_name_verified".into()],
        purpose: "benchmark".into(),
        expiry_seconds: 3600,
        credential_types: vec![],
    };
    let reveal = [
        ClaimPath::root().key("real_name_verified"),
        ClaimPath::root().key("province"),
    ];
    let parsed: Vec<(SdJwt, KeySigner)> = holders
        .iter()
        .map(|(key, c)| Ok((SdJwt::parse(c)?, KeySigner::new(key.clone()))))
        .collect::<Result<_, CliError>>()?;
    let now = i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX);
    let mut work = Vec::with_capacity(args.verifications);
    for i in 0..args.verifications {
        let request = provider.create_request(&spec).await?;
        let (sd_jwt, signer) = &parsed[i % parsed.len()];
        let presentation = sd_jwt
            .present(&reveal)?
            .bind(
                &KeyBindingParams {
                    nonce: request.nonce.clone(),
                    audience: audience.into(),
                    issued_at: now,
                },
                signer,
            )?
            .to_compact();
        work.push((request.request_id, presentation));
    }

    println!("  verifying …");
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let needle = verifier_path.display().to_string();
    let cpu_before = cpu_seconds_of(&needle);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (work, next) = (work.clone(), next.clone());
        let mut client = provider.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((id, presentation)) = work.get(i) else {
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
    Ok(())
}

async fn enrol(
    issuer: &mut IssuerClient<tonic::transport::Channel>,
    issuer_did: &RealDid,
    person: &Person,
    did: &RealDid,
    key: &SigningKey,
) -> Result<String, CliError> {
    let nonce = issuer
        .create_nonce(pb::CreateNonceRequest {
            purpose: pb::NoncePurpose::Enrol as i32,
        })
        .await
        .map_err(refused("nonce"))?
        .into_inner()
        .nonce;
    let now = i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX);
    let proof = sign_control_proof(did, &KeyId::first(), key, &nonce, issuer_did.as_str(), now)
        .map_err(|e| CliError::Refused(format!("proof: {e}")))?;
    let answer = issuer
        .enrol(pb::EnrolRequest {
            nonce,
            full_name: person.full_name.clone(),
            resident_id: person.resident_id.clone(),
            evidence_token: person.evidence_token.clone(),
            dids: vec![pb::DidControlProof {
                did: did.to_string(),
                proof_jws: proof,
            }],
            credential_type: String::new(),
        })
        .await
        .map_err(refused("enrolment"))?
        .into_inner();
    match answer.result {
        Some(pb::enrol_response::Result::Issued(mut issued)) => issued
            .credentials
            .pop()
            .map(|c| c.sd_jwt_vc)
            .ok_or_else(|| CliError::Refused("enrolment issued nothing".into())),
        Some(pb::enrol_response::Result::Refused(r)) => Err(CliError::Refused(format!(
            "enrolment refused: {}",
            r.message
        ))),
        None => Err(CliError::Refused("enrolment: empty answer".into())),
    }
}
