//! DID operations: the did:realdid method rules of core, applied to the stored record.

use realdid_core::did::{RealDid, SignedDidOperation, apply_checked};

use super::{BlockContext, Rejection, StateView, Writes, put, read_record};
use crate::RegistryError;
use crate::state::keys::StateKey;
use crate::state::records::DidRecord;

/// Reads the record of a DID, if it was ever created.
pub(super) fn read_did(
    view: &(impl StateView + ?Sized),
    key: &StateKey,
) -> Result<Option<DidRecord>, RegistryError> {
    read_record(view, key, "DID record")
}

/// Checks `op`, whose DID is `did`, against the record of that DID in `view`.
pub(super) fn check(
    view: &(impl StateView + ?Sized),
    ctx: &BlockContext<'_>,
    op: &SignedDidOperation,
    did: &RealDid,
) -> Result<Result<Writes, Rejection>, RegistryError> {
    let key = StateKey::Did(did.clone());
    let current = read_did(view, &key)?;
    let state = match apply_checked(
        &ctx.governance.chain,
        current.as_ref().map(|r| &r.state),
        op,
        ctx.signatures,
    ) {
        Ok(state) => state,
        Err(error) => return Ok(Err(error.into())),
    };
    let (created_height, created_ms) = current
        .as_ref()
        .map_or((ctx.height, ctx.timestamp_ms), |r| {
            (r.created_height, r.created_ms)
        });
    let record = DidRecord {
        state,
        created_height,
        created_ms,
        updated_height: ctx.height,
        updated_ms: ctx.timestamp_ms,
    };
    Ok(Ok(vec![put(key, &record)]))
}
