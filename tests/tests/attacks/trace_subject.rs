//! A trace naming the wrong person. A DID can be enrolled by one person, recovered with a new
//! key and enrolled by another; a trace opened the DID's first enrolment whatever the time
//! in question, and so named the first person for what the second did.

use realdid_core::codec::Transaction;
use realdid_core::did::{
    DidOperation, DocumentState, KeyId, Purposes, UpdateOp, VerificationKey, apply,
};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_proto::v1::create_trace_request::Subject;
use realdid_proto::v1::submit_transaction_response::Result as Submitted;
use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::{Devnet, Holder, devnet_chain, submit};
use realdid_tests::issuer::{IssuerStack, holder_did};

use crate::serial;

/// `holder`'s DID moved to a new key on chain (the key `key-1` replaced, as after a lost
/// phone or a hand-over), and the holder of the new key.
async fn rotated(net: &Devnet, holder: &Holder) -> Holder {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let update = DidOperation::Update(UpdateOp {
        did: holder.state.did.clone(),
        previous: holder.state.last_operation,
        document: DocumentState {
            keys: vec![VerificationKey {
                id: KeyId::first(),
                key: key.public_key(),
                purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
            }],
            services: vec![],
        },
    })
    .sign(&devnet_chain(), Some(KeyId::first()), &holder.key)
    .unwrap();
    let state = apply(&devnet_chain(), Some(&holder.state), &update).unwrap();
    let mut node = net.client(0).await;
    assert!(matches!(
        submit(&mut node, &Transaction::Did(update)).await,
        Submitted::Finalized(_)
    ));
    Holder {
        key,
        recovery: holder.recovery.clone(),
        state,
    }
}

/// Opens trace `trace` and returns who it names and the credential that decided it.
async fn opened(stack: &IssuerStack, trace: &str) -> (String, String) {
    let opened = stack.open_trace(trace).await.expect("opened");
    let record = stack
        .release_and_read(trace, &[0, 1])
        .await
        .expect("the approvers release, the officer reads");
    let trace = opened.trace.expect("the trace");
    (record.full_name, trace.credential_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_opens_the_enrolment_of_whoever_held_the_did_at_the_time_in_question() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let stack = IssuerStack::start(&net, 5, 1).await;
    let (person_a, person_b) = (&stack.people[0], &stack.people[1]);
    let first_holder = holder_did(&net).await;
    let first = stack.enrol(0, &[&first_holder]).await.expect("A enrolled");
    let second_holder = rotated(&net, &first_holder).await;
    let second = stack.enrol(1, &[&second_holder]).await.expect("B enrolled");
    let did = first_holder.state.did.to_string();
    let (first_credential, second_credential) = (&first.credentials[0], &second.credentials[0]);

    // Now the DID is B's.
    let now = stack.approved_trace(&did, None, 2).await;
    assert_eq!(
        opened(&stack, &now).await,
        (
            person_b.full_name.clone(),
            second_credential.credential_id.clone()
        )
    );

    // At the time of A's enrolment, it was A's.
    let then = Subject::AtUnixMs(first_credential.issued_at_unix_ms);
    let past = stack.approved_trace(&did, Some(then), 2).await;
    assert_eq!(
        opened(&stack, &past).await,
        (
            person_a.full_name.clone(),
            first_credential.credential_id.clone()
        )
    );

    // A credential names its own enrolment, and the record says which.
    let named = Subject::CredentialId(first_credential.credential_id.clone());
    let by_credential = stack.approved_trace(&did, Some(named), 2).await;
    assert_eq!(opened(&stack, &by_credential).await.0, person_a.full_name);

    // A moment before the DID was enrolled at all names nobody.
    let refused = stack
        .try_request_trace(
            &did,
            Some(Subject::AtUnixMs(
                first_credential.issued_at_unix_ms - 60_000,
            )),
        )
        .await
        .expect_err("nobody then");
    assert_eq!(refused.code(), tonic::Code::NotFound, "{refused:?}");
}
