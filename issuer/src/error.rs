//! The one error type of the issuer crate, and the one place it becomes a gRPC status.

/// What went wrong in the issuer, with what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// RocksDB refused an operation.
    #[error("{context}: {source}")]
    Storage {
        /// What the issuer was doing.
        context: &'static str,
        /// RocksDB's error.
        #[source]
        source: rocksdb::Error,
    },
    /// Stored data does not have the shape the issuer wrote.
    #[error("data directory is damaged: {0}")]
    Corrupt(String),
    /// The configuration, or a file it names, is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// A request breaks a rule of the contract; the message names the field.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The caller did not prove who it is (no session, a bad password, a bad proof).
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The request names something this issuer does not have.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request is well formed but the thing it acts on is in the wrong state.
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// The caller asked too often, or a capacity is used up.
    #[error("resource exhausted: {0}")]
    Exhausted(String),
    /// The operating system's random source failed.
    #[error("no randomness: {0}")]
    Randomness(String),
    /// The identity authority gave no answer (unreachable, refused the caller, rate limit).
    #[error("identity authority: {0}")]
    Authority(String),
    /// The registry could not be reached, or did not make a transaction final.
    #[error("registry: {0}")]
    Registry(String),
    /// The registry answered with something that does not check (a bad proof): it is not
    /// to be trusted, and the issuer acts as if it had no answer.
    #[error("registry answer does not check: {0}")]
    RegistryProof(String),
    /// A server could not start or stopped.
    #[error("server: {0}")]
    Server(String),
    /// A bug: a state the issuer should never reach.
    #[error("internal: {0}")]
    Internal(String),
}

impl IssuerError {
    /// A RocksDB error mapper for `map_err`, naming what was being done.
    pub fn storage(context: &'static str) -> impl FnOnce(rocksdb::Error) -> IssuerError {
        move |source| IssuerError::Storage { context, source }
    }

    /// The gRPC status code of this error: the one place the issuer maps errors to codes.
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            Self::InvalidRequest(_) => tonic::Code::InvalidArgument,
            Self::Unauthenticated(_) => tonic::Code::Unauthenticated,
            Self::PermissionDenied(_) => tonic::Code::PermissionDenied,
            Self::NotFound(_) => tonic::Code::NotFound,
            Self::FailedPrecondition(_) => tonic::Code::FailedPrecondition,
            Self::Exhausted(_) => tonic::Code::ResourceExhausted,
            Self::Authority(_) | Self::Registry(_) | Self::RegistryProof(_) => {
                tonic::Code::Unavailable
            }
            Self::Storage { .. }
            | Self::Corrupt(_)
            | Self::Config(_)
            | Self::Randomness(_)
            | Self::Server(_)
            | Self::Internal(_) => tonic::Code::Internal,
        }
    }
}

impl From<realdid_registry_client::ClientError> for IssuerError {
    /// A refusal by the chain is a failed precondition (retrying will not help); anything
    /// else from the registry client means no usable answer (UNAVAILABLE).
    fn from(error: realdid_registry_client::ClientError) -> Self {
        match error {
            realdid_registry_client::ClientError::Rejected { .. } => {
                IssuerError::FailedPrecondition(error.to_string())
            }
            realdid_registry_client::ClientError::Config { .. } => {
                IssuerError::Config(error.to_string())
            }
            other => IssuerError::Registry(other.to_string()),
        }
    }
}

impl From<IssuerError> for tonic::Status {
    fn from(error: IssuerError) -> Self {
        tonic::Status::new(error.grpc_code(), error.to_string())
    }
}
