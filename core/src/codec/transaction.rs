//! Registry transactions.
//!
//! ```text
//! transaction  u8 tag || body                       (at most MAX_TRANSACTION_LEN bytes)
//!   1 did operation     SignedDidOperation
//!   2 governance        action || nonce u64 || varint(n) || n × (public key || signature)
//!        action  1 accredit  issuer suffix(32) || name str || varint(m) || m × credential type str
//!                2 remove    issuer suffix(32) || reason str
//!                3 approvers issuer suffix(32) || approver set (approvers.rs)
//!   3 status anchor     issuer suffix(32) || list id str || sequence u64 || list hash(32)
//!                       || revoked u64 || suspended u64 || key id || signature
//!   4 audit anchor      issuer suffix(32) || request hash(32) || sequence u64
//!                       || holder commitment(32)
//!                       || varint(m) || m × (approver key(32) || signed at u64 || signature(64))
//!                       || key id || signature
//!   5 disclosure        issuer suffix(32) || audit sequence u64 || holder tag(32)
//!                       || opening(32) || key id || signature
//! governance approvals sign  "realdid/governance/v2" || u8 len || chain id || action || nonce
//! trace approvals sign       "realdid/trace-approval/v1" || u8 len || chain id
//!                            || issuer suffix(32) || request hash(32) || signed at u64 (Unix s)
//! anchors are signed by an issuer key with assertionMethod over
//!                            "realdid/anchor/v4" || u8 len || chain id || tag
//!                            || body without key id and signature
//! ```

use bytes::BufMut;
use commonware_codec::{
    Buf, Decode as _, Encode as _, EncodeSize, Error, Read, ReadExt as _, Write,
};
use sha2::{Digest, Sha256};

use super::ChainId;
use super::approvers::ApproverSet;
use super::primitives::{
    Signature, public_key_size, read_bytes32, read_count, read_public_key, read_str, str_size,
    write_public_key, write_str,
};
use crate::did::{KeyId, RealDid, SignedDidOperation};
use crate::keys::{KeyError, PublicKey, SignatureRule, SigningKey};
use crate::status_list::StatusTally;

/// Largest encoded transaction accepted from outside.
pub const MAX_TRANSACTION_LEN: usize = 16 * 1024;
/// Most credential types one accreditation may list.
pub const MAX_CREDENTIAL_TYPES: usize = 32;
/// Longest credential type (`vct`) or list id, in bytes.
pub const MAX_NAME_LEN: usize = 256;
/// Most approvals on a governance transaction.
pub const MAX_APPROVALS: usize = 64;

const GOVERNANCE_DOMAIN: &[u8] = b"realdid/governance/v2";
const ANCHOR_DOMAIN: &[u8] = b"realdid/anchor/v4";
const TRACE_APPROVAL_DOMAIN: &[u8] = b"realdid/trace-approval/v1";
const TX_HASH_DOMAIN: &[u8] = b"realdid/tx/v1";

/// The hash that names a transaction (receipts, duplicate detection).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxHash(pub [u8; 32]);

impl std::fmt::Debug for TxHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TxHash({})", hex::encode(self.0))
    }
}

impl TxHash {
    /// The hash of a transaction's canonical bytes; also names bytes that do not decode,
    /// so a refusal can say which submission it refuses.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(TX_HASH_DOMAIN);
        h.update(bytes);
        TxHash(h.finalize().into())
    }
}

/// A governance decision about the register of accredited issuers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernanceAction {
    /// Accredits an issuer DID for the listed credential types (replacing any earlier list).
    AccreditIssuer {
        /// The issuer's did:realdid.
        issuer: RealDid,
        /// Display name of the issuing organisation.
        name: String,
        /// The credential types (`vct`) it may issue.
        credential_types: Vec<String>,
    },
    /// Withdraws an issuer's accreditation.
    RemoveIssuer {
        /// The issuer's did:realdid.
        issuer: RealDid,
        /// Why, for the public record.
        reason: String,
    },
    /// Sets (or replaces) an accredited issuer's lawful-trace approvers and the number of
    /// approvals an opening needs.
    SetTraceApprovers {
        /// The issuer's did:realdid.
        issuer: RealDid,
        /// The approvers and k.
        set: ApproverSet,
    },
}

