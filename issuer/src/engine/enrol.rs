//! Enrolment: a person, checked by the identity authority, binds a batch of DIDs they
//! control and gets one SD-JWT VC per DID.
//!
//! The checks run in the order the contract's refusal reasons list them, and the first
//! that fails decides: nonce, credential type (offered here, and accredited on the
//! registry), each DID's proof of control against its proven document, DIDs already bound,
//! the person, the issuer's policy. Only then is anything written, in one atomic batch.

mod again;

use futures::future::join_all;
use realdid_core::did::RealDid;
use realdid_core::keys::PublicKey;
use realdid_core::resident_id::ResidentId;
use time::{Date, OffsetDateTime};
use unicode_normalization::UnicodeNormalization as _;

use super::{ControlFailure, Issuer, limits, new_id};
use crate::IssuerError;
use crate::authority::{CheckRequest, IdentityAuthority, MAX_EVIDENCE_LEN, MAX_NAME_LEN, Verdict};
use crate::config::CredentialType;
use crate::issuance::{IssuedCredential, Subject};
use crate::nonces::Purpose;
use crate::privacy::escrow::{IdentityRecord, seal};
use crate::privacy::person_index::PersonKey;
use crate::store::EnrolmentRecord;

/// One DID to bind and its proof of control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidToBind {
    /// The DID.
    pub did: String,
    /// The compact JWS proving control of it.
    pub proof_jws: String,
}

/// An Enrol request.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrolRequest {
    /// The nonce every proof answers.
    pub nonce: String,
    /// The full name.
    pub full_name: String,
    /// The resident identity number, as typed.
    pub resident_id: String,
    /// The liveness evidence token.
    pub evidence_token: String,
    /// The DIDs.
    pub dids: Vec<DidToBind>,
    /// The wanted `vct`, empty for the default.
    pub credential_type: String,
    /// The wallet's holder-tag key (32 bytes).
    pub holder_tag_key: Vec<u8>,
}

impl EnrolRequest {
    /// Whether the request is within the contract's limits (the name, the resident id as of
    /// `today`, the evidence's size, 1 to `max_dids` distinct DIDs with proofs of bounded
    /// size, the holder-tag key), as [`Issuer::enrol`] checks first, before the request
    /// costs a lookup. A gateway in front of the issuer can refuse early with it; the error
    /// names the field.
    pub fn check_limits(&self, max_dids: usize, today: Date) -> Result<(), IssuerError> {
        Validated::parse(self, max_dids, today).map(|_| ())
    }
}

impl std::fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolRequest")
            .field("dids", &self.dids.len())
            .field("credential_type", &self.credential_type)
            .finish_non_exhaustive()
    }
}

/// Why an enrolment is refused (the contract's `EnrolmentRefusalReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// The nonce is unknown, used, expired or for another purpose.
    NonceInvalid,
    /// A proof does not verify.
    DidProofInvalid,
    /// A DID is absent, deactivated, or its key is not an authentication key.
    DidNotUsable,
    /// A DID is bound to a live credential already.
    DidAlreadyEnrolled,
    /// The authority says no.
    IdentityNoMatch,
    /// Not offered, or not accredited for.
    CredentialTypeNotOffered,
    /// The issuer's policy.
    Policy,
}

/// A refusal: nothing was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub reason: RefusalReason,
    /// Detail for people (never personal data).
    pub message: String,
    /// The DID that failed, for the DID reasons.
    pub did_index: Option<u32>,
}

/// The outcome of an enrolment that reached a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolOutcome {
    /// Issued: the enrolment id and one credential per DID, in order.
    Issued {
        /// The enrolment's id.
        enrolment_id: String,
        /// The credentials.
        credentials: Vec<IssuedCredential>,
    },
    /// Refused.
    Refused(Refusal),
}

fn refuse(reason: RefusalReason, message: impl Into<String>, did_index: Option<usize>) -> Refusal {
    Refusal {
        reason,
        message: message.into(),
        did_index: did_index.and_then(|i| u32::try_from(i).ok()),
    }
}

