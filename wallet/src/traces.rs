//! The wallet's own view of lawful tracing: which of its DIDs were traced, found on chain by
//! the holder tags only this wallet can compute, each read with a proof.
//!
//! At enrolment the wallet gave the issuer a random key; when a trace of one of the
//! enrolment's DIDs is disclosed (after its legal delay), the issuer publishes on chain the
//! tag HMAC(key, DID, request hash). The wallet reads the issuer's audit anchors, proven
//! against the validators' keys, and recognises its tags. Nobody without the key, a provider
//! that knows the DID included, can tell from the chain whether that DID was traced.

use realdid_core::did::RealDid;
use realdid_core::trace::holder_tag;
use realdid_registry_client::gateway::RegistryGateway;

use crate::WalletError;
use crate::wallet::Wallet;

/// Most audit anchors read per issuer in one scan: a bound on the work a wallet does for an
/// issuer that claims a very high sequence.
pub const MAX_ANCHORS_SCANNED: u64 = 10_000;

/// A disclosed trace of one of this wallet's DIDs, as the chain shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenTrace {
    /// The traced DID.
    pub did: RealDid,
    /// The issuer that opened the record.
    pub issuer: RealDid,
    /// The audit anchor's sequence.
    pub sequence: u64,
    /// The height that anchored the opening.
    pub anchored_height: u64,
    /// When, Unix ms (the block's time).
    pub anchored_at_ms: u64,
    /// How many approvals the chain checked.
    pub approvals: usize,
    /// The height that disclosed it.
    pub disclosed_height: u64,
    /// The height the reads were proven at.
    pub proven_at_height: u64,
}

/// The disclosed traces of this wallet's DIDs, oldest first, each read proven.
pub async fn disclosed_traces(
    wallet: &Wallet,
    registry: &RegistryGateway,
) -> Result<Vec<SeenTrace>, WalletError> {
    let mut seen = Vec::new();
    let entries = &wallet.contents().trace_keys;
    let mut issuers: Vec<&RealDid> = entries.iter().map(|e| &e.issuer).collect();
    issuers.sort();
    issuers.dedup();
    for issuer in issuers {
        let Some(register) = registry.accreditation(issuer).await? else {
            continue;
        };
        let last = register.last_audit_sequence.min(MAX_ANCHORS_SCANNED);
        let keys: Vec<([u8; 32], &[RealDid])> = entries
            .iter()
            .filter(|e| &e.issuer == issuer)
            .filter_map(|e| {
                let key: [u8; 32] = hex::decode(&e.key).ok()?.try_into().ok()?;
                Some((key, e.dids.as_slice()))
            })
            .collect();
        for sequence in 1..=last {
            let proven = registry.audit_anchor_at(issuer, sequence).await?;
            let Some(record) = proven.value else {
                continue;
            };
            let Some(disclosure) = &record.disclosure else {
                continue;
            };
            for (key, dids) in &keys {
                for did in *dids {
                    if holder_tag(key, did.as_str(), &record.anchor.request_hash)
                        == disclosure.holder_tag
                    {
                        seen.push(SeenTrace {
                            did: did.clone(),
                            issuer: issuer.clone(),
                            sequence,
                            anchored_height: record.height,
                            anchored_at_ms: record.timestamp_ms,
                            approvals: record.anchor.approvals.len(),
                            disclosed_height: disclosure.height,
                            proven_at_height: proven.height,
                        });
                    }
                }
            }
        }
    }
    Ok(seen)
}
