//! The verifiers source: asks each verifier for its figures (`VerifierAdmin`) once a
//! second, as an operator, each on its own task and within a deadline, so that one that
//! hangs shows as down while the others keep coming.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_admin_client::VerifierAdminClient;
use tokio::sync::mpsc;
use tonic::transport::Channel;

use crate::event::Update;
use crate::model::{DependencyRow, HeldListRow, Link, VerifierFigures};

/// How often each verifier is asked.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long one read may take before the verifier counts as down.
const POLL_DEADLINE: Duration = Duration::from_millis(1500);
/// The largest token file read.
const MAX_TOKEN_FILE: u64 = 4 * 1024;

/// A verifier to watch, and how the console is known to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedVerifier {
    /// Its gRPC endpoint.
    pub endpoint: String,
    /// The file holding the operator's bearer token; without one the console shows itself
    /// by the client certificate its TLS settings carry, if any.
    pub token_file: Option<PathBuf>,
}

/// Asks every verifier in turn, forever, until `updates` closes.
pub async fn run(verifiers: Vec<WatchedVerifier>, tls: ClientTls, updates: mpsc::Sender<Update>) {
    let tasks: Vec<_> = verifiers
        .into_iter()
        .enumerate()
        .map(|(index, verifier)| {
            tokio::spawn(follow(index, verifier, tls.clone(), updates.clone()))
        })
        .collect();
    updates.closed().await;
    for task in tasks {
        task.abort();
    }
}

async fn follow(
    index: usize,
    verifier: WatchedVerifier,
    tls: ClientTls,
    updates: mpsc::Sender<Update>,
) {
    let mut client: Option<VerifierAdminClient<Channel>> = None;
    let mut ticker = tokio::time::interval(POLL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let started = Instant::now();
        let answer = tokio::time::timeout(POLL_DEADLINE, read(&verifier, &tls, &mut client))
            .await
            .unwrap_or_else(|_| Err(format!("no answer in {} ms", POLL_DEADLINE.as_millis())));
        let update = match answer {
            Ok(figures) => Update::VerifierRead {
                index,
                figures,
                latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            },
            Err(reason) => {
                client = None;
                Update::VerifierDown { index, reason }
            }
        };
        if updates.send(update).await.is_err() {
            return;
        }
    }
}

/// The operator's token, read afresh at each poll (a new one takes effect at once) and
/// bounded.
fn bearer(
    path: &PathBuf,
) -> Result<tonic::metadata::MetadataValue<tonic::metadata::Ascii>, String> {
    let shown = path.display();
    let len = std::fs::metadata(path)
        .map_err(|e| format!("the token file {shown}: {e}"))?
        .len();
    if len > MAX_TOKEN_FILE {
        return Err(format!(
            "the token file {shown} is {len} bytes, not a token"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("the token file {shown}: {e}"))?;
    format!("Bearer {}", text.trim())
        .parse()
        .map_err(|_| format!("the token file {shown} does not hold a token"))
}

async fn read(
    verifier: &WatchedVerifier,
    tls: &ClientTls,
    client: &mut Option<VerifierAdminClient<Channel>>,
) -> Result<VerifierFigures, String> {
    let mut request = tonic::Request::new(pb::GetVerifierStatsRequest {});
    if let Some(path) = &verifier.token_file {
        request
            .metadata_mut()
            .insert("authorization", bearer(path)?);
    }
    if client.is_none() {
        let channel = tls
            .connect(&verifier.endpoint)
            .await
            .map_err(|e| e.to_string())?;
        *client = Some(VerifierAdminClient::new(channel));
    }
    let Some(client) = client.as_mut() else {
        return Err("not connected".into());
    };
    let stats = client
        .get_verifier_stats(request)
        .await
        .map_err(|status| status.message().to_owned())?
        .into_inner();
    Ok(figures(stats))
}

/// The contract's figures as the console keeps them.
pub fn figures(stats: pb::GetVerifierStatsResponse) -> VerifierFigures {
    let dependency = |d: Option<pb::DependencyHealth>| {
        let d = d.unwrap_or_default();
        DependencyRow {
            up: d.up,
            checked_at_ms: d.checked_at_unix_ms,
            since_ms: d.since_unix_ms,
            error: d.error,
            latency_us: d.latency_us,
        }
    };
    let mut verdicts: Vec<(String, u64)> = stats
        .verdicts
        .into_iter()
        .map(|(name, count)| {
            let short = name
                .strip_prefix("VERIFICATION_FAILURE_REASON_")
                .unwrap_or(&name)
                .to_owned();
            (short, count)
        })
        .collect();
    verdicts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let latency = stats.latency.unwrap_or_default();
    VerifierFigures {
        at_ms: stats.at_unix_ms,
        started_at_ms: stats.started_at_unix_ms,
        version: stats.version,
        verdicts,
        latency_bounds_us: latency.bounds_us,
        latency_counts: latency.counts,
        in_flight: stats.in_flight,
        store: dependency(stats.store),
        registry: dependency(stats.registry),
        registry_height: stats.registry_height,
        lists: stats
            .status_lists
            .into_iter()
            .map(|l| HeldListRow {
                issuer_did: l.issuer_did,
                uri: l.uri,
                proven_height: l.proven_height,
                revoked: l.revoked,
                suspended: l.suspended,
                expires_at_ms: l.expires_at_unix_ms,
            })
            .collect(),
    }
}

/// Whether a link is up: for the views.
pub fn is_up(link: &Link) -> bool {
    matches!(link, Link::Up { .. })
}
