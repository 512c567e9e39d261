//! A client's view of the registry chain (the issuer's, the verifier's and the wallet's):
//! proven reads checked with the light client, so no single node is trusted, and
//! transactions submitted until final.
//!
//! Each call tries the configured nodes in turn: a node that cannot be reached, whose answer
//! does not check, or whose proven state is older than the freshness bound
//! ([`DEFAULT_MAX_STATE_AGE`] unless configured) is skipped. A certificate never expires, so
//! without the bound one node, or anyone on the path, could answer with an old state that
//! still checks: a revoked credential's earlier status, a key rotated away. Only when every
//! node fails does the call fail, with [`ClientError::Unavailable`] naming what each node
//! did.

use std::sync::Arc;
use std::time::Duration;

use commonware_codec::Encode as _;
use realdid_core::codec::{Block, BlockHeader, GovernanceAction, GovernanceTx, Transaction};
use realdid_core::did::RealDid;
use realdid_core::keys::SigningKey;
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use tonic::transport::Channel;

use realdid_core::clock::{Clock, SystemClock, UnixMs};

use crate::ClientError;
use crate::light_client::{LightClient, MAX_PROVEN_ENTRIES, VerifiedRead, VerifiedReads};
use crate::records::{
    AuditAnchorRecord, DidRecord, IssuerRecord, RegisterEntry, StatusAnchorRecord,
    TransparencyCounts, decode_value,
};
use crate::state_key::StateKey;

/// What a checked answer was read from: the header of its state.
trait ReadFrom {
    fn header(&self) -> &BlockHeader;
}

impl ReadFrom for VerifiedRead {
    fn header(&self) -> &BlockHeader {
        &self.header
    }
}

impl ReadFrom for VerifiedReads {
    fn header(&self) -> &BlockHeader {
        &self.header
    }
}

fn unavailable(reason: String) -> ClientError {
    ClientError::Unavailable { reason }
}

/// How long a read may take on one node.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a submission may wait for finality on one node.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a node's receipt may take to show in a proven read before it counts as
/// unconfirmed (the proven reads lag the receipt by at most a block or two).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a receipt is looked for while it is not confirmed yet.
const CONFIRM_RETRY: Duration = Duration::from_millis(200);
/// The oldest proven state a reader accepts unless configured otherwise: the block time of
/// the state read against the reader's clock. An idle chain still makes a block about every
/// second, so an honest node's state is far younger.
pub const DEFAULT_MAX_STATE_AGE: Duration = Duration::from_secs(30);

/// Why one node gave no answer: its status code (none when it did not answer in time), and
/// what happened, with the endpoint.
type NodeFailure = (Option<tonic::Code>, String);

/// One call to one node within [`READ_TIMEOUT`]: its answer, or what the node did instead.
async fn within<T>(
    endpoint: &str,
    call: impl std::future::Future<Output = Result<T, tonic::Status>>,
) -> Result<T, NodeFailure> {
    match tokio::time::timeout(READ_TIMEOUT, call).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(status)) => Err((
            Some(status.code()),
            format!("{endpoint}: {}", status.message()),
        )),
        Err(_) => Err((None, format!("{endpoint}: no answer in 5 s"))),
    }
}

/// A value read with proof, from a state no older than the gateway's bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven<T> {
    /// The height of the state read.
    pub height: u64,
    /// That block's time, Unix ms.
    pub block_time_ms: u64,
    /// The value.
    pub value: T,
}

impl<T> Proven<T> {
    /// The same read with its value changed by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Proven<U> {
        Proven {
            height: self.height,
            block_time_ms: self.block_time_ms,
            value: f(self.value),
        }
    }
}

/// A transaction's fate.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// Final, with its receipt.
    Final(pb::TransactionReceipt),
    /// Refused by the chain, with the reason's name and message.
    Rejected {
        /// The proto reason name.
        reason: String,
        /// The chain's message.
        message: String,
    },
}

/// Registry nodes, the light client that checks their answers, and how fresh a state it
/// accepts.
#[derive(Debug, Clone)]
pub struct RegistryGateway {
    nodes: Vec<(String, RegistryClient<Channel>)>,
    light: LightClient,
    max_state_age: Duration,
    clock: Arc<dyn Clock>,
}

