//! `realdid genesis`: a real network's genesis, built from files the organisations pass
//! around. One of them starts a draft; each validator's operator adds its node (its public
//! key, from `realdid node keygen`, and its addresses); each governor adds its `did:key`
//! (from `realdid governance keygen`); then the draft is sealed with the governance
//! threshold into the `genesis.toml` every node reads. No private key ever leaves its
//! owner's machine: the draft holds public keys and addresses only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use realdid_registry::genesis::{Genesis, GenesisFile, GovernanceEntry, ValidatorEntry};

use crate::error::CliError;

/// Largest draft read.
const MAX_DRAFT_LEN: u64 = 1024 * 1024;

/// The genesis subcommands.
#[derive(Debug, Subcommand)]
pub enum GenesisCommand {
    /// Starts a draft genesis (no validators, no governors yet).
    New {
        /// The chain id every signature of this network will name.
        #[arg(long)]
        chain_id: String,
        /// Where to write the draft (refused if it exists).
        #[arg(long)]
        out: PathBuf,
        /// The genesis time, Unix ms (now when absent).
        #[arg(long)]
        genesis_time_unix_ms: Option<u64>,
    },
    /// Adds a validator to a draft.
    AddValidator {
        /// The draft.
        #[arg(long)]
        draft: PathBuf,
        /// The validator's name (unique in the genesis).
        #[arg(long)]
        name: String,
        /// Its Ed25519 public key, hex, as `realdid node keygen` prints it.
        #[arg(long)]
        public_key: String,
        /// Where the other validators reach it (p2p).
        #[arg(long)]
        p2p: SocketAddr,
        /// Where clients reach it (gRPC).
        #[arg(long)]
        grpc: SocketAddr,
    },
    /// Adds a governor (an accreditation authority key) to a draft.
    AddGovernor {
        /// The draft.
        #[arg(long)]
        draft: PathBuf,
        /// The governor's `did:key`, as `realdid governance keygen` prints it.
        #[arg(long)]
        key: String,
    },
    /// Checks a draft against every genesis rule and writes the genesis nodes read.
    Seal {
        /// The draft.
        #[arg(long)]
        draft: PathBuf,
        /// How many governors must approve a governance transaction.
        #[arg(long)]
        threshold: usize,
        /// Where to write the genesis (refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs a genesis subcommand.
pub fn run(command: GenesisCommand) -> Result<(), CliError> {
    match command {
        GenesisCommand::New {
            chain_id,
            out,
            genesis_time_unix_ms,
        } => {
            let draft = GenesisFile {
                chain_id,
                genesis_time_unix_ms: genesis_time_unix_ms.unwrap_or_else(super::unix_ms),
                validators: Vec::new(),
                governance: GovernanceEntry {
                    threshold: 0,
                    keys: Vec::new(),
                },
            };
            write_new(&out, &to_toml(&draft)?)?;
            println!(
                "draft genesis of chain {} in {}",
                draft.chain_id,
                out.display()
            );
            Ok(())
        }
        GenesisCommand::AddValidator {
            draft,
            name,
            public_key,
            p2p,
            grpc,
        } => {
            let mut file = read_draft(&draft)?;
            realdid_registry::genesis::parse_validator_key(&public_key)
                .map_err(|e| CliError::Refused(format!("--public-key: {e}")))?;
            if file.validators.iter().any(|v| v.name == name) {
                return Err(CliError::Refused(format!(
                    "the draft already has a validator named {name:?}"
                )));
            }
            if file.validators.iter().any(|v| v.public_key == public_key) {
                return Err(CliError::Refused(
                    "the draft already has a validator with this key".into(),
                ));
            }
            file.validators.push(ValidatorEntry {
                name: name.clone(),
                public_key,
                p2p_address: p2p,
                grpc_address: grpc,
            });
            replace(&draft, &to_toml(&file)?)?;
            println!(
                "validator {name} added: {} validators in {}",
                file.validators.len(),
                draft.display()
            );
            Ok(())
        }
        GenesisCommand::AddGovernor { draft, key } => {
            let mut file = read_draft(&draft)?;
            let did = realdid_core::keys::DidKey::parse(&key)
                .map_err(|e| CliError::Refused(format!("--key: {e}")))?;
            let entry = toml::Value::String(did.did().to_string());
            if file.governance.keys.contains(&entry) {
                return Err(CliError::Refused(
                    "the draft already lists this governor".into(),
                ));
            }
            file.governance.keys.push(entry);
            replace(&draft, &to_toml(&file)?)?;
            println!(
                "governor added: {} governors in {}",
                file.governance.keys.len(),
                draft.display()
            );
            Ok(())
        }
        GenesisCommand::Seal {
            draft,
            threshold,
            out,
        } => {
            let mut file = read_draft(&draft)?;
            file.governance.threshold = threshold;
            let genesis = Genesis::from_file(file)
                .map_err(|reason| CliError::Refused(format!("{}: {reason}", draft.display())))?;
            write_new(
                &out,
                &format!(
                    "# Genesis of chain {}, sealed by `realdid genesis seal`; every node reads it.\n{}",
                    genesis.chain_id(),
                    genesis.to_toml()
                ),
            )?;
            println!(
                "genesis of chain {}: {} validators (tolerates {} faulty), governance {} of {}",
                genesis.chain_id(),
                genesis.validators().len(),
                genesis.fault_tolerance(),
                genesis.governance_config().threshold(),
                genesis.governance_config().keys().len()
            );
            println!("genesis hash {}", genesis.genesis_hash());
            println!("written to {}", out.display());
            Ok(())
        }
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_draft(path: &Path) -> Result<GenesisFile, CliError> {
    let size = std::fs::metadata(path).map_err(io(path))?.len();
    if size > MAX_DRAFT_LEN {
        return Err(CliError::Refused(format!(
            "{} is larger than a draft genesis can be ({MAX_DRAFT_LEN} bytes)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    toml::from_str(&text)
        .map_err(|e| CliError::Refused(format!("{} is not a draft genesis: {e}", path.display())))
}

fn to_toml(file: &GenesisFile) -> Result<String, CliError> {
    toml::to_string(file).map_err(|e| CliError::Refused(format!("encoding the draft: {e}")))
}

pub(super) fn write_new(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write as _;
    std::fs::File::create_new(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(io(path))
}

/// Replaces `path` whole: written beside it, then renamed over it, so that a crash leaves
/// the old draft or the new one, never half of one.
pub(super) fn replace(path: &Path, text: &str) -> Result<(), CliError> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).map_err(io(&partial))?;
    std::fs::rename(&partial, path).map_err(io(path))
}
