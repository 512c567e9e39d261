//! Ed25519 under the strict rule: exactly what ed25519-dalek's `verify_strict` accepts, at
//! about nine tenths of its cost.
//!
//! `verify_strict` decodes R (to refuse one of small order), computes `[S]B − [k]A` and then
//! encodes that point to compare it with R's bytes. The encoding costs a field inversion,
//! about a tenth of the check, and every presentation's key-binding JWT pays it. Here the
//! computed point is compared with the decoded R instead, in projective coordinates, which
//! needs no inversion.
//!
//! The two agree because R's bytes must also be canonical. A point has exactly one canonical
//! encoding, so "`[S]B − [k]A` encodes to R's bytes" and "R's bytes are canonical and decode
//! to `[S]B − [k]A`" say the same. The only non-canonical encodings that decode at all are a
//! y of p or more (refused by [`canonical_y`]) and x = 0 with the sign bit set, whose points
//! (y = ±1) are of small order and refused either way.

use curve25519_dalek::edwards::EdwardsPoint;
use ed25519_dalek::VerifyingKey;

use super::ed25519_parts::Parts;

/// True when `signature` is `key`'s signature over `message` under the strict rule: a
/// canonical S, no small-order R or A, and `R = [S]B − [k]A`, R encoded canonically.
pub(crate) fn verify(key: &VerifyingKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let Some(r_bytes) = signature.first_chunk::<32>() else {
        return false;
    };
    if !canonical_y(r_bytes) || key.is_weak() {
        return false;
    }
    let Some(parts) = Parts::new(key, message, signature) else {
        return false;
    };
    let expected_r =
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&parts.k, &-key.to_edwards(), &parts.s);
    expected_r == parts.r
}

/// True when the y coordinate of an encoded point (its low 255 bits, little-endian) is below
/// p = 2^255 − 19, as in the encoding of every point.
fn canonical_y(encoded: &[u8; 32]) -> bool {
    let [low, middle @ .., top] = encoded;
    // y ≥ p only when every bit from 8 to 254 is set and the low byte is 0xed or more.
    !(top & 0x7f == 0x7f && middle.iter().all(|b| *b == 0xff) && *low >= 0xed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;
    use ed25519_dalek::{Signer as _, SigningKey};
    use proptest::prelude::*;
    use sha2::{Digest as _, Sha512};

    use super::super::cofactored::test_support::with_torsion;
    use super::*;

    /// What ed25519-dalek says, the rule this module must match.
    fn dalek(key: &VerifyingKey, message: &[u8], signature: &[u8; 64]) -> bool {
        key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
            .is_ok()
    }

    /// The encoding of y = `y` + p (y < 19), sign bit `sign`: a non-canonical y.
    fn y_plus_p(y: u8, sign: bool) -> [u8; 32] {
        let mut bytes = [0xff; 32];
        bytes[0] = 0xed + y;
        bytes[31] = if sign { 0xff } else { 0x7f };
        bytes
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn agrees_with_verify_strict_on_good_and_altered_signatures(
            seed in any::<[u8; 32]>(),
            message in proptest::collection::vec(any::<u8>(), 0..200),
            at in 0usize..64,
            flip in 1u8..=255,
        ) {
            let key = SigningKey::from_bytes(&seed);
            let verifying = key.verifying_key();
            let good = key.sign(&message).to_bytes();
            prop_assert!(verify(&verifying, &message, &good));
            prop_assert!(dalek(&verifying, &message, &good));
            let mut altered = good;
            altered[at] ^= flip;
            prop_assert_eq!(verify(&verifying, &message, &altered), dalek(&verifying, &message, &altered));
            prop_assert!(!verify(&verifying, &message, &altered));
            let mut other = message.clone();
            other.push(0);
            prop_assert!(!verify(&verifying, &other, &good));
            let stranger = SigningKey::from_bytes(&Sha512::digest(seed)[..32].try_into().unwrap());
            prop_assert!(!verify(&stranger.verifying_key(), &message, &good));
        }
    }

    #[test]
    fn refuses_what_verify_strict_refuses_though_an_equation_holds() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let verifying = key.verifying_key();
        // [S]B − R − [k]A a non-zero torsion point: the cofactored equation holds.
        for t in EIGHT_TORSION.iter().skip(1) {
            let signature = with_torsion(&key, b"m", *t);
            assert!(!dalek(&verifying, b"m", &signature));
            assert!(!verify(&verifying, b"m", &signature));
        }
        // A of small order (the identity): R = [r]B and S = r satisfy R = [S]B − [k]A for
        // every k, so only the refusal of a weak key stands in the way.
        let identity = VerifyingKey::from_bytes(&EdwardsPoint::default().compress().to_bytes())
            .expect("the identity decodes");
        let nonce = Scalar::from_bytes_mod_order([3; 32]);
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(EdwardsPoint::mul_base(&nonce).compress().as_bytes());
        forged[32..].copy_from_slice(nonce.as_bytes());
        assert!(!dalek(&identity, b"m", &forged));
        assert!(!verify(&identity, b"m", &forged));
        // R of small order, in its canonical and its non-canonical encodings.
        let good = key.sign(b"m").to_bytes();
        let mut nonces: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|t| t.compress().to_bytes())
            .collect();
        nonces.extend((0..19).flat_map(|y| [y_plus_p(y, false), y_plus_p(y, true)]));
        let mut one_with_sign = [0u8; 32];
        one_with_sign[0] = 1;
        one_with_sign[31] = 0x80;
        nonces.push(one_with_sign);
        for r in nonces {
            let mut signature = good;
            signature[..32].copy_from_slice(&r);
            assert_eq!(
                verify(&verifying, b"m", &signature),
                dalek(&verifying, b"m", &signature)
            );
            assert!(!verify(&verifying, b"m", &signature), "{r:?}");
        }
    }

    #[test]
    fn a_y_of_p_or_more_is_not_canonical_and_decodes_like_y_minus_p() {
        let mut p_minus_one = y_plus_p(0, false);
        p_minus_one[0] = 0xec;
        assert!(canonical_y(&p_minus_one));
        assert!(canonical_y(&[0; 32]));
        for y in 0..19 {
            for sign in [false, true] {
                let encoded = y_plus_p(y, sign);
                assert!(!canonical_y(&encoded), "y = {y} + p");
                let mut reduced = [0u8; 32];
                reduced[0] = y;
                reduced[31] = if sign { 0x80 } else { 0 };
                // The reason the check exists: the decoder reduces y, so both decode alike.
                assert_eq!(
                    CompressedEdwardsY(encoded).decompress(),
                    CompressedEdwardsY(reduced).decompress()
                );
            }
        }
        // Every point's own encoding is canonical, whatever its sign bit.
        for i in 1..=64u8 {
            let point = EdwardsPoint::mul_base(&Scalar::from(i));
            assert!(canonical_y(&point.compress().to_bytes()));
        }
    }
}