impl RegistryGateway {
    /// A gateway over `endpoints`, checking with `light`; connects lazily. `https://`
    /// endpoints are trusted by the system's roots ([`RegistryGateway::with_tls`] names a
    /// CA).
    pub fn new(endpoints: &[String], light: LightClient) -> Result<Self, ClientError> {
        Self::with_tls(endpoints, light, &ClientTls::default())
    }

    /// A gateway over `endpoints` connecting by `tls` (`https://` endpoints over TLS,
    /// `http://` in plaintext), checking with `light`; connects lazily.
    pub fn with_tls(
        endpoints: &[String],
        light: LightClient,
        tls: &ClientTls,
    ) -> Result<Self, ClientError> {
        let nodes = endpoints
            .iter()
            .map(|e| {
                let channel = tls
                    .endpoint(e)
                    .map_err(|err| ClientError::Config {
                        path: "registry endpoint".into(),
                        reason: format!("{e}: {err}"),
                    })?
                    .tcp_nodelay(true)
                    .connect_timeout(Duration::from_secs(3))
                    .connect_lazy();
                Ok((e.clone(), RegistryClient::new(channel)))
            })
            .collect::<Result<Vec<_>, ClientError>>()?;
        if nodes.is_empty() {
            return Err(ClientError::Config {
                path: "registry endpoints".into(),
                reason: "none given".into(),
            });
        }
        Ok(Self {
            nodes,
            light,
            max_state_age: DEFAULT_MAX_STATE_AGE,
            clock: Arc::new(SystemClock),
        })
    }

    /// The chain these nodes run: what governance approvals and anchors are signed for.
    pub fn chain_id(&self) -> &crate::ChainId {
        self.light.chain_id()
    }

    /// The same gateway, accepting proven state up to `max_age` old.
    pub fn with_max_state_age(mut self, max_age: Duration) -> Self {
        self.max_state_age = max_age;
        self
    }

    /// The same gateway, judging freshness by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock freshness is judged by: what the gateway's users judge their own times
    /// (cache ages, expiries) by, so that one clock rules them all.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The oldest state this gateway accepts.
    pub fn max_state_age(&self) -> Duration {
        self.max_state_age
    }

    /// How old a state made at `block_time_ms` is now (zero for a block time ahead of the
    /// clock).
    pub fn state_age(&self, block_time_ms: u64) -> Duration {
        self.clock.now().since(UnixMs(block_time_ms))
    }

    /// Whether a state made at `block_time_ms` is still within the bound: what a cache of
    /// proven reads asks before it serves one.
    pub fn is_fresh(&self, block_time_ms: u64) -> bool {
        self.state_age(block_time_ms) <= self.max_state_age
    }

