//! `realdid approver`: what a lawful-trace approver does on their own machine. The keys are
//! made there and the secret half never leaves it: only the public file goes to the
//! governors, who name the approver on chain, and to the issuer, which seals shares to it.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use realdid_core::codec::{ChainId, TraceApproval};
use realdid_core::did::RealDid;
use realdid_core::escrow::{ApproverSecret, HpkePublicKey, ThresholdSealed, release_share};
use realdid_core::keys::DidKey;
use realdid_core::trace::{TraceRequestFields, request_digest, request_hash};
use realdid_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::error::CliError;

/// A trace request as handed to approvers: every field its digest commits to, the salt of
/// the hash they sign, and the chain and issuer their signature names.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFile {
    /// The issuer's id for the request.
    pub trace_id: String,
    subject_did: String,
    legal_basis: String,
    case_reference: String,
    requested_by: String,
    created_at_unix_ms: i64,
    subject_at_unix_ms: i64,
    /// The enrolment the request names (its record is the one released).
    enrolment_id: String,
    /// k, when the request was made.
    pub approvals_required: u32,
    /// The issuer's digest, hex.
    request_digest: String,
    /// The salt, hex.
    salt: String,
    /// The hash the approvers sign, hex.
    request_hash: String,
    chain_id: String,
    issuer_did: String,
    /// The requesting officer's X25519 key, hex: shares are released to it.
    officer_key: String,
}

fn bad(what: &str) -> CliError {
    CliError::Refused(format!("the trace request: {what}"))
}

impl RequestFile {
    /// The file for the request the issuer answered, after checking its digest and hash
    /// are those of its fields.
    pub fn from_trace(trace: &pb::TraceRequest) -> Result<Self, CliError> {
        let file = Self {
            trace_id: trace.trace_id.clone(),
            subject_did: trace.subject_did.clone(),
            legal_basis: trace.legal_basis.clone(),
            case_reference: trace.case_reference.clone(),
            requested_by: trace.requested_by.clone(),
            created_at_unix_ms: trace.created_at_unix_ms,
            subject_at_unix_ms: trace.subject_at_unix_ms,
            enrolment_id: trace.enrolment_id.clone(),
            approvals_required: trace.approvals_required,
            request_digest: hex::encode(&trace.request_digest),
            salt: hex::encode(&trace.salt),
            request_hash: hex::encode(&trace.request_hash),
            chain_id: trace.chain_id.clone(),
            issuer_did: trace.issuer_did.clone(),
            officer_key: hex::encode(&trace.officer_key),
        };
        file.checked_hash()?;
        Ok(file)
    }

