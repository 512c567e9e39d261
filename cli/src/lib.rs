//! `realdid`: the one command users learn. It parses arguments, calls the libraries and
//! prints; the logic lives in the crates it wires.
//!
//! The command is a library too, so that the end-to-end tests run a devnet with the
//! [`supervisor`] that `realdid devnet` uses; the binary only parses and calls [`run`].

mod commands;
pub mod error;
pub mod supervisor;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// realdid: real-name decentralized identity — anonymous at the front, real-name at the back.
#[derive(Debug, Parser)]
#[command(name = "realdid", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
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
    /// Runs one validator of the registry chain.
    Node(commands::chain::NodeArgs),
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
}

/// Runs the command `cli` names, prints its error if it fails, and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    if let Err(e) = supervisor::follow_supervisor() {
        eprintln!("error: {e}");
        return e.exit_code();
    }
    let result: Result<(), CliError> = match cli.command {
        Command::Did(cmd) => commands::did::run(cmd),
        Command::Id(cmd) => commands::id::run(cmd),
        Command::Demo(args) => commands::demo::run(args),
        Command::Node(args) => commands::chain::node(args),
        Command::Bench(cmd) => commands::bench::run(cmd),
        Command::Devnet(args) => commands::chain::devnet(args),
        Command::Authority(cmd) => commands::authority::run(cmd),
        Command::Issuer(args) => commands::issuer::run(args),
        Command::Verifier(args) => commands::verifier::run(args),
        Command::Wallet(args) => commands::wallet::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
