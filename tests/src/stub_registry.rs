//! A registry node that lies, for attack tests: a real `realdid.v1.Registry` gRPC server on a
//! loopback socket that forwards to an honest node and then misbehaves as told. It stands
//! for a dishonest node, or for anyone on the path of a plaintext connection.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_client::RegistryClient;
use realdid_proto::v1::registry_server::{Registry, RegistryServer};
use tokio::sync::oneshot;
use tokio_stream::Stream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// How the stub lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lie {
    /// Every proven read is answered with the first answer the honest node gave to the same
    /// question: validly certified, and as old as the first time it was asked.
    FrozenReads,
    /// Every submission is answered "finalized" with a made-up receipt, and never forwarded.
    FakeFinality,
}

/// A running lying node; stops when dropped.
#[derive(Debug)]
pub struct StubRegistry {
    /// Its gRPC endpoint.
    pub endpoint: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for StubRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl StubRegistry {
    /// Starts a stub in front of the honest node at `honest`.
    pub async fn start(honest: &str, lie: Lie) -> Self {
        let upstream = RegistryClient::connect(honest.to_owned())
            .await
            .expect("the honest node answers");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let service = Stub {
            upstream,
            lie,
            frozen: Arc::default(),
        };
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(RegistryServer::new(service))
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(listener),
                    async move {
                        let _ = stopped.await;
                    },
                ),
        );
        Self {
            endpoint,
            stop: Some(stop),
        }
    }
}

/// First answers, by RPC name and request bytes.
type Frozen = Arc<Mutex<HashMap<(&'static str, Vec<u8>), Vec<u8>>>>;

#[derive(Debug, Clone)]
struct Stub {
    upstream: RegistryClient<Channel>,
    lie: Lie,
    frozen: Frozen,
}

impl Stub {
    /// The honest answer, or under [`Lie::FrozenReads`] the first answer ever given to the
    /// same request.
    async fn read<Q, A, F, Fut>(&self, rpc: &'static str, request: Q, ask: F) -> Result<A, Status>
    where
        Q: prost::Message + Clone,
        A: prost::Message + Default,
        F: FnOnce(RegistryClient<Channel>, Q) -> Fut,
        Fut: std::future::Future<Output = Result<Response<A>, Status>>,
    {
        let key = (rpc, request.encode_to_vec());
        if self.lie == Lie::FrozenReads
            && let Some(bytes) = self.frozen.lock().expect("lock").get(&key)
        {
            return Ok(A::decode(bytes.as_slice()).expect("stored answers decode"));
        }
        let answer = ask(self.upstream.clone(), request).await?.into_inner();
        if self.lie == Lie::FrozenReads {
            self.frozen
                .lock()
                .expect("lock")
                .insert(key, answer.encode_to_vec());
        }
        Ok(answer)
    }
}

type BlockStream = Pin<Box<dyn Stream<Item = Result<pb::StreamBlocksResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Registry for Stub {
    async fn submit_transaction(
        &self,
        request: Request<pb::SubmitTransactionRequest>,
    ) -> Result<Response<pb::SubmitTransactionResponse>, Status> {
        let request = request.into_inner();
        if self.lie == Lie::FakeFinality {
            let status = self
                .upstream
                .clone()
                .get_chain_status(pb::GetChainStatusRequest {})
                .await?
                .into_inner();
            let tx_hash = realdid_core::codec::TxHash::of_bytes(&request.transaction);
            return Ok(Response::new(pb::SubmitTransactionResponse {
                result: Some(pb::submit_transaction_response::Result::Finalized(
                    pb::TransactionReceipt {
                        tx_hash: tx_hash.0.to_vec(),
                        height: status.height,
                        block_hash: status.block_hash,
                        index_in_block: 0,
                        block_time_unix_ms: status.block_time_unix_ms,
                    },
                )),
            }));
        }
        self.upstream.clone().submit_transaction(request).await
    }

    async fn resolve(
        &self,
        request: Request<pb::ResolveRequest>,
    ) -> Result<Response<pb::ResolveResponse>, Status> {
        self.read("resolve", request.into_inner(), |mut c, q| async move {
            c.resolve(q).await
        })
        .await
        .map(Response::new)
    }

    async fn resolve_many(
        &self,
        request: Request<pb::ResolveManyRequest>,
    ) -> Result<Response<pb::ResolveManyResponse>, Status> {
        self.read(
            "resolve_many",
            request.into_inner(),
            |mut c, q| async move { c.resolve_many(q).await },
        )
        .await
        .map(Response::new)
    }

    async fn get_issuer_accreditation(
        &self,
        request: Request<pb::GetIssuerAccreditationRequest>,
    ) -> Result<Response<pb::GetIssuerAccreditationResponse>, Status> {
        self.read(
            "accreditation",
            request.into_inner(),
            |mut c, q| async move { c.get_issuer_accreditation(q).await },
        )
        .await
        .map(Response::new)
    }

    async fn get_status_list_anchor(
        &self,
        request: Request<pb::GetStatusListAnchorRequest>,
    ) -> Result<Response<pb::GetStatusListAnchorResponse>, Status> {
        self.read(
            "status anchor",
            request.into_inner(),
            |mut c, q| async move { c.get_status_list_anchor(q).await },
        )
        .await
        .map(Response::new)
    }

    async fn get_audit_anchor(
        &self,
        request: Request<pb::GetAuditAnchorRequest>,
    ) -> Result<Response<pb::GetAuditAnchorResponse>, Status> {
        self.read(
            "audit anchor",
            request.into_inner(),
            |mut c, q| async move { c.get_audit_anchor(q).await },
        )
        .await
        .map(Response::new)
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        self.read("transaction", request.into_inner(), |mut c, q| async move {
            c.get_transaction(q).await
        })
        .await
        .map(Response::new)
    }

    async fn get_issuer_register(
        &self,
        request: Request<pb::GetIssuerRegisterRequest>,
    ) -> Result<Response<pb::GetIssuerRegisterResponse>, Status> {
        self.read(
            "issuer register",
            request.into_inner(),
            |mut c, q| async move { c.get_issuer_register(q).await },
        )
        .await
        .map(Response::new)
    }

    async fn get_transparency_day(
        &self,
        request: Request<pb::GetTransparencyDayRequest>,
    ) -> Result<Response<pb::GetTransparencyDayResponse>, Status> {
        self.read(
            "transparency day",
            request.into_inner(),
            |mut c, q| async move { c.get_transparency_day(q).await },
        )
        .await
        .map(Response::new)
    }

    async fn get_block(
        &self,
        request: Request<pb::GetBlockRequest>,
    ) -> Result<Response<pb::GetBlockResponse>, Status> {
        self.upstream.clone().get_block(request.into_inner()).await
    }

    async fn get_chain_status(
        &self,
        request: Request<pb::GetChainStatusRequest>,
    ) -> Result<Response<pb::GetChainStatusResponse>, Status> {
        self.upstream
            .clone()
            .get_chain_status(request.into_inner())
            .await
    }

    type StreamBlocksStream = BlockStream;

    async fn stream_blocks(
        &self,
        _request: Request<pb::StreamBlocksRequest>,
    ) -> Result<Response<Self::StreamBlocksStream>, Status> {
        Err(Status::unimplemented("the stub does not stream blocks"))
    }
}
