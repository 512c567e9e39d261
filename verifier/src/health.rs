//! The verifier's health follows its request store: without the store it accepts no
//! presentation (it cannot prove a nonce unused), so while the store does not answer the
//! verifier reports NOT_SERVING, for load balancers to send wallets and providers to a
//! replica that can answer, and SERVING again once it does.
//!
//! The registry does not decide health (without it presentations are refused with a typed
//! reason, REGISTRY_UNAVAILABLE, and the store still protects every nonce), but it is read
//! on the same period so that operators see whether it answers while no presentation does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use realdid_core::did::RealDid;
use realdid_registry_client::RegistryGateway;
use tonic::server::NamedService;
use tonic_health::server::HealthReporter;

use crate::stats::Stats;
use crate::store::RequestStore;

/// How often the store is asked.
pub const HEALTH_PERIOD: Duration = Duration::from_secs(2);

/// Asks `store` once and reports `S` (and the server as a whole) serving or not by its
/// answer; then returns the task that keeps asking every `period`, to be spawned. The first
/// answer is in before the caller serves anything, so the verifier never reports serving
/// for a moment while its store is down, nor is the metric absent then.
pub async fn follow_store<S: NamedService>(
    store: impl RequestStore + 'static,
    stats: Arc<Stats>,
    reporter: HealthReporter,
    period: Duration,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut serving = None;
    check::<S>(&store, &stats, &reporter, &mut serving).await;
    async move {
        loop {
            tokio::time::sleep(period).await;
            check::<S>(&store, &stats, &reporter, &mut serving).await;
        }
    }
}

/// Reads `did` (the verifier's own provider DID, which must exist) from the registry,
/// proven and past every cache, every `period`, and records how the registry answered.
pub async fn follow_registry(
    gateway: RegistryGateway,
    did: RealDid,
    stats: Arc<Stats>,
    period: Duration,
) {
    loop {
        let started = Instant::now();
        let outcome = gateway
            .resolve_did_at(&did)
            .await
            .map(|read| read.height)
            .map_err(|e| e.to_string());
        stats.registry_read(outcome, started.elapsed());
        tokio::time::sleep(period).await;
    }
}

/// Asks the store once; reports a change of its answer.
async fn check<S: NamedService>(
    store: &impl RequestStore,
    stats: &Stats,
    reporter: &HealthReporter,
    serving: &mut Option<bool>,
) {
    let started = Instant::now();
    let ready = store.ready().await;
    stats.store_checked(
        ready.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        started.elapsed(),
    );
    let now = ready.is_ok();
    crate::metrics::STORE_UP.set(i64::from(now));
    if *serving == Some(now) {
        return;
    }
    if now {
        reporter.set_serving::<S>().await;
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        tracing::info!("request store answers: serving");
    } else {
        reporter.set_not_serving::<S>().await;
        reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        if let Err(e) = &ready {
            tracing::warn!(error = %e, "request store does not answer: not serving");
        }
    }
    *serving = Some(now);
}
