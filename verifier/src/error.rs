//! The one error type of the verifier crate, and the one place it becomes a gRPC status.

/// What went wrong in the verifier, with what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// The configuration, or a file it names, is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// A request breaks a rule of the contract; the message names the field.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The request names something this verifier does not have.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller did not prove who it is.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The request store (Redis) is unreachable or failing. The verifier fails closed: without
    /// the store it cannot prove a nonce unused, so it accepts no presentation.
    #[error("request store unavailable: {0}")]
    StoreUnavailable(String),
    /// The registry could not be reached, or gave an answer that does not check.
    #[error("registry: {0}")]
    Registry(String),
    /// A server could not start or stopped.
    #[error("server: {0}")]
    Server(String),
    /// A bug: a state the verifier should never reach.
    #[error("internal: {0}")]
    Internal(String),
    /// The operating system's random source failed.
    #[error("no randomness: {0}")]
    Randomness(String),
}

impl VerifierError {
    /// The gRPC status code of this error: the one place the verifier maps errors to codes.
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            Self::InvalidRequest(_) => tonic::Code::InvalidArgument,
            Self::NotFound(_) => tonic::Code::NotFound,
            Self::PermissionDenied(_) => tonic::Code::PermissionDenied,
            Self::Unauthenticated(_) => tonic::Code::Unauthenticated,
            Self::StoreUnavailable(_) | Self::Registry(_) => tonic::Code::Unavailable,
            Self::Config(_) | Self::Server(_) | Self::Internal(_) | Self::Randomness(_) => {
                tonic::Code::Internal
            }
        }
    }
}

impl From<VerifierError> for tonic::Status {
    fn from(error: VerifierError) -> Self {
        tonic::Status::new(error.grpc_code(), error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::VerifierError;

    #[test]
    fn store_failures_are_unavailable_not_internal() {
        let status: tonic::Status = VerifierError::StoreUnavailable("redis down".into()).into();
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(status.message().contains("redis down"));
        assert_eq!(
            VerifierError::InvalidRequest("nonce".into()).grpc_code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            VerifierError::Randomness("x".into()).grpc_code(),
            tonic::Code::Internal
        );
    }
}
