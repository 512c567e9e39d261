//! `realdid approver reseal`: after governance changed an issuer's approvers, an approver of
//! the old set shares its share of each record again to the new set, on its own machine.
//!
//! The new set is read from the chain, proven, never taken from the issuer: a contribution
//! is bound to the set it was made for, so an issuer that named other approvers would get
//! contributions it cannot use.

use realdid_core::did::RealDid;
use realdid_core::escrow::{ApproverSecret, ThresholdSealed, reshare_contribution};
use realdid_core::keys::DidKey;
use realdid_proto::v1 as pb;

use crate::error::CliError;

/// Contributions sent in one SubmitReshares call.
const CONTRIBUTIONS_PER_CALL: usize = 64;

/// What one approver's re-sealing run did.
#[derive(Debug, Default)]
struct Totals {
    contributed: usize,
    resealed: u32,
    waiting: u32,
}

/// Re-seals every record of `issuer` that `secret` holds a share of to the approvers on
/// chain.
pub fn run(
    endpoint: &super::issuer_staff::Endpoint,
    issuer: &str,
    secret: &ApproverSecret,
    chain: &super::registry_args::ChainArgs,
    yes: bool,
) -> Result<(), CliError> {
    let issuer: RealDid = issuer
        .parse()
        .map_err(|e| CliError::Usage(format!("--issuer {issuer:?}: {e}")))?;
    super::runtime()?.block_on(async {
        let gateway = chain.gateway(&endpoint.tls())?;
        let proven = gateway.accreditation_at(&issuer).await?;
        let named = proven
            .value
            .and_then(|record| record.trace_approvers)
            .ok_or_else(|| {
                CliError::Refused(format!(
                    "{issuer} has no trace approvers on chain (proven at height {})",
                    proven.height
                ))
            })?;
        let target = named
            .set
            .sealing_approvers()
            .map_err(|e| CliError::Refused(format!("the approvers on chain: {e}")))?;
        eprintln!(
            "re-sealing {issuer}'s records that {} holds a share of to {} of {} approvers \
             set on chain at height {}: {}",
            secret.id(),
            named.set.threshold,
            target.len(),
            named.height,
            target.iter().map(|a| a.id()).collect::<Vec<_>>().join(", ")
        );
        if !super::confirm(yes, "Re-seal to this set? [y/N] ")? {
            return Err(CliError::Refused("the approver declined".into()));
        }
        let mut client = endpoint.client().await?;
        let approval_key = secret.approval_key();
        let key_did = DidKey::from_public_key(&approval_key.public_key())
            .did()
            .to_string();
        let remote = |what: &'static str| {
            move |status| CliError::Remote {
                what: what.into(),
                status: Box::new(status),
            }
        };
        let mut totals = Totals::default();
        let mut after = String::new();
        loop {
            let nonce = client
                .create_nonce(pb::CreateNonceRequest {
                    purpose: pb::NoncePurpose::Reseal as i32,
                })
                .await
                .map_err(remote("asking for a nonce"))?
                .into_inner()
                .nonce;
            let input =
                realdid_core::trace::reseal_list_input(issuer.as_str(), &nonce, secret.id());
            let signature = approval_key
                .sign(&input)
                .map_err(|e| CliError::Refused(format!("signing the request: {e}")))?;
            let page = client
                .list_reseals(pb::ListResealsRequest {
                    approver_id: secret.id().to_owned(),
                    nonce,
                    signature,
                    after_enrolment: after.clone(),
                    page_size: 0,
                    approval_key: key_did.clone(),
                })
                .await
                .map_err(remote("listing the records to re-seal"))?
                .into_inner();
            if page.approvers_set_height != named.height {
                return Err(CliError::Refused(format!(
                    "the issuer re-seals to the approvers set at height {}, the chain shows the \
                     set of height {}; try again in a few seconds",
                    page.approvers_set_height, named.height
                )));
            }
            let mut contributions = Vec::with_capacity(page.sealed_records.len());
            for json in &page.sealed_records {
                let sealed = ThresholdSealed::from_json(json)
                    .map_err(|e| CliError::Refused(format!("a sealed record: {e}")))?;
                let contribution =
                    reshare_contribution(&sealed, secret, named.set.threshold, &target).map_err(
                        |e| CliError::Refused(format!("re-sealing {:?}: {e}", sealed.record_id())),
                    )?;
                contributions.push(
                    contribution
                        .to_json()
                        .map_err(|e| CliError::Refused(e.to_string()))?,
                );
            }
            for chunk in contributions.chunks(CONTRIBUTIONS_PER_CALL) {
                let outcome = client
                    .submit_reshares(pb::SubmitResharesRequest {
                        contributions: chunk.to_vec(),
                    })
                    .await
                    .map_err(remote("handing over the contributions"))?
                    .into_inner();
                totals.contributed += chunk.len();
                totals.resealed += outcome.resealed;
                totals.waiting += outcome.waiting;
            }
            if page.next_after.is_empty() {
                break;
            }
            after = page.next_after;
        }
        println!(
            "{} contributed to {} record(s): {} re-sealed, {} wait for other approvers",
            secret.id(),
            totals.contributed,
            totals.resealed,
            totals.waiting
        );
        Ok(())
    })
}
