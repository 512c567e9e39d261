//! `realdid approver`: what a lawful-trace approver does on their own machine. The keys are
//! made there and the secret half never leaves it: only the public file goes to the
//! governors, who name the approver on chain, and to the issuer, which seals shares to it.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use realdid_core::escrow::{ApproverSecret, ThresholdSealed, release_share};
use realdid_core::trace_file::{MAX_TRACE_REQUEST_FILE, TraceFileError};
use realdid_proto::v1 as pb;

use crate::error::CliError;

/// A trace request as handed to approvers (realdid-core owns its format and checks).
pub use realdid_core::trace_file::TraceRequestFile as RequestFile;

fn file_error(e: TraceFileError) -> CliError {
    CliError::Refused(e.to_string())
}

fn bad(what: &str) -> CliError {
    CliError::Refused(format!("the trace request: {what}"))
}

/// The file for the request the issuer answered, after checking its digest and hash are
/// those of its fields.
pub fn request_file(trace: &pb::TraceRequest) -> Result<RequestFile, CliError> {
    let file = RequestFile {
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
    file.checked_hash().map_err(file_error)?;
    Ok(file)
}

/// Reads a request file, bounded.
pub fn load_request(path: &Path) -> Result<RequestFile, CliError> {
    let text = super::read_bounded(path, MAX_TRACE_REQUEST_FILE as u64)?;
    RequestFile::parse(&text).map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
}

/// The approval by `approver`, signed at `now_s`, as ApproveTrace carries it.
pub fn approve(
    file: &RequestFile,
    approver: &ApproverSecret,
    now_s: u64,
) -> Result<pb::ApproveTraceRequest, CliError> {
    let signed = file.approve(approver, now_s).map_err(file_error)?;
    Ok(pb::ApproveTraceRequest {
        trace_id: signed.trace_id,
        approval_key: signed.approval_key,
        signed_at_unix_s: signed.signed_at_unix_s,
        signature: signed.signature,
    })
}

/// Checks, before a share is released, that `sealed` is the record of the DID `file`
/// traces, and that a proven read shows audit anchor `sequence` of the issuer on chain for
/// this very request; returns the anchor's hash, which the share is bound to.
pub async fn anchored(
    file: &RequestFile,
    registry: &realdid_registry_client::gateway::RegistryGateway,
    sealed: &ThresholdSealed,
    sequence: u64,
    hash: &[u8; 32],
) -> Result<[u8; 32], CliError> {
    file.names(sealed.record_id()).map_err(file_error)?;
    let issuer = file.issuer().map_err(file_error)?;
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
            let file = load_request(&request)?;
            let hash = file.checked_hash().map_err(file_error)?;
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
                let anchor_hash =
                    anchored(&file, &gateway, &sealed, answer.audit_sequence, &hash).await?;
                let officer = file.officer_key().map_err(file_error)?;
                let share = release_share(&sealed, &secret, &anchor_hash, &officer)
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
            let file = load_request(&request)?;
            file.checked_hash().map_err(file_error)?;
            eprintln!("{}", file.describe());
            if !super::confirm(yes, "Approve this trace? [y/N] ")? {
                return Err(CliError::Refused("the approver declined".into()));
            }
            let secret = load_secret(&key)?;
            let approval = approve(&file, &secret, super::unix_ms() / 1000)?;
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
