//! The verifier's configuration (TOML).
//!
//! ```toml
//! grpc_listen = "127.0.0.1:50090"
//! request_uri_base = "realdid://127.0.0.1:50090/requests"  # what a wallet's QR code holds
//! genesis = "../genesis.toml"              # the registry's validator keys
//! registry = ["http://127.0.0.1:31000"]    # registry nodes, tried in turn
//! max_state_age_seconds = 30               # optional: the oldest proven registry state used
//! redis_url = "redis://127.0.0.1:6379"     # optional: shared replay store; absent = in process
//! redis_prefix = "realdid:verifier:"
//! secret_file = "verifier-secret"          # the subject-id secret, 64 hex (mode 0600)
//! accepted_types = ["https://realdid.example/credentials/identity"]
//!
//! [[providers]]                            # who may call, and the DID it asks as
//! id = "bank"
//! token_sha256 = "<64 hex>"                # SHA-256 of its bearer token
//! keys_file = "bank-keys.json"             # its did:realdid and signing keys (mode 0600)
//!
//! [[operators]]                            # who may read the verifier's figures
//! id = "ops"
//! token_sha256 = "<64 hex>"                # SHA-256 of its bearer token, and/or
//! cert_sha256 = "<64 hex>"                 # of its client certificate (DER; needs tls.client_ca)
//!
//! [cache]                                  # optional
//! did_ttl_seconds = 30
//! accreditation_ttl_seconds = 30
//! status_ttl_seconds = 60                  # the bound on a revocation reaching this verifier
//! capacity = 100000
//! signatures = 100000                     # issuer signatures remembered (0: none)
//! ```

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use realdid_proto::tls::ServiceTls;
use serde::Deserialize;

use crate::VerifierError;
use crate::verify::subject::SECRET_LEN;

/// One provider allowed to call, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Its name, for logs.
    pub id: String,
    /// SHA-256 of its bearer token, hex.
    pub token_sha256: String,
    /// Its DID's key file (see [`OrgKeys`](realdid_core::did::OrgKeys)); relative to the
    /// configuration's directory.
    pub keys_file: PathBuf,
}

/// One operator allowed to read the verifier's figures (`VerifierAdmin`), by a bearer
/// token, a client certificate, or either.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// Its name, for logs.
    pub id: String,
    /// SHA-256 of its bearer token, hex.
    #[serde(default)]
    pub token_sha256: Option<String>,
    /// SHA-256 of its client certificate's DER encoding, hex (with mutual TLS).
    #[serde(default)]
    pub cert_sha256: Option<String>,
}

/// Cache bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// DID states.
    pub did_ttl_seconds: u64,
    /// Accreditations.
    pub accreditation_ttl_seconds: u64,
    /// Checked status lists (and their anchors).
    pub status_ttl_seconds: u64,
    /// Entries per cache.
    pub capacity: usize,
    /// Issuer signatures remembered as verified (0: verify every one). A pure function of
    /// the token and the key, so no TTL: see `realdid_core::keys::SignatureMemo`.
    pub signatures: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            did_ttl_seconds: 30,
            accreditation_ttl_seconds: 30,
            status_ttl_seconds: 60,
            capacity: 100_000,
            signatures: 100_000,
        }
    }
}

fn default_prefix() -> String {
    "realdid:verifier:".into()
}

/// The configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierConfig {
    /// gRPC listener.
    pub grpc_listen: SocketAddr,
    /// The prefix of request URIs.
    pub request_uri_base: String,
    /// The registry's genesis.
    pub genesis: PathBuf,
    /// Registry nodes.
    pub registry: Vec<String>,
    /// The oldest proven registry state a verdict may rest on, seconds (cached or not).
    #[serde(default = "default_max_state_age")]
    pub max_state_age_seconds: u64,
    /// Redis, when requests are shared between replicas.
    pub redis_url: Option<String>,
    /// Key prefix in Redis.
    #[serde(default = "default_prefix")]
    pub redis_prefix: String,
    /// The subject-id secret file.
    pub secret_file: PathBuf,
    /// Types accepted when a request names none.
    pub accepted_types: Vec<String>,
    /// Callers.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// Operators.
    #[serde(default)]
    pub operators: Vec<OperatorConfig>,
    /// Caches.
    #[serde(default)]
    pub cache: CacheConfig,
    /// A tracing filter.
    pub log_level: Option<String>,
    /// TLS: the gRPC server's certificate (and the client CA, for mutual TLS), and the CA
    /// trusted on the way to the registry and to issuers' status lists.
    #[serde(default)]
    pub tls: ServiceTls,
    /// Where to answer `GET /metrics` (Prometheus); absent, nowhere.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
}

fn default_max_state_age() -> u64 {
    30
}

fn bad(what: impl Into<String>) -> VerifierError {
    VerifierError::Config(what.into())
}

