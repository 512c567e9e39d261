//! Proven lookups: a DID's document and an issuer's register entry, each read through the
//! light client and checked against the genesis validators before it is shown. Each
//! request runs on its own task, so a slow node delays only its own answer.

use std::sync::Arc;
use std::time::Duration;

use realdid_core::codec::Transaction;
use realdid_core::did::document::realdid_document;
use realdid_core::did::{DidOperation, RealDid};
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use realdid_registry_client::RegistryGateway;
use realdid_registry_client::records::{DidRecord, IssuerRecord};
use tokio::sync::mpsc;

use super::operator::Operator;
use super::proposals::Proposals;
use crate::event::{Request, Update};
use crate::model::{
    AnchorRow, BlockFacts, ChangeOutcome, DidFacts, DidVersionRow, IssuerFacts, Lookup,
    MAX_AUDIT_ANCHORS, MAX_DID_HISTORY, ProvenAt,
};

/// How often the known issuers' entries are read again.
const ISSUER_REFRESH: Duration = Duration::from_secs(15);
/// How often an operator's console lists the issuer's trace requests again.
const TRACES_REFRESH: Duration = Duration::from_secs(5);
/// The status lists each issuer endpoint named, by the issuer's DID.
type ListUris = Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>>;

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How often an operator's console reads the issuer's figures and audit log again: the
/// issuer counts them over its status lists' entries, a cost that grows with what it
/// issued, so not as often as the traces.
const FIGURES_REFRESH: Duration = Duration::from_secs(15);
/// How many places of the issuer register the console reads (each a proven read, every
/// `ISSUER_REFRESH`, with each issuer's entry and its newest openings).
const MAX_REGISTER: u32 = 256;
/// How long asking an issuer for its DID may take.
const ISSUER_INFO_DEADLINE: Duration = Duration::from_secs(3);

