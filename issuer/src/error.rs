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
    Randomness(#[source] getrandom::Error),
    /// The identity authority gave no usable answer (unreachable, refused the caller, rate
    /// limit, an answer it did not sign).
    #[error("identity authority: {reason}")]
    Authority {
        /// What went wrong, for the operator.
        reason: String,
        /// The transport's, the server's or the signature check's error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The registry could not be reached, answered with something that does not check (the
    /// issuer acts as if it had no answer), or refused a transaction.
    #[error("registry: {0}")]
    Registry(#[source] realdid_registry_client::ClientError),
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

    /// The identity authority gave no usable answer, for `reason`.
    pub fn authority(reason: impl Into<String>) -> Self {
        Self::Authority {
            reason: reason.into(),
            source: None,
        }
    }

    /// The identity authority gave no usable answer, for `reason`, because of `source`.
    pub fn authority_because(
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Authority {
            reason: reason.into(),
            source: Some(Box::new(source)),
        }
    }

    /// What kind of failure this is: the one place the issuer decides it, for gRPC codes
    /// ([`IssuerError::grpc_code`]) and exit statuses alike.
    pub fn kind(&self) -> realdid_core::ErrorKind {
        use realdid_core::ErrorKind as K;
        use realdid_registry_client::ClientError as C;
        match self {
            Self::InvalidRequest(_) => K::InvalidInput,
            Self::Unauthenticated(_) => K::Unauthenticated,
            Self::PermissionDenied(_) => K::PermissionDenied,
            Self::NotFound(_) => K::NotFound,
            Self::FailedPrecondition(_) => K::Rejected,
            Self::Exhausted(_) => K::Exhausted,
            // A refusal by the chain: retrying it unchanged will not help. The issuer's own
            // registry settings being unusable is its setup's fault. Anything else from the
            // registry is no usable answer.
            Self::Registry(C::Rejected { .. }) => K::Rejected,
            Self::Registry(
                C::Config { .. } | C::InvalidRequest { .. } | C::Signing(_) | C::Io { .. },
            ) => K::Internal,
            Self::Authority { .. } | Self::Registry(_) => K::Unavailable,
            Self::Storage { .. }
            | Self::Corrupt(_)
            | Self::Config(_)
            | Self::Randomness(_)
            | Self::Server(_)
            | Self::Internal(_) => K::Internal,
        }
    }

    /// The gRPC status code of this error, by its kind.
    pub fn grpc_code(&self) -> tonic::Code {
        tonic::Code::from(self.kind().grpc_code())
    }
}

impl From<realdid_registry_client::ClientError> for IssuerError {
    fn from(error: realdid_registry_client::ClientError) -> Self {
        IssuerError::Registry(error)
    }
}

impl From<IssuerError> for tonic::Status {
    fn from(error: IssuerError) -> Self {
        tonic::Status::new(error.grpc_code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use realdid_registry_client::ClientError;

    use super::IssuerError;

    #[test]
    fn registry_failures_keep_their_source_and_their_kind() {
        let refused = IssuerError::from(ClientError::Rejected {
            what: "an anchor".into(),
            reason: "STALE".into(),
            message: "sequence 3 is not after 4".into(),
        });
        assert_eq!(refused.grpc_code(), tonic::Code::FailedPrecondition);
        assert!(
            refused
                .source()
                .is_some_and(|s| s.to_string().contains("sequence 3"))
        );
        let silent = IssuerError::from(ClientError::Unavailable {
            reason: "no node answered".into(),
        });
        assert_eq!(silent.grpc_code(), tonic::Code::Unavailable);
        let forged = IssuerError::from(ClientError::proof("the path does not hash to the root"));
        assert_eq!(forged.grpc_code(), tonic::Code::Unavailable);
        assert_eq!(
            IssuerError::InvalidRequest("resident_id".into()).grpc_code(),
            tonic::Code::InvalidArgument
        );
    }
}
