//! Lawful trace: the digest that names a trace request, the approvers' signed approvals of it,
//! and the hash of an opening that the issuer anchors on the registry chain.
//!
//! A trace request (who asks to identify which DID, on what legal basis) is named by its
//! [`request_digest`]. Each of k approvers signs that digest with [`sign_approval`]; the issuer
//! opens the trace only with k distinct approvals, then anchors [`audit_record_hash`] of the
//! opening on the chain (`AuditAnchor.record_hash`). An auditor holding the request and its
//! approvals recomputes both hashes and checks each approval, so the issuer cannot open a trace
//! without leaving a record, nor rewrite the record afterwards.
//!
//! The two hash encodings are wire contracts ("as realdid-core defines it" in the gRPC API):
//! changing one breaks every anchored record, so a change needs a new domain tag.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ErrorKind;
use crate::jws::CompactJws;
use crate::keys::{PublicKey, SigningKey};
use crate::typed_jws::{Unopened, object_claims, open, sign_typed, truncated};

/// The `typ` of an approval.
pub const TRACE_APPROVAL_TYP: &str = "realdid-trace-approval+jwt";
/// The domain tag of [`request_digest`]. Version 2 commits to the moment whose holder is
/// sought (a DID can be enrolled by one person, recovered, and enrolled by another).
pub const TRACE_REQUEST_DOMAIN: &[u8] = b"realdid/trace-request/v2";
/// The domain tag of [`request_hash`].
pub const TRACE_REQUEST_HASH_DOMAIN: &[u8] = b"realdid/trace-request-hash/v1";
/// The domain tag of [`audit_record_hash`].
pub const TRACE_OPENING_DOMAIN: &[u8] = b"realdid/trace-opening/v1";
/// The largest approval (or operator login proof) accepted, in bytes (the API's limit);
/// checked before anything is decoded.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Why an approval or an operator login proof could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// The token does not have the expected structure (not a JWS, too large, a missing or
    /// malformed `kid` or payload claim).
    #[error("malformed token: {reason}")]
    Malformed { reason: String },
    /// The header `typ` is not the one required.
    #[error("token typ is {found:?}, not the one required")]
    WrongType { found: Option<String> },
    /// The approval names another trace.
    #[error("the approval is for another trace")]
    WrongTrace,
    /// The approval names another request digest: the request was changed after approval,
    /// or the approver saw another request.
    #[error("the approval is for another request digest")]
    WrongDigest,
    /// The login proof is for another operator (`sub`).
    #[error("the login proof is for another operator")]
    WrongSubject,
    /// The login proof was made for another party.
    #[error("the login proof is addressed to another audience")]
    AudienceMismatch,
    /// The signature does not verify with the key, or `alg` is not the key's algorithm.
    #[error("token signature: {reason}")]
    BadSignature { reason: String },
    /// The proof was made too long ago.
    #[error("token issued at {iat} is too old at {now}")]
    Stale { iat: i64, now: i64 },
    /// The proof claims to be made later than now allows, even with clock leeway.
    #[error("token issued at {iat}, which is after now ({now}) beyond the clock leeway")]
    FromFuture { iat: i64, now: i64 },
    /// Signing failed (a key or serialisation failure, not the caller's input).
    #[error("signing: {reason}")]
    Signing { reason: String },
}

impl TraceError {
    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed { .. } => ErrorKind::InvalidInput,
            Self::WrongType { .. }
            | Self::WrongTrace
            | Self::WrongDigest
            | Self::WrongSubject
            | Self::AudienceMismatch
            | Self::FromFuture { .. } => ErrorKind::Rejected,
            Self::BadSignature { .. } => ErrorKind::InvalidSignature,
            Self::Stale { .. } => ErrorKind::Expired,
            Self::Signing { .. } => ErrorKind::Internal,
        }
    }
}

