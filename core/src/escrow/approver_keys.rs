//! Approver keys: an Ed25519 key that signs approvals and an X25519 key that shares are
//! sealed to.
//!
//! The two are separate keys with separate jobs: the signing key proves who approved a
//! trace (and may live in a signing device), the X25519 key is the only thing that reads
//! the approver's shares. Neither is ever known to the issuer, which holds only the public
//! halves ([`ApproverPublic`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::suite::{HpkePublicKey, HpkeSecretKey, hex_array, hex_secret, random_bytes};
use super::{EscrowError, MAX_ID_LEN, MAX_KEY_FILE_LEN, check_id};
use crate::keys::{PublicKey, SigningKey};

/// The `type` of an approver's secret key file.
const APPROVER_SECRET_TYPE: &str = "realdid-escrow-approver-secret-v1";

/// One approver's secret keys. Both are wiped when dropped (ed25519-dalek's and
/// x25519-dalek's own zeroize); `Debug` prints only the id and the public halves.
///
/// Serialised (serde, or [`ApproverSecret::to_json`]) as the approver's key file:
/// `{"type": "realdid-escrow-approver-secret-v1", "id", "ed25519_seed", "x25519_secret"}`
/// with the secrets in hex.
#[derive(Clone)]
pub struct ApproverSecret {
    id: String,
    approval: ed25519_dalek::SigningKey,
    hpke: HpkeSecretKey,
}

/// The key file of an approver, as written to disk; wiped when dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct ApproverSecretFile {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    ed25519_seed: String,
    x25519_secret: String,
}

impl ApproverSecret {
    /// Fresh keys for the approver `id`, from the operating system's random source.
    pub fn generate(id: &str) -> Result<Self, EscrowError> {
        check_id("approver id", id, MAX_ID_LEN)?;
        let mut seed = Zeroizing::new([0u8; 32]);
        random_bytes(seed.as_mut())?;
        Ok(Self {
            id: id.to_owned(),
            approval: ed25519_dalek::SigningKey::from_bytes(&seed),
            hpke: HpkeSecretKey::generate()?,
        })
    }

    /// The approver's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public halves, as the sealer and the issuer know them.
    pub fn public(&self) -> ApproverPublic {
        ApproverPublic {
            id: self.id.clone(),
            approval: self.approval.verifying_key(),
            hpke: self.hpke.public(),
        }
    }

    /// The key that signs this approver's approvals (`crate::codec::TraceApproval`) and releases.
    pub fn approval_key(&self) -> SigningKey {
        SigningKey::Ed25519(self.approval.clone())
    }

    pub(super) fn hpke_secret(&self) -> &HpkeSecretKey {
        &self.hpke
    }

    /// The key file, as JSON. Wiped when dropped.
    pub fn to_json(&self) -> Result<Zeroizing<String>, EscrowError> {
        super::key_file::write(&self.to_file(), "approver key file")
    }

    /// Reads a key file written by [`ApproverSecret::to_json`].
    pub fn from_json(text: &str) -> Result<Self, EscrowError> {
        let file: ApproverSecretFile = super::key_file::read(text, "approver key file")?;
        Self::from_file(&file)
    }

    fn to_file(&self) -> ApproverSecretFile {
        let seed = Zeroizing::new(self.approval.to_bytes());
        ApproverSecretFile {
            kind: APPROVER_SECRET_TYPE.to_owned(),
            id: self.id.clone(),
            ed25519_seed: hex::encode(seed.as_ref()),
            x25519_secret: hex::encode(self.hpke.to_bytes().as_ref()),
        }
    }

    fn from_file(file: &ApproverSecretFile) -> Result<Self, EscrowError> {
        if file.kind != APPROVER_SECRET_TYPE {
            return Err(EscrowError::Malformed {
                what: "approver key file",
                reason: format!("type is {:?}, not {APPROVER_SECRET_TYPE:?}", file.kind),
            });
        }
        check_id("approver id", &file.id, MAX_ID_LEN)?;
        let seed = hex_secret("Ed25519 seed", &file.ed25519_seed)?;
        let hpke = hex_secret("X25519 private key", &file.x25519_secret)?;
        Ok(Self {
            id: file.id.clone(),
            approval: ed25519_dalek::SigningKey::from_bytes(&seed),
            hpke: HpkeSecretKey::from_bytes(&hpke)?,
        })
    }
}

