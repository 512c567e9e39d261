//! The verifier's own metrics: what its providers' presentations come to, and whether its
//! request store answers.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

/// A verdict: `VERIFIED` or the failure reason's contract name.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabel {
    /// The verdict.
    pub verdict: String,
}

/// Verdicts on presentations, by reason.
pub static VERDICTS: LazyLock<Family<VerdictLabel, Counter>> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "verifier_verdicts",
        "Presentations decided, by verdict (VERIFIED or the failure reason)",
        Family::default(),
    )
});

/// 1 while the request store answers, 0 while it does not.
pub static STORE_UP: LazyLock<Gauge> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "verifier_store_up",
        "1 while the request store (Redis) answers, 0 while it does not",
        Gauge::default(),
    )
});

/// Counts one verdict.
pub fn verdict(name: &str) {
    VERDICTS
        .get_or_create(&VerdictLabel {
            verdict: name.to_owned(),
        })
        .inc();
}
