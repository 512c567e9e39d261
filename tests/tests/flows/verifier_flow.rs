//! The verifier end to end, over the shared devnet and its issuer, with two verifier replicas
//! sharing a real Redis: a valid presentation passes and yields only what was asked; a replay
//! is refused by either replica; the subject id links a person for one provider only;
//! presentations made by other SD-JWT implementations are judged alike; each kind of bad
//! presentation is refused with its reason; a revoked credential and an issuer no longer
//! accredited are refused once the caches age; and with its Redis gone a replica fails
//! closed.
//!
//! Tests that move a replica's clock or take its Redis away run a replica of their own;
//! the one that withdraws an issuer's accreditation runs an issuer of its own (see
//! [`crate::shared_devnet`]).

use std::time::Duration;

use realdid_core::codec::GovernanceAction;
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_issuer::provision::IDENTITY_VCT;
use realdid_proto::v1 as pb;
use realdid_proto::v1::verifier_client::VerifierClient;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_tests::chain::{Devnet, Holder, governance_nonce};
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::redis::OwnRedis;
use realdid_tests::verifier::{
    BANK, PROVIDER_TOKEN, Reference, SHOP, VerifierReplica, present, present_with_reference,
    start_verifier,
};
use realdid_verifier::client::ProviderClient;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::{FailureReason, Outcome};
use tonic::transport::Channel;

use crate::shared_devnet::{CACHE, REDIS, Shared, own_issuer, shared_devnet};

fn authorized<T>(message: T) -> tonic::Request<T> {
    authorized_for(&BANK.audience(), message)
}

/// `message` with the bearer token of the provider whose DID is `audience`.
fn authorized_for<T>(audience: &str, message: T) -> tonic::Request<T> {
    let token = if audience == SHOP.audience() {
        SHOP.token
    } else {
        PROVIDER_TOKEN
    };
    realdid_tests::verifier::authorized_as(token, message)
}