/// An Enrol request within the contract's limits: the name in NFC, the resident id parsed,
/// the DIDs parsed and distinct. Anything else is INVALID_ARGUMENT naming the field, before
/// the request costs a lookup.
#[derive(Debug)]
struct Validated {
    full_name: String,
    resident_id: ResidentId,
    dids: Vec<RealDid>,
    holder_tag_key: [u8; 32],
}

impl Validated {
    fn parse(request: &EnrolRequest, max_dids: usize, today: Date) -> Result<Self, IssuerError> {
        limits::nonce(&request.nonce)?;
        let full_name: String = request.full_name.nfc().collect();
        if full_name.is_empty() || full_name.len() > MAX_NAME_LEN || full_name.trim() != full_name {
            return Err(IssuerError::InvalidRequest(
                "full_name: 1 to 256 bytes of UTF-8, no leading or trailing space".into(),
            ));
        }
        let resident_id = ResidentId::parse(&request.resident_id, today)
            .map_err(|e| IssuerError::InvalidRequest(format!("resident_id: {e}")))?;
        if request.evidence_token.is_empty() || request.evidence_token.len() > MAX_EVIDENCE_LEN {
            return Err(IssuerError::InvalidRequest(
                "evidence_token: 1 byte to 16 KiB".into(),
            ));
        }
        if request.dids.is_empty() || request.dids.len() > max_dids {
            return Err(IssuerError::InvalidRequest(format!(
                "dids: 1 to {max_dids} entries"
            )));
        }
        let mut dids: Vec<RealDid> = Vec::with_capacity(request.dids.len());
        for (i, entry) in request.dids.iter().enumerate() {
            let did = limits::did(&format!("dids[{i}].did"), &entry.did)?;
            limits::proof(&entry.proof_jws, &format!("dids[{i}].proof_jws"))?;
            if dids.contains(&did) {
                return Err(IssuerError::InvalidRequest(format!(
                    "dids[{i}]: {did} appears twice"
                )));
            }
            dids.push(did);
        }
        let holder_tag_key: [u8; 32] =
            request.holder_tag_key.as_slice().try_into().map_err(|_| {
                IssuerError::InvalidRequest(format!(
                    "holder_tag_key: 32 random bytes the wallet keeps, not {}",
                    request.holder_tag_key.len()
                ))
            })?;
        if request.credential_type.len() > 256 {
            return Err(IssuerError::InvalidRequest(
                "credential_type: at most 256 bytes".into(),
            ));
        }
        Ok(Self {
            full_name,
            resident_id,
            dids,
            holder_tag_key,
        })
    }
}

/// Why an enrolment stopped before issuing: a decision (a refusal, which uses up the
/// nonce) or no decision at all (a dependency failed; the nonce stays usable).
enum Stop {
    Refused(Refusal),
    Failed(IssuerError),
}

impl From<IssuerError> for Stop {
    fn from(error: IssuerError) -> Self {
        Stop::Failed(error)
    }
}

fn refusal(reason: RefusalReason, message: impl Into<String>, did_index: Option<usize>) -> Stop {
    Stop::Refused(refuse(reason, message, did_index))
}

/// An enrolment every check accepted: what issuing needs, nothing written yet.
struct Accepted {
    request: Validated,
    credential_type: CredentialType,
    holder_keys: Vec<PublicKey>,
    /// Each holder key's thumbprint, as credentials record it.
    holder_prints: Vec<String>,
    person: PersonKey,
    authority_reference: String,
}

/// What the checks decided to issue: a new enrolment, or the credentials of one the same
/// wallet already has, asked again after the answer was lost.
enum Decision {
    New(Accepted),
    Again(again::Again),
}

/// An accepted enrolment's credentials and records, signed and sealed but not stored.
struct Prepared {
    enrolment: EnrolmentRecord,
    credentials: Vec<IssuedCredential>,
    dids: Vec<RealDid>,
    holder_prints: Vec<String>,
    person: PersonKey,
}

