//! Linking a citizen's credentials by their times. The credentials of one enrolment were
//! all signed in the same second and carried that second as `iat`/`nbf` and a matching
//! `exp`, which the verifier passed on to providers: two providers comparing what they
//! were shown could tell that two pairwise DIDs belong to one person.

use std::time::Duration;

use realdid_core::jws::CompactJws;
use realdid_proto::v1 as pb;
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::unix_s;
use realdid_tests::verifier::{present_once, start_verifier};

use crate::serial;

const DAY_S: i64 = 86_400;

/// `iat`, `nbf`, `exp` of a credential as signed.
fn times(credential: &str) -> [i64; 3] {
    let jws = CompactJws::parse(credential.split('~').next().unwrap()).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(jws.payload()).unwrap();
    ["iat", "nbf", "exp"].map(|name| payload[name].as_i64().expect(name))
}

fn today() -> i64 {
    unix_s() / DAY_S
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_times_do_not_tell_one_enrolment_from_another() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let day = today();
    let (bank_did, shop_did, other_did) = (
        holder_did(&net).await,
        holder_did(&net).await,
        holder_did(&net).await,
    );
    let mine = stack
        .enrol(0, &[&bank_did, &shop_did])
        .await
        .expect("enrolled");
    // Someone else, enrolled a moment later.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let theirs = stack.enrol(1, &[&other_did]).await.expect("enrolled");

    let signed: Vec<[i64; 3]> = mine
        .credentials
        .iter()
        .chain(&theirs.credentials)
        .map(|c| times(&c.sd_jwt_vc))
        .collect();
    for [iat, nbf, exp] in &signed {
        assert_eq!(iat % DAY_S, 0, "iat {iat} is not the start of a day");
        assert_eq!(nbf, iat);
        assert_eq!(exp % DAY_S, 0, "exp {exp} is not the start of a day");
    }
    if today() == day {
        // Enrolled the same day, a second apart: the same times as the other person's.
        assert!(
            signed.iter().all(|t| *t == signed[0]),
            "times differ: {signed:?}"
        );
    }

    // What providers are told: the days, nothing finer.
    let replica = start_verifier(
        &net,
        None,
        "times:",
        realdid_issuer::provision::IDENTITY_VCT,
        Duration::from_secs(1),
    )
    .await;
    for (credential, holder) in [
        (&mine.credentials[0], &bank_did),
        (&mine.credentials[1], &shop_did),
    ] {
        match present_once(&replica.endpoint, &credential.sd_jwt_vc, &holder.key).await {
            pb::verify_presentation_response::Result::Verified(v) => {
                assert_eq!(v.issued_at_unix_ms % (DAY_S * 1000), 0, "{v:?}");
                let expires = v.expires_at_unix_ms.expect("an expiry");
                assert_eq!(expires % (DAY_S * 1000), 0, "{v:?}");
            }
            pb::verify_presentation_response::Result::Failure(f) => panic!("{f:?}"),
        }
    }
}
