//! `realdid wallet`: the citizen's wallet on the command line, a thin shell over
//! realdid-wallet. The passphrase comes from `--passphrase-file`, else
//! `REALDID_WALLET_PASSPHRASE`, else a prompt on the terminal.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use realdid_core::did::RealDid;
use realdid_wallet::contents::{Delivery, Origin};
use realdid_wallet::issuer_link::{Identity, IssuerLink};
use realdid_wallet::keystore::KdfParams;
use realdid_wallet::present::{self, Verdict};
use realdid_wallet::{Wallet, WalletError, dids};
use zeroize::Zeroizing;

use super::registry_args::RegistryArgs;
use crate::error::CliError;
use realdid_wallet::traces::disclosed_traces;

/// `realdid wallet …`.
#[derive(Debug, Args)]
pub struct WalletArgs {
    /// The wallet file (default: `realdid/wallet` in the user's data directory,
    /// `$XDG_DATA_HOME` or `~/.local/share`).
    #[arg(long, global = true)]
    wallet: Option<PathBuf>,
    /// A file whose first line is the wallet's passphrase.
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    /// Print what is read or listed as JSON (info, did list, credentials list, log).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: WalletCommand,
}

/// The wallet's subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Creates an empty wallet.
    Create {
        /// Argon2id memory in MiB (19 at least; 64 by default).
        #[arg(long, default_value_t = 64)]
        kdf_memory_mib: u32,
    },
    /// What the wallet holds.
    Info,
    /// Seals the wallet under a new passphrase, with current key-derivation settings.
    Passphrase {
        /// A file whose first line is the new passphrase.
        #[arg(long)]
        new_passphrase_file: PathBuf,
    },
    /// The citizen's DIDs.
    #[command(subcommand)]
    Did(DidCommand),
    /// Enrols with an issuer: proves who you are, gets one credential per provider DID.
    Enrol {
        /// The issuer's gRPC endpoint.
        #[arg(long)]
        issuer: String,
        /// Full legal name.
        #[arg(long)]
        name: String,
        /// Resident identity number.
        #[arg(long)]
        resident_id: String,
        /// Evidence token for the identity authority.
        #[arg(long)]
        evidence: String,
        /// A provider's DID (the did:realdid that signs its requests) to get a credential
        /// for; the DID this wallet keeps for it is created when missing. Repeat.
        #[arg(long = "provider", required = true, value_parser = parse_did)]
        providers: Vec<RealDid>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Suspends your own credentials (a lost or stolen device).
    Suspend {
        /// The issuer's gRPC endpoint.
        #[arg(long)]
        issuer: String,
        /// The DID whose credentials to suspend.
        #[arg(long)]
        did: String,
        /// Also every other DID enrolled with it.
        #[arg(long)]
        whole_enrolment: bool,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Answers a provider's presentation request, once its signature checks against the
    /// provider's DID on the registry; the answer goes where the provider signed.
    Present {
        /// The signed request object, from a file (`-`: standard input).
        #[arg(long, conflicts_with = "request_uri")]
        request_file: Option<PathBuf>,
        /// The request URI (as a verifier's QR code holds it).
        #[arg(long)]
        request_uri: Option<String>,
        /// Print the presentation instead of sending it.
        #[arg(long)]
        print: bool,
        /// Answer without asking (the request is still shown).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Credentials.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Every presentation the wallet made, and the disclosed lawful traces of its DIDs,
    /// found on the registry by tags only this wallet can compute, each read proven.
    Log {
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Writes an encrypted backup of the whole wallet.
    Backup {
        /// The backup file.
        #[arg(long)]
        to: PathBuf,
        /// A file whose first line is the backup's passphrase.
        #[arg(long)]
        backup_passphrase_file: PathBuf,
    },
    /// Restores a backup as a new wallet (at --wallet, under its passphrase).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// A file whose first line is the backup's passphrase.
        #[arg(long)]
        backup_passphrase_file: PathBuf,
    },
}

/// `realdid wallet did …`.
#[derive(Debug, Subcommand)]
pub enum DidCommand {
    /// Registers a new DID (for one provider).
    Create {
        /// The provider it is for: the did:realdid that signs its requests.
        #[arg(long, value_parser = parse_did)]
        provider: Option<RealDid>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Lists the DIDs.
    List,
    /// Replaces a DID's device key.
    Rotate {
        /// The DID.
        did: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Takes a DID back with its recovery key (new device key, new recovery key).
    Recover {
        /// The DID.
        did: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Ends a DID for good.
    Deactivate {
        /// The DID.
        did: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

/// `realdid wallet credentials …`.
#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Lists the credentials.
    List,
    /// Prints a credential in its standard form (compact SD-JWT).
    Export {
        /// Its id.
        id: String,
    },
    /// Imports a credential (compact SD-JWT) bound to one of the wallet's DIDs.
    Import {
        /// The file holding it (`-`: standard input).
        file: PathBuf,
    },
}

impl From<WalletError> for CliError {
    fn from(e: WalletError) -> Self {
        CliError::Wallet(e)
    }
}

fn read_text(path: &Path) -> Result<String, CliError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
            CliError::Io {
                path: "standard input".into(),
                source,
            }
        })?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// A passphrase file's first line; the file's text and the line are wiped when dropped.
fn first_line(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let text = Zeroizing::new(read_text(path)?);
    Ok(Zeroizing::new(
        text.lines().next().unwrap_or_default().to_owned(),
    ))
}

fn passphrase(file: Option<&Path>, what: &str) -> Result<Zeroizing<String>, CliError> {
    if let Some(file) = file {
        return first_line(file);
    }
    if let Ok(p) = std::env::var("REALDID_WALLET_PASSPHRASE") {
        return Ok(Zeroizing::new(p));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "the {what} passphrase: give --passphrase-file or REALDID_WALLET_PASSPHRASE"
        )));
    }
    // Read without echo, so that the passphrase never shows on the screen.
    rpassword::prompt_password(format!("{what} passphrase: "))
        .map(Zeroizing::new)
        .map_err(|source| CliError::Io {
            path: "terminal".into(),
            source,
        })
}

/// A new passphrase: from the file or the variable as given, or asked twice on the
/// terminal (a typo in a passphrase no one can read back would lock the wallet for good).
fn new_passphrase(file: Option<&Path>, what: &str) -> Result<Zeroizing<String>, CliError> {
    let first = passphrase(file, &format!("new {what}"))?;
    if file.is_some() || std::env::var_os("REALDID_WALLET_PASSPHRASE").is_some() {
        return Ok(first);
    }
    let again = rpassword::prompt_password(format!("new {what} passphrase, again: "))
        .map(Zeroizing::new)
        .map_err(|source| CliError::Io {
            path: "terminal".into(),
            source,
        })?;
    if *again != *first {
        return Err(CliError::Usage(
            "the two passphrases differ; nothing was made".into(),
        ));
    }
    Ok(first)
}

/// `realdid/wallet` in the user's data directory (`$XDG_DATA_HOME`, else
/// `~/.local/share`), not wherever the command happens to run.
fn default_wallet() -> Result<PathBuf, CliError> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .ok_or_else(|| {
            CliError::Usage("no HOME or XDG_DATA_HOME: name the wallet with --wallet".into())
        })?;
    Ok(data.join("realdid").join("wallet"))
}