impl<A: IdentityAuthority> Issuer<A> {
    /// Enrols a person. `Err` means no decision (bad request, a dependency unavailable);
    /// a decision is `Ok`, issued or refused.
    pub async fn enrol(&self, request: EnrolRequest) -> Result<EnrolOutcome, IssuerError> {
        // The contract's limits: INVALID_ARGUMENT, naming the field.
        let valid = Validated::parse(
            &request,
            self.config.policy.max_dids_per_enrolment as usize,
            self.today()?,
        )?;
        let now = self.now_ms();
        // The nonce is checked first and used up only once a decision is reached.
        if let Err(refusal) = self.nonces.check(&request.nonce, Purpose::Enrol, now) {
            return Ok(EnrolOutcome::Refused(refuse(
                RefusalReason::NonceInvalid,
                refusal.to_string(),
                None,
            )));
        }
        // Past here an enrolment costs registry reads, an authority check and an Argon2id
        // evaluation: only so many are decided at once, and a call past that is refused
        // with its nonce still usable.
        let _permit = self.enrolments.try_acquire().map_err(|_| {
            IssuerError::Exhausted(format!(
                "{} enrolments are being decided; try again shortly",
                self.config.limits.enrolments_in_flight
            ))
        })?;
        let decided = async {
            match self.decide(&request, valid, now).await? {
                Decision::New(accepted) => {
                    let prepared = self.prepare(accepted, now).await?;
                    self.commit(&request.nonce, prepared, now).await
                }
                Decision::Again(again) => self.deliver_again(&request, again),
            }
        };
        match decided.await {
            Ok(issued) => Ok(issued),
            Err(Stop::Refused(refusal)) => {
                let _ = self
                    .nonces
                    .take(&request.nonce, Purpose::Enrol, self.now_ms());
                Ok(EnrolOutcome::Refused(refusal))
            }
            Err(Stop::Failed(error)) => Err(error),
        }
    }

    /// Today's date (UTC) by the issuer's clock, for the resident id's birth date.
    fn today(&self) -> Result<Date, IssuerError> {
        OffsetDateTime::from_unix_timestamp(self.clock.now().as_secs())
            .map(OffsetDateTime::date)
            .map_err(|e| IssuerError::Internal(format!("the clock is out of range: {e}")))
    }

    /// The decision, in the order the contract lists the refusal reasons: the credential
    /// type, each DID's control, DIDs already bound, the person, the policy. DIDs already
    /// bound by an enrolment this request repeats (see [`again`]) are not refused: once the
    /// person is confirmed as that enrolment's, its credentials are given again.
    async fn decide(
        &self,
        request: &EnrolRequest,
        valid: Validated,
        now: i64,
    ) -> Result<Decision, Stop> {
        let credential_type = self.offered_type(&request.credential_type).await?;
        let holder_keys = self.controls(request, &valid.dids, now).await?;
        let holder_prints = holder_keys
            .iter()
            .map(crate::issuance::holder_thumbprint)
            .collect::<Result<Vec<_>, _>>()?;
        let repeated = match self.unbound(&valid.dids, &holder_prints, now, "already") {
            Ok(_) => None,
            Err(Stop::Refused(refused)) if refused.reason == RefusalReason::DidAlreadyEnrolled => {
                match self.repeated(&valid, &holder_prints, &credential_type.vct, now)? {
                    Some(earlier) => Some((earlier, refused)),
                    None => return Err(Stop::Refused(refused)),
                }
            }
            Err(stop) => return Err(stop),
        };
        let authority_reference = self
            .confirmed_person(&valid, &request.evidence_token)
            .await?;
        let person = self.person_key(&valid.resident_id).await?;
        if let Some((earlier, refused)) = repeated {
            if earlier.enrolment.person != hex::encode(person.0) {
                return Err(Stop::Refused(refused));
            }
            return Ok(Decision::Again(again::Again {
                request: valid,
                credential_type,
                holder_keys,
                earlier,
            }));
        }
        self.person_policy(&person, &valid.dids, now)?;
        Ok(Decision::New(Accepted {
            request: valid,
            credential_type,
            holder_keys,
            holder_prints,
            person,
            authority_reference,
        }))
    }

