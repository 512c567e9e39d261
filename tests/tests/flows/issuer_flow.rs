//! The issuer end to end, over the shared devnet (4 validators, real processes, real
//! RocksDB; the reference identity authority and the issuer on real sockets): a person
//! enrols several DIDs; each kind of bad enrolment is refused with its reason; a revoked
//! and a suspended credential show so in status lists whose hashes are proven on chain; a
//! trace opens only with k approvals, leaves a proven audit anchor and is disclosed to its
//! subject after the delay; a rotated key leaves earlier credentials valid; and no byte of a
//! name or resident ID number lands in the issuer's or the chain's files.
//!
//! Tests that only enrol and read use the shared issuer; those that change what the whole
//! issuer shows (its status lists, traces, clock, key) or stop it run an issuer of their own
//! on the shared devnet (see [`crate::shared_devnet`]).

use std::collections::HashSet;
use std::time::Duration;

use realdid_core::did::Purposes;
use realdid_core::escrow::{ApproverSecret, ThresholdSealed};
use realdid_core::keys::{Jwk, PublicKey};
use realdid_core::operator_login::sign_operator_login;
use realdid_core::sd_jwt::{SdJwt, SdJwtError, VcVerifyOptions, VerifiedSdJwtVc, verify_sd_jwt_vc};
use realdid_core::status_list::{Status, StatusList, StatusListTokenClaims};
use realdid_core::trace::{holder_tag, request_hash};
use realdid_issuer::provision::load_staff_key;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::state_key::utc_day;
use realdid_tests::chain::{Holder, create_did};
use realdid_tests::issuer::{
    IssuerStack, UNACCREDITED_VCT, approval, control_proof, files_under, holder_did, nonce,
    with_birth_date,
};
use sha2::{Digest as _, Sha256};
use tonic::transport::Channel;

use crate::shared_devnet::{holders, own_issuer, shared_devnet};

const SLOW: Duration = Duration::from_secs(90);

struct Person {
    name: String,
    id: String,
    evidence: String,
}

fn person(stack: &IssuerStack, i: usize) -> Person {
    let p = &stack.people[i];
    Person {
        name: p.full_name.clone(),
        id: p.resident_id.clone(),
        evidence: p.evidence_token.clone(),
    }
}

async fn enrol(
    client: &mut IssuerClient<Channel>,
    issuer_did: &str,
    who: &Person,
    holders: &[&Holder],
    credential_type: &str,
) -> Result<pb::enrol_response::Result, tonic::Status> {
    let tag_key = realdid_tests::issuer::HOLDER_TAG_KEY;
    enrol_tagged(client, issuer_did, who, holders, credential_type, &tag_key).await
}

/// [`enrol`], giving the issuer `tag_key` as the wallet's holder-tag key.
async fn enrol_tagged(
    client: &mut IssuerClient<Channel>,
    issuer_did: &str,
    who: &Person,
    holders: &[&Holder],
    credential_type: &str,
    tag_key: &[u8; 32],
) -> Result<pb::enrol_response::Result, tonic::Status> {
    let n = nonce(client, pb::NoncePurpose::Enrol).await;
    let answer = client
        .enrol(pb::EnrolRequest {
            nonce: n.clone(),
            full_name: who.name.clone(),
            resident_id: who.id.clone(),
            evidence_token: who.evidence.clone(),
            dids: holders
                .iter()
                .map(|h| control_proof(h, &n, issuer_did))
                .collect(),
            credential_type: credential_type.into(),
            holder_tag_key: tag_key.to_vec(),
        })
        .await?;
    Ok(answer.into_inner().result.expect("a result"))
}

fn issued(result: pb::enrol_response::Result) -> pb::EnrolmentIssued {
    match result {
        pb::enrol_response::Result::Issued(issued) => issued,
        pb::enrol_response::Result::Refused(r) => panic!("refused: {}", r.message),
    }
}

fn refused(result: pb::enrol_response::Result) -> (pb::EnrolmentRefusalReason, String) {
    match result {
        pb::enrol_response::Result::Refused(r) => (r.reason(), r.message),
        pb::enrol_response::Result::Issued(_) => panic!("expected a refusal, got credentials"),
    }
}

/// The issuer's current key of `kid`, from its DID document proven on chain.
async fn issuer_key(
    node: &mut RegistryClient<Channel>,
    stack: &IssuerStack,
    kid: &str,
) -> PublicKey {
    let did = stack.issuer().did();
    let read = node
        .resolve(pb::ResolveRequest {
            did: did.to_string(),
            at: None,
            proof_only: true,
        })
        .await
        .unwrap()
        .into_inner()
        .proof
        .unwrap();
    let (_, record) = stack.light.verify_did(&did, &read).unwrap();
    let state = record.unwrap().state;
    let fragment = kid.split_once('#').expect("kid is a DID URL").1;
    state
        .key_for(&fragment.parse().unwrap(), Purposes::ASSERTION_METHOD)
        .expect("an assertion key")
        .clone()
}

/// The status of entry `index` of the list at `uri`, read from the token served over HTTP,
/// after checking that the token's hash is the one proven on chain.
async fn status_on_chain(
    stack: &IssuerStack,
    node: &mut RegistryClient<Channel>,
    client: &mut IssuerClient<Channel>,
    credential: &pb::IssuedCredential,
) -> Status {
    let (uri, index) = (credential.status_list_uri.as_str(), credential.status_index);
    let served = client
        .get_status_list(pb::GetStatusListRequest {
            list_uri: uri.into(),
        })
        .await
        .unwrap()
        .into_inner();
    // The same token over plain HTTP.
    let path = uri.split_once(&stack.http.to_string()).unwrap().1;
    assert_eq!(http_get(stack.http, path).await, served.status_list_token);

    // The node read may be a block behind the one that made the issuer's anchor final:
    // wait (briefly) until it has the anchor of the token served.
    let did = stack.issuer().did();
    let mut anchor = None;
    for _ in 0..100 {
        let read = node
            .get_status_list_anchor(pb::GetStatusListAnchorRequest {
                list_uri: uri.into(),
                issuer_did: did.to_string(),
            })
            .await
            .unwrap()
            .into_inner()
            .proof
            .unwrap();
        let (_, record) = stack.light.verify_status_anchor(&did, uri, &read).unwrap();
        let record = record.expect("the list is anchored");
        if record.anchor.sequence >= served.sequence {
            anchor = Some(record);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let anchor = anchor.expect("the node catches up with the issuer's anchor");
    assert_eq!(anchor.anchor.sequence, served.sequence);
    let hash: [u8; 32] = Sha256::digest(served.status_list_token.as_bytes()).into();
    assert_eq!(
        anchor.anchor.list_hash, hash,
        "the served token is the anchored one"
    );

    let payload = served.status_list_token.split('.').nth(1).unwrap();
    let payload = base64_url(payload);
    let claims: StatusListTokenClaims = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims.sub.as_str(), uri);
    StatusList::decode(&claims.status_list)
        .unwrap()
        .get(index as usize)
        .unwrap()
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64_engine::*;
    decode(text)
}

/// A tiny base64url decoder, so the test needs no extra crate for it.
mod base64_engine {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'-' => 62,
                b'_' => 63,
                _ => panic!("not base64url"),
            }
        };
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in text.bytes() {
            acc = (acc << 6) | value(c);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        out
    }
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let response = realdid_tests::http_get(&format!("http://{addr}{path}")).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("application/statuslist+jwt"));
    response.split("\r\n\r\n").nth(1).unwrap().to_owned()
}