fn parse_did(text: &str) -> Result<RealDid, CliError> {
    Ok(text.parse()?)
}

fn confirm(yes: bool) -> Result<bool, CliError> {
    super::confirm(yes, "Disclose this? [y/N] ")
}

/// Runs `realdid wallet …`.
pub fn run(args: WalletArgs) -> Result<(), CliError> {
    let path = match args.wallet.clone() {
        Some(path) => path,
        None => default_wallet()?,
    };
    let pass = || passphrase(args.passphrase_file.as_deref(), "wallet");
    let new_pass = || new_passphrase(args.passphrase_file.as_deref(), "wallet");
    match args.command {
        WalletCommand::Create { kdf_memory_mib } => {
            let params = KdfParams::with_memory_mib(kdf_memory_mib)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            Wallet::create(&path, &new_pass()?, params)?;
            println!("created {}", path.display());
            Ok(())
        }
        WalletCommand::Restore {
            from,
            backup_passphrase_file,
        } => {
            let backup = first_line(&backup_passphrase_file)?;
            let wallet = Wallet::restore(&from, &backup, &path, &new_pass()?, KdfParams::DEFAULT)?;
            let c = wallet.contents();
            println!(
                "restored {} from {}: {} DIDs, {} credentials, {} log entries",
                path.display(),
                from.display(),
                c.dids.len(),
                c.credentials.len(),
                c.log.len()
            );
            Ok(())
        }
        command => {
            let mut wallet = Wallet::open(&path, &pass()?)?;
            super::runtime()?.block_on(opened(&mut wallet, command, args.json))
        }
    }
}

