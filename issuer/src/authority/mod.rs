//! The identity-authority seam: who tells the issuer that a name, a resident identity number
//! and liveness evidence belong to one living person.
//!
//! In a deployment this is a national authority behind the `realdid.v1.IdentityAuthority`
//! gRPC contract (proto/realdid/v1/authority.proto). realdid ships a reference authority
//! ([`reference::ReferenceAuthority`]) over a synthetic population ([`dataset`]) so that the
//! devnet, the tests and the benchmarks run the real protocol end to end.
//!
//! The issuer parses the resident identity number ([`ResidentId`]: format, region, birth
//! date, check digit) before it asks: a number that does not parse is refused with its
//! reason and never leaves the issuer. An authority answers only match, no match (with no
//! detail of which part failed, as the contract requires) or unavailable, and signs its
//! answer over the issuer's nonce and the question ([`key`],
//! `realdid_core::authority_answer`): a remote answer without the configured authority's
//! signature is no answer.

pub mod dataset;
pub mod evidence;
pub mod grpc;
pub mod key;
pub mod reference;

use std::future::Future;

use realdid_core::resident_id::ResidentId;

use crate::IssuerError;

/// Most bytes of a full name (UTF-8).
pub const MAX_NAME_LEN: usize = 256;
/// Most bytes of an evidence token.
pub const MAX_EVIDENCE_LEN: usize = 16 * 1024;
/// Most bytes of a caller's request id.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// One person to check.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckRequest {
    /// The full name as on the identity card.
    pub full_name: String,
    /// The resident identity number, already parsed.
    pub resident_id: ResidentId,
    /// The liveness / photo evidence token the wallet obtained, unchanged.
    pub evidence_token: String,
    /// The caller's id for this check, for both sides' audit logs.
    pub request_id: String,
}

impl std::fmt::Debug for CheckRequest {
    /// Personal data stays out of logs: only the request id is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckRequest")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl CheckRequest {
    /// Checks the contract's limits on every field.
    pub fn check_limits(&self) -> Result<(), IssuerError> {
        let bad = |what: &str| Err(IssuerError::InvalidRequest(what.to_owned()));
        if self.full_name.is_empty() || self.full_name.len() > MAX_NAME_LEN {
            return bad("full_name: 1 to 256 bytes");
        }
        if self.evidence_token.is_empty() || self.evidence_token.len() > MAX_EVIDENCE_LEN {
            return bad("evidence_token: 1 byte to 16 KiB");
        }
        if self.request_id.is_empty() || self.request_id.len() > MAX_REQUEST_ID_LEN {
            return bad("request_id: 1 to 128 bytes");
        }
        Ok(())
    }
}

/// The authority's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// One living person, and the evidence shows them. `reference` is the authority's
    /// opaque reference for this check (kept in the escrowed identity record).
    Match {
        /// The authority's reference.
        reference: String,
    },
    /// Not one living person, or the evidence does not show them; no detail on purpose.
    NoMatch,
    /// The authority cannot decide now; retry later.
    Unavailable,
}

/// A decision and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The decision.
    pub verdict: Verdict,
    /// When the authority decided, Unix ms by its clock.
    pub checked_at_ms: u64,
}

/// An identity authority.
pub trait IdentityAuthority: Send + Sync {
    /// Checks one person. An `Err` means no answer at all (the request broke a limit, or the
    /// authority could not be asked); "cannot decide now" is `Ok` with
    /// [`Verdict::Unavailable`].
    fn check(
        &self,
        request: &CheckRequest,
    ) -> impl Future<Output = Result<Answer, IssuerError>> + Send;
}
