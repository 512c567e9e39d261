//! Verifying a presented SD-JWT (RFC 9901 §7.1 and §7.3): the verifier's hot path.
//!
//! Order of work, cheapest refusals first: limits and structure, and the issuer-signed JWT's
//! header and payload decoded once ([`UnverifiedSdJwt`]); `typ`; the issuer key, resolved
//! from the unverified header and payload; the issuer signature; `_sd_alg`; each disclosure
//! hashed once and decoded once; the unpacking with all its uniqueness rules; `cnf`; the
//! KB-JWT; the validity window.

use serde_json::{Map, Value};

use super::digest::{SHA_256, digest_bytes};
use super::disclosure;
use super::key_binding::{self, KeyBindingCheck, KeyBindingClaims, verify_key_binding_jwt};
use super::path::ClaimPath;
use super::process::{DisclosureSet, unpack};
use super::unverified::UnverifiedSdJwt;
use super::{SD_ALG_KEY, SdJwtError};
use crate::keys::{Direct, Jwk, PublicKey, SignatureCheck};
use crate::typed_jws::typ_is;

/// Default largest serialised SD-JWT accepted (1 MiB), the same bound as a compact JWS.
pub const DEFAULT_MAX_LEN: usize = 1 << 20;
/// Default largest number of disclosures in one SD-JWT.
pub const DEFAULT_MAX_DISCLOSURES: usize = 1_000;
/// Default deepest nesting of objects and arrays in the claims.
pub const DEFAULT_MAX_DEPTH: usize = 32;
/// Default clock leeway, in seconds, for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY: i64 = 60;

/// Bounds on what a verifier (or holder) will process, so that hostile input costs bounded
/// memory and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest serialised SD-JWT, in bytes.
    pub max_len: usize,
    /// Largest number of disclosures.
    pub max_disclosures: usize,
    /// Deepest nesting of objects and arrays.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_len: DEFAULT_MAX_LEN,
            max_disclosures: DEFAULT_MAX_DISCLOSURES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// What a verifier requires of an SD-JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The issuer JWS header `typ` required (compared as a media type: case-insensitively,
    /// with or without `application/`); `None` accepts any. Profiles set it: SD-JWT VC
    /// requires `dc+sd-jwt`, the reference test suite signs `example+sd-jwt`.
    pub expected_typ: Option<String>,
    /// `Some` to require key binding and check it; `None` to accept a presentation without
    /// one (a KB-JWT present anyway must still be a well-formed `kb+jwt` JWS, but is not
    /// otherwise checked, as RFC 9901 §7.3 allows).
    pub key_binding: Option<KeyBindingCheck>,
    /// Clock leeway in seconds, for `exp`, `nbf`, `iat` and the KB-JWT `iat`.
    pub leeway: i64,
    /// Size, count and depth limits.
    pub limits: Limits,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            expected_typ: None,
            key_binding: None,
            leeway: DEFAULT_LEEWAY,
            limits: Limits::default(),
        }
    }
}