async fn opened(wallet: &mut Wallet, command: WalletCommand, json: bool) -> Result<(), CliError> {
    match command {
        WalletCommand::Create { .. } | WalletCommand::Restore { .. } => Ok(()),
        WalletCommand::Info => {
            let c = wallet.contents();
            let kdf = wallet.kdf();
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "wallet": wallet.path(),
                        "kdf": { "memory_mib": kdf.memory_kib / 1024, "passes": kdf.passes, "outdated": kdf.is_outdated() },
                        "dids": c.dids.len(),
                        "credentials": c.credentials.len(),
                        "presentations": c.log.len(),
                    })
                );
                return Ok(());
            }
            println!("wallet {}", wallet.path().display());
            println!(
                "  sealed with Argon2id {} MiB, {} passes{}",
                kdf.memory_kib / 1024,
                kdf.passes,
                if kdf.is_outdated() {
                    " (weaker than today's default: `realdid wallet passphrase` upgrades it)"
                } else {
                    ""
                }
            );
            println!(
                "  {} DIDs, {} credentials, {} presentations logged",
                c.dids.len(),
                c.credentials.len(),
                c.log.len()
            );
            Ok(())
        }
        WalletCommand::Passphrase {
            new_passphrase_file,
        } => {
            let params = wallet.kdf().upgrade();
            wallet.change_passphrase(&first_line(&new_passphrase_file)?, params)?;
            println!(
                "sealed under the new passphrase (Argon2id {} MiB)",
                params.memory_kib / 1024
            );
            Ok(())
        }
        WalletCommand::Did(command) => did(wallet, command, json).await,
        WalletCommand::Enrol {
            issuer,
            name,
            resident_id,
            evidence,
            providers,
            registry,
        } => {
            let mut link = IssuerLink::connect_with(&issuer, &registry.tls()?).await?;
            let registry = registry.gateway()?;
            let mut bound = Vec::with_capacity(providers.len());
            for provider in &providers {
                bound.push(dids::for_provider(wallet, &registry, provider.as_str()).await?);
            }
            let person = Identity {
                full_name: name,
                resident_id,
                evidence_token: evidence,
            };
            let stored = link.enrol(wallet, &person, &bound).await?;
            println!("enrolled with {} ({})", issuer, link.did());
            for ((did, id), provider) in stored.iter().zip(&providers) {
                println!("  credential {id} for {provider}, bound to {did}");
            }
            Ok(())
        }
        WalletCommand::Suspend {
            issuer,
            did,
            whole_enrolment,
            registry,
        } => {
            let did = parse_did(&did)?;
            let mut link = IssuerLink::connect_with(&issuer, &registry.tls()?).await?;
            let ids = link.suspend(wallet, &did, whole_enrolment).await?;
            println!("suspended {} credentials: {}", ids.len(), ids.join(", "));
            Ok(())
        }
        WalletCommand::Present {
            request_file,
            request_uri,
            print,
            yes,
            registry,
        } => {
            let transport = registry.transport()?;
            let registry = registry.gateway()?;
            let request = match (request_file, request_uri) {
                (Some(file), None) => {
                    present::verify_request(&read_text(&file)?, &registry).await?
                }
                (None, Some(uri)) => present::fetch_request(&uri, &registry, &transport).await?,
                _ => {
                    return Err(CliError::Usage(
                        "give --request-file or --request-uri".into(),
                    ));
                }
            };
            eprintln!("{}", present::describe(wallet, &request));
            let prepared = present::prepare(wallet, &request, wallet.now().as_secs())?;
            eprintln!(
                "  answering as {} with credential {}, disclosing only: {}",
                prepared.did,
                prepared.credential_id,
                prepared.disclosed.join(", ")
            );
            if !confirm(yes)? {
                return Err(CliError::Refused("the holder declined".into()));
            }
            if print {
                present::record_printed(wallet, &prepared)?;
                println!("{}", prepared.presentation);
                return Ok(());
            }
            match present::send(wallet, &prepared, &transport).await? {
                Verdict::Verified => {
                    println!("the verifier accepted the presentation");
                    Ok(())
                }
                Verdict::Refused { reason, message } => Err(CliError::Refused(format!(
                    "the verifier refused the presentation: {reason}: {message}"
                ))),
            }
        }
        WalletCommand::Credentials(command) => credentials(wallet, command, json),
        WalletCommand::Log { registry } => {
            // The presentations are the wallet's own; the traces need the registry, and an
            // unreachable one costs only the traces, said on stderr.
            let traces = if wallet.contents().trace_keys.is_empty() {
                Ok(Vec::new())
            } else {
                match registry.gateway() {
                    Ok(gateway) => disclosed_traces(wallet, &gateway)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            };
            if let Err(e) = &traces {
                eprintln!("traces: the registry could not be read ({e}); presentations only");
            }
            let traces = traces.unwrap_or_default();
            if json {
                let mut entries: Vec<_> = wallet
                    .contents()
                    .log
                    .iter()
                    .map(|e| {
                        let (verifier, verdict) = match &e.delivery {
                            Delivery::Sent { verifier, verdict } => {
                                (Some(verifier.clone()), Some(verdict.clone()))
                            }
                            Delivery::Printed => (None, None),
                        };
                        serde_json::json!({
                            "kind": "presentation",
                            "at_ms": e.at_ms, "audience": e.audience, "purpose": e.purpose,
                            "did": e.did.to_string(), "credential_id": e.credential_id,
                            "disclosed": e.disclosed, "verifier": verifier, "verdict": verdict,
                        })
                    })
                    .collect();
                entries.extend(traces.iter().map(|t| {
                    serde_json::json!({
                        "kind": "trace",
                        "did": t.did.to_string(), "issuer": t.issuer.to_string(),
                        "audit_sequence": t.sequence, "anchored_height": t.anchored_height,
                        "anchored_at_ms": t.anchored_at_ms, "approvals": t.approvals,
                        "disclosed_height": t.disclosed_height,
                        "proven_at_height": t.proven_at_height,
                    })
                }));
                println!("{}", serde_json::Value::Array(entries));
                return Ok(());
            }
            for e in &wallet.contents().log {
                let how = match &e.delivery {
                    Delivery::Sent { verifier, verdict } => {
                        format!("sent to {verifier}: {verdict}")
                    }
                    Delivery::Printed => "printed".into(),
                };
                println!(
                    "{}  to {}  for {:?}  as {}  disclosed [{}]  {how}",
                    e.at_ms,
                    e.audience,
                    e.purpose,
                    e.did,
                    e.disclosed.join(", ")
                );
            }
            for t in &traces {
                println!(
                    "{}  traced: {} opened by {} (audit anchor {} at height {}, {} approvals), \
                     disclosed at height {}, proven at height {}",
                    t.anchored_at_ms,
                    t.did,
                    t.issuer,
                    t.sequence,
                    t.anchored_height,
                    t.approvals,
                    t.disclosed_height,
                    t.proven_at_height
                );
            }
            Ok(())
        }
        WalletCommand::Backup {
            to,
            backup_passphrase_file,
        } => {
            wallet.backup(&to, &first_line(&backup_passphrase_file)?)?;
            println!("backed up to {}", to.display());
            Ok(())
        }
    }
}

