//! The records of the issuer's database.

use realdid_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::IssuerError;

use realdid_core::escrow::ThresholdSealed;

/// Where a credential stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Valid (until it expires).
    Valid,
    /// Suspended by its holder, by an operator, or by both. Each lifts only their own:
    /// a holder's ResumeSelf cannot undo an operator's suspension while a case is
    /// examined, and an operator's reinstatement does not override a holder who reported
    /// a lost device.
    Suspended {
        /// When it was first suspended, Unix ms.
        at_ms: i64,
        /// The holder suspended it (records written before operators could suspend were
        /// all suspended by their holders).
        #[serde(default = "suspended_by_holder")]
        by_holder: bool,
        /// An operator suspended it.
        #[serde(default)]
        by_operator: bool,
    },
    /// Revoked for good by an operator.
    Revoked {
        /// The proto `RevocationReason` name.
        reason: String,
        /// When, Unix ms.
        at_ms: i64,
    },
}

fn suspended_by_holder() -> bool {
    true
}

impl CredentialStatus {
    /// This status with a suspension by the holder (`holder`) or an operator added, or
    /// `None` when that suspension is already there or the credential is revoked.
    pub fn suspend(&self, holder: bool, now_ms: i64) -> Option<Self> {
        match self {
            Self::Valid => Some(Self::Suspended {
                at_ms: now_ms,
                by_holder: holder,
                by_operator: !holder,
            }),
            Self::Suspended {
                at_ms,
                by_holder,
                by_operator,
            } if (holder && !by_holder) || (!holder && !by_operator) => Some(Self::Suspended {
                at_ms: *at_ms,
                by_holder: *by_holder || holder,
                by_operator: *by_operator || !holder,
            }),
            _ => None,
        }
    }

    /// This status with the holder's (`holder`) or the operators' suspension lifted, or
    /// `None` when there is none to lift. Valid again only when nobody else suspended it.
    pub fn lift(&self, holder: bool) -> Option<Self> {
        match self {
            Self::Suspended {
                at_ms,
                by_holder,
                by_operator,
            } if (holder && *by_holder) || (!holder && *by_operator) => {
                let (by_holder, by_operator) = if holder {
                    (false, *by_operator)
                } else {
                    (*by_holder, false)
                };
                Some(if by_holder || by_operator {
                    Self::Suspended {
                        at_ms: *at_ms,
                        by_holder,
                        by_operator,
                    }
                } else {
                    Self::Valid
                })
            }
            _ => None,
        }
    }
}

/// One issued credential (the credential itself is not kept: the holder has it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    /// Its id.
    pub id: String,
    /// The enrolment that issued it.
    pub enrolment_id: String,
    /// The DID it is bound to.
    pub did: String,
    /// Its type.
    pub vct: String,
    /// Its status list.
    pub list: u32,
    /// Its index in that list.
    pub index: u32,
    /// `iat`, Unix ms.
    pub issued_at_ms: i64,
    /// `exp`, Unix ms.
    pub expires_at_ms: i64,
    /// Its status.
    pub status: CredentialStatus,
    /// The JWK thumbprint (RFC 7638) of its holder key (`cnf`). A credential binds its DID
    /// only while that key is the one proving control of the DID: after a key recovery the
    /// holder can enrol the DID again. `None` in records written before it was kept.
    #[serde(default)]
    pub holder_key: Option<String>,
}

impl CredentialRecord {
    /// Valid or suspended, and not expired: it still binds its DID.
    pub fn is_live(&self, now_ms: i64) -> bool {
        !matches!(self.status, CredentialStatus::Revoked { .. }) && self.expires_at_ms > now_ms
    }

    /// Whether it bound its DID at `at_ms`: issued by then, not yet expired, and not yet
    /// revoked (a suspension does not unbind it).
    pub fn was_live_at(&self, at_ms: i64) -> bool {
        let revoked_by_then = matches!(
            self.status,
            CredentialStatus::Revoked { at_ms: revoked, .. } if revoked <= at_ms
        );
        self.issued_at_ms <= at_ms && at_ms < self.expires_at_ms && !revoked_by_then
    }
}

/// One enrolment: a person and the DIDs they bound in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentRecord {
    /// Its id.
    pub id: String,
    /// The person key, hex (see `privacy::person_index`).
    pub person: String,
    /// The DIDs bound.
    pub dids: Vec<String>,
    /// The credentials issued, in DID order.
    pub credential_ids: Vec<String>,
    /// When, Unix ms.
    pub enrolled_at_ms: i64,
    /// The identity record, sealed to the trace approvers once per DID (in `dids` order).
    pub escrow: Vec<ThresholdSealed>,
    /// The wallet's key of the holder tags of this enrolment's traces (hex).
    pub holder_tag_key: String,
    /// Set when a credential of it was revoked for fraud: the person is refused later.
    #[serde(default)]
    pub fraud: bool,
}

