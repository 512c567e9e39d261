//! realdid-issuer: where a real person becomes a verified DID holder.
//!
//! To be built in the issuer issue: the identity-authority seam and its reference service,
//! enrolment over gRPC, SD-JWT VC issuance (`realdid_core::sd_jwt`), status lists
//! (`realdid_core::status_list`) anchored on the registry, the Argon2id duplicate index, the
//! escrowed identity record and k-of-n lawful tracing with on-chain audit anchors.
//!
//! Nothing is exported yet: no part of the issuer may pretend to work before it does.
