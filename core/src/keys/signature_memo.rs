//! A memory of the signatures found good, for checkers that see the same signature often.
//!
//! A validator checks each transaction's signature when the transaction is submitted (or
//! gossiped) to it, again when it builds or verifies the block that holds it, and once more
//! if the block must be executed again after a restart. A verifier sees one credential
//! presented again and again, each time with the same issuer signature. Each check is an
//! Ed25519 or P-256 verification, the largest single cost of a DID operation or of a
//! presentation. Whether a signature is good is
//! a fact about (rule, key, message, signature) alone, so remembering it changes no answer: the
//! rules stay pure, and a node that forgets everything (restart, eviction) only pays again.
//! Failures are not remembered: a forged signature costs its sender a verification each time.
//! A [`Deferred`] checker puts chain-rule checks off, to check a batch of them at once.

use std::cell::RefCell;

use sha2::{Digest as _, Sha256};

use super::{KeyError, PublicKey, SignatureCheck, SignatureRule, cofactored};
use crate::recent::Recent;

/// How many good signatures a memo remembers by default, at least (at most twice as many).
pub const REMEMBERED_SIGNATURES: usize = 1 << 18;

/// Checks signatures, remembering the good ones.
#[derive(Debug)]
pub struct SignatureMemo {
    good: Recent<[u8; 32], ()>,
}

impl Default for SignatureMemo {
    fn default() -> Self {
        Self::with_capacity(REMEMBERED_SIGNATURES)
    }
}

impl SignatureMemo {
    /// A memory of at least `capacity` (at most twice) good signatures.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            good: Recent::with_capacity(capacity),
        }
    }

    /// A checker that answers `Ok` to the Ed25519 [`SignatureRule::Chain`] checks it does
    /// not remember, and keeps them to be checked together by [`Deferred::settle`].
    pub fn deferred(&self) -> Deferred<'_> {
        Deferred {
            memo: self,
            pending: RefCell::new(Vec::new()),
        }
    }
}

/// SHA-256 over the rule, the key (algorithm and bytes), the signature and the message, each
/// length-prefixed so that no two inputs share a fingerprint.
fn fingerprint(rule: SignatureRule, key: &PublicKey, message: &[u8], signature: &[u8]) -> [u8; 32] {
    let key_bytes = key.to_bytes();
    let mut hash = Sha256::new();
    hash.update(b"realdid/signature-memo/v2");
    hash.update([rule.tag(), u8::from(matches!(key, PublicKey::Ed25519(_)))]);
    for part in [key_bytes.as_slice(), signature, message] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

impl SignatureCheck for SignatureMemo {
    fn check(
        &self,
        rule: SignatureRule,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        let fingerprint = fingerprint(rule, key, message, signature);
        if self.good.get(&fingerprint).is_some() {
            return Ok(());
        }
        key.verify_under(rule, message, signature)?;
        self.good.insert(fingerprint, ());
        Ok(())
    }
}

/// An Ed25519 chain-rule check put off until [`Deferred::settle`].
#[derive(Debug)]
struct Pending {
    fingerprint: [u8; 32],
    key: ed25519_dalek::VerifyingKey,
    message: Vec<u8>,
    signature: [u8; 64],
}

/// Signature checks put off so that they can be done at once, at about half the cost each.
///
/// Run the rules on a batch of transactions with this checker, then [`Deferred::settle`]:
/// when it says every put-off signature is good, the rules would have given the same answers
/// with a real checker, since every check they made was answered as a real one would have.
/// When it says otherwise, every answer the rules gave with this checker is in doubt,
/// rejections included (a later rule may have refused what the signature should have): run
/// the rules again with the memo itself (the good signatures are then remembered, so only
/// the rules run twice).
///
/// Only Ed25519 checks under [`SignatureRule::Chain`] are put off; every other check goes to
/// the memo at once, because only there does a batch agree with single checks.
#[derive(Debug)]
pub struct Deferred<'a> {
    memo: &'a SignatureMemo,
    pending: RefCell<Vec<Pending>>,
}

impl Deferred<'_> {
    /// How many checks are put off.
    pub fn len(&self) -> usize {
        self.pending.borrow().len()
    }

    /// True when no check is put off.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks every put-off signature at once. True when all are good; they are then
    /// remembered. False when one at least is bad (or the system gave no randomness):
    /// nothing is remembered, and the caller must check again one by one.
    pub fn settle(self) -> bool {
        let pending = self.pending.into_inner();
        if pending.is_empty() {
            return true;
        }
        let items: Vec<(&ed25519_dalek::VerifyingKey, &[u8], &[u8; 64])> = pending
            .iter()
            .map(|p| (&p.key, p.message.as_slice(), &p.signature))
            .collect();
        if !cofactored::verify_batch(&items) {
            return false;
        }
        for p in &pending {
            self.memo.good.insert(p.fingerprint, ());
        }
        true
    }
}

