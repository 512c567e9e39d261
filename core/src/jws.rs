//! Compact JWS (RFC 7515): signing through josekit, verification by a bounded parser.
//!
//! Signing goes through `josekit::jws::serialize_compact` with a [`JwsSigner`] backed by
//! realdid's keys (ed25519-dalek, OpenSSL P-256), so headers are serialised the way josekit
//! does it and RFC 8037 A.4 is reproduced byte for byte.
//!
//! Verification does not use josekit's deserializer, for two reasons found in testing:
//! it refuses headers that RFC 9901 implementations produce (the SD-JWT reference suite signs
//! with `"kid": 42`), and it needs the verifying key before the payload can be read, while an
//! SD-JWT verifier must read `iss` and `cnf` from the payload to know which key to use.
//! [`CompactJws::parse`] splits and decodes with size limits; [`CompactJws::verify`] checks the
//! `alg` against the key and the signature over the exact received signing input.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use josekit::JoseError;
use josekit::jws::{JwsAlgorithm, JwsHeader, JwsSigner};
use serde_json::{Map, Value};

use crate::ErrorKind;
use crate::keys::{
    Algorithm, Direct, KeyError, PublicKey, SignatureCheck, SignatureRule, SigningKey,
};

/// Largest compact JWS accepted (1 MiB): far above any credential realdid issues, small enough
/// that a hostile input cannot make a verifier allocate without bound.
pub const MAX_JWS_LEN: usize = 1 << 20;
/// Largest protected header accepted, in base64url characters.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Why a JWS could not be produced or was refused.
#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    /// The input is larger than the limit.
    #[error("JWS is {len} bytes, more than the limit of {max}")]
    TooLarge { len: usize, max: usize },
    /// The input does not have the JWS structure.
    #[error("malformed JWS {part}: {reason}")]
    Malformed { part: &'static str, reason: String },
    /// The protected header lacks `alg`, or names one realdid does not accept.
    #[error("JWS header alg: {reason}")]
    Algorithm { reason: String },
    /// The header's `alg` is not the algorithm of the key that must verify it.
    #[error("JWS alg is {header}, but the key is {key}")]
    AlgorithmMismatch { header: String, key: Algorithm },
    /// The header marks an extension critical that realdid does not understand.
    #[error("JWS header marks {name:?} critical, which is not supported")]
    UnsupportedCritical { name: String },
    /// The signature does not verify.
    #[error("JWS signature: {0}")]
    Signature(#[source] KeyError),
    /// josekit refused to serialise (for example a header claim of the wrong type).
    #[error("JWS serialisation failed: {0}")]
    Serialize(String),
}

impl JwsError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. }
            | Self::Malformed { .. }
            | Self::Algorithm { .. }
            | Self::AlgorithmMismatch { .. } => ErrorKind::InvalidInput,
            Self::UnsupportedCritical { .. } => ErrorKind::Unsupported,
            Self::Signature(e) => e.kind(),
            Self::Serialize(_) => ErrorKind::InvalidInput,
        }
    }
}

/// A josekit signer backed by a realdid [`SigningKey`].
#[derive(Debug, Clone)]
pub struct KeySigner {
    key: SigningKey,
    key_id: Option<String>,
}

impl KeySigner {
    /// A signer that sets no `kid`.
    pub fn new(key: SigningKey) -> Self {
        Self { key, key_id: None }
    }

    /// A signer that sets `kid` in every header it signs.
    pub fn with_key_id(key: SigningKey, key_id: impl Into<String>) -> Self {
        Self {
            key,
            key_id: Some(key_id.into()),
        }
    }
}

fn jose_algorithm(alg: Algorithm) -> &'static dyn JwsAlgorithm {
    match alg {
        Algorithm::EdDsa => &josekit::jws::EdDSA,
        Algorithm::Es256 => &josekit::jws::ES256,
    }
}

impl JwsSigner for KeySigner {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        jose_algorithm(self.key.algorithm())
    }

    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn signature_len(&self) -> usize {
        self.key.algorithm().signature_len()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        self.key
            .sign(message)
            .map_err(|e| JoseError::InvalidKeyFormat(e.into()))
    }

    fn box_clone(&self) -> Box<dyn JwsSigner> {
        Box::new(self.clone())
    }
}

/// Signs `payload` as a compact JWS with the given extra header members; `alg` (and `kid` if
/// the signer has one) are set by the signer and come first.
pub fn sign_compact(
    header: &Map<String, Value>,
    payload: &[u8],
    signer: &KeySigner,
) -> Result<String, JwsError> {
    let mut claims = Map::with_capacity(header.len() + 1);
    claims.insert(
        "alg".into(),
        Value::String(signer.key.algorithm().jose_name().into()),
    );
    for (k, v) in header {
        if k != "alg" {
            claims.insert(k.clone(), v.clone());
        }
    }
    let header = JwsHeader::from_map(claims).map_err(|e| JwsError::Serialize(e.to_string()))?;
    josekit::jws::serialize_compact(payload, &header, signer)
        .map_err(|e| JwsError::Serialize(e.to_string()))
}

/// A decoded, not yet verified JWS.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    signing_input: Cow<'a, str>,
    header: Map<String, Value>,
    payload: Vec<u8>,
    signature: Vec<u8>,
    algorithm: Algorithm,
}