/// One governance key's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The approving governance key (must be in the genesis governance set).
    pub key: PublicKey,
    /// Its signature over the governance signing input.
    pub signature: Signature,
}

/// A governance transaction: an action, a nonce that makes each decision unique, and the
/// approvals of governance keys. The registry requires a quorum of distinct genesis keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernanceTx {
    /// What is decided.
    pub action: GovernanceAction,
    /// A number the governance officers have not used before on this chain; the registry
    /// records every used nonce, so an approval cannot be replayed.
    pub nonce: u64,
    /// The approvals.
    pub approvals: Vec<Approval>,
}

impl GovernanceTx {
    /// The bytes every approval signs: the chain is part of them, so that an approval
    /// for one chain decides nothing on another governed by the same keys.
    pub fn signing_input(chain: &ChainId, action: &GovernanceAction, nonce: u64) -> Vec<u8> {
        let mut out = GOVERNANCE_DOMAIN.to_vec();
        chain.write_into(&mut out);
        action.write(&mut out);
        out.put_u64(nonce);
        out
    }

    /// `action` at `nonce` on `chain`, approved by each of `keys`.
    pub fn approved(
        chain: &ChainId,
        action: GovernanceAction,
        nonce: u64,
        keys: &[SigningKey],
    ) -> Result<Self, KeyError> {
        let approvals = keys
            .iter()
            .map(|key| Self::approve(chain, &action, nonce, key))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            action,
            nonce,
            approvals,
        })
    }

    /// An approval of `action` at `nonce` on `chain` by `key`.
    pub fn approve(
        chain: &ChainId,
        action: &GovernanceAction,
        nonce: u64,
        key: &SigningKey,
    ) -> Result<Approval, KeyError> {
        let raw = key.sign(&Self::signing_input(chain, action, nonce))?;
        Ok(Approval {
            key: key.public_key(),
            signature: signature(&raw)?,
        })
    }

    /// The approvals that verify on `chain` and come from distinct members of
    /// `governance_keys`; the registry compares their count with its quorum.
    pub fn valid_approvers<'a>(
        &'a self,
        chain: &ChainId,
        governance_keys: &[PublicKey],
    ) -> Vec<&'a PublicKey> {
        let message = Self::signing_input(chain, &self.action, self.nonce);
        let mut seen: Vec<&PublicKey> = Vec::new();
        for a in &self.approvals {
            if governance_keys.contains(&a.key)
                && !seen.contains(&&a.key)
                && a.key
                    .verify_under(SignatureRule::Chain, &message, &a.signature.0)
                    .is_ok()
            {
                seen.push(&a.key);
            }
        }
        seen
    }
}

fn signature(raw: &[u8]) -> Result<Signature, KeyError> {
    Signature::from_slice(raw).ok_or(KeyError::SignatureLength {
        algorithm: "signature",
        expected: 64,
        found: raw.len(),
    })
}

/// The hash of a published status list, anchored on chain by its issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListAnchor {
    /// The issuer.
    pub issuer: RealDid,
    /// The list's id (its URI).
    pub list_id: String,
    /// Increases by one with each publication of this list.
    pub sequence: u64,
    /// SHA-256 of the published status list token.
    pub list_hash: [u8; 32],
    /// How many entries of the published list are revoked and suspended: the public
    /// transparency count. A verifier that fetches the list refuses it when they differ.
    pub tally: StatusTally,
    /// The issuer key (assertionMethod) that signed.
    pub signer: KeyId,
    /// Signature over [`StatusListAnchor::signing_input`].
    pub signature: Signature,
}

/// One trace approver's approval of a request, as the chain checks it: the approver's
/// Ed25519 key (one of the issuer's approvers on chain), when it was signed, and the
/// signature over [`TraceApproval::signing_input`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceApproval {
    /// The approver's Ed25519 approval key.
    pub key: PublicKey,
    /// When the approver signed, Unix seconds.
    pub signed_at_s: u64,
    /// The signature.
    pub signature: Signature,
}

