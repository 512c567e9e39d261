//! The SD-JWT VC profile (IETF draft-ietf-oauth-sd-jwt-vc): the credential format realdid
//! issues.
//!
//! On top of RFC 9901 the profile requires: header `typ: dc+sd-jwt`; a string `iss`; a
//! string `vct` (the credential type); `cnf` when the verifier requires key binding; and
//! `iss`, `nbf`, `exp`, `cnf`, `vct` and `status` always in the clear, never selectively
//! disclosable (checked both when issuing and when verifying). `status`, when present,
//! references an IETF Token Status List: `{"status_list": {"idx": N, "uri": "…"}}`; it is
//! parsed here and checked elsewhere ([`crate::status_list`]).
//!
//! `typ`: the draft named it `vc+sd-jwt` until version 06, then renamed it `dc+sd-jwt`
//! because `vc+` collides with the W3C VC media types. realdid issues only `dc+sd-jwt`, and
//! its verifiers refuse `vc+sd-jwt` unless [`VcVerifyOptions::accept_legacy_typ`] is set, an
//! opt-in for a transition period with wallets holding credentials from older issuers.
//! Nothing else differs between the two, so accepting the old name adds no weakness beyond
//! the type confusion the rename was made to prevent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::disclosure::{OsRandom, SaltSource};
use super::key_binding::{KeyBindingCheck, KeyBindingClaims};
use super::path::ClaimPath;
use super::token::SdJwt;
use super::unverified::UnverifiedSdJwt;
use super::verify::{
    DEFAULT_LEEWAY, IssuerKeyResolver, Limits, VerifyOptions, numeric_date, verify_with,
};
use super::{SdJwtBuilder, SdJwtError};
use crate::jws::KeySigner;
use crate::keys::PublicKey;

/// The `typ` of an SD-JWT VC.
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";
/// The `typ` of an SD-JWT VC before draft 06; see the module documentation.
pub const SD_JWT_VC_LEGACY_TYP: &str = "vc+sd-jwt";
/// Claims that must never be selectively disclosable.
pub const NON_DISCLOSABLE_CLAIMS: [&str; 6] = ["iss", "nbf", "exp", "cnf", "vct", "status"];
/// Claims the profile sets from [`SdJwtVcIssuance`] fields, so not from its `claims`.
const REGISTERED_CLAIMS: [&str; 7] = ["iss", "iat", "nbf", "exp", "cnf", "vct", "status"];

/// A reference into an IETF Token Status List: bit(s) `idx` of the list at `uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListReference {
    /// The index of the credential's entry in the list.
    pub idx: u64,
    /// Where the status list token is published.
    pub uri: String,
}

/// Everything an issuer decides about one SD-JWT VC.
#[derive(Debug, Clone)]
pub struct SdJwtVcIssuance {
    /// `iss`: the issuer's identifier (a `did:realdid` or an HTTPS URL).
    pub issuer: String,
    /// `vct`: the credential type.
    pub vct: String,
    /// `iat`, unix seconds.
    pub issued_at: Option<i64>,
    /// `nbf`, unix seconds.
    pub not_before: Option<i64>,
    /// `exp`, unix seconds.
    pub expires_at: Option<i64>,
    /// `status`: where revocation is published.
    pub status: Option<StatusListReference>,
    /// `cnf.jwk`: the holder key the credential is bound to.
    pub holder_key: Option<PublicKey>,
    /// The other claims (`sub`, the subject's attributes…). Must not contain the claims set
    /// from the fields above.
    pub claims: Map<String, Value>,
    /// Which claims are selectively disclosable, as paths into the claims; none of them may
    /// start at a [`NON_DISCLOSABLE_CLAIMS`] member.
    pub disclosable: Vec<ClaimPath>,
    /// Decoy digests per `_sd` array; see [`SdJwtBuilder::decoys`].
    pub decoys: usize,
}

impl SdJwtVcIssuance {
    /// An issuance with only `iss` and `vct` set.
    pub fn new(issuer: impl Into<String>, vct: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            vct: vct.into(),
            issued_at: None,
            not_before: None,
            expires_at: None,
            status: None,
            holder_key: None,
            claims: Map::new(),
            disclosable: Vec::new(),
            decoys: 0,
        }
    }
}

/// Issues an SD-JWT VC with salts from the operating system.
pub fn issue_sd_jwt_vc(issuance: SdJwtVcIssuance, signer: &KeySigner) -> Result<SdJwt, SdJwtError> {
    issue_sd_jwt_vc_with_salts(issuance, signer, &mut OsRandom)
}

/// Issues an SD-JWT VC with salts from `salts`.
pub fn issue_sd_jwt_vc_with_salts(
    issuance: SdJwtVcIssuance,
    signer: &KeySigner,
    salts: &mut dyn SaltSource,
) -> Result<SdJwt, SdJwtError> {
    if let Some(name) = REGISTERED_CLAIMS
        .iter()
        .find(|n| issuance.claims.contains_key(**n))
    {
        return Err(SdJwtError::InvalidClaims {
            reason: format!("{name:?} is set by the SD-JWT VC issuance fields, not by claims"),
        });
    }
    for path in &issuance.disclosable {
        check_disclosable(path)?;
    }
    let mut claims = Map::with_capacity(issuance.claims.len() + 6);
    claims.insert("iss".into(), Value::String(issuance.issuer));
    if let Some(iat) = issuance.issued_at {
        claims.insert("iat".into(), iat.into());
    }
    if let Some(nbf) = issuance.not_before {
        claims.insert("nbf".into(), nbf.into());
    }
    if let Some(exp) = issuance.expires_at {
        claims.insert("exp".into(), exp.into());
    }
    claims.insert("vct".into(), Value::String(issuance.vct));
    if let Some(status) = &issuance.status {
        let status_list = serde_json::to_value(status).map_err(|e| SdJwtError::Internal {
            reason: format!("serialising status: {e}"),
        })?;
        let mut status = Map::new();
        status.insert("status_list".into(), status_list);
        claims.insert("status".into(), Value::Object(status));
    }
    claims.extend(issuance.claims);

    let mut builder = SdJwtBuilder::new(claims).decoys(issuance.decoys);
    for path in issuance.disclosable {
        builder = builder.disclosable_path(path);
    }
    if let Some(key) = &issuance.holder_key {
        builder = builder.holder_key(key);
    }
    builder.sign_with_salts(signer, SD_JWT_VC_TYP, salts)
}

