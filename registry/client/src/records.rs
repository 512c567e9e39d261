//! The values stored under each [`StateKey`](crate::StateKey): what a proven read carries.
//!
//! Every value is a leaf of the state tree, so its encoding is part of the state root: it is
//! canonical (one encoding per value), fixed-width big-endian for integers, and every length
//! read back is bounded. The layouts:
//!
//! ```text
//! did record            DidState || created height u64 || created ms u64
//!                       || updated height u64 || updated ms u64
//! issuer record         issuer suffix(32) || name str || varint(n) || n × credential type str
//!                       || accredited height u64 || updated height u64
//!                       || removed u8 (0 | 1 || removal height u64 || reason str)
//!                       || approvers u8 (0 | 1 || approver set || set height u64)
//!                       || last audit sequence u64 || counts
//! counts                openings u64 || disclosures u64 || revocations u64 || suspended u64
//! transparency day      counts              (what changed that UTC day)
//! status anchor record  issuer suffix(32) || list id str || sequence u64 || list hash(32)
//!                       || revoked u64 || suspended u64 || signer key id || signature(64) || height u64 || timestamp ms u64
//! audit anchor record   the audit anchor transaction's body (request hash, sequence,
//!                       approvals) || signer key id || signature(64) || height u64
//!                       || timestamp ms u64 || disclosed u8 (0 | 1 || holder tag(32)
//!                       || opening(32) || height u64 || timestamp ms u64)
//! governance nonce      height u64          (the height of the block that used the nonce)
//! ```
//! Anchor records keep the issuer's signature, so that anyone holding a proven read can check
//! the issuer signed the anchor without trusting the chain's execution.

use bytes::BufMut;
use commonware_codec::{Buf, Copying, Decode as _, EncodeSize, Error, Read, ReadExt as _, Write};
use realdid_core::codec::primitives::{
    Signature, read_bytes32, read_count, read_str, str_size, write_str,
};
use realdid_core::codec::{
    ApproverSet, AuditAnchor, MAX_CREDENTIAL_TYPES, MAX_NAME_LEN, StatusListAnchor,
};
use realdid_core::did::{DidState, KeyId, RealDid};
use realdid_core::status_list::StatusTally;

/// A state value whose bytes are not what they should be. Who is at fault depends on where
/// they came from: a node reading its own database has a damaged data directory, a client
/// reading a node's answer was lied to.
#[derive(Debug, thiserror::Error)]
#[error("{what} does not decode: {source}")]
pub struct MalformedValue {
    /// What the value should have been.
    pub what: &'static str,
    /// The codec's reason.
    #[source]
    pub source: Error,
}

/// Decodes a state value: exactly one `T`, nothing left over.
pub fn decode_value<T: Read<Cfg = ()>>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, MalformedValue> {
    T::decode_cfg(Copying(bytes), &()).map_err(|source| MalformedValue { what, source })
}

/// What the registry keeps for one DID: its state and when it was created and last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidRecord {
    /// The DID's current state (document, recovery commitment, version, last operation).
    pub state: DidState,
    /// Height of the block that created the DID.
    pub created_height: u64,
    /// Timestamp of that block, unix milliseconds.
    pub created_ms: u64,
    /// Height of the block that applied the last operation.
    pub updated_height: u64,
    /// Timestamp of that block, unix milliseconds.
    pub updated_ms: u64,
}

impl Write for DidRecord {
    fn write(&self, buf: &mut impl BufMut) {
        self.state.write(buf);
        buf.put_u64(self.created_height);
        buf.put_u64(self.created_ms);
        buf.put_u64(self.updated_height);
        buf.put_u64(self.updated_ms);
    }
}

impl DidRecord {
    /// The DID version in an encoded record, read from its fixed-size tail (version,
    /// last operation, four heights and times) without decoding the document: each key in
    /// a document costs a point decompression to decode, and a commit needs only versions.
    pub fn version_in(bytes: &[u8]) -> Result<u64, MalformedValue> {
        Self::tail_u64(bytes, 8 + 32 + 4 * 8)
    }

