//! What a verification concludes.

use std::collections::BTreeMap;

/// Why a presentation was not verified: the contract's `VerificationFailureReason`, in the
/// order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No open request has this id.
    RequestUnknown,
    /// The request expired.
    RequestExpired,
    /// The request already took a verdict.
    NonceReplayed,
    /// Not a well-formed SD-JWT VC with key binding.
    Malformed,
    /// The issuer's DID is absent, deactivated, or lacks the signing key.
    IssuerDidState,
    /// The issuer's signature does not verify.
    IssuerSignature,
    /// The issuer is not accredited (for this type).
    IssuerNotAccredited,
    /// The type is not accepted by the request or the verifier.
    CredentialTypeNotAccepted,
    /// Not valid yet.
    NotYetValid,
    /// Expired.
    Expired,
    /// The holder's DID no longer authorises the credential's key.
    HolderDidState,
    /// Key binding fails.
    HolderBinding,
    /// The KB-JWT names another audience.
    AudienceMismatch,
    /// The KB-JWT carries another nonce.
    NonceMismatch,
    /// The status could not be established.
    StatusUnavailable,
    /// Revoked.
    Revoked,
    /// Suspended.
    Suspended,
    /// A wanted claim is not disclosed.
    PolicyClaimMissing,
    /// A wanted predicate is not disclosed as `true`.
    PolicyPredicateUnsatisfied,
    /// The registry could not be reached or its answer did not check.
    RegistryUnavailable,
}

/// A failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The first check that failed.
    pub reason: FailureReason,
    /// Detail for logs and people; never an undisclosed claim value.
    pub message: String,
    /// For the policy reasons, the claim or predicate concerned.
    pub claim: String,
}

impl Failure {
    /// A failure with no claim named.
    pub fn new(reason: FailureReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            claim: String::new(),
        }
    }
}

/// A presentation that passed every check: what the provider asked for, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Each asked-for claim as compact JSON text.
    pub claims: BTreeMap<String, String>,
    /// The asked-for predicates (all hold).
    pub predicates: Vec<String>,
    /// The issuer's DID.
    pub issuer_did: String,
    /// The credential type.
    pub credential_type: String,
    /// The per-provider subject id.
    pub subject_id: String,
    /// `iat`, Unix ms.
    pub issued_at_ms: i64,
    /// `exp`, Unix ms.
    pub expires_at_ms: Option<i64>,
    /// When verified, Unix ms.
    pub verified_at_ms: i64,
    /// The highest registry height the checks read.
    pub registry_height: u64,
}

/// A verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every check passed.
    Verified(Verified),
    /// A check failed.
    Failed(Failure),
}
