//! The escrowed identity record: sealed k-of-n to the issuer's trace approvers on chain.
//!
//! The issuer keeps no key that opens a record. Each record is sealed with
//! `realdid_core::escrow` to the approvers governance named: k of them must each release a
//! share, to the requesting officer, for this record and the audit anchor that opened its
//! trace, before anyone reads it. So the issuer's host, database and secrets together open
//! nothing; the person index alone still tells the issuer that a person enrolled before.
//!
//! One sealing per DID of the enrolment, named `<DID> <enrolment id>`: an approver asked to
//! release a share for a trace of one DID checks that the record names that DID, so the
//! issuer cannot have another person's record opened under the trace.

use prost::Message as _;
use realdid_core::codec::ApproverSet;
use realdid_core::escrow::{ApproverPublic, ThresholdSealed};
use realdid_proto::v1 as pb;

use crate::IssuerError;

/// What the escrow holds for one enrolment: everything lawful tracing may release.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    /// The enrolment.
    pub enrolment_id: String,
    /// The full name as enrolled (NFC).
    pub full_name: String,
    /// The resident identity number as enrolled.
    pub resident_id: String,
    /// When, Unix ms.
    pub enrolled_at_ms: i64,
    /// Every DID bound in the enrolment.
    pub dids: Vec<String>,
    /// The identity authority's reference for the check.
    pub authority_reference: String,
}

impl std::fmt::Debug for IdentityRecord {
    /// Personal data stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityRecord")
            .field("enrolment_id", &self.enrolment_id)
            .finish_non_exhaustive()
    }
}

/// The name of the sealing of `enrolment_id`'s record for `did`.
pub fn record_id(did: &str, enrolment_id: &str) -> String {
    format!("{did} {enrolment_id}")
}

/// The approvers of `set` as the sealing names them.
pub(crate) fn approvers(set: &ApproverSet) -> Result<Vec<ApproverPublic>, IssuerError> {
    set.sealing_approvers()
        .map_err(|e| IssuerError::Internal(format!("the approvers on chain: {e}")))
}

/// Seals `record` to the approvers of `set`, once per DID of the enrolment (in the order
/// of `record.dids`).
pub fn seal(
    set: &ApproverSet,
    record: &IdentityRecord,
) -> Result<Vec<ThresholdSealed>, IssuerError> {
    let approvers = approvers(set)?;
    let plain = pb::IdentityRecord {
        enrolment_id: record.enrolment_id.clone(),
        full_name: record.full_name.clone(),
        resident_id: record.resident_id.clone(),
        enrolled_at_unix_ms: record.enrolled_at_ms,
        dids: record.dids.clone(),
        authority_reference: record.authority_reference.clone(),
    }
    .encode_to_vec();
    record
        .dids
        .iter()
        .map(|did| {
            realdid_core::escrow::seal(
                &record_id(did, &record.enrolment_id),
                &plain,
                &approvers,
                set.threshold,
            )
            .map_err(|e| IssuerError::Internal(format!("sealing the identity record: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use realdid_core::codec::TraceApprover;
    use realdid_core::escrow::{ApproverSecret, OfficerSecret, open, release_share};

    use super::*;

    fn record() -> IdentityRecord {
        IdentityRecord {
            enrolment_id: "e1".into(),
            full_name: "张三".into(),
            resident_id: "11010519491231002X".into(),
            enrolled_at_ms: 1,
            dids: vec!["did:realdid:a".into(), "did:realdid:b".into()],
            authority_reference: "ref".into(),
        }
    }

    #[test]
    fn each_did_gets_its_own_sealing_that_only_k_approvers_open() {
        let secrets: Vec<ApproverSecret> = (1..=3)
            .map(|i| ApproverSecret::generate(&format!("judge-{i}")).unwrap())
            .collect();
        let set = ApproverSet {
            threshold: 2,
            approvers: secrets
                .iter()
                .map(|s| {
                    let p = s.public();
                    TraceApprover {
                        id: p.id().to_owned(),
                        signing_key: p.approval_public_key(),
                        hpke_key: *p.hpke_public_key().as_bytes(),
                    }
                })
                .collect(),
        };
        let sealed = seal(&set, &record()).unwrap();
        assert_eq!(sealed.len(), 2);
        assert_eq!(sealed[0].record_id(), "did:realdid:a e1");
        assert_eq!(sealed[1].record_id(), "did:realdid:b e1");
        let json = sealed[0].to_json().unwrap();
        assert!(!json.contains("11010519491231002X"));
        let officer = OfficerSecret::generate().unwrap();
        let anchor = [3; 32];
        let shares: Vec<_> = secrets[..2]
            .iter()
            .map(|s| release_share(&sealed[0], s, &anchor, &officer.public()).unwrap())
            .collect();
        let plain = open(&sealed[0], &shares, &officer, &anchor).unwrap();
        let opened = pb::IdentityRecord::decode(plain.as_slice()).unwrap();
        assert_eq!(opened.resident_id, "11010519491231002X");
        assert_eq!(opened.dids, record().dids);
        assert!(open(&sealed[0], &shares[..1], &officer, &anchor).is_err());
        // The shares of one DID's sealing open no other.
        assert!(open(&sealed[1], &shares, &officer, &anchor).is_err());
    }
}