fn check_disclosable(path: &ClaimPath) -> Result<(), SdJwtError> {
    match path.segments().first() {
        Some(first) if NON_DISCLOSABLE_CLAIMS.contains(&first.as_str()) => {
            Err(SdJwtError::NonDisclosableClaim {
                name: first.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// What a verifier requires of an SD-JWT VC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcVerifyOptions {
    /// `Some` to require key binding (and then `cnf`); see [`VerifyOptions::key_binding`].
    pub key_binding: Option<KeyBindingCheck>,
    /// Clock leeway in seconds.
    pub leeway: i64,
    /// Also accept `typ: vc+sd-jwt`; see the module documentation. Off by default.
    pub accept_legacy_typ: bool,
    /// Size, count and depth limits.
    pub limits: Limits,
}

impl Default for VcVerifyOptions {
    fn default() -> Self {
        Self {
            key_binding: None,
            leeway: DEFAULT_LEEWAY,
            accept_legacy_typ: false,
            limits: Limits::default(),
        }
    }
}

/// A verified SD-JWT VC.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedSdJwtVc {
    /// `iss`.
    pub issuer: String,
    /// `vct`.
    pub vct: String,
    /// All processed claims, registered ones included.
    pub claims: Map<String, Value>,
    /// `cnf.jwk`, if present.
    pub holder_key: Option<PublicKey>,
    /// `status.status_list`, if present.
    pub status: Option<StatusListReference>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `exp`.
    pub exp: Option<i64>,
    /// The paths of the claims that came from disclosures.
    pub disclosed: Vec<ClaimPath>,
    /// The KB-JWT claims, when key binding was required.
    pub key_binding: Option<KeyBindingClaims>,
    /// The issuer JWS protected header (`kid`…).
    pub header: Map<String, Value>,
}

/// Verifies an SD-JWT VC presentation: everything [`verify`](fn@super::verify) checks, plus the
/// profile's rules.
pub fn verify_sd_jwt_vc<R>(
    presentation: &str,
    options: &VcVerifyOptions,
    issuer_key: &R,
    now: i64,
) -> Result<VerifiedSdJwtVc, SdJwtError>
where
    R: IssuerKeyResolver + ?Sized,
{
    UnverifiedSdJwt::parse(presentation, &options.limits)?.verify_vc(options, issuer_key, now)
}

impl UnverifiedSdJwt<'_> {
    /// [`verify_sd_jwt_vc`] of a presentation already taken apart (within its own limits;
    /// `options.limits` bound the rest of the work).
    pub fn verify_vc<R>(
        self,
        options: &VcVerifyOptions,
        issuer_key: &R,
        now: i64,
    ) -> Result<VerifiedSdJwtVc, SdJwtError>
    where
        R: IssuerKeyResolver + ?Sized,
    {
        let typs: &[&str] = if options.accept_legacy_typ {
            &[SD_JWT_VC_TYP, SD_JWT_VC_LEGACY_TYP]
        } else {
            &[SD_JWT_VC_TYP]
        };
        let generic = VerifyOptions {
            expected_typ: None,
            key_binding: options.key_binding.clone(),
            leeway: options.leeway,
            limits: options.limits,
        };
        let verified = verify_with(self, typs, &generic, issuer_key, now)?;
        for path in &verified.disclosed {
            check_disclosable(path)?;
        }
        let claims = verified.claims;
        let string = |name: &'static str| match claims.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(SdJwtError::InvalidClaim {
                name: name.into(),
                reason: "not a string".into(),
            }),
            None => Err(SdJwtError::MissingClaim { name }),
        };
        let issuer = string("iss")?;
        let vct = string("vct")?;
        let status = match claims.get("status") {
            None => None,
            Some(Value::Object(status)) => match status.get("status_list") {
                Some(reference) => {
                    Some(StatusListReference::deserialize(reference).map_err(|e| {
                        SdJwtError::InvalidClaim {
                            name: "status".into(),
                            reason: format!("status_list: {e}"),
                        }
                    })?)
                }
                // Accepting a status mechanism nobody checks would accept revoked credentials.
                None => {
                    return Err(SdJwtError::Unsupported {
                        what: "a status mechanism other than status_list".into(),
                    });
                }
            },
            Some(_) => {
                return Err(SdJwtError::InvalidClaim {
                    name: "status".into(),
                    reason: "not an object".into(),
                });
            }
        };
        let iat = numeric_date(&claims, "iat")?;
        let exp = numeric_date(&claims, "exp")?;
        Ok(VerifiedSdJwtVc {
            issuer,
            vct,
            claims,
            holder_key: verified.holder_key,
            status,
            iat,
            exp,
            disclosed: verified.disclosed,
            key_binding: verified.key_binding,
            header: verified.header,
        })
    }
}
