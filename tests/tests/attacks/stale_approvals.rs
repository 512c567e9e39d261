//! An approval given long ago. An approval counted for as long as its trace request stayed
//! pending, whenever its approver had signed it: an approval signed for a request days ago
//! (or kept back and sent late) could still be the one that opened an identity.

use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};
use realdid_tests::unix_s;

use crate::serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_signed_long_ago_does_not_open_a_trace() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let holder = holder_did(&net).await;
    stack.enrol(0, &[&holder]).await.expect("enrolled");
    let trace = stack
        .request_trace(&holder.state.did.to_string(), None)
        .await;
    let ttl = i64::from(stack.config.trace.approval_ttl_seconds);
    let long_ago = unix_s() - ttl - 60;

    // Two approvals, one signed long ago: refused, naming the bound; the trace stays shut.
    stack
        .approve(&trace, 0, unix_s())
        .await
        .expect("a fresh approval");
    let stale = stack
        .approve(&trace, 1, long_ago)
        .await
        .expect_err("an approval signed long ago");
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition, "{stale:?}");
    assert!(stale.message().contains("an approval counts"), "{stale:?}");
    let shut = stack
        .open_trace(&trace.trace_id)
        .await
        .expect_err("one approval that counts");
    assert_eq!(shut.code(), tonic::Code::FailedPrecondition, "{shut:?}");

    // An approval from the future is refused too; a fresh one opens the trace.
    let ahead = stack
        .approve(&trace, 1, unix_s() + 3600)
        .await
        .expect_err("an approval from the future");
    assert_eq!(ahead.code(), tonic::Code::InvalidArgument, "{ahead:?}");
    stack
        .approve(&trace, 1, unix_s())
        .await
        .expect("a fresh approval");
    stack
        .open_trace(&trace.trace_id)
        .await
        .expect("opened with two approvals that count");
}