impl TraceApproval {
    /// What an approver signs: the chain, the issuer and the request hash, so that an
    /// approval counts for one request of one issuer on one chain only.
    pub fn signing_input(
        chain: &ChainId,
        issuer: &RealDid,
        request_hash: &[u8; 32],
        signed_at_s: u64,
    ) -> Vec<u8> {
        let mut out = TRACE_APPROVAL_DOMAIN.to_vec();
        chain.write_into(&mut out);
        out.put_slice(issuer.suffix());
        out.put_slice(request_hash);
        out.put_u64(signed_at_s);
        out
    }

    /// `key`'s approval of `request_hash` of `issuer` on `chain`, signed at `signed_at_s`.
    pub fn sign(
        chain: &ChainId,
        issuer: &RealDid,
        request_hash: &[u8; 32],
        signed_at_s: u64,
        key: &SigningKey,
    ) -> Result<Self, KeyError> {
        if key.algorithm() != crate::keys::Algorithm::EdDsa {
            return Err(KeyError::UnsupportedKeyType {
                what: "a trace approval key must be Ed25519".into(),
            });
        }
        let input = Self::signing_input(chain, issuer, request_hash, signed_at_s);
        Ok(Self {
            key: key.public_key(),
            signed_at_s,
            signature: signature(&key.sign(&input)?)?,
        })
    }

    /// Whether the signature is the key's over this approval of `request_hash`.
    pub fn verifies(&self, chain: &ChainId, issuer: &RealDid, request_hash: &[u8; 32]) -> bool {
        let input = Self::signing_input(chain, issuer, request_hash, self.signed_at_s);
        self.key
            .verify_under(SignatureRule::Chain, &input, &self.signature.0)
            .is_ok()
    }
}

/// A lawful-trace opening, anchored on chain by its issuer with the approvals that allowed
/// it. The chain accepts it only when the approvals come from k distinct approvers of the
/// issuer's set on chain, so an issuer cannot open a record its approvers did not approve
/// without the chain refusing the anchor it needs. It names the request by a salted hash
/// only: the chain never learns whom a trace was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The issuer.
    pub issuer: RealDid,
    /// SHA-256 of the request and a salt ([`crate::trace::request_hash`]).
    pub request_hash: [u8; 32],
    /// Increases by one with each audit record of this issuer.
    pub sequence: u64,
    /// A commitment to the holder tag ([`crate::trace::holder_commitment`]), opened by the
    /// disclosure when the legal delay ends.
    pub holder_commitment: [u8; 32],
    /// The approvals, at most [`crate::codec::MAX_TRACE_APPROVERS`].
    pub approvals: Vec<TraceApproval>,
    /// The issuer key (assertionMethod) that signed.
    pub signer: KeyId,
    /// Signature over [`AuditAnchor::signing_input`].
    pub signature: Signature,
}

/// `"realdid/anchor/v2" || len || chain id || tag || body`: what an issuer signs for either
/// kind of anchor. The chain is part of it, so that an anchor made for one chain (a test
/// network's, with a high sequence) cannot be replayed to another and block its list.
fn anchor_input(chain: &ChainId, tag: u8, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = ANCHOR_DOMAIN.to_vec();
    chain.write_into(&mut out);
    out.put_u8(tag);
    body(&mut out);
    out
}

fn sign_anchor(input: &[u8], key: &SigningKey) -> Result<Signature, KeyError> {
    signature(&key.sign(input)?)
}

/// An anchor an accredited issuer signs with an assertionMethod key of its DID: what the
/// registry checks of every kind of anchor alike.
pub trait IssuerSigned {
    /// The issuer's DID.
    fn issuer(&self) -> &RealDid;
    /// The key (in the issuer's DID document) that signed.
    fn signer(&self) -> &KeyId;
    /// The signature over [`IssuerSigned::signed_bytes`].
    fn signature(&self) -> &Signature;
    /// The bytes the issuer signs, on `chain`.
    fn signed_bytes(&self, chain: &ChainId) -> Vec<u8>;
}

macro_rules! issuer_signed {
    ($anchor:ty) => {
        impl IssuerSigned for $anchor {
            fn issuer(&self) -> &RealDid {
                &self.issuer
            }
            fn signer(&self) -> &KeyId {
                &self.signer
            }
            fn signature(&self) -> &Signature {
                &self.signature
            }
            fn signed_bytes(&self, chain: &ChainId) -> Vec<u8> {
                self.signing_input(chain)
            }
        }
    };
}
issuer_signed!(StatusListAnchor);
issuer_signed!(AuditAnchor);

