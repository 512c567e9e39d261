//! The devnet demo's citizen journey, told from each party's side: a wallet with pairwise
//! DIDs enrols with the issuer; two providers each learn only what they asked for; the
//! phone is lost and the wallet restored and recovered; a suspension reaches the verifier;
//! a lawful trace needs two approvals and leaves a mark on chain. The citizen's side is
//! realdid-wallet, the same library as `realdid wallet`.

use std::time::Duration;

use realdid_core::control_proof::sign_control_proof;
use realdid_core::did::{KeyId, RealDid};
use realdid_core::keys::SigningKey;
use realdid_issuer::authority::dataset::Person;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry::devnet::DevnetLayout;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_verifier::client::ProviderClient;
use realdid_verifier::requests::RequestSpec;
use realdid_verifier::verify::{Outcome, Verified};
use realdid_wallet::issuer_link::{Identity, IssuerLink};
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::present::{self, Transport, Verdict};
use realdid_wallet::{Wallet, dids};
use tonic::transport::Channel;

use super::devnet_issuer::IssuerSide;
use super::devnet_verifier::VerifierSide;
use crate::error::CliError;

/// The demo wallet's passphrase: a demo, so it is printed; a real one is asked for.
const DEMO_PASSPHRASE: &str = "demo passphrase, not a secret";

fn refused(what: &str) -> impl FnOnce(tonic::Status) -> CliError + '_ {
    move |status| CliError::Refused(format!("{what}: {}", status.message()))
}

async fn nonce(
    issuer: &mut IssuerClient<Channel>,
    purpose: pb::NoncePurpose,
) -> Result<String, CliError> {
    Ok(issuer
        .create_nonce(pb::CreateNonceRequest {
            purpose: purpose as i32,
        })
        .await
        .map_err(refused("nonce"))?
        .into_inner()
        .nonce)
}

fn proof(
    did: &RealDid,
    key_id: &KeyId,
    key: &SigningKey,
    nonce: &str,
    issuer: &RealDid,
) -> Result<pb::DidControlProof, CliError> {
    let now = i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX);
    Ok(pb::DidControlProof {
        did: did.to_string(),
        proof_jws: sign_control_proof(did, key_id, key, nonce, issuer.as_str(), now)
            .map_err(|e| CliError::Refused(format!("signing a proof of control: {e}")))?,
    })
}

fn authorized<T>(message: T, token: &str) -> Result<tonic::Request<T>, CliError> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| CliError::Refused("session token is not ASCII".into()))?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

/// A provider asks; the wallet reads the request by its URI, checks the provider's
/// signature against its DID on the registry, shows it, answers only what is asked and
/// sends it where the provider signed; the provider reads the verdict.
async fn ask(
    provider: &mut ProviderClient,
    wallet: &mut Wallet,
    (registry, transport): (&RegistryGateway, &Transport),
    claims: &[&str],
    predicates: &[&str],
    purpose: &str,
) -> Result<(Verdict, Outcome), CliError> {
    let request = provider
        .create_request(&RequestSpec {
            claims: claims.iter().map(|c| (*c).to_owned()).collect(),
            predicates: predicates.iter().map(|c| (*c).to_owned()).collect(),
            purpose: purpose.into(),
            expiry_seconds: 0,
            credential_types: vec![],
        })
        .await?;
    let fetched = present::fetch_request(&request.request_uri, registry, transport).await?;
    println!("    the wallet reads {} and shows:", request.request_uri);
    for line in present::describe(wallet, &fetched).lines() {
        println!("      {line}");
    }
    let prepared = present::prepare(wallet, &fetched, super::unix_s())?;
    println!(
        "    it answers as {}… disclosing only [{}]",
        &prepared.did.as_str()[..24],
        prepared.disclosed.join(", ")
    );
    let verdict = present::send(wallet, &prepared, transport).await?;
    let outcome = provider.result(&request.request_id).await?;
    Ok((verdict, outcome))
}

fn sees(who: &str, v: &Verified) {
    println!(
        "    {who} sees: claims {:?}, predicates {:?}, subject id {}…, issuer accredited, status valid (registry height {})",
        v.claims,
        v.predicates,
        &v.subject_id[..16.min(v.subject_id.len())],
        v.registry_height
    );
}

fn verified(who: &str, outcome: Outcome) -> Result<Verified, CliError> {
    match outcome {
        Outcome::Verified(v) => {
            sees(who, &v);
            Ok(v)
        }
        Outcome::Failed(f) => Err(CliError::Refused(format!(
            "{who}'s check failed: {:?}: {}",
            f.reason, f.message
        ))),
    }
}

