//! How the chain looks from this process's reads: whether the last proven read found a node
//! that answered with a fresh, checking proof, and the height and block time it proved.
//!
//! The issuer and the verifier serve these beside their own metrics, so an operator sees a
//! registry that stopped answering, or a chain that stopped moving, from each service that
//! depends on it. The block time keeps its meaning while no reads happen: alert on
//! `time() - realdid_registry_proven_block_time_seconds`.

use std::sync::LazyLock;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

/// 1 when the last proven read succeeded, 0 when every node failed it.
pub static REGISTRY_UP: LazyLock<Gauge> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "registry_up",
        "1 when the last proven registry read found a node with a fresh proof that checks, 0 when none did",
        Gauge::default(),
    )
});

/// The highest height a proven read has shown.
pub static PROVEN_HEIGHT: LazyLock<Gauge> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "registry_proven_height",
        "The highest registry height a proven read has shown this process",
        Gauge::default(),
    )
});

/// The block time of that height.
pub static PROVEN_BLOCK_TIME: LazyLock<Gauge> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "registry_proven_block_time_seconds",
        "The block time (Unix seconds) of the highest registry height a proven read has shown",
        Gauge::default(),
    )
});

/// Proven `ResolveMany` calls the coalescing DID reader ([`crate::did_batch::DidReader`])
/// has sent, successful or not.
pub static COALESCED_CALLS: LazyLock<Counter> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "registry_coalesced_calls",
        "Proven ResolveMany calls sent by the coalescing DID reader",
        Counter::default(),
    )
});

/// The distinct DIDs those calls asked for: over [`COALESCED_CALLS`], how well reads
/// coalesce (1 under light load, up to 64 under heavy load).
pub static COALESCED_DIDS: LazyLock<Counter> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "registry_coalesced_dids",
        "Distinct DIDs asked for in the coalescing DID reader's ResolveMany calls",
        Counter::default(),
    )
});

/// Records a proven read's outcome.
pub(crate) fn record(proven: Option<(u64, u64)>) {
    match proven {
        Some((height, block_time_ms)) => {
            REGISTRY_UP.set(1);
            let height = i64::try_from(height).unwrap_or(i64::MAX);
            if height >= PROVEN_HEIGHT.get() {
                PROVEN_HEIGHT.set(height);
                PROVEN_BLOCK_TIME.set(i64::try_from(block_time_ms / 1000).unwrap_or(i64::MAX));
            }
        }
        None => {
            REGISTRY_UP.set(0);
        }
    }
}
