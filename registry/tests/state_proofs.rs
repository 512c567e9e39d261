//! Proofs from a real store: flipping any bit of an encoded proof (of a value or of an
//! absence) makes it fail, and decoding arbitrary bytes never panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

mod execute_support;

use std::sync::OnceLock;

use commonware_codec::Encode as _;
use execute_support::{Council, Holder, block_on, genesis_header, hashes};
use proptest::prelude::*;
use realdid_core::codec::StateRoot;
use realdid_core::did::RealDid;
use realdid_registry::execute::BlockContext;
use realdid_registry::proof::{StateProof, verify_state};
use realdid_registry::state::Store;
use realdid_registry::state::keys::StateKey;

/// A proven read: root, key, value, encoded proof.
struct Case {
    root: StateRoot,
    key: StateKey,
    value: Option<Vec<u8>>,
    proof: Vec<u8>,
}

/// Proofs of present and absent keys in a tree of 40 DIDs.
fn cases() -> &'static Vec<Case> {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.genesis_init(&genesis_header()).unwrap();
        let council = Council::new();
        let mut dids = Vec::new();
        let mut txs = Vec::new();
        for _ in 0..40 {
            let (holder, create) = Holder::create();
            dids.push(holder.did());
            txs.push(create);
        }
        let genesis = store.finalized().unwrap();
        let ctx = BlockContext {
            height: 1,
            timestamp_ms: 1_700_000_001_000,
            governance: &council.governance,
            signatures: &council.signatures,
        };
        let staged = store
            .stage(&[], &ctx, &txs, &hashes(&txs))
            .unwrap()
            .unwrap();
        let block = block_on(genesis.block_hash, &staged, txs, ctx.timestamp_ms);
        store.commit(&block, &staged, b"cert", 0).unwrap();
        let root = block.header.state_root;

        let mut keys: Vec<StateKey> = dids.iter().take(4).cloned().map(StateKey::Did).collect();
        keys.extend((0..6u8).map(|i| StateKey::Did(RealDid::from_suffix([i; 32]))));
        keys.push(StateKey::GovernanceNonce(0));
        let cases: Vec<Case> = keys
            .into_iter()
            .map(|key| {
                let (value, proof) = store.prove(&key, 1).unwrap();
                verify_state(&root, &key, value.as_deref(), &proof).unwrap();
                Case {
                    root,
                    key,
                    value,
                    proof: proof.encode().to_vec(),
                }
            })
            .collect();
        assert!(cases.iter().any(|c| c.value.is_some()));
        assert!(cases.iter().any(|c| c.value.is_none()));
        // A 40-key tree has absences ending in another key's leaf and in an empty subtree.
        cases
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any single flipped bit: the proof no longer decodes, or no longer verifies.
    #[test]
    fn flipping_any_bit_fails(case in 0usize..11, position in any::<prop::sample::Index>(), bit in 0u8..8) {
        let case = &cases()[case % cases().len()];
        let mut bytes = case.proof.clone();
        let at = position.index(bytes.len());
        bytes[at] ^= 1 << bit;
        if let Ok(proof) = StateProof::decode_bounded(&bytes) {
            prop_assert!(
                verify_state(&case.root, &case.key, case.value.as_deref(), &proof).is_err(),
                "bit {} of byte {} flipped and the proof still verifies", bit, at
            );
        }
    }

    /// Truncated or extended proofs fail.
    #[test]
    fn cutting_or_extending_fails(case in 0usize..11, cut in any::<prop::sample::Index>(), extra in any::<u8>()) {
        let case = &cases()[case % cases().len()];
        let len = cut.index(case.proof.len());
        let verifies = |bytes: &[u8]| {
            StateProof::decode_bounded(bytes)
                .is_ok_and(|p| verify_state(&case.root, &case.key, case.value.as_deref(), &p).is_ok())
        };
        prop_assert!(!verifies(&case.proof[..len]));
        let mut longer = case.proof.clone();
        longer.push(extra);
        prop_assert!(!verifies(&longer));
    }

    /// Garbage never panics the decoder.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(proof) = StateProof::decode_bounded(&bytes) {
            let _ = verify_state(&StateRoot([0; 32]), &StateKey::GovernanceNonce(0), None, &proof);
        }
    }
}

#[test]
fn every_case_verifies_untouched_and_fails_with_the_wrong_value() {
    for case in cases() {
        let proof = StateProof::decode_bounded(&case.proof).unwrap();
        verify_state(&case.root, &case.key, case.value.as_deref(), &proof).unwrap();
        let wrong = match &case.value {
            Some(v) => {
                let mut w = v.clone();
                w[0] ^= 1;
                Some(w)
            }
            None => Some(vec![0]),
        };
        assert!(verify_state(&case.root, &case.key, wrong.as_deref(), &proof).is_err());
        let mut other_root = case.root;
        other_root.0[31] ^= 1;
        assert!(verify_state(&other_root, &case.key, case.value.as_deref(), &proof).is_err());
    }
}