    /// The big-endian u64 `from_end` bytes before the end of `bytes`.
    fn tail_u64(bytes: &[u8], from_end: usize) -> Result<u64, MalformedValue> {
        let start = bytes
            .len()
            .checked_sub(8 + 32 + 4 * 8)
            .map(|_| bytes.len() - from_end)
            .ok_or(MalformedValue {
                what: "DID record",
                source: Error::EndOfBuffer,
            })?;
        let mut field = [0u8; 8];
        field.copy_from_slice(&bytes[start..start + 8]);
        Ok(u64::from_be_bytes(field))
    }
}

impl EncodeSize for DidRecord {
    fn encode_size(&self) -> usize {
        self.state.encode_size() + 4 * 8
    }
}

impl Read for DidRecord {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            state: DidState::read(buf)?,
            created_height: u64::read(buf)?,
            created_ms: u64::read(buf)?,
            updated_height: u64::read(buf)?,
            updated_ms: u64::read(buf)?,
        })
    }
}

/// The withdrawal of an issuer's accreditation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// Height of the block that removed the issuer.
    pub height: u64,
    /// The reason the governance transaction gave, for the public record.
    pub reason: String,
}

/// An issuer's entry in the register of accredited issuers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerRecord {
    /// The issuer's DID.
    pub issuer: RealDid,
    /// Display name of the issuing organisation.
    pub name: String,
    /// The credential types (`vct`) it may issue, in register order.
    pub credential_types: Vec<String>,
    /// Height of the block that (last) accredited the issuer after it was absent or removed.
    pub accredited_height: u64,
    /// Height of the block that last changed this entry.
    pub updated_height: u64,
    /// Set once the accreditation is withdrawn.
    pub removed: Option<Removal>,
    /// The issuer's lawful-trace approvers, once governance has named them.
    pub trace_approvers: Option<TraceApproversRecord>,
    /// The highest audit sequence anchored (sequences may have gaps).
    pub last_audit_sequence: u64,
    /// The public transparency count since the issuer first came on the register.
    pub counts: TransparencyCounts,
}

/// What anyone can count of an issuer's use of its powers, without learning whom it was
/// about: kept as totals in the issuer's register entry and per UTC day under
/// [`StateKey::TransparencyDay`](crate::StateKey::TransparencyDay).
///
/// Openings and disclosures are counted from the audit anchors and disclosures the chain
/// accepted; revocations and suspensions from the tallies the issuer declares with each
/// status-list anchor, which every verifier that fetches the list checks against it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransparencyCounts {
    /// Trace openings (audit anchors).
    pub openings: u64,
    /// Openings disclosed to their holders.
    pub disclosures: u64,
    /// Credentials revoked. In a day's record, those revoked that day.
    pub revocations: u64,
    /// Credentials suspended at the time: in a day's record, after that day's last anchor.
    pub suspended: u64,
}

impl Write for TransparencyCounts {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u64(self.openings);
        buf.put_u64(self.disclosures);
        buf.put_u64(self.revocations);
        buf.put_u64(self.suspended);
    }
}

impl EncodeSize for TransparencyCounts {
    fn encode_size(&self) -> usize {
        32
    }
}

impl Read for TransparencyCounts {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            openings: u64::read(buf)?,
            disclosures: u64::read(buf)?,
            revocations: u64::read(buf)?,
            suspended: u64::read(buf)?,
        })
    }
}

/// An issuer's lawful-trace approvers, with the block that set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceApproversRecord {
    /// The approvers and k.
    pub set: ApproverSet,
    /// Height of the block that set them.
    pub height: u64,
}

impl IssuerRecord {
    /// Whether the issuer is currently accredited.
    pub fn is_accredited(&self) -> bool {
        self.removed.is_none()
    }
}

