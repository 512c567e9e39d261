//! realdid-issuer: where a real person becomes a verified DID holder.
//!
//! | module | what it holds |
//! |---|---|
//! | [`authority`] | the identity-authority seam, the reference authority, its gRPC service and client |
//! | [`config`] | the issuer's TOML configuration |
//! | [`keys`] | the issuer DID's keys, rotation |
//! | [`privacy`] | the Argon2id person index, the AES-GCM escrow of identity records, their secrets |
//! | [`store`] | the issuer's RocksDB |
//! | [`claims`], [`issuance`] | the claims of a credential, from the checked identity; signing them |
//! | [`status`] | status-list entries and tokens |
//! | [`nonces`], [`operators`] | single-use nonces; operator accounts and sessions |
//! | [`provision`] | a new issuer directory: keys, secrets, approvers, operator, config |
//! | [`engine`] | every decision: enrolment, status changes, tracing, logins |
//! | [`service`], [`http`] | `realdid.v1.Issuer` over gRPC; status lists over HTTP |

pub mod authority;
pub mod claims;
pub mod config;
pub mod engine;
pub mod error;
pub mod files;
pub mod http;
pub mod issuance;
pub mod keys;
pub mod metrics;
pub mod nonces;
pub mod operators;
pub mod privacy;
pub mod provision;
pub mod service;
pub mod status;
pub mod store;

pub use engine::Issuer;
pub use error::IssuerError;
