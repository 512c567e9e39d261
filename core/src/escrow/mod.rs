//! Threshold escrow of identity records: no single party, the issuer included, can open one.
//!
//! Lawful tracing needs the real identity behind a DID to be recoverable, and the people
//! it protects need it to be recoverable only by due process. A record encrypted under a
//! key the issuer holds fails the second need: whoever takes the issuer's host, database
//! and secrets together reads every record, silently. So the issuer stores each record
//! only in a form ([`ThresholdSealed`]) that needs `k` of the record's `n` approvers to
//! cooperate before anyone can read it, and each opening is bound to the anchor hash of its
//! audit record on the chain, so an opening that was not anchored cannot happen.
//!
//! The flow:
//!
//! 1. [`seal`]: the record is encrypted under a fresh key derived from a fresh secret; the
//!    secret is split k-of-n with Feldman commitments and each share is sealed (HPKE) to
//!    one approver's X25519 key. The secret and the key are then forgotten.
//! 2. [`release_share`]: each approver who agrees to an opening opens its own share, checks
//!    it against the commitments, and seals it to the requesting officer for that record
//!    and that anchor hash only.
//! 3. [`open`]: the officer opens k released shares, checks each against the commitments
//!    (a wrong one names its approver instead of spoiling the result), recombines the
//!    secret and decrypts.
//!
//! Keys: each approver has an [`ApproverSecret`] (an Ed25519 key for signing approvals and
//! a separate X25519 key for shares) whose [`ApproverPublic`] half the issuer knows; the
//! officer has an [`OfficerSecret`]. Every primitive comes from a maintained crate: `hpke`
//! (RFC 9180, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), `vsss-rs`
//! (Feldman's verifiable secret sharing over ristretto255), `hkdf` and `chacha20poly1305`.
//!
//! Every input is bounded before it costs anything: at most [`MAX_APPROVERS`] approvers,
//! records of at most [`MAX_RECORD_LEN`] bytes, ids of at most [`MAX_ID_LEN`] and
//! [`MAX_RECORD_ID_LEN`] bytes, and sizes for each serialised form.

mod approver_keys;
mod binding;
mod error;
mod feldman;
mod key_file;
mod officer_keys;
mod sealed;
mod share;
mod suite;
#[cfg(test)]
mod tests;

pub use approver_keys::{ApproverPublic, ApproverSecret};
pub use error::EscrowError;
pub use officer_keys::OfficerSecret;
pub use sealed::{ThresholdSealed, seal};
pub use share::{ReleasedShare, open, release_share};
pub use suite::HpkePublicKey;

/// The most approvers a record can be sealed to.
pub const MAX_APPROVERS: usize = 32;
/// The largest record that can be sealed, in bytes.
pub const MAX_RECORD_LEN: usize = 64 * 1024;
/// The longest approver id, in bytes (the issuer's limit for approver key ids).
pub const MAX_ID_LEN: usize = 64;
/// The longest record id, in bytes.
pub const MAX_RECORD_ID_LEN: usize = 128;
/// The most released shares [`open`] reads: every approver's, each twice.
pub const MAX_RELEASED_SHARES: usize = 2 * MAX_APPROVERS;
/// The largest key file (approver or officer, secret or public) read, in bytes.
pub const MAX_KEY_FILE_LEN: usize = 4 * 1024;
/// The largest serialised [`ThresholdSealed`] read, in bytes.
pub const MAX_SEALED_JSON_LEN: usize = 128 * 1024;
/// The largest serialised [`ReleasedShare`] read, in bytes.
pub const MAX_RELEASED_SHARE_JSON_LEN: usize = 2 * 1024;

/// Checks an id: 1 to `max` bytes, no control characters (ids end up in logs and audit
/// records, where a newline or an escape sequence could forge or hide a line).
fn check_id(what: &'static str, id: &str, max: usize) -> Result<(), EscrowError> {
    let reason = if id.is_empty() {
        "it is empty"
    } else if id.len() > max {
        "it is too long"
    } else if id.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    let mut shown = id.to_owned();
    if shown.len() > max {
        let mut cut = max;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
    }
    Err(EscrowError::BadId {
        what,
        id: shown,
        reason,
    })
}
