//! realdid-issuer: where a real person becomes a verified DID holder.
//!
//! Built so far:
//! - [`authority`]: the identity-authority seam ([`authority::IdentityAuthority`]) and the
//!   reference authority that ships with realdid, over a synthetic resident dataset in
//!   RocksDB.
//!
//! Still to come (the issuer issue): the authority's gRPC service and client, enrolment over
//! gRPC, SD-JWT VC issuance (`realdid_core::sd_jwt`), status lists anchored on the registry,
//! the Argon2id duplicate index, the escrowed identity record and k-of-n lawful tracing.
//! Nothing else is exported yet: no part of the issuer may pretend to work before it does.

pub mod authority;
pub mod error;

pub use error::IssuerError;
