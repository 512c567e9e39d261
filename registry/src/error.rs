//! The one error type of the registry node.
//!
//! Rejections of transactions are decisions, not errors: they are
//! [`crate::execute::Rejection`] values. [`RegistryError`] is for everything that keeps the
//! node from answering: bad configuration, a proof that does not verify, an engine that
//! went away. Among those, a [`Fault`] is apart: the node's own data or execution can no
//! longer be trusted (a damaged database, a block that diverges), and the node stops
//! rather than answer from it. Everything else fails one request or one start, and the
//! node goes on. gRPC codes are chosen in one place, [`RegistryError::grpc_code`].

use realdid_core::ErrorKind;

/// What stops a node for good: its data directory or its execution disagrees with itself
/// or with the chain. Retrying cannot help and answering would spread the damage; the
/// operator restores the data directory (or moves it aside and resyncs).
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// RocksDB failed.
    #[error("storage: {context}: {source}")]
    Storage {
        /// What the node was doing.
        context: &'static str,
        /// The RocksDB error.
        #[source]
        source: rocksdb::Error,
    },
    /// The data directory holds data that does not agree with itself (a truncated or edited
    /// database). The node refuses to start rather than diverge.
    #[error("data directory is damaged: {reason}")]
    Corrupt {
        /// What does not agree.
        reason: String,
    },
    /// The data directory was written by a build that lays the state out differently. Not
    /// damage: the node refuses it rather than misread it.
    #[error(
        "state directory {dir} holds state format {found}, this build reads format {expected}: \
         move the data directory aside and start the node with an empty one \
         (a devnet is simply generated again)"
    )]
    StateFormat {
        /// The state directory.
        dir: String,
        /// The format it was written in.
        found: u32,
        /// The format this build reads.
        expected: u32,
    },
    /// A finalized block does not agree with what this node computed from its own state (a
    /// different state root, parent or transaction list). The node must stop: applying the
    /// block would silently diverge from the other validators.
    #[error("block {height} does not agree with local execution: {reason}")]
    Diverged {
        /// The height of the block.
        height: u64,
        /// What differs.
        reason: String,
    },
    /// The Merkle tree library failed while reading or updating the state tree.
    #[error("state tree: {reason}")]
    Tree {
        /// The library's message.
        reason: String,
    },
}

/// Why the node could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A configuration or genesis file is unreadable or breaks a rule.
    #[error("configuration {path}: {reason}")]
    Config {
        /// The file (or setting) at fault.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The node's own data or execution cannot be trusted: it must stop.
    #[error(transparent)]
    Fault(#[from] Fault),
    /// A proof, header or certificate does not check out.
    #[error("proof does not verify: {reason}")]
    Proof {
        /// The first check that failed.
        reason: String,
    },
    /// A request names something that is not there (a height not yet finalized, say).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The request is malformed.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with it.
        reason: String,
    },
    /// The node cannot serve this now (still syncing, shutting down, no node answered).
    #[error("unavailable: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
    /// The node's limits refuse this now: a full lane of the pending pool, or a client over
    /// its rate. Retrying later may succeed.
    #[error("busy: {reason}")]
    Busy {
        /// Which limit.
        reason: String,
    },
    /// The chain refused a transaction (a decision, reported as an error to callers that
    /// needed it final: retrying it unchanged will not help).
    #[error("the registry refused {what}: {reason}: {message}")]
    Rejected {
        /// What was submitted.
        what: String,
        /// The proto rejection reason's name.
        reason: String,
        /// The chain's message.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What the node was doing.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl RegistryError {
    /// The kind of failure, shared with core's errors.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Config { .. } | Self::InvalidRequest { .. } => ErrorKind::InvalidInput,
            Self::Proof { .. } => ErrorKind::InvalidSignature,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::Busy { .. } => ErrorKind::Exhausted,
            Self::Fault(_) | Self::Io { .. } => ErrorKind::Internal,
        }
    }

    /// The gRPC status code for this error: the only place the mapping is made.
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            Self::Config { .. } | Self::InvalidRequest { .. } => tonic::Code::InvalidArgument,
            Self::Proof { .. } => tonic::Code::DataLoss,
            Self::NotFound { .. } => tonic::Code::NotFound,
            Self::Unavailable { .. } => tonic::Code::Unavailable,
            Self::Busy { .. } => tonic::Code::ResourceExhausted,
            Self::Rejected { .. } => tonic::Code::FailedPrecondition,
            Self::Fault(_) | Self::Io { .. } => tonic::Code::Internal,
        }
    }

    /// The fault behind this error, when the node must stop rather than go on.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            Self::Fault(fault) => Some(fault),
            _ => None,
        }
    }

    /// Shorthand for a storage error.
    pub fn storage(context: &'static str) -> impl FnOnce(rocksdb::Error) -> Self {
        move |source| Fault::Storage { context, source }.into()
    }

    /// Shorthand for a damaged data directory.
    pub fn corrupt(reason: impl Into<String>) -> Self {
        Fault::Corrupt {
            reason: reason.into(),
        }
        .into()
    }

    /// Shorthand for a failure of the state tree library.
    pub fn tree(reason: impl Into<String>) -> Self {
        Fault::Tree {
            reason: reason.into(),
        }
        .into()
    }

    /// Shorthand for a failed proof check.
    pub fn proof(reason: impl Into<String>) -> Self {
        Self::Proof {
            reason: reason.into(),
        }
    }
}

/// A client-side failure met by the node (reading its genesis file, say).
impl From<realdid_registry_client::ClientError> for RegistryError {
    fn from(error: realdid_registry_client::ClientError) -> Self {
        use realdid_registry_client::ClientError as C;
        match error {
            C::Config { path, reason } => Self::Config { path, reason },
            C::InvalidRequest { what, reason } => Self::InvalidRequest {
                reason: format!("{what}: {reason}"),
            },
            C::Proof { reason } => Self::Proof { reason },
            C::Unavailable { reason } => Self::Unavailable { reason },
            C::Rejected {
                what,
                reason,
                message,
            } => Self::Rejected {
                what,
                reason,
                message,
            },
            C::Io { context, source } => Self::Io { context, source },
            C::Signing(e) => Self::InvalidRequest {
                reason: e.to_string(),
            },
        }
    }
}

/// A value in the node's own database that does not decode: the data directory is damaged.
impl From<realdid_registry_client::records::MalformedValue> for RegistryError {
    fn from(error: realdid_registry_client::records::MalformedValue) -> Self {
        Self::corrupt(format!("stored {error}"))
    }
}

impl From<RegistryError> for tonic::Status {
    fn from(error: RegistryError) -> Self {
        tonic::Status::new(error.grpc_code(), error.to_string())
    }
}
