//! The pre-rotation commitment to a DID's recovery key.

use sha2::{Digest, Sha256};

use crate::keys::PublicKey;

const DOMAIN: &[u8] = b"realdid/recovery/v1";

/// SHA-256 over the recovery public key. The key itself stays offline and is revealed only by
/// the recover or deactivate operation that uses it, so a thief of the everyday keys cannot
/// lock the owner out: they would need a key whose hash is on chain but whose value is not.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoveryCommitment(pub [u8; 32]);

impl RecoveryCommitment {
    /// The commitment to `key`.
    pub fn to(key: &PublicKey) -> Self {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update([key.algorithm().tag()]);
        h.update(key.to_bytes());
        Self(h.finalize().into())
    }
}

impl std::fmt::Debug for RecoveryCommitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCommitment({})", hex::encode(self.0))
    }
}
