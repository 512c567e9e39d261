//! The light client: checks a proven read knowing only the genesis validator keys.
//!
//! The chain of evidence, each link checked here and none taken from the node:
//! 1. the finality certificate is signed by a quorum of the genesis validators and names a
//!    block hash;
//! 2. that hash is the hash of the last header given (the read's header, or the last link
//!    header), and each link header names the one before it as its parent;
//! 3. the read's header carries the state root;
//! 4. the Merkle proof shows the key maps to the value, or to nothing, under that root.
//!
//! Link 1 costs a quorum of signature checks, the rest a few hashes. Finality never expires
//! and the validator set is fixed by genesis, so a certificate once checked stays good: the
//! client remembers the last [`FINALIZED_MEMORY`] (block hash, certificate) pairs it checked
//! and skips the signatures when a later read ends at the same pair (most reads land on the
//! few newest blocks). The pair, not the hash alone: a read with any byte changed still fails.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use commonware_codec::Encode as _;
use commonware_cryptography::ed25519;
use realdid_core::codec::{Block, BlockHash, BlockHeader};
use realdid_core::did::RealDid;
use realdid_proto::v1::{ProvenRead, ProvenReads};

use crate::ClientError;
use crate::certificate::CertificateVerifier;
use crate::proof::{StateProof, verify_state};
use crate::records::{
    AuditAnchorRecord, DidRecord, IssuerRecord, RegisterEntry, RegisterSize, StatusAnchorRecord,
    TransparencyCounts, decode_value,
};
use crate::state_key::StateKey;

/// A read whose evidence checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRead {
    /// The height the value holds at.
    pub height: u64,
    /// The header at that height.
    pub header: BlockHeader,
    /// The value, or `None` when the key is proven absent.
    pub value: Option<Vec<u8>>,
}

/// Several reads from one state whose evidence checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReads {
    /// The height the values hold at.
    pub height: u64,
    /// The header at that height.
    pub header: BlockHeader,
    /// One value per key asked, in that order; `None` where the key is proven absent.
    pub values: Vec<Option<Vec<u8>>>,
}

/// The most keys one [`ProvenReads`] answers: what a node reads for one call, and what a
/// client checks for one answer, before either costs more.
pub const MAX_PROVEN_ENTRIES: usize = 64;

/// The most headers a proven read may carry between its own header and the certified one:
/// a node answers from a recent certified height or not at all.
pub const MAX_LINK_HEADERS: u64 = 64;

/// How many checked certificates a light client remembers.
pub const FINALIZED_MEMORY: usize = 256;

/// Certificates checked so far, oldest first, each with the block hash it finalizes.
type Checked = VecDeque<(BlockHash, Vec<u8>)>;

/// Checks proven reads against a fixed validator set. Clones share what they remember.
#[derive(Debug, Clone)]
pub struct LightClient {
    chain: crate::ChainId,
    certificates: CertificateVerifier,
    checked: Arc<Mutex<Checked>>,
}

impl LightClient {
    /// A light client of the chain `genesis` starts: its chain id and its validators.
    pub fn for_genesis(genesis: &crate::Genesis) -> Self {
        Self::new(genesis.chain_id(), genesis.validator_keys())
    }

    /// A light client of `chain` for `validators`.
    pub fn new(
        chain: &crate::ChainId,
        validators: impl IntoIterator<Item = ed25519::PublicKey>,
    ) -> Self {
        Self {
            chain: chain.clone(),
            certificates: CertificateVerifier::new(chain, validators),
            checked: Arc::new(Mutex::new(VecDeque::with_capacity(FINALIZED_MEMORY))),
        }
    }

    /// The chain this client follows: what its users sign transactions for.
    pub fn chain_id(&self) -> &crate::ChainId {
        &self.chain
    }

