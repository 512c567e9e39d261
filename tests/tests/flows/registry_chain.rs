//! The registry chain end to end: four `realdid node` processes on loopback with real
//! RocksDB dirs; writes, rejections with their reasons, proven reads checked by the light
//! client, and a validator stopped and restarted.

use std::time::Duration;

use commonware_codec::Encode as _;
use realdid_core::did::Purposes;
use realdid_proto::v1 as pb;
use realdid_proto::v1::submit_transaction_response::Result as Submitted;
use realdid_registry_client::light_client::LightClient;
use realdid_tests::chain::{
    Devnet, accredit, create_did, resolve, submit, submit_bytes, update_did,
};

const SLOW: Duration = Duration::from_secs(90);

fn rejected(result: &Submitted) -> pb::TransactionRejectionReason {
    match result {
        Submitted::Rejected(r) => pb::TransactionRejectionReason::try_from(r.reason).unwrap(),
        Submitted::Finalized(receipt) => {
            panic!("expected a rejection, got final at {}", receipt.height)
        }
    }
}

fn finalized(result: &Submitted) -> &pb::TransactionReceipt {
    match result {
        Submitted::Finalized(receipt) => receipt,
        Submitted::Rejected(r) => panic!("expected final, got rejected: {}", r.message),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_write_prove_reject_and_survive_a_stopped_node() {
    let _serial = crate::serial().await;
    let mut net = Devnet::start(4);
    for i in 0..4 {
        net.wait_height(i, 1, SLOW).await;
    }
    let light = LightClient::for_genesis(net.layout.genesis());
    let mut node0 = net.client(0).await;
    let mut node2 = net.client(2).await;

    // Idle, the chain keeps finalizing, but an empty block waits up to half the leader
    // timeout (1 s here) for a transaction: about one block a second, not one per 100 ms
    // interval. The window is long enough that one skipped view (a 2 s leader timeout, on
    // a loaded machine) cannot empty it, and starts once every leader has had its turn.
    for i in 0..4 {
        net.wait_height(i, 5, SLOW).await;
    }
    let idle_from = net.wait_height(0, 1, SLOW).await.height;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let idle_to = net.wait_height(0, 1, SLOW).await.height;
    assert!(
        (1..=12).contains(&(idle_to - idle_from)),
        "{} blocks in 6 idle seconds",
        idle_to - idle_from
    );

    // A DID created through node 0 is final and resolvable, with proof, from node 2.
    let (create, holder) = create_did(Purposes::ASSERTION_METHOD);
    let receipt = finalized(&submit(&mut node0, &create).await).clone();
    net.wait_height(2, receipt.height, SLOW).await;
    let resolved = resolve(&mut node2, &holder.state.did, None).await;
    let proof = resolved.proof.clone().expect("a proven read");
    let (_, record) = light
        .verify_did(&holder.state.did, &proof)
        .expect("proof verifies");
    assert_eq!(record.expect("the DID exists").state, holder.state);
    // The same validators' certificate proves nothing to a light client of another chain:
    // consensus signatures name the chain.
    let other_chain = LightClient::new(
        &realdid_registry_client::genesis::ChainId::parse("another-chain").unwrap(),
        net.layout.genesis().validator_keys(),
    );
    let refused = other_chain
        .verify_did(&holder.state.did, &proof)
        .expect_err("a certificate of another chain");
    assert!(refused.to_string().contains("quorum"), "{refused}");
    assert!(
        resolved
            .resolution
            .expect("resolution")
            .document_json
            .contains(&holder.state.did.to_string())
    );

    // Asked for the proof only, the node leaves the document out and proves the same
    // record: what a light client needs, without the rendering it does not trust.
    let proof_only = node2
        .resolve(pb::ResolveRequest {
            did: holder.state.did.to_string(),
            at: Some(pb::resolve_request::At::AtHeight(proof.height)),
            proof_only: true,
        })
        .await
        .expect("resolve answers")
        .into_inner();
    assert!(proof_only.resolution.is_none());
    let (read, record) = light
        .verify_did(&holder.state.did, &proof_only.proof.expect("a proven read"))
        .expect("proof verifies");
    assert_eq!(read.height, proof.height);
    assert_eq!(record.expect("the DID exists").state, holder.state);

    // Resubmitting the same bytes returns the original receipt.
    assert_eq!(
        finalized(&submit(&mut node2, &create).await).height,
        receipt.height
    );

    // Any flipped byte of the proven read makes the light client refuse it, although it
    // already holds this read's certificate as checked (it skips only identical ones).
    let fields: [fn(&mut pb::ProvenRead) -> &mut Vec<u8>; 3] = [
        |p| &mut p.jmt_proof,
        |p| &mut p.header,
        |p| &mut p.finality_certificate,
    ];
    for field in fields {
        let len = field(&mut proof.clone()).len();
        for i in (0..len).step_by((len / 16).max(1)) {
            let mut tampered = proof.clone();
            field(&mut tampered)[i] ^= 0x01;
            assert!(
                light.verify_did(&holder.state.did, &tampered).is_err(),
                "byte {i} flipped still verifies"
            );
        }
    }
    let mut tampered = proof.clone();
    if let Some(value) = tampered.value.as_mut() {
        value[0] ^= 1;
    }
    assert!(light.verify_did(&holder.state.did, &tampered).is_err());

    // A DID never created is proven absent.
    let (_, stranger) = create_did(Purposes::AUTHENTICATION);
    let absent = resolve(&mut node2, &stranger.state.did, None).await;
    assert!(absent.resolution.is_none());
    let (_, none) = light
        .verify_did(&stranger.state.did, &absent.proof.unwrap())
        .expect("absence proof verifies");
    assert!(none.is_none());

    // Many DIDs in one call: each proven, or proven absent, in the order asked, against one
    // header and one certificate.
    many_dids_in_one_proven_read(&net, &light, &holder.state, &stranger.state.did).await;

    // Rejections, each with its reason.
    let (update, _) = update_did(&holder, &holder.key);
    let wrong_signer =
        realdid_core::keys::SigningKey::generate(realdid_core::keys::Algorithm::EdDsa).unwrap();
    let (forged, _) = update_did(&holder, &wrong_signer);
    assert_eq!(
        rejected(&submit(&mut node0, &forged).await),
        pb::TransactionRejectionReason::BadSignature
    );
    let updated_at = finalized(&submit(&mut node0, &update).await).height;
    net.wait_height(2, updated_at + 1, SLOW).await;
    // History: version 1 is still resolvable, proven against the state at its height, and
    // says which version came next; the latest is version 2.
    let v1 = resolve(
        &mut node2,
        &holder.state.did,
        Some(pb::resolve_request::At::VersionId(1)),
    )
    .await;
    let (read, record) = light
        .verify_did(&holder.state.did, &v1.proof.unwrap())
        .unwrap();
    assert_eq!(record.unwrap().state.version, 1);
    assert!(read.height < updated_at);
    let meta = v1.resolution.unwrap().metadata.unwrap();
    assert_eq!((meta.version_id, meta.next_version_id), (1, Some(2)));
    let latest = resolve(&mut node2, &holder.state.did, None).await;
    let (_, record) = light
        .verify_did(&holder.state.did, &latest.proof.unwrap())
        .unwrap();
    assert_eq!(record.unwrap().state.version, 2);
    // Through the gateway: an earlier version is read proven whatever its age (it says
    // what was), while the current state must be fresh; a reader whose clock is an hour
    // ahead finds every current state too old.
    let an_hour_on = realdid_core::clock::ShiftedClock::new();
    an_hour_on.advance(Duration::from_secs(3600));
    let gateway = realdid_registry_client::RegistryGateway::new(
        &net.endpoints(),
        realdid_registry_client::LightClient::for_genesis(net.layout.genesis()),
    )
    .unwrap()
    .with_clock(std::sync::Arc::new(an_hour_on));
    let v1 = gateway
        .resolve_did_version(&holder.state.did, 1)
        .await
        .unwrap();
    assert_eq!(v1.value.unwrap().state.version, 1);
    assert!(v1.height < updated_at);
    assert!(gateway.resolve_did_at(&holder.state.did).await.is_err());
    // A transaction found by its hash: its block, checked, holds it where the node said.
    let (block, index, _) = gateway
        .transaction(&update.hash().0)
        .await
        .unwrap()
        .expect("the update is final");
    assert_eq!(block.header.height, updated_at);
    assert_eq!(block.transactions[index as usize].hash(), update.hash());
    assert!(gateway.transaction(&[0x5a; 32]).await.unwrap().is_none());
    // Identical bytes are the same transaction: the original receipt again.
    let bytes = update.encode().to_vec();
    assert!(matches!(
        submit_bytes(&mut node2, bytes).await,
        Submitted::Finalized(_)
    ));
    // A second update built on the same previous operation replays a superseded state.
    let (replayed, _) = update_did(&holder, &holder.key);
    assert_eq!(
        rejected(&submit(&mut node2, &replayed).await),
        pb::TransactionRejectionReason::Stale
    );
    // A flipped signature byte, and bytes that are not a transaction.
    let (fresh, _) = create_did(Purposes::AUTHENTICATION);
    let mut bytes = fresh.encode().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    assert_eq!(
        rejected(&submit_bytes(&mut node2, bytes).await),
        pb::TransactionRejectionReason::BadSignature
    );
    assert_eq!(
        rejected(&submit_bytes(&mut node2, vec![9, 9, 9]).await),
        pb::TransactionRejectionReason::Malformed
    );

    // Accreditation needs a quorum of governance keys.
    let governance = net.layout.governance_signing_keys().unwrap();
    let threshold = net.layout.governance_threshold();
    let (issuer_create, issuer) = create_did(Purposes::ASSERTION_METHOD);
    finalized(&submit(&mut node0, &issuer_create).await);
    let short = accredit(&issuer.state, &governance[..threshold - 1], 1);
    assert_eq!(
        rejected(&submit(&mut node0, &short).await),
        pb::TransactionRejectionReason::Unauthorized
    );
    let enough = accredit(&issuer.state, &governance[..threshold], 2);
    let accredited = finalized(&submit(&mut node0, &enough).await).clone();
    net.wait_height(2, accredited.height + 1, SLOW).await;
    let accreditation = node2
        .get_issuer_accreditation(pb::GetIssuerAccreditationRequest {
            issuer_did: issuer.state.did.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    let (_, record) = light
        .verify_issuer(&issuer.state.did, &accreditation.proof.unwrap())
        .unwrap();
    assert!(record.expect("accredited").removed.is_none());

    // One validator of four stops: the other three still commit.
    net.supervisor.kill(3).unwrap();
    let (more, more_holder) = create_did(Purposes::AUTHENTICATION);
    let after_stop = finalized(&submit(&mut node0, &more).await).clone();
    // It comes back, catches up and agrees on the state root.
    net.supervisor.start(3).unwrap();
    let status3 = net.wait_height(3, after_stop.height + 1, SLOW).await;
    // Node 3 may have caught up from a later certificate than node 0 has finalized yet: the
    // two are compared at a height both have.
    net.wait_height(0, status3.height, SLOW).await;
    let mut node0 = net.client(0).await;
    let block0 = node0
        .get_block(pb::GetBlockRequest {
            height: status3.height,
        })
        .await
        .unwrap()
        .into_inner();
    let mut node3 = net.client(3).await;
    let block3 = node3
        .get_block(pb::GetBlockRequest {
            height: status3.height,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        block0.block, block3.block,
        "nodes 0 and 3 disagree at height {}",
        status3.height
    );
    let resolved = resolve(&mut node3, &more_holder.state.did, None).await;
    let (_, record) = light
        .verify_did(&more_holder.state.did, &resolved.proof.unwrap())
        .unwrap();
    assert!(
        record.is_some(),
        "the restarted node serves the DID created while it was down"
    );
    net.supervisor.stop_all(Duration::from_secs(5)).unwrap();
}

/// `GET /metrics` of node `i`, the whole answer.
/// `ResolveMany` from node 2 and the light client's check of it, tampered answers and the
/// bounds on a request; then 64 concurrent reads through a [`DidReader`], which answers each
/// rightly in far fewer calls.
async fn many_dids_in_one_proven_read(
    net: &Devnet,
    light: &LightClient,
    holder: &realdid_core::did::DidState,
    stranger: &realdid_core::did::RealDid,
) {
    use realdid_registry_client::StateKey;
    let mut node2 = net.client(2).await;
    let asked = [holder.did.clone(), stranger.clone(), holder.did.clone()];
    let keys: Vec<StateKey> = asked.iter().cloned().map(StateKey::Did).collect();
    let reads = node2
        .resolve_many(pb::ResolveManyRequest {
            dids: asked.iter().map(ToString::to_string).collect(),
        })
        .await
        .expect("ResolveMany answers")
        .into_inner()
        .proofs
        .expect("proven reads");
    let verified = light.verify_many(&keys, &reads).expect("the reads verify");
    let record = |value: &Option<Vec<u8>>| {
        realdid_registry_client::records::decode_value::<
            realdid_registry_client::records::DidRecord,
        >(value.as_deref().expect("present"), "DID record")
        .expect("a DID record")
        .state
    };
    assert_eq!(&record(&verified.values[0]), holder);
    assert!(
        verified.values[1].is_none(),
        "the stranger is proven absent"
    );
    assert_eq!(verified.values[2], verified.values[0]);

    // Keys in another order, an entry dropped, or any byte of an entry's proof or value
    // flipped: refused.
    let swapped = [keys[1].clone(), keys[0].clone(), keys[2].clone()];
    assert!(light.verify_many(&swapped, &reads).is_err());
    let mut short = reads.clone();
    short.entries.pop();
    assert!(light.verify_many(&keys, &short).is_err());
    let proof_len = reads.entries[0].jmt_proof.len();
    for i in (0..proof_len).step_by((proof_len / 16).max(1)) {
        let mut tampered = reads.clone();
        tampered.entries[1].jmt_proof[i] ^= 1;
        assert!(
            light.verify_many(&keys, &tampered).is_err(),
            "byte {i} of an absence proof flipped still verifies"
        );
    }
    let mut tampered = reads.clone();
    if let Some(value) = tampered.entries[2].value.as_mut() {
        value[0] ^= 1;
    }
    assert!(light.verify_many(&keys, &tampered).is_err());
    let mut tampered = reads.clone();
    tampered.finality_certificate[10] ^= 1;
    assert!(light.verify_many(&keys, &tampered).is_err());

    // Requests out of bounds are refused before anything is read, saying why.
    let refused = |dids: Vec<String>| {
        let mut node = node2.clone();
        async move {
            node.resolve_many(pb::ResolveManyRequest { dids })
                .await
                .expect_err("refused")
        }
    };
    let none = refused(Vec::new()).await;
    assert_eq!(none.code(), tonic::Code::InvalidArgument);
    let too_many = refused(vec![holder.did.to_string(); 65]).await;
    assert_eq!(too_many.code(), tonic::Code::InvalidArgument);
    assert!(too_many.message().contains("65 given"), "{too_many:?}");
    let malformed = refused(vec![holder.did.to_string(), "did:realdid:nope".into()]).await;
    assert_eq!(malformed.code(), tonic::Code::InvalidArgument);
    assert!(malformed.message().contains("dids[1]"), "{malformed:?}");

    // 64 DIDs asked at once through a DidReader: each gets its own answer, and they go out
    // in a few calls, not 64 (the gateway asks node 0 first).
    let gateway = realdid_registry_client::RegistryGateway::new(
        &net.endpoints(),
        LightClient::for_genesis(net.layout.genesis()),
    )
    .expect("a gateway");
    let reader = realdid_registry_client::did_batch::DidReader::new(gateway);
    let strangers: Vec<_> = (0..63)
        .map(|_| create_did(Purposes::AUTHENTICATION).1.state.did)
        .collect();
    let calls_before = resolve_many_calls(net).await;
    let answers = futures::future::join_all(
        std::iter::once(&holder.did)
            .chain(&strangers)
            .map(|did| reader.resolve(did)),
    )
    .await;
    let calls = resolve_many_calls(net).await - calls_before;
    let mut answers = answers.into_iter().map(|a| a.expect("each read answers"));
    let first = answers.next().expect("64 answers");
    assert_eq!(first.value.expect("the holder's record").state, *holder);
    assert!(answers.all(|a| a.value.is_none()), "strangers are absent");
    assert!(
        (1.0..=12.0).contains(&calls),
        "{calls} ResolveMany calls answered 64 concurrent reads"
    );
}

/// How many `ResolveMany` calls node 0 has answered.
async fn resolve_many_calls(net: &Devnet) -> f64 {
    sample(
        &scrape(net, 0).await,
        r#"realdid_rpc_total{method="/realdid.v1.Registry/ResolveMany",code="Ok"}"#,
    )
}

async fn scrape(net: &Devnet, i: usize) -> String {
    let answer =
        realdid_tests::http_get(&net.layout.nodes()[i].metrics_url().expect("a metrics port"))
            .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
}

/// The value of the sample `line_start` (a metric name with its labels) in `text`.
fn sample(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Runs `realdid <args>` off the async threads.
async fn cli(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        realdid_tests::realdid(&args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governors_accredit_an_issuer_by_signing_one_proposal_in_turn() {
    let _serial = crate::serial().await;
    let net = Devnet::start(4);
    for i in 0..4 {
        net.wait_height(i, 1, SLOW).await;
    }
    let mut node0 = net.client(0).await;
    let submissions =
        r#"realdid_rpc_total{method="/realdid.v1.Registry/SubmitTransaction",code="Ok"}"#;
    let before = scrape(&net, 0).await;
    let (create, issuer) = create_did(Purposes::ASSERTION_METHOD);
    finalized(&submit(&mut node0, &create).await);
    let issuer_did = issuer.state.did.to_string();
    // The node's metrics move with the chain: its RPCs counted by method and code, its
    // height, and the consensus engine's own.
    let after = scrape(&net, 0).await;
    assert_eq!(
        sample(&after, submissions),
        sample(&before, submissions) + 1.0,
        "{after}"
    );
    assert!(sample(&after, "realdid_registry_height ") >= 1.0, "{after}");
    assert!(
        after.contains("realdid_registry_finality_seconds_bucket"),
        "{after}"
    );
    assert!(
        after.contains("realdid_rpc_latency_seconds_bucket"),
        "{after}"
    );
    assert!(
        after.lines().any(|l| !l.starts_with('#')
            && !l.starts_with("realdid_")
            && !l.starts_with("HTTP")
            && l.contains('_')),
        "the engine's metrics are there too: {after}"
    );

    let dir = tempfile::tempdir().unwrap();
    let proposal = dir.path().join("accredit.json").display().to_string();
    let genesis = net.layout.genesis_path().display().to_string();
    let endpoints = net.endpoints().join(",");
    let govs: Vec<String> = net
        .layout
        .governance_key_files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let text = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let vct = "https://realdid.example/credentials/identity";

    let out = cli(args(&[
        "governance",
        "propose",
        "--genesis",
        &genesis,
        "--out",
        &proposal,
        "accredit",
        "--issuer",
        &issuer_did,
        "--name",
        "Org B Identity",
        "--credential-type",
        vct,
    ]))
    .await;
    assert!(out.status.success(), "{}", text(&out));

    // The first governor signs; signing again with the same key is refused.
    let sign = |key: &str| {
        args(&[
            "governance",
            "sign",
            "--proposal",
            &proposal,
            "--key",
            key,
            "--yes",
        ])
    };
    let out = cli(sign(&govs[0])).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Org B Identity"),
        "the governor sees what they sign"
    );
    let out = cli(sign(&govs[0])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("already"), "{}", text(&out));

    // One approval of two needed: not submitted.
    let submit_args = |file: &str| {
        args(&[
            "governance",
            "submit",
            "--proposal",
            file,
            "--genesis",
            &genesis,
            "--registry",
            &endpoints,
        ])
    };
    let out = cli(submit_args(&proposal)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("needs 2"), "{}", text(&out));

    // The second governor signs on their own machine; a copy whose action was changed
    // after the signatures is refused, the original is final.
    let out = cli(sign(&govs[1])).await;
    assert!(out.status.success(), "{}", text(&out));
    let tampered = dir.path().join("tampered.json").display().to_string();
    let json = std::fs::read_to_string(&proposal).unwrap();
    std::fs::write(&tampered, json.replace("Org B Identity", "Org M Identity")).unwrap();
    let out = cli(submit_args(&tampered)).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = cli(submit_args(&proposal)).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("final at height"), "{}", text(&out));

    let accreditation = net
        .layout
        .gateway()
        .unwrap()
        .accreditation(&issuer.state.did)
        .await
        .unwrap()
        .expect("accredited");
    assert_eq!(accreditation.name, "Org B Identity");
    assert_eq!(accreditation.credential_types, vec![vct.to_owned()]);

    // Anyone resolves the issuer's DID through the light client, with the height it is
    // proven at; a DID that is not there is proven absent, a refusal.
    let resolve = |did: &str| {
        args(&[
            "did",
            "resolve",
            did,
            "--genesis",
            &genesis,
            "--registry",
            &endpoints,
        ])
    };
    let out = cli(resolve(&issuer_did)).await;
    assert!(out.status.success(), "{}", text(&out));
    let document: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(document["id"], issuer_did.as_str());
    assert!(text(&out).contains("proven at height"), "{}", text(&out));
    let (_, stranger) = create_did(Purposes::AUTHENTICATION);
    let out = cli(resolve(&stranger.state.did.to_string())).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("proven absent"), "{}", text(&out));

    // The register of issuers names it, proven: this devnet accredited it first.
    let register = net
        .layout
        .gateway()
        .unwrap()
        .issuer_register_at(16)
        .await
        .unwrap();
    let places: Vec<String> = register
        .value
        .iter()
        .map(|e| e.issuer.to_string())
        .collect();
    assert_eq!(places, std::slice::from_ref(&issuer_did));

    // Tools built on ssi resolve it through the light client, as any DID method.
    {
        use ssi_dids_core::DIDResolver as _;
        let gateway = net.layout.gateway().unwrap();
        let did = ssi_dids_core::DIDBuf::from_string(issuer_did.clone()).unwrap();
        let output = gateway.resolve(&did).await.unwrap();
        assert_eq!(output.document.id.as_str(), issuer_did.as_str());
        assert_eq!(output.document_metadata.deactivated, Some(false));
        let absent = ssi_dids_core::DIDBuf::from_string(stranger.state.did.to_string()).unwrap();
        assert!(matches!(
            gateway.resolve(&absent).await,
            Err(ssi_dids_core::resolution::Error::NotFound)
        ));
    }

    // Any node resolves it the way a Universal Resolver driver does.
    let resolver = net.layout.nodes()[1]
        .resolver_url()
        .expect("a resolver port");
    let answer = realdid_tests::http_get(&format!("{resolver}{issuer_did}")).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body: serde_json::Value =
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["didDocument"]["id"], issuer_did.as_str());
    assert_eq!(body["didDocumentMetadata"]["deactivated"], false);
    assert!(
        answer.to_lowercase().contains("x-realdid-height"),
        "{answer}"
    );
    let absent = realdid_tests::http_get(&format!("{resolver}{}", stranger.state.did)).await;
    assert!(absent.starts_with("HTTP/1.1 404"), "{absent}");
    assert!(absent.contains("notFound"), "{absent}");
    let garbage = realdid_tests::http_get(&format!("{resolver}did:realdid:nope")).await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    assert!(garbage.contains("invalidDid"), "{garbage}");
}

/// Malformed and replayed transactions against a running node: bytes that are no
/// transaction, and a valid one with one byte changed anywhere, are each refused with a
/// typed reason (never applied, never an error status); the valid one, sent twice, is final
/// once and its replay answers the same receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_replayed_transactions_are_refused_with_their_reasons() {
    use commonware_codec::Encode as _;
    use pb::TransactionRejectionReason as R;

    let shared = crate::shared_devnet::shared_devnet().await;
    let mut node = shared.net.client(0).await;
    let (tx, _) = create_did(Purposes::AUTHENTICATION);
    let bytes = tx.encode().to_vec();
    let mut state = 0x00C0_FFEE_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut refused = 0;
    // One byte changed at 200 places: a signature no longer verifies, or the bytes no
    // longer decode.
    for _ in 0..200 {
        let mut changed = bytes.clone();
        let at = (next() as usize) % changed.len();
        changed[at] ^= 1 + (next() % 255) as u8;
        let reason = rejected(&submit_bytes(&mut node, changed).await);
        assert!(
            matches!(
                reason,
                R::Malformed
                    | R::WrongChain
                    | R::BadSignature
                    | R::Unauthorized
                    | R::InvalidDidOperation
            ),
            "byte {at}: {reason:?}"
        );
        refused += 1;
    }
    // Bytes that are no transaction at all, of every length up to 4 KiB.
    for _ in 0..200 {
        let len = (next() % 4096) as usize;
        let garbage: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert_eq!(
            rejected(&submit_bytes(&mut node, garbage).await),
            R::Malformed
        );
        refused += 1;
    }
    assert_eq!(refused, 400);
    // The valid one is final; sent again, it is the same transaction: the same receipt.
    let first = finalized(&submit_bytes(&mut node, bytes.clone()).await).clone();
    let again = finalized(&submit_bytes(&mut node, bytes).await).clone();
    assert_eq!(first, again);
}
