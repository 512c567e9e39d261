//! Setting a verifier up from the command line: a new verifier directory (`init`) and more
//! providers (`add-provider`). A provider's bearer token is printed once and kept nowhere:
//! the configuration holds only its SHA-256.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use realdid_verifier::config::VerifierConfig;
use sha2::Digest as _;

use crate::error::CliError;

/// Options of `realdid verifier init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new verifier directory.
    #[arg(long)]
    dir: PathBuf,
    /// The registry's genesis file.
    #[arg(long)]
    genesis: PathBuf,
    /// Registry node endpoints, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    registry: Vec<String>,
    /// gRPC listener.
    #[arg(long, default_value = "127.0.0.1:50090")]
    grpc_listen: SocketAddr,
    /// The host and port wallets reach this verifier at (in request URIs); the gRPC
    /// listener when absent.
    #[arg(long)]
    public_address: Option<String>,
    /// A credential type (`vct`) accepted when a request names none; repeat for several.
    #[arg(long = "accept", required = true)]
    accepted_types: Vec<String>,
    /// Redis, shared by the replicas (`redis://` or `rediss://`); requests in process
    /// memory when absent.
    #[arg(long)]
    redis: Option<String>,
    /// The first provider's name.
    #[arg(long)]
    provider: String,
    #[command(flatten)]
    tls: super::tls_args::TlsArgs,
    /// Where to answer `GET /metrics`.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn check_id(id: &str) -> Result<(), CliError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::Usage(
            "a provider's name: 1 to 64 letters, digits, '-' or '_'".into(),
        ));
    }
    Ok(())
}

/// A new provider's token, and its `[[providers]]` entry.
fn new_provider(id: &str) -> Result<(String, String), CliError> {
    check_id(id)?;
    let mut raw = [0u8; 24];
    getrandom::fill(&mut raw).map_err(|e| CliError::Refused(format!("no randomness: {e}")))?;
    let token = hex::encode(raw);
    let entry = format!(
        "\n[[providers]]\nid = \"{id}\"\ntoken_sha256 = \"{}\"\nkeys_file = \"{id}-keys.json\"\n",
        hex::encode(sha2::Sha256::digest(token.as_bytes()))
    );
    Ok((token, entry))
}

/// A new operator's `[[operators]]` entry, known by `cert` (its client certificate) or by a
/// new bearer token, returned to be shown once.
pub fn new_operator(id: &str, cert: Option<&Path>) -> Result<(Option<String>, String), CliError> {
    check_id(id)?;
    let sha256 = |bytes: &[u8]| hex::encode(sha2::Sha256::digest(bytes));
    Ok(match cert {
        Some(path) => {
            let der = realdid_proto::tls::certificate_der(path)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            (
                None,
                format!(
                    "\n[[operators]]\nid = \"{id}\"\ncert_sha256 = \"{}\"\n",
                    sha256(&der)
                ),
            )
        }
        None => {
            let mut raw = [0u8; 24];
            getrandom::fill(&mut raw)
                .map_err(|e| CliError::Refused(format!("no randomness: {e}")))?;
            let token = hex::encode(raw);
            let entry = format!(
                "\n[[operators]]\nid = \"{id}\"\ntoken_sha256 = \"{}\"\n",
                sha256(token.as_bytes())
            );
            (Some(token), entry)
        }
    })
}

