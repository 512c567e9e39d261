//! The `realdid.v1.Registry` gRPC service, with server reflection and health.
//!
//! Decisions ("this transaction is refused") are answers in the response; failures to
//! answer are statuses, chosen in one place: [`RegistryError::grpc_code`]. Every incoming
//! message is bounded before it is decoded.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use commonware_codec::Encode as _;
use futures::Stream;
use realdid_core::clock::{Clock as _, SystemClock};
use realdid_core::codec::{BlockHeader, MAX_TRANSACTION_LEN, Transaction};
use realdid_core::did::RealDid;
use realdid_core::did::document::realdid_document;
use realdid_proto::source_limits::SourceLimits;
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_server::{Registry, RegistryServer};
use realdid_registry_client::light_client::MAX_PROVEN_ENTRIES;
use tokio::sync::broadcast::error::RecvError;
use tonic::server::NamedService as _;
use tonic::{Request, Response, Status};

use crate::RegistryError;
use crate::execute::{RejectReason, Rejection};
use crate::node::admissions::Admissions;
use crate::node::mempool::{Outcome, Receipt};
use crate::node::reads::{self, ProvenValue, ReadAt};
use crate::node::shared::Shared;
use crate::state::keys::StateKey;
use crate::state::records::{
    AuditAnchorRecord, DidRecord, IssuerRecord, RegisterEntry, RegisterSize, StatusAnchorRecord,
    TransparencyCounts, decode_value,
};

/// Largest request the service decodes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest DID or URI accepted in a request.
const MAX_ID_LEN: usize = 256;

/// Facts about the chain and this node that the service reports.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// The chain id from genesis.
    pub chain_id: String,
    /// The genesis hash.
    pub genesis_hash: [u8; 32],
    /// This node's validator key.
    pub node_key: Vec<u8>,
    /// Every validator's key, in genesis order.
    pub validators: Vec<Vec<u8>>,
}

/// The service over one node's shared state.
#[derive(Debug, Clone)]
pub struct RegistryService {
    shared: Arc<Shared>,
    admissions: Admissions,
    sources: Arc<SourceLimits>,
    /// Open block streams ([`MAX_BLOCK_STREAMS`] permits).
    streams: Arc<tokio::sync::Semaphore>,
    info: Arc<NodeInfo>,
    /// When this service was made, Unix ms: the node's uptime, for operators.
    started_at_ms: u64,
}

impl RegistryService {
    /// A service over `shared` that takes at most `did_ops_per_source` DID operations a
    /// second from each client address; starts the worker that checks submissions.
    pub fn new(
        shared: Arc<Shared>,
        info: NodeInfo,
        did_ops_per_source: u32,
    ) -> Result<Self, RegistryError> {
        Ok(Self {
            admissions: Admissions::start(shared.clone())?,
            sources: Arc::new(SourceLimits::new("DID operations", did_ops_per_source)),
            streams: Arc::new(tokio::sync::Semaphore::new(MAX_BLOCK_STREAMS)),
            shared,
            info: Arc::new(info),
            started_at_ms: now_ms(),
        })
    }
}

