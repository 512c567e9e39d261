//! The services under faults while they carry load: a verifier whose Redis is killed and
//! started again fails closed while it is gone and recovers by itself; a verifier and a
//! wallet whose first registry node is killed and restarted keep working on proven state
//! from the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use realdid_issuer::provision::IDENTITY_VCT;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_tests::redis::OwnRedis;
use realdid_tests::verifier::{BANK, OPERATOR_TOKEN, authorized_as, present, start_verifier};
use tonic::transport::Channel;

use crate::shared_devnet::{CACHE, shared_devnet};
use crate::verifier_flow::credential;

/// What one presentation under load came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Came {
    Verified,
    /// A verdict that refused it, with its reason.
    Refused(pb::VerificationFailureReason),
    /// No verdict: the call ended with this status code (at `step`).
    Status(&'static str, tonic::Code, String),
}

/// The phases of the Redis outage, in order: a call is judged by the phases it began and
/// ended in, so that one in flight when Redis died or came back is judged as crossing.
const UP: u8 = 0;
const KILLING: u8 = 1;
const DOWN: u8 = 2;
const RESTARTING: u8 = 3;
const BACK: u8 = 4;

/// One presentation from request to verdict, as a provider and a wallet make it.
async fn one_presentation(
    verifier: &mut VerifierClient<Channel>,
    credential: &str,
    key: &realdid_core::keys::SigningKey,
) -> (Came, Option<(String, String)>) {
    let bank = BANK.audience();
    let created = verifier
        .create_presentation_request(authorized_as(
            BANK.token,
            pb::CreatePresentationRequestRequest {
                claims: vec!["province".into()],
                predicates: vec!["real_name_verified".into()],
                purpose: "open an account".into(),
                expiry_seconds: 0,
                credential_types: vec![],
            },
        ))
        .await;
    let r = match created {
        Ok(r) => r.into_inner(),
        Err(s) => return (Came::Status("create", s.code(), s.message().into()), None),
    };
    let p = present(
        credential,
        &["real_name_verified", "province"],
        key,
        &r.nonce,
        &bank,
    );
    let answer = verifier
        .verify_presentation(authorized_as(
            BANK.token,
            pb::VerifyPresentationRequest {
                request_id: r.request_id.clone(),
                presentation: p.clone(),
            },
        ))
        .await;
    let came = match answer.map(|a| a.into_inner().result) {
        Ok(Some(pb::verify_presentation_response::Result::Verified(_))) => Came::Verified,
        Ok(Some(pb::verify_presentation_response::Result::Failure(f))) => Came::Refused(f.reason()),
        Ok(None) => Came::Status("verify", tonic::Code::Internal, "no verdict".into()),
        Err(s) => Came::Status("verify", s.code(), s.message().into()),
    };
    (came, Some((r.request_id, p)))
}

