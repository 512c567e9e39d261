//! realdid-tui: the operator console for registry nodes, issuers and verifiers.
//!
//! A pure core ([`app`], [`keys`], [`views`], over the data in [`model`]) draws what it
//! knows and answers keys at once; [`source`] tasks fill it from the network, chain state
//! through the light client (proven against the genesis validators), node telemetry as
//! each node's own report; [`run`](run::run) puts both on a terminal.

pub mod app;
pub mod error;
pub mod event;
pub mod keys;
pub mod model;
pub mod run;
pub mod source;
pub mod views;

pub use error::TuiError;
pub use run::{Watch, run};
