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
    /// An invariant of this library broke; a bug, not the caller's fault.
    Internal,
}