    /// The request hash, recomputed from the fields and the salt; refused unless it is the
    /// one the file carries (the file was changed after the issuer made it).
    fn checked_hash(&self) -> Result<[u8; 32], CliError> {
        let digest = request_digest(&TraceRequestFields {
            trace_id: &self.trace_id,
            subject_did: &self.subject_did,
            legal_basis: &self.legal_basis,
            case_reference: &self.case_reference,
            requested_by: &self.requested_by,
            created_at_ms: self.created_at_unix_ms,
            subject_at_ms: self.subject_at_unix_ms,
            enrolment_id: &self.enrolment_id,
        });
        if hex::encode(digest) != self.request_digest {
            return Err(bad(
                "its fields do not hash to the digest it carries; it was changed after the \
                 issuer made it",
            ));
        }
        let salt: [u8; 32] = hex::decode(&self.salt)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| bad("the salt is not 32 hex bytes"))?;
        let hash = request_hash(&digest, &salt, self.officer_key()?.as_bytes());
        if hex::encode(hash) != self.request_hash {
            return Err(bad(
                "its request hash is not the hash of its digest and salt",
            ));
        }
        Ok(hash)
    }

    /// The officer the shares go to.
    fn officer_key(&self) -> Result<HpkePublicKey, CliError> {
        HpkePublicKey::from_hex(&self.officer_key).map_err(|e| bad(&format!("officer_key: {e}")))
    }

    fn issuer(&self) -> Result<RealDid, CliError> {
        self.issuer_did
            .parse()
            .map_err(|e| bad(&format!("issuer_did: {e}")))
    }

    /// What the approver is asked, in words.
    pub fn describe(&self) -> String {
        format!(
            "trace {}: identify the holder of {} (as of {} Unix ms, enrolment {})\n  \
             legal basis: {}\n  case: {}\n  requested by {} at {} (Unix ms), of issuer {} on \
             chain {}",
            self.trace_id,
            self.subject_did,
            self.subject_at_unix_ms,
            self.enrolment_id,
            self.legal_basis,
            self.case_reference,
            self.requested_by,
            self.created_at_unix_ms,
            self.issuer_did,
            self.chain_id
        )
    }

    /// The approval by `approver`, signed at `now_s`, as ApproveTrace carries it.
    pub fn approve(
        &self,
        approver: &ApproverSecret,
        now_s: u64,
    ) -> Result<pb::ApproveTraceRequest, CliError> {
        let hash = self.checked_hash()?;
        let chain = ChainId::parse(&self.chain_id).map_err(|e| bad(&format!("chain_id: {e}")))?;
        let issuer = self.issuer()?;
        let key = approver.approval_key();
        let approval = TraceApproval::sign(&chain, &issuer, &hash, now_s, &key)
            .map_err(|e| CliError::Refused(format!("signing the approval: {e}")))?;
        Ok(pb::ApproveTraceRequest {
            trace_id: self.trace_id.clone(),
            approval_key: DidKey::from_public_key(&key.public_key()).did().to_string(),
            signed_at_unix_s: i64::try_from(now_s).unwrap_or(i64::MAX),
            signature: approval.signature.0.to_vec(),
        })
    }

    /// Checks, before a share is released, that `sealed` is the record of the DID this
    /// request traces, and that a proven read shows audit anchor `sequence` of the issuer on
    /// chain for this very request; returns the anchor's hash, which the share is bound to.
    pub async fn anchored(
        &self,
        registry: &realdid_registry_client::gateway::RegistryGateway,
        sealed: &ThresholdSealed,
        sequence: u64,
        hash: &[u8; 32],
    ) -> Result<[u8; 32], CliError> {
        self.names(sealed)?;
        let issuer = self.issuer()?;
        let proven = registry.audit_anchor_at(&issuer, sequence).await?;
        let record = proven.value.ok_or_else(|| {
            CliError::Refused(format!(
                "audit anchor {sequence} of {issuer} is not on chain (proven absent at height {}); \
                 nothing is released before the opening is anchored",
                proven.height
            ))
        })?;
        if &record.anchor.request_hash != hash {
            return Err(CliError::Refused(format!(
                "audit anchor {sequence} is for another request; nothing is released"
            )));
        }
        Ok(record.anchor_hash())
    }

    /// Whether `sealed` is the record this request names: the traced DID's, of the
    /// enrolment the request names. A record of the DID from another enrolment (another
    /// holder of it, at another time) is refused.
    fn names(&self, sealed: &ThresholdSealed) -> Result<(), CliError> {
        let named = format!("{} {}", self.subject_did, self.enrolment_id);
        if sealed.record_id() != named {
            return Err(CliError::Refused(format!(
                "the sealed record {:?} is not the record this request names ({named:?}: {}, \
                 enrolment {})",
                sealed.record_id(),
                self.subject_did,
                self.enrolment_id
            )));
        }
        Ok(())
    }

    /// Reads a request file, bounded.
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let text = super::read_bounded(path, 64 * 1024)?;
        serde_json::from_str(&text)
            .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
    }
}

/// Loads an approver's key file.
pub fn load_secret(path: &Path) -> Result<ApproverSecret, CliError> {
    let text = super::read_bounded(path, 4096)?;
    ApproverSecret::from_json(&text)
        .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
}

