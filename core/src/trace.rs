//! Lawful trace: the digest that names a trace request, the salted hash approvers sign and the
//! audit anchor carries, the holder tag by which the traced citizen's wallet recognises a
//! disclosed opening, and what an approver signs when handing in a released share.
//!
//! A trace request (who asks to identify which DID, on what legal basis) is named by its
//! [`request_digest`]; [`request_hash`] adds a salt and the officer's key. Each of k
//! approvers signs the request hash for the chain (`codec::TraceApproval`), and the chain
//! accepts the audit anchor only with k of them. An auditor holding the request recomputes
//! both hashes.
//!
//! These encodings are wire contracts ("as realdid-core defines it" in the gRPC API):
//! changing one breaks every anchored record, so a change needs a new domain tag.

use sha2::{Digest as _, Sha256};

use crate::ErrorKind;

/// The domain tag of [`request_digest`]. Version 2 committed to the moment whose holder is
/// sought (a DID can be enrolled by one person, recovered, and enrolled by another);
/// version 3 also to the enrolment that moment picked, so that an approver releases a
/// share only of the one record the request named.
pub const TRACE_REQUEST_DOMAIN: &[u8] = b"realdid/trace-request/v3";
/// The domain tag of [`request_hash`].
pub const TRACE_REQUEST_HASH_DOMAIN: &[u8] = b"realdid/trace-request-hash/v1";
/// The largest operator login proof accepted, in bytes (the API's limit); checked before
/// anything is decoded.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Why an operator login proof could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// The token does not have the expected structure (not a JWS, too large, a missing or
    /// malformed `kid` or payload claim).
    #[error("malformed token: {reason}")]
    Malformed { reason: String },
    /// The header `typ` is not the one required.
    #[error("token typ is {found:?}, not the one required")]
    WrongType { found: Option<String> },
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
    /// That enrolment: the sealed record the approvers release a share of is the one named
    /// `<subject_did> <enrolment_id>`, and no other.
    pub enrolment_id: &'a str,
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
/// SHA-256( "realdid/trace-request/v3"              24 ASCII bytes, no prefix
///        || len(trace_id)       || trace_id        len = u32 big-endian byte count, UTF-8
///        || len(subject_did)    || subject_did
///        || len(legal_basis)    || legal_basis
///        || len(case_reference) || case_reference
///        || len(requested_by)   || requested_by
///        || created_at_ms                          i64 big-endian (two's complement)
///        || subject_at_ms                          i64 big-endian (two's complement)
///        || len(enrolment_id)   || enrolment_id )
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
    put_prefixed(&mut hasher, fields.enrolment_id.as_bytes());
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

/// What an approver signs, with their approval key, to list the records it is to re-seal
/// at issuer `issuer`: the list names which DIDs one person enrolled, so only an approver of
/// the issuer may read it, and the issuer's fresh nonce keeps a signature from being
/// replayed.
///
/// ```text
/// "realdid/trace-reseal-list/v1" || len(issuer) || issuer || len(nonce) || nonce
///                                || len(approver id) || approver id
/// ```
pub fn reseal_list_input(issuer: &str, nonce: &str, approver_id: &str) -> Vec<u8> {
    let mut out = RESEAL_LIST_DOMAIN.to_vec();
    for field in [issuer, nonce, approver_id] {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// The domain tag of [`reseal_list_input`].
pub const RESEAL_LIST_DOMAIN: &[u8] = b"realdid/trace-reseal-list/v1";

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use super::*;

    fn fields() -> TraceRequestFields<'static> {
        TraceRequestFields {
            trace_id: "trace-0001",
            subject_did: "did:realdid:7Q3bNqz1",
            legal_basis: "Criminal Procedure Law art. 138; warrant 2025-17",
            case_reference: "PSB-2025-0042",
            requested_by: "officer-li",
            created_at_ms: 1_750_000_000_123,
            subject_at_ms: 1_749_000_000_000,
            enrolment_id: "enr-0042",
        }
    }

    /// The encoding spelled out byte by byte, independently of `request_digest`.
    fn recompute(f: &TraceRequestFields<'_>) -> [u8; 32] {
        let mut bytes = b"realdid/trace-request/v3".to_vec();
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
        bytes.extend_from_slice(&(f.enrolment_id.len() as u32).to_be_bytes());
        bytes.extend_from_slice(f.enrolment_id.as_bytes());
        Sha256::digest(&bytes).into()
    }

    #[test]
    fn request_digest_is_the_documented_encoding() {
        let f = fields();
        assert_eq!(request_digest(&f), recompute(&f));
        assert_eq!(request_digest(&f), request_digest(&fields()));
        // Pinned once per version (this is v3's): the encoding is a wire contract; if this
        // changes, anchored records and stored approvals no longer check.
        assert_eq!(
            hex::encode(request_digest(&f)),
            "2504c9a7463b8e1ddcc063e5c223bd1e0c372754836bc33dbfa8cd587233fc48"
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
            TraceRequestFields {
                enrolment_id: "enr-0043",
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

    #[test]
    fn the_request_hash_commits_to_the_salt_and_the_officer() {
        let digest = request_digest(&fields());
        let base = request_hash(&digest, &[1; 32], &[2; 32]);
        assert_ne!(base, request_hash(&digest, &[3; 32], &[2; 32]), "salt");
        assert_ne!(base, request_hash(&digest, &[1; 32], &[4; 32]), "officer");
        assert_ne!(base, request_hash(&[0; 32], &[1; 32], &[2; 32]), "request");
    }

    #[test]
    fn a_holder_tag_needs_the_key_and_names_one_did_and_one_request() {
        let key = [5; 32];
        let tag = holder_tag(&key, "did:realdid:a", &[6; 32]);
        assert_eq!(tag, holder_tag(&key, "did:realdid:a", &[6; 32]));
        assert_ne!(tag, holder_tag(&[7; 32], "did:realdid:a", &[6; 32]), "key");
        assert_ne!(tag, holder_tag(&key, "did:realdid:b", &[6; 32]), "DID");
        assert_ne!(tag, holder_tag(&key, "did:realdid:a", &[8; 32]), "request");
        let commitment = holder_commitment(&tag, &[9; 32]);
        assert_ne!(commitment, holder_commitment(&tag, &[10; 32]), "opening");
        assert_ne!(commitment, holder_commitment(&[0; 32], &[9; 32]), "tag");
    }

    #[test]
    fn a_share_release_input_names_the_trace_and_the_share() {
        let base = share_release_input("t1", "{\"share\":1}");
        assert_ne!(base, share_release_input("t2", "{\"share\":1}"));
        assert_ne!(base, share_release_input("t1", "{\"share\":2}"));
    }
}
