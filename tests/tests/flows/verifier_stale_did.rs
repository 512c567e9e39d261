//! The verifier never refuses on a cached DID state alone: a holder that rotated its key since
//! the verifier cached its DID is read again once, and accepted on the newer state. With a
//! registry view that keeps answering the old state, the same presentation is refused with
//! HOLDER_DID_STATE. No devnet: the registry view is a stub that counts what is forgotten.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use realdid_core::did::{
    DidOperation, DidState, KeyId, Purposes, RealDid, UpdateOp, VerificationKey, apply,
};
use realdid_core::jws::KeySigner;
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_core::sd_jwt::SdJwtBuilder;
use realdid_registry_client::ClientError;
use realdid_registry_client::gateway::Proven;
use realdid_registry_client::records::{IssuerRecord, StatusAnchorRecord};
use realdid_tests::chain::{create_did, devnet_chain};
use realdid_tests::verifier::{offline_checks, present, stored_request};
use realdid_verifier::verify::chain::{AtHeight, ChainView};
use realdid_verifier::verify::{FailureReason, Outcome};
use serde_json::json;

const VCT: &str = "https://realdid.example/credentials/identity";
const AUDIENCE: &str = "https://bank.example";
const NONCE: &str = "n-stale-1";

/// The registry as a cache may see it: the issuer, its accreditation, and the holder's DID,
/// whose first answer is the state before its key rotation. `refreshes`: whether a forgotten
/// DID is read anew (the newer state) or the old state comes back.
struct StaleHolder {
    issuer: DidState,
    holder_before: DidState,
    holder_after: DidState,
    refreshes: bool,
    forgotten: Arc<AtomicUsize>,
}

/// A read of `value` proven at `height`, fresh.
fn at<T>(height: u64, value: Option<T>) -> AtHeight<T> {
    Proven {
        height,
        block_time_ms: now_s() as u64 * 1000,
        value: value.map(Arc::new),
    }
}

impl ChainView for StaleHolder {
    async fn did(&self, did: &RealDid) -> Result<AtHeight<DidState>, ClientError> {
        if *did == self.issuer.did {
            return Ok(at(1, Some(self.issuer.clone())));
        }
        let newer = self.refreshes && self.forgotten.load(Ordering::SeqCst) > 0;
        Ok(if newer {
            at(2, Some(self.holder_after.clone()))
        } else {
            at(1, Some(self.holder_before.clone()))
        })
    }

    async fn accreditation(&self, issuer: &RealDid) -> Result<AtHeight<IssuerRecord>, ClientError> {
        Ok(at(
            1,
            Some(IssuerRecord {
                issuer: issuer.clone(),
                name: "Test Issuer".into(),
                credential_types: vec![VCT.into()],
                accredited_height: 1,
                updated_height: 1,
                removed: None,
                trace_approvers: None,
                last_audit_sequence: 0,
                counts: Default::default(),
            }),
        ))
    }

    async fn status_anchor(
        &self,
        _issuer: &RealDid,
        _uri: &str,
    ) -> Result<AtHeight<StatusAnchorRecord>, ClientError> {
        Ok(at(1, None))
    }

    fn forget_anchor(&self, _issuer: &RealDid, _uri: &str) {}

    fn is_fresh(&self, _block_time_ms: u64) -> bool {
        true
    }

    fn forget_did(&self, did: &RealDid) {
        assert_ne!(*did, self.issuer.did, "the issuer's state fitted");
        self.forgotten.fetch_add(1, Ordering::SeqCst);
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Verifies a presentation under the rotated key against a view that does or does not
/// refresh; returns the outcome and how often the holder's DID was forgotten.
async fn verify(refreshes: bool) -> (Outcome, usize) {
    let (_, issuer) = create_did(Purposes::ASSERTION_METHOD);
    let (_, holder) = create_did(Purposes::AUTHENTICATION);

    // The holder adds a second authentication key; its credential is bound to that key.
    let rotated = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let mut document = holder.state.document.clone();
    document.keys.push(VerificationKey {
        id: "key-2".parse().unwrap(),
        key: rotated.public_key(),
        purposes: Purposes::AUTHENTICATION,
    });
    let update = DidOperation::Update(UpdateOp {
        did: holder.state.did.clone(),
        previous: holder.state.last_operation,
        document,
    })
    .sign(&devnet_chain(), Some(KeyId::first()), &holder.key)
    .unwrap();
    let holder_after = apply(&devnet_chain(), Some(&holder.state), &update).unwrap();

    let now = now_s();
    let claims = json!({
        "iss": issuer.state.did.as_str(),
        "sub": holder.state.did.as_str(),
        "vct": VCT,
        "iat": now,
        "exp": now + 3600,
        "province": "Jilin",
    });
    let credential = SdJwtBuilder::new(claims.as_object().unwrap().clone())
        .disclosable("/province")
        .holder_key(&rotated.public_key())
        .header_param(
            "kid",
            json!(format!("{}#{}", issuer.state.did, KeyId::first().as_str())),
        )
        .sign(&KeySigner::new(issuer.key.clone()), "dc+sd-jwt")
        .unwrap()
        .to_compact();
    let presentation = present(&credential, &["province"], &rotated, NONCE, AUDIENCE);

    let forgotten = Arc::new(AtomicUsize::new(0));
    let chain = StaleHolder {
        issuer: issuer.state,
        holder_before: holder.state,
        holder_after,
        refreshes,
        forgotten: forgotten.clone(),
    };
    let checks = offline_checks(chain, VCT);
    let request = stored_request("stale-1", NONCE, AUDIENCE, &["province"], now);
    let outcome = checks.verify(&request, &presentation, now * 1000).await;
    (outcome, forgotten.load(Ordering::SeqCst))
}

fn reason(outcome: &Outcome) -> Option<FailureReason> {
    match outcome {
        Outcome::Failed(failure) => Some(failure.reason),
        Outcome::Verified(_) => None,
    }
}

#[tokio::test]
async fn a_stale_cached_holder_state_is_read_again_before_a_refusal() {
    let (outcome, forgotten) = verify(true).await;
    assert_eq!(forgotten, 1, "the holder's DID is read again once");
    // Past the holder check: the next one is the status, which this credential lacks.
    assert_eq!(
        reason(&outcome),
        Some(FailureReason::StatusUnavailable),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_holder_state_that_stays_old_is_refused_after_one_read_again() {
    let (outcome, forgotten) = verify(false).await;
    assert_eq!(forgotten, 1, "one read again, not a loop");
    assert_eq!(
        reason(&outcome),
        Some(FailureReason::HolderDidState),
        "{outcome:?}"
    );
}
