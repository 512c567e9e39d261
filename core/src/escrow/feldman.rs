//! k-of-n sharing of the record's secret with Feldman commitments, over ristretto255.
//!
//! Feldman's scheme publishes `g^a_j` for each coefficient of the sharing polynomial, so
//! that anyone holding the sealed record can check that a share lies on that polynomial
//! without learning it. A wrong share (a careless or hostile approver, a share from
//! another sealing) is caught and attributed before it can spoil the recombination. The
//! arithmetic is `vsss-rs`'s; this module fixes the group, the share identifiers (approver
//! `i`, counting from 0, holds the share at `x = i + 1`) and the 32-byte encodings.
//!
//! Resharing (Desmedt–Jajodia, Herzberg et al.) needs three more operations on the same
//! sharings: splitting a given share instead of a fresh secret, the public image `g^s_i` of
//! approver `i`'s share from the commitments alone (what a reshared share is checked
//! against), and the Lagrange combination at 0 of sub-shares and of sub-commitments.

use curve25519_dalek_5::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek_5::scalar::Scalar;
use vsss_rs::{
    DefaultShare, FeldmanVerifierSet, IdentifierPrimeField, ReadableShareSet as _, ValueGroup,
};
use zeroize::{Zeroize as _, Zeroizing};

use super::EscrowError;
use super::suite::random_bytes;

type Field = IdentifierPrimeField<Scalar>;
type Share = DefaultShare<Field, Field>;
type Verifier = ValueGroup<RistrettoPoint>;
/// A point of a polynomial "in the exponent": interpolating these combines commitments.
type PointShare = DefaultShare<Field, Verifier>;

/// A sharing: the secret, the commitments to the polynomial, and approver `i`'s share at
/// `shares[i]`. Secrets are wiped when dropped.
pub(super) struct Split {
    /// The canonical encoding of the shared scalar.
    pub(super) secret: Zeroizing<[u8; 32]>,
    /// The compressed commitments `g^a_0 .. g^a_{k-1}`.
    pub(super) commitments: Vec<[u8; 32]>,
    /// The canonical encodings of the shares, in approver order.
    pub(super) shares: Vec<Zeroizing<[u8; 32]>>,
}

/// The identifier (x-coordinate) of approver `index`'s share.
fn identifier(index: u8) -> Field {
    IdentifierPrimeField(Scalar::from(u64::from(index) + 1))
}

/// A fresh, non-zero scalar from the operating system's random source.
fn random_scalar() -> Result<Scalar, EscrowError> {
    let mut wide = Zeroizing::new([0u8; 64]);
    loop {
        random_bytes(wide.as_mut())?;
        let scalar = Scalar::from_bytes_mod_order_wide(&wide);
        if scalar != Scalar::ZERO {
            return Ok(scalar);
        }
    }
}

/// Shares a fresh random secret `threshold`-of-`count`. The caller has checked
/// `2 <= threshold <= count`.
pub(super) fn split(
    threshold: u8,
    count: u8,
    rng: &mut chacha20::ChaCha20Rng,
) -> Result<Split, EscrowError> {
    let mut secret = random_scalar()?;
    let result = split_scalar(secret, threshold, count, rng);
    secret.zeroize();
    result
}

/// Shares `value`, an approver's share, `threshold`-of-`count` again: one old approver's
/// part of a resharing. The first commitment is then `g^value`, which is how the
/// sub-sharing is tied to the share it claims to reshare.
pub(super) fn split_value(
    value: &[u8; 32],
    threshold: u8,
    count: u8,
    rng: &mut chacha20::ChaCha20Rng,
) -> Result<Split, EscrowError> {
    let mut scalar =
        Option::<Scalar>::from(Scalar::from_canonical_bytes(*value)).ok_or_else(|| {
            EscrowError::Malformed {
                what: "share",
                reason: "not a canonical scalar".into(),
            }
        })?;
    let result = split_scalar(scalar, threshold, count, rng);
    scalar.zeroize();
    result
}

/// Shares `secret`; the caller wipes its copy.
fn split_scalar(
    mut secret: Scalar,
    threshold: u8,
    count: u8,
    rng: &mut chacha20::ChaCha20Rng,
) -> Result<Split, EscrowError> {
    let result = vsss_rs::feldman::split_secret_with_ids::<Share, Verifier>(
        usize::from(threshold),
        usize::from(count),
        &IdentifierPrimeField(secret),
        None,
        &mut *rng,
        (0..count).map(identifier),
    );
    let secret_bytes = Zeroizing::new(secret.to_bytes());
    secret.zeroize();
    let (mut shares, verifiers) = result.map_err(|e| EscrowError::Crypto {
        what: "Feldman sharing",
        reason: e.to_string(),
    })?;
    // The verifier set is the generator followed by one commitment per coefficient.
    let commitments: Vec<[u8; 32]> = verifiers
        .iter()
        .skip(1)
        .map(|v| v.0.compress().to_bytes())
        .collect();
    let encoded: Vec<Zeroizing<[u8; 32]>> = shares
        .iter()
        .map(|s| Zeroizing::new(s.value.0.to_bytes()))
        .collect();
    let in_order = shares
        .iter()
        .zip(0..count)
        .all(|(share, index)| share.identifier == identifier(index));
    for share in &mut shares {
        share.value.0.zeroize();
    }
    if commitments.len() != usize::from(threshold)
        || encoded.len() != usize::from(count)
        || !in_order
    {
        return Err(EscrowError::Crypto {
            what: "Feldman sharing",
            reason: "the sharing does not have the requested shape".into(),
        });
    }
    Ok(Split {
        secret: secret_bytes,
        commitments,
        shares: encoded,
    })
}

