//! What an issuer's staff do from their own terminals, over the Issuer service: operators
//! log in with a password or their own key (the session token goes to a file only they may
//! read), suspend, reinstate and revoke credentials, request a lawful trace and open it
//! once approved. The trace approvers sign the request file on their own machines
//! (`realdid approver approve`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use realdid_proto::tls::ClientTls;
use realdid_proto::v1 as pb;
use realdid_proto::v1::issuer_client::IssuerClient;
use tonic::transport::Channel;

use crate::error::CliError;
use realdid_core::escrow::OfficerSecret;

/// How a staff member reaches the issuer.
#[derive(Debug, Args)]
pub struct Endpoint {
    /// The issuer's gRPC endpoint (`https://host:port`).
    #[arg(long)]
    endpoint: String,
    /// The CA the issuer's certificate chains to (the system's roots when absent).
    #[arg(long)]
    tls_ca: Option<PathBuf>,
}

impl Endpoint {
    /// What the command trusts: `--tls-ca`, else the system's roots.
    pub(super) fn tls(&self) -> ClientTls {
        self.tls_ca
            .clone()
            .map(ClientTls::with_ca)
            .unwrap_or_default()
    }

    pub(super) async fn client(&self) -> Result<IssuerClient<Channel>, CliError> {
        let tls = self.tls();
        let channel = tls
            .connect(&self.endpoint)
            .await
            .map_err(|e| CliError::Refused(format!("cannot reach {}: {e}", self.endpoint)))?;
        Ok(IssuerClient::new(channel))
    }
}

/// An operator's session, from `realdid issuer login`.
#[derive(Debug, Args)]
pub struct Session {
    #[command(flatten)]
    endpoint: Endpoint,
    /// The session file `login` wrote.
    #[arg(long)]
    session_file: PathBuf,
}

impl Session {
    fn request<T>(&self, message: T) -> Result<tonic::Request<T>, CliError> {
        let token = read(&self.session_file)?;
        let mut request = tonic::Request::new(message);
        let value = format!("Bearer {}", token.trim())
            .parse()
            .map_err(|_| CliError::Refused("the session file does not hold a token".into()))?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

/// The credentials an operator acts on: exactly one of the three.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// One credential, by id.
    #[arg(long, allow_hyphen_values = true)]
    credential_id: Option<String>,
    /// Every credential bound to this DID.
    #[arg(long)]
    did: Option<String>,
    /// Every credential of this enrolment.
    #[arg(long, allow_hyphen_values = true)]
    enrolment_id: Option<String>,
}

impl Target {
    fn proto(self) -> Result<pb::credential_target::Target, CliError> {
        use pb::credential_target::Target as T;
        match (self.credential_id, self.did, self.enrolment_id) {
            (Some(id), None, None) => Ok(T::CredentialId(id)),
            (None, Some(did), None) => Ok(T::SubjectDid(did)),
            (None, None, Some(id)) => Ok(T::EnrolmentId(id)),
            _ => Err(CliError::Usage(
                "name the credentials: one of --credential-id, --did or --enrolment-id".into(),
            )),
        }
    }
}

/// Prints what a status change did: the credentials and the anchors that made it public.
fn print_change(
    verb: &str,
    credential_ids: &[String],
    anchors: &[pb::TransactionReceipt],
    json: bool,
) -> Result<(), CliError> {
    let heights: Vec<u64> = anchors.iter().map(|a| a.height).collect();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "credential_ids": credential_ids,
                "anchor_heights": heights,
            })
        );
    } else {
        println!(
            "{verb} {} credentials: {}",
            credential_ids.len(),
            credential_ids.join(", ")
        );
        if !heights.is_empty() {
            let heights: Vec<String> = heights.iter().map(u64::to_string).collect();
            println!("  status lists anchored at height {}", heights.join(", "));
        }
    }
    Ok(())
}

