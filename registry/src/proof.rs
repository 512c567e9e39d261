//! Merkle proofs of state reads against a state root.
//!
//! The state is a Jellyfish Merkle tree (the `jmt` crate, SHA-256) keyed by
//! [`StateKey::key_hash`]; a [`StateProof`] is jmt's `SparseMerkleProof<Sha256>` in a
//! canonical, bounded encoding, so that it can travel in `ProvenRead.jmt_proof` and be
//! checked by a light client that holds nothing but a state root it trusts (from a header
//! with a finality certificate). The same proof shows that a key holds a value (inclusion)
//! or that it holds none (non-inclusion).
//!
//! ```text
//! proof     leaf flag u8 (0 | 1 || key hash(32) || value hash(32))
//!           || varint(n ≤ 256) || n × sibling           (siblings from the leaf up to the root)
//! sibling   0                                           an empty subtree (placeholder)
//!           1 || left hash(32) || right hash(32)       an internal node
//!           2 || key hash(32) || value hash(32)        a leaf
//! value hash = SHA-256(value);  roots and nodes hash as jmt 0.12 defines (domain-separated SHA-256)
//! ```
//! Verification is jmt's own `SparseMerkleProof::verify`, so the prover (the store) and the
//! verifier can never disagree on how a tree hashes. This module does not touch RocksDB.

use bytes::{Buf as _, BufMut};
use commonware_codec::{Buf, Copying, Decode as _, EncodeSize, Error, Read, ReadExt as _, Write};
use jmt::proof::SparseMerkleProof;
use realdid_core::codec::StateRoot;
use realdid_core::codec::primitives::{read_bytes32, read_count};
use sha2::Sha256;

use crate::RegistryError;
use crate::state::keys::StateKey;

/// Most siblings a proof may carry: one per bit of the key hash.
pub const MAX_SIBLINGS: usize = 256;
/// Largest encoded proof: a leaf and 256 siblings of 65 bytes, with the count.
pub const MAX_PROOF_LEN: usize = 1 + 64 + 3 + MAX_SIBLINGS * 65;

/// A leaf named by a proof: the hash of its key and of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofLeaf {
    /// The leaf's key hash.
    pub key_hash: [u8; 32],
    /// SHA-256 of the leaf's value.
    pub value_hash: [u8; 32],
}

/// One sibling on the path from the proven position to the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sibling {
    /// An empty subtree.
    Placeholder,
    /// An internal node, given by its two children's hashes.
    Internal {
        /// Hash of the left child.
        left: [u8; 32],
        /// Hash of the right child.
        right: [u8; 32],
    },
    /// A leaf.
    Leaf(ProofLeaf),
}

/// A proof that a key holds a given value, or no value, under a state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProof {
    leaf: Option<ProofLeaf>,
    siblings: Vec<Sibling>,
}

// jmt keeps the proof's fields private; its borsh encoding is the one stable way in and out.
// Layout (borsh 1): Option tag u8 || leaf(64) ; u32 LE count ; per sibling u8 variant || 0 | 64 bytes.
const BORSH_NULL: u8 = 0;
const BORSH_INTERNAL: u8 = 1;
const BORSH_LEAF: u8 = 2;

impl StateProof {
    /// The leaf the proof ends in: the proven key's own leaf (inclusion), another key's leaf
    /// whose subtree the key would fall into (non-inclusion), or none (an empty subtree).
    pub fn leaf(&self) -> Option<&ProofLeaf> {
        self.leaf.as_ref()
    }

    /// The siblings, from the leaf level up to the root.
    pub fn siblings(&self) -> &[Sibling] {
        &self.siblings
    }

    /// Converts a proof produced by the tree.
    pub fn from_jmt(proof: &SparseMerkleProof<Sha256>) -> Result<Self, RegistryError> {
        let bytes = borsh::to_vec(proof).map_err(|e| RegistryError::Tree {
            reason: format!("encoding a proof: {e}"),
        })?;
        Self::from_borsh(&bytes).map_err(|e| RegistryError::Tree {
            reason: format!("jmt proof has an unexpected layout: {e}"),
        })
    }

