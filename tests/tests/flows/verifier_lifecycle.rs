//! An adversarial corpus of credentials outside their time or outside trust, generated and
//! judged by the verifier's checks over a registry view the test controls: expired, not
//! yet valid, issued in the future, signed by an issuer that was never accredited, that was
//! removed, that is accredited for another type, or whose DID is deactivated, and held
//! under a deactivated DID. Each is refused with its reason. Controls just inside each time
//! bound pass every check up to the status list, which these credentials do not name, so the
//! bounds are where the contract puts them. (Revoked and suspended credentials need a
//! status list anchored on a chain: the verifier's flows refuse them on the devnet.)

use realdid_core::did::{DeactivateOp, DidOperation, DidState, KeyId, Purposes, RealDid, apply};
use realdid_core::jws::KeySigner;
use realdid_core::sd_jwt::SdJwtBuilder;
use realdid_registry_client::ClientError;
use realdid_registry_client::gateway::Proven;
use realdid_registry_client::records::{IssuerRecord, Removal, StatusAnchorRecord};
use realdid_tests::chain::{Holder, create_did, devnet_chain};
use realdid_tests::verifier::{offline_checks, present, stored_request};
use realdid_verifier::verify::chain::{AtHeight, ChainView};
use realdid_verifier::verify::{FailureReason as R, Outcome};
use serde_json::json;

const VCT: &str = "https://realdid.example/credentials/identity";
const AUDIENCE: &str = "https://bank.example";
const NONCE: &str = "n-lifecycle-1";
/// The clock skew the verifier forgives, in seconds (`offline_checks`'s).
const LEEWAY: i64 = 60;

/// What the registry says of the issuer and the holder.
#[derive(Clone)]
struct Registry {
    issuer: DidState,
    holder: DidState,
    accreditation: Option<IssuerRecord>,
}

fn fresh<T>(value: Option<T>) -> AtHeight<T> {
    Proven {
        height: 7,
        block_time_ms: realdid_tests::unix_ms() as u64,
        value: value.map(std::sync::Arc::new),
    }
}

impl ChainView for Registry {
    async fn did(&self, did: &RealDid) -> Result<AtHeight<DidState>, ClientError> {
        Ok(fresh(
            [&self.issuer, &self.holder]
                .into_iter()
                .find(|s| s.did == *did)
                .cloned(),
        ))
    }

    async fn accreditation(&self, _: &RealDid) -> Result<AtHeight<IssuerRecord>, ClientError> {
        Ok(fresh(self.accreditation.clone()))
    }

    async fn status_anchor(
        &self,
        _: &RealDid,
        _: &str,
    ) -> Result<AtHeight<StatusAnchorRecord>, ClientError> {
        Ok(fresh(None))
    }

    fn forget_anchor(&self, _: &RealDid, _: &str) {}

    fn forget_did(&self, _: &RealDid) {}

    fn is_fresh(&self, _: u64) -> bool {
        true
    }
}

fn accredited(issuer: &RealDid) -> IssuerRecord {
    IssuerRecord {
        issuer: issuer.clone(),
        name: "Test Issuer".into(),
        credential_types: vec![VCT.into()],
        accredited_height: 1,
        updated_height: 1,
        removed: None,
        trace_approvers: None,
        last_audit_sequence: 0,
        counts: Default::default(),
    }
}

fn deactivated(holder: &Holder) -> DidState {
    let op = DidOperation::Deactivate(DeactivateOp {
        did: holder.state.did.clone(),
        previous: holder.state.last_operation,
        recovery_key: holder.recovery.public_key(),
    })
    .sign(&devnet_chain(), None, &holder.recovery)
    .unwrap();
    apply(&devnet_chain(), Some(&holder.state), &op).unwrap()
}

/// A credential of `issuer` to `holder` with the time claims of `times` (names and Unix
/// seconds), presented for this test's request.
fn presented(issuer: &Holder, holder: &Holder, times: &[(&str, i64)]) -> String {
    let mut claims = json!({
        "iss": issuer.state.did.as_str(),
        "sub": holder.state.did.as_str(),
        "vct": VCT,
        "province": "Jilin",
    });
    for (name, value) in times {
        claims[*name] = json!(value);
    }
    let credential = SdJwtBuilder::new(claims.as_object().unwrap().clone())
        .disclosable("/province")
        .holder_key(&holder.key.public_key())
        .header_param(
            "kid",
            json!(format!("{}#{}", issuer.state.did, KeyId::first().as_str())),
        )
        .sign(&KeySigner::new(issuer.key.clone()), "dc+sd-jwt")
        .unwrap()
        .to_compact();
    present(&credential, &["province"], &holder.key, NONCE, AUDIENCE)
}

