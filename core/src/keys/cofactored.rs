//! Ed25519 under the cofactored equation, one signature at a time or many at once.
//!
//! Every validator checks every transaction's signature, the largest single cost of a write.
//! A batch of signatures can be checked in one multi-scalar multiplication at about half the
//! cost each, but a batch agrees with checking its signatures one by one only under the
//! cofactored equation `[8]([S]B − R − [k]A) = 0` (ZIP-215). Under the cofactorless equation
//! of `verify_strict`, a crafted signature can pass in one batch and fail alone, and
//! validators that disagree on a signature split.
//!
//! As `verify_strict` does, this rule asks for a canonical S and refuses an R or an A of small
//! order (A is refused when the key is parsed). The two rules then differ only on a signature
//! whose `[S]B − R − [k]A` is a non-zero point of small order, which no honest signer makes,
//! and, as under `verify_strict`, a message has one accepted signature per key and nonce: a
//! small-order term added to R changes `k` too.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity as _, VartimeMultiscalarMul as _};
use ed25519_dalek::VerifyingKey;

use super::ed25519_parts::Parts;

/// True when `signature` is `key`'s signature over `message` under the cofactored equation.
pub(crate) fn verify(key: &VerifyingKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let Some(parts) = Parts::new(key, message, signature) else {
        return false;
    };
    let expected_r =
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&parts.k, &-key.to_edwards(), &parts.s);
    (parts.r - expected_r).mul_by_cofactor().is_identity()
}

