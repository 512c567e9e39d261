//! The checks, in the contract's order. The request (already taken, unexpired) is the
//! caller's: the service takes it from the replay store, an in-process provider keeps it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use realdid_core::did::{DidState, KeyId, Purposes, RealDid};
use realdid_core::keys::{Direct, Jwk, PublicKey, SignatureCheck, SignatureMemo};
use realdid_core::sd_jwt::{
    IssuerKeyResolver, KeyBindingCheck, Limits, SdJwtError, UnverifiedSdJwt, VcVerifyOptions,
    VerifiedSdJwtVc,
};
use realdid_core::status_list::Status;
use serde_json::{Map, Value};

use super::chain::ChainView;
use super::reason::{Failure, FailureReason as R, Outcome, Verified};
use super::status::{StatusChecker, StatusProblem, StatusSource};
use super::subject::{SECRET_LEN, subject_id};
use crate::store::StoredRequest;

/// Largest presentation accepted.
pub const MAX_PRESENTATION_BYTES: usize = 64 * 1024;

/// Settings of the checks.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The types accepted when a request names none.
    pub accepted_types: Vec<String>,
    /// The subject-id secret (shared by every replica).
    pub subject_secret: [u8; SECRET_LEN],
    /// Clock skew allowed, seconds.
    pub leeway_seconds: i64,
    /// Oldest KB-JWT accepted, seconds.
    pub key_binding_max_age: Duration,
    /// Issuer signatures remembered as verified (0: verify every one).
    pub remembered_signatures: usize,
}

/// Every check, with what it reads.
#[derive(Debug)]
pub struct Checks<C, S> {
    chain: C,
    status: StatusChecker<S>,
    options: CheckOptions,
    signatures: Option<SignatureMemo>,
}

/// The issuer key the registry names for the token's `kid`, its signature checked through
/// the memo when there is one.
struct RegistryKey<'a> {
    key: &'a PublicKey,
    signatures: Option<&'a SignatureMemo>,
}

impl IssuerKeyResolver for RegistryKey<'_> {
    fn resolve(
        &self,
        _header: &Map<String, Value>,
        _payload: &Map<String, Value>,
    ) -> Result<PublicKey, SdJwtError> {
        Ok(self.key.clone())
    }

    fn signatures(&self) -> &dyn SignatureCheck {
        match self.signatures {
            Some(memo) => memo,
            None => &Direct,
        }
    }
}

fn fail(reason: R, message: impl Into<String>) -> Failure {
    Failure::new(reason, message)
}

fn policy(reason: R, claim: &str, message: String) -> Failure {
    Failure {
        reason,
        message,
        claim: claim.to_owned(),
    }
}

/// `seconds` as the start of its UTC day, in ms: what a provider learns of a credential's
/// times. Exact times, shown to two providers, could tell them that two credentials were
/// signed in the same second, for one person.
fn to_the_day(seconds: i64) -> i64 {
    seconds.div_euclid(86_400).saturating_mul(86_400_000)
}

/// Where in the order an SD-JWT error belongs.
fn classify(e: &SdJwtError) -> R {
    match e {
        SdJwtError::IssuerSignature(_) | SdJwtError::IssuerKey { .. } => R::IssuerSignature,
        SdJwtError::Expired { .. } => R::Expired,
        SdJwtError::NotYetValid { .. } | SdJwtError::IssuedInFuture { .. } => R::NotYetValid,
        SdJwtError::NonceMismatch { .. } => R::NonceMismatch,
        SdJwtError::AudienceMismatch { .. } => R::AudienceMismatch,
        SdJwtError::KeyBindingRequired
        | SdJwtError::NoHolderKey
        | SdJwtError::KeyBinding { .. }
        | SdJwtError::KeyBindingSignature(_)
        | SdJwtError::KeyBindingStale { .. }
        | SdJwtError::KeyBindingFromFuture { .. }
        | SdJwtError::SdHashMismatch => R::HolderBinding,
        _ => R::Malformed,
    }
}

impl<C: ChainView, S: StatusSource> Checks<C, S> {
    /// The DID's state, read once more past the cache when the cached state does not `fit`
    /// the presentation: a cached state can only be older than the chain, and the newer one
    /// may hold a key added since (a rotation, a recovery). A refusal is never decided on a
    /// cached read alone; acceptance may be, within the cache's bound.
    async fn did_fitting(
        &self,
        did: &RealDid,
        fits: impl Fn(&Option<Arc<DidState>>) -> bool,
    ) -> Result<(u64, Option<Arc<DidState>>), realdid_registry_client::ClientError> {
        let cached = self.chain.did(did).await?;
        if fits(&cached.value) {
            return Ok((cached.height, cached.value));
        }
        self.chain.forget_did(did);
        let read = self.chain.did(did).await?;
        Ok((read.height, read.value))
    }

