//! W3C Verifiable Credentials Data Model 2.0 secured as JWT (W3C VC-JOSE-COSE).
//!
//! # Formats
//!
//! **Credential** (`vc+jwt`): a compact JWS with header `{"alg", "typ": "vc+jwt"}` (`cty:
//! "vc"` allowed) whose payload is the credential itself:
//!
//! ```json
//! {"@context": ["https://www.w3.org/ns/credentials/v2", …],
//!  "type": ["VerifiableCredential", …],
//!  "issuer": "did:realdid:…",
//!  "validFrom": "2025-06-15T15:06:40Z", "validUntil": "2026-06-15T15:06:40Z",
//!  "credentialSubject": {"id": "did:key:…", …},
//!  "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
//!                       "statusListIndex": "94567", "statusListCredential": "https://…"}}
//! ```
//!
//! `validFrom`/`validUntil` are RFC 3339 date-times with an offset ([`parse_datetime`],
//! [`format_datetime`]).
//!
//! **Presentation** (`vp+jwt`): signed by the holder; the payload is a
//! `VerifiablePresentation` with `holder`, and each credential enveloped as
//! `{"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,<vc-jwt>"}`;
//! the JWT claims `nonce`, `aud` and `iat` bind it to one verifier request.
//!
//! Keys come from the verifier through a [`KeyResolver`], which sees the unverified header
//! and payload (`kid`, `issuer`, `holder`) and refuses untrusted parties. No function reads a
//! clock: `now` is an argument, unix seconds.

mod credential;
mod data_model;
mod datetime;
mod error;
mod jose;
mod presentation;
mod resolver;
mod status;

pub use credential::{
    DEFAULT_LEEWAY, VERIFIABLE_CREDENTIAL, VcVerifyOptions, VerifiedCredential, issue_vc_jwt,
    verify_vc_jwt,
};
pub use datetime::{format_datetime, parse_datetime};
pub use error::VcJwtError;
pub use presentation::{
    DEFAULT_MAX_AGE, DEFAULT_MAX_CREDENTIALS, VERIFIABLE_PRESENTATION, VerifiedPresentation,
    VpParams, VpVerifyOptions, issue_vp_jwt, verify_vp_jwt,
};
pub use resolver::KeyResolver;
pub use status::{BITSTRING_STATUS_LIST_ENTRY, BitstringStatusListEntry};

/// The `typ` of a credential JWT.
pub const VC_JWT_TYP: &str = "vc+jwt";
/// The `typ` of a presentation JWT.
pub const VP_JWT_TYP: &str = "vp+jwt";
/// The base context every VC 2.0 document starts with.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The `type` of a credential carried inside a presentation as a data: URL.
pub const ENVELOPED_VC_TYPE: &str = "EnvelopedVerifiableCredential";
/// The prefix of an enveloped VC-JWT's `id`.
pub const ENVELOPED_VC_PREFIX: &str = "data:application/vc+jwt,";
