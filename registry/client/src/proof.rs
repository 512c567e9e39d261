//! Merkle proofs of state reads against a state root.
//!
//! The state is a Jellyfish Merkle tree (the `jmt` crate, SHA-256) keyed by
//! [`StateKey::key_hash`]. A [`StateProof`] is the path from one position of that tree to its
//! root, in a canonical, bounded encoding, so that it can travel in `ProvenRead.jmt_proof` and
//! be checked by a light client that holds nothing but a state root it trusts (from a header
//! with a finality certificate). The same proof shows that a key holds a value (inclusion) or
//! that it holds none (non-inclusion).
//!
//! ```text
//! proof     leaf flag u8 (0 | 1 || key hash(32) || value hash(32))
//!           || varint(n ≤ 256) || n × sibling hash(32)    (from the leaf level up to the root)
//! value hash    = SHA-256(value)
//! leaf hash     = SHA-256("JMT::LeafNode" || key hash || value hash)
//! internal hash = SHA-256("JMT::IntrnalNode" || left || right)
//! empty subtree = "SPARSE_MERKLE_PLACEHOLDER_HASH__"
//! ```
//! The hashes are jmt 0.12's, so a root computed here is the root the tree stored. Siblings
//! travel as hashes, as in Diem's and Aptos's Jellyfish proofs: folding a path needs nothing
//! else, and the prover then never reads a sibling leaf or rehashes a sibling subtree (jmt's
//! own proofs carry each sibling's preimage). The validator crate's tests check that its
//! store's proofs are jmt's own, sibling by sibling, and that [`check_path`] agrees with jmt's
//! own verification.

use bytes::BufMut;
use commonware_codec::{Buf, Copying, Decode as _, EncodeSize, Error, Read, ReadExt as _, Write};
use realdid_core::codec::StateRoot;
use realdid_core::codec::primitives::{read_bytes32, read_count};
use sha2::{Digest as _, Sha256};

use crate::ClientError;
use crate::state_key::StateKey;

/// Most siblings a proof may carry: one per bit of the key hash.
pub const MAX_SIBLINGS: usize = 256;
/// Largest encoded proof: a leaf and 256 siblings, with the count.
pub const MAX_PROOF_LEN: usize = 1 + 64 + 3 + MAX_SIBLINGS * 32;

/// The hash of an empty subtree.
pub const PLACEHOLDER_HASH: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
/// jmt 0.12's domain of leaf hashes.
pub const LEAF_DOMAIN_SEPARATOR: &[u8] = b"JMT::LeafNode";
/// jmt 0.12's domain of internal-node hashes (its spelling).
pub const INTERNAL_DOMAIN_SEPARATOR: &[u8] = b"JMT::IntrnalNode";

/// A leaf named by a proof: the hash of its key and of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofLeaf {
    /// The leaf's key hash.
    pub key_hash: [u8; 32],
    /// SHA-256 of the leaf's value.
    pub value_hash: [u8; 32],
}

impl ProofLeaf {
    /// The leaf of `key_hash` holding `value`.
    pub fn of_value(key_hash: [u8; 32], value: &[u8]) -> Self {
        Self {
            key_hash,
            value_hash: Sha256::digest(value).into(),
        }
    }

    /// The leaf's node hash in the tree.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(LEAF_DOMAIN_SEPARATOR)
            .chain_update(self.key_hash)
            .chain_update(self.value_hash)
            .finalize()
            .into()
    }
}

/// The hash of an internal node of the binary tree from its children's hashes.
pub fn internal_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(INTERNAL_DOMAIN_SEPARATOR)
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// A proof that a key holds a given value, or no value, under a state root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProof {
    leaf: Option<ProofLeaf>,
    siblings: Vec<[u8; 32]>,
}

impl StateProof {
    /// A proof ending in `leaf` (or in an empty subtree), with `siblings` from the leaf level
    /// up to the root.
    pub fn new(leaf: Option<ProofLeaf>, siblings: Vec<[u8; 32]>) -> Self {
        Self { leaf, siblings }
    }

    /// The leaf the proof ends in: the proven key's own leaf (inclusion), another key's leaf
    /// whose subtree the key would fall into (non-inclusion), or none (an empty subtree).
    pub fn leaf(&self) -> Option<&ProofLeaf> {
        self.leaf.as_ref()
    }

    /// The siblings' hashes, from the leaf level up to the root.
    pub fn siblings(&self) -> &[[u8; 32]] {
        &self.siblings
    }

    /// The root this path hashes to at the position of `key_hash`: the bit of the key at each
    /// level says whether the path is the right (1) or the left (0) child.
    pub fn root_for(&self, key_hash: &[u8; 32]) -> [u8; 32] {
        let start = self.leaf.map_or(PLACEHOLDER_HASH, |leaf| leaf.hash());
        let levels = self.siblings.len();
        self.siblings
            .iter()
            .enumerate()
            .fold(start, |hash, (i, sibling)| {
                let bit = levels - 1 - i;
                if key_hash[bit / 8] >> (7 - bit % 8) & 1 == 1 {
                    internal_hash(sibling, &hash)
                } else {
                    internal_hash(&hash, sibling)
                }
            })
    }

