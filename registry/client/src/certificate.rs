//! Finality certificates, checked against the genesis validator keys with Commonware's codec
//! and Ed25519 certificate scheme alone.
//!
//! A certificate is a simplex finalization: the proposal (round, parent view, block hash)
//! followed by a quorum (n − f) of the validators' Ed25519 signatures over it, each naming
//! its signer. The validators sign under the namespace
//! `realdid/registry/consensus/v1/ ‖ chain id ‖ "_FINALIZE"`. Anyone holding the validator
//! keys from genesis can check it; nothing else is trusted.
//!
//! ```text
//! certificate  varint(epoch) ‖ varint(view) ‖ varint(parent view) ‖ block hash(32)
//!              ‖ signers bitmap ‖ signatures (Commonware's Ed25519 certificate encoding)
//! ```
//! The consensus engine produces these; the validator crate has a test that this check
//! accepts exactly what the engine's own check accepts, for real and mutated certificates.

use std::marker::PhantomData;

use bytes::Bytes;
use commonware_codec::varint::UInt;
use commonware_codec::{
    Buf, Copying, Decode as _, Encode as _, EncodeSize, Read, ReadExt as _, Write,
};
use commonware_cryptography::certificate::Verifier as _;
use commonware_cryptography::ed25519;
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use realdid_core::codec::primitives::read_bytes32;
use realdid_core::codec::{BlockHash, ChainId};

use crate::ClientError;

/// Domain separation of consensus signatures, followed by the chain id.
const CONSENSUS_DOMAIN: &[u8] = b"realdid/registry/consensus/v1/";
/// What simplex appends to the namespace for finalize votes and certificates.
const FINALIZE_SUFFIX: &[u8] = b"_FINALIZE";

/// The namespace of `chain`'s consensus signatures: a vote or a finality certificate of one
/// chain proves nothing on another, even one with the same validator keys.
pub fn namespace(chain: &ChainId) -> Vec<u8> {
    [CONSENSUS_DOMAIN, chain.as_str().as_bytes()].concat()
}

/// What a valid certificate proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalized {
    /// The block that is final.
    pub block_hash: BlockHash,
    /// The consensus view it was finalized in.
    pub view: u64,
}

/// The proposal a finalization is for, as simplex encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Proposal {
    epoch: u64,
    view: u64,
    parent: u64,
    payload: [u8; 32],
}

impl Write for Proposal {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        UInt(self.epoch).write(buf);
        UInt(self.view).write(buf);
        UInt(self.parent).write(buf);
        buf.put_slice(&self.payload);
    }
}

impl EncodeSize for Proposal {
    fn encode_size(&self) -> usize {
        UInt(self.epoch).encode_size()
            + UInt(self.view).encode_size()
            + UInt(self.parent).encode_size()
            + 32
    }
}

impl Read for Proposal {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, commonware_codec::Error> {
        let epoch: u64 = UInt::read(buf)?.into();
        let view: u64 = UInt::read(buf)?.into();
        let parent: u64 = UInt::read(buf)?.into();
        let payload = read_bytes32(buf)?;
        Ok(Self {
            epoch,
            view,
            parent,
            payload,
        })
    }
}

/// The finalize namespace, derived once from the chain's namespace.
#[derive(Debug, Clone)]
pub struct FinalizeNamespace(Vec<u8>);

impl commonware_cryptography::certificate::Namespace for FinalizeNamespace {
    fn derive(namespace: &[u8]) -> Self {
        Self([namespace, FINALIZE_SUFFIX].concat())
    }
}

/// What a finalization's signatures cover: the encoded proposal, under the finalize
/// namespace. The parameters are the scheme's (a borrow and a digest type); a block hash is
/// always 32 bytes.
pub struct FinalizeSubject<'a, D> {
    proposal: Bytes,
    _scheme: PhantomData<fn() -> (&'a (), D)>,
}

impl<D> Clone for FinalizeSubject<'_, D> {
    fn clone(&self) -> Self {
        Self {
            proposal: self.proposal.clone(),
            _scheme: PhantomData,
        }
    }
}

impl<D> std::fmt::Debug for FinalizeSubject<'_, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinalizeSubject")
            .field("proposal", &hex::encode(&self.proposal))
            .finish()
    }
}

impl<D> commonware_cryptography::certificate::Subject for FinalizeSubject<'_, D> {
    type Namespace = FinalizeNamespace;

    fn namespace<'b>(&self, derived: &'b Self::Namespace) -> &'b [u8] {
        &derived.0
    }

    fn message(&self) -> Bytes {
        self.proposal.clone()
    }
}

// The macro also writes a test fixture behind Commonware's own `mocks` feature, which this
// crate does not have.
#[allow(unexpected_cfgs)]
mod scheme {
    //! The Ed25519 certificate scheme over [`super::FinalizeSubject`], made by Commonware's
    //! own macro: the same signer bitmap, encoding and quorum rule as the engine's.
    use super::{FinalizeNamespace, FinalizeSubject};
    use commonware_utils::N3f1;

    commonware_cryptography::impl_certificate_ed25519!(
        FinalizeSubject<'a, D>,
        FinalizeNamespace,
        N3f1
    );
}

/// Checks finality certificates against a fixed validator set.
#[derive(Clone, Debug)]
pub struct CertificateVerifier {
    scheme: scheme::Scheme,
}

impl CertificateVerifier {
    /// A verifier for `chain` and the validators its genesis names (their Ed25519 public
    /// keys).
    pub fn new(chain: &ChainId, validators: impl IntoIterator<Item = ed25519::PublicKey>) -> Self {
        let participants = Set::from_iter_dedup(validators);
        Self {
            scheme: scheme::Scheme::verifier(&namespace(chain), participants),
        }
    }

    /// Decodes and checks a certificate; returns the block hash it finalizes.
    pub fn verify(&self, certificate: &[u8]) -> Result<Finalized, ClientError> {
        if certificate.is_empty() {
            return Err(ClientError::proof("no finality certificate"));
        }
        let undecodable =
            |e| ClientError::proof(format!("finality certificate does not decode: {e}"));
        let mut input = Copying(certificate);
        let proposal = Proposal::read(&mut input).map_err(undecodable)?;
        let signatures = ed25519::certificate::Certificate::decode_cfg(
            input,
            &self.scheme.certificate_codec_config(),
        )
        .map_err(undecodable)?;
        // The signatures cover the proposal as the engine encodes it.
        let subject = FinalizeSubject::<'_, Sha256Digest> {
            proposal: proposal.encode(),
            _scheme: PhantomData,
        };
        let mut rng = rand::rng();
        if !self.scheme.verify_certificate::<_, Sha256Digest>(
            &mut rng,
            subject,
            &signatures,
            &Sequential,
        ) {
            return Err(ClientError::proof(
                "finality certificate is not signed by a quorum of the genesis validators",
            ));
        }
        Ok(Finalized {
            block_hash: BlockHash(proposal.payload),
            view: proposal.view,
        })
    }
}

/// The digest type simplex is run with (block hashes are SHA-256).
type Sha256Digest = commonware_cryptography::sha256::Digest;