    /// Checks that `certificate` proves `block` final, unless this very pair was checked.
    fn check_final(&self, block: BlockHash, certificate: &[u8]) -> Result<(), ClientError> {
        let known = |checked: &Checked| {
            checked
                .iter()
                .any(|(hash, cert)| *hash == block && cert.as_slice() == certificate)
        };
        if known(&self.memory()) {
            return Ok(());
        }
        let finalized = self.certificates.verify(certificate)?;
        if finalized.block_hash != block {
            return Err(ClientError::proof(
                "the finality certificate is for another block",
            ));
        }
        let mut checked = self.memory();
        if !known(&checked) {
            if checked.len() == FINALIZED_MEMORY {
                checked.pop_front();
            }
            checked.push_back((block, certificate.to_vec()));
        }
        Ok(())
    }

    /// Checks that `certificate` proves `block` final: a block whose transactions the
    /// caller decoded (their root is checked by decoding) is then the chain's, not just
    /// the node's word.
    pub fn verify_block(&self, block: &Block, certificate: &[u8]) -> Result<(), ClientError> {
        self.check_final(block.header.hash(), certificate)
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Checked> {
        // Only whole entries are ever pushed: a poisoned lock still holds a valid list.
        self.checked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks that `read` proves the value of `expected` (the key the caller asked for).
    pub fn verify(
        &self,
        expected: &StateKey,
        read: &ProvenRead,
    ) -> Result<VerifiedRead, ClientError> {
        if read.key != expected.encode().as_ref() {
            return Err(ClientError::proof("the read is for another key"));
        }
        let header = self.verify_final_header(
            &read.header,
            read.height,
            &read.link_headers,
            &read.finality_certificate,
        )?;
        let proof = StateProof::decode_bounded(&read.jmt_proof)?;
        verify_state(&header.state_root, expected, read.value.as_deref(), &proof)?;
        Ok(VerifiedRead {
            height: header.height,
            header,
            value: read.value.clone(),
        })
    }

    /// Checks that `reads` proves the values of `expected`, one entry per key in that order:
    /// the certificate and header chain once, then each entry's proof against the one state
    /// root. One bad entry fails the whole answer: a node that lies about one key is not
    /// believed about the others.
    pub fn verify_many(
        &self,
        expected: &[StateKey],
        reads: &ProvenReads,
    ) -> Result<VerifiedReads, ClientError> {
        if expected.len() > MAX_PROVEN_ENTRIES || reads.entries.len() != expected.len() {
            return Err(ClientError::proof(format!(
                "{} keys were asked (at most {MAX_PROVEN_ENTRIES}), the answer has {} entries",
                expected.len(),
                reads.entries.len()
            )));
        }
        let header = self.verify_final_header(
            &reads.header,
            reads.height,
            &reads.link_headers,
            &reads.finality_certificate,
        )?;
        let values = expected
            .iter()
            .zip(&reads.entries)
            .enumerate()
            .map(|(i, (key, entry))| {
                if entry.key != key.encode().as_ref() {
                    return Err(ClientError::proof(format!("entry {i} is for another key")));
                }
                let proof = StateProof::decode_bounded(&entry.jmt_proof)?;
                verify_state(&header.state_root, key, entry.value.as_deref(), &proof)?;
                Ok(entry.value.clone())
            })
            .collect::<Result<Vec<_>, ClientError>>()?;
        Ok(VerifiedReads {
            height: header.height,
            header,
            values,
        })
    }

    /// Checks that `header_bytes` is the header at `height` and that it is final: it, or
    /// the last of `link_headers` that descend from it one by one, is what `certificate`
    /// certifies. Returns the header, whose state root the caller's proofs check against.
    fn verify_final_header(
        &self,
        header_bytes: &[u8],
        height: u64,
        link_headers: &[Vec<u8>],
        certificate: &[u8],
    ) -> Result<BlockHeader, ClientError> {
        let header = BlockHeader::decode_bounded(header_bytes)
            .map_err(|e| ClientError::proof(format!("header does not decode: {e}")))?;
        if header.height != height {
            return Err(ClientError::proof(format!(
                "header is for height {} but the read claims {height}",
                header.height
            )));
        }
        if link_headers.len() as u64 > MAX_LINK_HEADERS {
            return Err(ClientError::proof("too many link headers"));
        }
        let mut tip = header.clone();
        for (i, bytes) in link_headers.iter().enumerate() {
            let link = BlockHeader::decode_bounded(bytes)
                .map_err(|e| ClientError::proof(format!("link header {i} does not decode: {e}")))?;
            if link.parent != tip.hash() || link.height != tip.height + 1 {
                return Err(ClientError::proof(format!(
                    "link header {i} does not extend height {}",
                    tip.height
                )));
            }
            tip = link;
        }
        self.check_final(tip.hash(), certificate)?;
        Ok(header)
    }

    /// Checks a DID resolution: the DID's record, or its proven absence.
    pub fn verify_did(
        &self,
        did: &RealDid,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, Option<DidRecord>), ClientError> {
        let verified = self.verify(&StateKey::Did(did.clone()), read)?;
        let record = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<DidRecord>(bytes, "DID record"))
            .transpose()?;
        Ok((verified, record))
    }

    /// Checks an issuer accreditation read: the record, or its proven absence.
    pub fn verify_issuer(
        &self,
        issuer: &RealDid,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, Option<IssuerRecord>), ClientError> {
        let verified = self.verify(&StateKey::Issuer(issuer.clone()), read)?;
        let record = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<IssuerRecord>(bytes, "issuer record"))
            .transpose()?;
        Ok((verified, record))
    }

