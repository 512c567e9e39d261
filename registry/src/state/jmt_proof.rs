//! The client's proof format against jmt itself: the registry-client crate checks proofs
//! without linking jmt, so these tests hold its hashes and its check to jmt 0.12's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use commonware_codec::Encode as _;
use jmt::mock::MockTreeStore;
use jmt::{KeyHash, Sha256Jmt};
use proptest::prelude::*;
use realdid_registry_client::proof::{
    INTERNAL_DOMAIN_SEPARATOR, LEAF_DOMAIN_SEPARATOR, PLACEHOLDER_HASH, ProofLeaf, StateProof,
    check_path, internal_hash,
};
use sha2::Sha256;

/// jmt's own proof of a read, as this module's hashes (tests compare the store's proofs with
/// it). jmt keeps the proof's fields private; its borsh encoding is the one way in.
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
    StateProof::new(leaf, siblings)
}

#[test]
fn the_domains_are_jmts() {
    assert_eq!(LEAF_DOMAIN_SEPARATOR, jmt::proof::LEAF_DOMAIN_SEPARATOR);
    assert_eq!(
        INTERNAL_DOMAIN_SEPARATOR,
        jmt::proof::INTERNAL_DOMAIN_SEPARATOR
    );
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
                let mine = check_path(&root.0, &claimed_key.0, claimed, &ours).is_ok();
                prop_assert_eq!(mine, theirs, "probe {} claimed {:?}", probe, claimed);
            }
            prop_assert!(check_path(&root.0, &key(probe).0, value.as_deref(), &ours).is_ok());
            let back = StateProof::decode_bounded(&ours.encode()).unwrap();
            prop_assert_eq!(back, ours);
        }
    }
}
