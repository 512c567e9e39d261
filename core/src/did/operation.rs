//! The four did:realdid operations and their signatures.
//!
//! ```text
//! operation   u8 tag || body
//!   1 create      DocumentState || recovery commitment(32)
//!   2 update      did suffix(32) || previous(32) || DocumentState
//!   3 recover     did suffix(32) || previous(32) || recovery key || DocumentState || next commitment(32)
//!   4 deactivate  did suffix(32) || previous(32) || recovery key
//! signed      operation || signer key id (create, update) | nothing (recover, deactivate) || signature(64)
//! signed over "realdid/did-op/v2" || len(chain id) || chain id || operation || signer key id
//! ```
//! `previous` is the hash of the last operation applied to the DID, so an operation applies
//! to exactly one version: a replay or a lost race is refused as stale. The chain id in the
//! signed bytes keeps an operation signed for one chain (a test network, say) from counting
//! on another where the same keys hold a DID of the same content.

use bytes::BufMut;
use commonware_codec::{Buf, Encode as _, EncodeSize, Error, Read, ReadExt as _, Write};
use sha2::{Digest, Sha256};

use super::{DocumentState, KeyId, Purposes, RealDid, RecoveryCommitment, VerificationKey};
use crate::codec::ChainId;
use crate::codec::primitives::{
    Signature, public_key_size, read_bytes32, read_public_key, write_public_key,
};
use crate::keys::{KeyError, PublicKey, SigningKey};

const SIGNING_DOMAIN: &[u8] = b"realdid/did-op/v2";
const DID_DOMAIN: &[u8] = b"realdid/did/v1";
const OP_HASH_DOMAIN: &[u8] = b"realdid/did-op-hash/v1";

/// The hash of an applied operation; the next operation names it as `previous`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationHash(pub [u8; 32]);

impl std::fmt::Debug for OperationHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OperationHash({self})")
    }
}

impl std::fmt::Display for OperationHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Creates a DID; its identifier derives from this content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOp {
    /// The initial keys and services.
    pub document: DocumentState,
    /// Commitment to the recovery key, which is kept offline.
    pub recovery_commitment: RecoveryCommitment,
}

/// Replaces the keys and services; signed by a current `capabilityInvocation` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOp {
    /// The DID.
    pub did: RealDid,
    /// Hash of the DID's last operation.
    pub previous: OperationHash,
    /// The new keys and services.
    pub document: DocumentState,
}

/// Takes the DID back with the recovery key after the update keys were lost or stolen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoverOp {
    /// The DID.
    pub did: RealDid,
    /// Hash of the DID's last operation.
    pub previous: OperationHash,
    /// The recovery key, revealed; it must hash to the current commitment and signs this.
    pub recovery_key: PublicKey,
    /// The new keys and services.
    pub document: DocumentState,
    /// Commitment to the next recovery key (a recovery key is used once).
    pub next_recovery_commitment: RecoveryCommitment,
}

/// Ends the DID for good; signed by the recovery key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeactivateOp {
    /// The DID.
    pub did: RealDid,
    /// Hash of the DID's last operation.
    pub previous: OperationHash,
    /// The recovery key, revealed; it must hash to the current commitment and signs this.
    pub recovery_key: PublicKey,
}

/// One did:realdid operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DidOperation {
    /// See [`CreateOp`].
    Create(CreateOp),
    /// See [`UpdateOp`].
    Update(UpdateOp),
    /// See [`RecoverOp`].
    Recover(RecoverOp),
    /// See [`DeactivateOp`].
    Deactivate(DeactivateOp),
}

impl DidOperation {
    /// The operation's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create(_) => "create",
            Self::Update(_) => "update",
            Self::Recover(_) => "recover",
            Self::Deactivate(_) => "deactivate",
        }
    }

    /// The DID the operation applies to (for create: the DID it derives).
    pub fn did(&self) -> RealDid {
        match self {
            Self::Create(op) => op.did(),
            Self::Update(op) => op.did.clone(),
            Self::Recover(op) => op.did.clone(),
            Self::Deactivate(op) => op.did.clone(),
        }
    }

    /// Whether the signer is named by key id (create, update) rather than being the revealed
    /// recovery key (recover, deactivate).
    fn signed_by_key_id(&self) -> bool {
        matches!(self, Self::Create(_) | Self::Update(_))
    }

    fn tag(&self) -> u8 {
        match self {
            Self::Create(_) => 1,
            Self::Update(_) => 2,
            Self::Recover(_) => 3,
            Self::Deactivate(_) => 4,
        }
    }

    /// Signs the operation for `chain`. `signer` names the document key for create and update
    /// and must be `None` for recover and deactivate, which the recovery key signs.
    pub fn sign(
        self,
        chain: &ChainId,
        signer: Option<KeyId>,
        key: &SigningKey,
    ) -> Result<SignedDidOperation, KeyError> {
        let message = signing_input(chain, &self, signer.as_ref());
        let raw = key.sign(&message)?;
        let signature = Signature::from_slice(&raw).ok_or(KeyError::SignatureLength {
            algorithm: "signature",
            expected: 64,
            found: raw.len(),
        })?;
        Ok(SignedDidOperation {
            operation: self,
            signer,
            signature,
        })
    }
}