/// `realdid approver …`.
#[derive(Debug, Subcommand)]
pub enum ApproverCommand {
    /// Makes an approver's keys: an Ed25519 key that signs approvals and a separate X25519
    /// key that identity-record shares are sealed to. Writes `<dir>/<id>.key.json` (mode
    /// 0600; keep it, and a backup, offline) and `<dir>/<id>.public.json` (hand it over).
    Keygen {
        /// The approver's id, as governance will list it (1 to 64 characters).
        #[arg(long)]
        id: String,
        /// Where to write the two files (refused if either exists).
        #[arg(long)]
        dir: PathBuf,
    },
    /// Once the trace is opened, releases this approver's share of the traced DID's record
    /// to the requesting officer: only after a proven read shows the audit anchor of this
    /// very request on chain, and only for the record the request names (the traced DID's,
    /// of the enrolment the request names). The share
    /// is sealed to the officer, bound to that record and that anchor.
    Release {
        #[command(flatten)]
        endpoint: super::issuer_staff::Endpoint,
        /// The request file this approver approved.
        #[arg(long)]
        request: PathBuf,
        /// This approver's key file.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        chain: super::registry_args::ChainArgs,
    },
    /// After governance changed the issuer's approvers: shares this approver's share of
    /// each record sealed to an older set again to the set on chain (read here, proven), so
    /// that the new approvers can release shares and removed ones no longer can. Each
    /// record is re-sealed once k of its old approvers have run this.
    Reseal {
        #[command(flatten)]
        endpoint: super::issuer_staff::Endpoint,
        /// The issuer's did:realdid.
        #[arg(long)]
        issuer: String,
        /// This approver's key file.
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        chain: super::registry_args::ChainArgs,
        /// Re-seal without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Shows a trace request file, checks that its hash is its fields', signs the approval
    /// with this approver's key and hands it to the issuer. The chain checks the same
    /// signature when the opening is anchored.
    Approve {
        #[command(flatten)]
        endpoint: super::issuer_staff::Endpoint,
        /// The request file `realdid issuer trace create` wrote.
        #[arg(long)]
        request: PathBuf,
        /// This approver's key file (`realdid approver keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Approve without asking.
        #[arg(long)]
        yes: bool,
    },
}

/// Runs an approver subcommand.
pub fn run(command: ApproverCommand) -> Result<(), CliError> {
    match command {
        ApproverCommand::Keygen { id, dir } => {
            let refused = |e: realdid_core::escrow::EscrowError| CliError::Refused(e.to_string());
            let secret = ApproverSecret::generate(&id).map_err(refused)?;
            let public = secret.public().to_json().map_err(refused)? + "\n";
            std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
                path: dir.display().to_string(),
                source,
            })?;
            let key_path = dir.join(format!("{id}.key.json"));
            let public_path = dir.join(format!("{id}.public.json"));
            if public_path.exists() {
                return Err(CliError::Refused(format!(
                    "{} exists; keys are never overwritten",
                    public_path.display()
                )));
            }
            super::did::write_private(&key_path, secret.to_json().map_err(refused)?.as_bytes())?;
            super::genesis::write_new(&public_path, &public)?;
            println!("{}", public_path.display());
            eprintln!(
                "approver {id}: secret keys in {} (keep them on this machine), public keys in \
                 the file above (for the governors' set-approvers proposal)",
                key_path.display()
            );
            Ok(())
        }
        ApproverCommand::Release {
            endpoint,
            request,
            key,
            chain,
        } => {
            let file = RequestFile::load(&request)?;
            let hash = file.checked_hash()?;
            let secret = load_secret(&key)?;
            super::runtime()?.block_on(async {
                // Built inside the runtime: its channels need the reactor.
                let gateway = chain.gateway(&endpoint.tls())?;
                let mut client = endpoint.client().await?;
                let answer = client
                    .get_sealed_record(pb::GetSealedRecordRequest {
                        trace_id: file.trace_id.clone(),
                    })
                    .await
                    .map_err(|status| CliError::Remote {
                        what: "reading the sealed record".into(),
                        status: Box::new(status),
                    })?
                    .into_inner();
                let sealed = ThresholdSealed::from_json(&answer.sealed_record)
                    .map_err(|e| bad(&format!("the sealed record: {e}")))?;
                let anchor_hash = file
                    .anchored(&gateway, &sealed, answer.audit_sequence, &hash)
                    .await?;
                let share = release_share(&sealed, &secret, &anchor_hash, &file.officer_key()?)
                    .map_err(|e| CliError::Refused(format!("releasing the share: {e}")))?;
                let released = client
                    .release_share(signed_release(&file.trace_id, &share, &secret)?)
                    .await
                    .map_err(|status| CliError::Remote {
                        what: "handing over the share".into(),
                        status: Box::new(status),
                    })?
                    .into_inner();
                println!(
                    "{} released its share to the officer: {} of {} shares",
                    secret.id(),
                    released.released,
                    released.required
                );
                Ok(())
            })
        }
        ApproverCommand::Reseal {
            endpoint,
            issuer,
            key,
            chain,
            yes,
        } => super::approver_reseal::run(&endpoint, &issuer, &load_secret(&key)?, &chain, yes),
        ApproverCommand::Approve {
            endpoint,
            request,
            key,
            yes,
        } => {
            let file = RequestFile::load(&request)?;
            file.checked_hash()?;
            eprintln!("{}", file.describe());
            if !super::confirm(yes, "Approve this trace? [y/N] ")? {
                return Err(CliError::Refused("the approver declined".into()));
            }
            let secret = load_secret(&key)?;
            let approval = file.approve(&secret, super::unix_ms() / 1000)?;
            super::runtime()?.block_on(async {
                let trace = endpoint
                    .client()
                    .await?
                    .approve_trace(approval)
                    .await
                    .map_err(|status| CliError::Remote {
                        what: "approval".into(),
                        status: Box::new(status),
                    })?
                    .into_inner()
                    .trace
                    .ok_or_else(|| CliError::Refused("the issuer answered no trace".into()))?;
                println!(
                    "approved by {}: {} of {} approvals",
                    secret.id(),
                    trace.approvals.len(),
                    trace.approvals_required
                );
                Ok(())
            })
        }
    }
}

