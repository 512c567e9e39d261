//! An enrolment asked again after its answer was lost: the issuer stopped, or the
//! connection broke, between committing the enrolment and answering. The wallet asks again
//! with the same DIDs, proven by the same keys, and the same holder-tag key (a secret only it
//! holds); once the identity authority confirms the same person again, it gets the
//! credentials of the enrolment it already has, signed again over the same records (the
//! same ids, status entries and days). Nothing is written, so a retry can neither issue
//! twice nor leave a credential without its record.

use realdid_core::keys::PublicKey;

use super::{EnrolOutcome, EnrolRequest, RefusalReason, Stop, Validated, refusal};
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::config::CredentialType;
use crate::engine::Issuer;
use crate::issuance::{Batch, Subject};
use crate::nonces::Purpose;
use crate::store::{CredentialRecord, CredentialStatus, EnrolmentRecord};

/// The earlier enrolment a request repeats, with its credentials in the request's DID order.
pub(super) struct Earlier {
    pub(super) enrolment: EnrolmentRecord,
    records: Vec<CredentialRecord>,
}

/// A repeated enrolment every check accepted again: what signing its credentials again
/// needs.
pub(super) struct Again {
    pub(super) request: Validated,
    pub(super) credential_type: CredentialType,
    pub(super) holder_keys: Vec<PublicKey>,
    pub(super) earlier: Earlier,
}

/// Whether two hex strings are equal, in time that does not depend on where they differ:
/// the holder-tag key is the proof that the request comes from the same wallet.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

impl<A: IdentityAuthority> Issuer<A> {
    /// The enrolment `valid` repeats, if it is one: each DID bound to exactly one live,
    /// valid credential of `vct` for the key that proves it now, all of one enrolment of
    /// exactly these DIDs (in this order), not revoked for fraud, whose holder-tag key is the
    /// request's. The person is compared later, once the authority has confirmed them.
    pub(super) fn repeated(
        &self,
        valid: &Validated,
        holder_prints: &[String],
        vct: &str,
        now: i64,
    ) -> Result<Option<Earlier>, IssuerError> {
        let mut records = Vec::with_capacity(valid.dids.len());
        for (did, print) in valid.dids.iter().zip(holder_prints) {
            let mut bound = Vec::new();
            for id in self.store.did_credentials(did.as_str())? {
                if let Some(c) = self.store.credential(&id)?
                    && c.is_live(now)
                    && c.holder_key.as_deref() == Some(print.as_str())
                {
                    bound.push(c);
                }
            }
            match <[CredentialRecord; 1]>::try_from(bound) {
                Ok([one]) => records.push(one),
                Err(_) => return Ok(None),
            }
        }
        let Some(enrolment_id) = records.first().map(|r| r.enrolment_id.clone()) else {
            return Ok(None);
        };
        if records.iter().any(|r| {
            r.enrolment_id != enrolment_id || r.status != CredentialStatus::Valid || r.vct != vct
        }) {
            return Ok(None);
        }
        let Some(enrolment) = self.store.enrolment(&enrolment_id)? else {
            return Ok(None);
        };
        let dids: Vec<String> = valid.dids.iter().map(ToString::to_string).collect();
        let tag_key = hex::encode(valid.holder_tag_key);
        if enrolment.fraud
            || enrolment.dids != dids
            || !same_secret(&enrolment.holder_tag_key, &tag_key)
        {
            return Ok(None);
        }
        Ok(Some(Earlier { enrolment, records }))
    }

    /// The credentials of the enrolment `again` repeats, signed again over its records;
    /// `request`'s nonce is used up. Refused as the DIDs already enrolled if signing again
    /// would not give the records' own days (the type's validity changed since).
    pub(super) fn deliver_again(
        &self,
        request: &EnrolRequest,
        again: Again,
    ) -> Result<EnrolOutcome, Stop> {
        let Again {
            request: valid,
            credential_type,
            holder_keys,
            earlier: Earlier { enrolment, records },
        } = again;
        let slots: Vec<(u32, u32)> = records.iter().map(|r| (r.list, r.index)).collect();
        let issued_at_ms = records.first().map_or(0, |r| r.issued_at_ms);
        let mut credentials = crate::issuance::issue(
            &self.keys(),
            &self.config.public_base_url,
            &Batch {
                enrolment_id: &enrolment.id,
                subject: &Subject {
                    full_name: &valid.full_name,
                    resident_id: &valid.resident_id,
                },
                dids: &valid.dids,
                holder_keys: &holder_keys,
                slots: &slots,
                vct: &credential_type.vct,
                validity_days: credential_type.validity_days,
                now_ms: issued_at_ms,
            },
        )?;
        for (credential, record) in credentials.iter_mut().zip(records) {
            if credential.record.expires_at_ms != record.expires_at_ms {
                return Err(refusal(
                    RefusalReason::DidAlreadyEnrolled,
                    format!(
                        "these DIDs were enrolled already (enrolment {}), and {}'s validity \
                         has changed since, so its credentials cannot be given again",
                        enrolment.id, credential_type.vct
                    ),
                    None,
                ));
            }
            credential.record = record;
        }
        self.nonces
            .take(&request.nonce, Purpose::Enrol, self.now_ms())
            .map_err(|r| refusal(RefusalReason::NonceInvalid, r.to_string(), None))?;
        tracing::info!(
            enrolment = %enrolment.id,
            credentials = credentials.len(),
            "an enrolment asked again: its credentials given again"
        );
        Ok(EnrolOutcome::Issued {
            enrolment_id: enrolment.id,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_are_the_same_only_when_every_byte_is() {
        assert!(same_secret("00ff", "00ff"));
        assert!(!same_secret("00ff", "00fe"));
        assert!(!same_secret("10ff", "00ff"));
        assert!(!same_secret("00ff", "00ff00"));
    }
}