async fn client(endpoint: &str) -> VerifierClient<Channel> {
    for _ in 0..100 {
        if let Ok(c) = VerifierClient::connect(endpoint.to_owned()).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no verifier on {endpoint}")
}

async fn request(
    verifier: &mut VerifierClient<Channel>,
    audience: &str,
    expiry_seconds: u32,
) -> pb::CreatePresentationRequestResponse {
    verifier
        .create_presentation_request(authorized_for(
            audience,
            pb::CreatePresentationRequestRequest {
                claims: vec!["province".into()],
                predicates: vec!["real_name_verified".into()],
                purpose: "open an account".into(),
                expiry_seconds,
                credential_types: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn verify(
    verifier: &mut VerifierClient<Channel>,
    request_id: &str,
    presentation: &str,
) -> Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)> {
    let answer = verifier
        .verify_presentation(authorized(pb::VerifyPresentationRequest {
            request_id: request_id.into(),
            presentation: presentation.into(),
        }))
        .await
        .unwrap()
        .into_inner();
    match answer.result.unwrap() {
        pb::verify_presentation_response::Result::Verified(v) => Ok(v),
        pb::verify_presentation_response::Result::Failure(f) => {
            eprintln!("refused: {:?}: {}", f.reason(), f.message);
            Err((f.reason(), f.claim))
        }
    }
}

/// A fresh request for `audience` on `verifier`, answered with `credential` disclosing
/// `reveal`, key-bound by `key` for `kb_audience`, and the verdict. The presentation is made
/// by `reference` (an SD-JWT implementation that is not realdid's) when given, else by
/// realdid's wallet code.
async fn attempt(
    reference: Option<Reference>,
    verifier: &mut VerifierClient<Channel>,
    audience: &str,
    credential: &str,
    reveal: &[&str],
    key: &SigningKey,
    kb_audience: &str,
) -> Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)> {
    let r = request(verifier, audience, 0).await;
    let p = match reference {
        Some(implementation) => present_with_reference(
            implementation,
            credential,
            reveal,
            key,
            &r.nonce,
            kb_audience,
        ),
        None => present(credential, reveal, key, &r.nonce, kb_audience),
    };
    verify(verifier, &r.request_id, &p).await
}

fn reason(
    result: Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)>,
) -> pb::VerificationFailureReason {
    match result {
        Ok(v) => panic!(
            "expected a refusal, got a verified presentation from {}",
            v.issuer_did
        ),
        Err((r, _)) => r,
    }
}

/// A credential of `stack`'s person `who` on a new DID of theirs, and its holder.
pub(crate) async fn credential(net: &Devnet, stack: &IssuerStack, who: usize) -> (String, Holder) {
    let holder = holder_did(net).await;
    let issued = match stack.enrol(who, &[&holder]).await {
        Ok(issued) => issued,
        Err(r) => panic!("refused: {}", r.message),
    };
    (issued.credentials[0].sd_jwt_vc.clone(), holder)
}

/// A replica of the shared devnet's verifier of the calling test's own (the same Redis and
/// prefix), whose clock the test may move; it stops with the test.
async fn own_replica(shared: &Shared) -> VerifierReplica {
    replica_caching(shared, CACHE).await
}

/// A replica of the test's own whose caches live `cache`.
async fn replica_caching(shared: &Shared, cache: Duration) -> VerifierReplica {
    start_verifier(
        &shared.net,
        Some(REDIS),
        &shared.redis_prefix,
        IDENTITY_VCT,
        cache,
    )
    .await
}

/// A presentation of `credential` to the bank, disclosing what the bank asks.
async fn bank_attempt(
    verifier: &mut VerifierClient<Channel>,
    credential: &str,
    key: &SigningKey,
) -> Result<pb::VerifiedPresentation, (pb::VerificationFailureReason, String)> {
    let bank = BANK.audience();
    let both = ["real_name_verified", "province"];
    attempt(None, verifier, &bank, credential, &both, key, &bank).await
}

/// A provider learns only what it asked for, even when the wallet discloses more; and a
/// wallet can fetch the request it answers by its id without credentials, but only until it
/// is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_presentation_yields_only_what_was_asked() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 10).await;
    let issuer_did = shared.issuer.issuer().did().to_string();
    let mut a = client(&shared.replicas[0].endpoint).await;
    let bank_did = BANK.audience();
    let bank = bank_did.as_str();

    let r = request(&mut a, bank, 0).await;
    // The request on the wallet's side: the same object by id, without authentication.
    let got = a
        .get_request(pb::GetRequestRequest {
            request_id: r.request_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.request_object, r.request_object);
    assert_eq!(r.client_id, bank);
    // `city` is disclosed too, and was not asked for.
    let p = present(
        &credential,
        &["real_name_verified", "province", "city"],
        &holder.key,
        &r.nonce,
        bank,
    );
    let v = verify(&mut a, &r.request_id, &p)
        .await
        .expect("a valid presentation passes");
    assert_eq!(v.claims.keys().collect::<Vec<_>>(), vec!["province"]);
    assert!(
        v.claims["province"].starts_with('"'),
        "claim values are JSON text"
    );
    assert_eq!(v.predicates, vec!["real_name_verified".to_owned()]);
    assert_eq!(v.issuer_did, issuer_did);
    assert!(v.registry_height > 0);
    // Once answered, the request is no longer handed to wallets.
    let answered = a
        .get_request(pb::GetRequestRequest {
            request_id: r.request_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(answered.code(), tonic::Code::NotFound);
    assert!(
        answered.message().contains("already answered"),
        "{answered:?}"
    );
}

/// A presentation overheard or replayed must not pass a second time, whichever replica of
/// the verifier it is sent to (they share the requests through Redis); and once a request
/// has its verdict, whatever comes for it later is a replay that costs no verification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presentation_passes_once_on_either_replica() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 11).await;
    let mut a = client(&shared.replicas[0].endpoint).await;
    let mut b = client(&shared.replicas[1].endpoint).await;
    let bank = BANK.audience();

    let r = request(&mut a, &bank, 0).await;
    let p = present(
        &credential,
        &["real_name_verified", "province"],
        &holder.key,
        &r.nonce,
        &bank,
    );
    verify(&mut a, &r.request_id, &p)
        .await
        .expect("a valid presentation passes");
    assert_eq!(
        reason(verify(&mut a, &r.request_id, &p).await),
        pb::VerificationFailureReason::NonceReplayed
    );
    assert_eq!(
        reason(verify(&mut b, &r.request_id, &p).await),
        pb::VerificationFailureReason::NonceReplayed
    );
    assert_eq!(
        reason(verify(&mut b, &r.request_id, "not a presentation").await),
        pb::VerificationFailureReason::NonceReplayed
    );
}

/// A provider may recognise a returning customer, but two providers must not be able to
/// link their customers: the subject id is the same for one provider on any replica (and
/// through the provider's typed client), and differs for another provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subject_id_is_stable_for_a_provider_and_differs_between_providers() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 12).await;
    let mut a = client(&shared.replicas[0].endpoint).await;
    let bank_did = BANK.audience();
    let bank = bank_did.as_str();
    let shop_did = SHOP.audience();
    let shop = shop_did.as_str();
    let v = bank_attempt(&mut a, &credential, &holder.key)
        .await
        .expect("a valid presentation passes");

    let mut provider = ProviderClient::connect(shared.replicas[1].endpoint.clone(), PROVIDER_TOKEN)
        .await
        .unwrap();
    let r2 = provider
        .create_request(&RequestSpec {
            claims: vec!["province".into()],
            predicates: vec!["real_name_verified".into()],
            purpose: "open an account".into(),
            ..RequestSpec::default()
        })
        .await
        .unwrap();
    let p2 = present(
        &credential,
        &["real_name_verified", "province"],
        &holder.key,
        &r2.nonce,
        bank,
    );
    let Outcome::Verified(v2) = provider.verify(&r2.request_id, &p2).await.unwrap() else {
        panic!("the typed client's verification failed")
    };
    assert_eq!(v2.subject_id, v.subject_id);
    assert!(matches!(
        provider.verify(&r2.request_id, &p2).await.unwrap(),
        Outcome::Failed(f) if f.reason == FailureReason::NonceReplayed
    ));
    let r3 = request(&mut a, shop, 0).await;
    let p3 = present(
        &credential,
        &["real_name_verified", "province"],
        &holder.key,
        &r3.nonce,
        shop,
    );
    let v3 = a
        .verify_presentation(authorized_for(
            shop,
            pb::VerifyPresentationRequest {
                request_id: r3.request_id.clone(),
                presentation: p3,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::verify_presentation_response::Result::Verified(v3)) = v3.result else {
        panic!("the shop's presentation failed: {v3:?}")
    };
    assert_ne!(v3.subject_id, v.subject_id);
}

/// Wallets are not all realdid's: presentations made by independent SD-JWT implementations
/// (Python and JavaScript) are accepted when valid and refused with the right reason when
/// not, exactly as realdid's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presentations_by_other_implementations_are_judged_alike() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 13).await;
    let mut a = client(&shared.replicas[0].endpoint).await;
    let bank_did = BANK.audience();
    let bank = bank_did.as_str();
    let shop_did = SHOP.audience();
    let shop = shop_did.as_str();

    for implementation in Reference::ALL {
        let by = Some(implementation);
        let both = ["real_name_verified", "province"];
        let key = &holder.key;
        let v = attempt(by, &mut a, bank, &credential, &both, key, bank)
            .await
            .unwrap_or_else(|e| panic!("a {implementation:?} presentation passes: {e:?}"));
        assert_eq!(v.claims.keys().collect::<Vec<_>>(), vec!["province"]);
        assert_eq!(
            reason(attempt(by, &mut a, bank, &credential, &both, key, shop).await),
            pb::VerificationFailureReason::AudienceMismatch,
            "{implementation:?}"
        );
        assert_eq!(
            reason(attempt(by, &mut a, bank, &credential, &both[..1], key, bank).await),
            pb::VerificationFailureReason::PolicyClaimMissing,
            "{implementation:?}"
        );
    }
}

/// A provider (and the citizen who calls its support line) must be told why a presentation
/// failed: a tampered disclosure, the wrong audience, a key that is not the holder's, a
/// claim withheld and a request answered too late are each refused with their own reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_presentation_is_refused_with_its_reason() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 14).await;
    // A replica of its own: this test moves its clock.
    let replica = own_replica(&shared).await;
    let mut a = client(&replica.endpoint).await;
    let bank_did = BANK.audience();
    let bank = bank_did.as_str();
    let shop_did = SHOP.audience();
    let shop = shop_did.as_str();
    let both = ["real_name_verified", "province"];

    // A tampered disclosure.
    let r = request(&mut a, bank, 0).await;
    let good = present(&credential, &both, &holder.key, &r.nonce, bank);
    let mut parts: Vec<String> = good.split('~').map(str::to_owned).collect();
    let mut bytes = parts[1].clone().into_bytes();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    parts[1] = String::from_utf8(bytes).unwrap();
    let tampered = parts.join("~");
    assert_eq!(
        reason(verify(&mut a, &r.request_id, &tampered).await),
        pb::VerificationFailureReason::Malformed
    );

    // The wrong audience.
    assert_eq!(
        reason(attempt(None, &mut a, bank, &credential, &both, &holder.key, shop).await),
        pb::VerificationFailureReason::AudienceMismatch
    );

    // Holder binding by another key.
    let stranger = SigningKey::generate(Algorithm::EdDsa).unwrap();
    assert_eq!(
        reason(attempt(None, &mut a, bank, &credential, &both, &stranger, bank).await),
        pb::VerificationFailureReason::HolderBinding
    );

    // A required claim hidden.
    assert_eq!(
        attempt(
            None,
            &mut a,
            bank,
            &credential,
            &["real_name_verified"],
            &holder.key,
            bank
        )
        .await
        .unwrap_err(),
        (
            pb::VerificationFailureReason::PolicyClaimMissing,
            "province".to_owned()
        )
    );

    // An expired request: the replica's clock moves past its expiry.
    let r = request(&mut a, bank, 1).await;
    replica.clock.advance(Duration::from_millis(1_100));
    let p = present(&credential, &both, &holder.key, &r.nonce, bank);
    assert_eq!(
        reason(verify(&mut a, &r.request_id, &p).await),
        pb::VerificationFailureReason::RequestExpired
    );
}

/// A credential its verifier replica has seen valid, for a test that then revokes it.
struct Seen {
    stack: IssuerStack,
    holder: Holder,
    credential: pb::IssuedCredential,
    replica: VerifierReplica,
    verifier: VerifierClient<Channel>,
}

/// An issuer and a replica of the test's own (the test changes the issuer's status list,
/// and a verifier that reads a list and its anchor while they change refuses as
/// unavailable; it moves the replica's clock), and a credential the replica accepts.
async fn seen_valid(shared: &Shared) -> Seen {
    seen_valid_caching(shared, CACHE).await
}

/// [`seen_valid`] with a replica whose caches live `cache`.
async fn seen_valid_caching(shared: &Shared, cache: Duration) -> Seen {
    let net = &shared.net;
    let (stack, holder) = tokio::join!(own_issuer(net, 1), holder_did(net));
    let mut issued = match stack.enrol(0, &[&holder]).await {
        Ok(issued) => issued,
        Err(r) => panic!("refused: {}", r.message),
    };
    let credential = issued.credentials.remove(0);
    let replica = replica_caching(shared, cache).await;
    let mut verifier = client(&replica.endpoint).await;
    bank_attempt(&mut verifier, &credential.sd_jwt_vc, &holder.key)
        .await
        .expect("valid before the revocation");
    Seen {
        stack,
        holder,
        credential,
        replica,
        verifier,
    }
}

/// A revocation must reach verifiers within their cache bound: a replica that saw the
/// credential valid refuses it as revoked once its cache of the status list has aged out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_credential_is_refused_once_the_status_cache_ages_out() {
    let shared = shared_devnet().await;
    let Seen {
        stack,
        holder,
        credential,
        replica,
        verifier: mut a,
    } = seen_valid(&shared).await;
    let credential = &credential;

    stack
        .revoke(&credential.credential_id)
        .await
        .expect("the officer revokes");
    replica.clock.advance(CACHE + Duration::from_millis(200));
    assert_eq!(
        reason(bank_attempt(&mut a, &credential.sd_jwt_vc, &holder.key).await),
        pb::VerificationFailureReason::Revoked
    );
}

/// An operator revokes from the console: `:revoke`, confirmed with `y`, anchored on chain;
/// the verifier then refuses the credential as revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_made_in_the_console_is_refused_by_the_verifier() {
    // Long enough for the console to see the verifier still holding the list it checked
    // before the revocation (it polls once a second); shorter than the freshness bound
    // (30 s), so that moving the replica's clock past it leaves its registry reads fresh.
    const CONSOLE_CACHE: Duration = Duration::from_secs(20);
    use realdid_tests::terminal::{Terminal, height};

    let shared = shared_devnet().await;
    let net = &shared.net;
    let Seen {
        stack,
        holder,
        credential,
        replica,
        mut verifier,
    } = seen_valid_caching(&shared, CONSOLE_CACHE).await;
    let credential = &credential;

    // The operator's session, as `realdid issuer login` leaves it.
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("session");
    let token = stack.officer_session(&mut stack.client().await).await;
    std::fs::write(&session, token).unwrap();
    let operator_token = dir.path().join("verifier-operator-token");
    std::fs::write(&operator_token, realdid_tests::verifier::OPERATOR_TOKEN).unwrap();
    let console = Terminal::start(&format!(
        "{} tui --genesis {} --registry {} --issuer-endpoint {} --session-file {} \
         --verifier-endpoint {} --verifier-token-file {}",
        realdid_tests::realdid_binary().display(),
        net.layout.genesis_path().display(),
        net.endpoints().join(","),
        stack.endpoint,
        session.display(),
        replica.endpoint,
        operator_token.display()
    ));
    console
        .wait_for("the chain", |s| height(s).is_some_and(|h| h > 0))
        .await;
    console.type_text(&format!(
        ":revoke {} fraud forged documents",
        credential.credential_id
    ));
    console.keys(&["Enter"]);
    console
        .wait_for("the confirmation", |s| {
            s.contains("revoke (fraud) credential")
        })
        .await;
    console.type_text("y");
    let done = console
        .wait_for("the revocation anchored", |s| {
            s.contains("anchored at height")
        })
        .await;
    assert!(done.contains(&credential.credential_id), "{done}");
    // The verifier still holds the list it checked before the revocation: the console
    // says it may answer from it for a while yet.
    console
        .wait_for("the verifier not seeing it yet", |s| {
            s.contains("verifiers: #1 within")
        })
        .await;
    // The same session lists the issuer's trace requests (none for this issuer).
    console.type_text("5");
    console
        .wait_for("the trace requests", |s| s.contains("lawful traces (0)"))
        .await;

    replica
        .clock
        .advance(CONSOLE_CACHE + Duration::from_millis(200));
    assert_eq!(
        reason(bank_attempt(&mut verifier, &credential.sd_jwt_vc, &holder.key).await),
        pb::VerificationFailureReason::Revoked
    );
    // Once it has read the list again, the console says the verifier sees the revocation,
    // and its own figures count the refusal, its store and the registry answering.
    console.type_text("4");
    console
        .wait_for("the verifier seeing it", |s| {
            s.contains("verifiers: #1 sees it")
        })
        .await;
    // The same view shows the issuer's own figures and its audit log, the revocation in it.
    console
        .wait_for("the issuer's figures and its log", |s| {
            s.contains("issuer says:") && s.contains("REVOCATION_REASON_FRAUD")
        })
        .await;
    console.type_text(&format!(":credential {}", credential.credential_id));
    console.keys(&["Enter"]);
    console
        .wait_for("the credential's standing", |s| {
            s.contains("REVOKED REVOCATION_REASON_FRAUD")
        })
        .await;
    // The issuers view lists the issuer's status lists with their latest anchors, proven.
    console.type_text("3");
    console
        .wait_for("the issuer's list anchors", |s| {
            s.contains("status lists, latest anchors (each proven)") && s.contains("list sha256")
        })
        .await;
    console.type_text("6");
    let figures = console
        .wait_for("the verifier's figures", |s| {
            s.contains("own report") && s.contains("revoked") && s.contains("store UP")
        })
        .await;
    assert!(figures.contains("registry UP"), "{figures}");
}

