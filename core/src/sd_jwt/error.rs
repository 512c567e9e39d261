//! The one error type of SD-JWT issuance, presentation and verification.

use crate::ErrorKind;
use crate::jws::JwsError;
use crate::keys::KeyError;

/// Why an SD-JWT could not be issued, presented or verified.
///
/// Variants carry the context a log line or a test needs (which disclosure, which digest,
/// which value was expected); [`SdJwtError::kind`] maps them to transport codes.
#[derive(Debug, thiserror::Error)]
pub enum SdJwtError {
    /// The input, or one part of it, is larger than the configured limit.
    #[error("{what} is {len} bytes, more than the limit of {max}")]
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// More disclosures than the configured limit.
    #[error("{count} disclosures, more than the limit of {max}")]
    TooManyDisclosures { count: usize, max: usize },
    /// Claims nest deeper than the configured limit.
    #[error("claims nest deeper than {max} levels")]
    TooDeep { max: usize },
    /// The serialisation or a structural member is malformed.
    #[error("malformed {part}: {reason}")]
    Malformed { part: &'static str, reason: String },
    /// The issuer-signed JWT does not parse or its signature does not verify.
    #[error("issuer-signed JWT: {0}")]
    IssuerSignature(#[source] JwsError),
    /// The issuer's key could not be determined (unknown `iss` or `kid`, untrusted issuer).
    #[error("issuer key: {reason}")]
    IssuerKey { reason: String },
    /// A JWS header `typ` is not the one required.
    #[error("typ must be {expected:?}, found {found:?}")]
    Typ {
        expected: String,
        found: Option<String>,
    },
    /// `_sd_alg` names a hash algorithm other than `sha-256`.
    #[error("_sd_alg {alg:?} is not supported (only \"sha-256\")")]
    UnsupportedSdAlg { alg: String },
    /// A disclosure is not a base64url JSON array `[salt, name, value]` or `[salt, value]`.
    #[error("disclosure {index}: {reason}")]
    Disclosure { index: usize, reason: String },
    /// A disclosure names a claim `_sd` or `...`, or issuance input uses those names.
    #[error("claim name {name:?} is reserved by SD-JWT")]
    ReservedClaimName { name: String },
    /// The same disclosure (same digest) appears twice in the input.
    #[error("disclosure {index} repeats disclosure {first}")]
    DuplicateDisclosure { index: usize, first: usize },
    /// A digest occurs more than once in the payload and the disclosed values.
    #[error("digest {digest} occurs more than once")]
    DuplicateDigest { digest: String },
    /// A disclosure that no digest of the payload (or of a disclosed value) refers to.
    #[error("disclosure {index} is not referenced by any digest")]
    UnreferencedDisclosure { index: usize },
    /// An object-property disclosure referenced from an array, or an array-element
    /// disclosure referenced from `_sd`.
    #[error("disclosure {index} is a {found} disclosure where an {expected} one is required")]
    DisclosureKind {
        index: usize,
        expected: &'static str,
        found: &'static str,
    },
    /// A disclosed claim name that is already in the object (plain or disclosed).
    #[error("disclosed claim {name:?} collides with a claim of the same name")]
    ClaimCollision { name: String },
    /// A registered claim (`exp`, `cnf`, `vct`, …) is missing where it is required.
    #[error("claim {name:?} is required")]
    MissingClaim { name: &'static str },
    /// A registered claim has the wrong type or value.
    #[error("claim {name:?}: {reason}")]
    InvalidClaim { name: String, reason: String },
    /// The claims handed to the issuer break a rule (for example a `cnf` set twice).
    #[error("claims to issue: {reason}")]
    InvalidClaims { reason: String },
    /// A claim path is not a JSON Pointer, or names a member the rules forbid.
    #[error("claim path {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },
    /// A claim path does not lead to a claim.
    #[error("claim path {path:?} does not exist")]
    PathNotFound { path: String },
    /// A claim that the profile forbids to be selectively disclosable (SD-JWT VC: `iss`,
    /// `nbf`, `exp`, `cnf`, `vct`, `status`).
    #[error("claim {name:?} must not be selectively disclosable")]
    NonDisclosableClaim { name: String },
    /// The SD-JWT's `exp` has passed.
    #[error("expired at {exp}, now is {now}")]
    Expired { exp: i64, now: i64 },
    /// The SD-JWT's `nbf` has not yet come.
    #[error("not valid before {nbf}, now is {now}")]
    NotYetValid { nbf: i64, now: i64 },
    /// The SD-JWT's `iat` is in the future.
    #[error("issued at {iat}, which is after now ({now})")]
    IssuedInFuture { iat: i64, now: i64 },
    /// Key binding is required but the presentation has no KB-JWT.
    #[error("key binding is required but the presentation has no KB-JWT")]
    KeyBindingRequired,
    /// Key binding is required but the SD-JWT names no holder key (`cnf.jwk`).
    #[error("key binding is required but the SD-JWT has no cnf.jwk")]
    NoHolderKey,
    /// The KB-JWT is malformed (missing or mistyped claims).
    #[error("KB-JWT: {reason}")]
    KeyBinding { reason: String },
    /// The KB-JWT does not parse or is not signed by the holder key.
    #[error("KB-JWT signature: {0}")]
    KeyBindingSignature(#[source] JwsError),
    /// The KB-JWT `nonce` is not the one the verifier issued.
    #[error("KB-JWT nonce is {found:?}, expected {expected:?}")]
    NonceMismatch { expected: String, found: String },
    /// The KB-JWT `aud` is not the verifier.
    #[error("KB-JWT aud is {found}, expected {expected:?}")]
    AudienceMismatch { expected: String, found: String },
    /// The KB-JWT was issued longer ago than the verifier accepts.
    #[error("KB-JWT issued at {iat} is older than {max_age} s at {now}")]
    KeyBindingStale { iat: i64, now: i64, max_age: i64 },
    /// The KB-JWT's `iat` is in the future.
    #[error("KB-JWT issued at {iat}, which is after now ({now})")]
    KeyBindingFromFuture { iat: i64, now: i64 },
    /// The KB-JWT's `sd_hash` is not the hash of the presented SD-JWT.
    #[error("KB-JWT sd_hash does not match the presented SD-JWT")]
    SdHashMismatch,
    /// A key (the holder's `cnf.jwk`) is malformed or unsupported.
    #[error("key: {0}")]
    Key(#[from] KeyError),
    /// The input uses a feature this implementation does not support.
    #[error("unsupported: {what}")]
    Unsupported { what: String },
    /// Signing failed while issuing or binding.
    #[error("signing: {0}")]
    Signing(#[source] JwsError),
    /// The salt source failed.
    #[error("random source failed: {reason}")]
    Random { reason: String },
    /// A JSON value this library built could not be serialised; a bug.
    #[error("internal: {reason}")]
    Internal { reason: String },
}

impl SdJwtError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. }
            | Self::TooManyDisclosures { .. }
            | Self::TooDeep { .. }
            | Self::Malformed { .. }
            | Self::Disclosure { .. }
            | Self::ReservedClaimName { .. }
            | Self::DuplicateDisclosure { .. }
            | Self::DuplicateDigest { .. }
            | Self::UnreferencedDisclosure { .. }
            | Self::DisclosureKind { .. }
            | Self::ClaimCollision { .. }
            | Self::MissingClaim { .. }
            | Self::InvalidClaim { .. }
            | Self::InvalidClaims { .. }
            | Self::InvalidPath { .. }
            | Self::NonDisclosableClaim { .. }
            | Self::KeyBinding { .. } => ErrorKind::InvalidInput,
            Self::PathNotFound { .. } | Self::IssuerKey { .. } => ErrorKind::NotFound,
            Self::IssuerSignature(e) | Self::KeyBindingSignature(e) => e.kind(),
            Self::Typ { .. }
            | Self::KeyBindingRequired
            | Self::NoHolderKey
            | Self::NonceMismatch { .. }
            | Self::AudienceMismatch { .. }
            | Self::KeyBindingFromFuture { .. } => ErrorKind::Rejected,
            Self::Expired { .. }
            | Self::NotYetValid { .. }
            | Self::IssuedInFuture { .. }
            | Self::KeyBindingStale { .. } => ErrorKind::Expired,
            Self::SdHashMismatch => ErrorKind::InvalidSignature,
            Self::UnsupportedSdAlg { .. } | Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::Key(e) => e.kind(),
            Self::Signing(e) => match e {
                JwsError::Serialize(_) => ErrorKind::Internal,
                other => other.kind(),
            },
            Self::Random { .. } | Self::Internal { .. } => ErrorKind::Internal,
        }
    }
}