    /// The credential type asked for: offered here, and accredited on chain.
    async fn offered_type(&self, wanted: &str) -> Result<CredentialType, Stop> {
        let Some(credential_type) = self.config.credential_type(wanted).cloned() else {
            return Err(refusal(
                RefusalReason::CredentialTypeNotOffered,
                format!("this issuer does not issue {wanted:?}"),
                None,
            ));
        };
        if !self
            .accredited_types()
            .await?
            .contains(&credential_type.vct)
        {
            return Err(refusal(
                RefusalReason::CredentialTypeNotOffered,
                format!(
                    "this issuer is not accredited on the registry for {}",
                    credential_type.vct
                ),
                None,
            ));
        }
        Ok(credential_type)
    }

    /// Each DID's proof of control against its proven current document, all read at once:
    /// the authentication key that signed each.
    async fn controls(
        &self,
        request: &EnrolRequest,
        dids: &[RealDid],
        now: i64,
    ) -> Result<Vec<PublicKey>, Stop> {
        let checks = request.dids.iter().zip(dids).map(|(entry, did)| {
            self.check_control(did, &entry.proof_jws, &request.nonce, now / 1000)
        });
        let mut holder_keys = Vec::with_capacity(dids.len());
        for (i, result) in join_all(checks).await.into_iter().enumerate() {
            match result? {
                Ok(key) => holder_keys.push(key),
                Err(ControlFailure::Unusable(why)) => {
                    return Err(refusal(
                        RefusalReason::DidNotUsable,
                        format!("dids[{i}]: {why}"),
                        Some(i),
                    ));
                }
                Err(ControlFailure::Invalid(why)) => {
                    return Err(refusal(
                        RefusalReason::DidProofInvalid,
                        format!("dids[{i}]: {why}"),
                        Some(i),
                    ));
                }
            }
        }
        Ok(holder_keys)
    }

    /// No DID is bound to a live credential of the key proving control now (one bound to
    /// an earlier key, before a key recovery, is superseded by this enrolment): those
    /// superseded credentials.
    fn unbound(
        &self,
        dids: &[RealDid],
        holder_prints: &[String],
        now: i64,
        when: &str,
    ) -> Result<Vec<crate::store::CredentialRecord>, Stop> {
        self.live_bindings(dids, holder_prints, now)?.map_err(|i| {
            refusal(
                RefusalReason::DidAlreadyEnrolled,
                format!("dids[{i}] is bound to a live credential {when}"),
                Some(i),
            )
        })
    }

    /// The identity authority's confirmation of the person: its reference for the check.
    async fn confirmed_person(&self, valid: &Validated, evidence: &str) -> Result<String, Stop> {
        let check = CheckRequest {
            full_name: valid.full_name.clone(),
            resident_id: valid.resident_id.clone(),
            evidence_token: evidence.to_owned(),
            request_id: new_id()?,
        };
        match self.authority.check(&check).await?.verdict {
            Verdict::Match { reference } => Ok(reference),
            Verdict::NoMatch => Err(refusal(
                RefusalReason::IdentityNoMatch,
                "the identity authority does not confirm this name, number and evidence as one living person",
                None,
            )),
            Verdict::Unavailable => Err(Stop::Failed(IssuerError::authority(
                "the identity authority cannot decide now; retry later",
            ))),
        }
    }

    /// The person's key in the index (an Argon2id evaluation, off the async threads).
    async fn person_key(&self, resident_id: &ResidentId) -> Result<PersonKey, IssuerError> {
        let index = self.person_index.clone();
        let resident_id = resident_id.clone();
        tokio::task::spawn_blocking(move || index.key(&resident_id))
            .await
            .map_err(|e| IssuerError::Internal(format!("person index task: {e}")))?
    }

