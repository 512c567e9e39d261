//! The issuer's view of the registry chain: proven reads checked with the light client
//! (the issuer trusts no single node), and transactions submitted until final.
//!
//! Each call tries the configured nodes in turn: a node that cannot be reached, or whose
//! answer does not check, is skipped. Only when every node fails does the call fail, with
//! [`IssuerError::Registry`] (UNAVAILABLE to the issuer's own callers).

use std::time::Duration;

use commonware_codec::Encode as _;
use realdid_core::codec::Transaction;
use realdid_core::did::RealDid;
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_registry::light_client::LightClient;
use realdid_registry::state::records::{DidRecord, IssuerRecord};
use tonic::transport::{Channel, Endpoint};

use crate::IssuerError;

/// How long a read may take on one node.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a submission may wait for finality on one node.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(30);

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

/// Registry nodes and the light client that checks their answers.
#[derive(Debug, Clone)]
pub struct RegistryGateway {
    nodes: Vec<(String, RegistryClient<Channel>)>,
    light: LightClient,
}

impl RegistryGateway {
    /// A gateway over `endpoints`, checking with `light`; connects lazily.
    pub fn new(endpoints: &[String], light: LightClient) -> Result<Self, IssuerError> {
        let nodes = endpoints
            .iter()
            .map(|e| {
                let channel = Endpoint::from_shared(e.clone())
                    .map_err(|err| IssuerError::Config(format!("registry endpoint {e}: {err}")))?
                    .tcp_nodelay(true)
                    .connect_timeout(Duration::from_secs(3))
                    .connect_lazy();
                Ok((e.clone(), RegistryClient::new(channel)))
            })
            .collect::<Result<Vec<_>, IssuerError>>()?;
        if nodes.is_empty() {
            return Err(IssuerError::Config("no registry endpoint".into()));
        }
        Ok(Self { nodes, light })
    }

    /// Asks each node in turn with `ask` and checks its answer with `check`, until one
    /// answer checks.
    async fn proven<T, F, Fut>(
        &self,
        what: &str,
        ask: F,
        check: impl Fn(&LightClient, &pb::ProvenRead) -> Result<T, realdid_registry::RegistryError>,
    ) -> Result<T, IssuerError>
    where
        F: Fn(RegistryClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<Option<pb::ProvenRead>, tonic::Status>>,
    {
        let mut failures = Vec::new();
        for (endpoint, client) in &self.nodes {
            let read = match tokio::time::timeout(READ_TIMEOUT, ask(client.clone())).await {
                Ok(Ok(Some(read))) => read,
                Ok(Ok(None)) => {
                    failures.push(format!("{endpoint}: answer without proof"));
                    continue;
                }
                Ok(Err(status)) => {
                    failures.push(format!("{endpoint}: {}", status.message()));
                    continue;
                }
                Err(_) => {
                    failures.push(format!("{endpoint}: no answer in 5 s"));
                    continue;
                }
            };
            match check(&self.light, &read) {
                Ok(value) => return Ok(value),
                Err(e) => failures.push(format!("{endpoint}: proof does not check: {e}")),
            }
        }
        Err(IssuerError::Registry(format!(
            "{what}: {}",
            failures.join("; ")
        )))
    }

    /// The DID's current record, proven; `None` when proven absent.
    pub async fn resolve_did(&self, did: &RealDid) -> Result<Option<DidRecord>, IssuerError> {
        self.proven(
            &format!("resolving {did}"),
            |mut client| async move {
                client
                    .resolve(pb::ResolveRequest {
                        did: did.to_string(),
                        at: None,
                    })
                    .await
                    .map(|r| r.into_inner().proof)
            },
            |light, read| light.verify_did(did, read).map(|(_, record)| record),
        )
        .await
    }

    /// The issuer's accreditation entry, proven; `None` when proven absent.
    pub async fn accreditation(
        &self,
        issuer: &RealDid,
    ) -> Result<Option<IssuerRecord>, IssuerError> {
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
            |light, read| light.verify_issuer(issuer, read).map(|(_, record)| record),
        )
        .await
    }

    /// Submits `tx` and waits until it is final or refused. A node that cannot be reached
    /// is skipped; resubmitting to the next one is safe, as the chain answers a
    /// transaction it already has with its original receipt.
    pub async fn submit(&self, tx: &Transaction) -> Result<Submitted, IssuerError> {
        let bytes = tx.encode().to_vec();
        let mut failures = Vec::new();
        for (endpoint, client) in &self.nodes {
            let mut client = client.clone();
            let answer = tokio::time::timeout(
                SUBMIT_TIMEOUT,
                client.submit_transaction(pb::SubmitTransactionRequest {
                    transaction: bytes.clone(),
                }),
            )
            .await;
            match answer {
                Ok(Ok(r)) => match r.into_inner().result {
                    Some(pb::submit_transaction_response::Result::Finalized(receipt)) => {
                        return Ok(Submitted::Final(receipt));
                    }
                    Some(pb::submit_transaction_response::Result::Rejected(r)) => {
                        let reason = pb::TransactionRejectionReason::try_from(r.reason)
                            .map(|x| x.as_str_name().to_owned())
                            .unwrap_or_else(|_| format!("reason {}", r.reason));
                        return Ok(Submitted::Rejected {
                            reason,
                            message: r.message,
                        });
                    }
                    None => failures.push(format!("{endpoint}: empty answer")),
                },
                Ok(Err(status)) => failures.push(format!("{endpoint}: {}", status.message())),
                Err(_) => failures.push(format!("{endpoint}: not final within 30 s")),
            }
        }
        Err(IssuerError::Registry(format!(
            "submitting a {} transaction: {}",
            tx.name(),
            failures.join("; ")
        )))
    }

    /// [`submit`](Self::submit), treating a refusal as an error naming `what`: the chain
    /// decided, so retrying unchanged will not help (FAILED_PRECONDITION, not UNAVAILABLE).
    pub async fn submit_final(
        &self,
        what: &str,
        tx: &Transaction,
    ) -> Result<pb::TransactionReceipt, IssuerError> {
        match self.submit(tx).await? {
            Submitted::Final(receipt) => Ok(receipt),
            Submitted::Rejected { reason, message } => Err(IssuerError::FailedPrecondition(
                format!("the registry refused {what}: {reason}: {message}"),
            )),
        }
    }
}
