//! The issuer's configuration (TOML).
//!
//! ```toml
//! display_name = "Demo Identity Issuer"
//! data_dir = "data"                       # RocksDB; created if missing
//! keys_file = "issuer-keys.json"          # the issuer DID's keys (mode 0600), see keys.rs
//! secrets_file = "issuer-secrets.json"    # pepper and escrow key (mode 0600)
//! grpc_listen = "127.0.0.1:50080"         # realdid.v1.Issuer
//! http_listen = "127.0.0.1:50081"         # status lists over HTTP (GET /status/<id>)
//! public_base_url = "http://127.0.0.1:50081"  # how verifiers reach http_listen
//! genesis = "../genesis.toml"             # the registry's genesis (validator keys)
//! registry = ["http://127.0.0.1:31000"]   # registry nodes, tried in turn
//! max_state_age_seconds = 30              # optional: the oldest proven registry state used
//! authority = "http://127.0.0.1:50070"    # the identity authority
//! authority_key = "did:key:z6Mk…"         # its answers must be signed by this key
//!
//! [[credential_types]]                    # the first is the default
//! vct = "https://realdid.example/credentials/identity"
//! display_name = "Verified identity"
//! validity_days = 365
//!
//! [policy]                                # optional
//! max_dids_per_enrolment = 16
//! max_dids_per_person = 64                # live DIDs, across every enrolment
//! nonce_ttl_seconds = 300
//! status_list_size = 65536                # entries per status list (2 bits each)
//! status_token_validity_seconds = 86400   # a status list token's exp; republished at half
//!
//! [limits]                                # optional: what a caller without credentials may cost
//! calls_per_source = 20                   # CreateNonce, Enrol, holder calls, logins: a second per client address
//! enrolments_in_flight = 32               # Enrol calls past the nonce check at once
//! logins_in_flight = 4                    # operator password checks (Argon2id) at once
//!
//! [argon2]                                # optional: the person index's cost
//! memory_kib = 19456
//! iterations = 2
//! parallelism = 1
//!
//! [trace]                                 # optional; the approvers and k are on chain
//! disclosure_delay_seconds = 2592000      # the holder sees an opening after this
//! request_ttl_seconds = 604800            # an unopened request expires
//! approval_ttl_seconds = 259200           # an approval counts this long after it was signed
//!
//! [[operators]]
//! id = "alice"
//! roles = ["revoker", "trace_requester", "auditor"]
//! password_hash = "$argon2id$v=19$…"      # and/or
//! public_key = "did:key:z6Mk…"
//! ```
//!
//! Relative paths are resolved against the config file's directory. Unknown fields are
//! refused, so a misspelt setting is an error rather than a silent default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use realdid_core::keys::{DidKey, PublicKey};
use realdid_proto::tls::ServiceTls;
use serde::Deserialize;

use crate::IssuerError;
use crate::operators::Role;
use crate::privacy::person_index::Argon2Cost;

/// Largest config file read.
const MAX_CONFIG_LEN: u64 = 256 * 1024;
/// Most DIDs one enrolment may carry, whatever the config says.
pub const MAX_DIDS_PER_ENROLMENT: u32 = 128;

/// One credential type the issuer offers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialType {
    /// The `vct` URI.
    pub vct: String,
    /// A name for people.
    pub display_name: String,
    /// Validity after issuance, days.
    pub validity_days: u32,
}

/// Enrolment and status-list policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Most DIDs in one Enrol.
    pub max_dids_per_enrolment: u32,
    /// Most live DIDs one person may hold from this issuer, across enrolments.
    pub max_dids_per_person: u32,
    /// Nonce lifetime.
    pub nonce_ttl_seconds: u32,
    /// Entries per status list.
    pub status_list_size: u32,
    /// How long a Status List Token is valid (its `exp`); every list is published again
    /// when half of it has passed.
    pub status_token_validity_seconds: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_dids_per_enrolment: 16,
            max_dids_per_person: 64,
            nonce_ttl_seconds: 300,
            status_list_size: 65_536,
            status_token_validity_seconds: 86_400,
        }
    }
}

