//! A client's view of the registry chain (the issuer's and the verifier's): proven reads
//! checked with the light client, so no single node is trusted, and transactions submitted
//! until final.
//!
//! Each call tries the configured nodes in turn: a node that cannot be reached, or whose
//! answer does not check, is skipped. Only when every node fails does the call fail, with
//! [`RegistryError::Unavailable`] naming what each node did.

use std::time::Duration;

use commonware_codec::Encode as _;
use realdid_core::codec::Transaction;
use realdid_core::did::RealDid;
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use tonic::transport::{Channel, Endpoint};

use crate::RegistryError;
use crate::light_client::LightClient;
use crate::state::records::{DidRecord, IssuerRecord, StatusAnchorRecord};

fn unavailable(reason: String) -> RegistryError {
    RegistryError::Unavailable { reason }
}

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
    pub fn new(endpoints: &[String], light: LightClient) -> Result<Self, RegistryError> {
        let nodes = endpoints
            .iter()
            .map(|e| {
                let channel = Endpoint::from_shared(e.clone())
                    .map_err(|err| RegistryError::Config {
                        path: "registry endpoint".into(),
                        reason: format!("{e}: {err}"),
                    })?
                    .tcp_nodelay(true)
                    .connect_timeout(Duration::from_secs(3))
                    .connect_lazy();
                Ok((e.clone(), RegistryClient::new(channel)))
            })
            .collect::<Result<Vec<_>, RegistryError>>()?;
        if nodes.is_empty() {
            return Err(RegistryError::Config {
                path: "registry endpoints".into(),
                reason: "none given".into(),
            });
        }
        Ok(Self { nodes, light })
    }

    /// Asks each node in turn with `ask` and checks its answer with `check`, until one
    /// answer checks.
    async fn proven<T, F, Fut>(
        &self,
        what: &str,
        ask: F,
        check: impl Fn(&LightClient, &pb::ProvenRead) -> Result<T, RegistryError>,
    ) -> Result<(u64, T), RegistryError>
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
                Ok(value) => return Ok((read.height, value)),
                Err(e) => failures.push(format!("{endpoint}: proof does not check: {e}")),
            }
        }
        Err(unavailable(format!("{what}: {}", failures.join("; "))))
    }

    /// The DID's current record, proven; `None` when proven absent.
    pub async fn resolve_did(&self, did: &RealDid) -> Result<Option<DidRecord>, RegistryError> {
        Ok(self.resolve_did_at(did).await?.1)
    }

    /// [`resolve_did`](Self::resolve_did) with the height of the state it was proven at.
    pub async fn resolve_did_at(
        &self,
        did: &RealDid,
    ) -> Result<(u64, Option<DidRecord>), RegistryError> {
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
    ) -> Result<Option<IssuerRecord>, RegistryError> {
        Ok(self.accreditation_at(issuer).await?.1)
    }

    /// [`accreditation`](Self::accreditation) with the height it was proven at.
    pub async fn accreditation_at(
        &self,
        issuer: &RealDid,
    ) -> Result<(u64, Option<IssuerRecord>), RegistryError> {
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
    pub async fn submit(&self, tx: &Transaction) -> Result<Submitted, RegistryError> {
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
        Err(unavailable(format!(
            "submitting a {} transaction: {}",
            tx.name(),
            failures.join("; ")
        )))
    }

    /// [`submit`](Self::submit), treating a refusal as [`RegistryError::Rejected`] naming
    /// `what`.
    pub async fn submit_final(
        &self,
        what: &str,
        tx: &Transaction,
    ) -> Result<pb::TransactionReceipt, RegistryError> {
        match self.submit(tx).await? {
            Submitted::Final(receipt) => Ok(receipt),
            Submitted::Rejected { reason, message } => Err(RegistryError::Rejected {
                what: what.to_owned(),
                reason,
                message,
            }),
        }
    }

    /// The latest anchor of status list `list_uri` of `issuer`, proven, with the height it
    /// was proven at; `None` when proven absent.
    pub async fn status_anchor_at(
        &self,
        issuer: &RealDid,
        list_uri: &str,
    ) -> Result<(u64, Option<StatusAnchorRecord>), RegistryError> {
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
            |light, read| {
                light
                    .verify_status_anchor(issuer, list_uri, read)
                    .map(|(_, record)| record)
            },
        )
        .await
    }
}