/// Serves the registry, reflection and health on `listener` (over `tls` when given) until
/// `shutdown` resolves.
pub async fn serve(
    service: RegistryService,
    listener: tokio::net::TcpListener,
    tls: Option<&realdid_proto::tls::ServerTls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RegistryError> {
    let service_shared = service.shared.clone();
    let registry = RegistryServer::new(service)
        .max_decoding_message_size(MAX_REQUEST_BYTES)
        .max_encoding_message_size(16 * 1024 * 1024);
    let local: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?local, "gRPC serving");
    let (router, health) =
        realdid_proto::server::with_health_and_reflection::<RegistryServer<RegistryService>>(tls)
            .await
            .map_err(|reason| RegistryError::Unavailable { reason })?;
    let follower = tokio::spawn(follow_freshness(service_shared, health));
    let served = router
        .add_service(registry)
        .serve_with_incoming_shutdown(
            // Small answers must leave at once: with Nagle's algorithm on, a response waits
            // for the client's delayed ACK (40 ms on Linux).
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(|e| RegistryError::Unavailable {
            reason: format!("gRPC server: {e}"),
        });
    follower.abort();
    served
}

/// How old the newest finalized block may be while the node says it is serving. Blocks come
/// about once a second even on an idle chain: a node whose newest block is older is catching
/// up (after a restart or a partition), or the chain is stalled; either way what it would
/// answer is stale, and light clients would refuse it.
pub const FRESH_BLOCK: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether a node whose newest finalized block has `block_time_ms` (none yet: `None`)
/// serves at `now_ms`.
pub fn is_fresh(block_time_ms: Option<u64>, now_ms: u64) -> bool {
    block_time_ms.is_some_and(|t| now_ms.saturating_sub(t) <= FRESH_BLOCK.as_millis() as u64)
}

/// Reports the registry serving while its newest finalized block is fresh
/// ([`is_fresh`]), NOT_SERVING while it catches up; asks every second.
async fn follow_freshness(shared: Arc<Shared>, health: tonic_health::server::HealthReporter) {
    let mut serving = None;
    loop {
        let block_time = shared.store.finalized().map(|f| f.timestamp_ms);
        let now = is_fresh(block_time, now_ms());
        if serving != Some(now) {
            let status = if now {
                tonic_health::ServingStatus::Serving
            } else {
                tonic_health::ServingStatus::NotServing
            };
            health
                .set_service_status(RegistryServer::<RegistryService>::NAME, status)
                .await;
            health.set_service_status("", status).await;
            if now {
                tracing::info!("serving: the newest finalized block is fresh");
            } else {
                tracing::warn!(?block_time, "not serving: catching up with the chain");
            }
            serving = Some(now);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

fn now_ms() -> u64 {
    SystemClock.now().as_millis()
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `field` is written out only when `value` is refused: a list's field names its index
/// (`format_args!`) without a string built for every element that parses.
fn parse_did(field: impl std::fmt::Display, value: &str) -> Result<RealDid, Status> {
    if value.len() > MAX_ID_LEN {
        return Err(Status::invalid_argument(format!(
            "{field}: longer than {MAX_ID_LEN} bytes"
        )));
    }
    value
        .parse()
        .map_err(|e| Status::invalid_argument(format!("{field}: {e}")))
}

fn proven(read: &ProvenValue) -> pb::ProvenRead {
    pb::ProvenRead {
        key: read.key.encode().to_vec(),
        value: read.value.clone(),
        jmt_proof: read.proof_bytes(),
        height: read.height,
        header: read.header.encode().to_vec(),
        finality_certificate: read.certificate.clone(),
        link_headers: read.links.iter().map(|h| h.encode().to_vec()).collect(),
    }
}

fn rejection(tx_hash: [u8; 32], rejection: &Rejection) -> pb::SubmitTransactionResponse {
    use pb::TransactionRejectionReason as R;
    let reason = match rejection.reason {
        RejectReason::Malformed => R::Malformed,
        RejectReason::BadSignature => R::BadSignature,
        RejectReason::Unauthorized => R::Unauthorized,
        RejectReason::Stale => R::Stale,
        RejectReason::DidAlreadyExists => R::DidAlreadyExists,
        RejectReason::DidNotFound => R::DidNotFound,
        RejectReason::DidDeactivated => R::DidDeactivated,
        RejectReason::InvalidDidOperation => R::InvalidDidOperation,
        RejectReason::IssuerNotAccredited => R::IssuerNotAccredited,
        RejectReason::AnchorConflict => R::AnchorConflict,
    };
    let mut message = rejection.message.clone();
    message.truncate(1024);
    pb::SubmitTransactionResponse {
        result: Some(pb::submit_transaction_response::Result::Rejected(
            pb::TransactionRejection {
                reason: reason as i32,
                message,
                tx_hash: tx_hash.to_vec(),
                height: None,
            },
        )),
    }
}

impl RegistryService {
    /// The receipt of a finalized transaction, from the index, if it is final.
    fn final_receipt(
        &self,
        tx_hash: realdid_core::codec::TxHash,
    ) -> Result<Option<Receipt>, RegistryError> {
        let Some(location) = self.shared.store.tx_location(&tx_hash)? else {
            return Ok(None);
        };
        let (height, index) = (location.height, location.index);
        let block_hash = self
            .shared
            .store
            .header(height)?
            .map(|h| h.hash())
            .ok_or_else(|| {
                RegistryError::corrupt(format!("tx index names missing height {height}"))
            })?;
        Ok(Some(Receipt {
            tx_hash,
            height,
            block_hash,
            index,
        }))
    }

    fn receipt(&self, receipt: &Receipt) -> Result<pb::SubmitTransactionResponse, RegistryError> {
        let block_time = self
            .shared
            .store
            .header(receipt.height)?
            .map(|h| h.timestamp_ms)
            .unwrap_or(0);
        Ok(pb::SubmitTransactionResponse {
            result: Some(pb::submit_transaction_response::Result::Finalized(
                pb::TransactionReceipt {
                    tx_hash: receipt.tx_hash.0.to_vec(),
                    height: receipt.height,
                    block_hash: receipt.block_hash.0.to_vec(),
                    index_in_block: receipt.index,
                    block_time_unix_ms: ms(block_time),
                },
            )),
        })
    }

    fn read(&self, key: StateKey, at: ReadAt) -> Result<ProvenValue, RegistryError> {
        let height = reads::height_for(&self.shared.store, at)?;
        reads::prove(&self.shared.store, key, height)
    }
}

fn did_resolution(
    record: &DidRecord,
    next: Option<(u64, u64)>,
) -> Result<pb::DidResolution, RegistryError> {
    let document = realdid_document(&record.state)
        .map_err(|e| RegistryError::corrupt(format!("a stored DID record does not render: {e}")))?;
    let document_json = serde_json::to_string(&document)
        .map_err(|e| RegistryError::corrupt(format!("a DID document does not serialise: {e}")))?;
    Ok(pb::DidResolution {
        document_json,
        metadata: Some(pb::DidDocumentMetadata {
            created_unix_ms: ms(record.created_ms),
            updated_unix_ms: ms(record.updated_ms),
            version_id: record.state.version,
            deactivated: record.state.is_deactivated(),
            created_height: record.created_height,
            updated_height: record.updated_height,
            next_update_unix_ms: next.map(|(_, at)| ms(at)),
            next_version_id: next.map(|(version, _)| version),
        }),
    })
}

type BlockStream = Pin<Box<dyn Stream<Item = Result<pb::StreamBlocksResponse, Status>> + Send>>;

fn summary(h: &BlockHeader) -> pb::BlockSummary {
    pb::BlockSummary {
        height: h.height,
        block_hash: h.hash().0.to_vec(),
        parent_hash: h.parent.0.to_vec(),
        state_root: h.state_root.0.to_vec(),
        tx_count: h.transaction_count,
        block_time_unix_ms: ms(h.timestamp_ms),
    }
}

/// Most block streams one node serves at once.
pub const MAX_BLOCK_STREAMS: usize = 64;

/// How long a block stream waits for its client to take the next item before it lets the
/// client go: 256 items already wait in its buffer by then.
pub const STREAM_IDLE: Duration = Duration::from_secs(60);

/// The sending end of one block stream.
struct StreamSender {
    tx: tokio::sync::mpsc::Sender<Result<pb::StreamBlocksResponse, Status>>,
}

impl StreamSender {
    /// Queues `item`; false when the client has gone or has taken nothing for
    /// [`STREAM_IDLE`], and the stream should end.
    async fn send(&self, item: Result<pb::StreamBlocksResponse, Status>) -> bool {
        matches!(
            tokio::time::timeout(STREAM_IDLE, self.tx.send(item)).await,
            Ok(Ok(()))
        )
    }
}

#[tonic::async_trait]
impl Registry for RegistryService {
    async fn submit_transaction(
        &self,
        request: Request<pb::SubmitTransactionRequest>,
    ) -> Result<Response<pb::SubmitTransactionResponse>, Status> {
        let source = request.remote_addr().map(|addr| addr.ip());
        let bytes = request.into_inner().transaction;
        let tx_hash = realdid_core::codec::TxHash::of_bytes(&bytes);
        if bytes.len() > MAX_TRANSACTION_LEN {
            return Ok(Response::new(rejection(
                tx_hash.0,
                &Rejection {
                    reason: RejectReason::Malformed,
                    message: format!(
                        "the transaction is {} bytes; a transaction is at most {MAX_TRANSACTION_LEN}",
                        bytes.len()
                    ),
                },
            )));
        }
        let tx = match Transaction::decode_bounded(&bytes) {
            Ok(tx) => tx,
            Err(e) => {
                return Ok(Response::new(rejection(
                    tx_hash.0,
                    &Rejection {
                        reason: RejectReason::Malformed,
                        message: format!("transaction does not decode: {e}"),
                    },
                )));
            }
        };
        if matches!(tx, Transaction::Did(_)) {
            self.sources
                .admit(source)
                .map_err(|over| RegistryError::Busy {
                    reason: over.to_string(),
                })?;
        }
        // Already final: the original receipt, so resubmission is safe.
        if let Some(receipt) = self.final_receipt(tx_hash)? {
            return Ok(Response::new(self.receipt(&receipt)?));
        }
        let waiter = match self.admissions.admit(tx, now_ms()).await? {
            Ok(waiter) => waiter,
            Err(refused) => return Ok(Response::new(rejection(tx_hash.0, &refused))),
        };
        match waiter.await {
            Ok(Outcome::Final(receipt)) => Ok(Response::new(self.receipt(&receipt)?)),
            Ok(Outcome::Rejected(refused)) => Ok(Response::new(rejection(tx_hash.0, &refused))),
            Err(_) => Err(Status::unavailable("the node is shutting down")),
        }
    }

    async fn resolve(
        &self,
        request: Request<pb::ResolveRequest>,
    ) -> Result<Response<pb::ResolveResponse>, Status> {
        let request = request.into_inner();
        let did = parse_did("did", &request.did)?;
        use pb::resolve_request::At;
        let at = match request.at {
            None => ReadAt::Latest,
            Some(At::AtHeight(height)) => ReadAt::Height(height),
            Some(At::AtUnixMs(ms)) if ms < 0 => {
                return Err(Status::invalid_argument("at_unix_ms: before 1970"));
            }
            Some(At::AtUnixMs(ms)) => ReadAt::Time(ms as u64),
            Some(At::VersionId(version)) => {
                ReadAt::Height(reads::height_of_version(&self.shared.store, &did, version)?)
            }
        };
        let read = self.read(StateKey::Did(did.clone()), at)?;
        if request.proof_only {
            return Ok(Response::new(pb::ResolveResponse {
                resolution: None,
                proof: Some(proven(&read)),
            }));
        }
        let record = read
            .value
            .as_deref()
            .map(|bytes| decode_value::<DidRecord>(bytes, "DID record"))
            .transpose()
            .map_err(RegistryError::from)?;
        let resolution = match &record {
            Some(record) => {
                let next_version = record.state.version + 1;
                let next = match self.shared.store.did_version_height(&did, next_version)? {
                    Some(height) => self
                        .shared
                        .store
                        .header(height)?
                        .map(|h| (next_version, h.timestamp_ms)),
                    None => None,
                };
                Some(did_resolution(record, next)?)
            }
            None => None,
        };
        Ok(Response::new(pb::ResolveResponse {
            resolution,
            proof: Some(proven(&read)),
        }))
    }

    async fn resolve_many(
        &self,
        request: Request<pb::ResolveManyRequest>,
    ) -> Result<Response<pb::ResolveManyResponse>, Status> {
        let dids = request.into_inner().dids;
        if dids.is_empty() || dids.len() > MAX_PROVEN_ENTRIES {
            return Err(Status::invalid_argument(format!(
                "dids: {} given; 1 to {MAX_PROVEN_ENTRIES} may be read in one call",
                dids.len()
            )));
        }
        let keys = dids
            .iter()
            .enumerate()
            .map(|(i, did)| parse_did(format_args!("dids[{i}]"), did).map(StateKey::Did))
            .collect::<Result<Vec<_>, Status>>()?;
        let store = &self.shared.store;
        let read = reads::prove_many(store, keys, reads::height_for(store, ReadAt::Latest)?)?;
        Ok(Response::new(pb::ResolveManyResponse {
            proofs: Some(pb::ProvenReads {
                height: read.height,
                header: read.evidence.header.encode().to_vec(),
                finality_certificate: read.evidence.certificate,
                link_headers: read
                    .evidence
                    .links
                    .iter()
                    .map(|h| h.encode().to_vec())
                    .collect(),
                entries: read
                    .entries
                    .into_iter()
                    .map(|(key, value, proof)| pb::ProvenEntry {
                        key: key.encode().to_vec(),
                        value,
                        jmt_proof: proof.encode().to_vec(),
                    })
                    .collect(),
            }),
        }))
    }

    async fn get_issuer_accreditation(
        &self,
        request: Request<pb::GetIssuerAccreditationRequest>,
    ) -> Result<Response<pb::GetIssuerAccreditationResponse>, Status> {
        let issuer = parse_did("issuer_did", &request.into_inner().issuer_did)?;
        let read = self.read(StateKey::Issuer(issuer.clone()), ReadAt::Latest)?;
        let accreditation = read
            .value
            .as_deref()
            .map(|bytes| decode_value::<IssuerRecord>(bytes, "issuer record"))
            .transpose()
            .map_err(RegistryError::from)?
            .map(|record| pb::IssuerAccreditation {
                issuer_did: issuer.to_string(),
                state: if record.removed.is_some() {
                    pb::AccreditationState::Removed
                } else {
                    pb::AccreditationState::Active
                } as i32,
                credential_types: record.credential_types.clone(),
                accredited_since_height: record.accredited_height,
                updated_height: record.updated_height,
                removed_at_height: record.removed.as_ref().map(|r| r.height),
                display_name: record.name.clone(),
                trace_openings: record.counts.openings,
                last_audit_sequence: record.last_audit_sequence,
                trace_disclosures: record.counts.disclosures,
                revocations: record.counts.revocations,
                suspended: record.counts.suspended,
                trace_approvals_required: record
                    .trace_approvers
                    .as_ref()
                    .map_or(0, |a| u32::from(a.set.threshold)),
                trace_approvers: record.trace_approvers.as_ref().map_or(0, |a| {
                    u32::try_from(a.set.approvers.len()).unwrap_or(u32::MAX)
                }),
            });
        Ok(Response::new(pb::GetIssuerAccreditationResponse {
            accreditation,
            proof: Some(proven(&read)),
        }))
    }

    async fn get_status_list_anchor(
        &self,
        request: Request<pb::GetStatusListAnchorRequest>,
    ) -> Result<Response<pb::GetStatusListAnchorResponse>, Status> {
        let request = request.into_inner();
        let issuer = parse_did("issuer_did", &request.issuer_did)?;
        if request.list_uri.is_empty() || request.list_uri.len() > MAX_ID_LEN {
            return Err(Status::invalid_argument(format!(
                "list_uri: must be 1 to {MAX_ID_LEN} bytes"
            )));
        }
        let key = StateKey::StatusList {
            issuer: issuer.clone(),
            list_id: request.list_uri.clone(),
        };
        let read = self.read(key, ReadAt::Latest)?;
        let anchor = read
            .value
            .as_deref()
            .map(|bytes| decode_value::<StatusAnchorRecord>(bytes, "status list anchor"))
            .transpose()
            .map_err(RegistryError::from)?
            .map(|record| pb::StatusListAnchor {
                list_uri: request.list_uri.clone(),
                issuer_did: issuer.to_string(),
                token_hash: record.anchor.list_hash.to_vec(),
                sequence: record.anchor.sequence,
                anchored_height: record.height,
                anchored_at_unix_ms: ms(record.timestamp_ms),
                revoked: record.anchor.tally.revoked,
                suspended: record.anchor.tally.suspended,
            });
        Ok(Response::new(pb::GetStatusListAnchorResponse {
            anchor,
            proof: Some(proven(&read)),
        }))
    }

    async fn get_audit_anchor(
        &self,
        request: Request<pb::GetAuditAnchorRequest>,
    ) -> Result<Response<pb::GetAuditAnchorResponse>, Status> {
        let request = request.into_inner();
        let issuer = parse_did("issuer_did", &request.issuer_did)?;
        let key = StateKey::Audit {
            issuer: issuer.clone(),
            sequence: request.sequence,
        };
        let read = self.read(key, ReadAt::Latest)?;
        let anchor = read
            .value
            .as_deref()
            .map(|bytes| decode_value::<AuditAnchorRecord>(bytes, "audit anchor"))
            .transpose()
            .map_err(RegistryError::from)?
            .map(|record| pb::AuditAnchor {
                issuer_did: issuer.to_string(),
                sequence: request.sequence,
                request_hash: record.anchor.request_hash.to_vec(),
                approvals: record
                    .anchor
                    .approvals
                    .iter()
                    .map(|a| pb::AuditApproval {
                        approval_key: realdid_core::keys::DidKey::from_public_key(&a.key)
                            .did()
                            .to_string(),
                        signed_at_unix_s: i64::try_from(a.signed_at_s).unwrap_or(i64::MAX),
                    })
                    .collect(),
                holder_commitment: record.anchor.holder_commitment.to_vec(),
                holder_tag: record
                    .disclosure
                    .as_ref()
                    .map(|d| d.holder_tag.to_vec())
                    .unwrap_or_default(),
                disclosed_height: record.disclosure.as_ref().map(|d| d.height),
                anchored_height: record.height,
                anchored_at_unix_ms: ms(record.timestamp_ms),
            });
        Ok(Response::new(pb::GetAuditAnchorResponse {
            anchor,
            proof: Some(proven(&read)),
        }))
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        let bytes: [u8; 32] = request
            .into_inner()
            .tx_hash
            .try_into()
            .map_err(|_| Status::invalid_argument("tx_hash: 32 bytes"))?;
        let receipt = self
            .final_receipt(realdid_core::codec::TxHash(bytes))?
            .ok_or_else(|| Status::not_found("no finalized transaction has this hash"))?;
        let receipt = match self.receipt(&receipt)?.result {
            Some(pb::submit_transaction_response::Result::Finalized(receipt)) => receipt,
            _ => return Err(Status::internal("a receipt without its block")),
        };
        Ok(Response::new(pb::GetTransactionResponse {
            receipt: Some(receipt),
        }))
    }

    async fn get_issuer_register(
        &self,
        request: Request<pb::GetIssuerRegisterRequest>,
    ) -> Result<Response<pb::GetIssuerRegisterResponse>, Status> {
        let index = request.into_inner().index;
        let key = index.map_or(StateKey::RegisterSize, StateKey::RegisterEntry);
        let read = self.read(key, ReadAt::Latest)?;
        let mut response = pb::GetIssuerRegisterResponse::default();
        if let Some(bytes) = read.value.as_deref() {
            if index.is_some() {
                let entry = decode_value::<RegisterEntry>(bytes, "register entry")
                    .map_err(RegistryError::from)?;
                response.issuer_did = entry.issuer.to_string();
                response.accredited_height = entry.height;
            } else {
                response.size = decode_value::<RegisterSize>(bytes, "register size")
                    .map_err(RegistryError::from)?
                    .count;
            }
        }
        response.proof = Some(proven(&read));
        Ok(Response::new(response))
    }

    async fn get_transparency_day(
        &self,
        request: Request<pb::GetTransparencyDayRequest>,
    ) -> Result<Response<pb::GetTransparencyDayResponse>, Status> {
        let request = request.into_inner();
        let issuer = parse_did("issuer_did", &request.issuer_did)?;
        let key = StateKey::TransparencyDay {
            issuer,
            day: request.day,
        };
        let read = self.read(key, ReadAt::Latest)?;
        let counts = read
            .value
            .as_deref()
            .map(|bytes| decode_value::<TransparencyCounts>(bytes, "transparency day"))
            .transpose()
            .map_err(RegistryError::from)?
            .map(|counts| pb::TransparencyDay {
                openings: counts.openings,
                disclosures: counts.disclosures,
                revocations: counts.revocations,
                suspended: counts.suspended,
            });
        Ok(Response::new(pb::GetTransparencyDayResponse {
            counts,
            proof: Some(proven(&read)),
        }))
    }

    async fn get_block(
        &self,
        request: Request<pb::GetBlockRequest>,
    ) -> Result<Response<pb::GetBlockResponse>, Status> {
        let height = request.into_inner().height;
        let block =
            self.shared.store.block(height)?.ok_or_else(|| {
                Status::not_found(format!("no finalized block at height {height}"))
            })?;
        let certificate = self.shared.store.certificate(height)?.unwrap_or_default();
        Ok(Response::new(pb::GetBlockResponse {
            height,
            block: block.encode().to_vec(),
            finality_certificate: certificate,
        }))
    }

    async fn get_chain_status(
        &self,
        _request: Request<pb::GetChainStatusRequest>,
    ) -> Result<Response<pb::GetChainStatusResponse>, Status> {
        let finalized = self
            .shared
            .store
            .finalized()
            .ok_or_else(|| Status::unavailable("the node has no finalized state yet"))?;
        let seen = self.shared.validators_seen();
        let validators = self
            .info
            .validators
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let last = seen.get(i).copied().flatten();
                pb::ValidatorStatus {
                    public_key: key.clone(),
                    last_seen_unix_ms: last.map(|(at, _)| ms(at)),
                    last_finalized_height: last.map(|(_, height)| height),
                }
            })
            .collect();
        Ok(Response::new(pb::GetChainStatusResponse {
            chain_id: self.info.chain_id.clone(),
            genesis_hash: self.info.genesis_hash.to_vec(),
            height: finalized.height,
            block_hash: finalized.block_hash.0.to_vec(),
            state_root: finalized.state_root.0.to_vec(),
            block_time_unix_ms: ms(finalized.timestamp_ms),
            finalized_at_unix_ms: ms(self.shared.last_commit_ms()),
            validators,
            node_public_key: self.info.node_key.clone(),
            pending_transactions: u64::try_from(self.shared.mempool.len()).unwrap_or(u64::MAX),
            started_at_unix_ms: ms(self.started_at_ms),
            node_version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
    }

    type StreamBlocksStream = BlockStream;

    async fn stream_blocks(
        &self,
        request: Request<pb::StreamBlocksRequest>,
    ) -> Result<Response<Self::StreamBlocksStream>, Status> {
        let from = request.into_inner().from_height;
        // Each stream holds a task, a subscription and a buffer for as long as it is open:
        // only so many at once, and a client that stops reading is let go.
        let slot = self.streams.clone().try_acquire_owned().map_err(|_| {
            Status::resource_exhausted(format!(
                "{MAX_BLOCK_STREAMS} block streams are open on this node; try another node or later"
            ))
        })?;
        // Subscribe first so nothing finalized between the backlog and the live feed is lost.
        let mut live = self.shared.subscribe();
        let shared = self.shared.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let tx = StreamSender { tx };
        tokio::spawn(async move {
            let _slot = slot;
            let mut next = from;
            let tip = shared.store.finalized().map(|f| f.height).unwrap_or(0);
            while next <= tip {
                match shared.store.block(next) {
                    Ok(Some(block)) => {
                        let item = pb::StreamBlocksResponse {
                            block: Some(summary(&block.header)),
                        };
                        if !tx.send(Ok(item)).await {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tx.send(Err(Status::from(e))).await;
                        return;
                    }
                }
                next += 1;
            }
            loop {
                match live.recv().await {
                    Ok(event) if event.header.height >= next => {
                        next = event.header.height + 1;
                        let item = pb::StreamBlocksResponse {
                            block: Some(summary(&event.header)),
                        };
                        if !tx.send(Ok(item)).await {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        tx.send(Err(Status::data_loss(
                            "the client fell too far behind; reconnect from the last height seen",
                        )))
                        .await;
                        return;
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

#[cfg(test)]
mod freshness_tests {
    use super::{FRESH_BLOCK, is_fresh};

    #[test]
    fn a_node_serves_only_while_its_newest_block_is_fresh() {
        let now = 1_000_000_000;
        let bound = FRESH_BLOCK.as_millis() as u64;
        assert!(!is_fresh(None, now), "no block yet: not serving");
        assert!(is_fresh(Some(now - 1_000), now));
        assert!(is_fresh(Some(now - bound), now));
        assert!(!is_fresh(Some(now - bound - 1), now), "catching up");
        assert!(
            is_fresh(Some(now + 500), now),
            "a block a little ahead of this clock"
        );
    }
}