impl Write for IssuerRecord {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.issuer.suffix());
        write_str(&self.name, buf);
        self.credential_types.len().write(buf);
        for t in &self.credential_types {
            write_str(t, buf);
        }
        buf.put_u64(self.accredited_height);
        buf.put_u64(self.updated_height);
        match &self.removed {
            None => buf.put_u8(0),
            Some(removal) => {
                buf.put_u8(1);
                buf.put_u64(removal.height);
                write_str(&removal.reason, buf);
            }
        }
        match &self.trace_approvers {
            None => buf.put_u8(0),
            Some(approvers) => {
                buf.put_u8(1);
                approvers.set.write(buf);
                buf.put_u64(approvers.height);
            }
        }
        buf.put_u64(self.last_audit_sequence);
        self.counts.write(buf);
    }
}

impl EncodeSize for IssuerRecord {
    fn encode_size(&self) -> usize {
        32 + str_size(&self.name)
            + self.credential_types.len().encode_size()
            + self
                .credential_types
                .iter()
                .map(|t| str_size(t))
                .sum::<usize>()
            + 8
            + 8
            + 1
            + self.removed.as_ref().map_or(0, |r| 8 + str_size(&r.reason))
            + 1
            + self
                .trace_approvers
                .as_ref()
                .map_or(0, |a| a.set.encode_size() + 8)
            + 8
            + self.counts.encode_size()
    }
}

impl Read for IssuerRecord {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let issuer = RealDid::from_suffix(read_bytes32(buf)?);
        let name = read_str(buf, MAX_NAME_LEN, "issuer name")?;
        let n = read_count(buf, MAX_CREDENTIAL_TYPES)?;
        let mut credential_types = Vec::with_capacity(n);
        for _ in 0..n {
            credential_types.push(read_str(buf, MAX_NAME_LEN, "credential type")?);
        }
        let accredited_height = u64::read(buf)?;
        let updated_height = u64::read(buf)?;
        let removed = match u8::read(buf)? {
            0 => None,
            1 => Some(Removal {
                height: u64::read(buf)?,
                reason: read_str(buf, MAX_NAME_LEN, "removal reason")?,
            }),
            other => return Err(Error::InvalidEnum(other)),
        };
        let trace_approvers = match u8::read(buf)? {
            0 => None,
            1 => Some(TraceApproversRecord {
                set: ApproverSet::read(buf)?,
                height: u64::read(buf)?,
            }),
            other => return Err(Error::InvalidEnum(other)),
        };
        Ok(Self {
            issuer,
            name,
            credential_types,
            accredited_height,
            updated_height,
            removed,
            trace_approvers,
            last_audit_sequence: u64::read(buf)?,
            counts: TransparencyCounts::read(buf)?,
        })
    }
}

/// The latest anchor of one status list, with the block that anchored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAnchorRecord {
    /// The anchor as the issuer signed it.
    pub anchor: StatusListAnchor,
    /// Height of the block that anchored it.
    pub height: u64,
    /// Timestamp of that block, unix milliseconds.
    pub timestamp_ms: u64,
}

impl Write for StatusAnchorRecord {
    fn write(&self, buf: &mut impl BufMut) {
        let a = &self.anchor;
        buf.put_slice(a.issuer.suffix());
        write_str(&a.list_id, buf);
        buf.put_u64(a.sequence);
        buf.put_slice(&a.list_hash);
        buf.put_u64(a.tally.revoked);
        buf.put_u64(a.tally.suspended);
        a.signer.write(buf);
        a.signature.write(buf);
        buf.put_u64(self.height);
        buf.put_u64(self.timestamp_ms);
    }
}

impl EncodeSize for StatusAnchorRecord {
    fn encode_size(&self) -> usize {
        let a = &self.anchor;
        32 + str_size(&a.list_id)
            + 8
            + 32
            + 16
            + a.signer.encode_size()
            + a.signature.encode_size()
            + 8
            + 8
    }
}

