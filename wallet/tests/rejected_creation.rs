//! A registry node answering "rejected" to a DID creation. The answer is only that node's
//! word, not a proof: the creation may still land (the node lied and sent it on, or another
//! node finalizes it). The wallet keeps the new DID's keys, unconfirmed, so that a later
//! proven read can adopt the DID if it is on chain; a DID whose keys were deleted would be
//! lost for good.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use realdid_core::codec::Transaction;
use realdid_core::did::{DidOperation, RecoveryCommitment};
use realdid_proto::v1 as pb;
use realdid_proto::v1::registry_server::{Registry, RegistryServer};
use realdid_registry_client::ClientError;
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::light_client::LightClient;
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::{Wallet, WalletError, dids};
use tonic::{Request, Response, Status};

const PASS: &str = "a citizen's passphrase";
const BANK: &str = "https://bank.example";

/// A registry node that answers every submission "rejected" and keeps what it was sent
/// (it could send it on: nothing in its answer proves it did not). It answers no read.
#[derive(Debug, Clone, Default)]
struct RejectingNode {
    submitted: Arc<Mutex<Vec<Vec<u8>>>>,
}

fn no_reads<T>() -> Result<Response<T>, Status> {
    Err(Status::unavailable("this node answers no reads"))
}

#[tonic::async_trait]
impl Registry for RejectingNode {
    async fn submit_transaction(
        &self,
        request: Request<pb::SubmitTransactionRequest>,
    ) -> Result<Response<pb::SubmitTransactionResponse>, Status> {
        let bytes = request.into_inner().transaction;
        let tx_hash = realdid_core::codec::TxHash::of_bytes(&bytes).0.to_vec();
        self.submitted.lock().unwrap().push(bytes);
        Ok(Response::new(pb::SubmitTransactionResponse {
            result: Some(pb::submit_transaction_response::Result::Rejected(
                pb::TransactionRejection {
                    reason: pb::TransactionRejectionReason::Unauthorized as i32,
                    message: "not today".into(),
                    tx_hash,
                    height: None,
                },
            )),
        }))
    }

    async fn resolve(
        &self,
        _: Request<pb::ResolveRequest>,
    ) -> Result<Response<pb::ResolveResponse>, Status> {
        no_reads()
    }

    async fn resolve_many(
        &self,
        _: Request<pb::ResolveManyRequest>,
    ) -> Result<Response<pb::ResolveManyResponse>, Status> {
        no_reads()
    }

    async fn get_issuer_accreditation(
        &self,
        _: Request<pb::GetIssuerAccreditationRequest>,
    ) -> Result<Response<pb::GetIssuerAccreditationResponse>, Status> {
        no_reads()
    }

    async fn get_status_list_anchor(
        &self,
        _: Request<pb::GetStatusListAnchorRequest>,
    ) -> Result<Response<pb::GetStatusListAnchorResponse>, Status> {
        no_reads()
    }

    async fn get_audit_anchor(
        &self,
        _: Request<pb::GetAuditAnchorRequest>,
    ) -> Result<Response<pb::GetAuditAnchorResponse>, Status> {
        no_reads()
    }

    async fn get_transaction(
        &self,
        _: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        no_reads()
    }

    async fn get_issuer_register(
        &self,
        _: Request<pb::GetIssuerRegisterRequest>,
    ) -> Result<Response<pb::GetIssuerRegisterResponse>, Status> {
        no_reads()
    }

    async fn get_transparency_day(
        &self,
        _: Request<pb::GetTransparencyDayRequest>,
    ) -> Result<Response<pb::GetTransparencyDayResponse>, Status> {
        no_reads()
    }

    async fn get_block(
        &self,
        _: Request<pb::GetBlockRequest>,
    ) -> Result<Response<pb::GetBlockResponse>, Status> {
        no_reads()
    }

    async fn get_chain_status(
        &self,
        _: Request<pb::GetChainStatusRequest>,
    ) -> Result<Response<pb::GetChainStatusResponse>, Status> {
        no_reads()
    }

    type StreamBlocksStream = tonic::codegen::BoxStream<pb::StreamBlocksResponse>;

    async fn stream_blocks(
        &self,
        _: Request<pb::StreamBlocksRequest>,
    ) -> Result<Response<Self::StreamBlocksStream>, Status> {
        no_reads()
    }
}

/// Serves `node` on a loopback port; returns its endpoint.
async fn serve(node: RejectingNode) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(RegistryServer::new(node))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    endpoint
}

#[tokio::test]
async fn a_node_saying_a_creation_was_rejected_does_not_cost_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet");
    let node = RejectingNode::default();
    let endpoint = serve(node.clone()).await;
    // No validator keys: nothing this test does reaches a proven read.
    let registry = RegistryGateway::new(
        &[endpoint],
        LightClient::new(
            &realdid_registry_client::genesis::ChainId::parse("test").expect("a chain id"),
            [],
        ),
    )
    .unwrap();

    let mut wallet = Wallet::create(&path, PASS, KdfParams::MINIMUM).unwrap();
    let refused = dids::create(&mut wallet, &registry, Some(BANK))
        .await
        .expect_err("the node said rejected");
    assert!(
        matches!(refused, WalletError::Registry(ClientError::Rejected { .. })),
        "{refused:?}"
    );
    drop(wallet);

    // What the node was sent: the creation, signed with the keys the wallet generated.
    let submitted = node.submitted.lock().unwrap().clone();
    assert_eq!(submitted.len(), 1);
    let Transaction::Did(signed) = Transaction::decode_bounded(&submitted[0]).unwrap() else {
        panic!("not a DID operation");
    };
    let DidOperation::Create(op) = signed.operation else {
        panic!("not a creation");
    };

    // The wallet on disk still holds that DID's device and recovery keys, marked
    // unconfirmed (version 0), so they are not used as a live DID until a proven read shows
    // it created.
    let wallet = Wallet::open(&path, PASS).unwrap();
    let kept = wallet.contents().did(&op.did()).unwrap_or_else(|_| {
        panic!(
            "the keys of {} were deleted on the node's unproven word that its creation was \
             rejected: if the creation lands, the DID is lost",
            op.did()
        )
    });
    assert_eq!(kept.provider.as_deref(), Some(BANK));
    assert_eq!(kept.version, 0, "unconfirmed");
    assert_eq!(
        Some(&kept.key.key().unwrap().public_key()),
        op.document.keys.first().map(|k| &k.key),
        "the device key is the one the creation installs"
    );
    assert!(
        RecoveryCommitment::to(&kept.recovery_key.key().unwrap().public_key())
            == op.recovery_commitment,
        "the recovery key is the one the creation commits to"
    );
    assert!(wallet.contents().did_for(BANK).is_none(), "not live yet");
}