/// Answers `requests` until either channel closes; reads the known issuers (by DID, and
/// those found by asking the issuer endpoints for theirs) at start and every
/// `ISSUER_REFRESH`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    gateway: Arc<RegistryGateway>,
    issuer_dids: Vec<String>,
    issuer_endpoints: Vec<String>,
    operator: Option<Operator>,
    proposals: Option<Arc<Proposals>>,
    tls: ClientTls,
    mut requests: mpsc::Receiver<Request>,
    updates: mpsc::Sender<Update>,
) {
    let mut known = issuer_dids;
    // Approvals go to the operator's issuer, else to the first issuer endpoint.
    let approve_at = operator
        .as_ref()
        .map(|o| o.endpoint.clone())
        .or_else(|| issuer_endpoints.first().cloned());
    // Approvals signed and waiting for the approver's yes, by number.
    let mut prepared: std::collections::HashMap<u64, pb::ApproveTraceRequest> =
        std::collections::HashMap::new();
    let mut next_approval = 1u64;
    let (ready_tx, mut ready) = mpsc::channel::<(u64, pb::ApproveTraceRequest)>(8);
    // Each endpoint is asked on its own task: one that does not answer must hold up
    // neither the others nor the operator's lookups.
    let (found_tx, mut found) = mpsc::channel::<String>(8);
    let lists = ListUris::default();
    for endpoint in issuer_endpoints {
        let (tls, found, updates, lists) = (
            tls.clone(),
            found_tx.clone(),
            updates.clone(),
            lists.clone(),
        );
        tokio::spawn(async move {
            match issuer_did(&endpoint, &tls).await {
                Ok((did, uris)) => {
                    // Only the lists' names come from the issuer: their anchors are read
                    // proven.
                    lock(&lists).insert(did.clone(), uris);
                    let _ = found.send(did).await;
                }
                Err(reason) => {
                    let failed = Lookup::Failed {
                        query: endpoint,
                        reason,
                    };
                    let _ = updates.send(Update::Issuer(failed)).await;
                }
            }
        });
    }
    let mut refresh = tokio::time::interval(ISSUER_REFRESH);
    let mut traces = tokio::time::interval(TRACES_REFRESH);
    traces.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut figures = tokio::time::interval(FIGURES_REFRESH);
    figures.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = traces.tick(), if operator.is_some() => {
                if let Some(operator) = operator.clone() {
                    let (tls, updates) = (tls.clone(), updates.clone());
                    tokio::spawn(async move {
                        let listed = super::operator::traces(&operator, &tls).await;
                        let _ = updates.send(Update::Traces(listed)).await;
                    });
                }
            }
            _ = figures.tick(), if operator.is_some() => {
                if let Some(operator) = operator.clone() {
                    let (tls, updates) = (tls.clone(), updates.clone());
                    tokio::spawn(async move {
                        let (figures, log) = super::operator::figures(&operator, &tls).await;
                        let _ = updates.send(Update::IssuerOwn { figures, log }).await;
                    });
                }
            }
            Some(did) = found.recv() => {
                if !known.contains(&did) {
                    known.push(did.clone());
                    tokio::spawn(answer(gateway.clone(), Request::ReadIssuer(did), lists.clone(), updates.clone()));
                }
            }
            _ = refresh.tick() => {
                for did in &known {
                    tokio::spawn(answer(gateway.clone(), Request::ReadIssuer(did.clone()), lists.clone(), updates.clone()));
                }
                // The register names every issuer ever accredited: those not known yet are
                // read like the others.
                let (gateway, found, updates) = (gateway.clone(), found_tx.clone(), updates.clone());
                tokio::spawn(async move {
                    let register = gateway.issuer_register_at(MAX_REGISTER).await;
                    let update = match register {
                        Ok(proven) => {
                            for entry in &proven.value {
                                let _ = found.send(entry.issuer.to_string()).await;
                            }
                            Ok(ProvenAt {
                                value: Some(proven.value.len()),
                                height: proven.height,
                                block_time_ms: proven.block_time_ms,
                            })
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = updates.send(Update::Register(update)).await;
                });
            }
            Some((id, approval)) = ready.recv() => {
                // At most a few wait: an approver answers one question at a time.
                if prepared.len() >= 16 {
                    prepared.clear();
                }
                prepared.insert(id, approval);
            }
            request = requests.recv() => {
                let Some(request) = request else { return };
                if let Request::PrepareApproval { request_file, key_file } = request {
                    let id = next_approval;
                    next_approval += 1;
                    let now_s = u64::try_from(gateway.clock().now().as_secs()).unwrap_or(0);
                    let (ready, updates) = (ready_tx.clone(), updates.clone());
                    tokio::spawn(async move {
                        let prepared = tokio::task::spawn_blocking(move || {
                            super::approvals::prepare(
                                std::path::Path::new(&request_file),
                                std::path::Path::new(&key_file),
                                now_s,
                            )
                        })
                        .await
                        .unwrap_or_else(|e| Err(format!("reading the request: {e}")));
                        let update = match prepared {
                            Ok((description, approval)) => {
                                if ready.send((id, approval)).await.is_err() {
                                    return;
                                }
                                Update::ApprovalReady { id, description }
                            }
                            Err(why) => Update::ActionDone(Err(why)),
                        };
                        let _ = updates.send(update).await;
                    });
                    continue;
                }
                if let Request::SendApproval { id } = request {
                    let (approval, endpoint) = (prepared.remove(&id), approve_at.clone());
                    let (tls, updates) = (tls.clone(), updates.clone());
                    tokio::spawn(async move {
                        let done = match (approval, endpoint) {
                            (Some(approval), Some(endpoint)) => {
                                super::approvals::send(&endpoint, &tls, approval).await
                            }
                            (None, _) => Err("that approval is no longer waiting".into()),
                            (_, None) => Err(
                                "no issuer endpoint to send it to (--issuer-endpoint)".into(),
                            ),
                        };
                        let _ = updates.send(Update::ActionDone(done)).await;
                    });
                    continue;
                }
                if let Request::ReadIssuer(did) = &request
                    && !known.contains(did)
                {
                    known.push(did.clone());
                }
                if matches!(request, Request::SignProposal { .. } | Request::SubmitProposal { .. }) {
                    let (gateway, proposals, updates) =
                        (gateway.clone(), proposals.clone(), updates.clone());
                    tokio::spawn(async move {
                        let done = governance(&gateway, proposals.as_deref(), request).await;
                        let _ = updates.send(Update::ActionDone(done)).await;
                    });
                    continue;
                }
                if let Request::FindCredential(id) = request {
                    let (operator, tls, updates) = (operator.clone(), tls.clone(), updates.clone());
                    tokio::spawn(async move {
                        let found = match &operator {
                            Some(operator) => super::operator::credential(operator, &tls, id).await,
                            None => Err("no operator session".into()),
                        };
                        let _ = updates.send(Update::Credential(found)).await;
                    });
                    continue;
                }
                if let Request::ChangeStatus { id, action, credential_id, note } = request {
                    let (operator, tls, updates) = (operator.clone(), tls.clone(), updates.clone());
                    tokio::spawn(async move {
                        let outcome = match &operator {
                            Some(operator) => {
                                super::operator::change(operator, &tls, action, credential_id, note).await
                            }
                            None => ChangeOutcome::Failed("no operator session".into()),
                        };
                        let _ = updates.send(Update::StatusChanged { id, outcome }).await;
                    });
                    continue;
                }
                tokio::spawn(answer(gateway.clone(), request, lists.clone(), updates.clone()));
            }
        }
    }
}