    /// The proof as jmt's type, to verify with jmt's own code.
    pub fn to_jmt(&self) -> Result<SparseMerkleProof<Sha256>, RegistryError> {
        let mut bytes = Vec::with_capacity(1 + 64 + 4 + self.siblings.len() * 65);
        match &self.leaf {
            None => bytes.push(0),
            Some(leaf) => {
                bytes.push(1);
                bytes.extend_from_slice(&leaf.key_hash);
                bytes.extend_from_slice(&leaf.value_hash);
            }
        }
        let count = u32::try_from(self.siblings.len())
            .map_err(|_| RegistryError::proof("too many siblings"))?;
        bytes.extend_from_slice(&count.to_le_bytes());
        for sibling in &self.siblings {
            match sibling {
                Sibling::Placeholder => bytes.push(BORSH_NULL),
                Sibling::Internal { left, right } => {
                    bytes.push(BORSH_INTERNAL);
                    bytes.extend_from_slice(left);
                    bytes.extend_from_slice(right);
                }
                Sibling::Leaf(leaf) => {
                    bytes.push(BORSH_LEAF);
                    bytes.extend_from_slice(&leaf.key_hash);
                    bytes.extend_from_slice(&leaf.value_hash);
                }
            }
        }
        borsh::from_slice(&bytes).map_err(|e| RegistryError::Tree {
            reason: format!("rebuilding a jmt proof: {e}"),
        })
    }

    fn from_borsh(bytes: &[u8]) -> Result<Self, Error> {
        let mut buf = Copying(bytes);
        let leaf = match u8::read(&mut buf)? {
            0 => None,
            1 => Some(read_leaf(&mut buf)?),
            other => return Err(Error::InvalidEnum(other)),
        };
        let mut count = [0u8; 4];
        if buf.remaining() < 4 {
            return Err(Error::EndOfBuffer);
        }
        buf.copy_to_slice(&mut count);
        let count = u32::from_le_bytes(count) as usize;
        if count > MAX_SIBLINGS {
            return Err(Error::InvalidLength(count));
        }
        let mut siblings = Vec::with_capacity(count);
        for _ in 0..count {
            siblings.push(read_sibling(&mut buf)?);
        }
        if buf.remaining() != 0 {
            return Err(Error::ExtraData(buf.remaining()));
        }
        Ok(Self { leaf, siblings })
    }

    /// Decodes a proof received from outside (at most [`MAX_PROOF_LEN`] bytes, nothing left
    /// over).
    pub fn decode_bounded(bytes: &[u8]) -> Result<Self, RegistryError> {
        if bytes.len() > MAX_PROOF_LEN {
            return Err(RegistryError::proof(format!(
                "proof is {} bytes, at most {MAX_PROOF_LEN}",
                bytes.len()
            )));
        }
        Self::decode_cfg(Copying(bytes), &())
            .map_err(|e| RegistryError::proof(format!("proof does not decode: {e}")))
    }
}

fn read_leaf(buf: &mut impl Buf) -> Result<ProofLeaf, Error> {
    Ok(ProofLeaf {
        key_hash: read_bytes32(buf)?,
        value_hash: read_bytes32(buf)?,
    })
}

fn read_sibling(buf: &mut impl Buf) -> Result<Sibling, Error> {
    Ok(match u8::read(buf)? {
        BORSH_NULL => Sibling::Placeholder,
        BORSH_INTERNAL => Sibling::Internal {
            left: read_bytes32(buf)?,
            right: read_bytes32(buf)?,
        },
        BORSH_LEAF => Sibling::Leaf(read_leaf(buf)?),
        other => return Err(Error::InvalidEnum(other)),
    })
}

