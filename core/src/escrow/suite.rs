//! The ciphersuite: HPKE for shares, HKDF and ChaCha20-Poly1305 for the record, and the
//! random source they draw from.
//!
//! Shares travel as HPKE (RFC 9180) base-mode messages, DHKEM(X25519, HKDF-SHA256) with
//! HKDF-SHA256 and ChaCha20-Poly1305: only the holder of the recipient's X25519 key reads
//! one, and a message opened with other `info` or associated data fails. Nothing here is
//! built by hand; it wires `hpke`, `hkdf` and `chacha20poly1305` together with fixed sizes.

use chacha20::ChaCha20Rng;
use chacha20poly1305::aead::{Aead as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _, Nonce};
use hkdf::Hkdf;
use hpke::aead::ChaCha20Poly1305 as HpkeAead;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::SeedableRng as _;
use hpke::{Deserializable as _, Kem as _, OpModeR, OpModeS, Serializable as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::EscrowError;

type Kem = X25519HkdfSha256;
type KemPrivateKey = <Kem as hpke::Kem>::PrivateKey;
type KemPublicKey = <Kem as hpke::Kem>::PublicKey;

/// The length of an HPKE encapsulated key (an X25519 public key).
pub(super) const ENC_LEN: usize = 32;
/// The length of a share on the wire: a canonical ristretto255 scalar.
pub(super) const SHARE_LEN: usize = 32;
/// The length of an AEAD tag (ChaCha20-Poly1305, in HPKE and for the record).
pub(super) const TAG_LEN: usize = 16;
/// The length of an HPKE-sealed share.
pub(super) const SEALED_SHARE_LEN: usize = SHARE_LEN + TAG_LEN;
/// The length of the record's nonce.
pub(super) const NONCE_LEN: usize = 12;

/// A cryptographically secure generator seeded from the operating system, for the libraries
/// that draw many random values (polynomial coefficients, HPKE ephemeral keys). Seeding it
/// once turns a failing random source into an error instead of a panic inside a library.
pub(super) fn rng() -> Result<ChaCha20Rng, EscrowError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|e| EscrowError::Randomness(e.to_string()))?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

/// Fills `out` from the operating system's random source.
pub(super) fn random_bytes(out: &mut [u8]) -> Result<(), EscrowError> {
    getrandom::fill(out).map_err(|e| EscrowError::Randomness(e.to_string()))
}

/// Decodes a fixed-length hex string.
pub(super) fn hex_array<const N: usize>(
    what: &'static str,
    text: &str,
) -> Result<[u8; N], EscrowError> {
    let mut out = [0u8; N];
    if text.len() != 2 * N {
        return Err(EscrowError::Malformed {
            what,
            reason: format!("expected {} hex digits, got {}", 2 * N, text.len()),
        });
    }
    hex::decode_to_slice(text, &mut out).map_err(|e| EscrowError::Malformed {
        what,
        reason: e.to_string(),
    })?;
    Ok(out)
}

/// Decodes a 32-byte secret from hex straight into a buffer that is wiped when dropped.
pub(super) fn hex_secret(
    what: &'static str,
    text: &str,
) -> Result<Zeroizing<[u8; 32]>, EscrowError> {
    let mut out = Zeroizing::new([0u8; 32]);
    if text.len() != 64 {
        return Err(EscrowError::Malformed {
            what,
            reason: format!("expected 64 hex digits, got {}", text.len()),
        });
    }
    hex::decode_to_slice(text, out.as_mut()).map_err(|e| EscrowError::Malformed {
        what,
        reason: e.to_string(),
    })?;
    Ok(out)
}

/// An X25519 public key that shares are sealed to: an approver's, or an officer's.
///
/// Serialised as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HpkePublicKey([u8; 32]);

impl HpkePublicKey {
    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EscrowError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| EscrowError::Malformed {
            what: "X25519 public key",
            reason: format!("expected 32 bytes, got {}", bytes.len()),
        })?;
        Ok(Self(bytes))
    }

    /// The key from its hex encoding.
    pub fn from_hex(text: &str) -> Result<Self, EscrowError> {
        hex_array("X25519 public key", text).map(Self)
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key's hex encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn kem_key(&self) -> Result<KemPublicKey, EscrowError> {
        KemPublicKey::from_bytes(&self.0).map_err(|e| EscrowError::Malformed {
            what: "X25519 public key",
            reason: e.to_string(),
        })
    }
}