/// Signs or submits a proposal file, as `request` asks; file work runs on the blocking
/// pool.
async fn governance(
    gateway: &RegistryGateway,
    proposals: Option<&Proposals>,
    request: Request,
) -> Result<String, String> {
    let Some(proposals) = proposals else {
        return Err("no proposals directory".into());
    };
    match request {
        Request::SignProposal { file, key_file } => {
            let proposals = proposals.clone();
            tokio::task::spawn_blocking(move || {
                proposals.sign(&file, std::path::Path::new(&key_file))
            })
            .await
            .unwrap_or_else(|e| Err(format!("signing: {e}")))
        }
        Request::SubmitProposal { file } => proposals.submit(gateway, &file).await,
        _ => Err("not a governance request".into()),
    }
}

/// The DID an issuer endpoint says it has (GetIssuerInfo): only a name to look up; what is
/// shown about it is read from the chain.
async fn issuer_did(endpoint: &str, tls: &ClientTls) -> Result<(String, Vec<String>), String> {
    tokio::time::timeout(ISSUER_INFO_DEADLINE, async {
        let channel = tls.connect(endpoint).await.map_err(|e| e.to_string())?;
        IssuerClient::new(channel)
            .get_issuer_info(pb::GetIssuerInfoRequest {})
            .await
            .map(|r| r.into_inner())
            .map(|info| (info.issuer_did, info.status_list_uris))
            .map_err(|status| format!("{endpoint}: {}", status.message()))
    })
    .await
    .unwrap_or_else(|_| Err(format!("{endpoint}: no answer")))
}

/// Reads what `request` asks for and sends the lookup's outcome.
async fn answer(
    gateway: Arc<RegistryGateway>,
    request: Request,
    lists: ListUris,
    updates: mpsc::Sender<Update>,
) {
    let update = match request {
        Request::ResolveDid(query) => Update::Did(resolve(&gateway, query).await),
        Request::ReadIssuer(query) => {
            let uris = lock(&lists).get(&query).cloned().unwrap_or_default();
            Update::Issuer(read_issuer(&gateway, query, uris).await)
        }
        Request::OpenBlock(height) => Update::BlockOpened(open_block(&gateway, height).await),
        Request::FindTransaction(hash) => {
            Update::BlockOpened(find_transaction(&gateway, hash).await)
        }
        Request::ChangeStatus { id, .. } => Update::StatusChanged {
            id,
            outcome: ChangeOutcome::Failed("not a lookup".into()),
        },
        Request::SignProposal { .. }
        | Request::SubmitProposal { .. }
        | Request::PrepareApproval { .. }
        | Request::SendApproval { .. } => Update::ActionDone(Err("not a lookup".into())),
        Request::FindCredential(_) => Update::Credential(Err("not a lookup".into())),
    };
    let _ = updates.send(update).await;
}

/// The DID `query` names, or the failed lookup that says why it names none.
fn parse<T>(query: &str) -> Result<RealDid, Lookup<T>> {
    query.trim().parse().map_err(|e| Lookup::Failed {
        reason: format!("not a did:realdid: {e}"),
        query: query.to_owned(),
    })
}

async fn resolve(gateway: &RegistryGateway, query: String) -> Lookup<DidFacts> {
    let did = match parse(&query) {
        Ok(did) => did,
        Err(failed) => return failed,
    };
    let proven = match gateway.resolve_did_at(&did).await {
        Ok(proven) => proven,
        Err(e) => {
            return Lookup::Failed {
                reason: e.to_string(),
                query,
            };
        }
    };
    let value = match proven.value {
        None => None,
        Some(record) => {
            let document = realdid_document(&record.state)
                .map_err(|e| e.to_string())
                .and_then(|doc| serde_json::to_string_pretty(&doc).map_err(|e| e.to_string()));
            match document {
                Ok(document) => Some(DidFacts {
                    document,
                    version: record.state.version,
                    deactivated: record.state.is_deactivated(),
                    created_height: record.created_height,
                    updated_height: record.updated_height,
                    history: history(gateway, &did, &record).await,
                }),
                Err(reason) => return Lookup::Failed { query, reason },
            }
        }
    };
    Lookup::Proven {
        query,
        answer: ProvenAt {
            value,
            height: proven.height,
            block_time_ms: proven.block_time_ms,
        },
    }
}