    /// Decodes a proof received from outside (at most [`MAX_PROOF_LEN`] bytes, nothing left
    /// over).
    pub fn decode_bounded(bytes: &[u8]) -> Result<Self, ClientError> {
        if bytes.len() > MAX_PROOF_LEN {
            return Err(ClientError::proof(format!(
                "proof is {} bytes, at most {MAX_PROOF_LEN}",
                bytes.len()
            )));
        }
        Self::decode_cfg(Copying(bytes), &())
            .map_err(|e| ClientError::proof(format!("proof does not decode: {e}")))
    }
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
            buf.put_slice(sibling);
        }
    }
}

impl EncodeSize for StateProof {
    fn encode_size(&self) -> usize {
        1 + self.leaf.map_or(0, |_| 64)
            + self.siblings.len().encode_size()
            + self.siblings.len() * 32
    }
}

impl Read for StateProof {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let leaf = match u8::read(buf)? {
            0 => None,
            1 => Some(ProofLeaf {
                key_hash: read_bytes32(buf)?,
                value_hash: read_bytes32(buf)?,
            }),
            other => return Err(Error::InvalidEnum(other)),
        };
        let n = read_count(buf, MAX_SIBLINGS)?;
        let mut siblings = Vec::with_capacity(n);
        for _ in 0..n {
            siblings.push(read_bytes32(buf)?);
        }
        Ok(Self { leaf, siblings })
    }
}

/// How many leading bits two key hashes share.
fn common_prefix_bits(a: &[u8; 32], b: &[u8; 32]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .map_or(256, |i| i * 8 + (a[i] ^ b[i]).leading_zeros() as usize)
}

/// Checks that under `root`, `key` holds exactly `value` (`None`: holds no value).
///
/// The checks are jmt 0.12's `SparseMerkleProof::verify`, on sibling hashes. Fails with
/// [`ClientError::Proof`] naming the first check that failed: the key's leaf is not the one
/// proven, the value's hash differs, or the path does not hash to the root.
pub fn verify_state(
    root: &StateRoot,
    key: &StateKey,
    value: Option<&[u8]>,
    proof: &StateProof,
) -> Result<(), ClientError> {
    check_path(&root.0, &key.key_hash().0, value, proof)
        .map_err(|what| ClientError::proof(format!("state proof for {key:?}: {what}")))
}

/// The check behind [`verify_state`], on a raw key hash: `Err` names the first rule broken.
pub fn check_path(
    root: &[u8; 32],
    key_hash: &[u8; 32],
    value: Option<&[u8]>,
    proof: &StateProof,
) -> Result<(), &'static str> {
    if proof.siblings.len() > MAX_SIBLINGS {
        return Err("more than 256 siblings");
    }
    match (value, &proof.leaf) {
        (Some(value), Some(leaf)) => {
            if leaf.key_hash != *key_hash {
                return Err("the proof's leaf is another key's");
            }
            if ProofLeaf::of_value(*key_hash, value).value_hash != leaf.value_hash {
                return Err("the value's hash is not the leaf's");
            }
        }
        (Some(_), None) => return Err("a value was expected, the proof shows an empty subtree"),
        (None, Some(leaf)) => {
            // Absence shown by another key's leaf: the key would have to split that leaf's
            // subtree, so the two must agree on every bit above it.
            if leaf.key_hash == *key_hash {
                return Err("absence was expected, the proof shows the key's own leaf");
            }
            if common_prefix_bits(key_hash, &leaf.key_hash) < proof.siblings.len() {
                return Err("the key does not fall under the proof's leaf");
            }
        }
        (None, None) => {}
    }
    if proof.root_for(key_hash) != *root {
        return Err("the path does not hash to the state root");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report
mod tests {
    use super::*;
    use commonware_codec::Encode as _;

    #[test]
    fn empty_tree_proves_absence_of_anything() {
        let root = StateRoot(PLACEHOLDER_HASH);
        let proof = StateProof::new(None, vec![]);
        let key = StateKey::GovernanceNonce(1);
        verify_state(&root, &key, None, &proof).unwrap();
        assert!(verify_state(&root, &key, Some(b"x"), &proof).is_err());
        let bytes = proof.encode();
        assert_eq!(StateProof::decode_bounded(&bytes).unwrap(), proof);
    }

    #[test]
    fn more_than_256_siblings_do_not_decode() {
        let proof = StateProof::new(None, vec![PLACEHOLDER_HASH; MAX_SIBLINGS + 1]);
        assert!(StateProof::decode_bounded(&proof.encode()).is_err());
    }
}