    /// Checks reading the registry through `chain` and status lists through `status`.
    pub fn new(chain: C, status: StatusChecker<S>, options: CheckOptions) -> Self {
        let signatures = (options.remembered_signatures > 0)
            .then(|| SignatureMemo::with_capacity(options.remembered_signatures));
        Self {
            chain,
            status,
            options,
            signatures,
        }
    }

    /// The status lists held now, at most `limit`, the most recently checked first.
    pub fn held_lists(&self, limit: usize) -> Vec<super::status::HeldList> {
        self.status.held(limit)
    }

    /// What the registry is read through.
    pub fn chain(&self) -> &C {
        &self.chain
    }

    /// Verifies `presentation` against `request` at `now_ms`; `Outcome::Failed` names the
    /// first check that failed.
    pub async fn verify(
        &self,
        request: &StoredRequest,
        presentation: &str,
        now_ms: i64,
    ) -> Outcome {
        match self.checked(request, presentation, now_ms).await {
            Ok(verified) => Outcome::Verified(verified),
            Err(failure) => Outcome::Failed(failure),
        }
    }

    /// Every check, in the contract's order; each step returns the first failure it finds.
    async fn checked(
        &self,
        request: &StoredRequest,
        presentation: &str,
        now_ms: i64,
    ) -> Result<Verified, Failure> {
        let (presented, token) = Presented::parse(presentation)?;
        let mut height = 0u64;
        let issuer_state = self.issuer_state(&presented, &mut height).await?;
        let issuer_key = issuer_state
            .key_for(&presented.key_id, Purposes::ASSERTION_METHOD)
            .ok_or_else(|| {
                fail(
                    R::IssuerDidState,
                    format!(
                        "{} has no assertion key {}",
                        presented.issuer,
                        presented.key_id.as_str()
                    ),
                )
            })?;
        // The core verifier checks everything in the token itself, the issuer signature
        // first, in one pass (each signature verified once). Its verdict is reported at the
        // place of the first failing check: a bad issuer signature now, the rest after the
        // registry checks below, which come before them in the contract's order.
        let core = self.token_checked(request, token, issuer_key, now_ms / 1000);
        if let Err(e) = &core
            && matches!(classify(e), R::IssuerSignature | R::Malformed)
        {
            return Err(fail(classify(e), e.to_string()));
        }
        self.accredited(&presented, &mut height).await?;
        self.type_accepted(request, &presented.vct)?;
        let holder = self
            .holder_authorises(&presented, &core, &mut height)
            .await?;
        // Validity, key binding, audience and nonce: the core verifier's result, reported
        // here, after the registry checks that come before it in the order.
        let verified = core.map_err(|e| fail(classify(&e), e.to_string()))?;
        self.status_valid(&verified, &presented, &issuer_state, now_ms, &mut height)
            .await?;
        let claims = disclosed_as_asked(request, &verified)?;
        Ok(Verified {
            claims,
            predicates: request.predicates.clone(),
            subject_id: subject_id(
                &self.options.subject_secret,
                &request.audience,
                holder.as_str(),
            ),
            issuer_did: presented.iss,
            credential_type: presented.vct,
            issued_at_ms: to_the_day(verified.iat.unwrap_or(0)),
            expires_at_ms: verified.exp.map(to_the_day),
            verified_at_ms: now_ms,
            registry_height: height,
        })
    }

    /// The issuer's DID state: on the registry, live, holding the `kid`'s key (read past the
    /// cache once when the cached state lacks it).
    async fn issuer_state(
        &self,
        presented: &Presented,
        height: &mut u64,
    ) -> Result<Arc<DidState>, Failure> {
        let issuer = &presented.issuer;
        let has_key = |s: &Option<Arc<DidState>>| {
            s.as_ref().is_some_and(|s| {
                s.key_for(&presented.key_id, Purposes::ASSERTION_METHOD)
                    .is_some()
            })
        };
        let (h, state) = self
            .did_fitting(issuer, has_key)
            .await
            .map_err(|e| fail(R::RegistryUnavailable, format!("issuer DID: {e}")))?;
        *height = (*height).max(h);
        match state {
            None => Err(fail(
                R::IssuerDidState,
                format!("{issuer} is not on the registry"),
            )),
            Some(s) if s.is_deactivated() => {
                Err(fail(R::IssuerDidState, format!("{issuer} is deactivated")))
            }
            Some(s) => Ok(s),
        }
    }