/// Each operator is known by at least one well-formed digest, and by a certificate only
/// where clients show one.
fn check_operators(operators: &[OperatorConfig], mutual_tls: bool) -> Result<(), VerifierError> {
    let is_digest = |d: &str| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit());
    for o in operators {
        let digests = [&o.token_sha256, &o.cert_sha256];
        if digests.iter().all(|d| d.is_none()) {
            return Err(bad(format!(
                "operator {}: give token_sha256, cert_sha256 or both",
                o.id
            )));
        }
        if let Some(d) = digests.into_iter().flatten().find(|d| !is_digest(d)) {
            return Err(bad(format!(
                "operator {}: {d:?} is not a SHA-256 in hex (64 characters)",
                o.id
            )));
        }
        if o.cert_sha256.is_some() && !mutual_tls {
            return Err(bad(format!(
                "operator {}: cert_sha256 needs tls.client_ca, so that clients show certificates",
                o.id
            )));
        }
    }
    Ok(())
}

/// Reads a file that holds secrets (wiped from memory when dropped), refusing one that
/// group or others may read.
pub(crate) fn read_private(path: &Path) -> Result<zeroize::Zeroizing<String>, VerifierError> {
    let meta = std::fs::metadata(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(bad(format!(
            "{} holds secrets but others may read it; chmod 600 it",
            path.display()
        )));
    }
    std::fs::read_to_string(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|e| bad(format!("{}: {e}", path.display())))
}

impl VerifierConfig {
    /// Reads and checks the file; relative paths are against its directory.
    pub fn load(path: &Path) -> Result<Self, VerifierError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| bad(format!("{}: {e}", path.display())))
    }

    /// Parses and checks `text`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, VerifierError> {
        let mut config: Self = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let key_files = config.providers.iter_mut().map(|p| &mut p.keys_file);
        for p in [&mut config.genesis, &mut config.secret_file]
            .into_iter()
            .chain(key_files)
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        config.tls = config.tls.resolved(base);
        config.tls.server().map_err(|e| bad(e.to_string()))?;
        if config.registry.is_empty() {
            return Err(bad("registry: name at least one node"));
        }
        if config.accepted_types.is_empty() {
            return Err(bad("accepted_types: accept at least one credential type"));
        }
        if config.providers.is_empty() {
            return Err(bad("providers: configure at least one caller"));
        }
        for p in &config.providers {
            if hex::decode(&p.token_sha256).map(|b| b.len()) != Ok(32) {
                return Err(bad(format!(
                    "providers {}: token_sha256 must be 64 hex",
                    p.id
                )));
            }
        }
        check_operators(&config.operators, config.tls.client_ca.is_some())?;
        if !(1..=3600).contains(&config.max_state_age_seconds) {
            return Err(bad("max_state_age_seconds must be 1 to 3600"));
        }
        if config.cache.status_ttl_seconds == 0 || config.cache.capacity == 0 {
            return Err(bad("cache: TTLs and capacity must be positive"));
        }
        Ok(config)
    }

    /// Reads every provider's keys. Two providers with one DID would see each other's
    /// requests, so that is refused.
    pub fn load_providers(&self) -> Result<Vec<crate::provider::Provider>, VerifierError> {
        let mut providers: Vec<crate::provider::Provider> = Vec::new();
        for p in &self.providers {
            let keys = crate::provider::load_keys(&p.keys_file)?;
            if let Some(other) = providers.iter().find(|o| o.did() == keys.did()) {
                return Err(bad(format!(
                    "providers {} and {} share the DID {}",
                    other.id,
                    p.id,
                    keys.did()
                )));
            }
            providers.push(crate::provider::Provider {
                id: p.id.clone(),
                token_sha256: p.token_sha256.clone(),
                keys,
            });
        }
        Ok(providers)
    }

    /// Reads the subject-id secret, refusing a file others may read.
    pub fn load_secret(&self) -> Result<[u8; SECRET_LEN], VerifierError> {
        let path = &self.secret_file;
        let text = read_private(path)?;
        hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(format!("{}: must hold 64 hex characters", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::{OperatorConfig, check_operators};

    fn operator(token: Option<&str>, cert: Option<&str>) -> OperatorConfig {
        OperatorConfig {
            id: "ops".into(),
            token_sha256: token.map(str::to_owned),
            cert_sha256: cert.map(str::to_owned),
        }
    }

    #[test]
    fn an_operator_is_known_by_a_digest_and_by_a_certificate_only_with_mutual_tls() {
        let digest = "ab".repeat(32);
        assert!(check_operators(&[operator(Some(&digest), None)], false).is_ok());
        assert!(check_operators(&[operator(None, Some(&digest))], true).is_ok());
        let refused = |o: OperatorConfig, mutual_tls: bool| {
            check_operators(&[o], mutual_tls)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(refused(operator(None, None), true).contains("give token_sha256"));
        assert!(refused(operator(Some("abc"), None), false).contains("not a SHA-256"));
        assert!(refused(operator(None, Some(&digest)), false).contains("needs tls.client_ca"));
    }
}
