//! Signing credentials: one SD-JWT VC per DID, every identity claim selectively
//! disclosable, bound (`cnf`) to the DID's authentication key, pointing at its status
//! entry. Pure CPU and no I/O, so the benchmark measures exactly what enrolment runs.

use realdid_core::did::RealDid;
use realdid_core::keys::{Jwk, PublicKey};
use realdid_core::resident_id::ResidentId;
use realdid_core::sd_jwt::{ClaimPath, SdJwtVcIssuance, StatusListReference, issue_sd_jwt_vc};
use time::OffsetDateTime;

use crate::IssuerError;
use crate::claims::identity_claims;
use crate::engine::new_id;
use crate::keys::IssuerKeys;
use crate::status::list_uri;
use crate::store::{CredentialRecord, CredentialStatus};

/// One issued credential.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCredential {
    /// Its record.
    pub record: CredentialRecord,
    /// The SD-JWT VC, compact, with every disclosure.
    pub sd_jwt: String,
    /// The URI of its status list.
    pub status_list_uri: String,
}

impl std::fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// Whose credentials: the checked identity.
pub struct Subject<'a> {
    /// The name (NFC).
    pub full_name: &'a str,
    /// The number.
    pub resident_id: &'a ResidentId,
}

impl std::fmt::Debug for Subject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subject(<redacted>)")
    }
}

/// One enrolment's credentials to sign.
#[derive(Debug)]
pub struct Batch<'a> {
    /// The enrolment.
    pub enrolment_id: &'a str,
    /// The person.
    pub subject: &'a Subject<'a>,
    /// The DIDs, in order.
    pub dids: &'a [RealDid],
    /// Each DID's authentication key that proved control.
    pub holder_keys: &'a [PublicKey],
    /// Each credential's status entry (list, index).
    pub slots: &'a [(u32, u32)],
    /// The type.
    pub vct: &'a str,
    /// Validity, days.
    pub validity_days: u32,
    /// Now, Unix ms.
    pub now_ms: i64,
}

/// A credential's `iat` (also its `nbf`) and `exp`, Unix seconds: the start of the UTC day
/// of issuance, and that plus the validity. Every credential the issuer signs on one day
/// carries the same times, so the times in two presentations say nothing about whether
/// they come from one enrolment: exact times would link the credentials of one enrolment
/// (all signed in the same second) across the providers they are shown to. The issuer's
/// own record keeps the exact time, for tracing.
pub fn token_times(now_ms: i64, validity_days: u32) -> (i64, i64) {
    const DAY: i64 = 86_400;
    let day = (now_ms / 1000).div_euclid(DAY) * DAY;
    (day, day + i64::from(validity_days) * DAY)
}

/// Signs `batch` with the issuer's active key; status lists live under `base_url`.
pub fn issue(
    keys: &IssuerKeys,
    base_url: &str,
    batch: &Batch<'_>,
) -> Result<Vec<IssuedCredential>, IssuerError> {
    if batch.dids.len() != batch.holder_keys.len() || batch.dids.len() != batch.slots.len() {
        return Err(IssuerError::Internal(
            "DIDs, keys and status entries differ in number".into(),
        ));
    }
    let signer = keys.signer()?;
    let today = OffsetDateTime::from_unix_timestamp(batch.now_ms / 1000)
        .map_err(|e| IssuerError::Internal(format!("clock: {e}")))?
        .date();
    let claims = identity_claims(batch.subject.full_name, batch.subject.resident_id, today);
    let disclosable: Vec<ClaimPath> = claims
        .keys()
        .map(|name| ClaimPath::root().key(name.clone()))
        .collect();
    let (iat, exp) = token_times(batch.now_ms, batch.validity_days);
    let mut out = Vec::with_capacity(batch.dids.len());
    for ((did, key), (list, index)) in batch.dids.iter().zip(batch.holder_keys).zip(batch.slots) {
        let uri = list_uri(base_url, *list);
        let mut issuance = SdJwtVcIssuance::new(keys.did().to_string(), batch.vct);
        issuance.issued_at = Some(iat);
        issuance.not_before = Some(iat);
        issuance.expires_at = Some(exp);
        issuance.status = Some(StatusListReference {
            idx: u64::from(*index),
            uri: uri.clone(),
        });
        issuance.holder_key = Some(key.clone());
        issuance.claims = claims.clone();
        issuance.claims.insert("sub".into(), did.to_string().into());
        issuance.disclosable = disclosable.clone();
        let sd_jwt = issue_sd_jwt_vc(issuance, &signer)
            .map_err(|e| IssuerError::Internal(format!("issuing an SD-JWT VC: {e}")))?;
        out.push(IssuedCredential {
            record: CredentialRecord {
                id: new_id()?,
                enrolment_id: batch.enrolment_id.to_owned(),
                did: did.to_string(),
                vct: batch.vct.to_owned(),
                list: *list,
                index: *index,
                issued_at_ms: batch.now_ms,
                expires_at_ms: exp * 1000,
                status: CredentialStatus::Valid,
                holder_key: Some(holder_thumbprint(key)?),
            },
            sd_jwt: sd_jwt.to_compact(),
            status_list_uri: uri,
        });
    }
    Ok(out)
}

/// The RFC 7638 thumbprint of a holder key, as credential records keep it.
pub(crate) fn holder_thumbprint(key: &PublicKey) -> Result<String, IssuerError> {
    Jwk::from_public_key(key)
        .map(|jwk| jwk.thumbprint())
        .map_err(|e| IssuerError::Internal(format!("holder key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::token_times;

    #[test]
    fn token_times_are_those_of_the_day_not_of_the_second() {
        // 2026-12-05T01:39:29.123Z and 23:59:59.999Z the same day: one set of times.
        let morning = token_times(1_796_434_769_123, 365);
        let evening = token_times(1_796_515_199_999, 365);
        assert_eq!(morning, evening);
        assert_eq!(morning.0, 1_796_428_800);
        assert_eq!(morning.1 - morning.0, 365 * 86_400);
        // The next day, the next set.
        assert_eq!(token_times(1_796_515_200_000, 365).0, 1_796_515_200);
    }
}