/// The first check that fails for `presentation` under `registry`, at `now` (Unix seconds).
async fn judged(registry: &Registry, presentation: &str, now: i64) -> Option<R> {
    let checks = offline_checks(registry.clone(), VCT);
    let request = stored_request("lifecycle-1", NONCE, AUDIENCE, &["province"], now);
    match checks.verify(&request, presentation, now * 1000).await {
        Outcome::Verified(_) => None,
        Outcome::Failed(failure) => Some(failure.reason),
    }
}

#[tokio::test]
async fn credentials_outside_their_time_or_trust_are_refused_each_with_its_reason() {
    let (_, issuer) = create_did(Purposes::ASSERTION_METHOD);
    let (_, holder) = create_did(Purposes::AUTHENTICATION);
    let good = Registry {
        issuer: issuer.state.clone(),
        holder: holder.state.clone(),
        accreditation: Some(accredited(&issuer.state.did)),
    };
    let now = realdid_tests::unix_s();
    // Past every check this test controls: the next one is the status list, which these
    // credentials do not name.
    let passes = Some(R::StatusUnavailable);
    let mut cases: Vec<(String, Registry, Option<R>)> = Vec::new();
    let at = |times: &[(&str, i64)]| presented(&issuer, &holder, times);

    // Offsets past each bound, from a second to ten years.
    let past: Vec<i64> = (0..40).map(|i| 1 + (i * i * i * 5_000)).collect();
    for &by in &past {
        let exp = now - LEEWAY - by;
        cases.push((
            at(&[("iat", exp - 3600), ("exp", exp)]),
            good.clone(),
            Some(R::Expired),
        ));
        let nbf = now + LEEWAY + by;
        cases.push((
            at(&[("iat", now), ("nbf", nbf)]),
            good.clone(),
            Some(R::NotYetValid),
        ));
        let iat = now + LEEWAY + by;
        cases.push((at(&[("iat", iat)]), good.clone(), Some(R::NotYetValid)));
    }
    // Just inside each bound, by the leeway: these pass.
    for inside in [1, 5, 30] {
        let exp = now - LEEWAY + inside;
        cases.push((
            at(&[("iat", now - 3600), ("exp", exp)]),
            good.clone(),
            passes,
        ));
        cases.push((
            at(&[("iat", now), ("nbf", now + LEEWAY - inside)]),
            good.clone(),
            passes,
        ));
        cases.push((at(&[("iat", now + LEEWAY - inside)]), good.clone(), passes));
    }

    // Trust: the same valid credential under registries that do not vouch for its issuer.
    let valid = at(&[("iat", now - 60), ("exp", now + 3600)]);
    cases.push((valid.clone(), good.clone(), passes));
    let mut never = good.clone();
    never.accreditation = None;
    cases.push((valid.clone(), never, Some(R::IssuerNotAccredited)));
    for height in [2, 100, 10_000] {
        let mut removed = good.clone();
        let mut record = accredited(&issuer.state.did);
        record.removed = Some(Removal {
            height,
            reason: "withdrawn".into(),
        });
        removed.accreditation = Some(record);
        cases.push((valid.clone(), removed, Some(R::IssuerNotAccredited)));
    }
    for other in [
        "https://realdid.example/credentials/age",
        "",
        VCT.trim_end_matches('y'),
    ] {
        let mut elsewhere = good.clone();
        let mut record = accredited(&issuer.state.did);
        record.credential_types = vec![other.to_owned()];
        elsewhere.accreditation = Some(record);
        cases.push((valid.clone(), elsewhere, Some(R::IssuerNotAccredited)));
    }
    let mut issuer_gone = good.clone();
    issuer_gone.issuer = deactivated(&issuer);
    cases.push((valid.clone(), issuer_gone, Some(R::IssuerDidState)));
    let mut holder_gone = good.clone();
    holder_gone.holder = deactivated(&holder);
    cases.push((valid.clone(), holder_gone, Some(R::HolderDidState)));
    // Expired and from a removed issuer: the registry's verdict comes first.
    let mut removed = good.clone();
    removed.accreditation.as_mut().unwrap().removed = Some(Removal {
        height: 2,
        reason: "withdrawn".into(),
    });
    cases.push((
        at(&[("iat", now - 7200), ("exp", now - 3600)]),
        removed,
        Some(R::IssuerNotAccredited),
    ));

    assert!(cases.len() >= 130, "{} cases", cases.len());
    for (i, (presentation, registry, expected)) in cases.iter().enumerate() {
        let reason = judged(registry, presentation, now).await;
        assert_eq!(reason, *expected, "case {i}");
    }
}
