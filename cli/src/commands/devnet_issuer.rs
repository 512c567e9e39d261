//! The devnet's issuer side: a reference identity authority over a few thousand synthetic
//! residents, and an issuer whose DID is registered and accredited on the devnet chain by
//! its governance officers. Everything lives under the devnet directory and is reused on
//! the next start.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use realdid_core::codec::{ApproverSet, GovernanceAction, TraceApprover};
use realdid_core::escrow::ApproverSecret;
use realdid_issuer::authority::dataset::ResidentDataset;
use realdid_issuer::authority::key;
use realdid_issuer::config::IssuerConfig;
use realdid_issuer::privacy::person_index::Argon2Cost;
use realdid_issuer::provision::{IDENTITY_VCT, ProvisionOptions, provision};
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry::devnet::{DevnetLayout, free_loopback_addresses};
use tonic::transport::Channel;

use crate::error::CliError;
use crate::supervisor::Supervisor;

/// Residents in the devnet's register.
pub const DEVNET_RESIDENTS: usize = 3000;
/// How long after an opening the devnet tells the traced DID's holder: short, so the
/// demo can show it.
pub const DEVNET_DISCLOSURE_DELAY_SECONDS: u32 = 2;

/// How long the devnet waits for its issuer to answer: three times the issuer's own wait for
/// the authority, which it makes before it serves. On a loaded machine (a debug build beside
/// other devnets) the authority can take most of that wait, and a devnet that gave up first
/// would fail a start that was about to succeed.
const ISSUER_START: Duration = Duration::from_secs(3 * super::issuer::AUTHORITY_WAIT.as_secs());

