//! The console's sources: tasks that talk to the network and send what they learn as
//! [`Update`](crate::event::Update)s. Chain state comes through the light client, proven;
//! node telemetry is each node's own report.

pub mod approvals;
pub mod chain;
pub mod lookups;
pub mod operator;
pub mod proposals;
pub mod verifiers;