/// Runs the citizen's part of the demo against the devnet's issuer and verifier.
pub async fn citizen(
    layout: &DevnetLayout,
    side: &IssuerSide,
    mut issuer: IssuerClient<Channel>,
    verifier_side: &VerifierSide,
) -> Result<(), CliError> {
    let people: Vec<Person> =
        serde_json::from_str(&std::fs::read_to_string(&side.people).map_err(|source| {
            CliError::Io {
                path: side.people.display().to_string(),
                source,
            }
        })?)?;
    // A person not enrolled by an earlier demo on this devnet.
    let person = &people[usize::try_from(super::unix_ms() / 1000).unwrap_or(0) % people.len()];
    let registry = layout.gateway()?;
    let issuer_endpoint = format!("{}://{}", layout.scheme(), side.config.grpc_listen);
    let verifier_endpoint = super::devnet_verifier::endpoint(layout, verifier_side);
    let transport = match layout.transport() {
        realdid_registry::devnet::Transport::Tls => Transport::tls(layout.client_tls()),
        realdid_registry::devnet::Transport::Plaintext => Transport::plaintext(),
    };
    let wallets = layout.dir().join("wallets");
    let stamp = super::unix_ms();
    let phone = wallets.join(format!("phone-{stamp}"));

    println!(
        "\n[4] {} (resident ID {}) creates a wallet on their phone: {}",
        person.full_name,
        person.resident_id,
        phone.display()
    );
    println!(
        "    sealed with AES-256-GCM under a key Argon2id derives from the passphrase {DEMO_PASSPHRASE:?}"
    );
    let mut wallet = Wallet::create(&phone, DEMO_PASSPHRASE, KdfParams::MINIMUM)?;

    println!(
        "[5] the wallet enrols with the issuer: one new DID per service, each proven by its own key"
    );
    let mut link = IssuerLink::connect_with(&issuer_endpoint, &layout.client_tls()).await?;
    let mut pairwise = Vec::new();
    for (name, provider) in [
        ("the bank", &verifier_side.bank),
        ("the shop", &verifier_side.shop),
    ] {
        let did = dids::for_provider(&mut wallet, &registry, provider.as_str()).await?;
        println!(
            "    for {name} ({}…): {did} (final, read back with a proof)",
            &provider.as_str()[..24]
        );
        pairwise.push(did);
    }
    let identity = Identity {
        full_name: person.full_name.clone(),
        resident_id: person.resident_id.clone(),
        evidence_token: person.evidence_token.clone(),
    };
    for (did, id) in link.enrol(&mut wallet, &identity, &pairwise).await? {
        println!(
            "    credential {id}: an SD-JWT VC bound to {}…",
            &did.as_str()[..24]
        );
    }
    println!(
        "    the issuer kept no name or number: an Argon2id index entry and a record sealed 2-of-3 to the trace approvers"
    );

    let tls = layout.client_tls();
    let mut bank =
        ProviderClient::connect_with(verifier_endpoint.clone(), &verifier_side.token, &tls).await?;
    let mut shop =
        ProviderClient::connect_with(verifier_endpoint.clone(), &verifier_side.shop_token, &tls)
            .await?;
    println!("[6] the bank asks for a verified real person and their province, nothing else");
    let (_, outcome) = ask(
        &mut bank,
        &mut wallet,
        (&registry, &transport),
        &["province"],
        &["real_name_verified"],
        "open an account",
    )
    .await?;
    let at_bank = verified("the bank", outcome)?;
    println!("[7] the shop asks only whether the customer is over 18");
    let (_, outcome) = ask(
        &mut shop,
        &mut wallet,
        (&registry, &transport),
        &[],
        &["age_over_18"],
        "sell wine",
    )
    .await?;
    let at_shop = verified("the shop", outcome)?;
    println!(
        "    bank and shop compare notes: different DIDs, different subject ids ({}… vs {}…), nothing in common",
        &at_bank.subject_id[..8],
        &at_shop.subject_id[..8]
    );

    println!("[8] the phone is lost: a backup is restored on a new phone and each DID recovered");
    let backup = wallets.join(format!("backup-{stamp}"));
    wallet.backup(&backup, DEMO_PASSPHRASE)?;
    drop(wallet);
    std::fs::remove_file(&phone).map_err(|source| CliError::Io {
        path: phone.display().to_string(),
        source,
    })?;
    let new_phone = wallets.join(format!("new-phone-{stamp}"));
    let mut wallet = Wallet::restore(
        &backup,
        DEMO_PASSPHRASE,
        &new_phone,
        DEMO_PASSPHRASE,
        KdfParams::MINIMUM,
    )?;
    for did in &pairwise {
        let state = dids::recover(&mut wallet, &registry, did).await?;
        println!(
            "    {}…: the recovery key installed a new device key (version {}); the lost phone's key controls nothing",
            &did.as_str()[..24],
            state.version
        );
    }
    link.enrol(&mut wallet, &identity, &pairwise).await?;
    println!(
        "    enrolled again: new credentials bound to the new keys; the old ones are revoked as superseded"
    );
    let (_, outcome) = ask(
        &mut bank,
        &mut wallet,
        (&registry, &transport),
        &["province"],
        &["real_name_verified"],
        "log in",
    )
    .await?;
    let again = verified("the bank", outcome)?;
    println!(
        "    the same subject id as before ({}): the bank still knows its customer",
        if again.subject_id == at_bank.subject_id {
            "yes"
        } else {
            "NO"
        }
    );

    println!("[9] the citizen suspends the bank DID's credential");
    let bank_did = &pairwise[0];
    let ids = link.suspend(&wallet, bank_did, false).await?;
    println!(
        "    suspended {}; the new status list is anchored on chain",
        ids.join(", ")
    );
    let ttl = verifier_side.config.cache.status_ttl_seconds;
    tokio::time::sleep(Duration::from_secs(ttl + 1)).await;
    let (verdict, _) = ask(
        &mut bank,
        &mut wallet,
        (&registry, &transport),
        &["province"],
        &["real_name_verified"],
        "log in",
    )
    .await?;
    match verdict {
        Verdict::Refused { reason, message } => println!(
            "    {ttl} s later (the verifier's status-list cache) the presentation is refused: {reason}: {message}"
        ),
        Verdict::Verified => {
            return Err(CliError::Refused(
                "a suspended credential was accepted".into(),
            ));
        }
    }
    let entry = wallet.contents().did(bank_did)?.clone();
    let (did, key_id, key) = (bank_did, &entry.key_id, entry.key.key()?);
    println!(
        "    the wallet's log holds {} presentations: to whom, what was disclosed, when",
        wallet.contents().log.len()
    );

    println!(
        "[10] a lawful trace of the bank DID: requested by an officer, approved by 2 of 3 approvers"
    );
    let issuer_dir = side
        .config_path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let password_file = issuer_dir.join("operator-password");
    let password = std::fs::read_to_string(&password_file).map_err(|source| CliError::Io {
        path: password_file.display().to_string(),
        source,
    })?;
    let token = issuer
        .operator_login(pb::OperatorLoginRequest {
            operator_id: "officer".into(),
            credential: Some(pb::operator_login_request::Credential::Password(
                password.trim().into(),
            )),
        })
        .await
        .map_err(refused("login"))?
        .into_inner()
        .session_token;
    // The officer's own key: what the approvers release goes to it alone.
    let officer = realdid_core::escrow::OfficerSecret::generate()
        .map_err(|e| CliError::Refused(format!("the officer's key: {e}")))?;
    let trace = issuer
        .create_trace(authorized(
            pb::CreateTraceRequest {
                officer_key: officer.public().as_bytes().to_vec(),
                subject_did: did.to_string(),
                legal_basis: "Demo: court order 2026-001".into(),
                case_reference: "DEMO-1".into(),
                subject: None,
            },
            &token,
        )?)
        .await
        .map_err(refused("trace request"))?
        .into_inner()
        .trace
        .ok_or_else(|| CliError::Refused("trace request: empty answer".into()))?;
    // Each approver checks the request file and signs on their own machine; the devnet
    // holds their keys in <devnet>/approvers/ for the demo.
    let request = super::approver::request_file(&trace)?;
    let approvers = super::devnet_issuer::devnet_approvers(layout)?;
    let k = usize::try_from(trace.approvals_required).unwrap_or(usize::MAX);
    for (i, approver) in approvers.iter().take(k).enumerate() {
        issuer
            .approve_trace(super::approver::approve(
                &request,
                approver,
                super::unix_ms() / 1000,
            )?)
            .await
            .map_err(refused("approval"))?;
        if i == 0 {
            let early = issuer
                .open_trace(authorized(
                    pb::OpenTraceRequest {
                        trace_id: trace.trace_id.clone(),
                    },
                    &token,
                )?)
                .await;
            match early {
                Err(status) => println!(
                    "    with 1 approval the record stays sealed: {}",
                    status.message()
                ),
                Ok(_) => return Err(CliError::Refused("a trace opened with one approval".into())),
            }
        }
    }
    let opened = issuer
        .open_trace(authorized(
            pb::OpenTraceRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        )?)
        .await
        .map_err(refused("opening"))?
        .into_inner();
    // The opening as anyone can check it: the anchor and its approvals, proven against the
    // validators' keys, and the approver set it was checked against.
    let proven = registry
        .audit_anchor_at(&side.did, opened.audit_sequence)
        .await?;
    let anchor = proven.value.ok_or_else(|| {
        CliError::Refused(format!(
            "audit anchor {} is not on chain (proven absent at height {})",
            opened.audit_sequence, proven.height
        ))
    })?;
    let n = registry
        .accreditation(&side.did)
        .await?
        .and_then(|r| r.trace_approvers)
        .map_or(0, |a| a.set.approvers.len());
    println!(
        "    trace opened: audit anchor {} at height {}, {} of {} approvals, proven",
        anchor.anchor.sequence,
        anchor.height,
        anchor.anchor.approvals.len(),
        n
    );
    // Each approver, on their own machine, checks the anchor on chain and releases its
    // share to the officer, bound to this record and this anchor; the issuer passes them on
    // but cannot open them.
    let hash: [u8; 32] = trace
        .request_hash
        .clone()
        .try_into()
        .map_err(|_| CliError::Refused("the request hash is not 32 bytes".into()))?;
    for approver in approvers.iter().take(k) {
        let answer = issuer
            .get_sealed_record(pb::GetSealedRecordRequest {
                trace_id: trace.trace_id.clone(),
            })
            .await
            .map_err(refused("reading the sealed record"))?
            .into_inner();
        let sealed = realdid_core::escrow::ThresholdSealed::from_json(&answer.sealed_record)
            .map_err(|e| CliError::Refused(format!("the sealed record: {e}")))?;
        let anchor_hash =
            super::approver::anchored(&request, &registry, &sealed, answer.audit_sequence, &hash)
                .await?;
        let share =
            realdid_core::escrow::release_share(&sealed, approver, &anchor_hash, &officer.public())
                .map_err(|e| CliError::Refused(format!("releasing a share: {e}")))?;
        issuer
            .release_share(super::approver::signed_release(
                &trace.trace_id,
                &share,
                approver,
            )?)
            .await
            .map_err(refused("handing over a share"))?;
    }
    let collected = issuer
        .collect_shares(authorized(
            pb::CollectSharesRequest {
                trace_id: trace.trace_id.clone(),
            },
            &token,
        )?)
        .await
        .map_err(refused("collecting the shares"))?
        .into_inner();
    let record =
        super::issuer_staff::open_record(&registry, &side.did, &collected, &officer).await?;
    println!(
        "    {} approvers released their shares to the officer, who alone reads {} ({}), \
         enrolled with {} DIDs",
        collected.released_shares.len(),
        record.full_name,
        record.resident_id,
        record.dids.len()
    );

    println!("[11] later, the citizen can see that their DID was traced");
    tokio::time::sleep(Duration::from_secs(
        u64::from(super::devnet_issuer::DEVNET_DISCLOSURE_DELAY_SECONDS) + 1,
    ))
    .await;
    let n = nonce(&mut issuer, pb::NoncePurpose::ListOwnTraces).await?;
    let own = issuer
        .list_own_traces(pb::ListOwnTracesRequest {
            proof: Some(proof(did, key_id, &key, &n, &side.did)?),
            nonce: n,
            page: None,
        })
        .await
        .map_err(refused("listing traces"))?
        .into_inner();
    for t in own.traces {
        println!(
            "    trace {} under \"{}\", opened at height {}",
            t.trace_id, t.legal_basis, t.audit_anchor_height
        );
    }
    // And without asking the issuer: the wallet finds the disclosure on chain by a tag only
    // it can compute, once the issuer has published it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let seen = loop {
        let seen = realdid_wallet::traces::disclosed_traces(&wallet, &registry).await?;
        if !seen.is_empty() || std::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for t in &seen {
        println!(
            "    the wallet finds it on chain by its own tag: audit anchor {} at height {}, \
             disclosed at height {}, proven",
            t.sequence, t.anchored_height, t.disclosed_height
        );
    }
    if seen.is_empty() {
        return Err(CliError::Refused(
            "the opening was not disclosed on chain within 30 s".into(),
        ));
    }
    let register = registry
        .accreditation(&side.did)
        .await?
        .ok_or_else(|| CliError::Refused("the devnet issuer is not on the register".into()))?;
    println!(
        "    anyone can count, proven: the issuer opened {} record(s), {} disclosed",
        register.counts.openings, register.counts.disclosures
    );
    Ok(())
}
