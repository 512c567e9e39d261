//! An issued SD-JWT as the holder keeps it: the issuer-signed JWT and all its disclosures.

use serde_json::{Map, Value, json};

use super::digest::SHA_256;
use super::disclosure::Disclosure;
use super::path::ClaimPath;
use super::process::{DisclosureSet, Unpacked, unpack};
use super::serialization;
use super::verify::Limits;
use super::{SD_ALG_KEY, SdJwtError};

/// An SD-JWT with every disclosure the issuer made: what the issuer hands out and the
/// holder stores. [`SdJwt::present`] makes a presentation of some of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SdJwt {
    issuer_jwt: String,
    disclosures: Vec<Disclosure>,
}

impl SdJwt {
    pub(crate) fn from_parts(issuer_jwt: String, disclosures: Vec<Disclosure>) -> Self {
        Self {
            issuer_jwt,
            disclosures,
        }
    }

    /// Reads an issued SD-JWT in compact or JSON serialisation. Checks structure and
    /// disclosures, not the issuer signature: the holder verifies with
    /// [`verify`](fn@super::verify) (no key binding) when it needs to.
    pub fn parse(input: &str) -> Result<Self, SdJwtError> {
        let parts = serialization::split(input, &Limits::default())?;
        if parts.kb_jwt.is_some() {
            return Err(SdJwtError::Malformed {
                part: "SD-JWT",
                reason: "an issued SD-JWT has no KB-JWT".into(),
            });
        }
        let issuer_jwt = match parts.sd_hash_input.split_once('~') {
            Some((jwt, _)) => jwt.to_owned(),
            None => {
                return Err(SdJwtError::Internal {
                    reason: "sd_hash input without '~'".into(),
                });
            }
        };
        let disclosures = parts
            .disclosures
            .iter()
            .enumerate()
            .map(|(i, d)| Disclosure::parse(d, i))
            .collect::<Result<Vec<_>, _>>()?;
        let sd_jwt = Self::from_parts(issuer_jwt, disclosures);
        sd_jwt.unpack_all()?; // every disclosure must be referenced, exactly once
        Ok(sd_jwt)
    }

    /// The issuer-signed JWT, compact.
    pub fn issuer_jwt(&self) -> &str {
        &self.issuer_jwt
    }

    /// All disclosures, in issuance order.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The compact serialisation: `<issuer-signed JWT>~<disclosure>~…~`.
    pub fn to_compact(&self) -> String {
        compact(
            &self.issuer_jwt,
            self.disclosures.iter().map(|d| d.encoded()),
            None,
        )
    }

    /// The flattened JWS JSON serialisation of RFC 9901 §8.1.
    pub fn to_json(&self) -> Result<String, SdJwtError> {
        json_serialization(
            &self.issuer_jwt,
            self.disclosures.iter().map(|d| d.encoded()),
            None,
        )
    }

    /// The issuer-signed payload, not verified.
    pub fn payload(&self) -> Result<Map<String, Value>, SdJwtError> {
        let jws =
            crate::jws::CompactJws::parse(&self.issuer_jwt).map_err(SdJwtError::IssuerSignature)?;
        serde_json::from_slice(jws.payload()).map_err(|e| SdJwtError::Malformed {
            part: "issuer-signed JWT payload",
            reason: format!("not a JSON object: {e}"),
        })
    }

    /// The holder's view: all claims with every disclosure applied (not verified).
    pub fn claims(&self) -> Result<Map<String, Value>, SdJwtError> {
        Ok(self.unpack_all()?.claims)
    }

    /// The paths of all selectively disclosable claims, parents before children; array
    /// indices count positions in [`SdJwt::claims`].
    pub fn disclosable_paths(&self) -> Result<Vec<ClaimPath>, SdJwtError> {
        Ok(self
            .unpack_all()?
            .disclosed
            .into_iter()
            .map(|(p, _)| p)
            .collect())
    }

    /// Unpacks every disclosure; the holder's processing, with the verifier's rules.
    pub(crate) fn unpack_all(&self) -> Result<Unpacked, SdJwtError> {
        let mut payload = self.payload()?;
        match payload.shift_remove(SD_ALG_KEY) {
            None => {}
            Some(Value::String(alg)) if alg == SHA_256 => {}
            Some(other) => {
                return Err(SdJwtError::UnsupportedSdAlg {
                    alg: other.as_str().map_or_else(|| other.to_string(), Into::into),
                });
            }
        }
        let limits = Limits::default();
        let mut set = DisclosureSet::with_capacity(self.disclosures.len());
        for d in &self.disclosures {
            set.push(
                d.digest_bytes(),
                d.name().map(Into::into),
                d.value().clone(),
            )?;
        }
        unpack(payload, set, limits.max_depth)
    }
}

/// `<jwt>~<d1>~…~<dn>~[<kb>]`.
pub(crate) fn compact<'d>(
    jwt: &str,
    disclosures: impl Iterator<Item = &'d str> + Clone,
    kb_jwt: Option<&str>,
) -> String {
    let len = jwt.len()
        + 1
        + disclosures.clone().map(|d| d.len() + 1).sum::<usize>()
        + kb_jwt.map_or(0, str::len);
    let mut out = String::with_capacity(len);
    out.push_str(jwt);
    out.push('~');
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    if let Some(kb) = kb_jwt {
        out.push_str(kb);
    }
    out
}

/// The flattened JWS JSON serialisation with `disclosures` and `kb_jwt` in the unprotected
/// header, as RFC 9901 §8.1 writes it.
pub(crate) fn json_serialization<'d>(
    jwt: &str,
    disclosures: impl Iterator<Item = &'d str>,
    kb_jwt: Option<&str>,
) -> Result<String, SdJwtError> {
    let mut parts = jwt.splitn(3, '.');
    let (Some(protected), Some(payload), Some(signature)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(SdJwtError::Malformed {
            part: "issuer-signed JWT",
            reason: "expected three parts separated by '.'".into(),
        });
    };
    let mut header = Map::new();
    header.insert(
        "disclosures".into(),
        Value::Array(disclosures.map(|d| Value::String(d.into())).collect()),
    );
    if let Some(kb) = kb_jwt {
        header.insert("kb_jwt".into(), Value::String(kb.into()));
    }
    let doc = json!({
        "protected": protected,
        "payload": payload,
        "signature": signature,
        "header": header,
    });
    serde_json::to_string(&doc).map_err(|e| SdJwtError::Internal {
        reason: format!("serialising the JSON serialisation: {e}"),
    })
}