impl StatusListAnchor {
    /// Builds and signs an anchor for `chain`.
    #[allow(clippy::too_many_arguments)] // one per field the issuer signs, and its key
    pub fn sign(
        chain: &ChainId,
        issuer: RealDid,
        list_id: String,
        sequence: u64,
        list_hash: [u8; 32],
        tally: StatusTally,
        signer: KeyId,
        key: &SigningKey,
    ) -> Result<Self, KeyError> {
        let mut anchor = Self {
            issuer,
            list_id,
            sequence,
            list_hash,
            tally,
            signer,
            signature: Signature([0; 64]),
        };
        anchor.signature = sign_anchor(&anchor.signing_input(chain), key)?;
        Ok(anchor)
    }

    /// The bytes the issuer signs, on `chain`.
    pub fn signing_input(&self, chain: &ChainId) -> Vec<u8> {
        anchor_input(chain, 3, |out| self.write_body(out))
    }

    fn write_body(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.issuer.suffix());
        write_str(&self.list_id, buf);
        buf.put_u64(self.sequence);
        buf.put_slice(&self.list_hash);
        buf.put_u64(self.tally.revoked);
        buf.put_u64(self.tally.suspended);
    }
}

/// What an audit anchor says, before the issuer signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOpening {
    /// The issuer.
    pub issuer: RealDid,
    /// The request hash ([`crate::trace::request_hash`]).
    pub request_hash: [u8; 32],
    /// The issuer's audit sequence.
    pub sequence: u64,
    /// The commitment to the holder tag.
    pub holder_commitment: [u8; 32],
    /// The approvals.
    pub approvals: Vec<TraceApproval>,
}

impl AuditAnchor {
    /// `opening`, signed for `chain` by the issuer key `signer`.
    pub fn sign(
        chain: &ChainId,
        opening: AuditOpening,
        signer: KeyId,
        key: &SigningKey,
    ) -> Result<Self, KeyError> {
        let AuditOpening {
            issuer,
            request_hash,
            sequence,
            holder_commitment,
            approvals,
        } = opening;
        let mut anchor = Self {
            issuer,
            request_hash,
            sequence,
            holder_commitment,
            approvals,
            signer,
            signature: Signature([0; 64]),
        };
        anchor.signature = sign_anchor(&anchor.signing_input(chain), key)?;
        Ok(anchor)
    }

    /// The bytes the issuer signs, on `chain`.
    pub fn signing_input(&self, chain: &ChainId) -> Vec<u8> {
        anchor_input(chain, 4, |out| self.write_body(out))
    }

    /// The encoding of everything but the signer and signature (also the state record's).
    pub fn write_body(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.issuer.suffix());
        buf.put_slice(&self.request_hash);
        buf.put_u64(self.sequence);
        buf.put_slice(&self.holder_commitment);
        self.approvals.len().write(buf);
        for a in &self.approvals {
            buf.put_slice(&a.key.to_bytes());
            buf.put_u64(a.signed_at_s);
            a.signature.write(buf);
        }
    }

    /// The size of [`AuditAnchor::write_body`]'s output.
    pub fn body_size(&self) -> usize {
        32 + 32 + 8 + 32 + self.approvals.len().encode_size() + self.approvals.len() * (32 + 8 + 64)
    }

    /// Reads what [`AuditAnchor::write_body`] wrote, then the signer and signature.
    pub fn read_signed(buf: &mut impl Buf) -> Result<Self, Error> {
        let issuer = RealDid::from_suffix(read_bytes32(buf)?);
        let request_hash = read_bytes32(buf)?;
        let sequence = u64::read(buf)?;
        let holder_commitment = read_bytes32(buf)?;
        let n = read_count(buf, super::approvers::MAX_TRACE_APPROVERS)?;
        let mut approvals = Vec::with_capacity(n);
        for _ in 0..n {
            let key = PublicKey::from_bytes(crate::keys::Algorithm::EdDsa, &read_bytes32(buf)?)
                .map_err(|_| Error::Invalid("trace approval", "not an Ed25519 key"))?;
            approvals.push(TraceApproval {
                key,
                signed_at_s: u64::read(buf)?,
                signature: Signature::read(buf)?,
            });
        }
        Ok(Self {
            issuer,
            request_hash,
            sequence,
            holder_commitment,
            approvals,
            signer: KeyId::read(buf)?,
            signature: Signature::read(buf)?,
        })
    }
}