/// Bounds on what callers without credentials may make the issuer do. Past a bound the call
/// is refused RESOURCE_EXHAUSTED before it costs anything, and nothing is kept of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Unauthenticated calls (CreateNonce, Enrol, SuspendSelf, ResumeSelf, ListOwnTraces,
    /// OperatorLogin) a second from one client address, bursts of as many.
    pub calls_per_source: u32,
    /// Enrolments being decided at once (each an authority check and an Argon2id
    /// evaluation).
    pub enrolments_in_flight: u32,
    /// Operator password checks (Argon2id) at once.
    pub logins_in_flight: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            calls_per_source: 20,
            enrolments_in_flight: 32,
            logins_in_flight: 4,
        }
    }
}

/// Lawful-trace settings. The approvers and k are not among them: governance sets them on
/// chain, where the chain checks every opening against them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceConfig {
    /// Delay before a holder sees an opening.
    pub disclosure_delay_seconds: u32,
    /// Lifetime of an unopened request.
    pub request_ttl_seconds: u32,
    /// How long an approval counts after its approver signed it (its `iat`).
    pub approval_ttl_seconds: u32,
}

/// One operator account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The login name.
    pub id: String,
    /// What the operator may do.
    pub roles: Vec<Role>,
    /// A PHC-format Argon2id hash of the password, if password login is allowed.
    pub password_hash: Option<String>,
    /// The operator's key, if key login is allowed.
    pub public_key: Option<PublicKey>,
}

/// The whole configuration, checked, with paths resolved.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// A name for people.
    pub display_name: String,
    /// RocksDB directory.
    pub data_dir: PathBuf,
    /// The issuer DID's key file.
    pub keys_file: PathBuf,
    /// The pepper and escrow key file.
    pub secrets_file: PathBuf,
    /// gRPC listener.
    pub grpc_listen: SocketAddr,
    /// HTTP listener for status lists.
    pub http_listen: SocketAddr,
    /// The base of status-list URIs.
    pub public_base_url: String,
    /// The registry's genesis file.
    pub genesis: PathBuf,
    /// Registry node endpoints.
    pub registry: Vec<String>,
    /// The oldest proven registry state the issuer decides on.
    pub max_state_age: std::time::Duration,
    /// The identity authority's endpoint.
    pub authority: String,
    /// The key that signs the identity authority's answers.
    pub authority_key: PublicKey,
    /// Offered credential types, default first.
    pub credential_types: Vec<CredentialType>,
    /// Policy.
    pub policy: Policy,
    /// Bounds on unauthenticated callers.
    pub limits: Limits,
    /// The person index's cost.
    pub argon2: Argon2Cost,
    /// Lawful tracing.
    pub trace: TraceConfig,
    /// Operators.
    pub operators: Vec<Operator>,
    /// A tracing filter.
    pub log_level: Option<String>,
    /// TLS: the gRPC server's certificate (and the client CA, for mutual TLS), and the CA
    /// trusted on the way to the registry and the identity authority. Paths resolved.
    pub tls: ServiceTls,
    /// Where to answer `GET /metrics` (Prometheus); absent, nowhere.
    pub metrics_listen: Option<SocketAddr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrace {
    #[serde(default = "default_disclosure_delay")]
    disclosure_delay_seconds: u32,
    #[serde(default = "default_request_ttl")]
    request_ttl_seconds: u32,
    #[serde(default = "default_approval_ttl")]
    approval_ttl_seconds: u32,
}

impl Default for RawTrace {
    fn default() -> Self {
        Self {
            disclosure_delay_seconds: default_disclosure_delay(),
            request_ttl_seconds: default_request_ttl(),
            approval_ttl_seconds: default_approval_ttl(),
        }
    }
}