/// The share `share` handed in for trace `trace_id`, signed by `approver`'s approval key so
/// that nobody else can hand in or replace it.
pub fn signed_release(
    trace_id: &str,
    share: &realdid_core::escrow::ReleasedShare,
    approver: &ApproverSecret,
) -> Result<pb::ReleaseShareRequest, CliError> {
    let json = share
        .to_json()
        .map_err(|e| CliError::Refused(e.to_string()))?;
    let signature = approver
        .approval_key()
        .sign(&realdid_core::trace::share_release_input(trace_id, &json))
        .map_err(|e| CliError::Refused(format!("signing the release: {e}")))?;
    Ok(pb::ReleaseShareRequest {
        trace_id: trace_id.to_owned(),
        released_share: json,
        signature,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn request(subject_did: &str, enrolment_id: &str) -> RequestFile {
        RequestFile {
            trace_id: "t1".into(),
            subject_did: subject_did.into(),
            legal_basis: "warrant".into(),
            case_reference: "CASE-1".into(),
            requested_by: "officer".into(),
            created_at_unix_ms: 1,
            subject_at_unix_ms: 1,
            enrolment_id: enrolment_id.into(),
            approvals_required: 2,
            request_digest: String::new(),
            salt: String::new(),
            request_hash: String::new(),
            chain_id: "realdid-test".into(),
            issuer_did: String::new(),
            officer_key: String::new(),
        }
    }

    #[test]
    fn only_the_record_of_the_named_enrolment_is_released() {
        let approvers: Vec<_> = (1..=3)
            .map(|i| {
                ApproverSecret::generate(&format!("judge-{i}"))
                    .unwrap()
                    .public()
            })
            .collect();
        let sealed =
            |record: &str| realdid_core::escrow::seal(record, b"identity", &approvers, 2).unwrap();
        let asked = request("did:realdid:abc", "enr-2");
        assert!(asked.names(&sealed("did:realdid:abc enr-2")).is_ok());
        for other in [
            "did:realdid:abc enr-1",
            "did:realdid:abd enr-2",
            "did:realdid:abc enr-2 x",
        ] {
            let refused = asked.names(&sealed(other)).unwrap_err().to_string();
            assert!(
                refused.contains("not the record this request names"),
                "{refused}"
            );
        }
    }
}