/// The end of a trace's disclosure delay, published by its issuer: the holder tag of audit
/// anchor `sequence` and the opening of its commitment. The chain accepts it only when they
/// open the commitment the anchor carries, so the tag a wallet recognises is the one
/// committed to when the trace was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceDisclosure {
    /// The issuer.
    pub issuer: RealDid,
    /// The audit anchor disclosed.
    pub sequence: u64,
    /// The holder tag ([`crate::trace::holder_tag`]).
    pub holder_tag: [u8; 32],
    /// The opening of the anchor's holder commitment.
    pub opening: [u8; 32],
    /// The issuer key (assertionMethod) that signed.
    pub signer: KeyId,
    /// Signature over [`TraceDisclosure::signing_input`].
    pub signature: Signature,
}

issuer_signed!(TraceDisclosure);

impl TraceDisclosure {
    /// Builds and signs a disclosure for `chain`.
    pub fn sign(
        chain: &ChainId,
        issuer: RealDid,
        sequence: u64,
        holder_tag: [u8; 32],
        opening: [u8; 32],
        signer: KeyId,
        key: &SigningKey,
    ) -> Result<Self, KeyError> {
        let mut disclosure = Self {
            issuer,
            sequence,
            holder_tag,
            opening,
            signer,
            signature: Signature([0; 64]),
        };
        disclosure.signature = sign_anchor(&disclosure.signing_input(chain), key)?;
        Ok(disclosure)
    }

    /// The bytes the issuer signs, on `chain`.
    pub fn signing_input(&self, chain: &ChainId) -> Vec<u8> {
        anchor_input(chain, 5, |out| self.write_body(out))
    }

    fn write_body(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.issuer.suffix());
        buf.put_u64(self.sequence);
        buf.put_slice(&self.holder_tag);
        buf.put_slice(&self.opening);
    }
}

/// A registry transaction.
// A DID operation is the common case and the largest; boxing it would add an allocation to
// every decode on the hot path for no saving.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transaction {
    /// A did:realdid operation.
    Did(SignedDidOperation),
    /// A governance decision.
    Governance(GovernanceTx),
    /// A status-list hash.
    StatusAnchor(StatusListAnchor),
    /// An audit record hash.
    AuditAnchor(AuditAnchor),
    /// A trace's disclosure to its holder.
    Disclosure(TraceDisclosure),
}

impl Transaction {
    /// The transaction's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Did(op) => op.operation.name(),
            Self::Governance(_) => "governance",
            Self::StatusAnchor(_) => "status anchor",
            Self::AuditAnchor(_) => "audit anchor",
            Self::Disclosure(_) => "trace disclosure",
        }
    }

    /// The transaction hash.
    pub fn hash(&self) -> TxHash {
        TxHash::of_bytes(&self.encode())
    }

    /// Decodes outside input: at most [`MAX_TRANSACTION_LEN`] bytes, every length bounded,
    /// every key a valid point, nothing left over.
    pub fn decode_bounded(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_TRANSACTION_LEN {
            return Err(Error::InvalidLength(bytes.len()));
        }
        Self::decode_cfg(commonware_codec::Copying(bytes), &())
    }

    fn tag(&self) -> u8 {
        match self {
            Self::Did(_) => 1,
            Self::Governance(_) => 2,
            Self::StatusAnchor(_) => 3,
            Self::AuditAnchor(_) => 4,
            Self::Disclosure(_) => 5,
        }
    }
}

impl Write for GovernanceAction {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Self::AccreditIssuer {
                issuer,
                name,
                credential_types,
            } => {
                buf.put_u8(1);
                buf.put_slice(issuer.suffix());
                write_str(name, buf);
                credential_types.len().write(buf);
                for t in credential_types {
                    write_str(t, buf);
                }
            }
            Self::RemoveIssuer { issuer, reason } => {
                buf.put_u8(2);
                buf.put_slice(issuer.suffix());
                write_str(reason, buf);
            }
            Self::SetTraceApprovers { issuer, set } => {
                buf.put_u8(3);
                buf.put_slice(issuer.suffix());
                set.write(buf);
            }
        }
    }
}