impl Read for StatusAnchorRecord {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            anchor: StatusListAnchor {
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
            },
            height: u64::read(buf)?,
            timestamp_ms: u64::read(buf)?,
        })
    }
}

/// One audit anchor of an issuer, with the block that anchored it and, once the disclosure
/// delay ended, its disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAnchorRecord {
    /// The anchor as the issuer signed it.
    pub anchor: AuditAnchor,
    /// Height of the block that anchored it.
    pub height: u64,
    /// Timestamp of that block, unix milliseconds.
    pub timestamp_ms: u64,
    /// The disclosure to the holder, once published.
    pub disclosure: Option<DisclosureRecord>,
}

impl AuditAnchorRecord {
    /// The hash of the anchor's transaction: what an approver binds a released share to,
    /// and what the officer opens it under, both from a proven read of this record.
    pub fn anchor_hash(&self) -> [u8; 32] {
        realdid_core::codec::Transaction::AuditAnchor(self.anchor.clone())
            .hash()
            .0
    }
}

/// A trace's disclosure as the chain keeps it: the holder tag, the opening of the anchor's
/// commitment, and the block that published them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosureRecord {
    /// The holder tag.
    pub holder_tag: [u8; 32],
    /// The opening of the commitment.
    pub opening: [u8; 32],
    /// Height of the block that published it.
    pub height: u64,
    /// Timestamp of that block, unix milliseconds.
    pub timestamp_ms: u64,
}

impl Write for AuditAnchorRecord {
    fn write(&self, buf: &mut impl BufMut) {
        let a = &self.anchor;
        a.write_body(buf);
        a.signer.write(buf);
        a.signature.write(buf);
        buf.put_u64(self.height);
        buf.put_u64(self.timestamp_ms);
        match &self.disclosure {
            None => buf.put_u8(0),
            Some(d) => {
                buf.put_u8(1);
                buf.put_slice(&d.holder_tag);
                buf.put_slice(&d.opening);
                buf.put_u64(d.height);
                buf.put_u64(d.timestamp_ms);
            }
        }
    }
}

impl EncodeSize for AuditAnchorRecord {
    fn encode_size(&self) -> usize {
        let a = &self.anchor;
        a.body_size()
            + a.signer.encode_size()
            + a.signature.encode_size()
            + 8
            + 8
            + 1
            + self.disclosure.as_ref().map_or(0, |_| 32 + 32 + 8 + 8)
    }
}

impl Read for AuditAnchorRecord {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            anchor: AuditAnchor::read_signed(buf)?,
            height: u64::read(buf)?,
            timestamp_ms: u64::read(buf)?,
            disclosure: match u8::read(buf)? {
                0 => None,
                1 => Some(DisclosureRecord {
                    holder_tag: read_bytes32(buf)?,
                    opening: read_bytes32(buf)?,
                    height: u64::read(buf)?,
                    timestamp_ms: u64::read(buf)?,
                }),
                other => return Err(Error::InvalidEnum(other)),
            },
        })
    }
}

/// The value under a used governance nonce: the height of the block that used it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceRecord {
    /// Height of the block whose governance transaction used the nonce.
    pub height: u64,
}

impl Write for NonceRecord {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u64(self.height);
    }
}

impl EncodeSize for NonceRecord {
    fn encode_size(&self) -> usize {
        8
    }
}

impl Read for NonceRecord {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            height: u64::read(buf)?,
        })
    }
}

/// The value under [`StateKey::RegisterSize`](crate::StateKey::RegisterSize): how many
/// issuers were ever accredited. The register only grows: a removed issuer keeps its place
/// (its entry says it was removed), so a place once read never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegisterSize {
    /// The register's length.
    pub count: u32,
}

impl Write for RegisterSize {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u32(self.count);
    }
}

impl EncodeSize for RegisterSize {
    fn encode_size(&self) -> usize {
        4
    }
}

impl Read for RegisterSize {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            count: u32::read(buf)?,
        })
    }
}

