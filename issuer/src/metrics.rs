//! The issuer's own metrics: what enrolments come to.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// An enrolment's outcome: `ISSUED` or the refusal reason's contract name.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// The outcome.
    pub outcome: String,
}

/// Enrolments decided, by outcome.
pub static ENROLMENTS: LazyLock<Family<OutcomeLabel, Counter>> = LazyLock::new(|| {
    realdid_proto::metrics::registered(
        "issuer_enrolments",
        "Enrolments decided, by outcome (ISSUED or the refusal reason)",
        Family::default(),
    )
});

/// Counts one enrolment decision.
pub fn enrolment(outcome: &str) {
    ENROLMENTS
        .get_or_create(&OutcomeLabel {
            outcome: outcome.to_owned(),
        })
        .inc();
}