impl EncodeSize for GovernanceAction {
    fn encode_size(&self) -> usize {
        1 + 32
            + match self {
                Self::AccreditIssuer {
                    name,
                    credential_types,
                    ..
                } => {
                    str_size(name)
                        + credential_types.len().encode_size()
                        + credential_types.iter().map(|t| str_size(t)).sum::<usize>()
                }
                Self::RemoveIssuer { reason, .. } => str_size(reason),
                Self::SetTraceApprovers { set, .. } => set.encode_size(),
            }
    }
}

impl Read for GovernanceAction {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            1 => {
                let issuer = RealDid::from_suffix(read_bytes32(buf)?);
                let name = read_str(buf, MAX_NAME_LEN, "issuer name")?;
                let n = read_count(buf, MAX_CREDENTIAL_TYPES)?;
                let mut credential_types = Vec::with_capacity(n);
                for _ in 0..n {
                    credential_types.push(read_str(buf, MAX_NAME_LEN, "credential type")?);
                }
                Ok(Self::AccreditIssuer {
                    issuer,
                    name,
                    credential_types,
                })
            }
            2 => Ok(Self::RemoveIssuer {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                reason: read_str(buf, MAX_NAME_LEN, "removal reason")?,
            }),
            3 => Ok(Self::SetTraceApprovers {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                set: ApproverSet::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}

impl Write for Transaction {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.tag());
        match self {
            Self::Did(op) => op.write(buf),
            Self::Governance(g) => {
                g.action.write(buf);
                buf.put_u64(g.nonce);
                g.approvals.len().write(buf);
                for a in &g.approvals {
                    write_public_key(&a.key, buf);
                    a.signature.write(buf);
                }
            }
            Self::StatusAnchor(a) => {
                a.write_body(buf);
                a.signer.write(buf);
                a.signature.write(buf);
            }
            Self::AuditAnchor(a) => {
                a.write_body(buf);
                a.signer.write(buf);
                a.signature.write(buf);
            }
            Self::Disclosure(d) => {
                d.write_body(buf);
                d.signer.write(buf);
                d.signature.write(buf);
            }
        }
    }
}

impl EncodeSize for Transaction {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::Did(op) => op.encode_size(),
            Self::Governance(g) => {
                g.action.encode_size()
                    + 8
                    + g.approvals.len().encode_size()
                    + g.approvals
                        .iter()
                        .map(|a| public_key_size(&a.key) + 64)
                        .sum::<usize>()
            }
            Self::StatusAnchor(a) => {
                32 + str_size(&a.list_id) + 8 + 32 + 16 + a.signer.encode_size() + 64
            }
            Self::AuditAnchor(a) => a.body_size() + a.signer.encode_size() + 64,
            Self::Disclosure(d) => 32 + 8 + 32 + 32 + d.signer.encode_size() + 64,
        }
    }
}

impl Read for Transaction {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            1 => Self::Did(SignedDidOperation::read(buf)?),
            2 => {
                let action = GovernanceAction::read(buf)?;
                let nonce = u64::read(buf)?;
                let n = read_count(buf, MAX_APPROVALS)?;
                let mut approvals = Vec::with_capacity(n);
                for _ in 0..n {
                    approvals.push(Approval {
                        key: read_public_key(buf)?,
                        signature: Signature::read(buf)?,
                    });
                }
                Self::Governance(GovernanceTx {
                    action,
                    nonce,
                    approvals,
                })
            }
            3 => Self::StatusAnchor(StatusListAnchor {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                list_id: read_str(buf, MAX_NAME_LEN, "status list id")?,
                sequence: u64::read(buf)?,
                list_hash: read_bytes32(buf)?,
                tally: StatusTally {
                    revoked: u64::read(buf)?,
                    suspended: u64::read(buf)?,
                },
                signer: KeyId::read(buf)?,
                signature: Signature::read(buf)?,
            }),
            4 => Self::AuditAnchor(AuditAnchor::read_signed(buf)?),
            5 => Self::Disclosure(TraceDisclosure {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                sequence: u64::read(buf)?,
                holder_tag: read_bytes32(buf)?,
                opening: read_bytes32(buf)?,
                signer: KeyId::read(buf)?,
                signature: Signature::read(buf)?,
            }),
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}