    /// Asks each node in turn with `ask` and checks its answer with `check`, until one
    /// answer checks and is fresh.
    async fn proven<R, V: ReadFrom, T, F, Fut>(
        &self,
        what: &str,
        ask: F,
        check: impl Fn(&LightClient, &R) -> Result<(V, T), ClientError>,
    ) -> Result<Proven<T>, ClientError>
    where
        F: Fn(RegistryClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<Option<R>, tonic::Status>>,
    {
        self.proven_read(what, ask, check, true).await
    }

    /// [`proven`](Self::proven), with the freshness bound only when `fresh`: a read of a
    /// past state (a DID's earlier version) is old by nature and says what was, never what
    /// is.
    async fn proven_read<R, V: ReadFrom, T, F, Fut>(
        &self,
        what: &str,
        ask: F,
        check: impl Fn(&LightClient, &R) -> Result<(V, T), ClientError>,
        fresh: bool,
    ) -> Result<Proven<T>, ClientError>
    where
        F: Fn(RegistryClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<Option<R>, tonic::Status>>,
    {
        let mut failures = Vec::new();
        for (endpoint, client) in &self.nodes {
            let read = match within(endpoint, ask(client.clone())).await {
                Ok(Some(read)) => read,
                Ok(None) => {
                    failures.push(format!("{endpoint}: answer without proof"));
                    continue;
                }
                Err((_, failure)) => {
                    failures.push(failure);
                    continue;
                }
            };
            let (verified, value) = match check(&self.light, &read) {
                Ok(checked) => checked,
                Err(e) => {
                    failures.push(format!("{endpoint}: proof does not check: {e}"));
                    continue;
                }
            };
            let header = verified.header();
            let (height, block_time_ms) = (header.height, header.timestamp_ms);
            if fresh && !self.is_fresh(block_time_ms) {
                failures.push(format!(
                    "{endpoint}: its proven state (height {height}) is {} s old, older than the {} s this reader accepts",
                    self.state_age(block_time_ms).as_secs(),
                    self.max_state_age.as_secs()
                ));
                continue;
            }
            crate::metrics::record(Some((height, block_time_ms)));
            return Ok(Proven {
                height,
                block_time_ms,
                value,
            });
        }
        crate::metrics::record(None);
        Err(unavailable(format!("{what}: {}", failures.join("; "))))
    }

    /// The DID's current record, proven; `None` when proven absent.
    pub async fn resolve_did(&self, did: &RealDid) -> Result<Option<DidRecord>, ClientError> {
        Ok(self.resolve_did_at(did).await?.value)
    }

    /// [`resolve_did`](Self::resolve_did) with the height and time of the state it was
    /// proven at.
    pub async fn resolve_did_at(
        &self,
        did: &RealDid,
    ) -> Result<Proven<Option<DidRecord>>, ClientError> {
        self.proven(
            &format!("resolving {did}"),
            |mut client| async move {
                client
                    .resolve(pb::ResolveRequest {
                        did: did.to_string(),
                        at: None,
                        proof_only: true,
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| light.verify_did(did, read),
        )
        .await
    }

    /// The current records of `dids` (at most [`MAX_PROVEN_ENTRIES`]), each proven or proven
    /// absent, all from one state: one call and one certificate check for all of them.
    pub async fn resolve_dids_at(
        &self,
        dids: &[RealDid],
    ) -> Result<Proven<Vec<Option<DidRecord>>>, ClientError> {
        if dids.is_empty() || dids.len() > MAX_PROVEN_ENTRIES {
            return Err(ClientError::InvalidRequest {
                what: "a proven read of several DIDs".into(),
                reason: format!(
                    "{} DIDs asked in one read; 1 to {MAX_PROVEN_ENTRIES} may be",
                    dids.len()
                ),
            });
        }
        let keys: Vec<StateKey> = dids.iter().cloned().map(StateKey::Did).collect();
        let texts: Vec<String> = dids.iter().map(ToString::to_string).collect();
        self.proven(
            &format!("resolving {} DIDs", dids.len()),
            |mut client| {
                let dids = texts.clone();
                async move {
                    client
                        .resolve_many(pb::ResolveManyRequest { dids })
                        .await
                        .map(|r| r.into_inner().proofs)
                }
            },
            |light, reads| {
                let verified = light.verify_many(&keys, reads)?;
                let records = verified
                    .values
                    .iter()
                    .map(|value| {
                        value
                            .as_deref()
                            .map(|bytes| decode_value::<DidRecord>(bytes, "DID record"))
                            .transpose()
                            .map_err(ClientError::from)
                    })
                    .collect::<Result<Vec<_>, ClientError>>()?;
                Ok((verified, records))
            },
        )
        .await
    }

    /// Version `version` of the DID's record (1 is its creation), proven against the state
    /// where that version was applied (ask only for versions up to the current one: nodes
    /// answer NOT_FOUND for one the DID never had, which fails the read). No freshness
    /// bound applies (an earlier version says what was, never what is); a node that answers
    /// with another version than the one asked is skipped.
    pub async fn resolve_did_version(
        &self,
        did: &RealDid,
        version: u64,
    ) -> Result<Proven<Option<DidRecord>>, ClientError> {
        self.proven_read(
            &format!("resolving version {version} of {did}"),
            |mut client| async move {
                client
                    .resolve(pb::ResolveRequest {
                        did: did.to_string(),
                        at: Some(pb::resolve_request::At::VersionId(version)),
                        proof_only: true,
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| {
                let (verified, record) = light.verify_did(did, read)?;
                match &record {
                    Some(r) if r.state.version != version => Err(ClientError::Proof {
                        reason: format!(
                            "version {version} was asked, the proof is of version {}",
                            r.state.version
                        ),
                    }),
                    _ => Ok((verified, record)),
                }
            },
            false,
        )
        .await
    }

    /// The register of issuers, proven: its size at the height returned, then each place up
    /// to it (at most `limit`), in order of first accreditation. A place once written never
    /// changes, so places read at a later height than the size are the same ones. A node
    /// whose register has a hole where its size says an issuer is fails the read.
    pub async fn issuer_register_at(
        &self,
        limit: u32,
    ) -> Result<Proven<Vec<RegisterEntry>>, ClientError> {
        let size = self
            .proven(
                "reading the size of the issuer register",
                |mut client| async move {
                    client
                        .get_issuer_register(pb::GetIssuerRegisterRequest { index: None })
                        .await
                        .map(|r| r.into_inner().proof)
                },
                |light, read| light.verify_register_size(read),
            )
            .await?;
        let places = (0..size.value.min(limit)).map(|index| async move {
            let read = self
                .proven(
                    &format!("reading place {index} of the issuer register"),
                    |mut client| async move {
                        client
                            .get_issuer_register(pb::GetIssuerRegisterRequest {
                                index: Some(index),
                            })
                            .await
                            .map(|r| r.into_inner().proof)
                    },
                    |light, read| light.verify_register_entry(index, read),
                )
                .await?;
            read.value.ok_or_else(|| ClientError::Proof {
                reason: format!(
                    "the register holds {} issuers, yet place {index} is proven empty",
                    size.value
                ),
            })
        });
        let entries = futures::future::try_join_all(places).await?;
        Ok(size.map(|_| entries))
    }

    /// The issuer's accreditation entry, proven; `None` when proven absent.
    pub async fn accreditation(
        &self,
        issuer: &RealDid,
    ) -> Result<Option<IssuerRecord>, ClientError> {
        Ok(self.accreditation_at(issuer).await?.value)
    }

    /// [`accreditation`](Self::accreditation) with the height and time it was proven at.
    pub async fn accreditation_at(
        &self,
        issuer: &RealDid,
    ) -> Result<Proven<Option<IssuerRecord>>, ClientError> {
        self.proven(
            &format!("reading the accreditation of {issuer}"),
            |mut client| async move {
                client
                    .get_issuer_accreditation(pb::GetIssuerAccreditationRequest {
                        issuer_did: issuer.to_string(),
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| light.verify_issuer(issuer, read),
        )
        .await
    }

    /// Submits `tx` and waits until it is final or refused. A node that cannot be reached
    /// is skipped; resubmitting to the next one is safe, as the chain answers a
    /// transaction it already has with its original receipt.
    ///
    /// A node's word that the transaction is final is taken as it is: a caller that acts on
    /// it (releases an identity, reports a revocation published) confirms it with a proven
    /// read, as [`RegistryGateway::anchor_status_list`] and
    /// [`RegistryGateway::anchor_audit`] do.
    pub async fn submit(&self, tx: &Transaction) -> Result<Submitted, ClientError> {
        let bytes = tx.encode().to_vec();
        let mut failures = Vec::new();
        for (endpoint, client) in &self.nodes {
            match Self::submit_to(client, &bytes).await {
                Ok(submitted) => return Ok(submitted),
                Err(failure) => failures.push(format!("{endpoint}: {failure}")),
            }
        }
        Err(unavailable(format!(
            "submitting a {} transaction: {}",
            tx.name(),
            failures.join("; ")
        )))
    }

    /// One node's answer to a submission, or why it gave none.
    async fn submit_to(
        client: &RegistryClient<Channel>,
        bytes: &[u8],
    ) -> Result<Submitted, String> {
        let answer = tokio::time::timeout(
            SUBMIT_TIMEOUT,
            client
                .clone()
                .submit_transaction(pb::SubmitTransactionRequest {
                    transaction: bytes.to_vec(),
                }),
        )
        .await;
        match answer {
            Ok(Ok(r)) => match r.into_inner().result {
                Some(pb::submit_transaction_response::Result::Finalized(receipt)) => {
                    Ok(Submitted::Final(receipt))
                }
                Some(pb::submit_transaction_response::Result::Rejected(r)) => {
                    let reason = pb::TransactionRejectionReason::try_from(r.reason)
                        .map(|x| x.as_str_name().to_owned())
                        .unwrap_or_else(|_| format!("reason {}", r.reason));
                    Ok(Submitted::Rejected {
                        reason,
                        message: r.message,
                    })
                }
                None => Err("empty answer".into()),
            },
            Ok(Err(status)) => Err(status.message().to_owned()),
            Err(_) => Err("not final within 30 s".into()),
        }
    }

    /// Submits `tx` until a node says it is final *and* a proven read shows its effect:
    /// `confirm` reads the chain (proven, fresh) and says whether the effect is there.
    /// A node whose "final" a proven read at or above its receipt's height refutes is
    /// lying, and the transaction goes to the next node; so does one whose receipt no proven
    /// read confirms in time. A refusal by the chain is [`ClientError::Rejected`].
    async fn submit_confirmed<T, F, Fut>(
        &self,
        what: &str,
        tx: &Transaction,
        confirm: F,
    ) -> Result<(pb::TransactionReceipt, Proven<T>), ClientError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Proven<Option<T>>, ClientError>>,
    {
        let bytes = tx.encode().to_vec();
        let mut failures = Vec::new();
        for (endpoint, client) in &self.nodes {
            let receipt = match Self::submit_to(client, &bytes).await {
                Ok(Submitted::Final(receipt)) => receipt,
                Ok(Submitted::Rejected { reason, message }) => {
                    return Err(ClientError::Rejected {
                        what: what.to_owned(),
                        reason,
                        message,
                    });
                }
                Err(failure) => {
                    failures.push(format!("{endpoint}: {failure}"));
                    continue;
                }
            };
            let deadline = tokio::time::Instant::now() + CONFIRM_TIMEOUT;
            let refuted = loop {
                match confirm().await {
                    Ok(Proven {
                        height,
                        block_time_ms,
                        value,
                    }) => match value {
                        Some(value) => {
                            let proven = Proven {
                                height,
                                block_time_ms,
                                value,
                            };
                            return Ok((receipt, proven));
                        }
                        None if height >= receipt.height => {
                            break format!(
                                "said {what} was final at height {}, but a proven read at height {height} does not hold it",
                                receipt.height
                            );
                        }
                        None => {}
                    },
                    Err(e) => tracing::debug!(error = %e, "confirming {what}"),
                }
                if tokio::time::Instant::now() >= deadline {
                    break format!(
                        "said {what} was final at height {}, but no proven read showed it within {} s",
                        receipt.height,
                        CONFIRM_TIMEOUT.as_secs()
                    );
                }
                tokio::time::sleep(CONFIRM_RETRY).await;
            };
            tracing::warn!(%endpoint, %refuted, "a node's receipt is not confirmed");
            failures.push(format!("{endpoint}: {refuted}"));
        }
        Err(unavailable(format!(
            "making {what} final: {}",
            failures.join("; ")
        )))
    }

    /// Anchors a status list and returns the anchor's record once a proven read shows it on
    /// chain (see `submit_confirmed`): a node's word is not enough for an
    /// issuer to call a revocation published.
    pub async fn anchor_status_list(
        &self,
        anchor: &realdid_core::codec::StatusListAnchor,
    ) -> Result<(pb::TransactionReceipt, Proven<StatusAnchorRecord>), ClientError> {
        let what = format!(
            "the anchor of {} at sequence {}",
            anchor.list_id, anchor.sequence
        );
        self.submit_confirmed(
            &what,
            &Transaction::StatusAnchor(anchor.clone()),
            || async {
                let read = self
                    .status_anchor_at(&anchor.issuer, &anchor.list_id)
                    .await?;
                Ok(read.map(|value| value.filter(|record| record.anchor == *anchor)))
            },
        )
        .await
    }

    /// Anchors an audit record and returns the anchor's record once a proven read shows it
    /// on chain: a node's word is not enough for an issuer to release an identity.
    pub async fn anchor_audit(
        &self,
        anchor: &realdid_core::codec::AuditAnchor,
    ) -> Result<(pb::TransactionReceipt, Proven<AuditAnchorRecord>), ClientError> {
        let what = format!("the audit anchor at sequence {}", anchor.sequence);
        self.submit_confirmed(&what, &Transaction::AuditAnchor(anchor.clone()), || async {
            let read = self
                .audit_anchor_at(&anchor.issuer, anchor.sequence)
                .await?;
            Ok(read.map(|value| value.filter(|record| record.anchor == *anchor)))
        })
        .await
    }

    /// Audit anchor `sequence` of `issuer`, proven, with the height and time it was proven
    /// at; `None` when proven absent.
    pub async fn audit_anchor_at(
        &self,
        issuer: &RealDid,
        sequence: u64,
    ) -> Result<Proven<Option<AuditAnchorRecord>>, ClientError> {
        self.proven(
            &format!("reading audit anchor {sequence} of {issuer}"),
            |mut client| async move {
                client
                    .get_audit_anchor(pb::GetAuditAnchorRequest {
                        issuer_did: issuer.to_string(),
                        sequence,
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| light.verify_audit_anchor(issuer, sequence, read),
        )
        .await
    }

    /// The finalized transaction whose hash is `tx_hash`: its block (read and checked as
    /// [`block`](Self::block) does) and its position there. The node's word for where it
    /// is becomes proof once the block holds exactly that transaction in that position.
    /// `Ok(None)` when every node that answered says no finalized transaction has it.
    pub async fn transaction(
        &self,
        tx_hash: &[u8; 32],
    ) -> Result<Option<(Block, u32, bool)>, ClientError> {
        let mut failures = Vec::new();
        let mut not_found = 0;
        for (endpoint, client) in &self.nodes {
            let mut client = client.clone();
            let asked = client.get_transaction(pb::GetTransactionRequest {
                tx_hash: tx_hash.to_vec(),
            });
            let receipt = match within(endpoint, asked).await {
                Ok(response) => match response.into_inner().receipt {
                    Some(receipt) => receipt,
                    None => {
                        failures.push(format!("{endpoint}: an answer without a receipt"));
                        continue;
                    }
                },
                Err((Some(tonic::Code::NotFound), _)) => {
                    not_found += 1;
                    continue;
                }
                Err((_, failure)) => {
                    failures.push(failure);
                    continue;
                }
            };
            let (block, certified) = match self.block(receipt.height).await {
                Ok(read) => read,
                Err(e) => {
                    failures.push(format!("{endpoint}: {e}"));
                    continue;
                }
            };
            let index = receipt.index_in_block;
            let held = usize::try_from(index)
                .ok()
                .and_then(|i| block.transactions.get(i))
                .is_some_and(|tx| tx.hash().0 == *tx_hash);
            if held {
                return Ok(Some((block, index, certified)));
            }
            failures.push(format!(
                "{endpoint}: block {} holds no such transaction at {index}",
                receipt.height
            ));
        }
        if failures.is_empty() && not_found > 0 {
            return Ok(None);
        }
        Err(unavailable(format!(
            "finding transaction {}: {}",
            hex::encode(tx_hash),
            failures.join("; ")
        )))
    }

    /// The finalized block at `height`, from the first node that has it, and whether its
    /// own finality certificate proves it (a block finalized as an ancestor of a later one
    /// has none: it is then the node's word, its transactions still checked against its
    /// header's root).
    pub async fn block(&self, height: u64) -> Result<(Block, bool), ClientError> {
        let mut failures = Vec::new();
        for (endpoint, client) in &self.nodes {
            let mut client = client.clone();
            let response =
                match within(endpoint, client.get_block(pb::GetBlockRequest { height })).await {
                    Ok(response) => response.into_inner(),
                    Err((_, failure)) => {
                        failures.push(failure);
                        continue;
                    }
                };
            let block = match Block::decode_bounded(&response.block) {
                Ok(block) if block.header.height == height => block,
                Ok(block) => {
                    failures.push(format!(
                        "{endpoint}: answered height {} for {height}",
                        block.header.height
                    ));
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{endpoint}: the block does not decode: {e}"));
                    continue;
                }
            };
            if response.finality_certificate.is_empty() {
                return Ok((block, false));
            }
            match self
                .light
                .verify_block(&block, &response.finality_certificate)
            {
                Ok(()) => return Ok((block, true)),
                Err(e) => failures.push(format!("{endpoint}: {e}")),
            }
        }
        Err(unavailable(format!(
            "reading block {height}: {}",
            failures.join("; ")
        )))
    }

    /// [`submit`](Self::submit), treating a refusal as [`ClientError::Rejected`] naming
    /// `what`.
    pub async fn submit_final(
        &self,
        what: &str,
        tx: &Transaction,
    ) -> Result<pb::TransactionReceipt, ClientError> {
        match self.submit(tx).await? {
            Submitted::Final(receipt) => Ok(receipt),
            Submitted::Rejected { reason, message } => Err(ClientError::Rejected {
                what: what.to_owned(),
                reason,
                message,
            }),
        }
    }

    /// Creates the DID `create` makes unless a proven read shows it already (submitting the
    /// same create again would be refused as a duplicate), waiting until it is final; `what`
    /// names it in a refusal. For the DIDs of issuers and providers, made once.
    pub async fn ensure_created(
        &self,
        what: &str,
        create: &realdid_core::did::SignedDidOperation,
    ) -> Result<(), ClientError> {
        let did = create.operation.did();
        if self.resolve_did(&did).await?.is_none() {
            self.submit_final(what, &Transaction::Did(create.clone()))
                .await?;
        }
        Ok(())
    }

    /// Decides `action` on this chain: approved by each of `officers` (governance keys of the
    /// genesis, at least its threshold of them) under `nonce`, submitted and waited for until
    /// final; `what` names it in a refusal. For those who hold the officers' keys together (a
    /// devnet, tests); officers of a real chain each approve on their own machine.
    pub async fn decide(
        &self,
        what: &str,
        action: GovernanceAction,
        nonce: u64,
        officers: &[SigningKey],
    ) -> Result<pb::TransactionReceipt, ClientError> {
        let tx = GovernanceTx::approved(self.chain_id(), action, nonce, officers)?;
        self.submit_final(what, &Transaction::Governance(tx)).await
    }

    /// The latest anchor of status list `list_uri` of `issuer`, proven, with the height and
    /// time it was proven at; `None` when proven absent.
    pub async fn status_anchor_at(
        &self,
        issuer: &RealDid,
        list_uri: &str,
    ) -> Result<Proven<Option<StatusAnchorRecord>>, ClientError> {
        self.proven(
            &format!("reading the anchor of {list_uri}"),
            |mut client| async move {
                client
                    .get_status_list_anchor(pb::GetStatusListAnchorRequest {
                        list_uri: list_uri.to_owned(),
                        issuer_did: issuer.to_string(),
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| light.verify_status_anchor(issuer, list_uri, read),
        )
        .await
    }

    /// What issuer `issuer`'s transparency counts did on UTC day `day`, proven; `None` when
    /// proven that nothing was counted that day.
    pub async fn transparency_day_at(
        &self,
        issuer: &RealDid,
        day: u32,
    ) -> Result<Proven<Option<TransparencyCounts>>, ClientError> {
        self.proven(
            &format!("reading the transparency count of {issuer} for day {day}"),
            |mut client| async move {
                client
                    .get_transparency_day(pb::GetTransparencyDayRequest {
                        issuer_did: issuer.to_string(),
                        day,
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| light.verify_transparency_day(issuer, day, read),
        )
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use realdid_core::ErrorKind;
    use realdid_core::clock::ManualClock;

    #[tokio::test]
    async fn a_state_is_fresh_up_to_the_bound_by_the_given_clock() {
        let clock = ManualClock::at(1_000_000);
        let gateway = RegistryGateway::new(
            &["http://127.0.0.1:1".into()],
            LightClient::new(&crate::ChainId::parse("test").expect("a chain id"), []),
        )
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
        assert_eq!(gateway.max_state_age(), DEFAULT_MAX_STATE_AGE);
        let gateway = gateway.with_max_state_age(Duration::from_secs(30));
        assert!(gateway.is_fresh(1_000_000 - 30_000));
        assert!(!gateway.is_fresh(1_000_000 - 30_001));
        assert!(
            gateway.is_fresh(1_000_000 + 5_000),
            "a block time ahead of the clock"
        );
        clock.advance(Duration::from_secs(10));
        assert!(
            !gateway.is_fresh(1_000_000 - 25_000),
            "ages as the clock moves"
        );
        assert_eq!(gateway.state_age(1_000_000), Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_read_of_no_dids_or_too_many_is_the_callers_fault_and_asks_no_node() {
        // Nothing listens on this endpoint: a read that reached a node would be Unavailable.
        let gateway = RegistryGateway::new(
            &["http://127.0.0.1:1".into()],
            LightClient::new(&crate::ChainId::parse("test").expect("a chain id"), []),
        )
        .unwrap();
        let did = RealDid::from_suffix([7; 32]);
        for count in [0, MAX_PROVEN_ENTRIES + 1] {
            let dids = vec![did.clone(); count];
            let error = gateway.resolve_dids_at(&dids).await.unwrap_err();
            assert!(
                matches!(error, ClientError::InvalidRequest { .. }),
                "{count} DIDs: {error}"
            );
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            assert!(
                error.to_string().contains(&format!("{count} DIDs")),
                "{error}"
            );
        }
    }
}
