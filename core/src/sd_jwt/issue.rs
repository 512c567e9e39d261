//! Issuing an SD-JWT: from plain claims and the paths that are selectively disclosable to the
//! issuer-signed JWT and its disclosures.
//!
//! Every disclosable object property becomes a digest in its object's `_sd` array (sorted,
//! so the order of digests says nothing about the order of claims); every disclosable array
//! element becomes `{"...": digest}` in place. Paths nest: `/address` and
//! `/address/street_address` together make the street disclosable inside a disclosable
//! address. Decoy digests, if asked for, are added to every `_sd` array written and to the
//! top-level object, so a verifier cannot count the hidden claims.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::digest::{SHA_256, encode_digest};
use super::disclosure::{Disclosure, OsRandom, SaltSource, new_salt};
use super::path::ClaimPath;
use super::token::SdJwt;
use super::verify::DEFAULT_MAX_DEPTH;
use super::{ARRAY_ELEMENT_KEY, SD_ALG_KEY, SD_KEY, SdJwtError};
use crate::jws::{KeySigner, sign_compact};
use crate::keys::{Jwk, PublicKey};

#[derive(Debug, Clone)]
enum PathArg {
    Pointer(String),
    Path(ClaimPath),
}

/// Builds and signs an SD-JWT.
///
/// ```
/// # use realdid_core::sd_jwt::SdJwtBuilder;
/// # use realdid_core::jws::KeySigner;
/// # use realdid_core::keys::{Algorithm, SigningKey};
/// # use serde_json::json;
/// let issuer = KeySigner::new(SigningKey::generate(Algorithm::EdDsa)?);
/// let holder = SigningKey::generate(Algorithm::EdDsa)?;
/// let claims = json!({"iss": "https://issuer.example", "address": {"street": "Main St", "country": "CN"}});
/// let sd_jwt = SdJwtBuilder::new(claims.as_object().cloned().unwrap_or_default())
///     .disclosable("/address")
///     .disclosable("/address/street")
///     .decoys(2)
///     .holder_key(&holder.public_key())
///     .sign(&issuer, "example+sd-jwt")?;
/// assert_eq!(sd_jwt.disclosures().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SdJwtBuilder {
    claims: Map<String, Value>,
    disclosable: Vec<PathArg>,
    decoys: usize,
    holder_key: Option<PublicKey>,
    header: Map<String, Value>,
    max_depth: usize,
}