/// The fields of a trace request that its digest commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRequestFields<'a> {
    /// The issuer's id for the request.
    pub trace_id: &'a str,
    /// The DID whose holder is to be identified.
    pub subject_did: &'a str,
    /// The legal basis the requester named.
    pub legal_basis: &'a str,
    /// The requesting authority's case reference.
    pub case_reference: &'a str,
    /// The operator who created the request.
    pub requested_by: &'a str,
    /// When the request was created, Unix ms.
    pub created_at_ms: i64,
    /// The moment whose holder of the DID is sought, Unix ms: the trace opens the enrolment
    /// whose credential for the DID was live then.
    pub subject_at_ms: i64,
}

/// Appends `bytes` with a u32 big-endian length prefix, so that no two field lists encode
/// alike. Fields are bounded by the API far below 4 GiB; a longer one (which cannot reach
/// here) would be hashed with the length saturated rather than panic.
fn put_prefixed(hasher: &mut Sha256, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    hasher.update(len.to_be_bytes());
    hasher.update(bytes);
}

/// The digest that names a trace request: what approvers sign and `TraceRequest.request_digest`.
///
/// ```text
/// SHA-256( "realdid/trace-request/v2"              24 ASCII bytes, no prefix
///        || len(trace_id)       || trace_id        len = u32 big-endian byte count, UTF-8
///        || len(subject_did)    || subject_did
///        || len(legal_basis)    || legal_basis
///        || len(case_reference) || case_reference
///        || len(requested_by)   || requested_by
///        || created_at_ms                          i64 big-endian (two's complement)
///        || subject_at_ms                          i64 big-endian (two's complement) )
/// ```
pub fn request_digest(fields: &TraceRequestFields<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(TRACE_REQUEST_DOMAIN);
    for field in [
        fields.trace_id,
        fields.subject_did,
        fields.legal_basis,
        fields.case_reference,
        fields.requested_by,
    ] {
        put_prefixed(&mut hasher, field.as_bytes());
    }
    hasher.update(fields.created_at_ms.to_be_bytes());
    hasher.update(fields.subject_at_ms.to_be_bytes());
    hasher.finalize().into()
}

/// The salted hash of a request that approvers sign and the audit anchor carries
/// (`AuditAnchor.request_hash`). The salt is random per request and known to the issuer and
/// the approvers: without it, anyone reading the chain could test guesses of whom a trace
/// was about against the anchor. It commits to the requesting officer's HPKE key too, the
/// key the approvers release their shares to: an approval is for that officer only.
///
/// ```text
/// SHA-256( "realdid/trace-request-hash/v1" || request_digest (32) || salt (32)
///        || officer_key (32, X25519) )
/// ```
pub fn request_hash(
    request_digest: &[u8; 32],
    salt: &[u8; 32],
    officer_key: &[u8; 32],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(TRACE_REQUEST_HASH_DOMAIN);
    hasher.update(request_digest);
    hasher.update(salt);
    hasher.update(officer_key);
    hasher.finalize().into()
}

/// The domain tag of [`share_release_input`].
pub const SHARE_RELEASE_DOMAIN: &[u8] = b"realdid/trace-share-release/v1";

