//! Why a transaction is refused: a decision of the rules, not a failure of the node.

use realdid_core::did::DidError;
use realdid_proto::v1::TransactionRejectionReason;

/// The rule a transaction broke; mirrors `realdid.v1.TransactionRejectionReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// The transaction is not well formed (an empty field, a sequence of zero, a malformed
    /// key inside a DID operation).
    Malformed,
    /// A signature inside the transaction does not verify.
    BadSignature,
    /// The signer may not do this: not a controller key of the DID, no quorum of governance
    /// keys, or not an assertionMethod key of the issuer.
    Unauthorized,
    /// Built on a state that is no longer current: a DID operation naming a superseded
    /// previous operation, or a governance nonce already used. Replays end here.
    Stale,
    /// A create for a DID that already exists.
    DidAlreadyExists,
    /// An operation on (or an accreditation of) a DID that does not exist.
    DidNotFound,
    /// An operation on (or an accreditation of, or an anchor by) a deactivated DID.
    DidDeactivated,
    /// The DID operation or document breaks the did:realdid method's rules.
    InvalidDidOperation,
    /// An anchor or a removal names an issuer that is not (or no longer) accredited.
    IssuerNotAccredited,
    /// A status-list anchor that does not go forward, or an audit anchor already anchored.
    AnchorConflict,
}

impl RejectReason {
    /// The reason as the gRPC contract spells it.
    pub fn to_proto(self) -> TransactionRejectionReason {
        match self {
            Self::Malformed => TransactionRejectionReason::Malformed,
            Self::BadSignature => TransactionRejectionReason::BadSignature,
            Self::Unauthorized => TransactionRejectionReason::Unauthorized,
            Self::Stale => TransactionRejectionReason::Stale,
            Self::DidAlreadyExists => TransactionRejectionReason::DidAlreadyExists,
            Self::DidNotFound => TransactionRejectionReason::DidNotFound,
            Self::DidDeactivated => TransactionRejectionReason::DidDeactivated,
            Self::InvalidDidOperation => TransactionRejectionReason::InvalidDidOperation,
            Self::IssuerNotAccredited => TransactionRejectionReason::IssuerNotAccredited,
            Self::AnchorConflict => TransactionRejectionReason::AnchorConflict,
        }
    }
}

/// A transaction the chain will not apply, with the first rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Which rule.
    pub reason: RejectReason,
    /// What was wrong, in English, for logs and people (not to be parsed).
    pub message: String,
}

impl Rejection {
    /// A rejection for `reason` saying `message`.
    pub fn new(reason: RejectReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.reason, self.message)
    }
}

impl std::error::Error for Rejection {}

impl From<DidError> for Rejection {
    fn from(error: DidError) -> Self {
        let reason = match &error {
            DidError::AlreadyExists { .. } => RejectReason::DidAlreadyExists,
            DidError::NotFound { .. } => RejectReason::DidNotFound,
            DidError::Deactivated { .. } => RejectReason::DidDeactivated,
            DidError::StaleOperation { .. } => RejectReason::Stale,
            DidError::UnauthorisedKey { .. } | DidError::RecoveryKeyMismatch { .. } => {
                RejectReason::Unauthorized
            }
            DidError::BadSignature { .. } => RejectReason::BadSignature,
            DidError::Key(_) => RejectReason::Malformed,
            DidError::InvalidDid { .. }
            | DidError::InvalidKeyId { .. }
            | DidError::InvalidDocument { .. }
            | DidError::DidMismatch { .. }
            | DidError::RecoveryCommitmentReused { .. } => RejectReason::InvalidDidOperation,
        };
        Self::new(reason, error.to_string())
    }
}
