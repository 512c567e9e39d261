//! `realdid`: the one command users learn. It parses arguments, calls the libraries and
//! prints; the logic lives in the crates it wires.
//!
//! The command is a library too, so that the end-to-end tests run a devnet with the
//! [`supervisor`] that `realdid devnet` uses; the binary only parses and calls [`run`].

mod commands;
pub mod error;
pub mod supervisor;

/// The request file an officer hands to approvers, made from the issuer's answer (its
/// hashes checked): what `realdid issuer trace request` writes, for the tests that play
/// the officer.
pub use commands::approver::request_file;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

use crate::error::CliError;

/// The version `--version` prints: the package's, and the commit the binary was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("REALDID_BUILD_COMMIT"),
    ")"
);

/// realdid: real-name decentralized identity — anonymous at the front, real-name at the back.
///
/// Every option can also be set by an environment variable named after it: `--tls-ca` by
/// `REALDID_TLS_CA`, `--dir` by `REALDID_DIR`; the command line wins.
#[derive(Debug, Parser)]
#[command(name = "realdid", version = VERSION, about)]
pub struct Cli {
    /// How log lines are written: `text` for people, `json` (one object per line) for log
    /// collectors.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Exit status of a command line that makes no sense (BSD's EX_USAGE).
pub const EXIT_USAGE: u8 = 64;

impl Cli {
    /// The command line as clap sees it, with an environment variable for every option.
    pub fn command_with_env() -> clap::Command {
        with_env(Self::command())
    }

    /// Parses the process's arguments (and `REALDID_*` variables). Help and version are
    /// printed and exit 0; anything else that does not parse is printed and exits
    /// [`EXIT_USAGE`].
    pub fn parse_or_exit() -> Self {
        let parsed = Self::command_with_env()
            .try_get_matches()
            .and_then(|matches| Self::from_arg_matches(&matches));
        match parsed {
            Ok(cli) => cli,
            Err(e) => {
                let code = if e.use_stderr() {
                    i32::from(EXIT_USAGE)
                } else {
                    0
                };
                let _ = e.print();
                std::process::exit(code)
            }
        }
    }
}

/// Gives every named option of `command` and of its subcommands an environment variable,
/// `REALDID_` and the option's name in capitals with `_` for `-`.
fn with_env(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            let named =
                arg.get_long().is_some() && !matches!(arg.get_id().as_str(), "help" | "version");
            if named {
                let name = format!(
                    "REALDID_{}",
                    arg.get_id().as_str().to_uppercase().replace('-', "_")
                );
                arg.env(name)
            } else {
                arg
            }
        })
        .mut_subcommands(with_env)
}

#[derive(Debug, Subcommand)]
enum Command {
    /// did:realdid identifiers: create, inspect, resolve holder DIDs.
    #[command(subcommand)]
    Did(commands::did::DidCommand),
    /// Resident identity numbers (GB 11643-1999): check and generate synthetic ones.
    #[command(subcommand)]
    Id(commands::id::IdCommand),
    /// A narrated walk through what the identity core does.
    Demo(commands::demo::DemoArgs),
    /// Benchmarks against running services.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Runs one validator of the registry chain (`--config`, or `serve`), or makes its key.
    Node(commands::chain::NodeArgs),
    /// A real network's genesis, drafted and sealed from files the organisations exchange.
    #[command(subcommand)]
    Genesis(commands::genesis::GenesisCommand),
    /// Governance: a governor's key, and decisions signed by governors in turn.
    #[command(subcommand)]
    Governance(commands::governance::GovernanceCommand),
    /// Starts a local registry network (4 validators by default) and waits for Ctrl-C.
    Devnet(commands::chain::DevnetArgs),
    /// The reference identity authority: make a synthetic resident register, serve it.
    #[command(subcommand)]
    Authority(commands::authority::AuthorityCommand),
    /// The issuer: `--config issuer.toml` runs it; subcommands set one up.
    Issuer(commands::issuer::IssuerArgs),
    /// The verifier for service providers: `--config verifier.toml`.
    Verifier(commands::verifier::VerifierArgs),
    /// The citizen's wallet: keys, DIDs per provider, enrolment, presentations, backup.
    Wallet(commands::wallet::WalletArgs),
    /// A lawful-trace approver's keys, made on the approver's own machine.
    #[command(subcommand)]
    Approver(commands::approver::ApproverCommand),
    /// The operator console: the chain, DIDs, issuers, revocations, tracing and verifiers, live.
    Tui(commands::tui::TuiArgs),
    /// Prints a shell completion script: `realdid completions bash > ~/.local/share/bash-completion/completions/realdid`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Runs the command `cli` names, prints its error if it fails, and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    if let Err(e) = supervisor::follow_supervisor() {
        eprintln!("error: {e}");
        return e.exit_code();
    }
    commands::set_log_format(cli.log_format);
    let result: Result<(), CliError> = match cli.command {
        Command::Did(cmd) => commands::did::run(cmd),
        Command::Id(cmd) => commands::id::run(cmd),
        Command::Demo(args) => commands::demo::run(args),
        Command::Node(args) => commands::chain::node(args),
        Command::Bench(cmd) => commands::bench::run(cmd),
        Command::Devnet(args) => commands::chain::devnet(args),
        Command::Genesis(cmd) => commands::genesis::run(cmd),
        Command::Governance(cmd) => commands::governance::run(cmd),
        Command::Authority(cmd) => commands::authority::run(cmd),
        Command::Issuer(args) => commands::issuer::run(args),
        Command::Verifier(args) => commands::verifier::run(args),
        Command::Wallet(args) => commands::wallet::run(args),
        Command::Approver(cmd) => commands::approver::run(cmd),
        Command::Tui(args) => commands::tui::run(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command_with_env(), "realdid", &mut script);
            std::io::Write::write_all(&mut std::io::stdout(), &script).map_err(|source| {
                CliError::Io {
                    path: "standard output".into(),
                    source,
                }
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