fn default_max_state_age() -> u32 {
    30
}
fn default_approval_ttl() -> u32 {
    3 * 24 * 3600
}
fn default_disclosure_delay() -> u32 {
    30 * 24 * 3600
}
fn default_request_ttl() -> u32 {
    7 * 24 * 3600
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperator {
    id: String,
    roles: Vec<Role>,
    password_hash: Option<String>,
    public_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    display_name: String,
    data_dir: PathBuf,
    keys_file: PathBuf,
    secrets_file: PathBuf,
    grpc_listen: SocketAddr,
    http_listen: SocketAddr,
    public_base_url: String,
    genesis: PathBuf,
    registry: Vec<String>,
    #[serde(default = "default_max_state_age")]
    max_state_age_seconds: u32,
    authority: String,
    authority_key: String,
    credential_types: Vec<CredentialType>,
    #[serde(default)]
    policy: Policy,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    argon2: Argon2Cost,
    #[serde(default)]
    trace: RawTrace,
    #[serde(default)]
    operators: Vec<RawOperator>,
    log_level: Option<String>,
    #[serde(default)]
    tls: ServiceTls,
    #[serde(default)]
    metrics_listen: Option<SocketAddr>,
}

fn bad(what: impl Into<String>) -> IssuerError {
    IssuerError::Config(what.into())
}

/// The Argon2id cost a PHC password hash was made with.
fn password_hash_cost(hash: &str) -> Result<Argon2Cost, String> {
    let parsed =
        argon2::PasswordHash::new(hash).map_err(|e| format!("is not a PHC string: {e}"))?;
    if parsed.algorithm != argon2::Algorithm::Argon2id.ident() {
        return Err(format!("is {}, not argon2id", parsed.algorithm));
    }
    let params = argon2::Params::try_from(&parsed).map_err(|e| format!("parameters: {e}"))?;
    Ok(Argon2Cost {
        memory_kib: params.m_cost(),
        iterations: params.t_cost(),
        parallelism: params.p_cost(),
    })
}

fn public_key(field: &str, text: &str) -> Result<PublicKey, IssuerError> {
    DidKey::parse(text)
        .map(|k| k.public_key().clone())
        .map_err(|e| bad(format!("{field}: not a did:key public key: {e}")))
}

impl IssuerConfig {
    /// Reads and checks the file.
    pub fn load(path: &Path) -> Result<Self, IssuerError> {
        let meta = std::fs::metadata(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        if meta.len() > MAX_CONFIG_LEN {
            return Err(bad(format!("{} is larger than 256 KiB", path.display())));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .map_err(|e| bad(format!("{}: {e}", path.display())))
    }

    /// Parses and checks `text`; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, IssuerError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        if raw.display_name.is_empty() || raw.display_name.len() > 256 {
            return Err(bad("display_name: 1 to 256 bytes"));
        }
        if raw.registry.is_empty() {
            return Err(bad("registry: name at least one registry node"));
        }
        if raw.credential_types.is_empty() {
            return Err(bad("credential_types: offer at least one"));
        }
        for t in &raw.credential_types {
            if t.vct.is_empty() || t.vct.len() > 256 || !t.vct.contains(':') {
                return Err(bad(format!(
                    "credential_types: vct {:?} is not a URI of at most 256 bytes",
                    t.vct
                )));
            }
            if !(1..=3650).contains(&t.validity_days) {
                return Err(bad(format!(
                    "credential_types: {} validity_days must be 1 to 3650",
                    t.vct
                )));
            }
        }
        let p = &raw.policy;
        if !(1..=MAX_DIDS_PER_ENROLMENT).contains(&p.max_dids_per_enrolment) {
            return Err(bad(format!(
                "policy.max_dids_per_enrolment must be 1 to {MAX_DIDS_PER_ENROLMENT}"
            )));
        }
        if p.max_dids_per_person < p.max_dids_per_enrolment {
            return Err(bad(
                "policy.max_dids_per_person must be at least max_dids_per_enrolment",
            ));
        }
        if !(10..=3600).contains(&p.nonce_ttl_seconds) {
            return Err(bad("policy.nonce_ttl_seconds must be 10 to 3600"));
        }
        if !(1024..=1 << 24).contains(&p.status_list_size) || !p.status_list_size.is_multiple_of(4)
        {
            return Err(bad(
                "policy.status_list_size must be a multiple of 4 from 1024 to 16777216",
            ));
        }
        if !(120..=30 * 24 * 3600).contains(&p.status_token_validity_seconds) {
            return Err(bad(
                "policy.status_token_validity_seconds must be 120 to 2592000 (30 days)",
            ));
        }
        let l = &raw.limits;
        if !(1..=1_000_000).contains(&l.calls_per_source) {
            return Err(bad("limits.calls_per_source must be 1 to 1000000"));
        }
        if !(1..=10_000).contains(&l.enrolments_in_flight) {
            return Err(bad("limits.enrolments_in_flight must be 1 to 10000"));
        }
        if !(1..=256).contains(&l.logins_in_flight) {
            return Err(bad("limits.logins_in_flight must be 1 to 256"));
        }
        if !(1..=3600).contains(&raw.max_state_age_seconds) {
            return Err(bad("max_state_age_seconds must be 1 to 3600"));
        }
        if !(60..=30 * 24 * 3600).contains(&raw.trace.approval_ttl_seconds) {
            return Err(bad(
                "trace.approval_ttl_seconds must be 60 to 2592000 (30 days)",
            ));
        }
        let operators = raw
            .operators
            .into_iter()
            .map(|o| {
                if o.id.is_empty() || o.id.len() > 64 {
                    return Err(bad("operators: id must be 1 to 64 bytes"));
                }
                if o.password_hash.is_none() && o.public_key.is_none() {
                    return Err(bad(format!(
                        "operators {}: give a password_hash or a public_key",
                        o.id
                    )));
                }
                if let Some(hash) = &o.password_hash {
                    password_hash_cost(hash)
                        .map_err(|e| bad(format!("operators {}: password_hash {e}", o.id)))?
                        .check_floor(&format!("operators {}: password_hash", o.id))?;
                }
                let public_key = o
                    .public_key
                    .as_deref()
                    .map(|k| public_key(&format!("operators {}", o.id), k))
                    .transpose()?;
                Ok(Operator {
                    id: o.id,
                    roles: o.roles,
                    password_hash: o.password_hash,
                    public_key,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            display_name: raw.display_name,
            data_dir: resolve(raw.data_dir),
            keys_file: resolve(raw.keys_file),
            secrets_file: resolve(raw.secrets_file),
            grpc_listen: raw.grpc_listen,
            http_listen: raw.http_listen,
            public_base_url: raw.public_base_url.trim_end_matches('/').to_owned(),
            genesis: resolve(raw.genesis),
            registry: raw.registry,
            max_state_age: std::time::Duration::from_secs(raw.max_state_age_seconds.into()),
            authority: raw.authority,
            authority_key: public_key("authority_key", &raw.authority_key)?,
            credential_types: raw.credential_types,
            policy: raw.policy,
            limits: raw.limits,
            argon2: {
                raw.argon2.check_floor("argon2")?;
                raw.argon2
            },
            trace: TraceConfig {
                disclosure_delay_seconds: raw.trace.disclosure_delay_seconds,
                request_ttl_seconds: raw.trace.request_ttl_seconds,
                approval_ttl_seconds: raw.trace.approval_ttl_seconds,
            },
            operators,
            log_level: raw.log_level,
            metrics_listen: raw.metrics_listen,
            tls: {
                let tls = raw.tls.resolved(base);
                tls.server().map_err(|e| bad(e.to_string()))?;
                tls
            },
        })
    }

    /// The offered type with this `vct`; the default for an empty one.
    pub fn credential_type(&self, vct: &str) -> Option<&CredentialType> {
        if vct.is_empty() {
            return self.credential_types.first();
        }
        self.credential_types.iter().find(|t| t.vct == vct)
    }
}
