//! An Ed25519 signature taken apart, as both rules of `SignatureRule` need it.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::VerifyingKey;
use sha2::{Digest as _, Sha512};

/// One signature taken apart: its nonce point, its scalar and its challenge.
pub(super) struct Parts {
    pub(super) r: EdwardsPoint,
    pub(super) s: Scalar,
    pub(super) k: Scalar,
}

impl Parts {
    /// `None` when the signature cannot be good under any equation: S not canonical, R not a
    /// point or of small order.
    pub(super) fn new(key: &VerifyingKey, message: &[u8], signature: &[u8; 64]) -> Option<Self> {
        let (r_bytes, s_bytes) = signature.split_at(32);
        let s_bytes: [u8; 32] = s_bytes.try_into().ok()?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
        let r = CompressedEdwardsY::from_slice(r_bytes).ok()?.decompress()?;
        if r.is_small_order() {
            return None;
        }
        let hash = Sha512::new()
            .chain_update(r_bytes)
            .chain_update(key.as_bytes())
            .chain_update(message)
            .finalize();
        let mut wide = [0u8; 64];
        wide.copy_from_slice(&hash);
        Some(Self {
            r,
            s,
            k: Scalar::from_bytes_mod_order_wide(&wide),
        })
    }
}
