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
//! Re-sealing: when governance changes an issuer's approvers (one added, one removed, a lost
//! key replaced), its records are reshared to the new set rather than decrypted and sealed
//! again. `k` old approvers each make a [`reshare_contribution`]: their own share, checked,
//! split again with Feldman commitments and sealed piece by piece to the new approvers;
//! the issuer combines them with [`reshare`](fn@reshare) into a new [`ThresholdSealed`] of the same
//! ciphertext, checking each contribution's signature and that it reshares its approver's
//! true share. No one sees the secret, the issuer included: each new approver alone opens
//! its pieces and combines them into its share. The new shares are independent of the old
//! ones, so an old share, a removed approver's included, is no use against the new sealing.
//! It still opens the old sealing together with `k - 1` other old shares: what takes that
//! away from a removed approver is the issuer deleting the old sealing once the new
//! approvers have checked their shares, not the resharing itself.
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
mod reshare;
#[cfg(test)]
mod reshare_tests;
mod sealed;
mod share;
mod suite;
#[cfg(test)]
mod tests;

pub use approver_keys::{ApproverPublic, ApproverSecret};
pub use error::EscrowError;
pub use officer_keys::OfficerSecret;
pub use reshare::{ReshareContribution, reshare, reshare_contribution};
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
/// The largest serialised [`ReshareContribution`] read, in bytes: room for
/// [`MAX_APPROVERS`] commitments and sealed sub-shares with their field names.
pub const MAX_RESHARE_CONTRIBUTION_JSON_LEN: usize = 32 * 1024;
/// The most contributions [`reshare`] reads: one per approver, more can only repeat one.
pub const MAX_RESHARE_CONTRIBUTIONS: usize = MAX_APPROVERS;

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