    /// Checks a read of the register's size (0 when proven absent: no issuer was ever
    /// accredited).
    pub fn verify_register_size(
        &self,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, u32), ClientError> {
        let verified = self.verify(&StateKey::RegisterSize, read)?;
        let size = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<RegisterSize>(bytes, "register size"))
            .transpose()?
            .unwrap_or_default();
        Ok((verified, size.count))
    }

    /// Checks a read of place `index` of the register, or its proven absence.
    pub fn verify_register_entry(
        &self,
        index: u32,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, Option<RegisterEntry>), ClientError> {
        let verified = self.verify(&StateKey::RegisterEntry(index), read)?;
        let entry = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<RegisterEntry>(bytes, "register entry"))
            .transpose()?;
        Ok((verified, entry))
    }

    /// Checks a status-list anchor read: the latest anchor of `list_id`, or its proven
    /// absence.
    pub fn verify_status_anchor(
        &self,
        issuer: &RealDid,
        list_id: &str,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, Option<StatusAnchorRecord>), ClientError> {
        let key = StateKey::StatusList {
            issuer: issuer.clone(),
            list_id: list_id.to_owned(),
        };
        let verified = self.verify(&key, read)?;
        let record = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<StatusAnchorRecord>(bytes, "status anchor record"))
            .transpose()?;
        Ok((verified, record))
    }

    /// Checks an audit anchor read: anchor `sequence` of `issuer`, or its proven absence.
    pub fn verify_audit_anchor(
        &self,
        issuer: &RealDid,
        sequence: u64,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, Option<AuditAnchorRecord>), ClientError> {
        let key = StateKey::Audit {
            issuer: issuer.clone(),
            sequence,
        };
        let verified = self.verify(&key, read)?;
        let record = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<AuditAnchorRecord>(bytes, "audit anchor record"))
            .transpose()?;
        Ok((verified, record))
    }

    /// Checks a transparency-day read: issuer `issuer`'s counts for UTC day `day`, or their
    /// proven absence (nothing was counted that day).
    pub fn verify_transparency_day(
        &self,
        issuer: &RealDid,
        day: u32,
        read: &ProvenRead,
    ) -> Result<(VerifiedRead, Option<TransparencyCounts>), ClientError> {
        let key = StateKey::TransparencyDay {
            issuer: issuer.clone(),
            day,
        };
        let verified = self.verify(&key, read)?;
        let counts = verified
            .value
            .as_deref()
            .map(|bytes| decode_value::<TransparencyCounts>(bytes, "transparency day"))
            .transpose()?;
        Ok((verified, counts))
    }
}
