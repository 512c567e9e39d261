//! The one error type of the issuer crate.

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
    /// A request breaks a rule; the message says which.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The operating system's random source failed.
    #[error("no randomness: {0}")]
    Randomness(String),
    /// The identity authority gave no answer (unreachable, refused the caller, rate limit).
    #[error("identity authority: {0}")]
    Authority(String),
    /// A server could not start or stopped.
    #[error("server: {0}")]
    Server(String),
}

impl IssuerError {
    /// A RocksDB error mapper for `map_err`, naming what was being done.
    pub fn storage(context: &'static str) -> impl FnOnce(rocksdb::Error) -> IssuerError {
        move |source| IssuerError::Storage { context, source }
    }
}

impl IssuerError {
    /// The gRPC status code of this error: the one place the issuer maps errors to codes.
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            Self::InvalidRequest(_) => tonic::Code::InvalidArgument,
            Self::Authority(_) => tonic::Code::Unavailable,
            Self::Storage { .. } | Self::Corrupt(_) | Self::Randomness(_) | Self::Server(_) => {
                tonic::Code::Internal
            }
        }
    }
}

impl From<IssuerError> for tonic::Status {
    fn from(error: IssuerError) -> Self {
        tonic::Status::new(error.grpc_code(), error.to_string())
    }
}