impl SignatureCheck for Deferred<'_> {
    fn check(
        &self,
        rule: SignatureRule,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        let (SignatureRule::Chain, PublicKey::Ed25519(ed25519)) = (rule, key) else {
            return self.memo.check(rule, key, message, signature);
        };
        let Ok(raw) = <[u8; 64]>::try_from(signature) else {
            return self.memo.check(rule, key, message, signature);
        };
        let fingerprint = fingerprint(rule, key, message, signature);
        if self.memo.good.get(&fingerprint).is_none() {
            self.pending.borrow_mut().push(Pending {
                fingerprint,
                key: *ed25519,
                message: message.to_vec(),
                signature: raw,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, SigningKey};

    #[test]
    fn answers_as_a_fresh_check_does() {
        let memo = SignatureMemo::with_capacity(4);
        for algorithm in [Algorithm::EdDsa, Algorithm::Es256] {
            let key = SigningKey::generate(algorithm).unwrap();
            let other = SigningKey::generate(algorithm).unwrap();
            let signature = key.sign(b"message").unwrap();
            let public = key.public_key();
            for _ in 0..2 {
                memo.check(SignatureRule::Chain, &public, b"message", &signature)
                    .unwrap();
                // Remembering a good signature says nothing about any other input.
                assert!(
                    memo.check(SignatureRule::Chain, &public, b"massage", &signature)
                        .is_err()
                );
                assert!(
                    memo.check(
                        SignatureRule::Chain,
                        &other.public_key(),
                        b"message",
                        &signature
                    )
                    .is_err()
                );
                let mut forged = signature.clone();
                forged[0] ^= 1;
                assert!(
                    memo.check(SignatureRule::Chain, &public, b"message", &forged)
                        .is_err()
                );
            }
        }
    }

    #[test]
    fn stays_bounded() {
        let memo = SignatureMemo::with_capacity(2);
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let public = key.public_key();
        for i in 0u8..5 {
            let signature = key.sign(&[i]).unwrap();
            memo.check(SignatureRule::Chain, &public, &[i], &signature)
                .unwrap();
        }
        assert!(memo.good.len() <= 4);
        let newest = fingerprint(
            SignatureRule::Chain,
            &public,
            &[4],
            &key.sign(&[4]).unwrap(),
        );
        assert!(memo.good.get(&newest).is_some());
    }

    #[test]
    fn deferred_checks_settle_together_and_only_good_batches_are_remembered() {
        let memo = SignatureMemo::with_capacity(64);
        let keys: Vec<SigningKey> = (0..4)
            .map(|_| SigningKey::generate(Algorithm::EdDsa).unwrap())
            .collect();
        let signed: Vec<(PublicKey, Vec<u8>)> = keys
            .iter()
            .map(|k| (k.public_key(), k.sign(b"tx").unwrap()))
            .collect();
        let fingerprints: Vec<[u8; 32]> = signed
            .iter()
            .map(|(key, sig)| fingerprint(SignatureRule::Chain, key, b"tx", sig))
            .collect();

        // A bad signature among good ones: every check is answered Ok for now, the batch
        // fails, and nothing is remembered.
        let deferred = memo.deferred();
        for (i, (key, sig)) in signed.iter().enumerate() {
            let mut sig = sig.clone();
            if i == 2 {
                sig[5] ^= 1;
            }
            deferred
                .check(SignatureRule::Chain, key, b"tx", &sig)
                .unwrap();
        }
        assert_eq!(deferred.len(), 4);
        assert!(!deferred.settle());
        assert!(fingerprints.iter().all(|f| memo.good.get(f).is_none()));

        // All good: remembered, and a later batch does not put them off again.
        let deferred = memo.deferred();
        for (key, sig) in &signed {
            deferred
                .check(SignatureRule::Chain, key, b"tx", sig)
                .unwrap();
        }
        assert!(deferred.settle());
        assert!(fingerprints.iter().all(|f| memo.good.get(f).is_some()));
        let deferred = memo.deferred();
        deferred
            .check(SignatureRule::Chain, &signed[0].0, b"tx", &signed[0].1)
            .unwrap();
        assert!(deferred.is_empty());

        // Strict checks and P-256 are not put off: answered at once, bad ones refused.
        let mut bad = signed[0].1.clone();
        bad[5] ^= 1;
        assert!(
            deferred
                .check(SignatureRule::Strict, &signed[0].0, b"tx", &bad)
                .is_err()
        );
        let p256 = SigningKey::generate(Algorithm::Es256).unwrap();
        let mut bad = p256.sign(b"tx").unwrap();
        bad[5] ^= 1;
        assert!(
            deferred
                .check(SignatureRule::Chain, &p256.public_key(), b"tx", &bad)
                .is_err()
        );
        assert!(deferred.is_empty());
        assert!(deferred.settle());
    }

    #[test]
    fn a_signature_remembered_under_the_chain_rule_is_not_taken_as_strictly_good() {
        let memo = SignatureMemo::with_capacity(4);
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let torsion = curve25519_dalek::constants::EIGHT_TORSION[3];
        let signature = super::cofactored::test_support::with_torsion(&key, b"tx", torsion);
        let public = PublicKey::Ed25519(key.verifying_key());
        for _ in 0..2 {
            memo.check(SignatureRule::Chain, &public, b"tx", &signature)
                .unwrap();
            assert!(
                memo.check(SignatureRule::Strict, &public, b"tx", &signature)
                    .is_err()
            );
        }
    }
}