/// A verifier that cannot record that a nonce was used must accept nothing, yet must not
/// need a restart when its Redis comes back. Under a steady load of presentations, the
/// replica's Redis is killed (SIGKILL), left down for three seconds and started again,
/// empty: every presentation begun and answered while it was down ends Unavailable, none
/// is verified, none waits long; once it is back, presentations verify again on the same
/// replica, its operators see the store down and then up, and a presentation verified
/// before the outage cannot be replayed after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_under_load_fails_closed_while_its_redis_is_down_and_recovers_by_itself() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 21).await;
    let mut redis = OwnRedis::start();
    let replica = start_verifier(
        &shared.net,
        Some(&redis.url()),
        "fault:",
        IDENTITY_VCT,
        CACHE,
    )
    .await;
    let channel = Channel::from_shared(replica.endpoint.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let phase = Arc::new(AtomicU8::new(UP));
    let running = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let mut verifier = VerifierClient::new(channel.clone());
            let (phase, running) = (phase.clone(), running.clone());
            let (credential, key) = (credential.clone(), holder.key.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while running.load(Ordering::SeqCst) {
                    let began = phase.load(Ordering::SeqCst);
                    let started = Instant::now();
                    let (came, made) = one_presentation(&mut verifier, &credential, &key).await;
                    let ended = phase.load(Ordering::SeqCst);
                    seen.push((began, ended, started.elapsed(), came, made));
                }
                seen
            })
        })
        .collect();
    let store_up = || {
        let mut admin = pb::verifier_admin_client::VerifierAdminClient::new(channel.clone());
        async move {
            admin
                .get_verifier_stats(authorized_as(
                    OPERATOR_TOKEN,
                    pb::GetVerifierStatsRequest {},
                ))
                .await
                .unwrap()
                .into_inner()
                .store
                .map(|s| (s.up, s.error))
        }
    };

    tokio::time::sleep(Duration::from_secs(2)).await;
    phase.store(KILLING, Ordering::SeqCst);
    redis.kill();
    phase.store(DOWN, Ordering::SeqCst);
    // The health check asks the store every two seconds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let while_down = store_up().await;
    phase.store(RESTARTING, Ordering::SeqCst);
    redis.start_again();
    phase.store(BACK, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(4)).await;
    running.store(false, Ordering::SeqCst);
    let mut seen = Vec::new();
    for worker in workers {
        seen.extend(worker.await.unwrap());
    }
    let after = store_up().await;

    let within = |from: u8, to: u8| {
        seen.iter()
            .filter(move |(began, ended, ..)| *began == from && *ended == to)
    };
    eprintln!(
        "presentations: {} before, {} while down, {} after; {} across phases",
        within(UP, UP).count(),
        within(DOWN, DOWN).count(),
        within(BACK, BACK).count(),
        seen.iter().filter(|(b, e, ..)| b != e).count()
    );
    // Before: every presentation verified.
    let before: Vec<_> = within(UP, UP).collect();
    assert!(
        before.len() >= 4,
        "{} presentations before the outage",
        before.len()
    );
    for (.., came, _) in &before {
        assert_eq!(*came, Came::Verified, "before the outage");
    }
    // Down: none verified, each Unavailable with the store named, each answered quickly.
    let down: Vec<_> = within(DOWN, DOWN).collect();
    assert!(
        down.len() >= 4,
        "{} presentations while Redis was down",
        down.len()
    );
    for (_, _, took, came, _) in &down {
        match came {
            Came::Status(_, tonic::Code::Unavailable, message) => assert!(
                message.contains("redis") || message.contains("store"),
                "the refusal does not name the store: {message}"
            ),
            other => panic!("while Redis was down: {other:?}"),
        }
        assert!(*took < Duration::from_secs(5), "a call waited {took:?}");
    }
    assert_eq!(
        while_down.as_ref().map(|(up, _)| *up),
        Some(false),
        "its operators see the store down: {while_down:?}"
    );
    // Back: verified again, and nothing but verified after the first.
    let back: Vec<_> = within(BACK, BACK).collect();
    let first = back
        .iter()
        .position(|(.., came, _)| *came == Came::Verified)
        .unwrap_or_else(|| panic!("nothing verified after Redis came back: {back:?}"));
    let verified_back = back.len() - first;
    assert!(
        verified_back >= 4,
        "{verified_back} verified after the outage"
    );
    for (.., came, _) in &back[first..] {
        assert_eq!(*came, Came::Verified, "after the recovery");
    }
    assert_eq!(
        after.map(|(up, _)| up),
        Some(true),
        "the store is seen up again"
    );
    // Across phases, only verdicts of the phase or Unavailable: nothing else broke.
    for (began, ended, _, came, _) in &seen {
        if began != ended {
            assert!(
                matches!(
                    came,
                    Came::Verified
                        | Came::Status(_, tonic::Code::Unavailable, _)
                        | Came::Refused(pb::VerificationFailureReason::RequestUnknown)
                ),
                "a presentation begun in phase {began} and answered in {ended}: {came:?}"
            );
        }
    }
    // A presentation verified before the outage is not verified again: Redis lost the
    // request with everything else, so its id is unknown.
    let (_, _, _, _, made) = before[0];
    let (request_id, presentation) = made.clone().unwrap();
    let mut verifier = VerifierClient::new(channel.clone());
    let replayed = verifier
        .verify_presentation(authorized_as(
            BANK.token,
            pb::VerifyPresentationRequest {
                request_id,
                presentation,
            },
        ))
        .await
        .map(|a| a.into_inner().result);
    assert!(
        !matches!(
            replayed,
            Ok(Some(pb::verify_presentation_response::Result::Verified(_)))
        ),
        "a replay after the outage was verified"
    );
}