/// Why a credential is revoked.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Reason {
    /// The holder's key is compromised.
    KeyCompromise,
    /// The enrolment was a fraud.
    Fraud,
    /// The person died.
    Deceased,
    /// A lawful order requires it.
    LegalOrder,
    /// The holder asked (outside the API).
    HolderRequest,
    /// Issued in error.
    IssuerError,
}

impl From<Reason> for pb::RevocationReason {
    fn from(reason: Reason) -> Self {
        match reason {
            Reason::KeyCompromise => Self::KeyCompromise,
            Reason::Fraud => Self::Fraud,
            Reason::Deceased => Self::Deceased,
            Reason::LegalOrder => Self::LegalOrder,
            Reason::HolderRequest => Self::HolderRequest,
            Reason::IssuerError => Self::IssuerError,
        }
    }
}

/// The staff subcommands of `realdid issuer`.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Makes an operator's login key on the operator's own machine and prints the
    /// `public_key` line to add to their `[[operators]]` entry in the issuer's configuration.
    OperatorKey {
        /// The operator's login name.
        #[arg(long)]
        operator: String,
        /// Where to write the key file (mode 0600; refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Makes a trace officer's HPKE key on the officer's own machine: the approvers release
    /// their shares to its public half, and only this file opens what they release.
    OfficerKey {
        /// Where to write the key file (mode 0600; refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Logs an operator in with their password or their key; writes the session token to a
    /// file only they may read.
    Login {
        #[command(flatten)]
        endpoint: Endpoint,
        /// The operator's login name.
        #[arg(long)]
        operator: String,
        /// A file whose first line is the password.
        #[arg(long, group = "credential", required_unless_present = "key_file")]
        password_file: Option<PathBuf>,
        /// The operator's key file from `realdid issuer operator-key`: signs the issuer's
        /// login nonce instead of sending a password.
        #[arg(long, group = "credential")]
        key_file: Option<PathBuf>,
        /// Where to write the session token (mode 0600, replaced if it exists).
        #[arg(long)]
        session_file: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revokes credentials for good: one, every one bound to a DID, or every one of an
    /// enrolment.
    Revoke {
        #[command(flatten)]
        session: Session,
        #[command(flatten)]
        target: Target,
        /// Why.
        #[arg(long, value_enum)]
        reason: Reason,
        /// A note for the issuer's audit log (never published).
        #[arg(long, default_value = "")]
        note: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Suspends credentials while a case is examined; the holder cannot lift it, `reinstate`
    /// does.
    Suspend {
        #[command(flatten)]
        session: Session,
        #[command(flatten)]
        target: Target,
        /// Why, for the issuer's audit log (never published).
        #[arg(long)]
        note: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lifts an operator's suspension; a holder's own suspension and revocations stay.
    Reinstate {
        #[command(flatten)]
        session: Session,
        #[command(flatten)]
        target: Target,
        /// Why, for the issuer's audit log (never published).
        #[arg(long)]
        note: String,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lawful tracing.
    #[command(subcommand)]
    Trace(TraceCommand),
}

/// `realdid issuer trace …`.
#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Requests a trace and writes the request file to hand to each approver.
    Create {
        #[command(flatten)]
        session: Session,
        /// The DID whose holder is to be identified.
        #[arg(long)]
        did: String,
        /// The legal basis (statute, warrant or order, and its date).
        #[arg(long)]
        legal_basis: String,
        /// The requesting authority's case reference.
        #[arg(long)]
        case_reference: String,
        /// Where to write the request file (refused if it exists).
        #[arg(long)]
        out: PathBuf,
        /// The requesting officer's key file (`realdid issuer officer-key`): the approvers
        /// release their shares to its public key.
        #[arg(long)]
        officer_key: PathBuf,
    },
    /// Opens an approved trace: has the issuer anchor the opening (once), then collects the
    /// shares the approvers released and, with k of them, opens the identity record here,
    /// with the officer's own key. Run it again while approvers are still releasing.
    Open {
        #[command(flatten)]
        session: Session,
        /// The requesting officer's key file.
        #[arg(long)]
        officer_key: PathBuf,
        #[command(flatten)]
        chain: super::registry_args::ChainArgs,
        /// Print the identity record as JSON.
        #[arg(long)]
        json: bool,
        /// The trace's id.
        #[arg(long, allow_hyphen_values = true)]
        trace_id: String,
    },
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn status(what: &str) -> impl FnOnce(tonic::Status) -> CliError + '_ {
    move |status| CliError::Remote {
        what: what.to_owned(),
        status: Box::new(status),
    }
}

/// Runs a staff command.
pub fn run(command: StaffCommand) -> Result<(), CliError> {
    super::runtime()?.block_on(async move {
        match command {
            StaffCommand::OfficerKey { out } => {
                let officer = OfficerSecret::generate()
                    .map_err(|e| CliError::Refused(e.to_string()))?;
                let text = officer
                    .to_json()
                    .map_err(|e| CliError::Refused(e.to_string()))?;
                super::did::write_private(&out, text.as_bytes())?;
                println!("{}", officer.public().to_hex());
                eprintln!(
                    "officer key written to {}; keep it on this machine: it alone opens what \
                     the approvers release to you",
                    out.display()
                );
                Ok(())
            }
            StaffCommand::OperatorKey { operator, out } => {
                let public = realdid_issuer::provision::write_staff_key(&out, &operator)?;
                let did = realdid_core::keys::DidKey::from_public_key(&public)
                    .did()
                    .to_string();
                println!("public_key = \"{did}\"");
                eprintln!(
                    "key written to {}; add the line above to the [[operators]] entry of {operator} \
                     in the issuer's configuration",
                    out.display()
                );
                Ok(())
            }
            StaffCommand::Login {
                endpoint,
                operator,
                password_file,
                key_file,
                session_file,
                json,
            } => {
                let mut client = endpoint.client().await?;
                let credential = match (password_file, key_file) {
                    (Some(path), None) => {
                        let password = read(&path)?;
                        pb::operator_login_request::Credential::Password(
                            password.lines().next().unwrap_or_default().to_owned(),
                        )
                    }
                    (None, Some(path)) => pb::operator_login_request::Credential::KeyProofJws(
                        key_proof(&mut client, &operator, &path).await?,
                    ),
                    _ => {
                        return Err(CliError::Usage(
                            "give one of --password-file or --key-file".into(),
                        ));
                    }
                };
                let answer = client
                    .operator_login(pb::OperatorLoginRequest {
                        operator_id: operator.clone(),
                        credential: Some(credential),
                    })
                    .await
                    .map_err(status("login"))?
                    .into_inner();
                let _ = std::fs::remove_file(&session_file);
                realdid_issuer::files::write_private(
                    &session_file,
                    &format!("{}\n", answer.session_token),
                )?;
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "operator": operator,
                            "expires_at_unix_ms": answer.expires_at_unix_ms,
                            "session_file": session_file.display().to_string(),
                        })
                    );
                } else {
                    println!(
                        "{operator} logged in until {} (Unix ms); session in {}",
                        answer.expires_at_unix_ms,
                        session_file.display()
                    );
                }
                Ok(())
            }
            StaffCommand::Revoke {
                session,
                target,
                reason,
                note,
                json,
            } => {
                use pb::credential_target::Target as T;
                use pb::revoke_credentials_request::Target as R;
                let target = match target.proto()? {
                    T::CredentialId(id) => R::CredentialId(id),
                    T::SubjectDid(did) => R::SubjectDid(did),
                    T::EnrolmentId(id) => R::EnrolmentId(id),
                };
                let message = pb::RevokeCredentialsRequest {
                    target: Some(target),
                    reason: pb::RevocationReason::from(reason).into(),
                    note,
                };
                let answer = session
                    .endpoint
                    .client()
                    .await?
                    .revoke_credentials(session.request(message)?)
                    .await
                    .map_err(status("revocation"))?
                    .into_inner();
                print_change("revoked", &answer.credential_ids, &answer.anchors, json)
            }
            StaffCommand::Suspend {
                session,
                target,
                note,
                json,
            } => suspension(&session, target, note, json, true).await,
            StaffCommand::Reinstate {
                session,
                target,
                note,
                json,
            } => suspension(&session, target, note, json, false).await,
            StaffCommand::Trace(command) => trace(command).await,
        }
    })
}