impl CreateOp {
    /// The most common creation: a document with one key, `key-1`, for `purposes` (and
    /// capability invocation, which updates need), recoverable with `recovery`.
    pub fn single_key(key: &PublicKey, purposes: Purposes, recovery: &PublicKey) -> Self {
        Self {
            document: DocumentState {
                keys: vec![VerificationKey {
                    id: KeyId::first(),
                    key: key.clone(),
                    purposes: purposes.with(Purposes::CAPABILITY_INVOCATION),
                }],
                services: vec![],
            },
            recovery_commitment: RecoveryCommitment::to(recovery),
        }
    }

    /// The DID this create derives: the hash of its canonical encoding.
    pub fn did(&self) -> RealDid {
        let mut h = Sha256::new();
        h.update(DID_DOMAIN);
        h.update(self.document.encode());
        h.update(self.recovery_commitment.0);
        RealDid::from_suffix(h.finalize().into())
    }
}

/// The bytes a DID operation's signature covers on `chain`.
pub fn signing_input(chain: &ChainId, operation: &DidOperation, signer: Option<&KeyId>) -> Vec<u8> {
    let mut out = Vec::with_capacity(SIGNING_DOMAIN.len() + 65 + operation.encode_size() + 34);
    out.extend_from_slice(SIGNING_DOMAIN);
    chain.write_into(&mut out);
    operation.write(&mut out);
    if let Some(id) = signer {
        id.write(&mut out);
    }
    out
}

/// An operation with its signature, as submitted to the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDidOperation {
    /// The operation.
    pub operation: DidOperation,
    /// The signing key's id for create and update; `None` for recover and deactivate.
    pub signer: Option<KeyId>,
    /// Signature over [`signing_input`].
    pub signature: Signature,
}

impl SignedDidOperation {
    /// The hash the next operation names as `previous`.
    pub fn hash(&self) -> OperationHash {
        let mut h = Sha256::new();
        h.update(OP_HASH_DOMAIN);
        h.update(self.encode());
        OperationHash(h.finalize().into())
    }

    /// The bytes the signature covers on `chain`.
    pub fn signing_input(&self, chain: &ChainId) -> Vec<u8> {
        signing_input(chain, &self.operation, self.signer.as_ref())
    }
}

impl Write for DidOperation {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.tag());
        match self {
            Self::Create(op) => {
                op.document.write(buf);
                buf.put_slice(&op.recovery_commitment.0);
            }
            Self::Update(op) => {
                buf.put_slice(op.did.suffix());
                buf.put_slice(&op.previous.0);
                op.document.write(buf);
            }
            Self::Recover(op) => {
                buf.put_slice(op.did.suffix());
                buf.put_slice(&op.previous.0);
                write_public_key(&op.recovery_key, buf);
                op.document.write(buf);
                buf.put_slice(&op.next_recovery_commitment.0);
            }
            Self::Deactivate(op) => {
                buf.put_slice(op.did.suffix());
                buf.put_slice(&op.previous.0);
                write_public_key(&op.recovery_key, buf);
            }
        }
    }
}

impl EncodeSize for DidOperation {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::Create(op) => op.document.encode_size() + 32,
            Self::Update(op) => 64 + op.document.encode_size(),
            Self::Recover(op) => {
                64 + public_key_size(&op.recovery_key) + op.document.encode_size() + 32
            }
            Self::Deactivate(op) => 64 + public_key_size(&op.recovery_key),
        }
    }
}

impl Read for DidOperation {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let tag = u8::read(buf)?;
        Ok(match tag {
            1 => Self::Create(CreateOp {
                document: DocumentState::read(buf)?,
                recovery_commitment: RecoveryCommitment(read_bytes32(buf)?),
            }),
            2 => Self::Update(UpdateOp {
                did: RealDid::from_suffix(read_bytes32(buf)?),
                previous: OperationHash(read_bytes32(buf)?),
                document: DocumentState::read(buf)?,
            }),
            3 => Self::Recover(RecoverOp {
                did: RealDid::from_suffix(read_bytes32(buf)?),
                previous: OperationHash(read_bytes32(buf)?),
                recovery_key: read_public_key(buf)?,
                document: DocumentState::read(buf)?,
                next_recovery_commitment: RecoveryCommitment(read_bytes32(buf)?),
            }),
            4 => Self::Deactivate(DeactivateOp {
                did: RealDid::from_suffix(read_bytes32(buf)?),
                previous: OperationHash(read_bytes32(buf)?),
                recovery_key: read_public_key(buf)?,
            }),
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

impl Write for SignedDidOperation {
    fn write(&self, buf: &mut impl BufMut) {
        self.operation.write(buf);
        if let Some(id) = &self.signer {
            id.write(buf);
        }
        self.signature.write(buf);
    }
}

impl EncodeSize for SignedDidOperation {
    fn encode_size(&self) -> usize {
        self.operation.encode_size()
            + self.signer.as_ref().map_or(0, EncodeSize::encode_size)
            + self.signature.encode_size()
    }
}

impl Read for SignedDidOperation {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let operation = DidOperation::read(buf)?;
        let signer = if operation.signed_by_key_id() {
            Some(KeyId::read(buf)?)
        } else {
            None
        };
        let signature = Signature::read(buf)?;
        Ok(Self {
            operation,
            signer,
            signature,
        })
    }
}
