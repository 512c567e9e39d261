//! The reference identity authority: answers from a [`ResidentDataset`].

use std::sync::Arc;

use super::dataset::ResidentDataset;
use realdid_core::clock::{Clock as _, SystemClock};

use super::{Answer, CheckRequest, IdentityAuthority, Verdict};
use crate::IssuerError;

/// An identity authority over a synthetic resident register.
#[derive(Debug, Clone)]
pub struct ReferenceAuthority {
    dataset: Arc<ResidentDataset>,
}

impl ReferenceAuthority {
    /// An authority answering from `dataset`, dating its answers by the machine's clock (it
    /// is a service of its own, not the issuer).
    pub fn new(dataset: Arc<ResidentDataset>) -> Self {
        Self { dataset }
    }

    fn decide(&self, request: &CheckRequest) -> Result<Verdict, IssuerError> {
        let Some(registered) = self.dataset.full_name(&request.resident_id)? else {
            return Ok(Verdict::NoMatch);
        };
        if registered != request.full_name
            || !self
                .dataset
                .evidence_matches(&request.resident_id, &request.evidence_token)
        {
            return Ok(Verdict::NoMatch);
        }
        let mut reference = [0u8; 16];
        getrandom::fill(&mut reference).map_err(IssuerError::Randomness)?;
        Ok(Verdict::Match {
            reference: format!("ref-{}", hex::encode(reference)),
        })
    }
}

impl IdentityAuthority for ReferenceAuthority {
    async fn check(&self, request: &CheckRequest) -> Result<Answer, IssuerError> {
        request.check_limits()?;
        // A register that cannot be read is the authority's own outage: "cannot decide now",
        // never a false "no match".
        let verdict = match self.decide(request) {
            Ok(verdict) => verdict,
            Err(error @ (IssuerError::Storage { .. } | IssuerError::Corrupt(_))) => {
                tracing::warn!(%error, request_id = %request.request_id, "register unreadable");
                Verdict::Unavailable
            }
            Err(other) => return Err(other),
        };
        Ok(Answer {
            verdict,
            checked_at_ms: SystemClock.now().as_millis(),
        })
    }
}