/// Where a transaction of the issuer became final on the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The transaction hash, hex.
    pub tx_hash: String,
    /// The block's height.
    pub height: u64,
    /// The block's hash, hex.
    pub block_hash: String,
    /// The transaction's position in the block.
    pub index_in_block: u32,
    /// The block's time, Unix ms.
    pub block_time_ms: i64,
}

impl From<&pb::TransactionReceipt> for Receipt {
    fn from(r: &pb::TransactionReceipt) -> Self {
        Self {
            tx_hash: hex::encode(&r.tx_hash),
            height: r.height,
            block_hash: hex::encode(&r.block_hash),
            index_in_block: r.index_in_block,
            block_time_ms: r.block_time_unix_ms,
        }
    }
}

impl Receipt {
    /// The wire form.
    pub fn to_pb(&self) -> Result<pb::TransactionReceipt, IssuerError> {
        let hex = |s: &str| {
            hex::decode(s).map_err(|_| IssuerError::Corrupt("a stored receipt is not hex".into()))
        };
        Ok(pb::TransactionReceipt {
            tx_hash: hex(&self.tx_hash)?,
            height: self.height,
            block_hash: hex(&self.block_hash)?,
            index_in_block: self.index_in_block,
            block_time_unix_ms: self.block_time_ms,
        })
    }
}

/// A status list's publication that is final on the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The anchor's sequence.
    pub sequence: u64,
    /// The Status List Token (compact JWT).
    pub token: String,
    /// Where the anchor became final.
    pub receipt: Receipt,
    /// The token's `exp`, Unix seconds (0 for a token published without one): the list is
    /// published again before then.
    #[serde(default)]
    pub expires_at_s: i64,
}

/// One status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRecord {
    /// Its number (the last segment of its URI).
    pub number: u32,
    /// Entries.
    pub size: u32,
    /// The statuses, 2 bits each, as `realdid_core::status_list::StatusList` lays them out
    /// (hex).
    pub statuses: String,
    /// The statuses changed since the last final publication.
    pub dirty: bool,
    /// The sequence the next publication attempt uses (the registry only needs it to go up,
    /// so an attempt whose fate is unknown simply burns its number).
    pub next_sequence: u64,
    /// The last publication final on chain.
    pub published: Option<Published>,
}

/// One approval of a trace request: what the chain will check in the audit anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceApprovalRecord {
    /// The approver's id in the issuer's approver set on chain.
    pub approver_id: String,
    /// The approver's Ed25519 approval key (did:key).
    pub key: String,
    /// When recorded, Unix ms.
    pub at_ms: i64,
    /// When the approver signed it, Unix seconds: it counts for
    /// `trace.approval_ttl_seconds` from then.
    pub signed_at_s: i64,
    /// The signature over the chain's approval input (hex, 64 bytes).
    pub signature: String,
}

/// A trace's opening: the anchor that lets approvers release their shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceOpening {
    /// When, Unix ms.
    pub at_ms: i64,
    /// By which operator.
    pub by: String,
    /// The request hash anchored (hex).
    pub request_hash: String,
    /// The approvals the anchor carried: of k, and of n approvers on chain.
    pub approvals: usize,
    /// The number of approvers on chain when it was opened.
    pub approvers: usize,
    /// The audit anchor's sequence.
    pub sequence: u64,
    /// Where the audit anchor became final.
    pub receipt: Receipt,
    /// The holder tag the anchor committed to (hex).
    pub holder_tag: String,
    /// The opening of that commitment (hex), published with the tag by the disclosure.
    pub opening: String,
    /// Where the disclosure became final, once the delay ended and it was published.
    #[serde(default)]
    pub disclosed: Option<Receipt>,
}

