//! One module per subcommand.

pub mod approver;
mod approver_reseal;
pub mod authority;
pub mod bench;
pub mod bench_all;
pub mod bench_figures;
mod bench_first_seen;
pub mod bench_issuer;
mod bench_load;
pub mod bench_plot;
pub mod bench_report;
pub mod bench_soak;
pub mod bench_verifier;
pub mod chain;
pub mod demo;
pub mod devnet_issuer;
pub mod devnet_verifier;
pub mod did;
pub mod genesis;
pub mod governance;
pub mod id;
pub mod issuer;
pub mod issuer_staff;
pub mod journey;
pub mod registry_args;
pub mod tls_args;
pub mod tui;
pub mod verifier;
pub mod verifier_setup;
pub mod wallet;

use realdid_core::clock::{Clock as _, SystemClock};

/// Logging to standard error: `RUST_LOG` when set, else `level`, else `info`.
pub fn init_logging(level: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{},commonware=warn", level.unwrap_or("info")))
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match LOG_FORMAT.get() {
        Some(crate::LogFormat::Json) => builder.json().try_init(),
        _ => builder.try_init(),
    };
}

/// The log format the command line asked for, set once before any command runs.
static LOG_FORMAT: std::sync::OnceLock<crate::LogFormat> = std::sync::OnceLock::new();

/// Sets how [`init_logging`] writes lines.
pub fn set_log_format(format: crate::LogFormat) {
    let _ = LOG_FORMAT.set(format);
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (what supervisors send), naming which.
pub async fn stop_signal() -> &'static str {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// The async runtime of the commands that talk gRPC or run servers.
pub fn runtime() -> Result<tokio::runtime::Runtime, crate::error::CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| crate::error::CliError::Io {
            path: "tokio runtime".into(),
            source,
        })
}

/// The chain that offline commands (`demo`, `bench issuer`) sign DID operations for: the
/// devnet's. Their DIDs never reach a registry, and the chain does not change a DID.
pub fn offline_chain() -> Result<realdid_core::codec::ChainId, crate::error::CliError> {
    realdid_core::codec::ChainId::parse(realdid_registry::devnet::DEVNET_CHAIN_ID)
        .map_err(|e| crate::error::CliError::Usage(format!("chain id: {e}")))
}

/// A new single-key `did:realdid` (Ed25519, with a fresh recovery key whose commitment the
/// create operation carries), signed for `chain`: the key and the signed create operation.
pub fn single_key_did(
    chain: &realdid_core::codec::ChainId,
    purposes: realdid_core::did::Purposes,
) -> Result<
    (
        realdid_core::keys::SigningKey,
        realdid_core::did::SignedDidOperation,
    ),
    crate::error::CliError,
> {
    use realdid_core::did::{CreateOp, DidOperation, KeyId};
    use realdid_core::keys::{Algorithm, SigningKey};
    let key = SigningKey::generate(Algorithm::EdDsa)?;
    let recovery = SigningKey::generate(Algorithm::EdDsa)?;
    let signed = DidOperation::Create(CreateOp::single_key(
        &key.public_key(),
        purposes,
        &recovery.public_key(),
    ))
    .sign(chain, Some(KeyId::first()), &key)?;
    Ok((key, signed))
}

/// Now in Unix seconds, by the machine's clock (the binary's to read).
pub fn unix_s() -> i64 {
    SystemClock.now().as_secs()
}

/// Now in Unix ms, by the machine's clock; also the devnet's governance nonces, which must
/// never repeat (the time in ms is unique enough for a local network).
pub fn unix_ms() -> u64 {
    SystemClock.now().as_millis()
}

/// Asks on the terminal and returns the answer's line.
pub fn prompt(question: &str) -> Result<String, crate::error::CliError> {
    use std::io::{BufRead as _, Write as _};
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| crate::error::CliError::Io {
            path: "terminal".into(),
            source,
        })?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Whether the person at the terminal says yes to `question`; `yes` answers for them (and
/// is required when there is no terminal to ask on).
pub fn confirm(yes: bool, question: &str) -> Result<bool, crate::error::CliError> {
    use std::io::IsTerminal as _;
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(crate::error::CliError::Usage(
            "not going on without confirmation: run on a terminal, or pass --yes".into(),
        ));
    }
    Ok(matches!(prompt(question)?.trim(), "y" | "Y" | "yes"))
}

/// Serves this process's metrics on `addr`, if given, for as long as the runtime runs.
pub async fn serve_metrics(
    addr: Option<std::net::SocketAddr>,
) -> Result<(), crate::error::CliError> {
    let Some(addr) = addr else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| crate::error::CliError::Io {
            path: format!("binding metrics to {addr}"),
            source,
        })?;
    tokio::spawn(realdid_proto::metrics::serve(
        listener,
        std::sync::Arc::new(String::new),
        std::future::pending(),
    ));
    Ok(())
}

/// A wait that the person at the terminal sees: after a second, a line on standard error
/// that counts the seconds (rewritten in place, erased when the wait ends); when standard
/// error is not a terminal, one plain line saying what is awaited, for logs.
#[derive(Debug)]
pub struct Waiting {
    what: String,
    started: std::time::Instant,
    terminal: bool,
    shown: u64,
}

impl Waiting {
    /// Starts waiting for `what`.
    pub fn new(what: impl Into<String>) -> Self {
        use std::io::IsTerminal as _;
        let what = what.into();
        let terminal = std::io::stderr().is_terminal();
        if !terminal {
            eprintln!("waiting for {what}");
        }
        Self {
            what,
            started: std::time::Instant::now(),
            terminal,
            shown: 0,
        }
    }

    /// Shows the seconds waited so far, once a second at most.
    pub fn tick(&mut self) {
        self.show("");
    }

    /// Shows how far a counted piece of work is (`done` of `total`) and the seconds so far,
    /// once a second at most.
    pub fn tick_count(&mut self, done: usize, total: usize) {
        self.show(&format!("{done} of {total}, "));
    }

    fn show(&mut self, progress: &str) {
        use std::io::Write as _;
        let seconds = self.started.elapsed().as_secs();
        if self.terminal && seconds > self.shown {
            eprint!(
                "\r\x1b[2K  waiting for {}… {progress}{seconds} s",
                self.what
            );
            let _ = std::io::stderr().flush();
            self.shown = seconds;
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.terminal && self.shown > 0 {
            // Erase the counting line.
            eprint!("\r\x1b[2K");
        }
    }
}

/// Reads a small file, refusing one larger than `max` bytes before reading it.
pub fn read_bounded(path: &std::path::Path, max: u64) -> Result<String, crate::error::CliError> {
    let io = |source| crate::error::CliError::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > max {
        return Err(crate::error::CliError::Refused(format!(
            "{} is {size} bytes; at most {max} expected",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(io)
}
