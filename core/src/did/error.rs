//! Errors of DID parsing and of the did:realdid operation rules.

use crate::ErrorKind;
use crate::keys::KeyError;

/// Why a DID, a DID document state or a DID operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum DidError {
    /// The text is not a DID of a method realdid resolves.
    #[error("invalid DID {input:?}: {reason}")]
    InvalidDid { input: String, reason: String },
    /// A key id (DID URL fragment) breaks the syntax rule.
    #[error("invalid key id {input:?}: {reason}")]
    InvalidKeyId { input: String, reason: String },
    /// The document state breaks a rule of the method (limits, duplicates, no controller key).
    #[error("invalid DID document: {reason}")]
    InvalidDocument { reason: String },
    /// A key inside the operation or DID is malformed or unsupported.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A create names a DID that already exists.
    #[error("{did} already exists")]
    AlreadyExists { did: String },
    /// The operation names a DID that has never been created.
    #[error("{did} does not exist")]
    NotFound { did: String },
    /// The DID was deactivated; nothing can change it any more.
    #[error("{did} is deactivated")]
    Deactivated { did: String },
    /// The operation was built on another version than the current one: a replay, or a race
    /// lost to a concurrent operation.
    #[error("{did}: operation builds on {claimed}, but the current operation is {current}")]
    StaleOperation {
        did: String,
        claimed: String,
        current: String,
    },
    /// The operation's DID does not match the DID its content derives.
    #[error("operation is for {claimed}, but its content derives {derived}")]
    DidMismatch { claimed: String, derived: String },
    /// The signer key id is not in the document, or lacks the purpose the operation needs.
    #[error("{did}: key {key_id} may not sign {operation}: {reason}")]
    UnauthorisedKey {
        did: String,
        key_id: String,
        operation: &'static str,
        reason: &'static str,
    },
    /// The revealed recovery key does not hash to the committed value.
    #[error("{did}: recovery key does not match the recovery commitment")]
    RecoveryKeyMismatch { did: String },
    /// A recovery must commit to a new recovery key.
    #[error("{did}: recovery must commit to a new recovery key")]
    RecoveryCommitmentReused { did: String },
    /// The operation's signature does not verify.
    #[error("{did}: {operation} signature does not verify")]
    BadSignature {
        did: String,
        operation: &'static str,
    },
}

impl DidError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidDid { .. }
            | Self::InvalidKeyId { .. }
            | Self::InvalidDocument { .. }
            | Self::DidMismatch { .. } => ErrorKind::InvalidInput,
            Self::Key(e) => e.kind(),
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::AlreadyExists { .. }
            | Self::Deactivated { .. }
            | Self::StaleOperation { .. }
            | Self::UnauthorisedKey { .. }
            | Self::RecoveryKeyMismatch { .. }
            | Self::RecoveryCommitmentReused { .. } => ErrorKind::Rejected,
            Self::BadSignature { .. } => ErrorKind::InvalidSignature,
        }
    }
}