/// The value under [`StateKey::RegisterEntry`](crate::StateKey::RegisterEntry): the issuer
/// in that place and the height of its first accreditation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    /// The issuer.
    pub issuer: RealDid,
    /// The height that first accredited it.
    pub height: u64,
}

impl Write for RegisterEntry {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(self.issuer.suffix());
        buf.put_u64(self.height);
    }
}

impl EncodeSize for RegisterEntry {
    fn encode_size(&self) -> usize {
        32 + 8
    }
}

impl Read for RegisterEntry {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            issuer: RealDid::from_suffix(read_bytes32(buf)?),
            height: u64::read(buf)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report
mod tests {
    use super::*;
    use commonware_codec::Encode as _;
    use realdid_core::did::{
        CreateOp, DidOperation, DocumentState, Purposes, RecoveryCommitment, VerificationKey, apply,
    };
    use realdid_core::keys::{Algorithm, SigningKey};

    fn chain() -> realdid_core::codec::ChainId {
        realdid_core::codec::ChainId::parse("realdid-test").expect("a chain id")
    }

    fn key(byte: u8) -> SigningKey {
        SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte; 32]).unwrap()
    }

    fn did_state() -> DidState {
        let device = key(1);
        let op = DidOperation::Create(CreateOp {
            document: DocumentState {
                keys: vec![VerificationKey {
                    id: "device".parse().unwrap(),
                    key: device.public_key(),
                    purposes: Purposes::CAPABILITY_INVOCATION.with(Purposes::ASSERTION_METHOD),
                }],
                services: vec![],
            },
            recovery_commitment: RecoveryCommitment::to(&key(2).public_key()),
        })
        .sign(&chain(), Some("device".parse().unwrap()), &device)
        .unwrap();
        apply(&chain(), None, &op).unwrap()
    }

    fn round_trip<T: Write + EncodeSize + Read<Cfg = ()> + PartialEq + std::fmt::Debug>(value: &T) {
        let bytes = value.encode();
        assert_eq!(bytes.len(), value.encode_size(), "{value:?}");
        let back: T = decode_value(&bytes, "test").unwrap();
        assert_eq!(&back, value);
        // Nothing may trail a value, and no prefix of it is a value.
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(decode_value::<T>(&longer, "test").is_err());
        for cut in 0..bytes.len() {
            assert!(
                decode_value::<T>(&bytes[..cut], "test").is_err(),
                "prefix {cut} decoded"
            );
        }
    }

    #[test]
    fn did_record_is_the_did_state_followed_by_its_heights() {
        let record = DidRecord {
            state: did_state(),
            created_height: 3,
            created_ms: 1_700_000_000_000,
            updated_height: 9,
            updated_ms: 1_700_000_000_500,
        };
        round_trip(&record);
        let mut expected = record.state.encode().to_vec();
        for n in [3u64, 1_700_000_000_000, 9, 1_700_000_000_500] {
            expected.extend_from_slice(&n.to_be_bytes());
        }
        assert_eq!(record.encode().to_vec(), expected);
        for version in [1, 2, 77, u64::MAX] {
            let mut later = record.clone();
            later.state.version = version;
            assert_eq!(DidRecord::version_in(&later.encode()).unwrap(), version);
        }
        assert!(DidRecord::version_in(&[0; 71]).is_err());
    }

    #[test]
    fn issuer_records_round_trip_with_and_without_removal() {
        let mut record = IssuerRecord {
            issuer: RealDid::from_suffix([4; 32]),
            name: "Example Issuer".into(),
            credential_types: vec![
                "https://vct.example/a".into(),
                "https://vct.example/b".into(),
            ],
            accredited_height: 5,
            updated_height: 5,
            removed: None,
            trace_approvers: None,
            last_audit_sequence: 0,
            counts: TransparencyCounts::default(),
        };
        round_trip(&record);
        assert!(record.is_accredited());
        record.removed = Some(Removal {
            height: 8,
            reason: "licence withdrawn".into(),
        });
        record.updated_height = 8;
        round_trip(&record);
        assert!(!record.is_accredited());
        // An unknown removal flag is refused.
        let mut bytes = record.encode().to_vec();
        // After the flag: the removal, the approvers flag, the last audit sequence and the
        // four counts.
        let flag = bytes.len() - 40 - 2 - 8 - str_size("licence withdrawn");
        bytes[flag] = 2;
        assert!(decode_value::<IssuerRecord>(&bytes, "issuer").is_err());
        // With approvers; an unknown approvers flag is refused.
        record.trace_approvers = Some(TraceApproversRecord {
            set: ApproverSet {
                threshold: 2,
                approvers: (1..=3u8)
                    .map(|i| realdid_core::codec::TraceApprover {
                        id: format!("judge-{i}"),
                        signing_key: realdid_core::keys::SigningKey::generate(
                            realdid_core::keys::Algorithm::EdDsa,
                        )
                        .unwrap()
                        .public_key(),
                        hpke_key: [i; 32],
                    })
                    .collect(),
            },
            height: 9,
        });
        round_trip(&record);
        let mut bytes = record.encode().to_vec();
        let flag =
            bytes.len() - 40 - 8 - record.trace_approvers.as_ref().unwrap().set.encode_size() - 1;
        bytes[flag] = 2;
        assert!(decode_value::<IssuerRecord>(&bytes, "issuer").is_err());
    }

    #[test]
    fn too_many_credential_types_are_refused() {
        let record = IssuerRecord {
            issuer: RealDid::from_suffix([4; 32]),
            name: "n".into(),
            credential_types: vec!["t".into(); MAX_CREDENTIAL_TYPES + 1],
            accredited_height: 1,
            updated_height: 1,
            removed: None,
            trace_approvers: None,
            last_audit_sequence: 0,
            counts: TransparencyCounts::default(),
        };
        assert!(decode_value::<IssuerRecord>(&record.encode(), "issuer").is_err());
    }

    #[test]
    fn anchor_and_nonce_records_round_trip() {
        let issuer = RealDid::from_suffix([6; 32]);
        let status = StatusAnchorRecord {
            anchor: StatusListAnchor::sign(
                &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                issuer.clone(),
                "https://issuer.example/status/1".into(),
                2,
                [7; 32],
                StatusTally {
                    revoked: 3,
                    suspended: 1,
                },
                "issuing".parse().unwrap(),
                &key(3),
            )
            .unwrap(),
            height: 11,
            timestamp_ms: 1_700_000_001_000,
        };
        round_trip(&status);
        let audit = AuditAnchorRecord {
            anchor: AuditAnchor::sign(
                &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                realdid_core::codec::AuditOpening {
                    issuer: issuer.clone(),
                    request_hash: [8; 32],
                    sequence: 4,
                    holder_commitment: [3; 32],
                    approvals: vec![
                        realdid_core::codec::TraceApproval::sign(
                            &realdid_core::codec::ChainId::parse("realdid-test").unwrap(),
                            &issuer,
                            &[8; 32],
                            1_700_000_000,
                            &key(5),
                        )
                        .unwrap(),
                    ],
                },
                "issuing".parse().unwrap(),
                &key(3),
            )
            .unwrap(),
            height: 12,
            timestamp_ms: 1_700_000_002_000,
            disclosure: None,
        };
        round_trip(&audit);
        let disclosed = AuditAnchorRecord {
            disclosure: Some(DisclosureRecord {
                holder_tag: [4; 32],
                opening: [5; 32],
                height: 20,
                timestamp_ms: 1_700_000_009_000,
            }),
            ..audit
        };
        round_trip(&disclosed);
        round_trip(&NonceRecord { height: 42 });
        round_trip(&TransparencyCounts {
            openings: 1,
            disclosures: 2,
            revocations: 3,
            suspended: 4,
        });
        assert_eq!(
            NonceRecord { height: 42 }.encode().to_vec(),
            42u64.to_be_bytes()
        );
    }
}
