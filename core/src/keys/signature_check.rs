//! The seam through which rules check signatures.
//!
//! Rules such as [`crate::did::apply`] are pure, and a validator runs them on one
//! transaction several times: when it is submitted, when a block holding it is built or
//! verified, and after a restart. A node may remember which signatures it already found
//! good and answer from memory; the rules stay the same either way.

use super::{KeyError, PublicKey, SignatureRule};

/// Checks a raw signature by a key over a message.
///
/// Every implementation must give the answer [`PublicKey::verify_under`] gives for the same
/// inputs; it may only be faster.
pub trait SignatureCheck {
    /// `Ok` when `signature` is `key`'s signature over `message` under `rule`.
    fn check(
        &self,
        rule: SignatureRule,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError>;
}

/// Checks every signature afresh.
#[derive(Debug, Clone, Copy, Default)]
pub struct Direct;

impl SignatureCheck for Direct {
    fn check(
        &self,
        rule: SignatureRule,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        key.verify_under(rule, message, signature)
    }
}