/// Verifies `sd_jwt` with the IETF SD-JWT reference implementation (Python, installed by
/// scripts/setup.sh) and returns the payload it sees.
fn verify_with_reference(sd_jwt: &str, issuer_key: &PublicKey) -> serde_json::Value {
    let python = std::env::var("REALDID_SDJWT_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/realdid/sdjwt-venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let credential = dir.path().join("credential");
    let jwk = dir.path().join("issuer.jwk");
    std::fs::write(&credential, sd_jwt).unwrap();
    std::fs::write(
        &jwk,
        Jwk::from_public_key(issuer_key)
            .unwrap()
            .canonical_public_json(),
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/verify_sd_jwt.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(&credential)
        .arg(&jwk)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (scripts/setup.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "the reference implementation refuses the credential: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Verifies an SD-JWT VC (issuance form) with realdid's verifier and the issuer key `key`.
fn verify_with(sd_jwt: &str, key: &PublicKey, now: i64) -> Result<VerifiedSdJwtVc, SdJwtError> {
    let resolver = |_: &serde_json::Map<String, serde_json::Value>,
                    _: &serde_json::Map<String, serde_json::Value>|
     -> Result<PublicKey, SdJwtError> { Ok(key.clone()) };
    verify_sd_jwt_vc(sd_jwt, &VcVerifyOptions::default(), &resolver, now)
}

/// The `kid` of an SD-JWT VC's issuer-signed JWT.
fn kid_of(sd_jwt: &str) -> String {
    let header = sd_jwt.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(&base64_url(header)).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn session(token: &str) -> tonic::metadata::MetadataValue<tonic::metadata::Ascii> {
    format!("Bearer {token}").parse().unwrap()
}

fn with_session<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", session(token));
    request
}

/// Enrols person `who` of `stack` with `holders`' DIDs; the credentials.
async fn enrolled(stack: &IssuerStack, who: usize, holders: &[&Holder]) -> pb::EnrolmentIssued {
    let mut client = stack.client().await;
    let issuer_did = stack.issuer().did().to_string();
    issued(
        enrol(&mut client, &issuer_did, &person(stack, who), holders, "")
            .await
            .unwrap(),
    )
}

/// The login token of the operator `keyholder`, an auditor who logs in with a key.
async fn auditor_session(stack: &IssuerStack, client: &mut IssuerClient<Channel>) -> String {
    let issuer_did = stack.issuer().did().to_string();
    let n = nonce(client, pb::NoncePurpose::OperatorLogin).await;
    let auditor = client
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "keyholder".into(),
            credential: Some(pb::operator_login_request::Credential::KeyProofJws(
                sign_operator_login(
                    "keyholder",
                    "k1",
                    &stack.operator_key,
                    &n,
                    &issuer_did,
                    realdid_tests::unix_s(),
                )
                .unwrap(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(auditor.roles, vec![pb::OperatorRole::Auditor as i32]);
    auditor.session_token
}

/// The traces on `holder`'s DID that the issuer discloses to them now.
async fn own_traces(
    stack: &IssuerStack,
    client: &mut IssuerClient<Channel>,
    holder: &Holder,
) -> Vec<pb::TraceNotice> {
    let issuer_did = stack.issuer().did().to_string();
    let n = nonce(client, pb::NoncePurpose::ListOwnTraces).await;
    client
        .list_own_traces(pb::ListOwnTracesRequest {
            proof: Some(control_proof(holder, &n, &issuer_did)),
            nonce: n,
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .traces
}

/// One person, one credential per DID, and nothing that lets two providers link them: if
/// two credentials shared a signature, a salt or a holder key, two verifiers comparing notes
/// would know they saw the same person. The IETF reference implementation reads them as
/// realdid does, so any SD-JWT VC verifier can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_issues_one_unlinkable_credential_per_did() {
    let shared = shared_devnet().await;
    let (net, stack) = (&shared.net, &shared.issuer);
    let mut node = net.client(1).await;
    let issuer_did = stack.issuer().did().to_string();
    let alice = person(stack, 0);

    let holders = holders(net, 3).await;
    let issued = enrolled(stack, 0, &holders.iter().collect::<Vec<_>>()).await;
    assert_eq!(issued.credentials.len(), 3);
    let now = realdid_tests::unix_s();
    let (mut signatures, mut salts, mut cnfs) = (HashSet::new(), HashSet::new(), HashSet::new());
    for (credential, holder) in issued.credentials.iter().zip(&holders) {
        assert_eq!(credential.did, holder.state.did.to_string());
        let sd_jwt = SdJwt::parse(&credential.sd_jwt_vc).unwrap();
        let header = sd_jwt.issuer_jwt().split('.').next().unwrap();
        let header: serde_json::Value = serde_json::from_slice(&base64_url(header)).unwrap();
        assert_eq!(header["typ"], "dc+sd-jwt");
        let kid = header["kid"].as_str().unwrap().to_owned();
        let key = issuer_key(&mut node, stack, &kid).await;
        let verified = verify_with(&credential.sd_jwt_vc, &key, now).unwrap();
        assert_eq!(verified.issuer, issuer_did);
        assert_eq!(verified.holder_key.as_ref(), Some(&holder.key.public_key()));
        assert_eq!(verified.claims["real_name_verified"], true);
        assert_eq!(verified.claims["name"], alice.name.as_str());
        // Every identity claim is selectively disclosable.
        assert!(verified.disclosed.len() >= 10);
        assert!(signatures.insert(sd_jwt.issuer_jwt().rsplit('.').next().unwrap().to_owned()));
        for d in sd_jwt.disclosures() {
            assert!(salts.insert(d.salt().to_owned()), "a salt is shared");
        }
        assert!(cnfs.insert(holder.key.public_key().to_bytes()));
        // The IETF reference implementation agrees.
        let reference = verify_with_reference(&credential.sd_jwt_vc, &key);
        assert_eq!(reference["iss"], issuer_did.as_str());
        assert_eq!(reference["name"], alice.name.as_str());
        assert_eq!(reference["age_over_18"], verified.claims["age_over_18"]);
    }
}

/// A refused citizen must learn what to fix (the name, the number, the DID, the type), and
/// a refusal must not bind anything: the right person can still enrol the same DID after
/// someone else's failed attempts with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_names_its_reason() {
    let shared = shared_devnet().await;
    let (net, stack) = (&shared.net, &shared.issuer);
    let mut client = stack.client().await;
    let issuer_did = stack.issuer().did().to_string();
    let bob = || person(stack, 1);

    let [fresh, mut impostor, bound]: [Holder; 3] = holders(net, 3).await.try_into().unwrap();
    let mut wrong_name = bob();
    wrong_name.name.push('X');
    assert_eq!(
        refused(
            enrol(&mut client, &issuer_did, &wrong_name, &[&fresh], "")
                .await
                .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::IdentityNoMatch
    );
    let mut bad_check = bob();
    let last = bad_check.id.pop().unwrap();
    bad_check.id.push(if last == '0' { '1' } else { '0' });
    let status = enrol(&mut client, &issuer_did, &bad_check, &[&fresh], "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("check"), "{}", status.message());
    let mut future = bob();
    future.id = with_birth_date(&future.id, "2099", "0101");
    let status = enrol(&mut client, &issuer_did, &future, &[&fresh], "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("after today"),
        "{}",
        status.message()
    );
    let mut unknown = bob();
    unknown.id = with_birth_date(&unknown.id, "1950", "0505");
    assert_eq!(
        refused(
            enrol(&mut client, &issuer_did, &unknown, &[&fresh], "")
                .await
                .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::IdentityNoMatch
    );
    // A DID the person does not control: the proof is signed with another key.
    let (_, stranger) = create_did(Purposes::AUTHENTICATION);
    impostor.key = stranger.key;
    let (reason, _) = refused(
        enrol(&mut client, &issuer_did, &bob(), &[&fresh, &impostor], "")
            .await
            .unwrap(),
    );
    assert_eq!(reason, pb::EnrolmentRefusalReason::DidProofInvalid);
    // A DID that is not on the chain.
    let (_, off_chain) = create_did(Purposes::AUTHENTICATION);
    assert_eq!(
        refused(
            enrol(&mut client, &issuer_did, &bob(), &[&off_chain], "")
                .await
                .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::DidNotUsable
    );
    // A DID already bound, to somebody else.
    enrolled(stack, 2, &[&bound]).await;
    assert_eq!(
        refused(
            enrol(&mut client, &issuer_did, &bob(), &[&bound], "")
                .await
                .unwrap()
        )
        .0,
        pb::EnrolmentRefusalReason::DidAlreadyEnrolled
    );
    // A type the issuer offers but the registry does not accredit it for.
    let (reason, message) = refused(
        enrol(
            &mut client,
            &issuer_did,
            &bob(),
            &[&fresh],
            UNACCREDITED_VCT,
        )
        .await
        .unwrap(),
    );
    assert_eq!(reason, pb::EnrolmentRefusalReason::CredentialTypeNotOffered);
    assert!(message.contains("not accredited"), "{message}");
    // None of those refusals bound `fresh`: the right person can still use it.
    assert!(matches!(
        enrol(&mut client, &issuer_did, &bob(), &[&fresh], "")
            .await
            .unwrap(),
        pb::enrol_response::Result::Issued(_)
    ));
}

/// A wallet whose enrolment was committed but whose answer was lost (the issuer stopped,
/// the connection broke) asks again: with the same DIDs, proven by the same keys, and the
/// same holder-tag key, the same person gets the same enrolment's credentials again (the
/// same ids, status entries and days) and the issuer records nothing new. With another
/// holder-tag key, some of the DIDs only, or as another person, the DIDs are already
/// enrolled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolment_asked_again_gets_its_credentials_again_and_nothing_more() {
    let shared = shared_devnet().await;
    let (net, stack) = (&shared.net, &shared.issuer);
    let mut client = stack.client().await;
    let issuer_did = stack.issuer().did().to_string();
    let hs = holders(net, 2).await;
    let both = [&hs[0], &hs[1]];
    let (who, other) = (person(stack, 5), person(stack, 6));
    let tag_key = [7u8; 32];
    let mut ask = async |who: &Person, dids: &[&Holder], tag_key: [u8; 32]| {
        enrol_tagged(&mut client, &issuer_did, who, dids, "", &tag_key)
            .await
            .unwrap()
    };
    let first = issued(ask(&who, &both, tag_key).await);
    let store = stack.issuer().store();
    let recorded = |h: &Holder| store.did_credentials(h.state.did.as_str()).unwrap();
    let before: Vec<_> = hs.iter().map(recorded).collect();

    let again = issued(ask(&who, &both, tag_key).await);
    assert_eq!(again.enrolment_id, first.enrolment_id);
    for (a, f) in again.credentials.iter().zip(&first.credentials) {
        assert_eq!(
            (&a.did, &a.credential_id, a.status_index, &a.status_list_uri),
            (&f.did, &f.credential_id, f.status_index, &f.status_list_uri)
        );
        assert_eq!(
            (a.issued_at_unix_ms, a.expires_at_unix_ms),
            (f.issued_at_unix_ms, f.expires_at_unix_ms)
        );
        // Signed again: the same claims, under fresh salts.
        let claims = |c: &pb::IssuedCredential| {
            let payload = SdJwt::parse(&c.sd_jwt_vc).unwrap().payload().unwrap();
            ["iss", "sub", "iat", "exp", "status", "cnf", "vct"].map(|k| payload[k].clone())
        };
        assert_eq!(claims(a), claims(f));
    }
    let after: Vec<_> = hs.iter().map(recorded).collect();
    assert_eq!(after, before, "asking again recorded something new");
    assert_eq!(before.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1]);

    for (case, answer) in [
        ("another holder-tag key", ask(&who, &both, [8; 32]).await),
        ("one of the DIDs only", ask(&who, &both[..1], tag_key).await),
        ("another person", ask(&other, &both, tag_key).await),
    ] {
        assert_eq!(
            refused(answer).0,
            pb::EnrolmentRefusalReason::DidAlreadyEnrolled,
            "{case}"
        );
    }
}

/// Revoking someone's credential is an operator's act, and only a logged-in operator's: a
/// wrong password lets nobody in, and a revocation that carries no login is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_must_log_in_to_revoke() {
    let shared = shared_devnet().await;
    let (net, stack) = (&shared.net, &shared.issuer);
    let mut client = stack.client().await;
    let issued = enrolled(stack, 3, &[&holder_did(net).await]).await;

    let bad_login = client
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "officer".into(),
            credential: Some(pb::operator_login_request::Credential::Password(
                "wrong".into(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_login.code(), tonic::Code::Unauthenticated);
    let no_session = client
        .revoke_credentials(pb::RevokeCredentialsRequest {
            target: Some(pb::revoke_credentials_request::Target::CredentialId(
                issued.credentials[0].credential_id.clone(),
            )),
            reason: pb::RevocationReason::KeyCompromise as i32,
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(no_session.code(), tonic::Code::Unauthenticated);
}

/// An operator whose key is on file logs in from their own terminal by signing the
/// issuer's login nonce with their key file, so no password crosses the network; a key the
/// issuer does not know lets nobody in, and a session without the revoker role cannot
/// suspend anybody's credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_logs_in_with_a_key_file_from_the_command_line() {
    let shared = shared_devnet().await;
    let stack = &shared.issuer;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let cli = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            realdid_tests::realdid(&args)
        })
    };
    let login = |key_file: String| {
        vec![
            "issuer".to_owned(),
            "login".into(),
            "--endpoint".into(),
            stack.endpoint.clone(),
            "--operator".into(),
            "keyholder".into(),
            "--key-file".into(),
            key_file,
            "--session-file".into(),
            path("session"),
            "--json".into(),
        ]
    };

    // A new key: its public half is printed as the configuration line, and it is not on
    // file yet, so it logs nobody in.
    let made = cli(vec![
        "issuer".into(),
        "operator-key".into(),
        "--operator".into(),
        "keyholder".into(),
        "--out".into(),
        path("new-key.json"),
    ])
    .await
    .unwrap();
    assert!(made.status.success(), "{made:?}");
    let (_, new_key) = load_staff_key(&dir.path().join("new-key.json")).unwrap();
    let line = String::from_utf8_lossy(&made.stdout).trim().to_owned();
    assert_eq!(
        line,
        format!(
            "public_key = \"{}\"",
            realdid_core::keys::DidKey::from_public_key(&new_key.public_key()).did()
        )
    );
    let unknown = cli(login(path("new-key.json"))).await.unwrap();
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
    assert!(!dir.path().join("session").exists());

    // The key on file logs the operator in.
    let seed = stack.operator_key.secret_bytes().unwrap();
    realdid_issuer::files::write_private(
        &dir.path().join("key.json"),
        &serde_json::json!({"key_id": "keyholder-laptop", "seed": hex::encode(*seed)}).to_string(),
    )
    .unwrap();
    let logged_in = cli(login(path("key.json"))).await.unwrap();
    assert!(logged_in.status.success(), "{logged_in:?}");
    let answer: serde_json::Value = serde_json::from_slice(&logged_in.stdout).unwrap();
    assert_eq!(answer["operator"], "keyholder", "{answer}");
    assert!(answer["expires_at_unix_ms"].as_i64().unwrap() > realdid_tests::unix_ms());
    let token = std::fs::read_to_string(dir.path().join("session")).unwrap();
    let mut client = stack.client().await;
    client
        .list_traces(with_session(pb::ListTracesRequest::default(), token.trim()))
        .await
        .expect("the session is an auditor's");

    // An auditor may not suspend.
    let suspend = cli(vec![
        "issuer".into(),
        "suspend".into(),
        "--endpoint".into(),
        stack.endpoint.clone(),
        "--session-file".into(),
        path("session"),
        "--did".into(),
        "did:realdid:zQ3shnobodyatall".into(),
        "--note".into(),
        "checking".into(),
    ])
    .await
    .unwrap();
    assert_eq!(suspend.status.code(), Some(2), "{suspend:?}");
    let said = String::from_utf8_lossy(&suspend.stderr);
    assert!(said.contains("suspension"), "{said}");

    // The officer (a revoker, password login) suspends a credential and reinstates it from
    // the command line; each change is anchored.
    let issued = enrolled(stack, 4, &[&holder_did(&shared.net).await]).await;
    let credential = issued.credentials[0].credential_id.clone();
    let password = stack
        .provisioned
        .operator_password_file
        .display()
        .to_string();
    let officer = cli(vec![
        "issuer".into(),
        "login".into(),
        "--endpoint".into(),
        stack.endpoint.clone(),
        "--operator".into(),
        "officer".into(),
        "--password-file".into(),
        password,
        "--session-file".into(),
        path("officer-session"),
    ])
    .await
    .unwrap();
    assert!(officer.status.success(), "{officer:?}");
    for verb in ["suspend", "reinstate"] {
        let out = cli(vec![
            "issuer".into(),
            verb.into(),
            "--endpoint".into(),
            stack.endpoint.clone(),
            "--session-file".into(),
            path("officer-session"),
            "--credential-id".into(),
            credential.clone(),
            "--note".into(),
            "case 12".into(),
            "--json".into(),
        ])
        .await
        .unwrap();
        assert!(out.status.success(), "{verb}: {out:?}");
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            answer["credential_ids"],
            serde_json::json!([credential]),
            "{verb}"
        );
        assert_eq!(
            answer["anchor_heights"].as_array().unwrap().len(),
            1,
            "{verb}: the change is anchored"
        );
    }
}

/// A verifier trusts a status only if the list it reads is the one whose hash is on chain:
/// an operator's revocation and a holder's own suspension (and its lifting) must show there,
/// each on its own credential, and nobody may suspend with somebody else's DID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_and_a_suspension_show_in_proven_status_lists() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test reads list sequences and anchors that nobody else may move.
    let (stack, mut holders) = tokio::join!(own_issuer(net, 1), holders(net, 4));
    let mut impostor = holders.pop().unwrap();
    let mut client = stack.client().await;
    let mut node = net.client(1).await;
    let issuer_did = stack.issuer().did().to_string();
    let issued = enrolled(&stack, 0, &holders.iter().collect::<Vec<_>>()).await;

    // An operator revokes credential 0; the holder of DID 1 suspends their own.
    let token = stack.officer_session(&mut client).await;
    let revoked = client
        .revoke_credentials(with_session(
            pb::RevokeCredentialsRequest {
                target: Some(pb::revoke_credentials_request::Target::CredentialId(
                    issued.credentials[0].credential_id.clone(),
                )),
                reason: pb::RevocationReason::KeyCompromise as i32,
                note: "reported stolen".into(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        revoked.credential_ids,
        vec![issued.credentials[0].credential_id.clone()]
    );
    assert_eq!(revoked.anchors.len(), 1);
    let n = nonce(&mut client, pb::NoncePurpose::Suspend).await;
    let suspended = client
        .suspend_self(pb::SuspendSelfRequest {
            proof: Some(control_proof(&holders[1], &n, &issuer_did)),
            nonce: n,
            whole_enrolment: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        suspended.credential_ids,
        vec![issued.credentials[1].credential_id.clone()]
    );
    // A proof by someone else's key suspends nothing.
    let (_, stranger) = create_did(Purposes::AUTHENTICATION);
    impostor.key = stranger.key;
    let n = nonce(&mut client, pb::NoncePurpose::Suspend).await;
    let forged = client
        .suspend_self(pb::SuspendSelfRequest {
            proof: Some(control_proof(&impostor, &n, &issuer_did)),
            nonce: n,
            whole_enrolment: true,
        })
        .await
        .unwrap_err();
    assert_eq!(forged.code(), tonic::Code::Unauthenticated);
    let expected = [Status::INVALID, Status::SUSPENDED, Status::VALID];
    for (credential, want) in issued.credentials.iter().zip(expected) {
        let got = status_on_chain(&stack, &mut node, &mut client, credential).await;
        assert_eq!(got, want, "credential {}", credential.credential_id);
    }
    // Anyone can count them on chain, proven, without learning which credentials they are.
    let registry = RegistryGateway::new(&stack.config.registry, stack.light.clone()).unwrap();
    let issuer = stack.issuer().did().clone();
    let counted = || async {
        let counts = registry
            .accreditation(&issuer)
            .await
            .unwrap()
            .unwrap()
            .counts;
        (counts.revocations, counts.suspended)
    };
    assert_eq!(counted().await, (1, 1), "one revoked, one suspended");

    // The holder lifts their suspension; the revocation stays.
    let n = nonce(&mut client, pb::NoncePurpose::Resume).await;
    let resumed = client
        .resume_self(pb::ResumeSelfRequest {
            proof: Some(control_proof(&holders[1], &n, &issuer_did)),
            nonce: n,
            whole_enrolment: true,
        })
        .await
        .unwrap()
        .into_inner();
    // The whole enrolment, valid again (including the one that already was); never the
    // revoked one.
    assert_eq!(resumed.credential_ids.len(), 2);
    assert!(
        !resumed
            .credential_ids
            .contains(&issued.credentials[0].credential_id)
    );
    let c1 = &issued.credentials[1];
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c1).await,
        Status::VALID
    );
    let c0 = &issued.credentials[0];
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c0).await,
        Status::INVALID
    );
    assert_eq!(
        counted().await,
        (1, 0),
        "the suspension lifted, the revocation kept"
    );

    // An operator suspends credential 1 while a case is examined; the holder suspends it
    // too. The holder lifting their own suspension must not lift the operator's, and the
    // operator's reinstatement makes it valid only once neither suspension is left.
    let target = || {
        Some(pb::CredentialTarget {
            target: Some(pb::credential_target::Target::CredentialId(
                c1.credential_id.clone(),
            )),
        })
    };
    let unexplained = client
        .suspend_credentials(with_session(
            pb::SuspendCredentialsRequest {
                target: target(),
                note: " ".into(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        unexplained.code(),
        tonic::Code::InvalidArgument,
        "a note says why"
    );
    let suspended = client
        .suspend_credentials(with_session(
            pb::SuspendCredentialsRequest {
                target: target(),
                note: "suspected fraud, case 7".into(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(suspended.credential_ids, vec![c1.credential_id.clone()]);
    assert_eq!(suspended.anchors.len(), 1, "the change is anchored");
    let holder_client = client.clone();
    let holder_change = |purpose| {
        let holder = &holders[1];
        let issuer_did = issuer_did.clone();
        let mut client = holder_client.clone();
        async move {
            let n = nonce(&mut client, purpose).await;
            let proof = Some(control_proof(holder, &n, &issuer_did));
            match purpose {
                pb::NoncePurpose::Suspend => client
                    .suspend_self(pb::SuspendSelfRequest {
                        proof,
                        nonce: n,
                        whole_enrolment: false,
                    })
                    .await
                    .map(|_| ()),
                _ => client
                    .resume_self(pb::ResumeSelfRequest {
                        proof,
                        nonce: n,
                        whole_enrolment: false,
                    })
                    .await
                    .map(|_| ()),
            }
        }
    };
    holder_change(pb::NoncePurpose::Suspend).await.unwrap();
    holder_change(pb::NoncePurpose::Resume).await.unwrap();
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c1).await,
        Status::SUSPENDED,
        "the holder cannot lift an operator's suspension"
    );
    holder_change(pb::NoncePurpose::Suspend).await.unwrap();
    let reinstate = pb::ReinstateCredentialsRequest {
        target: target(),
        note: "case 7 closed".into(),
    };
    let without_session = client
        .reinstate_credentials(reinstate.clone())
        .await
        .unwrap_err();
    assert_eq!(without_session.code(), tonic::Code::Unauthenticated);
    client
        .reinstate_credentials(with_session(reinstate, &token))
        .await
        .unwrap();
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c1).await,
        Status::SUSPENDED,
        "the operator cannot lift the holder's own suspension"
    );
    holder_change(pb::NoncePurpose::Resume).await.unwrap();
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c1).await,
        Status::VALID
    );
    // A revoked credential is not brought back by a reinstatement.
    let still_revoked = client
        .suspend_credentials(with_session(
            pb::SuspendCredentialsRequest {
                target: Some(pb::CredentialTarget {
                    target: Some(pb::credential_target::Target::CredentialId(
                        c0.credential_id.clone(),
                    )),
                }),
                note: "checking".into(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(still_revoked.anchors.is_empty(), "nothing changed");
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c0).await,
        Status::INVALID
    );
    // The count by day, proven, holds the revocation too (under today, or yesterday for a
    // test that ran across midnight UTC).
    let today = utc_day(
        registry
            .accreditation_at(&issuer)
            .await
            .unwrap()
            .block_time_ms,
    );
    let mut by_day = 0;
    for day in [today - 1, today] {
        let proven = registry.transparency_day_at(&issuer, day).await.unwrap();
        by_day += proven.value.map_or(0, |counts| counts.revocations);
    }
    assert_eq!(by_day, 1);
}

/// De-anonymising a citizen is the one power that must never rest with one person: an
/// approval of another request, a repeated approver or an early open must not count, and
/// the opening must leave an anchor on chain whose hash an auditor can recompute from the
/// trace record, so that no opening can be hidden afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_opens_only_with_k_approvals_and_is_anchored() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test reads the issuer's first audit anchor.
    let (stack, subject) = tokio::join!(own_issuer(net, 1), holder_did(net));
    let mut client = stack.client().await;
    let mut node = net.client(1).await;
    let issuer_did = stack.issuer().did().to_string();
    let alice = person(&stack, 0);
    let issued = enrolled(&stack, 0, &[&subject]).await;
    let token = stack.officer_session(&mut client).await;
    let now = realdid_tests::unix_s();

    let trace = client
        .create_trace(with_session(
            pb::CreateTraceRequest {
                officer_key: stack.officer.public().as_bytes().to_vec(),
                subject_did: subject.state.did.to_string(),
                legal_basis: "Criminal Procedure Law art. 142; warrant 2026-77".into(),
                case_reference: "CASE-77".into(),
                subject: None,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    // The chain never sees whom the trace is about: only the salted request hash.
    let digest: [u8; 32] = trace.request_digest.clone().try_into().unwrap();
    let salt: [u8; 32] = trace.salt.clone().try_into().unwrap();
    let officer_key = *stack.officer.public().as_bytes();
    assert_eq!(trace.officer_key, officer_key.to_vec());
    assert_eq!(
        trace.request_hash,
        request_hash(&digest, &salt, &officer_key).to_vec()
    );
    assert_eq!(trace.approvals_required, 2);
    let approve = |i: usize| approval(&trace, &stack.approvers[i], now);
    // An approval of another request is refused.
    let mut other = trace.clone();
    other.request_hash = vec![0; 32];
    let wrong = client
        .approve_trace(approval(&other, &stack.approvers[0], now))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), tonic::Code::Unauthenticated);
    // A key governance did not name is refused.
    let stranger = ApproverSecret::generate("judge-9").unwrap();
    let unknown = client
        .approve_trace(approval(&trace, &stranger, now))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::Unauthenticated);
    let once = client
        .approve_trace(approve(0))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(once.state(), pb::TraceState::Pending);
    // The same approver twice is still one approval.
    let twice = client
        .approve_trace(approve(0))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(twice.approvals.len(), 1);
    let early = client
        .open_trace(with_session(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition);
    let audit_absent = node
        .get_audit_anchor(pb::GetAuditAnchorRequest {
            issuer_did: issuer_did.clone(),
            sequence: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let (_, none) = stack
        .light
        .verify_audit_anchor(&stack.issuer().did(), 1, &audit_absent.proof.unwrap())
        .unwrap();
    assert!(none.is_none(), "an incomplete trace left an anchor");
    // An issuer whose software skipped the count gets nowhere: the chain itself refuses an
    // anchor with one approval, or with one approver's approval twice.
    let one: realdid_core::codec::TraceApproval = {
        let a = approval(&trace, &stack.approvers[0], now);
        realdid_core::codec::TraceApproval {
            key: realdid_core::keys::DidKey::parse(&a.approval_key)
                .unwrap()
                .public_key()
                .clone(),
            signed_at_s: u64::try_from(a.signed_at_unix_s).unwrap(),
            signature: realdid_core::codec::primitives::Signature::from_slice(&a.signature)
                .unwrap(),
        }
    };
    let keys = &stack.provisioned.keys;
    let hash: [u8; 32] = trace.request_hash.clone().try_into().unwrap();
    for (approvals, reason) in [
        (
            vec![one.clone()],
            pb::TransactionRejectionReason::Unauthorized,
        ),
        (
            vec![one.clone(), one.clone()],
            pb::TransactionRejectionReason::Malformed,
        ),
    ] {
        let anchor = realdid_core::codec::AuditAnchor::sign(
            &realdid_core::codec::ChainId::parse(&trace.chain_id).unwrap(),
            realdid_core::codec::AuditOpening {
                issuer: keys.did().clone(),
                request_hash: hash,
                sequence: 99,
                holder_commitment: [0; 32],
                approvals,
            },
            keys.active_key_id().clone(),
            keys.active_key().unwrap(),
        )
        .unwrap();
        match realdid_tests::chain::submit(
            &mut node,
            &realdid_core::codec::Transaction::AuditAnchor(anchor),
        )
        .await
        {
            pb::submit_transaction_response::Result::Rejected(r) => {
                assert_eq!(r.reason(), reason, "{}", r.message);
            }
            pb::submit_transaction_response::Result::Finalized(receipt) => {
                panic!(
                    "an anchor with too few approvals is final at {}",
                    receipt.height
                )
            }
        }
    }
    let approved = client
        .approve_trace(approve(1))
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(approved.state(), pb::TraceState::Approved);
    // No approver can be handed the record before the opening is anchored.
    let too_soon = client
        .get_sealed_record(pb::GetSealedRecordRequest {
            trace_id: trace.trace_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(too_soon.code(), tonic::Code::FailedPrecondition);
    let opened = client
        .open_trace(with_session(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    // The issuer released nothing and holds nothing that opens the record: one approver's
    // share is not enough for the officer, k of them are.
    let one = stack
        .release_and_read(&trace.trace_id, &[0])
        .await
        .unwrap_err();
    assert!(
        one.contains("1 valid shares from distinct approvers, 2 needed"),
        "{one}"
    );
    // Nobody but the approver hands in, or replaces, the approver's share: approver 1's
    // share signed by approver 0 is refused.
    let sealed = realdid_core::escrow::ThresholdSealed::from_json(
        &client
            .get_sealed_record(pb::GetSealedRecordRequest {
                trace_id: trace.trace_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .sealed_record,
    )
    .unwrap();
    let share = realdid_core::escrow::release_share(
        &sealed,
        &stack.approvers[1],
        &[0; 32],
        &stack.officer.public(),
    )
    .unwrap();
    let forged = client
        .release_share(realdid_tests::issuer::signed_release(
            &trace.trace_id,
            &share,
            &stack.approvers[0],
        ))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), tonic::Code::Unauthenticated, "{forged:?}");
    let record = stack
        .release_and_read(&trace.trace_id, &[1])
        .await
        .expect("two shares open the record");
    assert_eq!(record.full_name, alice.name);
    assert_eq!(record.resident_id, alice.id);
    assert_eq!(record.enrolment_id, issued.enrolment_id);
    let opened_trace = opened.trace.unwrap();
    assert_eq!(opened_trace.state(), pb::TraceState::Opened);
    let receipt = opened.audit_anchor.unwrap();
    net.wait_height(1, receipt.height, SLOW).await;
    let audit = node
        .get_audit_anchor(pb::GetAuditAnchorRequest {
            issuer_did: issuer_did.clone(),
            sequence: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let (_, anchor) = stack
        .light
        .verify_audit_anchor(&stack.issuer().did(), 1, &audit.proof.unwrap())
        .unwrap();
    let anchor = anchor.expect("the opening is anchored");
    assert_eq!(opened.audit_sequence, 1);
    assert_eq!(
        anchor.anchor.request_hash,
        request_hash(&digest, &salt, &officer_key),
        "an auditor holding the request recomputes the anchored hash"
    );
    // The proven anchor shows who approved: the two approvers' keys, as the chain checked.
    let approved_by: Vec<_> = anchor
        .anchor
        .approvals
        .iter()
        .map(|a| a.key.clone())
        .collect();
    assert_eq!(
        approved_by,
        vec![
            stack.approvers[0].approval_key().public_key(),
            stack.approvers[1].approval_key().public_key()
        ]
    );
    // A trace opens once.
    let again = client
        .open_trace(with_session(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
}

/// A citizen who was traced must be able to find out, but not while an investigation may
/// still need secrecy: the opening is disclosed to the DID's holder once the disclosure delay
/// has passed, and not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_learns_of_an_opening_only_after_the_disclosure_delay() {
    const DELAY: u32 = 10;
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test moves the issuer's clock.
    let (stack, subject) = tokio::join!(own_issuer(net, DELAY), holder_did(net));
    let mut client = stack.client().await;
    enrolled(&stack, 0, &[&subject]).await;
    let trace_id = stack
        .approved_trace(&subject.state.did.to_string(), None, 2)
        .await;
    let opened = stack.open_trace(&trace_id).await.expect("the trace opens");
    let sequence = opened.audit_sequence;
    let request_hash: [u8; 32] = opened.trace.unwrap().request_hash.try_into().unwrap();
    let registry = RegistryGateway::new(&stack.config.registry, stack.light.clone()).unwrap();
    let issuer = stack.issuer().did();
    let anchored = registry
        .audit_anchor_at(&issuer, sequence)
        .await
        .unwrap()
        .value
        .expect("anchored");

    assert!(
        own_traces(&stack, &mut client, &subject).await.is_empty(),
        "an opening is disclosed before the delay"
    );
    assert!(
        anchored.disclosure.is_none(),
        "disclosed on chain before the delay"
    );
    // The issuer's clock moves past the delay instead of the test waiting for it.
    stack.clock.advance(Duration::from_secs(DELAY.into()));
    let own = own_traces(&stack, &mut client, &subject).await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].trace_id, trace_id);

    // The issuer publishes the holder tag on chain; the holder's wallet, which gave the key,
    // recognises it, and someone who knows the DID but not the key does not.
    let deadline = std::time::Instant::now() + SLOW;
    let disclosure = loop {
        let record = registry
            .audit_anchor_at(&issuer, sequence)
            .await
            .unwrap()
            .value
            .expect("anchored");
        if let Some(d) = record.disclosure {
            break d;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never disclosed on chain"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let did = subject.state.did.to_string();
    assert_eq!(
        disclosure.holder_tag,
        holder_tag(&realdid_tests::issuer::HOLDER_TAG_KEY, &did, &request_hash)
    );
    assert_ne!(
        disclosure.holder_tag,
        holder_tag(&[0; 32], &did, &request_hash),
        "a tag anyone could compute from the DID"
    );
    // The public count, proven: one opening, disclosed.
    let register = registry.accreditation(&issuer).await.unwrap().unwrap();
    assert_eq!(
        (
            register.counts.openings,
            register.last_audit_sequence,
            register.counts.disclosures
        ),
        (1, sequence, 1)
    );
}

/// Governance replaces an approver: records sealed before are re-sealed by k of their old
/// approvers, on their own devices and without anyone opening them, after which the new
/// set opens them and the approver who left holds nothing that counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_sealed_before_an_approver_change_open_with_the_new_set_once_resealed() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test changes the approvers and moves the issuer's clock.
    let (mut stack, holders) = tokio::join!(own_issuer(net, 1), holders(net, 1));
    enrolled(&stack, 0, &holders.iter().collect::<Vec<_>>()).await;
    let did = holders[0].state.did.to_string();
    let full_name = stack.people[0].full_name.clone();

    // judge-1 leaves, judge-4 joins: judge-2, judge-3 and judge-4, 2 of 3.
    let judge4 = ApproverSecret::generate("judge-4").unwrap();
    let (judge2, judge3) = (stack.approvers[1].clone(), stack.approvers[2].clone());
    let old = stack
        .replace_approvers(net, vec![judge2, judge3, judge4], 2)
        .await;

    // Before re-sealing, the record is still sealed to the old set: the new approver holds
    // no share of it.
    let early = stack.approved_trace(&did, None, 2).await;
    stack.open_trace(&early).await.unwrap();
    let refused = stack.release_and_read(&early, &[2]).await.unwrap_err();
    assert!(refused.contains("judge-4"), "{refused}");

    // One old approver is not enough to re-seal; judge-1, who left, is one of the two.
    assert_eq!(stack.reseal_as(&old[0]).await.unwrap(), (0, 1));
    assert_eq!(
        stack.reseal_as(&old[0]).await.unwrap(),
        (0, 0),
        "nothing left for judge-1 until the others are done"
    );
    assert_eq!(stack.reseal_as(&old[1]).await.unwrap(), (1, 0));
    assert_eq!(stack.reseal_as(&old[2]).await.unwrap(), (0, 0), "done");

    // Now judge-3 and judge-4 open it; judge-1's old share no longer counts for anything.
    let trace = stack.approved_trace(&did, None, 2).await;
    stack.open_trace(&trace).await.unwrap();
    let identity = stack.release_and_read(&trace, &[1, 2]).await.unwrap();
    assert_eq!(identity.full_name, full_name);
    let mut client = stack.client().await;
    let sealed = ThresholdSealed::from_json(
        &client
            .get_sealed_record(pb::GetSealedRecordRequest {
                trace_id: trace.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .sealed_record,
    )
    .unwrap();
    let ids: Vec<&str> = sealed.approvers().iter().map(|a| a.id()).collect();
    assert_eq!(ids, ["judge-2", "judge-3", "judge-4"]);
    assert!(
        realdid_core::escrow::release_share(&sealed, &old[0], &[0; 32], &stack.officer.public())
            .is_err(),
        "the approver who left cannot release"
    );
}

/// Auditors oversee the tracing power without holding any of the issuer's others: an
/// operator who logs in with a key as an auditor reads the traces, and may not revoke.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_traces_but_may_not_revoke() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test counts every trace the issuer has.
    let (stack, subject) = tokio::join!(own_issuer(net, 1), holder_did(net));
    let mut client = stack.client().await;
    enrolled(&stack, 0, &[&subject]).await;
    let trace = stack
        .request_trace(&subject.state.did.to_string(), None)
        .await;

    let auditor = auditor_session(&stack, &mut client).await;
    let listed = client
        .list_traces(with_session(pb::ListTracesRequest::default(), &auditor))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.traces.len(), 1);
    assert_eq!(listed.traces[0].trace_id, trace.trace_id);
    let denied = client
        .revoke_credentials(with_session(
            pb::RevokeCredentialsRequest {
                target: Some(pb::revoke_credentials_request::Target::SubjectDid(
                    subject.state.did.to_string(),
                )),
                reason: pb::RevocationReason::Fraud as i32,
                note: String::new(),
            },
            &auditor,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
}

/// An issuer must be able to replace its signing key without reissuing everything: with the
/// issuer stopped, a new key is added to its DID on chain; after a restart it signs with
/// key-2, a credential signed with key-1 still verifies, and everything decided before the
/// restart (a revocation) still stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_keeps_earlier_credentials_valid_and_signs_with_the_new_key() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test stops it, changes its key and starts it again.
    let (mut stack, holders) = tokio::join!(own_issuer(net, 1), holders(net, 3));
    let mut node = net.client(1).await;
    let issuer_did = stack.issuer().did().to_string();
    let (holders, later) = holders.split_at(2);
    let issued = enrolled(&stack, 0, &holders.iter().collect::<Vec<_>>()).await;
    let c0 = &issued.credentials[0];
    stack
        .revoke(&c0.credential_id)
        .await
        .expect("the officer revokes");
    let now = realdid_tests::unix_s();

    stack.stop_issuer_for_maintenance().await;
    let keys = realdid_issuer::keys::load(&stack.config.keys_file).unwrap();
    let gateway = RegistryGateway::new(&stack.config.registry, stack.light.clone()).unwrap();
    let state = gateway
        .resolve_did(keys.did())
        .await
        .unwrap()
        .unwrap()
        .state;
    let (rotated, update) = keys.rotate(gateway.chain_id(), &state).unwrap();
    gateway
        .submit_final("rotation", &realdid_core::codec::Transaction::Did(update))
        .await
        .unwrap();
    realdid_issuer::keys::save(&rotated, &stack.config.keys_file).unwrap();
    stack.start_issuer_again().await;
    let mut client = stack.client().await;
    let old = &issued.credentials[1];
    let old_kid = kid_of(&old.sd_jwt_vc);
    assert!(old_kid.ends_with("#key-1"));
    let old_key = issuer_key(&mut node, &stack, &old_kid).await;
    verify_with(&old.sd_jwt_vc, &old_key, now)
        .expect("a credential signed before the rotation still verifies");
    let new = match enrol(
        &mut client,
        &issuer_did,
        &person(&stack, 1),
        &[&later[0]],
        "",
    )
    .await
    .unwrap()
    {
        pb::enrol_response::Result::Issued(issued) => issued.credentials[0].clone(),
        pb::enrol_response::Result::Refused(r) => panic!("refused after rotation: {}", r.message),
    };
    let new_kid = kid_of(&new.sd_jwt_vc);
    assert!(new_kid.ends_with("#key-2"), "{new_kid}");
    let new_key = issuer_key(&mut node, &stack, &new_kid).await;
    assert_ne!(new_key, old_key);
    verify_with(&new.sd_jwt_vc, &new_key, now)
        .expect("a credential signed after the rotation verifies");
    // Everything issued before the restart is still known: the revocation still stands.
    assert_eq!(
        status_on_chain(&stack, &mut node, &mut client, c0).await,
        Status::INVALID
    );
}

/// The issuer keeps the link between a real person and their DIDs only sealed, and the chain
/// never sees it: after enrolments, a refusal, a revocation and a trace opened (which reads
/// the person back), no byte of an enrolled name or resident ID number is in the issuer's
/// files (its own, and the shared issuer's, which enrols the same register) or the chain's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_personal_data_in_any_file() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    // Its own issuer: this test stops it, so that everything it wrote is in its files.
    let (mut stack, mut holders) = tokio::join!(own_issuer(net, 1), holders(net, 4));
    let mut client = stack.client().await;
    let issuer_did = stack.issuer().did().to_string();
    let fresh = holders.pop().unwrap();
    let enrolled_people = [0, 1, 2];
    let mut enrolments = Vec::new();
    for (who, holder) in enrolled_people.into_iter().zip(holders) {
        let issued = enrolled(&stack, who, &[&holder]).await;
        enrolments.push((holder, issued));
    }
    let mut wrong_name = person(&stack, 1);
    wrong_name.name.push('X');
    refused(
        enrol(&mut client, &issuer_did, &wrong_name, &[&fresh], "")
            .await
            .unwrap(),
    );
    stack
        .revoke(&enrolments[1].1.credentials[0].credential_id)
        .await
        .expect("the officer revokes");
    let trace_id = stack
        .approved_trace(&enrolments[0].0.state.did.to_string(), None, 2)
        .await;
    stack.open_trace(&trace_id).await.expect("the trace opens");
    let record = stack
        .release_and_read(&trace_id, &[0, 1])
        .await
        .expect("the approvers release, the officer reads");
    assert_eq!(
        record.full_name,
        person(&stack, 0).name,
        "the opening read the person back"
    );
    // Nothing the issuer keeps opens a record: its secrets file holds the person index's
    // pepper alone (the records are sealed to the approvers, whose keys it never had).
    let secrets: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&stack.config.secrets_file).expect("secrets file"),
    )
    .expect("JSON");
    let fields: Vec<&String> = secrets.as_object().expect("an object").keys().collect();
    assert_eq!(fields, ["pepper"], "the issuer's secrets");
    for approver in &stack.approvers {
        let key = approver.to_json().expect("key file");
        let key: serde_json::Value = serde_json::from_str(&key).expect("JSON");
        let x25519 = key["x25519_secret"].as_str().expect("a secret").to_owned();
        let raw = hex::decode(&x25519).expect("hex");
        for file in files_under(&stack.dir.path().join("issuer")) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            for needle in [x25519.as_bytes(), raw.as_slice()] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "an approver's key in {}",
                    file.display()
                );
            }
        }
    }
    stack.stop().await;

    let mut needles: Vec<Vec<u8>> = Vec::new();
    for who in enrolled_people {
        let p = person(&stack, who);
        needles.push(p.name.into_bytes());
        needles.push(p.id.into_bytes());
    }
    let mut dirs = vec![stack.data_dir(), shared.issuer.data_dir()];
    dirs.extend(net.layout.nodes().iter().map(|n| n.dir().to_path_buf()));
    let mut scanned = 0;
    for dir in dirs {
        for file in files_under(&dir) {
            // The shared issuer and the nodes keep running: a file may go between listing and
            // reading.
            let bytes = std::fs::read(&file).unwrap_or_default();
            scanned += bytes.len();
            for needle in &needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{} holds personal data",
                    file.display()
                );
            }
        }
    }
    assert!(scanned > 0);
}

/// An approver approves a trace from the console: the request file the officer handed
/// over is read and shown whole, the approval is signed with the approver's own key file
/// and sent only after the yes; k approvals make the trace approved at the issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvers_approve_a_trace_from_the_console() {
    use realdid_tests::terminal::Terminal;

    let shared = shared_devnet().await;
    let net = &shared.net;
    let (stack, subject) = tokio::join!(own_issuer(net, 1), holder_did(net));
    enrolled(&stack, 0, &[&subject]).await;
    let trace = stack
        .request_trace(&subject.state.did.to_string(), None)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request.json");
    std::fs::write(&request, realdid::request_file(&trace).unwrap().to_json()).unwrap();
    let console = Terminal::start(&format!(
        "{} tui --genesis {} --registry {} --issuer-endpoint {}",
        realdid_tests::realdid_binary().display(),
        net.layout.genesis_path().display(),
        net.endpoints().join(","),
        stack.endpoint,
    ));
    for (i, approver) in stack.approvers.iter().take(2).enumerate() {
        let key = dir.path().join(format!("{}.key.json", approver.id()));
        std::fs::write(&key, approver.to_json().unwrap().as_str()).unwrap();
        console.type_text(&format!(":approve {} {}", request.display(), key.display()));
        console.keys(&["Enter"]);
        console
            .wait_for("the request, whole, before the yes", |s| {
                s.contains(&format!("as {}: trace {}", approver.id(), trace.trace_id))
                    && s.contains("legal basis: Criminal Procedure Law")
                    && s.contains("y confirms")
            })
            .await;
        console.type_text("y");
        console
            .wait_for("the approval taken", |s| {
                s.contains(&format!("approved: {} of 2 approvals", i + 1))
            })
            .await;
    }
    let mut client = stack.client().await;
    let read = stack
        .as_officer(
            &mut client,
            pb::GetTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
        )
        .await;
    let now = client
        .get_trace(read)
        .await
        .unwrap()
        .into_inner()
        .trace
        .unwrap();
    assert_eq!(now.state, pb::TraceState::Approved as i32);
    assert_eq!(now.approvals.len(), 2);
}

/// The issuer's figures and its operators' audit log, for its operators only: counts from
/// its status lists (no credential row opened), enrolments by outcome, and the log newest
/// first, page by page, for auditors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_read_the_issuers_figures_and_auditors_its_log() {
    let shared = shared_devnet().await;
    let net = &shared.net;
    let (stack, a, b) = tokio::join!(own_issuer(net, 2), holder_did(net), holder_did(net));
    let mut client = stack.client().await;
    let first = enrolled(&stack, 0, &[&a]).await;
    let second = enrolled(&stack, 1, &[&b]).await;
    for issued in [&first, &second] {
        stack
            .revoke(&issued.credentials[0].credential_id)
            .await
            .unwrap();
    }

    let officer = stack.officer_session(&mut client).await;
    let stats = client
        .get_issuer_stats(with_session(pb::GetIssuerStatsRequest {}, &officer))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.enrolments.get("ISSUED"), Some(&2), "{stats:?}");
    assert_eq!(stats.credentials_issued, 2);
    assert_eq!(
        (stats.credentials_revoked, stats.credentials_suspended),
        (2, 0)
    );
    assert_eq!(stats.unpublished_lists, 0, "every change is anchored");
    assert!(stats.last_anchor_height > 0 && stats.status_lists >= 1);
    let anonymous = client
        .get_issuer_stats(pb::GetIssuerStatsRequest {})
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    // One credential's standing, by id, with nothing of its holder.
    let standing = client
        .get_credential_status(with_session(
            pb::GetCredentialStatusRequest {
                credential_id: first.credentials[0].credential_id.clone(),
            },
            &officer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(standing.status, "REVOKED");
    assert_eq!(standing.status_detail, "REVOCATION_REASON_KEY_COMPROMISE");
    assert_eq!(
        standing.status_list_uri,
        first.credentials[0].status_list_uri
    );
    assert_eq!(standing.status_index, first.credentials[0].status_index);
    assert_eq!(
        standing.issued_day_unix_ms % 86_400_000,
        0,
        "a day, not a time"
    );
    let unknown = client
        .get_credential_status(with_session(
            pb::GetCredentialStatusRequest {
                credential_id: "no-such-credential".into(),
            },
            &officer,
        ))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);

    // The log is for auditors, and no one reads it without a session.
    let denied = client
        .list_audit_log(pb::ListAuditLogRequest::default())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::Unauthenticated);
    let auditor = auditor_session(&stack, &mut client).await;
    let page = |token: String| pb::ListAuditLogRequest {
        page: Some(pb::PageRequest {
            page_size: 1,
            page_token: token,
        }),
    };
    let first = client
        .list_audit_log(with_session(page(String::new()), &auditor))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.entries.len(), 1);
    let next = first.page.unwrap().next_page_token;
    assert!(!next.is_empty(), "older entries follow");
    let all = client
        .list_audit_log(with_session(pb::ListAuditLogRequest::default(), &auditor))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(
        all.iter().any(|e| e.action.contains("revoke")),
        "the revocation is logged: {all:?}"
    );
    assert!(
        all.windows(2).all(|w| w[0].at_unix_ms >= w[1].at_unix_ms),
        "newest first"
    );
    let second = client
        .list_audit_log(with_session(page(next), &auditor))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        second.entries.first(),
        all.get(1),
        "the next page goes on from the first"
    );
}