impl std::fmt::Debug for ApproverSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApproverSecret")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl Serialize for ApproverSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_file().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ApproverSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let file = ApproverSecretFile::deserialize(deserializer)?;
        Self::from_file(&file).map_err(serde::de::Error::custom)
    }
}

/// The public halves of an approver's keys, under the approver's id: what a sealer seals
/// shares to and what an approval is checked against.
///
/// Serialised as `{"id", "ed25519", "x25519"}` with the keys in hex; decoding checks the id
/// and that the Ed25519 key is a valid, not small-order, point.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ApproverPublicFile", into = "ApproverPublicFile")]
pub struct ApproverPublic {
    id: String,
    approval: ed25519_dalek::VerifyingKey,
    hpke: HpkePublicKey,
}

/// An approver's public key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproverPublicFile {
    id: String,
    ed25519: String,
    x25519: String,
}

impl ApproverPublic {
    /// The approver `id` with its Ed25519 approval key and X25519 key, as raw bytes.
    pub fn from_parts(id: &str, ed25519: &[u8], x25519: &[u8]) -> Result<Self, EscrowError> {
        check_id("approver id", id, MAX_ID_LEN)?;
        let ed25519: [u8; 32] = ed25519.try_into().map_err(|_| EscrowError::Malformed {
            what: "Ed25519 public key",
            reason: format!("expected 32 bytes, got {}", ed25519.len()),
        })?;
        let approval = ed25519_dalek::VerifyingKey::from_bytes(&ed25519).map_err(|e| {
            EscrowError::Malformed {
                what: "Ed25519 public key",
                reason: e.to_string(),
            }
        })?;
        if approval.is_weak() {
            return Err(EscrowError::Malformed {
                what: "Ed25519 public key",
                reason: "a small-order point".into(),
            });
        }
        Ok(Self {
            id: id.to_owned(),
            approval,
            hpke: HpkePublicKey::from_bytes(x25519)?,
        })
    }

    /// The approver's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key the approver's approvals verify under.
    pub fn approval_public_key(&self) -> PublicKey {
        PublicKey::Ed25519(self.approval)
    }

    /// The Ed25519 approval key's 32 bytes.
    pub fn ed25519_bytes(&self) -> [u8; 32] {
        self.approval.to_bytes()
    }

    /// The X25519 key the approver's shares are sealed to.
    pub fn hpke_public_key(&self) -> &HpkePublicKey {
        &self.hpke
    }

    /// The public key file, as JSON.
    pub fn to_json(&self) -> Result<String, EscrowError> {
        serde_json::to_string_pretty(self).map_err(|e| EscrowError::Malformed {
            what: "approver public key file",
            reason: e.to_string(),
        })
    }

    /// Reads a public key file written by [`ApproverPublic::to_json`].
    pub fn from_json(text: &str) -> Result<Self, EscrowError> {
        if text.len() > MAX_KEY_FILE_LEN {
            return Err(EscrowError::TooLarge {
                what: "approver public key file",
                len: text.len(),
                max: MAX_KEY_FILE_LEN,
            });
        }
        serde_json::from_str(text).map_err(|e| EscrowError::Malformed {
            what: "approver public key file",
            reason: e.to_string(),
        })
    }
}

impl std::fmt::Debug for ApproverPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApproverPublic")
            .field("id", &self.id)
            .field("ed25519", &hex::encode(self.approval.as_bytes()))
            .field("x25519", &self.hpke.to_hex())
            .finish()
    }
}

impl TryFrom<ApproverPublicFile> for ApproverPublic {
    type Error = EscrowError;

    fn try_from(file: ApproverPublicFile) -> Result<Self, EscrowError> {
        let ed25519: [u8; 32] = hex_array("Ed25519 public key", &file.ed25519)?;
        let x25519: [u8; 32] = hex_array("X25519 public key", &file.x25519)?;
        Self::from_parts(&file.id, &ed25519, &x25519)
    }
}

impl From<ApproverPublic> for ApproverPublicFile {
    fn from(key: ApproverPublic) -> Self {
        Self {
            ed25519: hex::encode(key.approval.as_bytes()),
            x25519: key.hpke.to_hex(),
            id: key.id,
        }
    }
}
