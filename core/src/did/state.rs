//! A DID's current state and the rules that move it: [`apply`] is the whole method.
//!
//! ```text
//!            create                update / recover
//!  (none) ───────────▶ live v1 ───────────────────▶ live v(n+1)
//!                         │ deactivate
//!                         ▼
//!                    deactivated (final; no keys, no recovery commitment)
//! ```
//! | operation  | signed by                                   | also requires                         |
//! |------------|---------------------------------------------|---------------------------------------|
//! | create     | an initial key with capabilityInvocation    | DID not yet created                   |
//! | update     | a current key with capabilityInvocation     | `previous` = last operation           |
//! | recover    | the recovery key (hash = commitment)        | new commitment                        |
//! | deactivate | the recovery key (hash = commitment)        |                                       |
//!
//! A recovery or deactivation supersedes whatever happened since its signer last looked:
//! its `previous` records the operation the signer saw, but need not be the last one. Were
//! it required, whoever holds a stolen device key could keep the owner from ever recovering,
//! by sending a fresh update each time the owner's recovery names the last one. Nothing can
//! be replayed: the recovery key opens the commitment once (a recovery commits to the next
//! key, a deactivation ends the DID).

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt as _, Write};

use super::operation::OperationHash;
use super::{
    DidError, DidOperation, DocumentState, KeyId, Purposes, RealDid, RecoveryCommitment,
    SignedDidOperation,
};
use crate::codec::ChainId;
use crate::codec::primitives::read_bytes32;
use crate::keys::{Direct, PublicKey, SignatureCheck, SignatureRule};

/// What the registry keeps for one DID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidState {
    /// The DID.
    pub did: RealDid,
    /// Current keys and services (empty once deactivated).
    pub document: DocumentState,
    /// Commitment to the current recovery key; `None` once deactivated.
    pub recovery_commitment: Option<RecoveryCommitment>,
    /// 1 after create, +1 for each later operation.
    pub version: u64,
    /// Hash of the last applied operation.
    pub last_operation: OperationHash,
}

impl DidState {
    /// Whether the DID was deactivated.
    pub fn is_deactivated(&self) -> bool {
        self.recovery_commitment.is_none()
    }

    /// The key with this id if it serves `purpose` and the DID is live.
    pub fn key_for(&self, id: &KeyId, purpose: Purposes) -> Option<&PublicKey> {
        self.document
            .key(id)
            .filter(|k| k.purposes.contains(purpose))
            .map(|k| &k.key)
    }
}

/// Applies a signed operation to the DID's current state (`None` if it has never been
/// created) on `chain` and returns the new state, or the first rule the operation breaks.
///
/// Pure and deterministic: every validator computes the same result from the same inputs.
pub fn apply(
    chain: &ChainId,
    current: Option<&DidState>,
    signed: &SignedDidOperation,
) -> Result<DidState, DidError> {
    apply_checked(chain, current, signed, &Direct)
}

/// [`apply`], checking the operation's signature through `signatures` (a node's memory of
/// signatures it already checked, say). The result is the same as [`apply`]'s.
pub fn apply_checked(
    chain: &ChainId,
    current: Option<&DidState>,
    signed: &SignedDidOperation,
    signatures: &(impl SignatureCheck + ?Sized),
) -> Result<DidState, DidError> {
    let op = &signed.operation;
    let name = op.name();
    match op {
        DidOperation::Create(create) => {
            let did = create.did();
            if current.is_some() {
                return Err(DidError::AlreadyExists {
                    did: did.to_string(),
                });
            }
            create.document.check()?;
            let key = authorised_key(&did, &create.document, signed.signer.as_ref(), name)?;
            verify(signatures, chain, &did, key, signed, name)?;
            Ok(DidState {
                did,
                document: create.document.clone(),
                recovery_commitment: Some(create.recovery_commitment),
                version: 1,
                last_operation: signed.hash(),
            })
        }
        DidOperation::Update(update) => {
            let state = builds_on_last(live(current, &update.did)?, &update.previous)?;
            update.document.check()?;
            let key = authorised_key(&state.did, &state.document, signed.signer.as_ref(), name)?;
            verify(signatures, chain, &state.did, key, signed, name)?;
            Ok(DidState {
                did: state.did.clone(),
                document: update.document.clone(),
                recovery_commitment: state.recovery_commitment,
                version: state.version + 1,
                last_operation: signed.hash(),
            })
        }
        DidOperation::Recover(recover) => {
            let state = live(current, &recover.did)?;
            check_recovery_key(state, &recover.recovery_key)?;
            recover.document.check()?;
            if state.recovery_commitment == Some(recover.next_recovery_commitment) {
                return Err(DidError::RecoveryCommitmentReused {
                    did: state.did.to_string(),
                });
            }
            verify(
                signatures,
                chain,
                &state.did,
                &recover.recovery_key,
                signed,
                name,
            )?;
            Ok(DidState {
                did: state.did.clone(),
                document: recover.document.clone(),
                recovery_commitment: Some(recover.next_recovery_commitment),
                version: state.version + 1,
                last_operation: signed.hash(),
            })
        }
        DidOperation::Deactivate(deactivate) => {
            let state = live(current, &deactivate.did)?;
            check_recovery_key(state, &deactivate.recovery_key)?;
            verify(
                signatures,
                chain,
                &state.did,
                &deactivate.recovery_key,
                signed,
                name,
            )?;
            Ok(DidState {
                did: state.did.clone(),
                document: DocumentState::default(),
                recovery_commitment: None,
                version: state.version + 1,
                last_operation: signed.hash(),
            })
        }
    }
}

