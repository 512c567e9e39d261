//! realdid-verifier: presentation requests and verification for service providers.
//!
//! The `realdid.v1.Verifier` gRPC service and a client library for providers: requests
//! signed by each provider's own DID; complete verification of SD-JWT VC presentations
//! (`realdid_core::sd_jwt`) against the registry's proofs; single-use requests in Redis
//! (fail closed); bounded caches; and per-provider pseudonymous subject ids. Beside it,
//! `realdid.v1.VerifierAdmin` gives operators its figures and its dependencies' health.

pub mod admin;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod health;
pub mod metrics;
pub mod provider;
pub mod requests;
pub mod service;
pub mod stats;
pub mod store;
pub mod verify;

pub use error::VerifierError;
