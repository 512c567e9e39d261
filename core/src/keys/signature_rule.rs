//! Which equation accepts an Ed25519 signature, by what the signature is for.

/// The rule a signature is checked under. The two differ only for Ed25519 and only on
/// signatures no honest signer makes (see [`SignatureRule::Chain`]); P-256 has one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureRule {
    /// The cofactorless equation with a canonical S and no small-order R or A: what
    /// ed25519-dalek's `verify_strict` accepts, and JOSE libraries check, and so the rule of
    /// tokens, credentials and presentations. Checked without `verify_strict`'s final
    /// encoding of a point (see `keys::strict`).
    Strict,
    /// The cofactored equation `[8]([S]B − R − [k]A) = 0`, with a canonical S and no
    /// small-order R or A: the rule of registry transactions. Under it a batch of signatures
    /// checked at once gives the answer checking each alone gives (ZIP-215), so validators
    /// may batch and still agree. It accepts what [`SignatureRule::Strict`] accepts, and
    /// more only where `[S]B − R − [k]A` is a non-zero point of small order.
    Chain,
}

impl SignatureRule {
    /// One byte per rule, for fingerprints.
    pub(crate) fn tag(self) -> u8 {
        match self {
            Self::Strict => 0,
            Self::Chain => 1,
        }
    }
}
