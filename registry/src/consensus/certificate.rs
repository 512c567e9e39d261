//! Finality certificates as the engine makes them. The light client's check lives in
//! `realdid_registry_client::certificate`, which does not link the engine; the tests here
//! hold it to the engine's own check.

use commonware_codec::Encode as _;
use commonware_consensus::simplex::types::Finalization;
use commonware_cryptography::sha256;

use super::Scheme;

/// A finalization of a block hash.
pub type FinalityCertificate = Finalization<Scheme, sha256::Digest>;

/// The canonical bytes of a finalization.
pub fn encode(finalization: &FinalityCertificate) -> Vec<u8> {
    finalization.encode().to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report
mod tests {
    use commonware_codec::{Decode as _, DecodeFixed as _};
    use commonware_consensus::simplex::types::{Finalize, Proposal};
    use commonware_consensus::types::{Epoch, Round, View};
    use commonware_cryptography::certificate::Verifier as _;
    use commonware_cryptography::{Hasher as _, Signer as _, ed25519};
    use commonware_parallel::Sequential;
    use commonware_utils::iter::NonEmpty;
    use commonware_utils::ordered::Set;
    use realdid_registry_client::ChainId;
    use realdid_registry_client::certificate::{CertificateVerifier, namespace};

    use super::*;

    fn keys(n: u8) -> Vec<ed25519::PrivateKey> {
        (1..=n)
            .map(|i| ed25519::PrivateKey::decode_fixed([i; 32]).unwrap())
            .collect()
    }

    /// A finalization of `view` signed by the first `signers` of `keys`, for `chain`.
    fn finalization(
        chain: &ChainId,
        keys: &[ed25519::PrivateKey],
        signers: usize,
        view: u64,
    ) -> Vec<u8> {
        let participants = Set::from_iter_dedup(keys.iter().map(|k| k.public_key()));
        let proposal = Proposal::new(
            Round::new(Epoch::new(0), View::new(view)),
            View::new(view - 1),
            sha256::Sha256::hash(&[&view.to_be_bytes()[..]]),
        );
        let votes: Vec<Finalize<Scheme, sha256::Digest>> = keys[..signers]
            .iter()
            .map(|key| {
                let scheme =
                    Scheme::signer(&namespace(chain), participants.clone(), key.clone()).unwrap();
                Finalize::sign(&scheme, proposal.clone()).unwrap()
            })
            .collect();
        let verifier = Scheme::verifier(&namespace(chain), participants);
        let finalization = FinalityCertificate::from_owned_finalizes(
            &verifier,
            NonEmpty::try_new(votes.into_iter()).unwrap(),
            &Sequential,
        )
        .unwrap();
        encode(&finalization)
    }

    /// The engine's own verdict on `bytes`: decodes, and its signatures are a quorum's.
    fn engine_accepts(chain: &ChainId, keys: &[ed25519::PrivateKey], bytes: &[u8]) -> bool {
        let participants = Set::from_iter_dedup(keys.iter().map(|k| k.public_key()));
        let scheme = Scheme::verifier(&namespace(chain), participants);
        FinalityCertificate::decode_cfg(
            commonware_codec::Copying(bytes),
            &scheme.certificate_codec_config(),
        )
        .is_ok_and(|f| f.verify(&mut rand::rng(), &scheme, &Sequential))
    }

    fn client_accepts(chain: &ChainId, keys: &[ed25519::PrivateKey], bytes: &[u8]) -> bool {
        CertificateVerifier::new(chain, keys.iter().map(|k| k.public_key()))
            .verify(bytes)
            .is_ok()
    }

    #[test]
    fn the_client_accepts_exactly_what_the_engine_accepts() {
        let chain = ChainId::parse("realdid-test").unwrap();
        let other = ChainId::parse("another-chain").unwrap();
        let keys = keys(4);
        let real = finalization(&chain, &keys, 3, 7);
        assert!(engine_accepts(&chain, &keys, &real));
        assert!(client_accepts(&chain, &keys, &real));
        let finalized = CertificateVerifier::new(&chain, keys.iter().map(|k| k.public_key()))
            .verify(&real)
            .unwrap();
        assert_eq!(finalized.view, 7);
        assert_eq!(
            finalized.block_hash.0.as_slice(),
            sha256::Sha256::hash(&[&7u64.to_be_bytes()[..]]).as_ref()
        );

        let mut cases = vec![
            ("all four signed", finalization(&chain, &keys, 4, 9)),
            ("another chain's", finalization(&other, &keys, 3, 7)),
            ("empty", Vec::new()),
        ];
        // Every byte changed, every cut, and one byte too many.
        for at in 0..real.len() {
            let mut flipped = real.clone();
            flipped[at] ^= 0x01;
            cases.push(("a flipped bit", flipped));
            cases.push(("a cut", real[..at].to_vec()));
        }
        let mut longer = real.clone();
        longer.push(0);
        cases.push(("a trailing byte", longer));
        // Another validator set: the same signatures name other keys.
        let strangers = keys_from(50, 4);
        let mut accepted = 0;
        for (what, bytes) in &cases {
            let engine = engine_accepts(&chain, &keys, bytes);
            assert_eq!(
                client_accepts(&chain, &keys, bytes),
                engine,
                "{what}: {bytes:02x?}"
            );
            assert_eq!(
                client_accepts(&chain, &strangers, bytes),
                engine_accepts(&chain, &strangers, bytes),
                "{what} against strangers"
            );
            accepted += usize::from(engine);
        }
        // The real ones (all four, and the flips the encoding ignores, if any) pass; the
        // other chain's and most mutations fail: the comparison saw both verdicts.
        assert!(
            accepted >= 1 && accepted < cases.len() / 2,
            "{accepted} of {}",
            cases.len()
        );
        assert!(
            !client_accepts(&chain, &keys, &cases[1].1),
            "another chain's certificate"
        );
    }

    fn keys_from(first: u8, n: u8) -> Vec<ed25519::PrivateKey> {
        (first..first + n)
            .map(|i| ed25519::PrivateKey::decode_fixed([i; 32]).unwrap())
            .collect()
    }
}