    /// What the token itself shows, checked by the core SD-JWT VC verifier against the
    /// issuer's key: signatures, disclosures, validity, key binding to this request.
    fn token_checked(
        &self,
        request: &StoredRequest,
        token: UnverifiedSdJwt<'_>,
        issuer_key: &PublicKey,
        now: i64,
    ) -> Result<VerifiedSdJwtVc, SdJwtError> {
        let options = VcVerifyOptions {
            key_binding: Some(KeyBindingCheck {
                nonce: request.nonce.clone(),
                audience: request.audience.clone(),
                max_age: i64::try_from(self.options.key_binding_max_age.as_secs())
                    .unwrap_or(i64::MAX),
            }),
            leeway: self.options.leeway_seconds,
            ..VcVerifyOptions::default()
        };
        let resolver = RegistryKey {
            key: issuer_key,
            signatures: self.signatures.as_ref(),
        };
        token.verify_vc(&options, &resolver, now)
    }

    /// The issuer is accredited on the registry for the credential's type.
    async fn accredited(&self, presented: &Presented, height: &mut u64) -> Result<(), Failure> {
        let read = self
            .chain
            .accreditation(&presented.issuer)
            .await
            .map_err(|e| fail(R::RegistryUnavailable, format!("accreditation: {e}")))?;
        *height = (*height).max(read.height);
        let accredited = read
            .value
            .is_some_and(|r| r.removed.is_none() && r.credential_types.contains(&presented.vct));
        if !accredited {
            return Err(fail(
                R::IssuerNotAccredited,
                format!(
                    "{} is not accredited on the registry for {}",
                    presented.issuer, presented.vct
                ),
            ));
        }
        Ok(())
    }

    /// The type is one the request (or, when it names none, this verifier) accepts.
    fn type_accepted(&self, request: &StoredRequest, vct: &str) -> Result<(), Failure> {
        let accepted = if request.credential_types.is_empty() {
            &self.options.accepted_types
        } else {
            &request.credential_types
        };
        if !accepted.iter().any(|t| t == vct) {
            return Err(fail(
                R::CredentialTypeNotAccepted,
                format!("{vct} is not accepted here"),
            ));
        }
        Ok(())
    }

    /// The holder's DID still authorises the credential's key; the holder's DID.
    async fn holder_authorises(
        &self,
        presented: &Presented,
        core: &Result<VerifiedSdJwtVc, SdJwtError>,
        height: &mut u64,
    ) -> Result<RealDid, Failure> {
        let Some(holder) = presented
            .sub
            .as_deref()
            .and_then(|s| s.parse::<RealDid>().ok())
        else {
            return Err(fail(
                R::HolderDidState,
                "the credential names no did:realdid holder (sub)",
            ));
        };
        // The core verifier already parsed `cnf` (a point decompression, the costliest step
        // after the signatures); parse it here only when the core verdict was a failure.
        let cnf = match core {
            Ok(verified) => verified.holder_key.clone(),
            Err(_) => presented
                .holder_jwk
                .as_ref()
                .and_then(|j| Jwk::from_value(j).ok())
                .and_then(|j| j.to_public_key().ok()),
        };
        let authorises = |state: &Option<Arc<DidState>>| {
            state.as_ref().is_some_and(|s| {
                !s.is_deactivated()
                    && cnf.as_ref().is_some_and(|k| {
                        s.document.keys.iter().any(|vk| {
                            vk.key == *k && vk.purposes.contains(Purposes::AUTHENTICATION)
                        })
                    })
            })
        };
        let (h, state) = self
            .did_fitting(&holder, authorises)
            .await
            .map_err(|e| fail(R::RegistryUnavailable, format!("holder DID: {e}")))?;
        *height = (*height).max(h);
        if !authorises(&state) {
            return Err(fail(
                R::HolderDidState,
                format!("{holder} does not (or no longer) authorise the credential's key"),
            ));
        }
        Ok(holder)
    }

