//! k-of-n sharing of the record's secret with Feldman commitments, over ristretto255.
//!
//! Feldman's scheme publishes `g^a_j` for each coefficient of the sharing polynomial, so
//! that anyone holding the sealed record can check that a share lies on that polynomial
//! without learning it. A wrong share (a careless or hostile approver, a share from
//! another sealing) is caught and attributed before it can spoil the recombination. The
//! arithmetic is `vsss-rs`'s; this module fixes the group, the share identifiers (approver
//! `i`, counting from 0, holds the share at `x = i + 1`) and the 32-byte encodings.

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

/// Recombines the secret from verified shares `(approver index, share)` from distinct
/// approvers, at least the threshold, and checks it against the first commitment.
pub(super) fn combine(
    commitments: &[[u8; 32]],
    shares: &[(u8, Zeroizing<[u8; 32]>)],
) -> Result<Zeroizing<[u8; 32]>, EscrowError> {
    let mut set: Vec<Share> = Vec::with_capacity(shares.len());
    for (index, value) in shares {
        let scalar =
            Option::<Scalar>::from(Scalar::from_canonical_bytes(**value)).ok_or_else(|| {
                EscrowError::Malformed {
                    what: "share",
                    reason: "not a canonical scalar".into(),
                }
            })?;
        set.push(Share {
            identifier: identifier(*index),
            value: IdentifierPrimeField(scalar),
        });
    }
    let combined = set.combine();
    for share in &mut set {
        share.value.0.zeroize();
    }
    let mut secret = combined
        .map_err(|e| EscrowError::Crypto {
            what: "Feldman recombination",
            reason: e.to_string(),
        })?
        .0;
    let matches = commitments
        .first()
        .and_then(decode_point)
        .is_some_and(|c0| RISTRETTO_BASEPOINT_POINT * secret == c0);
    let bytes = Zeroizing::new(secret.to_bytes());
    secret.zeroize();
    if !matches {
        return Err(EscrowError::Crypto {
            what: "Feldman recombination",
            reason: "verified shares recombine to a secret the commitments do not fix".into(),
        });
    }
    Ok(bytes)
}
