//! JSON Web Keys (RFC 7517/7518/8037) and JWK thumbprints (RFC 7638).
//!
//! Only the members realdid needs are modelled: `kty`, `crv`, `x`, `y` for public keys and
//! `d` for secret ones. Unknown members (`kid`, `use`, `alg`, …) are kept as they were read so
//! that a JWK round-trips, but they never influence the key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::p256::{FIELD_LEN, P256PublicKey};
use super::{Algorithm, KeyError, PublicKey, SigningKey};

/// A JWK as it appears on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `OKP` (Ed25519) or `EC` (P-256).
    pub kty: String,
    /// Curve: `Ed25519` or `P-256`.
    pub crv: String,
    /// Public key (Ed25519) or x coordinate (P-256), base64url.
    pub x: String,
    /// y coordinate (P-256 only), base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Secret seed or scalar, base64url; only in private JWKs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Every other member, kept verbatim.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

fn decode(member: &'static str, value: &str, len: usize) -> Result<Vec<u8>, KeyError> {
    let bytes = B64.decode(value).map_err(|e| KeyError::InvalidJwk {
        member,
        reason: format!("not base64url: {e}"),
    })?;
    if bytes.len() != len {
        return Err(KeyError::InvalidJwk {
            member,
            reason: format!("must decode to {len} bytes, got {}", bytes.len()),
        });
    }
    Ok(bytes)
}

impl Jwk {
    /// Parses a JWK from JSON text.
    pub fn from_json(text: &str) -> Result<Self, KeyError> {
        serde_json::from_str(text).map_err(|e| KeyError::InvalidJwk {
            member: "(document)",
            reason: e.to_string(),
        })
    }

    /// Parses a JWK from a JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, KeyError> {
        Self::deserialize(value).map_err(|e| KeyError::InvalidJwk {
            member: "(document)",
            reason: e.to_string(),
        })
    }

    /// The algorithm the key's type and curve imply.
    pub fn algorithm(&self) -> Result<Algorithm, KeyError> {
        match (self.kty.as_str(), self.crv.as_str()) {
            ("OKP", "Ed25519") => Ok(Algorithm::EdDsa),
            ("EC", "P-256") => Ok(Algorithm::Es256),
            (kty, crv) => Err(KeyError::UnsupportedKeyType {
                what: format!("kty {kty:?} crv {crv:?}"),
            }),
        }
    }

    /// The public key this JWK describes (private members are ignored).
    pub fn to_public_key(&self) -> Result<PublicKey, KeyError> {
        match self.algorithm()? {
            Algorithm::EdDsa => {
                let x = decode("x", &self.x, 32)?;
                PublicKey::from_bytes(Algorithm::EdDsa, &x)
            }
            Algorithm::Es256 => {
                let x = decode("x", &self.x, FIELD_LEN)?;
                let y = self.y.as_deref().ok_or(KeyError::InvalidJwk {
                    member: "y",
                    reason: "missing for an EC key".into(),
                })?;
                let y = decode("y", y, FIELD_LEN)?;
                Ok(PublicKey::P256(P256PublicKey::from_coordinates(&x, &y)?))
            }
        }
    }

    /// The secret key of a private JWK; checks that `d` matches the public members.
    pub fn to_signing_key(&self) -> Result<SigningKey, KeyError> {
        let algorithm = self.algorithm()?;
        let d = self.d.as_deref().ok_or(KeyError::InvalidJwk {
            member: "d",
            reason: "missing: not a private JWK".into(),
        })?;
        let d = decode("d", d, 32)?;
        let key = SigningKey::from_secret_bytes(algorithm, &d)?;
        if key.public_key() != self.to_public_key()? {
            return Err(KeyError::InvalidJwk {
                member: "d",
                reason: "does not match the public members".into(),
            });
        }
        Ok(key)
    }

    /// The public JWK of a key.
    pub fn from_public_key(key: &PublicKey) -> Result<Self, KeyError> {
        Ok(match key {
            PublicKey::Ed25519(k) => Self {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: B64.encode(k.as_bytes()),
                y: None,
                d: None,
                other: serde_json::Map::new(),
            },
            PublicKey::P256(k) => {
                let (x, y) = k.coordinates()?;
                Self {
                    kty: "EC".into(),
                    crv: "P-256".into(),
                    x: B64.encode(x),
                    y: Some(B64.encode(y)),
                    d: None,
                    other: serde_json::Map::new(),
                }
            }
        })
    }

    /// The private JWK of a key (public members plus `d`).
    pub fn from_signing_key(key: &SigningKey) -> Result<Self, KeyError> {
        let mut jwk = Self::from_public_key(&key.public_key())?;
        jwk.d = Some(B64.encode(*key.secret_bytes()?));
        Ok(jwk)
    }

    /// This JWK without its secret member and without extra members.
    pub fn public_only(&self) -> Self {
        Self {
            d: None,
            other: serde_json::Map::new(),
            ..self.clone()
        }
    }

    /// The JSON of the required public members in lexicographic order with no whitespace:
    /// the input of the RFC 7638 thumbprint, and the canonical form used by did:jwk.
    pub fn canonical_public_json(&self) -> String {
        // Member values are base64url or fixed names, so no JSON escaping is ever needed;
        // serde_json::to_string is used anyway to keep that an implementation detail.
        let s = |v: &str| serde_json::Value::String(v.to_owned()).to_string();
        match &self.y {
            Some(y) => format!(
                "{{\"crv\":{},\"kty\":{},\"x\":{},\"y\":{}}}",
                s(&self.crv),
                s(&self.kty),
                s(&self.x),
                s(y)
            ),
            None => format!(
                "{{\"crv\":{},\"kty\":{},\"x\":{}}}",
                s(&self.crv),
                s(&self.kty),
                s(&self.x)
            ),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub fn thumbprint(&self) -> String {
        B64.encode(Sha256::digest(self.canonical_public_json().as_bytes()))
    }
}
