//! The kinds of failure shared by every error type in core.
//!
//! Each module has its own error enum with structured context; each of those has a `kind()`
//! returning an [`ErrorKind`], so that a service maps failures to transport codes (gRPC,
//! HTTP, exit codes) in exactly one place without matching on every variant.

/// What kind of failure an error is, independent of where it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input is malformed: it does not parse, is too large, or breaks a format rule.
    InvalidInput,
    /// A signature, digest or proof does not verify.
    InvalidSignature,
    /// The input is well formed but not allowed against the current state (stale, replayed,
    /// not authorised by the keys the state names).
    Rejected,
    /// The input is well formed and authentic but outside its validity window.
    Expired,
    /// The input uses an algorithm, key type or feature this implementation does not support.
    Unsupported,
    /// Something the input refers to does not exist.
    NotFound,
    /// The caller did not prove who it is.
    Unauthenticated,
    /// The caller is known but may not do this.
    PermissionDenied,
    /// The caller asked too often, or a capacity is used up: later may work.
    Exhausted,
    /// Something the service depends on (the registry, a store, the identity authority)
    /// gave no usable answer: later may work, the input was not at fault.
    Unavailable,
    /// An invariant broke, or the service's own setup is unusable; not the caller's fault.
    Internal,
}

/// gRPC status codes by their numbers in the specification.
mod grpc {
    pub const CANCELLED: i32 = 1;
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const DEADLINE_EXCEEDED: i32 = 4;
    pub const NOT_FOUND: i32 = 5;
    pub const ALREADY_EXISTS: i32 = 6;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const FAILED_PRECONDITION: i32 = 9;
    pub const ABORTED: i32 = 10;
    pub const OUT_OF_RANGE: i32 = 11;
    pub const UNIMPLEMENTED: i32 = 12;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
}

impl ErrorKind {
    /// The gRPC status code of this kind of failure, by its number in the gRPC
    /// specification (`grpc/doc/statuscodes.md`): the one mapping every service uses, kept
    /// here as a number so that core needs no transport crate.
    pub fn grpc_code(self) -> i32 {
        use grpc::*;
        match self {
            Self::InvalidInput | Self::InvalidSignature => INVALID_ARGUMENT,
            Self::Rejected | Self::Expired => FAILED_PRECONDITION,
            Self::Unsupported => UNIMPLEMENTED,
            Self::NotFound => NOT_FOUND,
            Self::Unauthenticated => UNAUTHENTICATED,
            Self::PermissionDenied => PERMISSION_DENIED,
            Self::Exhausted => RESOURCE_EXHAUSTED,
            Self::Unavailable => UNAVAILABLE,
            Self::Internal => INTERNAL,
        }
    }

    /// The kind of failure a gRPC status code (by number) reports, for a client that met
    /// it: the inverse of [`ErrorKind::grpc_code`]. Codes no service of this project sends
    /// (cancelled, deadline exceeded, unknown, ...) are the peer's or the way's failure.
    pub fn of_grpc_code(code: i32) -> Self {
        use grpc::*;
        match code {
            INVALID_ARGUMENT | OUT_OF_RANGE => Self::InvalidInput,
            FAILED_PRECONDITION | ALREADY_EXISTS | ABORTED => Self::Rejected,
            UNIMPLEMENTED => Self::Unsupported,
            NOT_FOUND => Self::NotFound,
            UNAUTHENTICATED => Self::Unauthenticated,
            PERMISSION_DENIED => Self::PermissionDenied,
            RESOURCE_EXHAUSTED => Self::Exhausted,
            UNAVAILABLE | DEADLINE_EXCEEDED | CANCELLED => Self::Unavailable,
            _ => Self::Internal,
        }
    }

    /// Whether the failure is the input's (refused as it is) rather than the service's or a
    /// dependency's: what a command's exit status tells apart.
    pub fn is_refusal(self) -> bool {
        match self {
            Self::InvalidInput
            | Self::InvalidSignature
            | Self::Rejected
            | Self::Expired
            | Self::Unsupported
            | Self::NotFound
            | Self::Unauthenticated
            | Self::PermissionDenied => true,
            Self::Exhausted | Self::Unavailable | Self::Internal => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind as K;

    #[test]
    fn a_kind_sent_as_a_grpc_code_is_read_back_as_the_same_kind_of_failure() {
        let all = [
            K::InvalidInput,
            K::InvalidSignature,
            K::Rejected,
            K::Expired,
            K::Unsupported,
            K::NotFound,
            K::Unauthenticated,
            K::PermissionDenied,
            K::Exhausted,
            K::Unavailable,
            K::Internal,
        ];
        for kind in all {
            let read = K::of_grpc_code(kind.grpc_code());
            // Two codes carry two kinds each; what a client decides on (refusal or not)
            // survives the trip.
            let expected = match kind {
                K::InvalidSignature => K::InvalidInput,
                K::Expired => K::Rejected,
                other => other,
            };
            assert_eq!(read, expected, "{kind:?}");
            assert_eq!(read.is_refusal(), kind.is_refusal(), "{kind:?}");
        }
        // A deadline the client gave up on is the way's failure, not the input's.
        assert_eq!(K::of_grpc_code(4), K::Unavailable);
        assert_eq!(K::of_grpc_code(2), K::Internal);
    }
}