    /// The credential's entry in its status list, checked against the list's anchor, is
    /// valid.
    async fn status_valid(
        &self,
        verified: &VerifiedSdJwtVc,
        presented: &Presented,
        issuer_state: &DidState,
        now_ms: i64,
        height: &mut u64,
    ) -> Result<(), Failure> {
        let Some(reference) = verified.status.as_ref() else {
            return Err(fail(
                R::StatusUnavailable,
                "the credential names no status list",
            ));
        };
        let (status, h) = self
            .status
            .status(
                &self.chain,
                &presented.issuer,
                issuer_state,
                &reference.uri,
                reference.idx,
                now_ms,
            )
            .await
            .map_err(|problem| match problem {
                StatusProblem::Registry(e) => fail(R::RegistryUnavailable, e),
                StatusProblem::Unavailable(e) => fail(R::StatusUnavailable, e),
            })?;
        *height = (*height).max(h);
        if status == Status::INVALID {
            return Err(fail(R::Revoked, "the credential is revoked"));
        }
        if status == Status::SUSPENDED {
            return Err(fail(R::Suspended, "the credential is suspended"));
        }
        if status != Status::VALID {
            return Err(fail(
                R::StatusUnavailable,
                format!("unknown status {status}"),
            ));
        }
        Ok(())
    }
}

/// What the outer structure of a presentation names, read before anything is looked up
/// (the disclosures are checked by the core verifier, once the issuer is established).
struct Presented {
    iss: String,
    vct: String,
    issuer: RealDid,
    key_id: KeyId,
    /// The holder's DID, as the issuer-signed payload names it.
    sub: Option<String>,
    /// `cnf.jwk`, kept for the holder check when the core verifier refuses the token.
    holder_jwk: Option<Value>,
}

impl Presented {
    /// What the presentation names, and the presentation taken apart for the core verifier:
    /// the issuer-signed JWT is decoded here, once.
    fn parse(presentation: &str) -> Result<(Self, UnverifiedSdJwt<'_>), Failure> {
        if presentation.is_empty() || presentation.len() > MAX_PRESENTATION_BYTES {
            return Err(fail(
                R::Malformed,
                "the presentation is empty or larger than 64 KiB",
            ));
        }
        if presentation.ends_with('~') {
            return Err(fail(
                R::Malformed,
                "the presentation has no key-binding JWT",
            ));
        }
        let token = UnverifiedSdJwt::parse_compact(presentation, &Limits::default())
            .map_err(|e| fail(R::Malformed, e.to_string()))?;
        let payload = token.payload();
        let (Some(iss), Some(vct)) = (text(payload, "iss"), text(payload, "vct")) else {
            return Err(fail(R::Malformed, "the credential has no iss or vct"));
        };
        let Ok(issuer) = iss.parse::<RealDid>() else {
            return Err(fail(
                R::IssuerDidState,
                format!("the issuer {iss:?} is not a did:realdid"),
            ));
        };
        let kid = token
            .header()
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(key_id) = kid
            .strip_prefix(issuer.as_str())
            .and_then(|rest| rest.strip_prefix('#'))
            .and_then(|f| f.parse::<KeyId>().ok())
        else {
            return Err(fail(
                R::IssuerDidState,
                format!("kid {kid:?} is not a key of {issuer}"),
            ));
        };
        let presented = Self {
            sub: text(payload, "sub"),
            holder_jwk: payload.get("cnf").and_then(|c| c.get("jwk")).cloned(),
            iss,
            vct,
            issuer,
            key_id,
        };
        Ok((presented, token))
    }
}

/// The string claim `name` of a JWT payload.
fn text(payload: &Map<String, Value>, name: &str) -> Option<String> {
    payload.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Policy: every wanted claim disclosed, every predicate disclosed as true; the wanted
/// claims. (Requests cannot name the profile's registered claims: see
/// realdid_core::presentation_request::REGISTERED_CLAIMS.)
fn disclosed_as_asked(
    request: &StoredRequest,
    verified: &VerifiedSdJwtVc,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut claims = BTreeMap::new();
    for name in &request.claims {
        let value = verified.claims.get(name).ok_or_else(|| {
            policy(
                R::PolicyClaimMissing,
                name,
                format!("{name} is not disclosed"),
            )
        })?;
        claims.insert(name.clone(), value.to_string());
    }
    for name in &request.predicates {
        if verified.claims.get(name) != Some(&Value::Bool(true)) {
            return Err(policy(
                R::PolicyPredicateUnsatisfied,
                name,
                format!("{name} is not disclosed as true"),
            ));
        }
    }
    Ok(claims)
}
