//! Verification of an SD-JWT VC presentation against an open request: every check the
//! contract names, in its order, the first failure named by a typed reason.
//!
//! | file | what it holds |
//! |---|---|
//! | [`reason`] | the outcome: a verified presentation or a typed failure |
//! | [`chain`] | what verification reads from the registry, proven and cached |
//! | [`status`] | fetching status-list tokens and checking them against their anchors |
//! | [`pipeline`] | the checks, in order |
//! | [`subject`] | the per-provider pseudonymous subject id |
//!
//! Nothing here knows about gRPC or Redis: a provider can run these checks in process
//! ([`pipeline::Checks`]) with the request it keeps itself.

pub mod chain;
pub mod pipeline;
pub mod reason;
pub mod status;
pub mod subject;

pub use pipeline::{CheckOptions, Checks};
pub use reason::{Failure, FailureReason, Outcome, Verified};
