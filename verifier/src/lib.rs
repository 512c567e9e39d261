//! realdid-verifier: presentation requests and verification for service providers.
//!
//! To be built in the verifier issue: the `realdid.v1.Verifier` gRPC service and a client
//! library; complete verification of SD-JWT VC presentations (`realdid_core::sd_jwt`) with
//! the registry's proofs; single-use nonces in Redis (fail closed); bounded caches; and
//! per-provider pseudonymous subject ids.

pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod requests;
pub mod service;
pub mod store;
pub mod verify;

pub use error::VerifierError;
