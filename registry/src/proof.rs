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
//! own proofs carry each sibling's preimage). `proof_of_jmt` (tests) checks that the store's
//! proofs are jmt's own, sibling by sibling. This module does not touch RocksDB.

use bytes::BufMut;
use commonware_codec::{Buf, Copying, Decode as _, EncodeSize, Error, Read, ReadExt as _, Write};
use jmt::proof::{INTERNAL_DOMAIN_SEPARATOR, LEAF_DOMAIN_SEPARATOR};
use realdid_core::codec::StateRoot;
use realdid_core::codec::primitives::{read_bytes32, read_count};
use sha2::{Digest as _, Sha256};

use crate::RegistryError;
use crate::state::keys::StateKey;

/// Most siblings a proof may carry: one per bit of the key hash.
pub const MAX_SIBLINGS: usize = 256;
/// Largest encoded proof: a leaf and 256 siblings, with the count.
pub const MAX_PROOF_LEN: usize = 1 + 64 + 3 + MAX_SIBLINGS * 32;

/// The hash of an empty subtree.
pub const PLACEHOLDER_HASH: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

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
/// [`RegistryError::Proof`] naming the first check that failed: the key's leaf is not the one
/// proven, the value's hash differs, or the path does not hash to the root.
pub fn verify_state(
    root: &StateRoot,
    key: &StateKey,
    value: Option<&[u8]>,
    proof: &StateProof,
) -> Result<(), RegistryError> {
    check(&root.0, &key.key_hash().0, value, proof)
        .map_err(|what| RegistryError::proof(format!("state proof for {key:?}: {what}")))
}

fn check(
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

/// jmt's own proof of a read, as this module's hashes (tests compare the store's proofs with
/// it). jmt keeps the proof's fields private; its borsh encoding is the one way in.
/// jmt's own proof of a read, as this module's hashes (tests compare the store's proofs with
/// it). jmt keeps the proof's fields private; its borsh encoding is the one way in.
#[cfg(test)]
#[allow(clippy::expect_used)] // tests only: jmt's own proof always has this layout
pub(crate) fn proof_of_jmt(proof: &jmt::proof::SparseMerkleProof<Sha256>) -> StateProof {
    let bytes = borsh::to_vec(proof).expect("a proof encodes");
    let mut at = 0;
    let mut take = |n: usize| {
        let slice = &bytes[at..at + n];
        at += n;
        slice
    };
    let bytes32 = |slice: &[u8]| <[u8; 32]>::try_from(slice).expect("32 bytes");
    let leaf = match take(1)[0] {
        0 => None,
        _ => {
            let body = take(64);
            Some(ProofLeaf {
                key_hash: bytes32(&body[..32]),
                value_hash: bytes32(&body[32..]),
            })
        }
    };
    let count = u32::from_le_bytes(take(4).try_into().expect("4 bytes"));
    let siblings = (0..count)
        .map(|_| match take(1)[0] {
            // borsh variants of jmt's SparseMerkleNode: Null, Internal(left, right), Leaf.
            0 => PLACEHOLDER_HASH,
            1 => {
                let body = take(64);
                internal_hash(&bytes32(&body[..32]), &bytes32(&body[32..]))
            }
            _ => {
                let body = take(64);
                ProofLeaf {
                    key_hash: bytes32(&body[..32]),
                    value_hash: bytes32(&body[32..]),
                }
                .hash()
            }
        })
        .collect();
    StateProof { leaf, siblings }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report
mod tests {
    use super::*;
    use commonware_codec::Encode as _;
    use jmt::mock::MockTreeStore;
    use jmt::{KeyHash, Sha256Jmt};
    use proptest::prelude::*;

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

    fn key(i: u16) -> KeyHash {
        KeyHash::with::<Sha256>(i.to_be_bytes())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// On jmt's own proofs from trees of every shape (one key, a few, hundreds), this
        /// module's check agrees with jmt's `verify`: for the true value, a wrong value, a
        /// claimed absence and another key.
        #[test]
        fn agrees_with_jmt_verify(
            present in proptest::collection::btree_set(0u16..2000, 1..300),
            probes in proptest::collection::vec(0u16..2000, 1..16),
        ) {
            let store = MockTreeStore::default();
            let tree = Sha256Jmt::new(&store);
            let writes: Vec<_> = present.iter().map(|i| (key(*i), Some(i.to_be_bytes().to_vec()))).collect();
            let (root, batch) = tree.put_value_set(writes, 0).unwrap();
            store.write_tree_update_batch(batch).unwrap();
            for probe in probes {
                let (value, jmt_proof) = tree.get_with_proof(key(probe), 0).unwrap();
                prop_assert_eq!(value.is_some(), present.contains(&probe));
                let ours = proof_of_jmt(&jmt_proof);
                let wrong = vec![0xEE];
                for (claimed_key, claimed) in [
                    (key(probe), value.as_deref()),
                    (key(probe), Some(wrong.as_slice())),
                    (key(probe), None),
                    (key(probe.wrapping_add(1)), value.as_deref()),
                    (key(probe.wrapping_add(1)), None),
                ] {
                    let theirs = jmt_proof.verify(root, claimed_key, claimed).is_ok();
                    let mine = check(&root.0, &claimed_key.0, claimed, &ours).is_ok();
                    prop_assert_eq!(mine, theirs, "probe {} claimed {:?}", probe, claimed);
                }
                prop_assert!(check(&root.0, &key(probe).0, value.as_deref(), &ours).is_ok());
                let back = StateProof::decode_bounded(&ours.encode()).unwrap();
                prop_assert_eq!(back, ours);
            }
        }
    }
}