/// SuspendCredentials (`suspend`) or ReinstateCredentials, and what it did.
async fn suspension(
    session: &Session,
    target: Target,
    note: String,
    json: bool,
    suspend: bool,
) -> Result<(), CliError> {
    let target = Some(pb::CredentialTarget {
        target: Some(target.proto()?),
    });
    let mut client = session.endpoint.client().await?;
    let (verb, ids, anchors) = if suspend {
        let answer = client
            .suspend_credentials(session.request(pb::SuspendCredentialsRequest { target, note })?)
            .await
            .map_err(status("suspension"))?
            .into_inner();
        ("suspended", answer.credential_ids, answer.anchors)
    } else {
        let answer = client
            .reinstate_credentials(
                session.request(pb::ReinstateCredentialsRequest { target, note })?,
            )
            .await
            .map_err(status("reinstatement"))?
            .into_inner();
        ("reinstated", answer.credential_ids, answer.anchors)
    };
    print_change(verb, &ids, &anchors, json)
}

/// Signs the issuer's login nonce with the operator's key file.
async fn key_proof(
    client: &mut IssuerClient<Channel>,
    operator: &str,
    key_file: &Path,
) -> Result<String, CliError> {
    let (key_id, key) = realdid_issuer::provision::load_staff_key(key_file)?;
    let info = client
        .get_issuer_info(pb::GetIssuerInfoRequest {})
        .await
        .map_err(status("reading the issuer's DID"))?
        .into_inner();
    let nonce = client
        .create_nonce(pb::CreateNonceRequest {
            purpose: pb::NoncePurpose::OperatorLogin.into(),
        })
        .await
        .map_err(status("asking for a login nonce"))?
        .into_inner()
        .nonce;
    realdid_core::operator_login::sign_operator_login(
        operator,
        &key_id,
        &key,
        &nonce,
        &info.issuer_did,
        i64::try_from(super::unix_ms() / 1000).unwrap_or(i64::MAX),
    )
    .map_err(|e| CliError::Refused(format!("signing the login proof: {e}")))
}

