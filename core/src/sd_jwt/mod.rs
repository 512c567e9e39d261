//! SD-JWT (RFC 9901): selective disclosure for JWTs, with key binding; and the SD-JWT VC
//! profile ([`vc`]) realdid issues credentials in.
//!
//! # Formats
//!
//! **Disclosure**: `base64url(JSON array)`, `[salt, name, value]` for an object property or
//! `[salt, value]` for an array element; the salt is 128 random bits, base64url.
//!
//! **Digest**: `base64url(SHA-256(ASCII of the disclosure))`. An object lists the digests of
//! its hidden properties in `_sd` (sorted, with optional decoys); a hidden array element is
//! replaced in place by `{"...": digest}`. The payload says `"_sd_alg": "sha-256"`, the
//! only algorithm accepted. Disclosed values may themselves contain `_sd` and `...`
//! (recursive disclosure).
//!
//! **Issuer-signed JWT**: a compact JWS over that payload; with key binding the payload holds
//! the holder key as `"cnf": {"jwk": …}`.
//!
//! **Compact serialisation**: `<issuer-signed JWT>~<disclosure>~…~<disclosure>~`, and for a
//! presentation with key binding the KB-JWT after the last `~`.
//!
//! **KB-JWT** ([`verify_key_binding_jwt`]): header `typ: kb+jwt`; payload `nonce`, `aud`,
//! `iat` and `sd_hash`, the digest of the presentation up to and including its last `~`.
//!
//! **JSON serialisation** (RFC 9901 §8.1): a flattened JWS whose unprotected `header` holds
//! `disclosures` and `kb_jwt`; `sd_hash` is then over the compact form rebuilt from its
//! members. (The reference implementation 0.10 writes the two members at the top level, and
//! hashes its own JSON text instead: both layouts are read, the hash is the RFC's.)
//!
//! # Flow
//!
//! The issuer builds with [`SdJwtBuilder`] and hands out the [`SdJwt`]; the holder keeps it,
//! picks claims with [`SdJwt::present`] and binds with [`Presentation::bind`]; the verifier
//! calls [`verify`](fn@verify) with a [`VerifyOptions`] and an [`IssuerKeyResolver`], and gets a
//! [`VerifiedSdJwt`]. No function reads a clock: time is a `now` argument, unix seconds.

mod digest;
mod disclosure;
mod error;
mod issue;
mod key_binding;
mod path;
mod present;
mod process;
mod serialization;
mod token;
mod unverified;
pub mod vc;
mod verify;

pub use digest::{SHA_256, disclosure_digest, sd_hash};
pub use disclosure::{Disclosure, OsRandom, SALT_LEN, SaltSource};
pub use error::SdJwtError;
pub use issue::SdJwtBuilder;
pub use key_binding::{
    DEFAULT_KB_MAX_AGE, KB_JWT_TYP, KeyBindingCheck, KeyBindingClaims, KeyBindingParams,
    verify_key_binding_jwt,
};
pub use path::ClaimPath;
pub use present::Presentation;
pub use token::SdJwt;
pub use unverified::UnverifiedSdJwt;
pub use vc::{
    NON_DISCLOSABLE_CLAIMS, SD_JWT_VC_LEGACY_TYP, SD_JWT_VC_TYP, SdJwtVcIssuance,
    StatusListReference, VcVerifyOptions, VerifiedSdJwtVc, issue_sd_jwt_vc,
    issue_sd_jwt_vc_with_salts, verify_sd_jwt_vc,
};
pub use verify::{
    DEFAULT_LEEWAY, DEFAULT_MAX_DEPTH, DEFAULT_MAX_DISCLOSURES, DEFAULT_MAX_LEN, IssuerKeyResolver,
    Limits, VerifiedSdJwt, VerifyOptions, verify,
};

/// The member listing the digests of an object's hidden properties.
pub const SD_KEY: &str = "_sd";
/// The member of a hidden array element's placeholder `{"...": digest}`.
pub const ARRAY_ELEMENT_KEY: &str = "...";
/// The top-level member naming the digest algorithm.
pub const SD_ALG_KEY: &str = "_sd_alg";
