//! What the issuer tells its operators about itself, without personal data: how many
//! credentials its status lists hold and in which state, whether every change is anchored,
//! how many trace requests are in each state, and its operators' audit log.
//!
//! The counts come from the status lists (two bits of state a slot) and a counter of the
//! slots in use, kept in the batch that takes each slot, not from the credential rows: reading
//! them costs the lists' size, never a pass over every credential or slot, and opens no
//! sealed row.

use super::Issuer;
use super::traces::TraceState;
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::operators::{Role, Session};
use crate::store::columns;
use crate::store::{CredentialRecord, LogEntry, Rows, TraceRecord};

/// Log entries returned at most per page.
pub const MAX_LOG_PAGE: usize = 200;

/// The issuer's credentials and lists, as its lists hold them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerFigures {
    /// Status lists opened.
    pub lists: u32,
    /// Lists with changes not yet anchored on chain.
    pub unpublished_lists: u32,
    /// Credentials issued (slots in use).
    pub issued: u64,
    /// Of them, revoked.
    pub revoked: u64,
    /// Of them, suspended now.
    pub suspended: u64,
    /// The latest anchor of a list: its height and block time, Unix ms.
    pub last_anchor: Option<(u64, i64)>,
    /// Trace requests by state: pending, approved, opened, expired.
    pub traces: [u64; 4],
}

impl<A: IdentityAuthority> Issuer<A> {
    /// The figures, for any operator.
    pub fn figures(&self, session: &Session) -> Result<IssuerFigures, IssuerError> {
        session.require(
            &[Role::Revoker, Role::TraceRequester, Role::Auditor],
            "GetIssuerStats",
        )?;
        let mut figures = IssuerFigures {
            issued: self.store.counter(crate::store::ISSUED)?,
            ..IssuerFigures::default()
        };
        let total = u32::try_from(self.store.counter(super::lists::OPEN_LIST)?).unwrap_or(0);
        for number in 1..=total {
            let Some(record) = self.store.list(number)? else {
                continue;
            };
            figures.lists += 1;
            figures.unpublished_lists += u32::from(record.dirty || record.published.is_none());
            let tally = crate::status::statuses(&record)?.tally();
            figures.revoked += tally.revoked;
            figures.suspended += tally.suspended;
            if let Some(published) = &record.published {
                let at = (published.receipt.height, published.receipt.block_time_ms);
                if figures.last_anchor.is_none_or(|(h, _)| at.0 > h) {
                    figures.last_anchor = Some(at);
                }
            }
        }
        for (_, trace) in self.store.scan::<TraceRecord>(columns::TRACES, b"")? {
            let slot = match self.trace_state(&trace) {
                TraceState::Pending => 0,
                TraceState::Approved => 1,
                TraceState::Opened => 2,
                TraceState::Expired => 3,
            };
            figures.traces[slot] += 1;
        }
        Ok(figures)
    }

    /// One credential's record, for any operator (the caller shows none of its personal
    /// fields).
    pub fn credential_for_operator(
        &self,
        session: &Session,
        credential_id: &str,
    ) -> Result<CredentialRecord, IssuerError> {
        session.require(
            &[Role::Revoker, Role::TraceRequester, Role::Auditor],
            "GetCredentialStatus",
        )?;
        if credential_id.is_empty() || credential_id.len() > 128 {
            return Err(IssuerError::InvalidRequest(
                "credential_id: 1 to 128 bytes".into(),
            ));
        }
        self.store
            .credential(credential_id)?
            .ok_or_else(|| IssuerError::NotFound(format!("no credential {credential_id}")))
    }

    /// Up to `limit` (at most [`MAX_LOG_PAGE`]) entries of the operators' audit log before
    /// the key `before` (from the newest when empty), newest first, with their keys, and
    /// whether older ones follow. For auditors.
    pub fn audit_log(
        &self,
        session: &Session,
        before: &[u8],
        limit: usize,
    ) -> Result<(Rows<LogEntry>, bool), IssuerError> {
        session.require(&[Role::Auditor], "ListAuditLog")?;
        self.store
            .scan_before(columns::LOG, before, limit.clamp(1, MAX_LOG_PAGE))
    }
}