fn decode_part(part: &'static str, text: &str) -> Result<Vec<u8>, JwsError> {
    B64.decode(text).map_err(|e| JwsError::Malformed {
        part,
        reason: format!("not base64url: {e}"),
    })
}

impl<'a> CompactJws<'a> {
    /// Splits and decodes a compact JWS; checks sizes, the header and its `alg`.
    pub fn parse(input: &'a str) -> Result<Self, JwsError> {
        if input.len() > MAX_JWS_LEN {
            return Err(JwsError::TooLarge {
                len: input.len(),
                max: MAX_JWS_LEN,
            });
        }
        let mut parts = input.splitn(3, '.');
        let (Some(header), Some(payload), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed {
                part: "structure",
                reason: "expected three parts separated by '.'".into(),
            });
        };
        if signature.contains('.') {
            return Err(JwsError::Malformed {
                part: "structure",
                reason: "more than three parts".into(),
            });
        }
        let signing_input = &input[..header.len() + 1 + payload.len()];
        Self::from_parts(Cow::Borrowed(signing_input), header, payload, signature)
    }

    /// Builds a JWS from the members of the flattened JSON serialisation.
    pub fn from_flattened(
        protected: &str,
        payload: &str,
        signature: &str,
    ) -> Result<CompactJws<'static>, JwsError> {
        let len = protected.len() + payload.len() + signature.len();
        if len > MAX_JWS_LEN {
            return Err(JwsError::TooLarge {
                len,
                max: MAX_JWS_LEN,
            });
        }
        let signing_input = Cow::Owned(format!("{protected}.{payload}"));
        CompactJws::from_parts(signing_input, protected, payload, signature)
    }

    fn from_parts(
        signing_input: Cow<'a, str>,
        header: &str,
        payload: &str,
        signature: &str,
    ) -> Result<Self, JwsError> {
        if header.len() > MAX_HEADER_LEN {
            return Err(JwsError::TooLarge {
                len: header.len(),
                max: MAX_HEADER_LEN,
            });
        }
        let header_bytes = decode_part("header", header)?;
        let header: Map<String, Value> =
            serde_json::from_slice(&header_bytes).map_err(|e| JwsError::Malformed {
                part: "header",
                reason: format!("not a JSON object: {e}"),
            })?;
        let algorithm = match header.get("alg") {
            Some(Value::String(name)) => {
                name.parse::<Algorithm>().map_err(|_| JwsError::Algorithm {
                    reason: format!("{name:?} is not accepted (EdDSA or ES256)"),
                })?
            }
            Some(_) => {
                return Err(JwsError::Algorithm {
                    reason: "must be a string".into(),
                });
            }
            None => {
                return Err(JwsError::Algorithm {
                    reason: "missing".into(),
                });
            }
        };
        if let Some(crit) = header.get("crit") {
            let name = match crit {
                Value::Array(names) => names
                    .first()
                    .map(|n| n.as_str().unwrap_or("(not a string)").to_owned()),
                _ => Some("(not an array)".to_owned()),
            };
            if let Some(name) = name {
                return Err(JwsError::UnsupportedCritical { name });
            }
        }
        let payload = decode_part("payload", payload)?;
        let signature = decode_part("signature", signature)?;
        Ok(Self {
            signing_input,
            header,
            payload,
            signature,
            algorithm,
        })
    }

    /// The protected header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The header's `typ`, if it is a string.
    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }

    /// The algorithm the header names.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The decoded payload. Not authentic until [`CompactJws::verify`] succeeded.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The ASCII signing input, `header.payload`, exactly as received.
    pub fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// Checks that the header's `alg` is the key's and that the signature verifies.
    pub fn verify(&self, key: &PublicKey) -> Result<(), JwsError> {
        self.verify_by(key, &Direct)
    }

    /// [`CompactJws::verify`], the signature checked through `signatures` (a
    /// [`crate::keys::SignatureMemo`], say).
    pub fn verify_by(
        &self,
        key: &PublicKey,
        signatures: &(impl SignatureCheck + ?Sized),
    ) -> Result<(), JwsError> {
        if key.algorithm() != self.algorithm {
            return Err(JwsError::AlgorithmMismatch {
                header: self.algorithm.jose_name().into(),
                key: key.algorithm(),
            });
        }
        signatures
            .check(
                SignatureRule::Strict,
                key,
                self.signing_input.as_bytes(),
                &self.signature,
            )
            .map_err(JwsError::Signature)
    }
}

/// Hand-built JWSs for the tests of the modules that parse them.
#[cfg(test)]
// Test support: a failure to build the token is the test's failure.
#[allow(clippy::unwrap_used)]
pub(crate) mod test_support {
    use serde_json::{Map, Value};

    use crate::keys::SigningKey;

    /// Builds and signs a JWS by hand, with any header (josekit would refuse a non-string
    /// `kid`), for malformed tokens.
    pub(crate) fn raw(header: &[(&str, Value)], payload: &Value, key: &SigningKey) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut members: Map<String, Value> = header
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        members.insert("alg".into(), key.algorithm().jose_name().into());
        let input = format!(
            "{}.{}",
            b64.encode(serde_json::to_vec(&members).unwrap()),
            b64.encode(serde_json::to_vec(payload).unwrap())
        );
        let signature = key.sign(input.as_bytes()).unwrap();
        format!("{input}.{}", b64.encode(signature))
    }
}