/// True when every signature of the batch is good under the cofactored equation, exactly when
/// [`verify`] accepts each of them (but for a chance of 2^-128 per call that a batch holding
/// a bad signature passes). False says only that one at least is bad, or that the system gave
/// no randomness: check them one by one to know which.
pub(crate) fn verify_batch(items: &[(&VerifyingKey, &[u8], &[u8; 64])]) -> bool {
    // Each equation is weighed by a secret random 128-bit factor, so that bad signatures
    // cannot be made to cancel out in the sum.
    let mut weights = vec![0u8; 16 * items.len()];
    if getrandom::fill(&mut weights).is_err() {
        return false;
    }
    let mut scalars = Vec::with_capacity(2 * items.len() + 1);
    let mut points = Vec::with_capacity(2 * items.len() + 1);
    let mut basepoint = Scalar::ZERO;
    for ((key, message, signature), weight) in items.iter().zip(weights.chunks_exact(16)) {
        let Some(parts) = Parts::new(key, message, signature) else {
            return false;
        };
        let mut z = [0u8; 16];
        z.copy_from_slice(weight);
        let z = Scalar::from(u128::from_le_bytes(z));
        // z·([S]B − R − [k]A), summed: the basepoint's coefficient collects every z·S.
        basepoint += z * parts.s;
        scalars.push(z);
        points.push(-parts.r);
        scalars.push(z * parts.k);
        points.push(-key.to_edwards());
    }
    scalars.push(basepoint);
    points.push(ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

/// Signatures that only the cofactored rule accepts, for the tests of the rules' users.
#[cfg(test)]
#[allow(clippy::indexing_slicing)]
pub(crate) mod test_support {
    use ed25519_dalek::SigningKey;
    use sha2::{Digest as _, Sha512};

    use super::*;

    /// A signature whose `[S]B − R − [k]A` is the torsion point `t`: the signer adds `t`'s
    /// negation to its nonce point and computes S as usual, the challenge taken over the new R.
    pub(crate) fn with_torsion(key: &SigningKey, message: &[u8], t: EdwardsPoint) -> [u8; 64] {
        let secret = key.to_scalar();
        let nonce = Scalar::from_bytes_mod_order([7; 32]);
        let r = EdwardsPoint::mul_base(&nonce) - t;
        let r_bytes = r.compress().to_bytes();
        let hash = Sha512::new()
            .chain_update(r_bytes)
            .chain_update(key.verifying_key().as_bytes())
            .chain_update(message)
            .finalize();
        let mut wide = [0u8; 64];
        wide.copy_from_slice(&hash);
        let k = Scalar::from_bytes_mod_order_wide(&wide);
        let s = nonce + k * secret;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&r_bytes);
        signature[32..].copy_from_slice(s.as_bytes());
        signature
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer as _, SigningKey};

    use super::test_support::with_torsion;
    use super::*;

    fn signer(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn signed(key: &SigningKey, message: &[u8]) -> [u8; 64] {
        key.sign(message).to_bytes()
    }

    #[test]
    fn honest_signatures_pass_alone_and_together_and_agree_with_strict() {
        let keys: Vec<SigningKey> = (1..=9).map(signer).collect();
        let messages: Vec<Vec<u8>> = (0..9u8).map(|i| vec![i; usize::from(i) * 7]).collect();
        let signatures: Vec<[u8; 64]> = keys
            .iter()
            .zip(&messages)
            .map(|(k, m)| signed(k, m))
            .collect();
        let verifying: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        let mut items = Vec::new();
        for ((key, message), signature) in verifying.iter().zip(&messages).zip(&signatures) {
            assert!(verify(key, message, signature));
            let dalek = ed25519_dalek::Signature::from_bytes(signature);
            assert!(key.verify_strict(message, &dalek).is_ok());
            items.push((key, message.as_slice(), signature));
        }
        assert!(verify_batch(&items));
        assert!(verify_batch(&items[..1]));
    }

    #[test]
    fn one_bad_signature_fails_the_batch_wherever_it_is() {
        let keys: Vec<SigningKey> = (1..=6).map(signer).collect();
        let verifying: Vec<VerifyingKey> = keys.iter().map(SigningKey::verifying_key).collect();
        let good: Vec<[u8; 64]> = keys.iter().map(|k| signed(k, b"block")).collect();
        for bad in 0..keys.len() {
            for byte in [0, 31, 32, 63] {
                let mut signatures = good.clone();
                signatures[bad][byte] ^= 0x10;
                assert!(!verify(&verifying[bad], b"block", &signatures[bad]));
                let items: Vec<_> = verifying
                    .iter()
                    .zip(&signatures)
                    .map(|(k, s)| (k, b"block".as_slice(), s))
                    .collect();
                assert!(!verify_batch(&items), "bad {bad}, byte {byte}");
            }
            // A good signature under another key, or over another message, is bad here.
            let mut items: Vec<_> = verifying
                .iter()
                .zip(&good)
                .map(|(k, s)| (k, b"block".as_slice(), s))
                .collect();
            items[bad].0 = &verifying[(bad + 1) % keys.len()];
            assert!(!verify_batch(&items));
            items[bad].0 = &verifying[bad];
            items[bad].1 = b"other";
            assert!(!verify_batch(&items));
        }
    }

    #[test]
    fn a_torsion_remainder_passes_here_alone_and_in_a_batch_but_not_strictly() {
        let key = signer(3);
        let verifying = key.verifying_key();
        let honest = signed(&signer(4), b"other");
        let other = signer(4).verifying_key();
        for t in EIGHT_TORSION.iter().skip(1) {
            let signature = with_torsion(&key, b"message", *t);
            let dalek = ed25519_dalek::Signature::from_bytes(&signature);
            // The one place where the rules differ, and where a cofactorless batch would not
            // agree with itself: the cofactored rule agrees with itself.
            assert!(verifying.verify_strict(b"message", &dalek).is_err());
            assert!(verify(&verifying, b"message", &signature));
            assert!(verify_batch(&[
                (&other, b"other".as_slice(), &honest),
                (&verifying, b"message".as_slice(), &signature),
            ]));
        }
        // Without torsion it is an ordinary good signature.
        let plain = with_torsion(&key, b"message", EdwardsPoint::default());
        assert!(verify(&verifying, b"message", &plain));
    }

    #[test]
    fn small_order_nonces_and_non_canonical_scalars_are_refused_alone_and_together() {
        let key = signer(5);
        let verifying = key.verifying_key();
        let good = signed(&key, b"m");
        let mut small_r = good;
        small_r[..32].copy_from_slice(EIGHT_TORSION[1].compress().as_bytes());
        // S + l: the same scalar mod l, not canonical.
        let mut big_s = good;
        let s = Scalar::from_canonical_bytes(good[32..].try_into().unwrap()).unwrap();
        let mut s_plus_l = [0u8; 32];
        let mut carry = 0u16;
        let order: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        for i in 0..32 {
            let sum = u16::from(s.as_bytes()[i]) + u16::from(order[i]) + carry;
            s_plus_l[i] = sum as u8;
            carry = sum >> 8;
        }
        big_s[32..].copy_from_slice(&s_plus_l);
        for bad in [small_r, big_s] {
            assert!(!verify(&verifying, b"m", &bad));
            assert!(!verify_batch(&[
                (&verifying, b"m".as_slice(), &good),
                (&verifying, b"m".as_slice(), &bad),
            ]));
        }
    }
}