/// The current state, if it exists and is live.
fn live<'a>(current: Option<&'a DidState>, did: &RealDid) -> Result<&'a DidState, DidError> {
    let state = current.ok_or_else(|| DidError::NotFound {
        did: did.to_string(),
    })?;
    if &state.did != did {
        return Err(DidError::DidMismatch {
            claimed: did.to_string(),
            derived: state.did.to_string(),
        });
    }
    if state.is_deactivated() {
        return Err(DidError::Deactivated {
            did: did.to_string(),
        });
    }
    Ok(state)
}

/// `state`, if the operation builds on its last operation.
fn builds_on_last<'a>(
    state: &'a DidState,
    previous: &OperationHash,
) -> Result<&'a DidState, DidError> {
    if &state.last_operation != previous {
        return Err(DidError::StaleOperation {
            did: state.did.to_string(),
            claimed: previous.to_string(),
            current: state.last_operation.to_string(),
        });
    }
    Ok(state)
}

fn authorised_key<'a>(
    did: &RealDid,
    document: &'a DocumentState,
    signer: Option<&KeyId>,
    operation: &'static str,
) -> Result<&'a PublicKey, DidError> {
    let unauthorised = |key_id: String, reason| DidError::UnauthorisedKey {
        did: did.to_string(),
        key_id,
        operation,
        reason,
    };
    let id = signer.ok_or_else(|| unauthorised("(none)".into(), "no signer key id"))?;
    let key = document
        .key(id)
        .ok_or_else(|| unauthorised(id.to_string(), "not in the document"))?;
    if !key.purposes.contains(Purposes::CAPABILITY_INVOCATION) {
        return Err(unauthorised(id.to_string(), "lacks capabilityInvocation"));
    }
    Ok(&key.key)
}

fn check_recovery_key(state: &DidState, key: &PublicKey) -> Result<(), DidError> {
    if state.recovery_commitment != Some(RecoveryCommitment::to(key)) {
        return Err(DidError::RecoveryKeyMismatch {
            did: state.did.to_string(),
        });
    }
    Ok(())
}

fn verify(
    signatures: &(impl SignatureCheck + ?Sized),
    chain: &ChainId,
    did: &RealDid,
    key: &PublicKey,
    signed: &SignedDidOperation,
    operation: &'static str,
) -> Result<(), DidError> {
    signatures
        .check(
            SignatureRule::Chain,
            key,
            &signed.signing_input(chain),
            &signed.signature.0,
        )
        .map_err(|_| DidError::BadSignature {
            did: did.to_string(),
            operation,
        })
}

impl Write for DidState {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.did.suffix());
        self.document.write(buf);
        match &self.recovery_commitment {
            Some(c) => {
                buf.put_u8(1);
                buf.put_slice(&c.0);
            }
            None => buf.put_u8(0),
        }
        buf.put_u64(self.version);
        buf.put_slice(&self.last_operation.0);
    }
}

impl EncodeSize for DidState {
    fn encode_size(&self) -> usize {
        32 + self.document.encode_size()
            + 1
            + if self.recovery_commitment.is_some() {
                32
            } else {
                0
            }
            + 8
            + 32
    }
}

impl Read for DidState {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let did = RealDid::from_suffix(read_bytes32(buf)?);
        let document = DocumentState::read(buf)?;
        let recovery_commitment = match u8::read(buf)? {
            0 => None,
            1 => Some(RecoveryCommitment(read_bytes32(buf)?)),
            other => return Err(Error::InvalidEnum(other)),
        };
        Ok(Self {
            did,
            document,
            recovery_commitment,
            version: u64::read(buf)?,
            last_operation: OperationHash(read_bytes32(buf)?),
        })
    }
}
