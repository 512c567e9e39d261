//! What can go wrong when sealing, releasing, opening or resharing an escrowed record.

use crate::ErrorKind;

/// Why a record could not be sealed, a share released, a record opened or reshared.
///
/// Every refusal that an approver caused names that approver, so that the officer can leave
/// the share out and ask the others, and the audit can say who released something unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscrowError {
    /// The threshold is outside `2 ..= approvers`. One approver alone must not be able to
    /// open a record, and a threshold above the number of approvers opens nothing ever.
    #[error(
        "a threshold of {threshold} of {approvers} approvers is not allowed: it needs 2 <= threshold <= approvers"
    )]
    BadThreshold {
        /// The threshold asked for.
        threshold: usize,
        /// The number of approvers given.
        approvers: usize,
    },
    /// Two approvers have the same id.
    #[error("approver {id:?} is named twice")]
    DuplicateApprover {
        /// The repeated id.
        id: String,
    },
    /// Two approvers share a key: one party would hold two shares.
    #[error("approvers {first:?} and {second:?} have the same {key} key")]
    DuplicateApproverKey {
        /// The first approver with the key.
        first: String,
        /// The second approver with the key.
        second: String,
        /// Which key: "Ed25519" or "X25519".
        key: &'static str,
    },
    /// An id (record or approver) is empty, too long or uses characters outside the
    /// allowed set.
    #[error("{what} {id:?} is not allowed: {reason}")]
    BadId {
        /// What the id names.
        what: &'static str,
        /// The id, cut to its allowed length.
        id: String,
        /// What rule it breaks.
        reason: &'static str,
    },
    /// An input is larger than its bound.
    #[error("{what} is {len} long, more than the {max} allowed")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size (bytes or items).
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The input does not decode: wrong encoding, length, or not a valid key or point.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What did not decode.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The key (or the released share) names no approver of this record, or the key's
    /// public halves differ from those the record was sealed to.
    #[error("{id:?} is not an approver of record {record_id:?}")]
    NotAnApprover {
        /// The approver id presented.
        id: String,
        /// The record.
        record_id: String,
    },
    /// An approver's sealed share does not open with the approver's key: the sealed record
    /// was altered (its approver set, threshold, commitments or shares).
    #[error("the share sealed to approver {approver:?} does not open with that approver's key")]
    ShareDoesNotOpen {
        /// The approver.
        approver: String,
    },
    /// A released share does not open with the officer's key for this record and anchor: it
    /// was released for another record, another anchor hash or another officer, or altered.
    #[error(
        "the share released by approver {approver:?} does not open here (another record, anchor hash or officer, or altered)"
    )]
    ReleaseDoesNotOpen {
        /// The approver who released it.
        approver: String,
    },
    /// A share does not lie on the polynomial the record's Feldman commitments fix: the
    /// approver released a wrong value (or one from another sealing).
    #[error("the share of approver {approver:?} does not verify against the record's commitments")]
    ShareDoesNotVerify {
        /// The approver whose share is wrong.
        approver: String,
    },
    /// Fewer valid shares from distinct approvers than the threshold.
    #[error("{have} valid shares from distinct approvers, {need} needed")]
    NotEnoughShares {
        /// Distinct approvers with a valid share.
        have: usize,
        /// The record's threshold.
        need: usize,
    },
    /// The released share names another record.
    #[error("the share is for record {found:?}, not {expected:?}")]
    WrongRecord {
        /// The record being opened.
        expected: String,
        /// The record the share names.
        found: String,
    },
    /// A reshare contribution names another record, another sealing of the record (an older
    /// one, or a newer one made meanwhile), or another new approver set than the one being
    /// reshared to.
    #[error("the reshare contribution of approver {approver:?} is for another {what}")]
    ContributionMismatch {
        /// The old approver the contribution names.
        approver: String,
        /// What differs: "record", "sealing" or "new approver set".
        what: &'static str,
    },
    /// A reshare contribution does not fit the sealing or the new set it names: another
    /// index than its approver's, or other numbers of commitments or sub-shares.
    #[error("the reshare contribution of approver {approver:?} is malformed: {reason}")]
    ContributionMalformed {
        /// The old approver the contribution names.
        approver: String,
        /// What is wrong.
        reason: String,
    },
    /// A reshare contribution's signature does not verify under the approval key of the
    /// approver it names: made or altered by someone else.
    #[error(
        "the reshare contribution of approver {approver:?} is not signed by that approver's approval key"
    )]
    ContributionSignatureInvalid {
        /// The old approver the contribution names.
        approver: String,
    },
    /// A reshare contribution shares some value other than its approver's share: its first
    /// commitment is not the public image of that share, so it would change the secret.
    #[error(
        "the reshare contribution of approver {approver:?} does not reshare that approver's share"
    )]
    ContributionNotOfShare {
        /// The old approver whose contribution is wrong.
        approver: String,
    },
    /// Two reshare contributions come from one approver.
    #[error("approver {approver:?} contributes to the resharing twice")]
    DuplicateContribution {
        /// The approver.
        approver: String,
    },
    /// Fewer valid reshare contributions from distinct old approvers than the old threshold.
    #[error("{have} valid reshare contributions from distinct approvers, {need} needed")]
    NotEnoughContributions {
        /// Distinct old approvers with a valid contribution.
        have: usize,
        /// The old sealing's threshold.
        need: usize,
    },
    /// A piece of a resealed share does not open with its approver's key: the resealed record
    /// was altered, or the old approver who contributed it sealed it to someone else.
    #[error(
        "the piece old approver {contributor:?} resealed to approver {approver:?} does not open with that approver's key"
    )]
    PieceDoesNotOpen {
        /// The approver whose share it is a piece of.
        approver: String,
        /// The old approver who sealed it.
        contributor: String,
    },
    /// A piece of a resealed share does not lie on the sub-sharing its contributor committed
    /// to: the old approver who sealed it sealed a wrong value.
    #[error(
        "the piece old approver {contributor:?} resealed to approver {approver:?} does not verify against {contributor:?}'s commitments"
    )]
    PieceDoesNotVerify {
        /// The approver whose share it is a piece of.
        approver: String,
        /// The old approver who sealed it.
        contributor: String,
    },
    /// The record does not decrypt under the recombined key: its ciphertext, nonce or
    /// bindings were altered.
    #[error("the record does not decrypt (ciphertext or its bindings altered)")]
    DecryptionFailed,
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Randomness(String),
    /// A cryptographic library refused an operation on well-formed input (for example an
    /// HPKE key of low order).
    #[error("{what}: {reason}")]
    Crypto {
        /// The operation.
        what: &'static str,
        /// What the library said.
        reason: String,
    },
}

impl EscrowError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadThreshold { .. }
            | Self::DuplicateApprover { .. }
            | Self::DuplicateApproverKey { .. }
            | Self::BadId { .. }
            | Self::TooLarge { .. }
            | Self::Malformed { .. }
            | Self::ContributionMalformed { .. }
            | Self::DuplicateContribution { .. } => ErrorKind::InvalidInput,
            Self::NotAnApprover { .. } => ErrorKind::PermissionDenied,
            Self::ShareDoesNotOpen { .. }
            | Self::ReleaseDoesNotOpen { .. }
            | Self::ShareDoesNotVerify { .. }
            | Self::ContributionSignatureInvalid { .. }
            | Self::ContributionNotOfShare { .. }
            | Self::PieceDoesNotOpen { .. }
            | Self::PieceDoesNotVerify { .. }
            | Self::DecryptionFailed => ErrorKind::InvalidSignature,
            Self::NotEnoughShares { .. }
            | Self::WrongRecord { .. }
            | Self::ContributionMismatch { .. }
            | Self::NotEnoughContributions { .. } => ErrorKind::Rejected,
            Self::Randomness(_) | Self::Crypto { .. } => ErrorKind::Internal,
        }
    }
}