/// A registry node that dies under the verifier and the wallet must cost them nothing but a
/// failover: on a devnet of its own, node 0 (first in every client's list) is killed
/// (SIGKILL) while presentations and wallet DID creations flow, left down for four seconds
/// and restarted. Every presentation is verified, each on state proven by the others; every
/// DID the wallet created is confirmed by a proven read; and after the restart node 0
/// itself proves every one of those DIDs, so it lost nothing the others finalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_node_killed_under_the_verifier_and_the_wallet_costs_them_a_failover() {
    use realdid_registry_client::gateway::RegistryGateway;
    use realdid_registry_client::light_client::LightClient;
    use realdid_tests::chain::Devnet;
    use realdid_tests::issuer::IssuerStack;
    use realdid_wallet::Wallet;
    use realdid_wallet::keystore::KdfParams;

    let _serial = crate::serial().await;
    let mut net = Devnet::running(4, &realdid_registry::devnet::devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 2, 1).await;
    BANK.register(&net).await;
    let (credential, holder) = credential(&net, &stack, 0).await;
    // Caches of 200 ms: under the load, the verifier reads the chain again and again.
    let replica = start_verifier(&net, None, "", IDENTITY_VCT, Duration::from_millis(200)).await;
    let channel = Channel::from_shared(replica.endpoint.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let light = LightClient::for_genesis(net.layout.genesis());
    let gateway = RegistryGateway::new(&net.endpoints(), light.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut wallet = Wallet::create(
        &dir.path().join("wallet"),
        "pass phrase",
        KdfParams::MINIMUM,
    )
    .unwrap();

    let running = Arc::new(AtomicBool::new(true));
    let presenting = {
        let mut verifier = VerifierClient::new(channel.clone());
        let running = running.clone();
        let key = holder.key.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while running.load(Ordering::SeqCst) {
                seen.push(one_presentation(&mut verifier, &credential, &key).await.0);
            }
            seen
        })
    };
    let creating = {
        let running = running.clone();
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let mut created = Vec::new();
            while running.load(Ordering::SeqCst) {
                created.push(realdid_wallet::dids::create(&mut wallet, &gateway, None).await);
            }
            (created, wallet)
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    net.supervisor.kill(0).unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    net.supervisor.start(0).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    running.store(false, Ordering::SeqCst);
    let seen = presenting.await.unwrap();
    let (created, wallet) = creating.await.unwrap();

    eprintln!(
        "{} presentations and {} DID creations across the restart",
        seen.len(),
        created.len()
    );
    assert!(seen.len() >= 10, "{} presentations", seen.len());
    for (i, came) in seen.iter().enumerate() {
        assert_eq!(*came, Came::Verified, "presentation {i} of {}", seen.len());
    }
    let dids: Vec<_> = created
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("wallet creation {i}: {e}")))
        .collect();
    assert!(dids.len() >= 3, "{} DIDs created", dids.len());
    for did in &dids {
        let entry = wallet.contents().did(did).unwrap();
        assert!(entry.version >= 1, "{did} left unconfirmed in the wallet");
    }
    // Node 0 catches up and proves every one of them from its own state.
    let tip = net.wait_height(1, 0, Duration::from_secs(30)).await.height;
    net.wait_height(0, tip, Duration::from_secs(90)).await;
    let mut node0 = net.client(0).await;
    for did in &dids {
        let answer = realdid_tests::chain::resolve(&mut node0, did, None).await;
        let (_, record) = light
            .verify_did(did, &answer.proof.unwrap())
            .expect("node 0's proof checks");
        assert!(
            record.is_some(),
            "{did} missing on node 0 after its restart"
        );
    }
    net.supervisor.stop_all(Duration::from_secs(5)).unwrap();
}