/// The verifier's operator service answers its operators only (a provider's token opens
/// nothing there), counts each verdict by reason with its latency, and shows the status
/// list it holds moving past a revocation's anchor once its cache aged out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verifiers_figures_are_its_operators_and_follow_its_verdicts() {
    use realdid_proto::v1::verifier_admin_client::VerifierAdminClient;
    use realdid_tests::verifier::{OPERATOR_TOKEN, authorized_as};
    // The list stays held while the figures are read, however slow the machine; shorter
    // than the freshness bound, so that moving the clock past it keeps reads fresh.
    const HELD: Duration = Duration::from_secs(20);

    let shared = shared_devnet().await;
    let Seen {
        stack,
        holder,
        credential,
        replica,
        mut verifier,
    } = seen_valid_caching(&shared, HELD).await;
    let mut admin = VerifierAdminClient::connect(replica.endpoint.clone())
        .await
        .unwrap();
    for (token, who) in [(None, "nobody"), (Some(PROVIDER_TOKEN), "a provider")] {
        let request = match token {
            Some(token) => authorized_as(token, pb::GetVerifierStatsRequest {}),
            None => tonic::Request::new(pb::GetVerifierStatsRequest {}),
        };
        let refused = admin.get_verifier_stats(request).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{who}");
    }
    let stats = || {
        let mut admin = admin.clone();
        async move {
            admin
                .get_verifier_stats(authorized_as(
                    OPERATOR_TOKEN,
                    pb::GetVerifierStatsRequest {},
                ))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let issuer = stack.provisioned.keys.did().to_string();
    let before = stats().await;
    assert_eq!(before.verdicts.get("VERIFIED"), Some(&1), "{before:?}");
    let decided: u64 = before.latency.as_ref().unwrap().counts.iter().sum();
    assert_eq!(decided, 1, "each verdict is timed once");
    assert!(
        before.store.as_ref().unwrap().up,
        "the store was asked before serving"
    );
    let held = before
        .status_lists
        .iter()
        .find(|l| l.issuer_did == issuer)
        .expect("the issuer's list is held")
        .clone();
    assert_eq!((held.revoked, held.suspended), (0, 0));

    let revoked = stack.revoke(&credential.credential_id).await.unwrap();
    let anchored = revoked.anchors.iter().map(|a| a.height).max().unwrap();
    assert!(held.proven_height < anchored);
    replica.clock.advance(HELD + Duration::from_millis(200));
    assert_eq!(
        reason(bank_attempt(&mut verifier, &credential.sd_jwt_vc, &holder.key).await),
        pb::VerificationFailureReason::Revoked
    );
    let after = stats().await;
    assert_eq!(
        after.verdicts.get("VERIFICATION_FAILURE_REASON_REVOKED"),
        Some(&1),
        "{after:?}"
    );
    let now = after
        .status_lists
        .iter()
        .find(|l| l.issuer_did == issuer)
        .expect("the issuer's list is held");
    assert!(now.proven_height >= anchored && now.revoked == 1, "{now:?}");
    // The registry is read on its own every 2 s, whether presentations come or not.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let s = stats().await;
        if s.registry_height >= anchored && s.registry.as_ref().is_some_and(|r| r.up) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the registry's height never passed the anchor: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Where mutual TLS is configured, an operator may be known by its client certificate:
/// the operator's certificate opens the figures, another certificate of the same CA (a
/// provider's, say) does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_is_known_by_its_client_certificate_under_mutual_tls() {
    use realdid_proto::dev_ca::DevCa;
    use realdid_proto::v1::verifier_admin_client::VerifierAdminClient;
    use sha2::Digest as _;

    let shared = shared_devnet().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = DevCa::new("test CA").unwrap();
    ca.write_cert(dir.path()).unwrap();
    let server = ca
        .write_server(dir.path(), "verifier", &["127.0.0.1"], true)
        .unwrap();
    ca.write_server(dir.path(), "ops", &[], false).unwrap();
    ca.write_server(dir.path(), "someone", &[], false).unwrap();
    let ops_der = realdid_proto::tls::certificate_der(&dir.path().join("ops.pem")).unwrap();
    let replica = realdid_tests::verifier::start_verifier_tls(
        &shared.net,
        IDENTITY_VCT,
        server,
        vec![realdid_verifier::config::OperatorConfig {
            id: "ops".into(),
            token_sha256: None,
            cert_sha256: Some(hex::encode(sha2::Sha256::digest(&ops_der))),
        }],
    )
    .await;
    let ask = |name: &'static str| {
        let tls = DevCa::client_of(dir.path(), Some(name));
        let endpoint = replica.endpoint.clone();
        async move {
            let channel = tls.connect(&endpoint).await.expect("a TLS connection");
            VerifierAdminClient::new(channel)
                .get_verifier_stats(pb::GetVerifierStatsRequest {})
                .await
        }
    };
    let figures = ask("ops")
        .await
        .expect("the operator's certificate")
        .into_inner();
    assert!(figures.started_at_unix_ms > 0 && figures.store.is_some_and(|s| s.up));
    let refused = ask("someone").await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    assert!(
        refused.message().contains("not an operator's"),
        "{refused:?}"
    );
}