/// A lawful-trace request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRecord {
    /// Its id.
    pub id: String,
    /// The traced DID.
    pub subject_did: String,
    /// The enrolment whose identity record the trace opens.
    pub enrolment_id: String,
    /// The credential for the DID that was live at `subject_at_ms` (or that the request
    /// named): it decided `enrolment_id`. Empty in records written before it was kept.
    #[serde(default)]
    pub credential_id: String,
    /// The moment whose holder is sought, Unix ms (0 in records written before it was
    /// kept, which opened the DID's first enrolment).
    #[serde(default)]
    pub subject_at_ms: i64,
    /// The legal basis.
    pub legal_basis: String,
    /// The requesting authority's case reference.
    pub case_reference: String,
    /// The requesting operator.
    pub requested_by: String,
    /// Created, Unix ms.
    pub created_at_ms: i64,
    /// Expires unless opened, Unix ms.
    pub expires_at_ms: i64,
    /// The request digest (hex).
    pub digest: String,
    /// The random salt of the request hash (hex, 32 bytes).
    pub salt: String,
    /// The request hash approvers sign and the audit anchor carries (hex).
    pub request_hash: String,
    /// k of the approver set on chain when the request was made.
    pub approvals_required: u32,
    /// The requesting officer's X25519 public key (hex): shares are released to it.
    pub officer_key: String,
    /// The shares approvers released to the officer so far (`escrow::ReleasedShare`, JSON),
    /// one per approver.
    #[serde(default)]
    pub released_shares: Vec<String>,
    /// Approvals, oldest first, distinct keys.
    pub approvals: Vec<TraceApprovalRecord>,
    /// Set once opened.
    pub opened: Option<TraceOpening>,
}

/// One entry of the operator log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When, Unix ms.
    pub at_ms: i64,
    /// The operator, or `holder:<did>` for a holder's own action.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// Detail (ids, reason, note).
    pub detail: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use super::*;

    fn credential(status: CredentialStatus) -> CredentialRecord {
        CredentialRecord {
            id: "c".into(),
            enrolment_id: "e".into(),
            did: "did:realdid:x".into(),
            vct: "t".into(),
            list: 1,
            index: 0,
            issued_at_ms: 1_000,
            expires_at_ms: 9_000,
            status,
            holder_key: None,
        }
    }

    #[test]
    fn a_credential_binds_its_did_from_issue_until_revocation_or_expiry() {
        let valid = credential(CredentialStatus::Valid);
        assert!(!valid.was_live_at(999));
        assert!(valid.was_live_at(1_000));
        assert!(valid.was_live_at(8_999));
        assert!(!valid.was_live_at(9_000));
        let revoked = credential(CredentialStatus::Revoked {
            reason: "REVOCATION_REASON_SUPERSEDED".into(),
            at_ms: 5_000,
        });
        assert!(revoked.was_live_at(4_999), "it bound the DID until revoked");
        assert!(!revoked.was_live_at(5_000));
        let suspended = credential(CredentialStatus::Suspended {
            at_ms: 2_000,
            by_holder: true,
            by_operator: false,
        });
        assert!(
            suspended.was_live_at(3_000),
            "a suspension does not unbind it"
        );
    }

    #[test]
    fn holder_and_operator_suspensions_are_lifted_each_by_their_own() {
        let valid = CredentialStatus::Valid;
        let by_holder = valid
            .suspend(true, 10)
            .expect("a valid credential can be suspended");
        assert_eq!(
            by_holder.suspend(true, 20),
            None,
            "already suspended by the holder"
        );
        let both = by_holder
            .suspend(false, 20)
            .expect("an operator adds their own suspension");
        assert_eq!(
            both,
            CredentialStatus::Suspended {
                at_ms: 10,
                by_holder: true,
                by_operator: true
            }
        );
        // The holder resuming leaves the operator's suspension in place.
        let operator_only = both.lift(true).expect("the holder lifts their own");
        assert!(matches!(
            operator_only,
            CredentialStatus::Suspended {
                by_holder: false,
                by_operator: true,
                ..
            }
        ));
        assert_eq!(
            operator_only.lift(true),
            None,
            "nothing of the holder's is left"
        );
        assert_eq!(operator_only.lift(false), Some(CredentialStatus::Valid));
        let revoked = CredentialStatus::Revoked {
            reason: "REVOCATION_REASON_FRAUD".into(),
            at_ms: 5,
        };
        assert_eq!(revoked.suspend(false, 30), None);
        assert_eq!(revoked.lift(false), None);
        assert_eq!(valid.lift(false), None);
    }

    #[test]
    fn a_suspension_stored_before_operators_could_suspend_is_the_holders() {
        let old: CredentialStatus =
            serde_json::from_str(r#"{"state":"suspended","at_ms":7}"#).expect("decodes");
        assert_eq!(
            old,
            CredentialStatus::Suspended {
                at_ms: 7,
                by_holder: true,
                by_operator: false
            }
        );
    }
}