async fn did(wallet: &mut Wallet, command: DidCommand, json: bool) -> Result<(), CliError> {
    match command {
        DidCommand::List if json => {
            let entries: Vec<_> = wallet
                .contents()
                .dids
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "did": d.did.to_string(), "provider": d.provider,
                        "version": d.version, "deactivated": d.deactivated,
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(entries));
        }
        DidCommand::Create { provider, registry } => {
            let provider = provider.as_ref().map(RealDid::as_str);
            let did = dids::create(wallet, &registry.gateway()?, provider).await?;
            println!("{did}");
        }
        DidCommand::List => {
            for d in &wallet.contents().dids {
                println!(
                    "{}  for {}  version {}{}",
                    d.did,
                    d.provider.as_deref().unwrap_or("(no provider)"),
                    d.version,
                    if d.deactivated { "  deactivated" } else { "" }
                );
            }
        }
        DidCommand::Rotate { did, registry } => {
            let state = dids::rotate(wallet, &registry.gateway()?, &parse_did(&did)?).await?;
            println!("{did}: new device key, version {}", state.version);
        }
        DidCommand::Recover { did, registry } => {
            let state = dids::recover(wallet, &registry.gateway()?, &parse_did(&did)?).await?;
            println!(
                "{did}: recovered with the recovery key, new device and recovery keys, version {}",
                state.version
            );
        }
        DidCommand::Deactivate { did, registry } => {
            dids::deactivate(wallet, &registry.gateway()?, &parse_did(&did)?).await?;
            println!("{did}: deactivated");
        }
    }
    Ok(())
}

fn credentials(
    wallet: &mut Wallet,
    command: CredentialsCommand,
    json: bool,
) -> Result<(), CliError> {
    match command {
        CredentialsCommand::List if json => {
            // Never the credential itself: `credentials export` prints that, on purpose.
            let entries: Vec<_> = wallet
                .contents()
                .credentials
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id, "vct": c.vct, "did": c.did.to_string(),
                        "issuer": c.issuer, "expires_at": c.expires_at,
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(entries));
        }
        CredentialsCommand::List => {
            for c in &wallet.contents().credentials {
                println!(
                    "{}  {}  bound to {}  from {}  expires {}",
                    c.id,
                    c.vct,
                    c.did,
                    c.issuer,
                    c.expires_at.map_or("never".into(), |e| e.to_string())
                );
            }
        }
        CredentialsCommand::Export { id } => println!("{}", wallet.export_credential(&id)?),
        CredentialsCommand::Import { file } => {
            let id = wallet.add_credential(&read_text(&file)?, Origin::Import)?;
            println!("imported credential {id}");
        }
    }
    Ok(())
}
