//! A lawful-trace request as handed to its approvers: every field its digest commits to,
//! the salt of the hash they sign, and the chain and issuer their signature names. The
//! requesting officer writes it from the issuer's answer; each approver reads it on their
//! own machine, checks that its fields hash to what they sign, reads what is asked in
//! words, and signs. The same file later names the one record an approver releases a share
//! of.

use serde::{Deserialize, Serialize};

use crate::codec::{ChainId, TraceApproval};
use crate::did::RealDid;
use crate::escrow::{ApproverSecret, HpkePublicKey};
use crate::keys::DidKey;
use crate::trace::{TraceRequestFields, request_digest, request_hash};

/// The largest request file read, in bytes.
pub const MAX_TRACE_REQUEST_FILE: usize = 64 * 1024;

/// Why a request file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceFileError {
    /// It is not a request file, or a field is malformed; the message names it.
    #[error("the trace request: {0}")]
    Malformed(String),
    /// Its fields do not hash to what it carries: it was changed after the issuer made it.
    #[error("the trace request: {0}")]
    Tampered(String),
    /// The record offered is not the one the request names.
    #[error("{0}")]
    OtherRecord(String),
    /// The approval could not be signed.
    #[error("signing the approval: {0}")]
    Signing(String),
}

/// A trace request as handed to approvers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceRequestFile {
    /// The issuer's id for the request.
    pub trace_id: String,
    /// The DID whose holder is sought.
    pub subject_did: String,
    /// The legal basis named.
    pub legal_basis: String,
    /// The requesting authority's case reference.
    pub case_reference: String,
    /// The operator who asked.
    pub requested_by: String,
    /// When the request was made, Unix ms.
    pub created_at_unix_ms: i64,
    /// The moment whose holder is sought, Unix ms.
    pub subject_at_unix_ms: i64,
    /// The enrolment the request names (its record is the one released).
    pub enrolment_id: String,
    /// k, when the request was made.
    pub approvals_required: u32,
    /// The issuer's digest, hex.
    pub request_digest: String,
    /// The salt, hex.
    pub salt: String,
    /// The hash the approvers sign, hex.
    pub request_hash: String,
    /// The chain the approvals are for.
    pub chain_id: String,
    /// The issuer's DID.
    pub issuer_did: String,
    /// The requesting officer's X25519 key, hex: shares are released to it.
    pub officer_key: String,
}

/// An approval signed by an approver, as the issuer's ApproveTrace carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTraceApproval {
    /// The trace approved.
    pub trace_id: String,
    /// The approver's approval key, as a `did:key`.
    pub approval_key: String,
    /// When it was signed, Unix seconds.
    pub signed_at_unix_s: i64,
    /// The Ed25519 signature over the chain's approval input.
    pub signature: Vec<u8>,
}

fn malformed(what: &str) -> TraceFileError {
    TraceFileError::Malformed(what.to_owned())
}

impl TraceRequestFile {
    /// The file of the request `fields` name, salted with `salt`, for `officer`, of
    /// `issuer` on `chain`: its digest and hash computed here, as the issuer computes them.
    pub fn new(
        fields: &TraceRequestFields<'_>,
        approvals_required: u32,
        salt: &[u8; 32],
        chain: &ChainId,
        issuer: &RealDid,
        officer: &HpkePublicKey,
    ) -> Self {
        let digest = request_digest(fields);
        Self {
            trace_id: fields.trace_id.to_owned(),
            subject_did: fields.subject_did.to_owned(),
            legal_basis: fields.legal_basis.to_owned(),
            case_reference: fields.case_reference.to_owned(),
            requested_by: fields.requested_by.to_owned(),
            created_at_unix_ms: fields.created_at_ms,
            subject_at_unix_ms: fields.subject_at_ms,
            enrolment_id: fields.enrolment_id.to_owned(),
            approvals_required,
            request_digest: hex::encode(digest),
            salt: hex::encode(salt),
            request_hash: hex::encode(request_hash(&digest, salt, officer.as_bytes())),
            chain_id: chain.as_str().to_owned(),
            issuer_did: issuer.to_string(),
            officer_key: officer.to_hex(),
        }
    }

    /// Parses a request file's JSON, bounded.
    pub fn parse(json: &str) -> Result<Self, TraceFileError> {
        if json.len() > MAX_TRACE_REQUEST_FILE {
            return Err(malformed(&format!(
                "larger than {MAX_TRACE_REQUEST_FILE} bytes"
            )));
        }
        serde_json::from_str(json).map_err(|e| malformed(&e.to_string()))
    }