impl SdJwtBuilder {
    /// Starts from the claims as they would be in a plain JWT (including `iss`, `iat`,
    /// `exp`: the builder adds no time claims, core has no clock).
    pub fn new(claims: Map<String, Value>) -> Self {
        Self {
            claims,
            disclosable: Vec::new(),
            decoys: 0,
            holder_key: None,
            header: Map::new(),
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Makes the claim at a JSON Pointer selectively disclosable; a malformed or dangling
    /// pointer is reported by [`SdJwtBuilder::sign`].
    pub fn disclosable(mut self, pointer: &str) -> Self {
        self.disclosable.push(PathArg::Pointer(pointer.into()));
        self
    }

    /// Makes the claim at `path` selectively disclosable.
    pub fn disclosable_path(mut self, path: ClaimPath) -> Self {
        self.disclosable.push(PathArg::Path(path));
        self
    }

    /// Adds `count` decoy digests to every `_sd` array written and to the top-level object.
    pub fn decoys(mut self, count: usize) -> Self {
        self.decoys = count;
        self
    }

    /// Binds the SD-JWT to the holder's key: `cnf: {"jwk": …}`.
    pub fn holder_key(mut self, key: &PublicKey) -> Self {
        self.holder_key = Some(key.clone());
        self
    }

    /// Adds a member to the protected header (`kid`, `x5c`…); `alg` is always the signer's
    /// and `typ` the one passed to `sign`.
    pub fn header_param(mut self, name: impl Into<String>, value: Value) -> Self {
        self.header.insert(name.into(), value);
        self
    }

    /// Signs with salts from the operating system's random source.
    pub fn sign(self, signer: &KeySigner, typ: &str) -> Result<SdJwt, SdJwtError> {
        self.sign_with_salts(signer, typ, &mut OsRandom)
    }

    /// Signs with salts (and decoy input) from `salts`; deterministic sources make
    /// reproducible test vectors.
    pub fn sign_with_salts(
        self,
        signer: &KeySigner,
        typ: &str,
        salts: &mut dyn SaltSource,
    ) -> Result<SdJwt, SdJwtError> {
        let Self {
            claims,
            disclosable,
            decoys,
            holder_key,
            mut header,
            max_depth,
        } = self;

        for (name, value) in &claims {
            if name == SD_ALG_KEY {
                return Err(SdJwtError::ReservedClaimName { name: name.clone() });
            }
            check_name(name)?;
            check_input(value, 1, max_depth)?;
        }
        if holder_key.is_some() && claims.contains_key("cnf") {
            return Err(SdJwtError::InvalidClaims {
                reason: "cnf is in the claims and a holder key is set".into(),
            });
        }

        let claims = Value::Object(claims);
        let mut trie = Trie::default();
        for arg in disclosable {
            let path = match arg {
                PathArg::Pointer(p) => ClaimPath::parse(&p)?,
                PathArg::Path(p) => p,
            };
            if path.is_root() {
                return Err(SdJwtError::InvalidPath {
                    path: String::new(),
                    reason: "the whole claim set cannot be selectively disclosable".into(),
                });
            }
            if path.resolve(&claims).is_none() {
                return Err(SdJwtError::PathNotFound {
                    path: path.to_string(),
                });
            }
            trie.insert(path.segments());
        }

        let Value::Object(claims) = claims else {
            return Err(SdJwtError::Internal {
                reason: "claims stopped being an object".into(),
            });
        };
        let mut encoder = Encoder {
            salts,
            decoys,
            disclosures: Vec::new(),
        };
        let mut payload = encoder.object(claims, Some(&trie), true)?;
        payload.insert(SD_ALG_KEY.into(), Value::String(SHA_256.into()));
        if let Some(key) = &holder_key {
            let jwk = serde_json::to_value(Jwk::from_public_key(key)?).map_err(|e| {
                SdJwtError::Internal {
                    reason: format!("serialising a JWK: {e}"),
                }
            })?;
            let mut cnf = Map::new();
            cnf.insert("jwk".into(), jwk);
            payload.insert("cnf".into(), Value::Object(cnf));
        }

        header.insert("typ".into(), Value::String(typ.into()));
        let payload = serde_json::to_vec(&payload).map_err(|e| SdJwtError::Internal {
            reason: format!("serialising the payload: {e}"),
        })?;
        let jwt = sign_compact(&header, &payload, signer).map_err(SdJwtError::Signing)?;
        Ok(SdJwt::from_parts(jwt, encoder.disclosures))
    }
}

fn check_name(name: &str) -> Result<(), SdJwtError> {
    if name == SD_KEY || name == ARRAY_ELEMENT_KEY {
        return Err(SdJwtError::ReservedClaimName { name: name.into() });
    }
    Ok(())
}

/// Refuses reserved names anywhere and nesting the verifier would refuse.
fn check_input(value: &Value, depth: usize, max_depth: usize) -> Result<(), SdJwtError> {
    let too_deep = || SdJwtError::TooDeep { max: max_depth };
    match value {
        Value::Object(map) => {
            if depth >= max_depth {
                return Err(too_deep());
            }
            for (name, value) in map {
                check_name(name)?;
                check_input(value, depth + 1, max_depth)?;
            }
        }
        Value::Array(items) => {
            if depth >= max_depth {
                return Err(too_deep());
            }
            for value in items {
                check_input(value, depth + 1, max_depth)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The disclosable paths, as a tree of segments.
#[derive(Debug, Default)]
struct Trie {
    disclosable: bool,
    children: HashMap<String, Trie>,
}

impl Trie {
    fn insert(&mut self, segments: &[String]) {
        let mut node = self;
        for segment in segments {
            node = node.children.entry(segment.clone()).or_default();
        }
        node.disclosable = true;
    }
}

struct Encoder<'s> {
    salts: &'s mut dyn SaltSource,
    decoys: usize,
    disclosures: Vec<Disclosure>,
}

impl Encoder<'_> {
    fn value(&mut self, value: Value, trie: Option<&Trie>) -> Result<Value, SdJwtError> {
        if trie.is_none_or(|t| t.children.is_empty()) {
            return Ok(value); // nothing disclosable below
        }
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, trie, false)?)),
            Value::Array(items) => Ok(Value::Array(self.array(items, trie)?)),
            scalar => Ok(scalar),
        }
    }

    fn object(
        &mut self,
        map: Map<String, Value>,
        trie: Option<&Trie>,
        top_level: bool,
    ) -> Result<Map<String, Value>, SdJwtError> {
        let mut plain = Vec::with_capacity(map.len());
        let mut digests = Vec::new();
        for (name, value) in map {
            let child = trie.and_then(|t| t.children.get(&name));
            let value = self.value(value, child)?;
            if child.is_some_and(|c| c.disclosable) {
                let salt = new_salt(self.salts)?;
                let disclosure = Disclosure::property(salt, name, value)?;
                digests.push(disclosure.digest());
                self.disclosures.push(disclosure);
            } else {
                plain.push((name, value));
            }
        }
        if !digests.is_empty() || (top_level && self.decoys > 0) {
            for _ in 0..self.decoys {
                digests.push(self.decoy()?);
            }
        }
        digests.sort_unstable();
        let mut out = Map::with_capacity(plain.len() + 1);
        if !digests.is_empty() {
            out.insert(
                SD_KEY.into(),
                Value::Array(digests.into_iter().map(Value::String).collect()),
            );
        }
        out.extend(plain);
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>, trie: Option<&Trie>) -> Result<Vec<Value>, SdJwtError> {
        let mut out = Vec::with_capacity(items.len());
        for (index, value) in items.into_iter().enumerate() {
            let child = trie.and_then(|t| t.children.get(&index.to_string()));
            let value = self.value(value, child)?;
            if child.is_some_and(|c| c.disclosable) {
                let salt = new_salt(self.salts)?;
                let disclosure = Disclosure::array_element(salt, value)?;
                let mut placeholder = Map::with_capacity(1);
                placeholder.insert(ARRAY_ELEMENT_KEY.into(), Value::String(disclosure.digest()));
                out.push(Value::Object(placeholder));
                self.disclosures.push(disclosure);
            } else {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// A digest over random bytes (RFC 9901 §4.2.5): indistinguishable from a real one.
    fn decoy(&mut self) -> Result<String, SdJwtError> {
        let mut bytes = [0u8; 32];
        self.salts.fill(&mut bytes)?;
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        Ok(encode_digest(&digest))
    }
}
