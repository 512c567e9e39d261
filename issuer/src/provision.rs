//! Setting up a new issuer directory: keys, secrets, an operator and the configuration that
//! ties them together. `realdid issuer init` and the devnet use it. The trace approvers are
//! not made here: each makes their keys on their own device (`realdid approver keygen`)
//! and governance names them on chain.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use realdid_core::keys::{Algorithm, PublicKey, SigningKey};
use realdid_proto::tls::ServiceTls;
use serde::{Deserialize, Serialize};

use crate::IssuerError;
use crate::config::IssuerConfig;
use crate::keys::IssuerKeys;
use crate::operators::hash_password;
use crate::privacy::person_index::Argon2Cost;
use crate::privacy::secrets::DataSecrets;

/// The credential type a new issuer offers.
pub const IDENTITY_VCT: &str = "https://realdid.example/credentials/identity";

/// What a new issuer directory gets.
#[derive(Debug, Clone)]
pub struct ProvisionOptions {
    /// The issuer's name.
    pub display_name: String,
    /// The registry's genesis file.
    pub genesis: PathBuf,
    /// Registry node endpoints.
    pub registry: Vec<String>,
    /// The identity authority's endpoint.
    pub authority: String,
    /// The key that signs the authority's answers (a did:key).
    pub authority_key: String,
    /// gRPC listener.
    pub grpc_listen: SocketAddr,
    /// HTTP listener (status lists).
    pub http_listen: SocketAddr,
    /// The disclosure delay of openings to the holder, seconds.
    pub disclosure_delay_seconds: u32,
    /// The person index's cost.
    pub argon2: Argon2Cost,
    /// The operator's login name; the password is generated.
    pub operator: String,
    /// TLS (absolute paths): written as the `[tls]` table unless empty (plaintext).
    pub tls: ServiceTls,
    /// Where to serve metrics, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
}

/// What was made.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The configuration file.
    pub config_path: PathBuf,
    /// The issuer's keys (its DID is not on the registry yet).
    pub keys: IssuerKeys,
    /// The file holding the operator's password.
    pub operator_password_file: PathBuf,
}

/// The `[tls]` table of `tls`, empty when it sets nothing.
fn tls_table(tls: &ServiceTls) -> Result<String, IssuerError> {
    if *tls == ServiceTls::default() {
        return Ok(String::new());
    }
    let body = toml::to_string(tls).map_err(|e| IssuerError::Config(format!("tls: {e}")))?;
    Ok(format!("\n[tls]\n{body}"))
}

/// A staff member's key file (mode 0600): a trace approver's or an operator's Ed25519
/// key, kept on their own machine.
#[derive(Serialize, Deserialize)]
struct StaffKeyFile {
    key_id: String,
    seed: String,
}

/// Makes a new Ed25519 staff key named `key_id`, writes it to `path` (refused if the file
/// exists) and returns its public key, the part the issuer's configuration lists.
pub fn write_staff_key(path: &Path, key_id: &str) -> Result<PublicKey, IssuerError> {
    if path.exists() {
        return Err(IssuerError::Config(format!(
            "{} exists; a key file is never overwritten",
            path.display()
        )));
    }
    let key = SigningKey::generate(Algorithm::EdDsa)
        .map_err(|e| IssuerError::Config(format!("staff key: {e}")))?;
    let seed = key
        .secret_bytes()
        .map_err(|e| IssuerError::Config(format!("staff key: {e}")))?;
    let file = StaffKeyFile {
        key_id: key_id.to_owned(),
        seed: hex::encode(*seed),
    };
    let text =
        serde_json::to_string_pretty(&file).map_err(|e| IssuerError::Internal(e.to_string()))?;
    crate::files::write_private(path, &text)?;
    Ok(key.public_key())
}

/// Reads a staff key file: the key id and the key.
pub fn load_staff_key(path: &Path) -> Result<(String, SigningKey), IssuerError> {
    let text = crate::files::read_private(path)?;
    let file: StaffKeyFile = serde_json::from_str(&text)
        .map_err(|e| IssuerError::Config(format!("{}: {e}", path.display())))?;
    let seed = hex::decode(&file.seed)
        .map_err(|e| IssuerError::Config(format!("{}: seed: {e}", path.display())))?;
    let key = SigningKey::from_secret_bytes(Algorithm::EdDsa, &seed)
        .map_err(|e| IssuerError::Config(format!("{}: seed: {e}", path.display())))?;
    Ok((file.key_id, key))
}

fn random_password() -> Result<String, IssuerError> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(IssuerError::Randomness)?;
    Ok(hex::encode(bytes))
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Creates the issuer directory `dir` (which must not hold a configuration yet).
pub fn provision(dir: &Path, options: &ProvisionOptions) -> Result<Provisioned, IssuerError> {
    let config_path = dir.join("issuer.toml");
    if config_path.exists() {
        return Err(IssuerError::Config(format!(
            "{} exists; provision into a new directory",
            config_path.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| IssuerError::Config(format!("{}: {e}", dir.display())))?;
    let keys = IssuerKeys::generate()?;
    crate::keys::save(&keys, &dir.join("issuer-keys.json"))?;
    DataSecrets::generate()?.save(&dir.join("issuer-secrets.json"))?;

    let password = random_password()?;
    let operator_password_file = dir.join("operator-password");
    crate::files::write_private(&operator_password_file, &format!("{password}\n"))?;
    let registry = options
        .registry
        .iter()
        .map(|e| toml_string(e))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"# realdid issuer configuration (see docs/OPERATIONS.md, "Issuer").
display_name = {display_name}
data_dir = "data"
keys_file = "issuer-keys.json"
secrets_file = "issuer-secrets.json"
grpc_listen = "{grpc}"
http_listen = "{http}"
public_base_url = "{scheme}://{http}"
{metrics}
genesis = {genesis}
registry = [{registry}]
authority = {authority}
authority_key = {authority_key}

[[credential_types]]
vct = {vct}
display_name = "Verified identity"
validity_days = 365

[argon2]
memory_kib = {m}
iterations = {t}
parallelism = {p}

[trace]
disclosure_delay_seconds = {delay}

[[operators]]
id = {operator}
roles = ["revoker", "trace_requester", "auditor"]
password_hash = {hash}
{tls}"#,
        display_name = toml_string(&options.display_name),
        grpc = options.grpc_listen,
        http = options.http_listen,
        // Status lists are served over TLS by the same certificate as gRPC.
        scheme = if options.tls.cert.is_some() {
            "https"
        } else {
            "http"
        },
        genesis = toml_string(&options.genesis.display().to_string()),
        authority = toml_string(&options.authority),
        authority_key = toml_string(&options.authority_key),
        vct = toml_string(IDENTITY_VCT),
        m = options.argon2.memory_kib,
        t = options.argon2.iterations,
        p = options.argon2.parallelism,
        delay = options.disclosure_delay_seconds,
        operator = toml_string(&options.operator),
        hash = toml_string(&hash_password(&password)?),
        tls = tls_table(&options.tls)?,
        metrics = options
            .metrics_listen
            .map(|addr| format!("metrics_listen = \"{addr}\""))
            .unwrap_or_default(),
    );
    // Check what was written parses, before anyone relies on it.
    IssuerConfig::parse(&text, dir)?;
    std::fs::write(&config_path, text)
        .map_err(|e| IssuerError::Config(format!("{}: {e}", config_path.display())))?;
    Ok(Provisioned {
        config_path,
        keys,
        operator_password_file,
    })
}