    /// The file's JSON.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// The request hash, recomputed from the fields and the salt; refused unless it is the
    /// one the file carries (the file was changed after the issuer made it).
    pub fn checked_hash(&self) -> Result<[u8; 32], TraceFileError> {
        let digest = request_digest(&TraceRequestFields {
            trace_id: &self.trace_id,
            subject_did: &self.subject_did,
            legal_basis: &self.legal_basis,
            case_reference: &self.case_reference,
            requested_by: &self.requested_by,
            created_at_ms: self.created_at_unix_ms,
            subject_at_ms: self.subject_at_unix_ms,
            enrolment_id: &self.enrolment_id,
        });
        if hex::encode(digest) != self.request_digest {
            return Err(TraceFileError::Tampered(
                "its fields do not hash to the digest it carries; it was changed after the \
                 issuer made it"
                    .into(),
            ));
        }
        let salt: [u8; 32] = hex::decode(&self.salt)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| malformed("the salt is not 32 hex bytes"))?;
        let hash = request_hash(&digest, &salt, self.officer_key()?.as_bytes());
        if hex::encode(hash) != self.request_hash {
            return Err(TraceFileError::Tampered(
                "its request hash is not the hash of its digest and salt".into(),
            ));
        }
        Ok(hash)
    }

    /// The officer the shares go to.
    pub fn officer_key(&self) -> Result<HpkePublicKey, TraceFileError> {
        HpkePublicKey::from_hex(&self.officer_key)
            .map_err(|e| malformed(&format!("officer_key: {e}")))
    }

    /// The issuer whose request it is.
    pub fn issuer(&self) -> Result<RealDid, TraceFileError> {
        self.issuer_did
            .parse()
            .map_err(|e| malformed(&format!("issuer_did: {e}")))
    }

    /// What the approver is asked, in words.
    pub fn describe(&self) -> String {
        format!(
            "trace {}: identify the holder of {} (as of {} Unix ms, enrolment {})\n  \
             legal basis: {}\n  case: {}\n  requested by {} at {} (Unix ms), of issuer {} on \
             chain {}",
            self.trace_id,
            self.subject_did,
            self.subject_at_unix_ms,
            self.enrolment_id,
            self.legal_basis,
            self.case_reference,
            self.requested_by,
            self.created_at_unix_ms,
            self.issuer_did,
            self.chain_id
        )
    }

    /// The approval by `approver`, signed at `now_s`, after the file's hashes check.
    pub fn approve(
        &self,
        approver: &ApproverSecret,
        now_s: u64,
    ) -> Result<SignedTraceApproval, TraceFileError> {
        let hash = self.checked_hash()?;
        let chain =
            ChainId::parse(&self.chain_id).map_err(|e| malformed(&format!("chain_id: {e}")))?;
        let key = approver.approval_key();
        let approval = TraceApproval::sign(&chain, &self.issuer()?, &hash, now_s, &key)
            .map_err(|e| TraceFileError::Signing(e.to_string()))?;
        Ok(SignedTraceApproval {
            trace_id: self.trace_id.clone(),
            approval_key: DidKey::from_public_key(&key.public_key()).did().to_string(),
            signed_at_unix_s: i64::try_from(now_s).unwrap_or(i64::MAX),
            signature: approval.signature.0.to_vec(),
        })
    }

    /// Whether `record_id` (a sealed record's) is the record this request names: the
    /// traced DID's, of the enrolment the request names. A record of the DID from another
    /// enrolment (another holder of it, at another time) is refused.
    pub fn names(&self, record_id: &str) -> Result<(), TraceFileError> {
        let named = format!("{} {}", self.subject_did, self.enrolment_id);
        if record_id != named {
            return Err(TraceFileError::OtherRecord(format!(
                "the sealed record {record_id:?} is not the record this request names \
                 ({named:?}: {}, enrolment {})",
                self.subject_did, self.enrolment_id
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::codec::primitives::Signature;
    use crate::did::OrgKeys;
    use crate::escrow::OfficerSecret;

    fn sample() -> TraceRequestFile {
        let issuer = OrgKeys::generate().unwrap().did().clone();
        TraceRequestFile::new(
            &TraceRequestFields {
                trace_id: "t-1",
                subject_did: "did:realdid:subject",
                legal_basis: "warrant 2026-77",
                case_reference: "CASE-77",
                requested_by: "officer-li",
                created_at_ms: 1_750_000_000_000,
                subject_at_ms: 1_749_000_000_000,
                enrolment_id: "enr-2",
            },
            2,
            &[7; 32],
            &ChainId::parse("realdid-test").unwrap(),
            &issuer,
            &OfficerSecret::generate().unwrap().public(),
        )
    }

    #[test]
    fn an_approval_is_signed_over_the_checked_hash_for_the_chain_and_issuer() {
        let file = TraceRequestFile::parse(&sample().to_json()).unwrap();
        let hash = file.checked_hash().unwrap();
        let approver = ApproverSecret::generate("judge-1").unwrap();
        let signed = file.approve(&approver, 1_750_000_100).unwrap();
        assert_eq!(signed.trace_id, "t-1");
        let approval = TraceApproval {
            key: approver.approval_key().public_key(),
            signed_at_s: 1_750_000_100,
            signature: Signature::from_slice(&signed.signature).unwrap(),
        };
        let chain = ChainId::parse("realdid-test").unwrap();
        assert!(approval.verifies(&chain, &file.issuer().unwrap(), &hash));
        assert!(file.describe().contains("legal basis: warrant 2026-77"));
    }

    #[test]
    fn a_file_changed_after_the_issuer_made_it_is_refused() {
        let mut changed = sample();
        changed.legal_basis = "curiosity".into();
        assert!(matches!(
            changed.checked_hash(),
            Err(TraceFileError::Tampered(_))
        ));
        let approver = ApproverSecret::generate("judge-1").unwrap();
        assert!(changed.approve(&approver, 1).is_err(), "nothing is signed");
        let mut salted = sample();
        salted.salt = hex::encode([8u8; 32]);
        assert!(matches!(
            salted.checked_hash(),
            Err(TraceFileError::Tampered(_))
        ));
        let too_big = " ".repeat(MAX_TRACE_REQUEST_FILE + 1);
        assert!(TraceRequestFile::parse(&too_big).is_err());
    }

    #[test]
    fn only_the_record_of_the_named_enrolment_is_named() {
        let file = sample();
        assert!(file.names("did:realdid:subject enr-2").is_ok());
        for other in [
            "did:realdid:subject enr-1",
            "did:realdid:subjecx enr-2",
            "did:realdid:subject enr-2 x",
        ] {
            assert!(matches!(
                file.names(other),
                Err(TraceFileError::OtherRecord(_))
            ));
        }
    }
}