/// A verifier that cannot record that a nonce was used must not accept anything, or a
/// replay would pass: with its Redis gone, a replica answers Unavailable instead of a
/// verdict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_redis_is_gone_fails_closed() {
    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 16).await;
    // A Redis and a replica of its own: this test stops the Redis.
    let own = OwnRedis::start();
    let replica = start_verifier(
        &shared.net,
        Some(&own.url()),
        &shared.redis_prefix,
        IDENTITY_VCT,
        CACHE,
    )
    .await;
    let mut c = client(&replica.endpoint).await;
    let bank = BANK.audience();
    let r = request(&mut c, &bank, 0).await;
    let p = present(
        &credential,
        &["real_name_verified", "province"],
        &holder.key,
        &r.nonce,
        &bank,
    );
    drop(own);
    let status = c
        .verify_presentation(authorized(pb::VerifyPresentationRequest {
            request_id: r.request_id.clone(),
            presentation: p,
        }))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        tonic::Code::Unavailable,
        "{}",
        status.message()
    );
}

/// Governance can take an issuer out of the trust list, and its credentials must stop
/// passing everywhere within the verifiers' cache bound, without any action by the issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_of_an_issuer_no_longer_accredited_are_refused() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // An issuer and a replica of its own: this test withdraws the issuer's accreditation and
    // moves the replica's clock.
    let stack = own_issuer(net, 1).await;
    let (credential, holder) = credential(net, &stack, 0).await;
    let replica = own_replica(&shared).await;
    let mut a = client(&replica.endpoint).await;
    bank_attempt(&mut a, &credential, &holder.key)
        .await
        .expect("valid while the issuer is accredited");

    let officers = net.layout.governance_signing_keys().unwrap();
    let gateway = RegistryGateway::new(&stack.config.registry, stack.light.clone()).unwrap();
    let issuer = stack.issuer().did();
    gateway
        .decide(
            "removal",
            GovernanceAction::RemoveIssuer {
                issuer: issuer.clone(),
                reason: "test: withdrawn".into(),
            },
            governance_nonce("remove", &issuer),
            &officers[..net.layout.governance_threshold()],
        )
        .await
        .unwrap();
    replica.clock.advance(CACHE + Duration::from_millis(200));
    assert_eq!(
        reason(bank_attempt(&mut a, &credential, &holder.key).await),
        pb::VerificationFailureReason::IssuerNotAccredited
    );
}