/// An issuer killed in the middle of enrolments must neither lose a citizen's credential nor
/// issue one twice, nor leave one without its record. Six citizens' wallets enrol six DIDs
/// each, one after another, all at once, through an issuer running as its own process; it
/// is killed (SIGKILL) four times at random moments while they do, and restarted each
/// time. The wallets ask again on their own. Afterwards every enrolment has succeeded, each
/// DID is bound to exactly one credential at the issuer, the one its wallet holds, valid,
/// of the enrolment the wallet was told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_killed_mid_enrolment_issues_each_credential_once_with_its_record() {
    use rand::{RngExt as _, SeedableRng as _};
    use realdid_registry_client::gateway::RegistryGateway;
    use realdid_registry_client::light_client::LightClient;
    use realdid_wallet::Wallet;
    use realdid_wallet::contents::Origin;
    use realdid_wallet::issuer_link::{Identity, IssuerLink};
    use realdid_wallet::keystore::KdfParams;

    const CITIZENS: usize = 6;
    const EACH: usize = 6;
    let shared = shared_devnet().await;
    let mut stack = crate::shared_devnet::own_issuer(&shared.net, 1).await;
    let light = LightClient::for_genesis(shared.net.layout.genesis());
    let gateway = RegistryGateway::new(&shared.net.endpoints(), light).unwrap();
    // Each citizen's wallet and DIDs, on chain before the issuer is disturbed.
    let dir = tempfile::tempdir().unwrap();
    let wallets = futures::future::join_all((0..CITIZENS).map(|c| {
        let path = dir.path().join(format!("wallet-{c}"));
        let gateway = gateway.clone();
        async move {
            let mut wallet = Wallet::create(&path, "pass phrase", KdfParams::MINIMUM).unwrap();
            let mut dids = Vec::new();
            for _ in 0..EACH {
                dids.push(
                    realdid_wallet::dids::create(&mut wallet, &gateway, None)
                        .await
                        .unwrap(),
                );
            }
            (wallet, dids)
        }
    }))
    .await;

    let mut issuer = stack.run_as_process().await;
    let endpoint = stack.endpoint.clone();
    let enrolments: Vec<_> = wallets
        .into_iter()
        .enumerate()
        .map(|(c, (mut wallet, dids))| {
            let person = &stack.people[c];
            let identity = Identity {
                full_name: person.full_name.clone(),
                resident_id: person.resident_id.clone(),
                evidence_token: person.evidence_token.clone(),
            };
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut link = None;
                for _ in 0..200 {
                    if let Ok(l) = IssuerLink::connect(&endpoint).await {
                        link = Some(l);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let mut link = link.expect("the issuer process answers");
                let mut done = Vec::new();
                for did in &dids {
                    let enrolled = link
                        .enrol(&mut wallet, &identity, std::slice::from_ref(did))
                        .await;
                    done.push((did.clone(), enrolled, Instant::now()));
                }
                (wallet, done)
            })
        })
        .collect();
    // The kills, at random moments while the enrolments run (seeded: a failure replays).
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x1DEA_D155);
    let mut first_kill = None;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(rng.random_range(300..900))).await;
        issuer.kill();
        first_kill.get_or_insert_with(Instant::now);
        tokio::time::sleep(Duration::from_millis(100)).await;
        issuer.start_again();
    }
    let mut results = Vec::new();
    for enrolment in enrolments {
        results.push(enrolment.await.unwrap());
    }
    let log = issuer.log();
    drop(issuer);
    let first_kill = first_kill.unwrap();

    // Every enrolment succeeded, some of them only after a kill.
    let mut after_a_kill = 0;
    for (_, done) in &results {
        for (did, enrolled, at) in done {
            let enrolled = enrolled.as_ref().unwrap_or_else(|e| {
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                panic!("{did}: {e}\nissuer log:\n{tail}")
            });
            assert_eq!(enrolled.len(), 1);
            after_a_kill += usize::from(*at > first_kill);
        }
    }
    assert!(
        after_a_kill > 0,
        "every enrolment ended before the first kill"
    );
    eprintln!(
        "{after_a_kill} of {} enrolments ended after the first kill; {} answers given again",
        CITIZENS * EACH,
        log.matches("its credentials given again").count()
    );
    // Each DID is bound to one credential at the issuer: the one its wallet holds.
    stack.start_issuer_again().await;
    let store = stack.issuer().store();
    for (wallet, done) in &results {
        for (did, ..) in done {
            let held: Vec<_> = wallet
                .contents()
                .credentials
                .iter()
                .filter(|c| c.did == *did)
                .collect();
            assert_eq!(
                held.len(),
                1,
                "{did}: {} credentials in its wallet",
                held.len()
            );
            let Origin::Enrolment {
                enrolment_id,
                credential_id,
            } = &held[0].origin
            else {
                panic!("{did}: not from an enrolment")
            };
            let bound = store.did_credentials(did.as_str()).unwrap();
            assert_eq!(bound, vec![credential_id.clone()], "{did} at the issuer");
            let record = store.credential(credential_id).unwrap().unwrap();
            assert_eq!(record.enrolment_id, *enrolment_id);
            assert!(
                record.is_live(realdid_tests::unix_ms()),
                "{did}: {record:?}"
            );
            let enrolment = store.enrolment(enrolment_id).unwrap().unwrap();
            assert_eq!(enrolment.credential_ids, vec![credential_id.clone()]);
        }
    }
}
