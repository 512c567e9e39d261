//! A flood of the largest transactions the DID method allows. Before blocks and gossip were
//! bounded below the p2p message limit, a leader built a block it could not send, the p2p
//! layer panicked, and every validator died in turn: any client could halt the chain.

use std::time::Duration;

use commonware_codec::Encode as _;
use realdid_core::codec::MAX_TRANSACTION_LEN;
use realdid_core::did::Purposes;
use realdid_proto::v1 as pb;
use realdid_proto::v1::submit_transaction_response::Result as Submitted;
use realdid_tests::chain::{Devnet, create_did, create_large_did, submit, submit_bytes};

use realdid_registry::devnet::devnet_tuning;

use crate::serial;

const SLOW: Duration = Duration::from_secs(90);
/// About 17 MB of transactions: twice the p2p message limit the nodes had, four blocks' worth.
const FLOOD: u64 = 1_600;

/// How one flood transaction ended.
#[derive(Debug, Default)]
struct Tally {
    finalized: usize,
    rejected: usize,
    refused: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_the_largest_transactions_does_not_halt_the_chain() {
    let _serial = serial().await;
    let mut net = Devnet::running(4, &devnet_tuning()).await;
    let flood: Vec<Vec<u8>> = (0..FLOOD)
        .map(|seed| create_large_did(seed).0.encode().to_vec())
        .collect();
    assert!(
        flood.iter().all(|tx| tx.len() > 10_000),
        "each flood transaction is one of the largest (over 10 KB)"
    );

    let mut clients = Vec::new();
    for i in 0..4 {
        clients.push(net.client(i).await);
    }
    let submissions: Vec<_> = flood
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| {
            let mut client = clients[i % 4].clone();
            tokio::spawn(async move {
                client
                    .submit_transaction(pb::SubmitTransactionRequest { transaction: bytes })
                    .await
            })
        })
        .collect();
    let mut tally = Tally::default();
    let mut last_height = 0;
    for submission in submissions {
        let answer = tokio::time::timeout(Duration::from_secs(300), submission)
            .await
            .expect("every flood transaction gets an answer within 5 minutes")
            .expect("the submission task ends");
        match answer {
            Ok(response) => match response.into_inner().result.expect("a result") {
                Submitted::Finalized(receipt) => {
                    tally.finalized += 1;
                    last_height = last_height.max(receipt.height);
                }
                Submitted::Rejected(rejection) => {
                    assert_ne!(
                        rejection.reason(),
                        pb::TransactionRejectionReason::Unspecified,
                        "a rejection names its reason: {}",
                        rejection.message
                    );
                    tally.rejected += 1;
                }
            },
            // A node that is too busy says so with a code a client can act on.
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::ResourceExhausted | tonic::Code::Unavailable
                ) && !status.message().is_empty() =>
            {
                tally.refused += 1
            }
            Err(status) => panic!("a flood transaction got no typed answer: {status:?}"),
        }
    }
    eprintln!("flood: {tally:?}, last receipt at height {last_height}");
    assert!(
        tally.finalized > 0,
        "the flood's valid transactions reach the chain: {tally:?}"
    );

    // Every validator is alive and keeps finalizing, and a new transaction still lands.
    for i in 0..4 {
        assert!(
            net.supervisor.is_running(i).expect("node index"),
            "validator {i} exited during the flood:\n{}",
            net.log_tail(i)
        );
    }
    let (create, _) = create_did(Purposes::AUTHENTICATION);
    let mut node1 = net.client(1).await;
    let receipt = match submit(&mut node1, &create).await {
        Submitted::Finalized(receipt) => receipt,
        Submitted::Rejected(r) => panic!("a create after the flood was refused: {}", r.message),
    };
    for i in 0..4 {
        net.wait_height(i, receipt.height.max(last_height) + 3, SLOW)
            .await;
    }
    for i in 0..4 {
        let log = std::fs::read_to_string(net.layout.nodes()[i].log_path()).unwrap_or_default();
        assert!(
            !log.contains("panicked"),
            "validator {i} panicked:\n{}",
            net.log_tail(i)
        );
    }

    // A transaction too large to ever fit is refused at once, saying why.
    let mut oversize = create_large_did(FLOOD).0.encode().to_vec();
    oversize.resize(MAX_TRANSACTION_LEN + 1, 0);
    match submit_bytes(&mut node1, oversize).await {
        Submitted::Rejected(r) => {
            assert_eq!(r.reason(), pb::TransactionRejectionReason::Malformed);
            assert!(
                r.message.contains(&MAX_TRANSACTION_LEN.to_string()),
                "the refusal names the limit: {}",
                r.message
            );
        }
        Submitted::Finalized(_) => panic!("an oversize transaction was accepted"),
    }
}
