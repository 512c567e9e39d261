//! `realdid governance`: decisions of the accreditation authority as files that travel
//! between governors. One writes a proposal; each reads it, signs it on their own machine
//! with their own key and passes it on; whoever holds a quorum submits it. No governor ever
//! holds another's key.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use realdid_core::codec::Transaction;
use realdid_core::escrow::ApproverPublic;
use realdid_proto::tls::ClientTls;
use realdid_registry::genesis::Genesis;
use realdid_registry_client::RegistryGateway;
use realdid_registry_client::proposal::{Proposal, ProposedAction};
use realdid_registry_client::records::TransparencyCounts;
use realdid_registry_client::state_key::utc_day;

use super::genesis::write_new;
use crate::error::CliError;

/// The governance subcommands, each run by a governor on their own machine.
#[derive(Debug, Subcommand)]
pub enum GovernanceCommand {
    /// Makes a governance key: a private JWK file (mode 0600) that never leaves this
    /// machine, and its `did:key` (printed) for the genesis.
    Keygen {
        /// Where to write the key (refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Writes a proposal file for the governors to sign in turn.
    Propose(ProposeArgs),
    /// Shows a proposal and adds this governor's approval to it.
    Sign {
        /// The proposal file (replaced, with the approval added).
        #[arg(long)]
        proposal: PathBuf,
        /// This governor's key file.
        #[arg(long)]
        key: PathBuf,
        /// Approve without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Shows an issuer's entry in the register, proven: its accreditation, its
    /// lawful-trace approvers and its public transparency count.
    Show {
        /// The issuer's did:realdid.
        #[arg(long)]
        issuer: String,
        /// Also show the count day by day for this many UTC days up to the proven state's
        /// day (at most 366), each day proven.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=366))]
        days: u32,
        #[command(flatten)]
        registry: super::registry_args::RegistryArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Submits a proposal with a quorum of approvals and waits until it is final.
    Submit {
        /// The proposal file.
        #[arg(long)]
        proposal: PathBuf,
        /// The network's genesis.
        #[arg(long)]
        genesis: PathBuf,
        /// Registry node endpoints, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        registry: Vec<String>,
        /// The CA that registry nodes' certificates chain to (the system's roots when
        /// absent).
        #[arg(long)]
        tls_ca: Option<PathBuf>,
    },
}

/// `realdid governance propose`.
#[derive(Debug, clap::Args)]
pub struct ProposeArgs {
    /// The network's genesis (the proposal names its chain).
    #[arg(long)]
    genesis: PathBuf,
    /// Where to write the proposal (refused if it exists).
    #[arg(long)]
    out: PathBuf,
    /// The decision's nonce (random when absent): a number not used before on this chain.
    #[arg(long)]
    nonce: Option<u64>,
    #[command(subcommand)]
    action: ProposeAction,
}

/// What a proposal decides.
#[derive(Debug, Subcommand)]
pub enum ProposeAction {
    /// Accredits an issuer, or changes its credential types (the list replaces the old one).
    Accredit {
        /// The issuer's did:realdid.
        #[arg(long)]
        issuer: String,
        /// The issuing organisation's name.
        #[arg(long)]
        name: String,
        /// A credential type (`vct`) it may issue; repeat for several.
        #[arg(long = "credential-type", required = true)]
        credential_types: Vec<String>,
    },
    /// Withdraws an issuer's accreditation.
    Remove {
        /// The issuer's did:realdid.
        #[arg(long)]
        issuer: String,
        /// Why, for the public record.
        #[arg(long)]
        reason: String,
    },
    /// Names an accredited issuer's lawful-trace approvers and how many of them must approve
    /// an opening (the set replaces the old one: the same decision adds or removes one).
    SetApprovers {
        /// The issuer's did:realdid.
        #[arg(long)]
        issuer: String,
        /// Approvals an opening needs (k, at least 2).
        #[arg(long)]
        threshold: u8,
        /// An approver's public key file from `realdid approver keygen`; repeat for each.
        #[arg(long = "approver", required = true)]
        approvers: Vec<PathBuf>,
    },
}

/// Runs a governance subcommand.
pub fn run(command: GovernanceCommand) -> Result<(), CliError> {
    match command {
        GovernanceCommand::Keygen { out } => {
            let key = realdid_registry::config::create_governance_key_file(&out)?;
            println!(
                "{}",
                realdid_core::keys::DidKey::from_public_key(&key.public_key()).did()
            );
            eprintln!(
                "governance key in {} (keep it private); give the did:key above to whoever \
                 drafts the genesis (`realdid genesis add-governor --key …`)",
                out.display()
            );
            Ok(())
        }
        GovernanceCommand::Propose(args) => propose(args),
        GovernanceCommand::Sign { proposal, key, yes } => {
            let mut file = read_proposal(&proposal)?;
            let key = realdid_registry_client::proposal::read_governance_key_file(&key)?;
            eprintln!("{}", file.describe());
            if !super::confirm(yes, "Approve this decision? [y/N] ")? {
                return Err(CliError::Refused("the governor declined".into()));
            }
            file.sign(&key)?;
            file.replace_file(&proposal)?;
            println!(
                "approved: {} approvals in {}",
                file.approvals.len(),
                proposal.display()
            );
            Ok(())
        }
        GovernanceCommand::Show {
            issuer,
            days,
            registry,
            json,
        } => show(&issuer, days, &registry, json),
        GovernanceCommand::Submit {
            proposal,
            genesis,
            registry,
            tls_ca,
        } => {
            let file = read_proposal(&proposal)?;
            let genesis = Genesis::load(&genesis)?;
            if file.chain_id != genesis.chain_id().as_str() {
                return Err(CliError::Refused(format!(
                    "the proposal is for chain {}, the genesis for {}",
                    file.chain_id,
                    genesis.chain_id()
                )));
            }
            let tx = file.transaction()?;
            let governance = genesis.governance_config();
            let valid = tx
                .valid_approvers(genesis.chain_id(), governance.keys())
                .len();
            if valid < governance.threshold() {
                return Err(CliError::Refused(format!(
                    "{valid} approvals by governors of this genesis; the decision needs {}",
                    governance.threshold()
                )));
            }
            let tls = tls_ca.map(ClientTls::with_ca).unwrap_or_default();
            // The gateway's channels belong to the runtime that drives them.
            let receipt = super::runtime()?.block_on(async {
                let gateway = RegistryGateway::with_tls(
                    &registry,
                    realdid_registry_client::LightClient::for_genesis(&genesis),
                    &tls,
                )?;
                gateway
                    .submit_final("the governance decision", &Transaction::Governance(tx))
                    .await
            })?;
            println!("final at height {}: {}", receipt.height, file.describe());
            Ok(())
        }
    }
}

/// The transparency counts of `issuer` for the `days` UTC days up to the day of
/// `block_time_ms`, each read proven; days with nothing counted (proven absent) are left
/// out. Each entry is the day, its counts and the height it was proven at.
async fn day_counts(
    gateway: &RegistryGateway,
    issuer: &realdid_core::did::RealDid,
    block_time_ms: u64,
    days: u32,
) -> Result<Vec<(u32, TransparencyCounts, u64)>, CliError> {
    if days == 0 {
        return Ok(Vec::new());
    }
    let last = utc_day(block_time_ms);
    let mut counted = Vec::new();
    for day in last.saturating_sub(days - 1)..=last {
        let proven = gateway.transparency_day_at(issuer, day).await?;
        if let Some(counts) = proven.value {
            counted.push((day, counts, proven.height));
        }
    }
    Ok(counted)
}

/// A UTC day (days since 1970-01-01) as `YYYY-MM-DD`.
fn utc_date(day: u32) -> String {
    time::OffsetDateTime::from_unix_timestamp(i64::from(day) * 86_400)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| format!("day {day}"))
}

/// `realdid governance show`: the register entry of `issuer`, proven.
fn show(
    issuer: &str,
    days: u32,
    registry: &super::registry_args::RegistryArgs,
    json: bool,
) -> Result<(), CliError> {
    let did: realdid_core::did::RealDid = issuer
        .parse()
        .map_err(|e| CliError::Usage(format!("--issuer {issuer:?}: {e}")))?;
    let (proven, history) = super::runtime()?.block_on(async {
        let gateway = registry.gateway()?;
        let proven = gateway.accreditation_at(&did).await?;
        let history = day_counts(&gateway, &did, proven.block_time_ms, days).await?;
        Ok::<_, CliError>((proven, history))
    })?;
    let Some(record) = proven.value else {
        return Err(CliError::Refused(format!(
            "{did} is not on the register (proven absent at height {})",
            proven.height
        )));
    };
    let approvers = record.trace_approvers.as_ref().map(|a| {
        serde_json::json!({
            "threshold": a.set.threshold,
            "set_at_height": a.height,
            "approvers": a.set.approvers.iter().map(|x| serde_json::json!({
                "id": x.id,
                "approval_key": realdid_core::keys::DidKey::from_public_key(&x.signing_key)
                    .did()
                    .to_string(),
                "sealing_key": hex::encode(x.hpke_key),
            })).collect::<Vec<_>>(),
        })
    });
    if json {
        println!(
            "{}",
            serde_json::json!({
                "issuer": did.to_string(),
                "name": record.name,
                "credential_types": record.credential_types,
                "accredited": record.is_accredited(),
                "accredited_height": record.accredited_height,
                "removed": record.removed.as_ref().map(|r| serde_json::json!({
                    "height": r.height,
                    "reason": r.reason,
                })),
                "trace_approvers": approvers,
                "openings": record.counts.openings,
                "last_audit_sequence": record.last_audit_sequence,
                "disclosures": record.counts.disclosures,
                "revocations": record.counts.revocations,
                "suspended": record.counts.suspended,
                "days": history.iter().map(|(day, counts, height)| serde_json::json!({
                    "date": utc_date(*day),
                    "openings": counts.openings,
                    "disclosures": counts.disclosures,
                    "revocations": counts.revocations,
                    "suspended": counts.suspended,
                    "proven_at_height": height,
                })).collect::<Vec<_>>(),
                "proven_at_height": proven.height,
            })
        );
        return Ok(());
    }
    println!("{did} ({})", record.name);
    match &record.removed {
        None => println!(
            "  accredited since height {} for {}",
            record.accredited_height,
            record.credential_types.join(", ")
        ),
        Some(removal) => println!("  removed at height {}: {}", removal.height, removal.reason),
    }
    match &record.trace_approvers {
        None => println!("  no trace approvers named"),
        Some(a) => {
            println!(
                "  traces open with {} of {} approvals (set at height {}):",
                a.set.threshold,
                a.set.approvers.len(),
                a.height
            );
            for x in &a.set.approvers {
                println!(
                    "    {}  {}",
                    x.id,
                    realdid_core::keys::DidKey::from_public_key(&x.signing_key).did()
                );
            }
        }
    }
    println!(
        "  lawful traces opened: {} (the last at audit sequence {}), {} disclosed to their holders",
        record.counts.openings, record.last_audit_sequence, record.counts.disclosures
    );
    println!(
        "  credentials revoked: {}, suspended now: {}",
        record.counts.revocations, record.counts.suspended
    );
    if days > 0 {
        println!(
            "  by UTC day, the last {days} (days with nothing counted are left out):\n    \
             date        openings  disclosed  revoked  suspended"
        );
        for (day, counts, _) in &history {
            println!(
                "    {}  {:>8}  {:>9}  {:>7}  {:>9}",
                utc_date(*day),
                counts.openings,
                counts.disclosures,
                counts.revocations,
                counts.suspended
            );
        }
    }
    eprintln!("proven at height {}", proven.height);
    Ok(())
}

fn propose(args: ProposeArgs) -> Result<(), CliError> {
    let genesis = Genesis::load(&args.genesis)?;
    let nonce = match args.nonce {
        Some(nonce) => nonce,
        None => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes)
                .map_err(|e| CliError::Refused(format!("no randomness: {e}")))?;
            u64::from_be_bytes(bytes)
        }
    };
    let action = match args.action {
        ProposeAction::Accredit {
            issuer,
            name,
            credential_types,
        } => ProposedAction::AccreditIssuer {
            issuer,
            name,
            credential_types,
        },
        ProposeAction::Remove { issuer, reason } => ProposedAction::RemoveIssuer { issuer, reason },
        ProposeAction::SetApprovers {
            issuer,
            threshold,
            approvers,
        } => ProposedAction::SetTraceApprovers {
            issuer,
            threshold,
            approvers: approvers
                .iter()
                .map(|path| {
                    let text = super::read_bounded(path, 4096)?;
                    ApproverPublic::from_json(&text)
                        .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
                })
                .collect::<Result<_, _>>()?,
        },
    };
    let proposal = Proposal::new(genesis.chain_id(), nonce, action)?;
    write_new(&args.out, &proposal.to_json())?;
    println!("{}", proposal.describe());
    println!(
        "written to {}: each governor signs it with `realdid governance sign`",
        args.out.display()
    );
    Ok(())
}

fn read_proposal(path: &Path) -> Result<Proposal, CliError> {
    Ok(Proposal::load(path)?)
}