/// `text` with the character at `at` replaced by another base64url character.
fn flipped(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ASCII")
}

/// An adversarial corpus against a running verifier: over a thousand bad presentations,
/// generated from one valid one. Every one is refused with a reason of its kind, none is
/// verified, none ends the call with an error other than the contract's for an input over
/// its bound, none takes long, and the verifier verifies a good presentation afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adversarial_corpus_is_refused_each_with_its_reason() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use pb::VerificationFailureReason as R;

    let shared = shared_devnet().await;
    let (credential, holder) = credential(&shared.net, &shared.issuer, 20).await;
    let mut v = client(&shared.replicas[0].endpoint).await;
    let bank = BANK.audience();
    let reveal = ["real_name_verified", "province"];
    // The request stays open through every refusal that does not spend it.
    let r = request(&mut v, &bank, 3600).await;
    let good = present(&credential, &reveal, &holder.key, &r.nonce, &bank);
    let parts: Vec<&str> = good.split('~').collect();
    let (issuer_jwt, disclosures, kb_jwt) =
        (parts[0], &parts[1..parts.len() - 1], parts[parts.len() - 1]);
    // Seeded: the corpus is the same every run, so that a refusal found wrong reproduces.
    let mut rng = {
        use rand::SeedableRng as _;
        rand::rngs::StdRng::seed_from_u64(0x5EED_0FC0_2205)
    };
    let mut below = |n: usize| {
        use rand::RngExt as _;
        rng.random_range(0..n.max(1))
    };
    // Each case: the presentation, and the reasons a refusal of its kind may name (the
    // first check that fails depends on which bytes a mutation happened to break).
    let mut cases: Vec<(String, &[R])> = Vec::new();
    let structural: &[R] = &[R::Malformed];
    let issuer_side: &[R] = &[
        R::Malformed,
        R::IssuerSignature,
        R::IssuerDidState,
        R::IssuerNotAccredited,
    ];

    // Tampered signatures, payloads and headers of the issuer's JWT: one base64url
    // character changed, at 60 places in each of its three parts.
    let issuer_parts: Vec<&str> = issuer_jwt.split('.').collect();
    for (p, part) in issuer_parts.iter().enumerate() {
        for _ in 0..60 {
            let mut changed = issuer_parts.clone();
            let at = below(part.len());
            let flipped = flipped(part, at);
            changed[p] = &flipped;
            let jwt = changed.join(".");
            cases.push((
                [jwt.as_str()]
                    .into_iter()
                    .chain(disclosures.iter().copied())
                    .chain([kb_jwt])
                    .collect::<Vec<_>>()
                    .join("~"),
                issuer_side,
            ));
        }
    }
    // Tampered disclosures: a changed disclosure's digest is in no credential.
    for (d, disclosure) in disclosures.iter().enumerate() {
        for _ in 0..40 {
            let mut changed: Vec<String> = disclosures.iter().map(|s| (*s).to_owned()).collect();
            changed[d] = flipped(disclosure, below(disclosure.len()));
            cases.push((
                format!("{issuer_jwt}~{}~{kb_jwt}", changed.join("~")),
                structural,
            ));
        }
    }
    // Tampered key-binding JWTs: header, payload (nonce, audience, sd_hash) or signature.
    let kb_parts: Vec<&str> = kb_jwt.split('.').collect();
    for (p, part) in kb_parts.iter().enumerate() {
        for _ in 0..60 {
            let mut changed = kb_parts.clone();
            let flipped = flipped(part, below(part.len()));
            changed[p] = &flipped;
            let prefix = good
                .rsplit_once('~')
                .map(|(head, _)| head)
                .unwrap_or_default();
            cases.push((
                format!("{prefix}~{}", changed.join(".")),
                &[
                    R::Malformed,
                    R::HolderBinding,
                    R::NonceMismatch,
                    R::AudienceMismatch,
                ],
            ));
        }
    }
    // Algorithm confusion in the issuer's header: `none`, HMAC keyed with public bytes,
    // other algorithms, another key id, no key id; each with no signature, the original
    // one, and an HMAC-looking one.
    let header: serde_json::Value =
        serde_json::from_slice(&B64.decode(issuer_parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap_or_default().to_owned();
    let other_kid = format!("{}#key-2", kid.split('#').next().unwrap_or_default());
    let stranger_kid = format!("{}#key-1", holder.state.did);
    for alg in [
        "none", "HS256", "HS512", "RS256", "ES256", "ES256K", "EdDSA", "",
    ] {
        for kid in [kid.as_str(), other_kid.as_str(), stranger_kid.as_str(), ""] {
            for signature in ["", issuer_parts[2], &B64.encode([7u8; 32])] {
                let mut h = header.clone();
                h["alg"] = serde_json::Value::String(alg.into());
                if kid.is_empty() {
                    h.as_object_mut().unwrap().remove("kid");
                } else {
                    h["kid"] = serde_json::Value::String(kid.into());
                }
                if alg == "EdDSA"
                    && kid == header["kid"].as_str().unwrap_or_default()
                    && signature == issuer_parts[2]
                {
                    continue; // the original header: not a confusion
                }
                let jwt = format!(
                    "{}.{}.{signature}",
                    B64.encode(serde_json::to_vec(&h).unwrap()),
                    issuer_parts[1]
                );
                let rest = good
                    .split_once('~')
                    .map(|(_, rest)| rest)
                    .unwrap_or_default();
                cases.push((format!("{jwt}~{rest}"), issuer_side));
            }
        }
    }
    // Wrong holder keys, nonces and audiences, each properly signed: exact reasons.
    for i in 0..40 {
        let stranger = SigningKey::generate(Algorithm::EdDsa).unwrap();
        cases.push((
            present(&credential, &reveal, &stranger, &r.nonce, &bank),
            &[R::HolderBinding],
        ));
        cases.push((
            present(
                &credential,
                &reveal,
                &holder.key,
                &format!("nonce-{i}"),
                &bank,
            ),
            &[R::NonceMismatch],
        ));
        cases.push((
            present(
                &credential,
                &reveal,
                &holder.key,
                &r.nonce,
                &SHOP.audience(),
            ),
            &[R::AudienceMismatch],
        ));
    }
    // Structure: no key binding, a disclosure twice, a foreign disclosure, truncations.
    let without_kb = format!(
        "{}~",
        good.rsplit_once('~').map(|(h, _)| h).unwrap_or_default()
    );
    cases.push((without_kb, structural));
    cases.push((
        format!(
            "{issuer_jwt}~{}~{}~{kb_jwt}",
            disclosures[0],
            disclosures.join("~")
        ),
        &[R::Malformed, R::HolderBinding],
    ));
    for i in 0..20 {
        let foreign = B64.encode(format!("[\"salt{i}\",\"city\",\"Nowhere {i}\"]"));
        cases.push((
            format!("{issuer_jwt}~{}~{foreign}~{kb_jwt}", disclosures.join("~")),
            structural,
        ));
    }
    for _ in 0..120 {
        let cut = 1 + below(good.len() - 1);
        cases.push((
            good[..cut].to_owned(),
            &[R::Malformed, R::IssuerSignature, R::HolderBinding],
        ));
    }
    // A deeply nested disclosure, and garbage of every shape.
    let nested = format!(
        "[\"s\",\"deep\",{}1{}]",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    cases.push((
        format!(
            "{issuer_jwt}~{}~{}~{kb_jwt}",
            disclosures.join("~"),
            B64.encode(nested)
        ),
        structural,
    ));
    for _ in 0..260 {
        let len = 1 + below(2_048);
        let garbage: String = (0..len)
            .map(|_| {
                let alphabet = b"ABCxyz019-_.~{}\"[]:, ";
                alphabet[below(alphabet.len())] as char
            })
            .collect();
        cases.push((garbage, structural));
    }
    assert!(cases.len() >= 1_000, "{} cases", cases.len());

    let mut slowest = Duration::ZERO;
    for (i, (presentation, expected)) in cases.iter().enumerate() {
        let started = std::time::Instant::now();
        let answer = v
            .verify_presentation(authorized(pb::VerifyPresentationRequest {
                request_id: r.request_id.clone(),
                presentation: presentation.clone(),
            }))
            .await;
        slowest = slowest.max(started.elapsed());
        let verdict = answer
            .unwrap_or_else(|status| panic!("case {i}: no verdict: {status:?}"))
            .into_inner()
            .result
            .unwrap_or_else(|| panic!("case {i}: an empty verdict"));
        match verdict {
            pb::verify_presentation_response::Result::Verified(_) => {
                panic!("case {i} was verified: {presentation}")
            }
            pb::verify_presentation_response::Result::Failure(f) => assert!(
                expected.contains(&f.reason()),
                "case {i}: {:?} ({}), expected one of {expected:?}: {presentation}",
                f.reason(),
                f.message
            ),
        }
    }
    // Over the contract's bound: refused before it is read, as INVALID_ARGUMENT.
    let oversized = v
        .verify_presentation(authorized(pb::VerifyPresentationRequest {
            request_id: r.request_id.clone(),
            presentation: "A".repeat(64 * 1024 + 1),
        }))
        .await
        .unwrap_err();
    assert_eq!(oversized.code(), tonic::Code::InvalidArgument);
    assert!(
        slowest < Duration::from_secs(2),
        "the slowest refusal took {slowest:?}"
    );
    // The request the corpus could not spend still takes the holder's answer.
    let verified = verify(&mut v, &r.request_id, &good).await;
    assert!(verified.is_ok(), "{verified:?}");
}
