//! Presenting: the holder picks claims to reveal and, when the verifier asks for it, binds
//! the presentation to its key with a KB-JWT.
//!
//! Revealing a path reveals the claim at that path whole (every disclosure inside its
//! value) and the disclosures of all its ancestors, without which it could not be reached:
//! `/address/locality` reveals `address` (as an object holding only `locality` and the
//! always-visible members) and `locality`; `/address` reveals the whole address.

use super::SdJwtError;
use super::digest::sd_hash;
use super::key_binding::{self, KeyBindingParams};
use super::path::ClaimPath;
use super::token::{SdJwt, compact, json_serialization};
use crate::jws::KeySigner;

/// A presentation: the issuer-signed JWT, the revealed disclosures and, once bound, the
/// KB-JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    issuer_jwt: String,
    disclosures: Vec<String>,
    kb_jwt: Option<String>,
}

impl SdJwt {
    /// A presentation revealing the claims at `reveal` (see the module documentation);
    /// disclosures keep their issuance order. A path that leads nowhere in
    /// [`SdJwt::claims`] is an error, so that a typo does not silently reveal less.
    pub fn present(&self, reveal: &[ClaimPath]) -> Result<Presentation, SdJwtError> {
        let unpacked = self.unpack_all()?;
        let claims = serde_json::Value::Object(unpacked.claims);
        if let Some(missing) = reveal.iter().find(|p| p.resolve(&claims).is_none()) {
            return Err(SdJwtError::PathNotFound {
                path: missing.to_string(),
            });
        }
        let mut chosen = vec![false; self.disclosures().len()];
        for (path, index) in &unpacked.disclosed {
            // An ancestor of a revealed claim (path is a prefix of it), the claim itself, or
            // part of its value (it is a prefix of path).
            if reveal
                .iter()
                .any(|r| path.is_prefix_of(r) || r.is_prefix_of(path))
                && let Some(slot) = chosen.get_mut(*index)
            {
                *slot = true;
            }
        }
        let disclosures = self
            .disclosures()
            .iter()
            .zip(chosen)
            .filter(|(_, chosen)| *chosen)
            .map(|(d, _)| d.encoded().to_owned())
            .collect();
        Ok(Presentation {
            issuer_jwt: self.issuer_jwt().to_owned(),
            disclosures,
            kb_jwt: None,
        })
    }
}

impl Presentation {
    /// Binds the presentation to the holder's key: signs a KB-JWT over its `sd_hash`.
    /// Replaces a KB-JWT bound before.
    pub fn bind(
        mut self,
        params: &KeyBindingParams,
        holder: &KeySigner,
    ) -> Result<Presentation, SdJwtError> {
        let hash = sd_hash(&self.sd_hash_input());
        self.kb_jwt = Some(key_binding::create(&hash, params, holder)?);
        Ok(self)
    }

    /// The compact form up to and including the last `~`: what `sd_hash` covers, in both
    /// serialisations.
    pub fn sd_hash_input(&self) -> String {
        compact(
            &self.issuer_jwt,
            self.disclosures.iter().map(String::as_str),
            None,
        )
    }

    /// The compact serialisation `<issuer-signed JWT>~<disclosure>~…~[<KB-JWT>]`.
    pub fn to_compact(&self) -> String {
        compact(
            &self.issuer_jwt,
            self.disclosures.iter().map(String::as_str),
            self.kb_jwt.as_deref(),
        )
    }

    /// The flattened JWS JSON serialisation of RFC 9901 §8.1.
    pub fn to_json(&self) -> Result<String, SdJwtError> {
        json_serialization(
            &self.issuer_jwt,
            self.disclosures.iter().map(String::as_str),
            self.kb_jwt.as_deref(),
        )
    }

    /// The issuer-signed JWT.
    pub fn issuer_jwt(&self) -> &str {
        &self.issuer_jwt
    }

    /// The revealed disclosures, encoded.
    pub fn disclosures(&self) -> &[String] {
        &self.disclosures
    }

    /// The KB-JWT, once bound.
    pub fn kb_jwt(&self) -> Option<&str> {
        self.kb_jwt.as_deref()
    }
}
