//! Finality certificates as bytes, and their check against the genesis validator keys.
//!
//! A certificate is a simplex finalization: a quorum (n − f) of the validators' Ed25519
//! signatures over the proposal (round, parent view, block hash). Anyone holding the
//! validator keys from genesis can check it; nothing else is trusted.

use commonware_codec::{Decode as _, Encode as _};
use commonware_consensus::simplex::types::Finalization;
use commonware_cryptography::certificate::Verifier as _;
use commonware_cryptography::{ed25519, sha256};
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use realdid_core::codec::BlockHash;

use super::block::from_digest;
use super::{Scheme, namespace};
use crate::RegistryError;
use crate::genesis::ChainId;

/// A finalization of a block hash.
pub type FinalityCertificate = Finalization<Scheme, sha256::Digest>;

/// Checks finality certificates against a fixed validator set.
#[derive(Clone, Debug)]
pub struct CertificateVerifier {
    scheme: Scheme,
}

/// What a valid certificate proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finalized {
    /// The block that is final.
    pub block_hash: BlockHash,
    /// The consensus view it was finalized in.
    pub view: u64,
}

impl CertificateVerifier {
    /// A verifier for `chain` and the validators its genesis names (their Ed25519 public
    /// keys).
    pub fn new(chain: &ChainId, validators: impl IntoIterator<Item = ed25519::PublicKey>) -> Self {
        let participants = Set::from_iter_dedup(validators);
        Self {
            scheme: Scheme::verifier(&namespace(chain), participants),
        }
    }

    /// Decodes and checks a certificate; returns the block hash it finalizes.
    pub fn verify(&self, certificate: &[u8]) -> Result<Finalized, RegistryError> {
        if certificate.is_empty() {
            return Err(RegistryError::proof("no finality certificate"));
        }
        let finalization = FinalityCertificate::decode_cfg(
            commonware_codec::Copying(certificate),
            &self.scheme.certificate_codec_config(),
        )
        .map_err(|e| RegistryError::proof(format!("finality certificate does not decode: {e}")))?;
        let mut rng = rand::rng();
        if !finalization.verify(&mut rng, &self.scheme, &Sequential) {
            return Err(RegistryError::proof(
                "finality certificate is not signed by a quorum of the genesis validators",
            ));
        }
        Ok(Finalized {
            block_hash: from_digest(&finalization.proposal.payload),
            view: finalization.proposal.round.view().get(),
        })
    }
}

/// The canonical bytes of a finalization.
pub fn encode(finalization: &FinalityCertificate) -> Vec<u8> {
    finalization.encode().to_vec()
}