/// Decodes a compressed commitment; `None` if it is not a ristretto255 point.
pub(super) fn decode_point(bytes: &[u8; 32]) -> Option<RistrettoPoint> {
    CompressedRistretto(*bytes).decompress()
}

/// Whether `value` is a canonical scalar that lies, at approver `index`'s identifier, on the
/// polynomial `commitments` commit to.
pub(super) fn verify(commitments: &[[u8; 32]], index: u8, value: &[u8; 32]) -> bool {
    let Some(mut scalar) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*value)) else {
        return false;
    };
    let mut set: Vec<Verifier> = Vec::with_capacity(commitments.len() + 1);
    set.push(ValueGroup(RISTRETTO_BASEPOINT_POINT));
    for commitment in commitments {
        let Some(point) = decode_point(commitment) else {
            scalar.zeroize();
            return false;
        };
        set.push(ValueGroup(point));
    }
    let mut share = Share {
        identifier: identifier(index),
        value: IdentifierPrimeField(scalar),
    };
    let verified =
        <Vec<Verifier> as FeldmanVerifierSet<Share, Verifier>>::verify_share(&set, &share).is_ok();
    scalar.zeroize();
    share.value.0.zeroize();
    verified
}

/// `g^f(x)` at approver `index`'s identifier, from the commitments to `f` alone (Horner's
/// rule in the group): the public image of that approver's share. `None` if a commitment
/// is not a point.
pub(super) fn public_share(commitments: &[[u8; 32]], index: u8) -> Option<[u8; 32]> {
    let x = Scalar::from(u64::from(index) + 1);
    let mut image = RistrettoPoint::default();
    for commitment in commitments.iter().rev() {
        image = image * x + decode_point(commitment)?;
    }
    Some(image.compress().to_bytes())
}

/// The commitments to `Σ λ_i f_i`, where `f_i` is the polynomial `sets[i].1` commits to and
/// `λ_i` the Lagrange coefficient at 0 of the identifiers `sets[..].0`: each commitment is
/// vsss-rs's interpolation in the group. `None` if a set has other than `len` commitments,
/// a commitment is not a point, or the identifiers do not interpolate (fewer than two, or a
/// repeated one).
pub(super) fn combine_commitments(sets: &[(u8, &[[u8; 32]])], len: usize) -> Option<Vec<[u8; 32]>> {
    let mut combined = Vec::with_capacity(len);
    for m in 0..len {
        let mut points: Vec<PointShare> = Vec::with_capacity(sets.len());
        for (index, commitments) in sets {
            if commitments.len() != len {
                return None;
            }
            points.push(PointShare {
                identifier: identifier(*index),
                value: ValueGroup(decode_point(commitments.get(m)?)?),
            });
        }
        combined.push(points.combine().ok()?.0.compress().to_bytes());
    }
    Some(combined)
}

/// The value at 0 of the polynomial through the points `(approver index, share)`, without
/// checking it against anything. Resharing uses it with the sub-shares of one new approver,
/// whose interpolation is that approver's new share.
pub(super) fn interpolate(
    shares: &[(u8, Zeroizing<[u8; 32]>)],
) -> Result<Zeroizing<[u8; 32]>, EscrowError> {
    let mut set: Vec<Share> = Vec::with_capacity(shares.len());
    for (index, value) in shares {
        let Some(scalar) = Option::<Scalar>::from(Scalar::from_canonical_bytes(**value)) else {
            for share in &mut set {
                share.value.0.zeroize();
            }
            return Err(EscrowError::Malformed {
                what: "share",
                reason: "not a canonical scalar".into(),
            });
        };
        set.push(Share {
            identifier: identifier(*index),
            value: IdentifierPrimeField(scalar),
        });
    }
    let combined = set.combine();
    for share in &mut set {
        share.value.0.zeroize();
    }
    let mut value = combined
        .map_err(|e| EscrowError::Crypto {
            what: "Feldman recombination",
            reason: e.to_string(),
        })?
        .0;
    let bytes = Zeroizing::new(value.to_bytes());
    value.zeroize();
    Ok(bytes)
}

/// Recombines the secret from verified shares `(approver index, share)` from distinct
/// approvers, at least the threshold, and checks it against the first commitment.
pub(super) fn combine(
    commitments: &[[u8; 32]],
    shares: &[(u8, Zeroizing<[u8; 32]>)],
) -> Result<Zeroizing<[u8; 32]>, EscrowError> {
    let secret = interpolate(shares)?;
    let matches =
        Option::<Scalar>::from(Scalar::from_canonical_bytes(*secret)).is_some_and(|mut s| {
            let image = RISTRETTO_BASEPOINT_POINT * s;
            s.zeroize();
            commitments
                .first()
                .and_then(decode_point)
                .is_some_and(|c0| image == c0)
        });
    if !matches {
        return Err(EscrowError::Crypto {
            what: "Feldman recombination",
            reason: "verified shares recombine to a secret the commitments do not fix".into(),
        });
    }
    Ok(secret)
}
