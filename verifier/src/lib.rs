//! realdid-verifier: presentation requests and verification for service providers.
//!
//! To be built in the verifier issue: the `realdid.v1.Verifier` gRPC service and a client
//! library; complete verification of SD-JWT VC presentations (`realdid_core::sd_jwt`) with
//! the registry's proofs; single-use nonces in Redis (fail closed); bounded caches; and
//! per-provider pseudonymous subject ids.
//!
//! Nothing is exported yet: no part of the verifier may pretend to work before it does.
