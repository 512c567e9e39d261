//! The error type of W3C VCs and VPs as JWT.

use crate::ErrorKind;
use crate::jws::JwsError;

/// Why a credential or presentation JWT could not be issued or was refused.
#[derive(Debug, thiserror::Error)]
pub enum VcJwtError {
    /// The JWT does not parse, or its signature does not verify.
    #[error("JWS: {0}")]
    Jws(#[source] JwsError),
    /// The key that must have signed could not be determined or is not trusted.
    #[error("key resolution: {reason}")]
    KeyResolution { reason: String },
    /// The header `typ` is not the one required.
    #[error("typ must be {expected:?}, found {found:?}")]
    Typ {
        expected: &'static str,
        found: Option<String>,
    },
    /// The header `cty`, when present, is not the one required.
    #[error("cty must be {expected:?} when present, found {found:?}")]
    Cty {
        expected: &'static str,
        found: String,
    },
    /// The payload is not a JSON object.
    #[error("malformed {part}: {reason}")]
    Malformed { part: &'static str, reason: String },
    /// `@context` does not start with the VC 2.0 context.
    #[error("@context: {reason}")]
    Context { reason: String },
    /// `type` lacks `VerifiableCredential` / `VerifiablePresentation`.
    #[error("type: {reason}")]
    Type { reason: String },
    /// A required property is missing.
    #[error("{name} is required")]
    MissingClaim { name: &'static str },
    /// A property has the wrong type or value.
    #[error("{name}: {reason}")]
    InvalidClaim { name: String, reason: String },
    /// `validFrom` (or the JWT `nbf`) has not yet come.
    #[error("not valid before {valid_from}, now is {now}")]
    NotYetValid { valid_from: i64, now: i64 },
    /// `validUntil` (or the JWT `exp`) has passed.
    #[error("expired at {valid_until}, now is {now}")]
    Expired { valid_until: i64, now: i64 },
    /// A `credentialStatus` entry of a type this library does not check.
    #[error("credentialStatus type {status_type:?} is not supported")]
    UnsupportedStatus { status_type: String },
    /// The presentation's `nonce` is not the verifier's.
    #[error("nonce is {found:?}, expected {expected:?}")]
    NonceMismatch {
        expected: String,
        found: Option<String>,
    },
    /// The presentation's `aud` is not the verifier.
    #[error("aud is {found}, expected {expected:?}")]
    AudienceMismatch { expected: String, found: String },
    /// The presentation was signed longer ago than the verifier accepts.
    #[error("presentation issued at {iat} is older than {max_age} s at {now}")]
    Stale { iat: i64, now: i64, max_age: i64 },
    /// The presentation's `iat` is in the future.
    #[error("presentation issued at {iat}, which is after now ({now})")]
    FromFuture { iat: i64, now: i64 },
    /// An entry of `verifiableCredential` is not an enveloped VC-JWT.
    #[error("verifiableCredential {index}: {reason}")]
    Envelope { index: usize, reason: String },
    /// An enclosed credential was refused.
    #[error("credential {index}: {source}")]
    Credential {
        index: usize,
        #[source]
        source: Box<VcJwtError>,
    },
    /// An enclosed credential's subject is not the presentation's holder.
    #[error("credential {index} is not about the holder {holder:?}")]
    HolderNotSubject { index: usize, holder: String },
    /// More enclosed credentials than the limit.
    #[error("{count} credentials, more than the limit of {max}")]
    TooManyCredentials { count: usize, max: usize },
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(#[source] JwsError),
    /// A value this library built could not be serialised or formatted; a bug.
    #[error("internal: {reason}")]
    Internal { reason: String },
}

impl VcJwtError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Jws(e) => e.kind(),
            Self::KeyResolution { .. } => ErrorKind::NotFound,
            Self::Typ { .. }
            | Self::Cty { .. }
            | Self::NonceMismatch { .. }
            | Self::AudienceMismatch { .. }
            | Self::FromFuture { .. }
            | Self::HolderNotSubject { .. } => ErrorKind::Rejected,
            Self::Malformed { .. }
            | Self::Context { .. }
            | Self::Type { .. }
            | Self::MissingClaim { .. }
            | Self::InvalidClaim { .. }
            | Self::Envelope { .. }
            | Self::TooManyCredentials { .. } => ErrorKind::InvalidInput,
            Self::NotYetValid { .. } | Self::Expired { .. } | Self::Stale { .. } => {
                ErrorKind::Expired
            }
            Self::UnsupportedStatus { .. } => ErrorKind::Unsupported,
            Self::Credential { source, .. } => source.kind(),
            Self::Signing(e) => match e {
                JwsError::Serialize(_) => ErrorKind::Internal,
                other => other.kind(),
            },
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }
}
