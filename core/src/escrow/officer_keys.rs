//! The officer's key: the X25519 key that approvers release their shares to.
//!
//! Approvers never hand a share out in the clear: each release is sealed to the officer
//! who will open the record, for that record and that anchored opening only. Whoever
//! intercepts releases (the issuer relaying them, its database, its logs) learns nothing.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::EscrowError;
use super::suite::{HpkePublicKey, HpkeSecretKey, hex_secret};

/// The `type` of an officer's secret key file.
const OFFICER_SECRET_TYPE: &str = "realdid-escrow-officer-secret-v1";

/// The officer's X25519 private key. Wiped when dropped; `Debug` prints only the public key.
///
/// Serialised (serde, or [`OfficerSecret::to_json`]) as
/// `{"type": "realdid-escrow-officer-secret-v1", "x25519_secret"}` with the secret in hex.
#[derive(Clone)]
pub struct OfficerSecret {
    hpke: HpkeSecretKey,
}

/// The key file of an officer, as written to disk; wiped when dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct OfficerSecretFile {
    #[serde(rename = "type")]
    kind: String,
    x25519_secret: String,
}

impl OfficerSecret {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, EscrowError> {
        Ok(Self {
            hpke: HpkeSecretKey::generate()?,
        })
    }

    /// The public key approvers release shares to.
    pub fn public(&self) -> HpkePublicKey {
        self.hpke.public()
    }

    pub(super) fn hpke_secret(&self) -> &HpkeSecretKey {
        &self.hpke
    }

    /// The key file, as JSON. Wiped when dropped.
    pub fn to_json(&self) -> Result<Zeroizing<String>, EscrowError> {
        super::key_file::write(&self.to_file(), "officer key file")
    }

    /// Reads a key file written by [`OfficerSecret::to_json`].
    pub fn from_json(text: &str) -> Result<Self, EscrowError> {
        let file: OfficerSecretFile = super::key_file::read(text, "officer key file")?;
        Self::from_file(&file)
    }

    fn to_file(&self) -> OfficerSecretFile {
        OfficerSecretFile {
            kind: OFFICER_SECRET_TYPE.to_owned(),
            x25519_secret: hex::encode(self.hpke.to_bytes().as_ref()),
        }
    }

    fn from_file(file: &OfficerSecretFile) -> Result<Self, EscrowError> {
        if file.kind != OFFICER_SECRET_TYPE {
            return Err(EscrowError::Malformed {
                what: "officer key file",
                reason: format!("type is {:?}, not {OFFICER_SECRET_TYPE:?}", file.kind),
            });
        }
        let secret = hex_secret("X25519 private key", &file.x25519_secret)?;
        Ok(Self {
            hpke: HpkeSecretKey::from_bytes(&secret)?,
        })
    }
}

impl std::fmt::Debug for OfficerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficerSecret")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl Serialize for OfficerSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_file().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OfficerSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let file = OfficerSecretFile::deserialize(deserializer)?;
        Self::from_file(&file).map_err(serde::de::Error::custom)
    }
}
