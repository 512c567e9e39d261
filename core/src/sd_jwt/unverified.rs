//! A presentation taken apart, before anything in it is trusted.
//!
//! A verifier must read the unverified `iss` and `kid` to find the key that checks the issuer
//! signature: a registry read, which may wait. It takes the presentation apart once, reads
//! what it needs from this, then verifies this value itself, so that the issuer-signed JWT is
//! decoded once (base64 and JSON) rather than once for the lookup and again for the check.

use serde_json::{Map, Value};

use super::SdJwtError;
use super::serialization::{self, Parts};
use super::verify::Limits;

/// A presented SD-JWT (compact or JSON serialisation) split into its parts, with the
/// issuer-signed JWT's header and payload decoded. Nothing is verified: [`Self::header`] and
/// [`Self::payload`] are what the presenter wrote.
pub struct UnverifiedSdJwt<'a> {
    pub(crate) parts: Parts<'a>,
    pub(crate) payload: Map<String, Value>,
}

impl std::fmt::Debug for UnverifiedSdJwt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnverifiedSdJwt")
            .field("header", self.header())
            .field("disclosures", &self.parts.disclosures.len())
            .field("kb_jwt", &self.parts.kb_jwt.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> UnverifiedSdJwt<'a> {
    /// Splits `presentation` within `limits` and decodes its issuer-signed JWT's header and
    /// payload; fails on anything that is not an SD-JWT's shape.
    pub fn parse(presentation: &'a str, limits: &Limits) -> Result<Self, SdJwtError> {
        Self::decoded(serialization::split(presentation, limits)?)
    }

    /// [`Self::parse`] of the compact serialisation alone, for a verifier whose transport
    /// carries only that form: the JSON serialisation is malformed here.
    pub fn parse_compact(presentation: &'a str, limits: &Limits) -> Result<Self, SdJwtError> {
        Self::decoded(serialization::split_compact_only(presentation, limits)?)
    }

    fn decoded(parts: Parts<'a>) -> Result<Self, SdJwtError> {
        let payload =
            serde_json::from_slice(parts.jws.payload()).map_err(|e| SdJwtError::Malformed {
                part: "issuer-signed JWT payload",
                reason: format!("not a JSON object: {e}"),
            })?;
        Ok(Self { parts, payload })
    }

    /// The issuer-signed JWT's protected header, unverified.
    pub fn header(&self) -> &Map<String, Value> {
        self.parts.jws.header()
    }

    /// The issuer-signed JWT's payload, unverified: hidden claims are still digests.
    pub fn payload(&self) -> &Map<String, Value> {
        &self.payload
    }
}