    /// The accepted enrolment's credentials, signed, and its identity record, sealed.
    async fn prepare(&self, accepted: Accepted, now: i64) -> Result<Prepared, IssuerError> {
        let Accepted {
            request,
            credential_type,
            holder_keys,
            holder_prints,
            person,
            authority_reference,
        } = accepted;
        let slots = self.allocate(request.dids.len()).await?;
        let enrolment_id = new_id()?;
        let credentials = crate::issuance::issue(
            &self.keys(),
            &self.config.public_base_url,
            &crate::issuance::Batch {
                enrolment_id: &enrolment_id,
                subject: &Subject {
                    full_name: &request.full_name,
                    resident_id: &request.resident_id,
                },
                dids: &request.dids,
                holder_keys: &holder_keys,
                slots: &slots,
                vct: &credential_type.vct,
                validity_days: credential_type.validity_days,
                now_ms: now,
            },
        )?;
        let dids: Vec<String> = request.dids.iter().map(ToString::to_string).collect();
        // Sealed to the approvers on chain: nobody at the issuer can open it afterwards.
        let approvers = self.approver_set().await?.ok_or_else(|| {
            IssuerError::FailedPrecondition(
                "this issuer has no trace approvers on chain, so it cannot escrow an identity \
                 record; governance names them (realdid governance propose … set-approvers)"
                    .into(),
            )
        })?;
        let escrow = seal(
            &approvers,
            &IdentityRecord {
                enrolment_id: enrolment_id.clone(),
                full_name: request.full_name,
                resident_id: request.resident_id.as_str().to_owned(),
                enrolled_at_ms: now,
                dids: dids.clone(),
                authority_reference,
            },
        )?;
        let enrolment = EnrolmentRecord {
            id: enrolment_id,
            person: hex::encode(person.0),
            dids,
            credential_ids: credentials.iter().map(|c| c.record.id.clone()).collect(),
            enrolled_at_ms: now,
            escrow,
            holder_tag_key: hex::encode(request.holder_tag_key),
            fraud: false,
        };
        Ok(Prepared {
            enrolment,
            credentials,
            dids: request.dids,
            holder_prints,
            person,
        })
    }

    /// Stores the enrolment in one batch, re-checking under the write lock what a
    /// concurrent enrolment could have changed, and uses up the nonce; then revokes the
    /// credentials it supersedes.
    async fn commit(
        &self,
        nonce: &str,
        prepared: Prepared,
        now: i64,
    ) -> Result<EnrolOutcome, Stop> {
        let Prepared {
            enrolment,
            credentials,
            dids,
            holder_prints,
            person,
        } = prepared;
        let superseded = {
            let _guard = super::lock(&self.store.write_lock);
            // Enrolments of the same person decided in parallel each passed the policy on
            // its own; only one at a time may commit against it.
            self.person_policy(&person, &dids, now)?;
            let superseded = self.unbound(&dids, &holder_prints, now, "meanwhile")?;
            self.nonces
                .take(nonce, Purpose::Enrol, self.now_ms())
                .map_err(|r| refusal(RefusalReason::NonceInvalid, r.to_string(), None))?;
            let records: Vec<_> = credentials.iter().map(|c| &c.record).collect();
            self.store.commit_enrolment(&enrolment, &person, &records)?;
            superseded
        };
        // Credentials of earlier keys of these DIDs (before a key recovery) now read as
        // revoked; their lists publish like any change. The new credentials are issued and
        // stored whatever happens here: a failure to publish is retried by the background
        // publisher, and the old credentials cannot be key-bound meanwhile anyway (their
        // key no longer controls the DID).
        if !superseded.is_empty()
            && let Err(e) = self.supersede(superseded, &enrolment.id).await
        {
            tracing::warn!(enrolment = %enrolment.id, error = %e, "revoking superseded credentials");
        }
        Ok(EnrolOutcome::Issued {
            enrolment_id: enrolment.id,
            credentials,
        })
    }