impl std::fmt::Debug for HpkePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HpkePublicKey({})", self.to_hex())
    }
}

impl Serialize for HpkePublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for HpkePublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// An X25519 private key that opens what is sealed to its public key. Wiped when dropped
/// (x25519-dalek's own zeroize).
#[derive(Clone)]
pub(super) struct HpkeSecretKey(KemPrivateKey);

impl HpkeSecretKey {
    /// A fresh key: RFC 9180 `DeriveKeyPair` of 32 bytes from the operating system.
    pub(super) fn generate() -> Result<Self, EscrowError> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        random_bytes(ikm.as_mut())?;
        let (secret, _) = Kem::derive_keypair(ikm.as_ref());
        Ok(Self(secret))
    }

    /// The key from its 32 bytes (clamped, as RFC 9180 requires).
    pub(super) fn from_bytes(bytes: &[u8; 32]) -> Result<Self, EscrowError> {
        KemPrivateKey::from_bytes(bytes)
            .map(Self)
            .map_err(|e| EscrowError::Malformed {
                what: "X25519 private key",
                reason: e.to_string(),
            })
    }

    /// The key's 32 bytes, wiped when dropped.
    pub(super) fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        self.0.write_exact(out.as_mut());
        out
    }

    /// The matching public key.
    pub(super) fn public(&self) -> HpkePublicKey {
        let mut out = [0u8; 32];
        Kem::sk_to_pk(&self.0).write_exact(&mut out);
        HpkePublicKey(out)
    }
}

/// Seals `plaintext` to `to` (`whom`, for the error) with HPKE; returns the encapsulated
/// key and the ciphertext. Fails for a key of small order, whose shared secret is all zeros.
pub(super) fn hpke_seal(
    whom: &str,
    to: &HpkePublicKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut ChaCha20Rng,
) -> Result<([u8; ENC_LEN], Vec<u8>), EscrowError> {
    let recipient = to.kem_key()?;
    let (encapped, ciphertext) = hpke::single_shot_seal_with_rng::<HpkeAead, HkdfSha256, Kem>(
        &OpModeS::Base,
        &recipient,
        info,
        plaintext,
        aad,
        rng,
    )
    .map_err(|e| EscrowError::Crypto {
        what: "HPKE sealing",
        reason: format!("to {whom} (X25519 key {}): {e}", to.to_hex()),
    })?;
    let mut enc = [0u8; ENC_LEN];
    encapped.write_exact(&mut enc);
    Ok((enc, ciphertext))
}

/// Opens an HPKE message sealed to `me`; `None` when it does not authenticate (another
/// recipient, other `info` or associated data, or altered).
pub(super) fn hpke_open(
    me: &HpkeSecretKey,
    enc: &[u8; ENC_LEN],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).ok()?;
    hpke::single_shot_open::<HpkeAead, HkdfSha256, Kem>(
        &OpModeR::Base,
        &me.0,
        &encapped,
        info,
        ciphertext,
        aad,
    )
    .ok()
    .map(Zeroizing::new)
}

/// The record's data key: HKDF-SHA256 of the shared secret's canonical encoding.
pub(super) fn data_key(
    secret: &[u8; 32],
    record_id: &str,
) -> Result<Zeroizing<[u8; 32]>, EscrowError> {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, secret)
        .expand(&super::binding::data_key_info(record_id), key.as_mut())
        .map_err(|e| EscrowError::Crypto {
            what: "HKDF",
            reason: e.to_string(),
        })?;
    Ok(key)
}

/// Encrypts the record under its data key.
pub(super) fn record_seal(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EscrowError> {
    let cipher = ChaCha20Poly1305::new_from_slice(key).map_err(|e| EscrowError::Crypto {
        what: "ChaCha20-Poly1305 key",
        reason: e.to_string(),
    })?;
    cipher
        .encrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|e| EscrowError::Crypto {
            what: "ChaCha20-Poly1305 encryption",
            reason: e.to_string(),
        })
}

/// Decrypts the record under its data key.
pub(super) fn record_open(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, EscrowError> {
    let cipher = ChaCha20Poly1305::new_from_slice(key).map_err(|e| EscrowError::Crypto {
        what: "ChaCha20-Poly1305 key",
        reason: e.to_string(),
    })?;
    cipher
        .decrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| EscrowError::DecryptionFailed)
}