async fn trace(command: TraceCommand) -> Result<(), CliError> {
    match command {
        TraceCommand::Create {
            session,
            did,
            legal_basis,
            case_reference,
            out,
            officer_key,
        } => {
            let officer = load_officer(&officer_key)?;
            let message = pb::CreateTraceRequest {
                subject_did: did,
                legal_basis,
                case_reference,
                subject: None,
                officer_key: officer.public().as_bytes().to_vec(),
            };
            let trace = session
                .endpoint
                .client()
                .await?
                .create_trace(session.request(message)?)
                .await
                .map_err(status("trace request"))?
                .into_inner()
                .trace
                .ok_or_else(|| CliError::Refused("the issuer answered no trace".into()))?;
            let file = super::approver::request_file(&trace)?;
            let json = serde_json::to_string_pretty(&file)? + "\n";
            super::genesis::write_new(&out, &json)?;
            println!(
                "trace {} requested; it opens with {} approvals. Hand {} to the approvers \
                 (`realdid approver approve`).",
                file.trace_id,
                file.approvals_required,
                out.display()
            );
            Ok(())
        }
        TraceCommand::Open {
            session,
            officer_key,
            chain,
            json,
            trace_id,
        } => {
            let officer = load_officer(&officer_key)?;
            let mut client = session.endpoint.client().await?;
            let trace = client
                .get_trace(session.request(pb::GetTraceRequest {
                    trace_id: trace_id.clone(),
                })?)
                .await
                .map_err(status("reading the trace"))?
                .into_inner()
                .trace
                .ok_or_else(|| CliError::Refused("the issuer answered no trace".into()))?;
            if trace.state() != pb::TraceState::Opened {
                let opened = client
                    .open_trace(session.request(pb::OpenTraceRequest {
                        trace_id: trace_id.clone(),
                    })?)
                    .await
                    .map_err(status("opening the trace"))?
                    .into_inner();
                if let Some(anchor) = opened.audit_anchor {
                    eprintln!(
                        "the opening is anchored on chain: audit anchor {} at height {}",
                        opened.audit_sequence, anchor.height
                    );
                }
            }
            let collected = client
                .collect_shares(session.request(pb::CollectSharesRequest {
                    trace_id: trace_id.clone(),
                })?)
                .await
                .map_err(status("collecting the shares"))?
                .into_inner();
            let issuer: realdid_core::did::RealDid = trace
                .issuer_did
                .parse()
                .map_err(|e| CliError::Refused(format!("the issuer's DID: {e}")))?;
            let record = open_record(
                &chain.gateway(&session.endpoint.tls())?,
                &issuer,
                &collected,
                &officer,
            )
            .await?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "full_name": record.full_name,
                        "resident_id": record.resident_id,
                        "enrolment_id": record.enrolment_id,
                        "enrolled_at_unix_ms": record.enrolled_at_unix_ms,
                        "dids": record.dids,
                        "audit_sequence": collected.audit_sequence,
                    })
                );
            } else {
                println!(
                    "{}\n  resident id {}\n  enrolment {} at {} (Unix ms), DIDs {}\n  opened with \
                     {} released shares, under audit anchor {}",
                    record.full_name,
                    record.resident_id,
                    record.enrolment_id,
                    record.enrolled_at_unix_ms,
                    record.dids.join(", "),
                    collected.released_shares.len(),
                    collected.audit_sequence
                );
            }
            Ok(())
        }
    }
}