impl Write for StateProof {
    fn write(&self, buf: &mut impl BufMut) {
        match &self.leaf {
            None => buf.put_u8(0),
            Some(leaf) => {
                buf.put_u8(1);
                buf.put_slice(&leaf.key_hash);
                buf.put_slice(&leaf.value_hash);
            }
        }
        self.siblings.len().write(buf);
        for sibling in &self.siblings {
            match sibling {
                Sibling::Placeholder => buf.put_u8(0),
                Sibling::Internal { left, right } => {
                    buf.put_u8(1);
                    buf.put_slice(left);
                    buf.put_slice(right);
                }
                Sibling::Leaf(leaf) => {
                    buf.put_u8(2);
                    buf.put_slice(&leaf.key_hash);
                    buf.put_slice(&leaf.value_hash);
                }
            }
        }
    }
}

impl EncodeSize for StateProof {
    fn encode_size(&self) -> usize {
        1 + self.leaf.map_or(0, |_| 64)
            + self.siblings.len().encode_size()
            + self
                .siblings
                .iter()
                .map(|s| match s {
                    Sibling::Placeholder => 1,
                    Sibling::Internal { .. } | Sibling::Leaf(_) => 65,
                })
                .sum::<usize>()
    }
}

impl Read for StateProof {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let leaf = match u8::read(buf)? {
            0 => None,
            1 => Some(read_leaf(buf)?),
            other => return Err(Error::InvalidEnum(other)),
        };
        let n = read_count(buf, MAX_SIBLINGS)?;
        let mut siblings = Vec::with_capacity(n);
        for _ in 0..n {
            siblings.push(read_sibling(buf)?);
        }
        Ok(Self { leaf, siblings })
    }
}

/// Checks that under `root`, `key` holds exactly `value` (`None`: holds no value).
///
/// Fails with [`RegistryError::Proof`] naming the first check that failed: the key's leaf is
/// not the one proven, the value's hash differs, or the path does not hash to the root.
pub fn verify_state(
    root: &StateRoot,
    key: &StateKey,
    value: Option<&[u8]>,
    proof: &StateProof,
) -> Result<(), RegistryError> {
    let proof = proof.to_jmt()?;
    proof
        .verify(jmt::RootHash(root.0), key.key_hash(), value)
        .map_err(|e| RegistryError::proof(format!("state proof for {key:?}: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report
mod tests {
    use super::*;
    use commonware_codec::Encode as _;

    #[test]
    fn empty_tree_proves_absence_of_anything() {
        let root = StateRoot(*b"SPARSE_MERKLE_PLACEHOLDER_HASH__");
        let proof = StateProof {
            leaf: None,
            siblings: vec![],
        };
        let key = StateKey::GovernanceNonce(1);
        verify_state(&root, &key, None, &proof).unwrap();
        assert!(verify_state(&root, &key, Some(b"x"), &proof).is_err());
        let bytes = proof.encode();
        assert_eq!(StateProof::decode_bounded(&bytes).unwrap(), proof);
    }

    #[test]
    fn more_than_256_siblings_do_not_decode() {
        let proof = StateProof {
            leaf: None,
            siblings: vec![Sibling::Placeholder; MAX_SIBLINGS + 1],
        };
        assert!(StateProof::decode_bounded(&proof.encode()).is_err());
    }

    #[test]
    fn jmt_round_trip_keeps_every_field() {
        let proof = StateProof {
            leaf: Some(ProofLeaf {
                key_hash: [1; 32],
                value_hash: [2; 32],
            }),
            siblings: vec![
                Sibling::Placeholder,
                Sibling::Internal {
                    left: [3; 32],
                    right: [4; 32],
                },
                Sibling::Leaf(ProofLeaf {
                    key_hash: [5; 32],
                    value_hash: [6; 32],
                }),
            ],
        };
        let back = StateProof::from_jmt(&proof.to_jmt().unwrap()).unwrap();
        assert_eq!(back, proof);
    }
}
