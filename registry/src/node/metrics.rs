//! The node's own metrics, beside the RPC metrics every server records and the consensus
//! engine's: what an operator watches to see that the chain moves and how fast.

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// The node's metrics, registered on first use.
#[derive(Debug)]
pub struct NodeMetrics {
    /// The latest finalized height this node committed.
    pub height: Gauge<u64, AtomicU64>,
    /// From a block's own time to its commit here, seconds.
    pub finality_seconds: Histogram,
    /// Transactions waiting in the pending pool.
    pub pending: Gauge,
}

/// This process's node metrics.
pub static NODE: LazyLock<NodeMetrics> = LazyLock::new(|| {
    let metrics = NodeMetrics {
        height: Gauge::default(),
        // 10 ms to ~80 s, doubling.
        finality_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
        pending: Gauge::default(),
    };
    realdid_proto::metrics::register(
        "registry_height",
        "The latest finalized height this node committed",
        metrics.height.clone(),
    );
    realdid_proto::metrics::register(
        "registry_finality_seconds",
        "From a block's time to its commit on this node",
        metrics.finality_seconds.clone(),
    );
    realdid_proto::metrics::register(
        "registry_pending_transactions",
        "Transactions waiting in the pending pool",
        metrics.pending.clone(),
    );
    metrics
});
