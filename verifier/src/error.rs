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
    #[error("request store unavailable: {reason}")]
    StoreUnavailable {
        /// Which operation failed, and how.
        reason: String,
        /// Redis's own error, when it gave one (not for a timeout or a full memory store).
        #[source]
        source: Option<redis::RedisError>,
    },
    /// A remote verifier (for a provider's client) cannot answer now.
    #[error("verifier unavailable: {0}")]
    Unavailable(String),
    /// A server could not start or stopped.
    #[error("server: {0}")]
    Server(String),
    /// A bug: a state the verifier should never reach.
    #[error("internal: {0}")]
    Internal(String),
    /// The operating system's random source failed.
    #[error("no randomness: {0}")]
    Randomness(#[source] getrandom::Error),
}

impl VerifierError {
    /// What kind of failure this is: the one place the verifier decides it, for gRPC codes
    /// ([`VerifierError::grpc_code`]) and exit statuses alike.
    pub fn kind(&self) -> realdid_core::ErrorKind {
        use realdid_core::ErrorKind as K;
        match self {
            Self::InvalidRequest(_) => K::InvalidInput,
            Self::NotFound(_) => K::NotFound,
            Self::PermissionDenied(_) => K::PermissionDenied,
            Self::Unauthenticated(_) => K::Unauthenticated,
            Self::StoreUnavailable { .. } | Self::Unavailable(_) => K::Unavailable,
            Self::Config(_) | Self::Server(_) | Self::Internal(_) | Self::Randomness(_) => {
                K::Internal
            }
        }
    }

    /// The request store cannot answer, for `reason`.
    pub fn store_unavailable(reason: impl Into<String>) -> Self {
        Self::StoreUnavailable {
            reason: reason.into(),
            source: None,
        }
    }

    /// The gRPC status code of this error, by its kind.
    pub fn grpc_code(&self) -> tonic::Code {
        tonic::Code::from(self.kind().grpc_code())
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
        let status: tonic::Status = VerifierError::store_unavailable("redis down").into();
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(status.message().contains("redis down"));
        assert_eq!(
            VerifierError::InvalidRequest("nonce".into()).grpc_code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            VerifierError::Randomness(getrandom::Error::UNSUPPORTED).grpc_code(),
            tonic::Code::Internal
        );
    }

    #[test]
    fn every_kind_has_the_grpc_code_its_name_says() {
        use realdid_core::ErrorKind as K;
        use tonic::Code as C;
        for (kind, code) in [
            (K::InvalidInput, C::InvalidArgument),
            (K::InvalidSignature, C::InvalidArgument),
            (K::Rejected, C::FailedPrecondition),
            (K::Expired, C::FailedPrecondition),
            (K::Unsupported, C::Unimplemented),
            (K::NotFound, C::NotFound),
            (K::Unauthenticated, C::Unauthenticated),
            (K::PermissionDenied, C::PermissionDenied),
            (K::Exhausted, C::ResourceExhausted),
            (K::Unavailable, C::Unavailable),
            (K::Internal, C::Internal),
        ] {
            assert_eq!(C::from(kind.grpc_code()), code, "{kind:?}");
            assert_eq!(
                kind.is_refusal(),
                !matches!(kind, K::Exhausted | K::Unavailable | K::Internal),
                "{kind:?}"
            );
        }
    }
}