    /// The refusal the person's earlier enrolments call for, if any: one revoked for fraud,
    /// or more live DIDs with `dids` than `max_dids_per_person` (DIDs re-enrolled now are
    /// counted once).
    fn person_policy(&self, person: &PersonKey, dids: &[RealDid], now: i64) -> Result<(), Stop> {
        let mut live_dids = 0usize;
        for id in &self.store.person_enrolments(person)? {
            let Some(enrolment) = self.store.enrolment(id)? else {
                continue;
            };
            if enrolment.fraud {
                return Err(refusal(
                    RefusalReason::Policy,
                    "an earlier enrolment of this person was revoked for fraud",
                    None,
                ));
            }
            for cid in &enrolment.credential_ids {
                if self
                    .store
                    .credential(cid)?
                    .is_some_and(|c| c.is_live(now) && !dids.iter().any(|d| d.as_str() == c.did))
                {
                    live_dids += 1;
                }
            }
        }
        let cap = self.config.policy.max_dids_per_person as usize;
        if live_dids + dids.len() > cap {
            return Err(refusal(
                RefusalReason::Policy,
                format!(
                    "this person already holds {live_dids} live credentials here; the limit is {cap}"
                ),
                None,
            ));
        }
        Ok(())
    }

    /// The live credentials of `dids`: `Err(i)` when DID `i` is bound to one whose holder
    /// key is the one proving control now (`holder_prints[i]`, a thumbprint) or unknown;
    /// else `Ok` with those bound to a key that no longer proves control. After a key
    /// recovery those can never be presented again, and a new enrolment of the DID revokes
    /// them (SUPERSEDED) so that they also read as revoked.
    fn live_bindings(
        &self,
        dids: &[RealDid],
        holder_prints: &[String],
        now: i64,
    ) -> Result<Result<Vec<crate::store::CredentialRecord>, usize>, IssuerError> {
        let mut superseded = Vec::new();
        for (i, (did, print)) in dids.iter().zip(holder_prints).enumerate() {
            for id in self.store.did_credentials(did.as_str())? {
                let Some(c) = self.store.credential(&id)? else {
                    continue;
                };
                if !c.is_live(now) {
                    continue;
                }
                if c.holder_key.as_ref().is_none_or(|k| k == print) {
                    return Ok(Err(i));
                }
                superseded.push(c);
            }
        }
        Ok(Ok(superseded))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn today() -> Date {
        OffsetDateTime::from_unix_timestamp(1_750_000_000)
            .unwrap()
            .date()
    }

    fn did(byte: u8) -> String {
        RealDid::from_suffix([byte; 32]).to_string()
    }

    fn request(dids: &[String]) -> EnrolRequest {
        EnrolRequest {
            nonce: "n-1".into(),
            full_name: "Zhang San".into(),
            resident_id: "11010519491231002X".into(),
            evidence_token: "liveness".into(),
            dids: dids
                .iter()
                .map(|d| DidToBind {
                    did: d.clone(),
                    proof_jws: "a.b.c".into(),
                })
                .collect(),
            credential_type: String::new(),
            holder_tag_key: vec![7; 32],
        }
    }

    fn refused_field(request: &EnrolRequest, max_dids: usize) -> String {
        match Validated::parse(request, max_dids, today()) {
            Err(IssuerError::InvalidRequest(why)) => why,
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn a_request_within_the_limits_is_parsed_once() {
        let valid = Validated::parse(&request(&[did(1), did(2)]), 4, today()).unwrap();
        assert_eq!(valid.full_name, "Zhang San");
        assert_eq!(valid.resident_id.as_str(), "11010519491231002X");
        assert_eq!(valid.dids.len(), 2);
    }

    #[test]
    fn each_broken_limit_names_its_field() {
        assert!(refused_field(&request(&[did(1), did(1)]), 4).starts_with("dids[1]"));
        assert!(refused_field(&request(&[did(1), did(2), did(3)]), 2).starts_with("dids:"));
        assert!(
            refused_field(&request(&["did:web:example.com".into()]), 4).starts_with("dids[0].did")
        );
        let mut spaced = request(&[did(1)]);
        spaced.full_name = " Zhang San".into();
        assert!(refused_field(&spaced, 4).starts_with("full_name"));
        let mut wrong_check = request(&[did(1)]);
        wrong_check.resident_id = "110105194912310021".into();
        assert!(refused_field(&wrong_check, 4).starts_with("resident_id"));
        let mut no_nonce = request(&[did(1)]);
        no_nonce.nonce.clear();
        assert!(refused_field(&no_nonce, 4).starts_with("nonce"));
    }
}