/// Finds the issuer's key from the unverified issuer JWS header and payload (`iss`, `kid`,
/// `x5c`…), and refuses issuers the verifier does not trust.
///
/// Any `Fn(&header, &payload) -> Result<PublicKey, SdJwtError>` is one, and so is a
/// [`PublicKey`] (a verifier that trusts exactly one issuer key).
pub trait IssuerKeyResolver {
    /// The key that must have signed the issuer JWS.
    fn resolve(
        &self,
        header: &Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<PublicKey, SdJwtError>;

    /// How the issuer signature is checked: afresh by default. A verifier that sees one
    /// credential presented again and again may answer from a
    /// [`SignatureMemo`](crate::keys::SignatureMemo) instead.
    fn signatures(&self) -> &dyn SignatureCheck {
        &Direct
    }
}

impl<F> IssuerKeyResolver for F
where
    F: Fn(&Map<String, Value>, &Map<String, Value>) -> Result<PublicKey, SdJwtError>,
{
    fn resolve(
        &self,
        header: &Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<PublicKey, SdJwtError> {
        self(header, payload)
    }
}

impl IssuerKeyResolver for PublicKey {
    fn resolve(
        &self,
        _header: &Map<String, Value>,
        _payload: &Map<String, Value>,
    ) -> Result<PublicKey, SdJwtError> {
        Ok(self.clone())
    }
}

/// A verified SD-JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedSdJwt {
    /// The issuer JWS protected header.
    pub header: Map<String, Value>,
    /// The processed claims: plain claims and disclosed ones; no `_sd`, `_sd_alg` or `...`.
    pub claims: Map<String, Value>,
    /// The holder key from `cnf.jwk`, if the SD-JWT names one.
    pub holder_key: Option<PublicKey>,
    /// The paths of the claims that came from disclosures (parents before children); array
    /// indices count positions in `claims`.
    pub disclosed: Vec<ClaimPath>,
    /// The KB-JWT claims, when key binding was required and verified.
    pub key_binding: Option<KeyBindingClaims>,
}

/// Verifies a presented SD-JWT (compact or JSON serialisation) and returns its claims.
pub fn verify<R>(
    presentation: &str,
    options: &VerifyOptions,
    issuer_key: &R,
    now: i64,
) -> Result<VerifiedSdJwt, SdJwtError>
where
    R: IssuerKeyResolver + ?Sized,
{
    let typs: Vec<&str> = options.expected_typ.as_deref().into_iter().collect();
    let presented = UnverifiedSdJwt::parse(presentation, &options.limits)?;
    verify_with(presented, &typs, options, issuer_key, now)
}

/// [`verify`](fn@verify) of a presentation already taken apart, with a list of accepted `typ`
/// values (empty: any), for profiles that accept more than one.
pub(crate) fn verify_with<R>(
    presented: UnverifiedSdJwt<'_>,
    accepted_typs: &[&str],
    options: &VerifyOptions,
    issuer_key: &R,
    now: i64,
) -> Result<VerifiedSdJwt, SdJwtError>
where
    R: IssuerKeyResolver + ?Sized,
{
    let limits = &options.limits;
    let UnverifiedSdJwt { parts, mut payload } = presented;
    let jws = &parts.jws;

    if !accepted_typs.is_empty() && !accepted_typs.iter().any(|t| typ_is(jws.typ(), t)) {
        return Err(SdJwtError::Typ {
            expected: accepted_typs.join(" or "),
            found: jws.typ().map(Into::into),
        });
    }

    let key = issuer_key.resolve(jws.header(), &payload)?;
    jws.verify_by(&key, issuer_key.signatures())
        .map_err(SdJwtError::IssuerSignature)?;

    match payload.shift_remove(SD_ALG_KEY) {
        None => {} // RFC 9901 §4.1.1: absent means sha-256
        Some(Value::String(alg)) if alg == SHA_256 => {}
        Some(Value::String(alg)) => return Err(SdJwtError::UnsupportedSdAlg { alg }),
        Some(other) => {
            return Err(SdJwtError::UnsupportedSdAlg {
                alg: other.to_string(),
            });
        }
    }

    let mut set = DisclosureSet::with_capacity(parts.disclosures.len());
    for (index, encoded) in parts.disclosures.iter().enumerate() {
        let (_salt, name, value) = disclosure::decode(encoded, index)?;
        set.push(digest_bytes(encoded), name, value)?;
    }
    let unpacked = unpack(payload, set, limits.max_depth)?;
    let claims = unpacked.claims;

    let holder_key = holder_key(&claims)?;

    let key_binding = match (&options.key_binding, &parts.kb_jwt) {
        (Some(check), Some(kb_jwt)) => {
            let holder_key = holder_key.as_ref().ok_or(SdJwtError::NoHolderKey)?;
            let expected = super::sd_hash(&parts.sd_hash_input);
            Some(verify_key_binding_jwt(
                kb_jwt,
                holder_key,
                &expected,
                check,
                options.leeway,
                now,
            )?)
        }
        (Some(_), None) => return Err(SdJwtError::KeyBindingRequired),
        (None, Some(kb_jwt)) => {
            key_binding::parse(kb_jwt)?;
            None
        }
        (None, None) => None,
    };

    check_validity(&claims, options.leeway, now)?;

    Ok(VerifiedSdJwt {
        header: jws.header().clone(),
        claims,
        holder_key,
        disclosed: unpacked.disclosed.into_iter().map(|(p, _)| p).collect(),
        key_binding,
    })
}

/// The holder key of `cnf.jwk`. A `cnf` without `jwk` (a `kid` or `jku` reference) names no
/// key this library can use; a malformed `cnf.jwk` is an error even without key binding,
/// because the issuer signed something broken.
fn holder_key(claims: &Map<String, Value>) -> Result<Option<PublicKey>, SdJwtError> {
    let Some(cnf) = claims.get("cnf") else {
        return Ok(None);
    };
    let Value::Object(cnf) = cnf else {
        return Err(SdJwtError::InvalidClaim {
            name: "cnf".into(),
            reason: "not an object".into(),
        });
    };
    match cnf.get("jwk") {
        Some(jwk) => Ok(Some(Jwk::from_value(jwk)?.to_public_key()?)),
        None => Ok(None),
    }
}

/// A NumericDate claim (RFC 7519 §2), floored to whole seconds.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, SdJwtError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let invalid = || SdJwtError::InvalidClaim {
        name: name.into(),
        reason: "not a NumericDate".into(),
    };
    let Value::Number(n) = value else {
        return Err(invalid());
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // Floats in i64 range: the cast truncates towards zero after floor, exactly.
        Some(f) if f.is_finite() && f.abs() < 9.0e15 => Ok(Some(f.floor() as i64)),
        _ => Err(invalid()),
    }
}

/// `exp`, `nbf` and `iat` against `now`, each with `leeway`.
pub(crate) fn check_validity(
    claims: &Map<String, Value>,
    leeway: i64,
    now: i64,
) -> Result<(), SdJwtError> {
    if let Some(exp) = numeric_date(claims, "exp")?
        && now.saturating_sub(leeway) >= exp
    {
        return Err(SdJwtError::Expired { exp, now });
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && now.saturating_add(leeway) < nbf
    {
        return Err(SdJwtError::NotYetValid { nbf, now });
    }
    if let Some(iat) = numeric_date(claims, "iat")?
        && iat > now.saturating_add(leeway)
    {
        return Err(SdJwtError::IssuedInFuture { iat, now });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_comparison_is_media_type_like() {
        assert!(typ_is(Some("dc+sd-jwt"), "dc+sd-jwt"));
        assert!(typ_is(Some("application/DC+SD-JWT"), "dc+sd-jwt"));
        assert!(!typ_is(Some("vc+sd-jwt"), "dc+sd-jwt"));
        assert!(!typ_is(None, "dc+sd-jwt"));
        assert!(!typ_is(Some("é"), "dc+sd-jwt"));
    }
}
