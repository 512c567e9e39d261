//! A copy of the issuer's database. It holds no name and no resident ID number, but its rows
//! said which credentials belong to one enrolment, which DIDs an enrolment bound and which
//! enrolments are one person's: a copy alone (a backup, a disk) linked one person's pairwise
//! DIDs across every provider.

use realdid_registry::devnet::devnet_tuning;
use realdid_tests::chain::Devnet;
use realdid_tests::issuer::{IssuerStack, holder_did};
use rocksdb::{DB, IteratorMode, Options};

use crate::serial;

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_the_issuer_database_does_not_link_a_persons_dids() {
    let _serial = serial().await;
    let net = Devnet::running(4, &devnet_tuning()).await;
    let mut stack = IssuerStack::start(&net, 5, 1).await;
    let (bank, shop, later) = (
        holder_did(&net).await,
        holder_did(&net).await,
        holder_did(&net).await,
    );
    let first = stack.enrol(0, &[&bank, &shop]).await.expect("enrolled");
    let second = stack.enrol(0, &[&later]).await.expect("enrolled");
    let credential =
        |e: &realdid_proto::v1::EnrolmentIssued, i: usize| e.credentials[i].credential_id.clone();
    // What would link: two DIDs or two credentials of the person, or an enrolment id, in
    // one row.
    let dids = [&bank, &shop, &later].map(|h| h.state.did.to_string());
    let credentials = [
        credential(&first, 0),
        credential(&first, 1),
        credential(&second, 0),
    ];

    stack.stop_issuer_for_maintenance().await;
    let dir = stack.config.data_dir.clone();
    {
        let families = DB::list_cf(&Options::default(), &dir).unwrap();
        let db = DB::open_cf_for_read_only(&Options::default(), &dir, &families, false).unwrap();
        let mut rows = 0;
        for family in &families {
            let handle = db.cf_handle(family).unwrap();
            for item in db.iterator_cf(handle, IteratorMode::Start) {
                let (key, value) = item.unwrap();
                rows += 1;
                let row = [key.as_ref(), value.as_ref()].concat();
                for enrolment in [&first.enrolment_id, &second.enrolment_id] {
                    assert!(
                        family == "enrolments" && contains(&key, enrolment)
                            || !contains(&value, enrolment),
                        "a {family} row names enrolment {enrolment}"
                    );
                }
                let named = |ids: &[String]| ids.iter().filter(|id| contains(&row, id)).count();
                assert!(
                    named(&dids) <= 1,
                    "a {family} row names {} of the person's DIDs",
                    named(&dids)
                );
                assert!(
                    named(&credentials) <= 1,
                    "a {family} row names {} of the person's credentials",
                    named(&credentials)
                );
            }
        }
        assert!(rows > 10, "the database was read ({rows} rows)");
    }

    // The issuer itself still reads what it sealed: the person's earlier enrolments count
    // against the cap, the enrolment revokes as a whole.
    stack.start_issuer_again().await;
    let another = holder_did(&net).await;
    stack.enrol(0, &[&another]).await.expect("enrolled again");
    let revoked = stack
        .revoke_enrolment(&first.enrolment_id)
        .await
        .expect("the officer revokes the enrolment");
    assert_eq!(revoked.credential_ids.len(), 2);
}
