//! The seam through which rules check signatures.
//!
//! Rules such as [`crate::did::apply`] are pure, and a validator runs them on one
//! transaction several times: when it is submitted, when a block holding it is built or
//! verified, and after a restart. A node may remember which signatures it already found
//! good and answer from memory; the rules stay the same either way.

use super::{KeyError, PublicKey};

/// Checks a raw signature by a key over a message.
///
/// Every implementation must give the answer [`PublicKey::verify`] gives for the same inputs;
/// it may only be faster.
pub trait SignatureCheck {
    /// `Ok` when `signature` is `key`'s signature over `message`.
    fn check(&self, key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<(), KeyError>;
}

/// Checks every signature afresh.
#[derive(Debug, Clone, Copy, Default)]
pub struct Direct;

impl SignatureCheck for Direct {
    fn check(&self, key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        key.verify(message, signature)
    }
}
