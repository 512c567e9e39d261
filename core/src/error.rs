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

impl ErrorKind {
    /// The gRPC status code of this kind of failure, by its number in the gRPC
    /// specification (`grpc/doc/statuscodes.md`): the one mapping every service uses, kept
    /// here as a number so that core needs no transport crate.
    pub fn grpc_code(self) -> i32 {
        const INVALID_ARGUMENT: i32 = 3;
        const NOT_FOUND: i32 = 5;
        const PERMISSION_DENIED: i32 = 7;
        const RESOURCE_EXHAUSTED: i32 = 8;
        const FAILED_PRECONDITION: i32 = 9;
        const UNIMPLEMENTED: i32 = 12;
        const INTERNAL: i32 = 13;
        const UNAVAILABLE: i32 = 14;
        const UNAUTHENTICATED: i32 = 16;
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