/// Loads an officer's key file.
fn load_officer(path: &Path) -> Result<OfficerSecret, CliError> {
    let text = super::read_bounded(path, 4096)?;
    OfficerSecret::from_json(&text)
        .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
}

/// Opens the identity record with the released shares, on the officer's machine: the shares
/// are bound to the audit anchor, whose hash a proven read gives.
pub async fn open_record(
    registry: &realdid_registry_client::gateway::RegistryGateway,
    issuer: &realdid_core::did::RealDid,
    collected: &pb::CollectSharesResponse,
    officer: &OfficerSecret,
) -> Result<pb::IdentityRecord, CliError> {
    use prost::Message as _;
    use realdid_core::escrow::{ReleasedShare, ThresholdSealed, open};
    let sealed = ThresholdSealed::from_json(&collected.sealed_record)
        .map_err(|e| CliError::Refused(format!("the sealed record: {e}")))?;
    let shares = collected
        .released_shares
        .iter()
        .map(|json| ReleasedShare::from_json(json))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Refused(format!("a released share: {e}")))?;
    if shares.len() < usize::from(sealed.threshold()) {
        return Err(CliError::Refused(format!(
            "{} of the {} shares needed are released so far; run this again once more \
             approvers have released theirs (realdid approver release)",
            shares.len(),
            sealed.threshold()
        )));
    }
    let proven = registry
        .audit_anchor_at(issuer, collected.audit_sequence)
        .await?;
    let anchor = proven.value.ok_or_else(|| {
        CliError::Refused(format!(
            "audit anchor {} is not on chain (proven absent at height {})",
            collected.audit_sequence, proven.height
        ))
    })?;
    let anchor_hash = anchor.anchor_hash();
    let plain = open(&sealed, &shares, officer, &anchor_hash)
        .map_err(|e| CliError::Refused(format!("opening the record: {e}")))?;
    pb::IdentityRecord::decode(plain.as_slice())
        .map_err(|e| CliError::Refused(format!("the opened record does not decode: {e}")))
}