/// Where the devnet's authority and issuer are.
#[derive(Debug, Clone)]
pub struct IssuerSide {
    /// The register's people (names, numbers, evidence), JSON.
    pub people: PathBuf,
    /// The authority's endpoint.
    pub authority: String,
    /// The authority's metrics URL.
    pub authority_metrics: Option<String>,
    /// The issuer's configuration.
    pub config_path: PathBuf,
    /// The issuer's configuration, parsed.
    pub config: IssuerConfig,
    /// The issuer's DID.
    pub did: realdid_core::did::RealDid,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// `N` loopback addresses no other process is given meanwhile (see `free_loopback_ports`).
fn free_addresses<const N: usize>() -> Result<[SocketAddr; N], CliError> {
    free_loopback_addresses().map_err(io(Path::new("127.0.0.1")))
}

/// Makes (once) the register and the issuer directory, and adds both processes to the
/// supervisor, started.
pub fn start(layout: &DevnetLayout, supervisor: &mut Supervisor) -> Result<IssuerSide, CliError> {
    let authority_dir = layout.dir().join("authority");
    let data = authority_dir.join("data");
    let people = authority_dir.join("people.json");
    let listen_file = authority_dir.join("listen");
    let key_path = data.join(key::AUTHORITY_KEY_FILE);
    if !data.join("CURRENT").exists() {
        std::fs::create_dir_all(&authority_dir).map_err(io(&authority_dir))?;
        let generated = ResidentDataset::generate(&data, DEVNET_RESIDENTS, 1)?;
        key::create(&key_path)?;
        std::fs::write(&people, serde_json::to_string_pretty(&generated)?).map_err(io(&people))?;
        let [listen, metrics] = free_addresses()?;
        std::fs::write(&listen_file, listen.to_string()).map_err(io(&listen_file))?;
        let metrics_file = authority_dir.join("metrics-listen");
        std::fs::write(&metrics_file, metrics.to_string()).map_err(io(&metrics_file))?;
    }
    // Absent in a devnet made before services had metrics.
    let authority_metrics = std::fs::read_to_string(authority_dir.join("metrics-listen"))
        .ok()
        .map(|addr| addr.trim().to_owned());
    let listen = std::fs::read_to_string(&listen_file).map_err(io(&listen_file))?;
    let authority = format!("{}://{}", layout.scheme(), listen.trim());

    let issuer_dir = layout.dir().join("issuer");
    let config_path = issuer_dir.join("issuer.toml");
    if !config_path.exists() {
        let [grpc_listen, http_listen, metrics_listen] = free_addresses()?;
        provision(
            &issuer_dir,
            &ProvisionOptions {
                display_name: "Devnet Identity Issuer".into(),
                genesis: std::path::absolute(layout.genesis_path())
                    .map_err(io(layout.genesis_path()))?,
                registry: layout.nodes().iter().map(|n| n.grpc_endpoint()).collect(),
                authority: authority.clone(),
                authority_key: key::public_did_key(&key::load(&key_path)?),
                grpc_listen,
                http_listen,
                disclosure_delay_seconds: DEVNET_DISCLOSURE_DELAY_SECONDS,
                argon2: Argon2Cost::default(),
                operator: "officer".into(),
                // The issuer's callers are citizens: TLS, no client certificate.
                tls: layout.service_tls("issuer", false),
                metrics_listen: Some(metrics_listen),
            },
        )?;
    }
    let config = IssuerConfig::load(&config_path)?;
    let mut args: Vec<OsString> = vec![
        "authority".into(),
        "serve".into(),
        "--data".into(),
        data.into(),
        "--listen".into(),
        listen.trim().into(),
    ];
    // The authority answers known issuers only: mutual TLS, the devnet's CA on both sides.
    let tls = layout.service_tls("authority", true);
    if let (Some(cert), Some(key), Some(client_ca)) = (tls.cert, tls.key, tls.client_ca) {
        args.extend([
            "--tls-cert".into(),
            cert.into(),
            "--tls-key".into(),
            key.into(),
            "--tls-client-ca".into(),
            client_ca.into(),
        ]);
    }
    if let Some(addr) = &authority_metrics {
        args.extend(["--metrics-listen".into(), addr.into()]);
    }
    let index = supervisor.add("authority", args, authority_dir.join("authority.log"));
    supervisor.start(index)?;
    let did = realdid_issuer::keys::load(&config.keys_file)?.did().clone();
    Ok(IssuerSide {
        people,
        authority,
        authority_metrics: authority_metrics.map(|addr| format!("http://{addr}/metrics")),
        config_path,
        config,
        did,
    })
}

/// How many approvers the devnet's issuer has, and how many an opening needs.
pub const DEVNET_APPROVERS: usize = 3;
/// k of the devnet's approvers.
pub const DEVNET_APPROVALS_REQUIRED: u8 = 2;

/// The devnet's trace approvers, `<devnet>/approvers/approver-<i>.key.json`: made on first
/// start, as each approver of a real network makes theirs on their own machine.
pub fn devnet_approvers(layout: &DevnetLayout) -> Result<Vec<ApproverSecret>, CliError> {
    let dir = layout.dir().join("approvers");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    (1..=DEVNET_APPROVERS)
        .map(|i| {
            let id = format!("approver-{i}");
            let path = dir.join(format!("{id}.key.json"));
            let refused = |e: realdid_core::escrow::EscrowError| {
                CliError::Refused(format!("{}: {e}", path.display()))
            };
            if path.exists() {
                let text = std::fs::read_to_string(&path).map_err(io(&path))?;
                ApproverSecret::from_json(&text).map_err(refused)
            } else {
                let secret = ApproverSecret::generate(&id).map_err(refused)?;
                super::did::write_private(&path, secret.to_json().map_err(refused)?.as_bytes())?;
                Ok(secret)
            }
        })
        .collect()
}

/// Registers the issuer's DID, has the devnet's governance officers accredit it and name
/// its trace approvers (each skipped when already done), then starts the issuer and waits
/// until it answers.
pub async fn run_issuer(
    layout: &DevnetLayout,
    supervisor: &mut Supervisor,
    side: &IssuerSide,
) -> Result<IssuerClient<Channel>, CliError> {
    let keys = super::issuer::ensure_registered(&side.config).await?;
    let genesis = realdid_registry_client::genesis::Genesis::load(&side.config.genesis)?;
    let registry = realdid_registry_client::gateway::RegistryGateway::with_tls(
        &side.config.registry,
        realdid_registry_client::light_client::LightClient::for_genesis(&genesis),
        &side.config.tls.client(),
    )?
    .with_max_state_age(side.config.max_state_age);
    let accredited = registry.accreditation(keys.did()).await?.is_some_and(|r| {
        r.removed.is_none() && r.credential_types.iter().any(|t| t == IDENTITY_VCT)
    });
    if !accredited {
        let officers = layout.governance_signing_keys()?;
        registry
            .decide(
                "the accreditation",
                GovernanceAction::AccreditIssuer {
                    issuer: keys.did().clone(),
                    name: side.config.display_name.clone(),
                    credential_types: vec![IDENTITY_VCT.into()],
                },
                super::unix_ms(),
                &officers[..layout.governance_threshold()],
            )
            .await?;
    }
    let named = registry
        .accreditation(keys.did())
        .await?
        .is_some_and(|r| r.trace_approvers.is_some());
    if !named {
        let approvers = devnet_approvers(layout)?;
        let officers = layout.governance_signing_keys()?;
        registry
            .decide(
                "naming the trace approvers",
                GovernanceAction::SetTraceApprovers {
                    issuer: keys.did().clone(),
                    set: ApproverSet {
                        threshold: DEVNET_APPROVALS_REQUIRED,
                        approvers: approvers
                            .iter()
                            .map(|a| {
                                let public = a.public();
                                TraceApprover {
                                    id: public.id().to_owned(),
                                    signing_key: public.approval_public_key(),
                                    hpke_key: *public.hpke_public_key().as_bytes(),
                                }
                            })
                            .collect(),
                    },
                },
                super::unix_ms() + 1,
                &officers[..layout.governance_threshold()],
            )
            .await?;
    }
    let issuer_dir = side.config_path.parent().unwrap_or(Path::new("."));
    let index = supervisor.add(
        "issuer",
        vec![
            "issuer".into(),
            "--config".into(),
            side.config_path.clone().into(),
        ],
        issuer_dir.join("issuer.log"),
    );
    supervisor.start(index)?;
    let endpoint = format!("{}://{}", layout.scheme(), side.config.grpc_listen);
    let deadline = Instant::now() + ISSUER_START;
    let mut waiting = super::Waiting::new("the issuer");
    loop {
        waiting.tick();
        if let Ok(channel) = layout.client_tls().connect(&endpoint).await {
            let mut client = IssuerClient::new(channel);
            if client
                .get_issuer_info(pb::GetIssuerInfoRequest {})
                .await
                .is_ok()
            {
                return Ok(client);
            }
        }
        if Instant::now() > deadline {
            return Err(CliError::Refused(format!(
                "the issuer did not answer on {endpoint} within {} s; see {}",
                ISSUER_START.as_secs(),
                issuer_dir.join("issuer.log").display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