/// What an approver signs, with their approval key, when handing the issuer the share they
/// released for trace `trace_id`: without it, anyone who learnt the trace id could replace
/// an approver's share with garbage and keep the officer from opening the record.
///
/// ```text
/// "realdid/trace-share-release/v1" || len(trace_id) || trace_id || SHA-256(share JSON)
/// ```
pub fn share_release_input(trace_id: &str, share_json: &str) -> Vec<u8> {
    let mut out = SHARE_RELEASE_DOMAIN.to_vec();
    let len = u32::try_from(trace_id.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(trace_id.as_bytes());
    out.extend_from_slice(&Sha256::digest(share_json.as_bytes()));
    out
}

/// The domain tag of [`holder_tag`].
pub const HOLDER_TAG_DOMAIN: &[u8] = b"realdid/trace-holder-tag/v1";
/// The domain tag of [`holder_commitment`].
pub const HOLDER_COMMITMENT_DOMAIN: &[u8] = b"realdid/trace-holder-commitment/v1";

/// The tag by which a holder's wallet recognises a trace of one of its DIDs on chain, and
/// nobody else can: HMAC-SHA256 keyed by the secret the wallet gave the issuer at enrolment.
/// A provider that knows the DID cannot compute it, and tags of two traces of one DID differ
/// (the request hash is in it), so the chain does not tell which traces concern one person.
///
/// ```text
/// HMAC-SHA256( key = holder tag key (32),
///              "realdid/trace-holder-tag/v1" || len(did) || did || request_hash (32) )
/// ```
pub fn holder_tag(key: &[u8; 32], did: &str, request_hash: &[u8; 32]) -> [u8; 32] {
    use hmac::{Hmac, Mac as _};
    // HMAC accepts a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(HOLDER_TAG_DOMAIN);
    let len = u32::try_from(did.len()).unwrap_or(u32::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(did.as_bytes());
    mac.update(request_hash);
    mac.finalize().into_bytes().into()
}

/// What the audit anchor carries in place of the holder tag until the disclosure delay ends:
/// a commitment to it, opened later by the disclosure, so the holder learns of the opening
/// when the law allows and not before.
///
/// ```text
/// SHA-256( "realdid/trace-holder-commitment/v1" || holder_tag (32) || opening (32) )
/// ```
pub fn holder_commitment(holder_tag: &[u8; 32], opening: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(HOLDER_COMMITMENT_DOMAIN);
    hasher.update(holder_tag);
    hasher.update(opening);
    hasher.finalize().into()
}

/// One recorded approval, as it enters the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditApproval<'a> {
    /// The id of the approver key that signed.
    pub key_id: &'a str,
    /// When the issuer recorded the approval, Unix ms.
    pub approved_at_ms: i64,
}

/// The hash of a trace opening that the issuer anchors on chain (`AuditAnchor.record_hash`).
/// `approvals` are in the order recorded (oldest first, as `TraceRequest.approvals` lists
/// them); the order is part of the record.
///
/// ```text
/// SHA-256( "realdid/trace-opening/v1"              24 ASCII bytes, no prefix
///        || request_digest                          32 bytes
///        || count                                   u32 big-endian number of approvals
///        || for each approval:
///             len(key_id) || key_id || approved_at_ms     u32 BE length, UTF-8, i64 BE
///        || len(opened_by) || opened_by
///        || opened_at_ms                            i64 big-endian )
/// ```
pub fn audit_record_hash(
    request_digest: &[u8; 32],
    approvals: &[AuditApproval<'_>],
    opened_by: &str,
    opened_at_ms: i64,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(TRACE_OPENING_DOMAIN);
    hasher.update(request_digest);
    let count = u32::try_from(approvals.len()).unwrap_or(u32::MAX);
    hasher.update(count.to_be_bytes());
    for approval in approvals {
        put_prefixed(&mut hasher, approval.key_id.as_bytes());
        hasher.update(approval.approved_at_ms.to_be_bytes());
    }
    put_prefixed(&mut hasher, opened_by.as_bytes());
    hasher.update(opened_at_ms.to_be_bytes());
    hasher.finalize().into()
}

/// The payload of an approval.
#[derive(Serialize, Deserialize)]
struct ApprovalClaims {
    trace_id: String,
    digest: String,
    iat: i64,
}

/// Signs an approval of the trace `trace_id` whose request has `digest`, with the approver key
/// `key` known to the issuer as `key_id`, at `now` (unix seconds):
///
/// ```text
/// header  {"alg": "EdDSA" | "ES256", "kid": key_id, "typ": "realdid-trace-approval+jwt"}
/// payload {"trace_id": "…", "digest": base64url-no-pad(digest), "iat": now}
/// ```
pub fn sign_approval(
    trace_id: &str,
    digest: &[u8; 32],
    key_id: &str,
    key: &SigningKey,
    now: i64,
) -> Result<String, TraceError> {
    let claims = ApprovalClaims {
        trace_id: trace_id.to_owned(),
        digest: B64.encode(digest),
        iat: now,
    };
    sign_typed(&claims, TRACE_APPROVAL_TYP, key_id, key)
        .map_err(|reason| TraceError::Signing { reason })
}

/// A parsed approval, not yet verified: the `kid` tells the issuer which configured approver
/// key to verify it with.
#[derive(Debug, Clone)]
pub struct ApprovalJws {
    jws: CompactJws<'static>,
    key_id: String,
    trace_id: String,
    digest: [u8; 32],
    issued_at: i64,
}

impl ApprovalJws {
    /// Decodes an approval and checks its form: size, `typ`, a string `kid`, and the payload
    /// claims (`digest` must decode to 32 bytes).
    pub fn parse(jws: &str) -> Result<Self, TraceError> {
        let malformed = |reason: String| TraceError::Malformed { reason };
        let (jws, key_id) = open(jws, MAX_TOKEN_LEN, TRACE_APPROVAL_TYP).map_err(|e| match e {
            Unopened::Malformed(reason) => malformed(reason),
            Unopened::WrongType(found) => TraceError::WrongType { found },
        })?;
        let claims: ApprovalClaims = object_claims(jws.payload()).map_err(malformed)?;
        let digest = B64
            .decode(&claims.digest)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                malformed(format!(
                    "digest {:?} is not 32 bytes in base64url without padding",
                    truncated(&claims.digest)
                ))
            })?;
        Ok(Self {
            jws,
            key_id,
            trace_id: claims.trace_id,
            digest,
            issued_at: claims.iat,
        })
    }

    /// The approver key id the approval claims to be signed by.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The trace the approval claims to approve.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// The request digest the approval claims to approve.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// When the approver claims to have signed (`iat`), unix seconds. The issuer counts an
    /// approval only for a while after it (its `trace.approval_ttl_seconds`): an approval is
    /// bound to one request by its digest, and to a time by this.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// Checks that `key` (the configured approver key named by [`ApprovalJws::key_id`]) signed
    /// the approval with its own `alg`, and that it approves `trace_id` with `digest`, the
    /// digest the issuer recomputes from the stored request.
    pub fn verify(
        &self,
        key: &PublicKey,
        trace_id: &str,
        digest: &[u8; 32],
    ) -> Result<(), TraceError> {
        self.jws.verify(key).map_err(|e| TraceError::BadSignature {
            reason: e.to_string(),
        })?;
        if self.trace_id != trace_id {
            return Err(TraceError::WrongTrace);
        }
        if &self.digest != digest {
            return Err(TraceError::WrongDigest);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::{Value, json};

    use super::*;
    use crate::jws::test_support::raw;
    use crate::keys::Algorithm;

    const NOW: i64 = 1_750_000_000;

    fn fields() -> TraceRequestFields<'static> {
        TraceRequestFields {
            trace_id: "trace-0001",
            subject_did: "did:realdid:7Q3bNqz1",
            legal_basis: "Criminal Procedure Law art. 138; warrant 2025-17",
            case_reference: "PSB-2025-0042",
            requested_by: "officer-li",
            created_at_ms: 1_750_000_000_123,
            subject_at_ms: 1_749_000_000_000,
        }
    }

    /// The encoding spelled out byte by byte, independently of `request_digest`.
    fn recompute(f: &TraceRequestFields<'_>) -> [u8; 32] {
        let mut bytes = b"realdid/trace-request/v2".to_vec();
        for s in [
            f.trace_id,
            f.subject_did,
            f.legal_basis,
            f.case_reference,
            f.requested_by,
        ] {
            bytes.extend_from_slice(&(s.len() as u32).to_be_bytes());
            bytes.extend_from_slice(s.as_bytes());
        }
        bytes.extend_from_slice(&f.created_at_ms.to_be_bytes());
        bytes.extend_from_slice(&f.subject_at_ms.to_be_bytes());
        Sha256::digest(&bytes).into()
    }

    #[test]
    fn request_digest_is_the_documented_encoding() {
        let f = fields();
        assert_eq!(request_digest(&f), recompute(&f));
        assert_eq!(request_digest(&f), request_digest(&fields()));
        // Pinned once per version (this is v2's): the encoding is a wire contract; if this
        // changes, anchored records and stored approvals no longer check.
        assert_eq!(
            hex::encode(request_digest(&f)),
            "0e2200fa90a33cfa4ca552fd37999050405f8725ee31411d295e398a93c94c2c"
        );
    }

    #[test]
    fn request_digest_changes_with_every_field() {
        let base = request_digest(&fields());
        let variants = [
            TraceRequestFields {
                trace_id: "trace-0002",
                ..fields()
            },
            TraceRequestFields {
                subject_did: "did:realdid:7Q3bNqz2",
                ..fields()
            },
            TraceRequestFields {
                legal_basis: "another basis",
                ..fields()
            },
            TraceRequestFields {
                case_reference: "PSB-2025-0043",
                ..fields()
            },
            TraceRequestFields {
                requested_by: "officer-wang",
                ..fields()
            },
            TraceRequestFields {
                created_at_ms: 1_750_000_000_124,
                ..fields()
            },
            TraceRequestFields {
                subject_at_ms: 1_749_000_000_001,
                ..fields()
            },
        ];
        for v in &variants {
            assert_ne!(request_digest(v), base, "{v:?}");
            assert_eq!(request_digest(v), recompute(v));
        }
        // Length prefixes keep a byte from moving between neighbouring fields.
        let shifted = TraceRequestFields {
            trace_id: "trace-000",
            subject_did: "1did:realdid:7Q3bNqz1",
            ..fields()
        };
        assert_ne!(request_digest(&shifted), base);
    }

    fn approvals() -> Vec<AuditApproval<'static>> {
        vec![
            AuditApproval {
                key_id: "approver-a",
                approved_at_ms: 1_750_000_100_000,
            },
            AuditApproval {
                key_id: "approver-b",
                approved_at_ms: 1_750_000_200_000,
            },
        ]
    }

    #[test]
    fn audit_record_hash_is_the_documented_encoding() {
        let digest = request_digest(&fields());
        let mut bytes = b"realdid/trace-opening/v1".to_vec();
        bytes.extend_from_slice(&digest);
        bytes.extend_from_slice(&2u32.to_be_bytes());
        for a in approvals() {
            bytes.extend_from_slice(&(a.key_id.len() as u32).to_be_bytes());
            bytes.extend_from_slice(a.key_id.as_bytes());
            bytes.extend_from_slice(&a.approved_at_ms.to_be_bytes());
        }
        bytes.extend_from_slice(&(9u32).to_be_bytes());
        bytes.extend_from_slice(b"auditor-1");
        bytes.extend_from_slice(&1_750_000_300_000i64.to_be_bytes());
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(
            audit_record_hash(&digest, &approvals(), "auditor-1", 1_750_000_300_000),
            expected
        );
    }

    #[test]
    fn audit_record_hash_changes_with_every_input() {
        let digest = request_digest(&fields());
        let hash = |d: &[u8; 32], a: &[AuditApproval<'_>], by: &str, at: i64| {
            audit_record_hash(d, a, by, at)
        };
        let base = hash(&digest, &approvals(), "auditor-1", 1_750_000_300_000);
        assert_eq!(
            base,
            hash(&digest, &approvals(), "auditor-1", 1_750_000_300_000)
        );
        let mut other_digest = digest;
        other_digest[0] ^= 1;
        let mut reordered = approvals();
        reordered.reverse();
        let mut other_key = approvals();
        other_key[1].key_id = "approver-c";
        let mut other_time = approvals();
        other_time[0].approved_at_ms += 1;
        let variants = [
            hash(&other_digest, &approvals(), "auditor-1", 1_750_000_300_000),
            hash(&digest, &approvals()[..1], "auditor-1", 1_750_000_300_000),
            hash(&digest, &[], "auditor-1", 1_750_000_300_000),
            hash(&digest, &reordered, "auditor-1", 1_750_000_300_000),
            hash(&digest, &other_key, "auditor-1", 1_750_000_300_000),
            hash(&digest, &other_time, "auditor-1", 1_750_000_300_000),
            hash(&digest, &approvals(), "auditor-2", 1_750_000_300_000),
            hash(&digest, &approvals(), "auditor-1", 1_750_000_300_001),
        ];
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(*v, base, "variant {i}");
        }
    }

    #[test]
    fn an_approval_verifies_with_its_key_only() {
        let digest = request_digest(&fields());
        for alg in [Algorithm::EdDsa, Algorithm::Es256] {
            let key = SigningKey::generate(alg).unwrap();
            let jws = sign_approval("trace-0001", &digest, "approver-a", &key, NOW).unwrap();
            let approval = ApprovalJws::parse(&jws).unwrap();
            assert_eq!(approval.key_id(), "approver-a");
            assert_eq!(approval.trace_id(), "trace-0001");
            assert_eq!(approval.digest(), &digest);
            assert_eq!(approval.issued_at(), NOW);
            approval
                .verify(&key.public_key(), "trace-0001", &digest)
                .unwrap();

            for other_alg in [Algorithm::EdDsa, Algorithm::Es256] {
                let other = SigningKey::generate(other_alg).unwrap();
                let err = approval
                    .verify(&other.public_key(), "trace-0001", &digest)
                    .unwrap_err();
                assert!(matches!(err, TraceError::BadSignature { .. }), "{err}");
            }
            assert_eq!(
                approval.verify(&key.public_key(), "trace-0002", &digest),
                Err(TraceError::WrongTrace)
            );
            let mut other_digest = digest;
            other_digest[31] ^= 1;
            assert_eq!(
                approval.verify(&key.public_key(), "trace-0001", &other_digest),
                Err(TraceError::WrongDigest)
            );
        }
    }

    #[test]
    fn a_flipped_byte_breaks_an_approval() {
        let digest = request_digest(&fields());
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let jws = sign_approval("trace-0001", &digest, "approver-a", &key, NOW).unwrap();
        let (input, signature) = jws.rsplit_once('.').unwrap();
        let mut bytes = B64.decode(signature).unwrap();
        bytes[0] ^= 0x80;
        let tampered = format!("{input}.{}", B64.encode(bytes));
        let err = ApprovalJws::parse(&tampered)
            .unwrap()
            .verify(&key.public_key(), "trace-0001", &digest)
            .unwrap_err();
        assert!(matches!(err, TraceError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn a_wrong_typ_or_form_is_refused() {
        let digest = request_digest(&fields());
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let payload = json!({"trace_id": "trace-0001", "digest": B64.encode(digest), "iat": NOW});
        let jws = raw(
            &[
                ("kid", "approver-a".into()),
                ("typ", "realdid-control+jwt".into()),
            ],
            &payload,
            &key,
        );
        assert_eq!(
            ApprovalJws::parse(&jws).unwrap_err(),
            TraceError::WrongType {
                found: Some("realdid-control+jwt".into())
            }
        );
        let typ = ("typ", Value::from(TRACE_APPROVAL_TYP));
        let kid = ("kid", Value::from("approver-a"));
        let cases = [
            (vec![typ.clone()], payload.clone()),
            (vec![typ.clone(), ("kid", 1.into())], payload.clone()),
            (
                vec![typ.clone(), kid.clone()],
                json!({"trace_id": "trace-0001", "digest": B64.encode([0u8; 31]), "iat": NOW}),
            ),
            (
                vec![typ.clone(), kid.clone()],
                json!({"trace_id": "trace-0001", "digest": hex::encode(digest), "iat": NOW}),
            ),
            (
                vec![typ.clone(), kid.clone()],
                json!({"trace_id": "trace-0001", "digest": B64.encode(digest)}),
            ),
            (
                vec![typ, kid],
                json!(["trace-0001", B64.encode(digest), NOW]),
            ),
        ];
        for (header, payload) in cases {
            let err = ApprovalJws::parse(&raw(&header, &payload, &key)).unwrap_err();
            assert!(
                matches!(err, TraceError::Malformed { .. }),
                "{header:?} {payload}: {err}"
            );
        }
    }
}