/// A version as the history shows it.
fn version_row(record: &DidRecord) -> DidVersionRow {
    DidVersionRow {
        version: record.state.version,
        height: record.updated_height,
        time_ms: i64::try_from(record.updated_ms).unwrap_or(i64::MAX),
        keys: record
            .state
            .document
            .keys
            .iter()
            .map(|k| k.id.as_str().to_owned())
            .collect(),
        services: record.state.document.services.len(),
        deactivated: record.state.is_deactivated(),
        problem: None,
    }
}

/// `current` and the versions before it, newest first, up to [`MAX_DID_HISTORY`], each
/// read proven where it was applied (at once: each is its own read).
async fn history(
    gateway: &RegistryGateway,
    did: &RealDid,
    current: &DidRecord,
) -> Vec<DidVersionRow> {
    let newest = current.state.version;
    let oldest = newest.saturating_sub(MAX_DID_HISTORY - 1).max(1);
    let earlier = (oldest..newest).rev().map(|version| async move {
        match gateway.resolve_did_version(did, version).await {
            Ok(proven) => match proven.value {
                Some(record) => version_row(&record),
                None => DidVersionRow {
                    problem: Some("proven absent".into()),
                    ..unread(version)
                },
            },
            Err(e) => DidVersionRow {
                problem: Some(e.to_string()),
                ..unread(version)
            },
        }
    });
    let mut rows = vec![version_row(current)];
    rows.extend(futures::future::join_all(earlier).await);
    rows
}

fn unread(version: u64) -> DidVersionRow {
    DidVersionRow {
        version,
        height: 0,
        time_ms: 0,
        keys: Vec::new(),
        services: 0,
        deactivated: false,
        problem: None,
    }
}

async fn read_issuer(
    gateway: &RegistryGateway,
    query: String,
    list_uris: Vec<String>,
) -> Lookup<IssuerFacts> {
    let did = match parse(&query) {
        Ok(did) => did,
        Err(failed) => return failed,
    };
    match gateway.accreditation_at(&did).await {
        Ok(proven) => {
            let value = match proven.value {
                Some(record) => {
                    let last = record.last_audit_sequence;
                    let mut facts = facts(record);
                    let (audits, lists) = tokio::join!(
                        audit_anchors(gateway, &did, last),
                        list_anchors(gateway, &did, &list_uris)
                    );
                    facts.audit_anchors = audits;
                    facts.status_lists = lists;
                    Some(facts)
                }
                None => None,
            };
            Lookup::Proven {
                query,
                answer: ProvenAt {
                    value,
                    height: proven.height,
                    block_time_ms: proven.block_time_ms,
                },
            }
        }
        Err(e) => Lookup::Failed {
            reason: e.to_string(),
            query,
        },
    }
}

fn unread_anchor(name: String, problem: String) -> AnchorRow {
    AnchorRow {
        name,
        sequence: 0,
        height: 0,
        detail: String::new(),
        problem: Some(problem),
    }
}

/// The newest [`MAX_AUDIT_ANCHORS`] audit anchors up to `last`, newest first, each proven.
async fn audit_anchors(gateway: &RegistryGateway, did: &RealDid, last: u64) -> Vec<AnchorRow> {
    let first = last.saturating_sub(MAX_AUDIT_ANCHORS - 1).max(1);
    let reads = (first..=last).rev().map(|sequence| async move {
        let name = format!("opening {sequence}");
        match gateway.audit_anchor_at(did, sequence).await {
            Ok(proven) => match proven.value {
                Some(record) => AnchorRow {
                    name,
                    sequence,
                    height: record.height,
                    detail: format!(
                        "{} approvals; {}",
                        record.anchor.approvals.len(),
                        record.disclosure.as_ref().map_or_else(
                            || "not disclosed to the holder yet".to_owned(),
                            |d| format!("disclosed at h {}", d.height)
                        )
                    ),
                    problem: None,
                },
                // Sequences may have gaps (an attempt whose fate was unknown burns its
                // number): a proven absence is shown as such.
                None => unread_anchor(name, "proven absent (a number burnt)".into()),
            },
            Err(e) => unread_anchor(name, e.to_string()),
        }
    });
    futures::future::join_all(reads).await
}

