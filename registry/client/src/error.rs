//! The one error type of a registry client.
//!
//! A client has no database: nothing here is about storage. What can go wrong is the
//! configuration it was given (a genesis file, an endpoint), an answer that does not prove
//! what it claims, no node answering in time, or the chain refusing a transaction.

use realdid_core::ErrorKind;

use crate::records::MalformedValue;

/// Why a registry client could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A genesis file or endpoint is unreadable or breaks a rule.
    #[error("configuration {path}: {reason}")]
    Config {
        /// The file (or setting) at fault.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A read asked of the client breaks one of its bounds (no key, or more than one
    /// proven read may carry): the caller is at fault, and no node was asked.
    #[error("{what}: {reason}")]
    InvalidRequest {
        /// The read asked.
        what: String,
        /// The bound it breaks.
        reason: String,
    },
    /// A proof, header or certificate from a node does not check out.
    #[error("proof does not verify: {reason}")]
    Proof {
        /// The first check that failed.
        reason: String,
    },
    /// No node gave a usable answer (unreachable, unproven, too old, timed out).
    #[error("unavailable: {reason}")]
    Unavailable {
        /// What each node did.
        reason: String,
    },
    /// The chain refused a transaction: retrying it unchanged will not help.
    #[error("the registry refused {what}: {reason}: {message}")]
    Rejected {
        /// What was submitted.
        what: String,
        /// The proto rejection reason's name.
        reason: String,
        /// The chain's message.
        message: String,
    },
    /// A local key could not sign (a governance approval).
    #[error("signing: {0}")]
    Signing(#[from] realdid_core::keys::KeyError),
    /// A local file could not be read.
    #[error("{context}: {source}")]
    Io {
        /// What the client was doing.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// The kind of failure, shared with core's errors.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Config { .. } | Self::InvalidRequest { .. } => ErrorKind::InvalidInput,
            Self::Proof { .. } => ErrorKind::InvalidSignature,
            Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::Signing(_) | Self::Io { .. } => ErrorKind::Internal,
        }
    }

    /// Shorthand for a failed proof check.
    pub fn proof(reason: impl Into<String>) -> Self {
        Self::Proof {
            reason: reason.into(),
        }
    }

    /// Shorthand for a bad configuration value.
    pub fn config(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Config {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// A value a node proved that does not decode: the node's answer is at fault.
impl From<MalformedValue> for ClientError {
    fn from(error: MalformedValue) -> Self {
        Self::proof(error.to_string())
    }
}