/// Adds operator `id` to the configuration at `path` (appended, so the file's comments
/// stay) and prints its token once, unless it is known by its certificate.
pub fn add_operator(path: &Path, id: &str, cert: Option<&Path>) -> Result<(), CliError> {
    let config = VerifierConfig::load(path)?;
    if config.operators.iter().any(|o| o.id == id) {
        return Err(CliError::Refused(format!(
            "{} already has an operator {id:?}",
            path.display()
        )));
    }
    let (token, entry) = new_operator(id, cert)?;
    let before = std::fs::read_to_string(path).map_err(io(path))?;
    let after = format!("{before}{entry}");
    // Checked before it replaces the file (a certificate needs tls.client_ca).
    VerifierConfig::parse(&after, path.parent().unwrap_or(Path::new(".")))?;
    super::genesis::replace(path, &after)?;
    match token {
        Some(token) => {
            println!("{token}");
            eprintln!(
                "operator {id} added to {}; the token above is shown once: the console reads it \
                 from a file (`realdid tui --verifier-token-file`). Restart the verifier.",
                path.display()
            );
        }
        None => eprintln!(
            "operator {id} added to {}, known by its client certificate. Restart the verifier.",
            path.display()
        ),
    }
    Ok(())
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `realdid verifier init`.
pub fn init(args: InitArgs) -> Result<(), CliError> {
    let dir = &args.dir;
    if dir.join("verifier.toml").exists() {
        return Err(CliError::Refused(format!(
            "{} already holds a verifier",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let absolute = |p: &Path| std::path::absolute(p).map_err(io(p));
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| CliError::Refused(format!("no randomness: {e}")))?;
    realdid_issuer::files::write_private(&dir.join("verifier-secret"), &hex::encode(secret))?;
    let address = args
        .public_address
        .clone()
        .unwrap_or_else(|| args.grpc_listen.to_string());
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| toml_string(i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "# realdid verifier configuration (see docs/VERIFIER.md).\n\
         grpc_listen = \"{}\"\n\
         request_uri_base = {}\n\
         genesis = {}\n\
         registry = [{}]\n\
         secret_file = \"verifier-secret\"\n\
         accepted_types = [{}]\n",
        args.grpc_listen,
        toml_string(&format!("realdid://{address}/requests")),
        toml_string(&absolute(&args.genesis)?.display().to_string()),
        list(&args.registry),
        list(&args.accepted_types),
    );
    if let Some(redis) = &args.redis {
        text.push_str(&format!("redis_url = {}\n", toml_string(redis)));
    }
    if let Some(metrics) = args.metrics_listen {
        text.push_str(&format!("metrics_listen = \"{metrics}\"\n"));
    }
    let (token, entry) = new_provider(&args.provider)?;
    text.push_str(&entry);
    let tls = args.tls.settings()?;
    if tls != realdid_proto::tls::ServiceTls::default() {
        let table =
            toml::to_string(&tls).map_err(|e| CliError::Usage(format!("the TLS settings: {e}")))?;
        text.push_str(&format!("\n[tls]\n{table}"));
    }
    let config_path = dir.join("verifier.toml");
    // Checked before anything relies on it.
    VerifierConfig::parse(&text, dir)?;
    super::genesis::write_new(&config_path, &text)?;
    println!("{token}");
    eprintln!(
        "verifier in {}; the token above is provider {}'s, shown once. Run `realdid verifier \
         --config {} --register`, then `realdid verifier --config {}`.",
        dir.display(),
        args.provider,
        config_path.display(),
        config_path.display()
    );
    Ok(())
}

/// Adds provider `id` to the configuration at `path` (appended, so the file's comments
/// stay), its key file beside it, and prints its token once.
pub fn add_provider(path: &Path, id: &str) -> Result<(), CliError> {
    let config = VerifierConfig::load(path)?;
    if config.providers.iter().any(|p| p.id == id) {
        return Err(CliError::Refused(format!(
            "{} already has a provider {id:?}",
            path.display()
        )));
    }
    let (token, entry) = new_provider(id)?;
    let before = std::fs::read_to_string(path).map_err(io(path))?;
    let after = format!("{before}{entry}");
    // Checked before it replaces the file.
    VerifierConfig::parse(&after, path.parent().unwrap_or(Path::new(".")))?;
    super::genesis::replace(path, &after)?;
    println!("{token}");
    eprintln!(
        "provider {id} added to {}; the token above is shown once: hand it to the provider \
         (it presents it as `authorization: Bearer …`). Run `realdid verifier --config {} \
         --register` to put its DID on the registry, then restart the verifier.",
        path.display(),
        path.display()
    );
    Ok(())
}