/// The latest anchor of each of `uris`, each proven.
async fn list_anchors(gateway: &RegistryGateway, did: &RealDid, uris: &[String]) -> Vec<AnchorRow> {
    let reads = uris.iter().take(16).map(|uri| async move {
        match gateway.status_anchor_at(did, uri).await {
            Ok(proven) => match proven.value {
                Some(record) => AnchorRow {
                    name: uri.clone(),
                    sequence: record.anchor.sequence,
                    height: record.height,
                    detail: format!(
                        "{} revoked, {} suspended · list sha256 {}…",
                        record.anchor.tally.revoked,
                        record.anchor.tally.suspended,
                        hex::encode(&record.anchor.list_hash[..8])
                    ),
                    problem: None,
                },
                None => unread_anchor(uri.clone(), "proven absent: never anchored".into()),
            },
            Err(e) => unread_anchor(uri.clone(), e.to_string()),
        }
    });
    futures::future::join_all(reads).await
}

/// What the console shows of a register entry.
fn facts(record: IssuerRecord) -> IssuerFacts {
    IssuerFacts {
        did: record.issuer.to_string(),
        accredited: record.is_accredited(),
        approvers: record.trace_approvers.map(|a| {
            (
                a.set.threshold,
                a.set.approvers.into_iter().map(|x| x.id).collect(),
            )
        }),
        name: record.name,
        credential_types: record.credential_types,
        openings: record.counts.openings,
        disclosures: record.counts.disclosures,
        revocations: record.counts.revocations,
        suspended: record.counts.suspended,
        audit_anchors: Vec::new(),
        status_lists: Vec::new(),
    }
}

/// The block at `height` with its transactions, its certificate checked when it has one.
async fn open_block(gateway: &RegistryGateway, height: u64) -> Lookup<BlockFacts> {
    let query = height.to_string();
    match gateway.block(height).await {
        Ok((block, certified)) => block_lookup(query, &block, certified, None),
        Err(e) => Lookup::Failed {
            query,
            reason: e.to_string(),
        },
    }
}

/// The block holding the transaction `query` names by its hash, opened at it.
async fn find_transaction(gateway: &RegistryGateway, query: String) -> Lookup<BlockFacts> {
    let hash: Option<[u8; 32]> = hex::decode(query.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok());
    let Some(hash) = hash else {
        return Lookup::Failed {
            query,
            reason: "a transaction hash is 64 hex digits".into(),
        };
    };
    match gateway.transaction(&hash).await {
        Ok(Some((block, index, certified))) => {
            let at = usize::try_from(index).ok();
            block_lookup(query, &block, certified, at)
        }
        Ok(None) => Lookup::Failed {
            query,
            reason: "no finalized transaction has this hash (every node that answered says so)"
                .into(),
        },
        Err(e) => Lookup::Failed {
            query,
            reason: e.to_string(),
        },
    }
}

fn block_lookup(
    query: String,
    block: &realdid_core::codec::Block,
    certified: bool,
    looked_for: Option<usize>,
) -> Lookup<BlockFacts> {
    let height = block.header.height;
    Lookup::Proven {
        query,
        answer: ProvenAt {
            height,
            block_time_ms: block.header.timestamp_ms,
            value: Some(BlockFacts {
                height,
                certified,
                time_ms: i64::try_from(block.header.timestamp_ms).unwrap_or(i64::MAX),
                transactions: block
                    .transactions
                    .iter()
                    .map(|tx| (kind(tx), hex::encode(tx.hash().0)))
                    .collect(),
                looked_for,
                dids: block.transactions.iter().map(subject).collect(),
            }),
        },
    }
}

/// The DID a transaction is about, if one: a DID operation's, or an anchor's issuer.
fn subject(tx: &Transaction) -> Option<String> {
    match tx {
        Transaction::Did(op) => Some(op.operation.did().to_string()),
        Transaction::StatusAnchor(a) => Some(a.issuer.to_string()),
        Transaction::AuditAnchor(a) => Some(a.issuer.to_string()),
        Transaction::Governance(_) | Transaction::Disclosure(_) => None,
    }
}

/// What kind of transaction `tx` is, as the block view names it.
fn kind(tx: &Transaction) -> &'static str {
    match tx {
        Transaction::Did(op) => match op.operation {
            DidOperation::Create(_) => "DID create",
            DidOperation::Update(_) => "DID update",
            DidOperation::Recover(_) => "DID recover",
            DidOperation::Deactivate(_) => "DID deactivate",
        },
        Transaction::Governance(_) => "governance",
        Transaction::StatusAnchor(_) => "status anchor",
        Transaction::AuditAnchor(_) => "audit anchor",
        Transaction::Disclosure(_) => "disclosure",
    }
}
