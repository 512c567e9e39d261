//! realdid-proto: the `realdid.v1` gRPC contract and its generated tonic code.
//!
//! The contract is the `.proto` files in `realdid/v1/` of this crate; they are the source
//! of truth and carry the documentation of every RPC and field (limits, units, who may
//! call what). `common.proto` states the conventions every service follows: times are
//! `int64` Unix milliseconds in fields ending `_unix_ms`, canonical chain bytes travel as
//! `bytes` and are never re-encoded, and a "no" is either a non-OK gRPC status (the call
//! was not processed to a decision) or an OK response whose `result` oneof holds a typed
//! failure (the service decided "no").
//!
//! The services, all in [`v1`]:
//!
//! - `Registry` (`registry.proto`): submit transactions, proven reads of DIDs, issuer
//!   accreditations, status-list and audit anchors, blocks and chain status.
//! - `Issuer` (`issuer.proto`): enrolment and SD-JWT VC issuance, status lists,
//!   self-suspension, revocation, lawful tracing, operator login.
//! - `Verifier` (`verifier.proto`): presentation requests and presentation verification;
//!   `VerifierAdmin`, beside it, gives operators the verifier's figures and health.
//! - `IdentityAuthority` (`authority.proto`): the real-name check an issuer relies on.
//!
//! For each service the generated code has a client (`v1::registry_client::RegistryClient`)
//! and a server trait with its wrapper (`v1::registry_server::{Registry, RegistryServer}`).
//! [`FILE_DESCRIPTOR_SET`] is the encoded descriptor set for gRPC server reflection.
//!
//! Messages that carry secrets or personal data (passwords, session tokens, names, resident
//! ID numbers, credentials, presentations, disclosed claim values) have a hand-written
//! `Debug` that prints those fields as `<redacted>` (see `build.rs`, `REDACTED_DEBUG`).
//!
//! [`server::with_health_and_reflection`] starts every realdid gRPC server with health and
//! reflection of this contract, over TLS when configured; [`tls`] holds the TLS settings of
//! servers and clients and the one place they become tonic's.
//!
//! Besides that, this crate holds only the wire contract. Conversions between these messages and domain
//! types live next to the domain types (in realdid-core and the service crates), not here.

/// The `realdid.v1` package: messages, enums, and tonic clients and servers.
pub mod v1 {
    tonic::include_proto!("realdid.v1");
}

#[cfg(feature = "dev-ca")]
pub mod dev_ca;
pub mod metrics;
mod redact;
pub mod server;
pub mod source_limits;
pub mod tls;

/// The encoded `google.protobuf.FileDescriptorSet` of every `realdid.v1` file, with source
/// comments, for registering gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("realdid_v1_descriptor");
