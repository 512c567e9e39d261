//! Holding a server's capacity. The gRPC servers bounded the size of a call but not how many
//! a client may have in flight, and a block stream held its node's resources for as long as
//! its client kept it open without reading: one client could take a node's capacity.

use std::time::{Duration, Instant};

use commonware_codec::Encode as _;
use futures::future::join_all;
use realdid_core::did::Purposes;
use realdid_proto::server::MAX_CALLS_PER_CONNECTION;
use realdid_proto::v1 as pb;
use realdid_registry::devnet::devnet_tuning;
use realdid_registry::service::MAX_BLOCK_STREAMS;
use realdid_tests::chain::{Devnet, create_did, submit};

use crate::serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_take_a_servers_capacity() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;

    // Four times as many submissions as one connection may have in flight, all at once on
    // one connection, each waiting for its block: those past the bound are refused at once,
    // RESOURCE_EXHAUSTED, the others finalize.
    let flooder = net.client(0).await;
    let creations: Vec<_> = (0..4 * MAX_CALLS_PER_CONNECTION)
        .map(|_| create_did(Purposes::AUTHENTICATION).0)
        .collect();
    let answers = join_all(creations.iter().map(|tx| {
        let mut client = flooder.clone();
        async move {
            client
                .submit_transaction(pb::SubmitTransactionRequest {
                    transaction: tx.encode().to_vec(),
                })
                .await
        }
    }))
    .await;
    let mut refused = 0;
    for answer in &answers {
        match answer {
            Ok(r) => assert!(
                matches!(
                    r.get_ref().result,
                    Some(pb::submit_transaction_response::Result::Finalized(_))
                ),
                "{r:?}"
            ),
            Err(s) => {
                assert_eq!(s.code(), tonic::Code::ResourceExhausted, "{s:?}");
                refused += 1;
            }
        }
    }
    assert!(
        refused >= 1 && refused < answers.len(),
        "{refused} of {} refused",
        answers.len()
    );
    // Another client is served as usual.
    let mut other = net.client(0).await;
    let (tx, _) = create_did(Purposes::AUTHENTICATION);
    assert!(matches!(
        submit(&mut other, &tx).await,
        pb::submit_transaction_response::Result::Finalized(_)
    ));

    // Block streams that are never read: at most MAX_BLOCK_STREAMS at once per node.
    let mut streams = Vec::new();
    for _ in 0..MAX_BLOCK_STREAMS {
        let mut client = net.client(1).await;
        streams.push(
            client
                .stream_blocks(pb::StreamBlocksRequest { from_height: 1 })
                .await
                .expect("a stream")
                .into_inner(),
        );
    }
    let mut client = net.client(1).await;
    let refused = client
        .stream_blocks(pb::StreamBlocksRequest { from_height: 1 })
        .await
        .expect_err("no slot left");
    assert_eq!(
        refused.code(),
        tonic::Code::ResourceExhausted,
        "{refused:?}"
    );
    assert!(refused.message().contains("block streams"), "{refused:?}");
    // A client that hangs up frees its slot (once its stream's next block finds it gone).
    streams.truncate(MAX_BLOCK_STREAMS - 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut stream = loop {
        match client
            .stream_blocks(pb::StreamBlocksRequest { from_height: 1 })
            .await
        {
            Ok(stream) => break stream.into_inner(),
            Err(s) if Instant::now() < deadline => {
                assert_eq!(s.code(), tonic::Code::ResourceExhausted, "{s:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(s) => panic!("the slot was never freed: {s:?}"),
        }
    };
    let first = stream.message().await.expect("a block").expect("a block");
    assert_eq!(first.block.expect("a summary").height, 1);
}
