//! The genesis file: the one document every validator of a chain shares.
//!
//! It fixes the chain's identity, its permissioned validator set and the governance keys
//! that accredit issuers. It is TOML; unknown fields are refused, so a misspelt setting is an
//! error rather than a silent default.
//!
//! ```toml
//! chain_id = "realdid-devnet"            # 1..=64 characters of [a-z0-9-]
//! genesis_time_unix_ms = 1763730000000
//!
//! [[validators]]                         # 1..=256 of them; the set tolerates f = (n-1)/3 faults
//! name = "node-0"                        # a label for logs: 1..=64 characters of [A-Za-z0-9._-]
//! public_key = "2b2e…"                   # hex of the 32-byte Commonware Ed25519 public key
//! p2p_address = "10.0.0.1:30000"         # where the other validators dial it
//! grpc_address = "10.0.0.1:31000"        # where clients reach its Registry service
//!
//! [governance]                           # the accreditation authority
//! threshold = 2                          # approvals needed, 1..=len(keys)
//! keys = [
//!   "did:key:z6Mk…",                     # a did:key,
//!   "z6Mk…",                             # the same multibase without "did:key:",
//!   { kty = "OKP", crv = "Ed25519", x = "…" },  # or a public JWK (Ed25519 or P-256)
//! ]
//! ```
//!
//! [`Genesis::parse`] and [`Genesis::load`] are the only ways to make a [`Genesis`], and they
//! check every rule, so a `Genesis` in hand always has at least one validator, distinct
//! validator keys, names and addresses (no address is used twice, whether for p2p or gRPC),
//! distinct governance keys, and a threshold in `1..=keys`. Errors name the file and the
//! field: `genesis.toml: validators[2].public_key: not 32 hex bytes`.
//!
//! # Canonical order
//!
//! Validators are held sorted by public key bytes, the order of Commonware's participant
//! set, so a validator's index is the same in [`Genesis::validators`],
//! [`Genesis::validator_keys`] and the consensus engine. Governance keys are sorted by their
//! canonical encoding. Reordering either list in the file changes nothing.
//!
//! # Genesis hash
//!
//! [`Genesis::genesis_hash`] is SHA-256 over this encoding (the primitives of
//! `realdid_core::codec::primitives`):
//!
//! ```text
//! "realdid/genesis/v1"                        domain, 18 bytes
//! string   chain_id                           varint(len) || UTF-8
//! u64      genesis_time_unix_ms               big-endian
//! list     validator keys, sorted             varint(n) || n × 32 bytes
//! u64      governance threshold               big-endian
//! list     governance keys, sorted            varint(m) || m × (algorithm tag || key bytes)
//! ```
//!
//! Validator names and addresses are left out on purpose: they are labels and dial hints
//! (the p2p layer authenticates peers by key), so an operator can move a validator to a new
//! host by editing its addresses in every copy of the file without changing the chain's
//! identity. Everything that decides which blocks are valid is in the hash.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use commonware_codec::{DecodeFixed as _, Write as _};
use commonware_cryptography::ed25519;
use realdid_core::codec::primitives::{write_public_key, write_str};
use realdid_core::keys::{DidKey, Jwk, PublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ClientError;

/// Largest genesis file read, in bytes.
pub const MAX_GENESIS_LEN: u64 = 1024 * 1024;
pub use realdid_core::codec::{ChainId, MAX_CHAIN_ID_LEN};
/// Longest validator name.
pub const MAX_NAME_LEN: usize = 64;
/// Most validators a genesis may list.
pub const MAX_VALIDATORS: usize = 256;
/// Most governance keys a genesis may list: as many as one governance transaction may carry
/// approvals, so that any threshold is reachable.
pub const MAX_GOVERNANCE_KEYS: usize = realdid_core::codec::MAX_APPROVALS;

const GENESIS_DOMAIN: &[u8] = b"realdid/genesis/v1";

/// SHA-256 of the canonical encoding of a genesis (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GenesisHash(pub [u8; 32]);

impl fmt::Debug for GenesisHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GenesisHash({})", hex::encode(self.0))
    }
}

impl fmt::Display for GenesisHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// One validator of the fixed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    name: String,
    public_key: ed25519::PublicKey,
    p2p_address: SocketAddr,
    grpc_address: SocketAddr,
}

impl Validator {
    /// Its label in logs and status.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its consensus and p2p identity.
    pub fn public_key(&self) -> &ed25519::PublicKey {
        &self.public_key
    }

    /// Where the other validators dial it.
    pub fn p2p_address(&self) -> SocketAddr {
        self.p2p_address
    }

    /// Where clients reach its `realdid.v1.Registry` service.
    pub fn grpc_address(&self) -> SocketAddr {
        self.grpc_address
    }
}

/// The accreditation authority: who may accredit and remove issuers, and how many of them
/// must approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernanceConfig {
    threshold: usize,
    keys: Vec<PublicKey>,
}

impl GovernanceConfig {
    /// Approvals of distinct keys a governance transaction needs; in `1..=keys().len()`.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// The governance keys, distinct, sorted by their canonical encoding.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }
}

/// A parsed genesis: every rule of the module docs holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    chain_id: ChainId,
    genesis_time_unix_ms: u64,
    /// Sorted by public key.
    validators: Vec<Validator>,
    governance: GovernanceConfig,
}

/// The file as written, for the tool that writes one (a devnet generator). Strings stay
/// strings here; [`Genesis::from_file`] turns them into types.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisFile {
    /// See [`Genesis::chain_id`].
    pub chain_id: String,
    /// See [`Genesis::genesis_time_unix_ms`].
    pub genesis_time_unix_ms: u64,
    /// The validators, in any order.
    pub validators: Vec<ValidatorEntry>,
    /// The accreditation authority.
    pub governance: GovernanceEntry,
}

/// One validator as written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// Its name.
    pub name: String,
    /// Its Ed25519 public key, hex.
    pub public_key: String,
    /// Where it takes p2p connections.
    pub p2p_address: SocketAddr,
    /// Where it serves gRPC.
    pub grpc_address: SocketAddr,
}

/// The accreditation authority as written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceEntry {
    /// How many of `keys` must approve.
    pub threshold: usize,
    /// did:key strings, multibase strings or JWK tables; parsed one by one so that an error
    /// can name the entry.
    pub keys: Vec<toml::Value>,
}

impl Genesis {
    /// Reads and parses a genesis file.
    pub fn load(path: &Path) -> Result<Self, ClientError> {
        let origin = path.display().to_string();
        let text = read_bounded(path, MAX_GENESIS_LEN, "genesis file")?;
        Self::parse_from(&text, &origin)
    }

    /// Parses genesis TOML; errors name the source as `genesis`.
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        Self::parse_from(text, "genesis")
    }

    fn parse_from(text: &str, origin: &str) -> Result<Self, ClientError> {
        let config_error = |reason: String| ClientError::Config {
            path: origin.to_owned(),
            reason,
        };
        if text.len() as u64 > MAX_GENESIS_LEN {
            return Err(config_error(format!("longer than {MAX_GENESIS_LEN} bytes")));
        }
        let file: GenesisFile = toml::from_str(text).map_err(|e| config_error(e.to_string()))?;
        Self::from_file(file).map_err(config_error)
    }

    pub fn from_file(file: GenesisFile) -> Result<Self, String> {
        let chain_id = ChainId::parse(&file.chain_id).map_err(|e| format!("chain_id: {e}"))?;

        if file.validators.is_empty() {
            return Err("validators: at least one validator is needed".into());
        }
        if file.validators.len() > MAX_VALIDATORS {
            return Err(format!(
                "validators: {} listed, at most {MAX_VALIDATORS} allowed",
                file.validators.len()
            ));
        }
        let mut validators = Vec::with_capacity(file.validators.len());
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut keys: HashMap<ed25519::PublicKey, usize> = HashMap::new();
        let mut addresses: HashMap<SocketAddr, String> = HashMap::new();
        for (i, entry) in file.validators.iter().enumerate() {
            let field = |name: &str| format!("validators[{i}].{name}");
            check_name(&entry.name).map_err(|e| format!("{}: {e}", field("name")))?;
            if let Some(j) = names.insert(entry.name.as_str(), i) {
                return Err(format!(
                    "{}: {:?} is also validators[{j}].name",
                    field("name"),
                    entry.name
                ));
            }
            let public_key = parse_validator_key(&entry.public_key)
                .map_err(|e| format!("{}: {e}", field("public_key")))?;
            if let Some(j) = keys.insert(public_key.clone(), i) {
                return Err(format!(
                    "{}: same key as validators[{j}].public_key",
                    field("public_key")
                ));
            }
            for (kind, address) in [
                ("p2p_address", entry.p2p_address),
                ("grpc_address", entry.grpc_address),
            ] {
                if let Some(other) = addresses.insert(address, field(kind)) {
                    return Err(format!("{}: {address} is also {other}", field(kind)));
                }
            }
            validators.push(Validator {
                name: entry.name.clone(),
                public_key,
                p2p_address: entry.p2p_address,
                grpc_address: entry.grpc_address,
            });
        }
        validators.sort_by(|a, b| a.public_key.cmp(&b.public_key));

        let governance = parse_governance(&file.governance)?;
        Ok(Self {
            chain_id,
            genesis_time_unix_ms: file.genesis_time_unix_ms,
            validators,
            governance,
        })
    }

    /// The file form: parses back to an equal `Genesis`. Governance keys are written as
    /// did:key strings.
    pub fn to_toml(&self) -> String {
        let file = GenesisFile {
            chain_id: self.chain_id.to_string(),
            genesis_time_unix_ms: self.genesis_time_unix_ms,
            validators: self
                .validators
                .iter()
                .map(|v| ValidatorEntry {
                    name: v.name.clone(),
                    public_key: hex::encode(v.public_key.as_ref()),
                    p2p_address: v.p2p_address,
                    grpc_address: v.grpc_address,
                })
                .collect(),
            governance: GovernanceEntry {
                threshold: self.governance.threshold,
                keys: self
                    .governance
                    .keys
                    .iter()
                    .map(|k| toml::Value::String(DidKey::from_public_key(k).did().to_string()))
                    .collect(),
            },
        };
        // Invariant: the structure is strings, integers, arrays and tables only, all of which
        // TOML can express, so serialization cannot fail.
        #[allow(clippy::expect_used)]
        toml::to_string_pretty(&file).expect("a genesis is representable as TOML")
    }

    /// The chain's name.
    pub fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    /// The time of the (empty) genesis block, milliseconds since the Unix epoch.
    pub fn genesis_time_unix_ms(&self) -> u64 {
        self.genesis_time_unix_ms
    }

    /// The validators, sorted by public key; an index here is the validator's index in the
    /// consensus participant set.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The validators' public keys in the same (sorted) order as [`Genesis::validators`].
    pub fn validator_keys(&self) -> Vec<ed25519::PublicKey> {
        self.validators
            .iter()
            .map(|v| v.public_key.clone())
            .collect()
    }

    /// The index of a validator by key.
    pub fn validator_index(&self, key: &ed25519::PublicKey) -> Option<usize> {
        self.validators
            .binary_search_by(|v| v.public_key.cmp(key))
            .ok()
    }

    /// The accreditation authority's keys and threshold.
    pub fn governance_config(&self) -> &GovernanceConfig {
        &self.governance
    }

    /// f: how many validators may fail (crash or lie) with the chain staying safe and live,
    /// the largest f with 3f + 1 ≤ n.
    pub fn fault_tolerance(&self) -> usize {
        (self.validators.len() - 1) / 3
    }

    /// n − f: how many validators must sign for a block to be final.
    pub fn quorum(&self) -> usize {
        self.validators.len() - self.fault_tolerance()
    }

    /// SHA-256 of the canonical encoding (module docs): the chain's identity.
    pub fn genesis_hash(&self) -> GenesisHash {
        GenesisHash(Sha256::digest(self.canonical_bytes()).into())
    }

    /// The canonical encoding that [`Genesis::genesis_hash`] hashes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = GENESIS_DOMAIN.to_vec();
        write_str(self.chain_id.as_str(), &mut out);
        out.extend_from_slice(&self.genesis_time_unix_ms.to_be_bytes());
        self.validators.len().write(&mut out);
        for v in &self.validators {
            out.extend_from_slice(v.public_key.as_ref());
        }
        out.extend_from_slice(&(self.governance.threshold as u64).to_be_bytes());
        self.governance.keys.len().write(&mut out);
        for key in &self.governance.keys {
            write_public_key(key, &mut out);
        }
        out
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!("must be 1 to {MAX_NAME_LEN} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "{c:?} is not allowed: use letters, digits, '.', '_' and '-'"
        ));
    }
    Ok(())
}

/// Parses the hex of a 32-byte Commonware Ed25519 public key.
pub fn parse_validator_key(text: &str) -> Result<ed25519::PublicKey, String> {
    let bytes: [u8; 32] = hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("not 32 hex bytes (64 hex characters)")?;
    ed25519::PublicKey::decode_fixed(bytes).map_err(|_| "not a valid Ed25519 public key".into())
}

fn parse_governance(entry: &GovernanceEntry) -> Result<GovernanceConfig, String> {
    if entry.keys.is_empty() {
        return Err("governance.keys: at least one key is needed".into());
    }
    if entry.keys.len() > MAX_GOVERNANCE_KEYS {
        return Err(format!(
            "governance.keys: {} listed, at most {MAX_GOVERNANCE_KEYS} allowed",
            entry.keys.len()
        ));
    }
    let mut keys: Vec<(Vec<u8>, PublicKey)> = Vec::with_capacity(entry.keys.len());
    let mut seen: HashMap<PublicKey, usize> = HashMap::new();
    for (i, value) in entry.keys.iter().enumerate() {
        let key = parse_governance_key(value).map_err(|e| format!("governance.keys[{i}]: {e}"))?;
        if let Some(j) = seen.insert(key.clone(), i) {
            return Err(format!(
                "governance.keys[{i}]: same key as governance.keys[{j}]"
            ));
        }
        let mut encoded = Vec::new();
        write_public_key(&key, &mut encoded);
        keys.push((encoded, key));
    }
    if entry.threshold == 0 {
        return Err("governance.threshold: must be at least 1".into());
    }
    if entry.threshold > keys.len() {
        return Err(format!(
            "governance.threshold: {} is more than the {} keys",
            entry.threshold,
            keys.len()
        ));
    }
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(GovernanceConfig {
        threshold: entry.threshold,
        keys: keys.into_iter().map(|(_, k)| k).collect(),
    })
}

/// A governance key: `did:key:z…`, a bare multibase `z…`, or a public JWK table.
fn parse_governance_key(value: &toml::Value) -> Result<PublicKey, String> {
    match value {
        toml::Value::String(text) => {
            let did = if text.starts_with("did:key:") {
                text.clone()
            } else if text.starts_with('z') {
                format!("did:key:{text}")
            } else {
                return Err(
                    "expected a did:key, a multibase public key (z…) or a JWK table".into(),
                );
            };
            DidKey::parse(&did)
                .map(|d| d.public_key().clone())
                .map_err(|e| e.to_string())
        }
        toml::Value::Table(_) => {
            let json = serde_json::to_value(value).map_err(|e| format!("JWK: {e}"))?;
            let jwk = Jwk::from_value(&json).map_err(|e| e.to_string())?;
            if jwk.d.is_some() {
                return Err("a private JWK (it has \"d\"): put only the public key here".into());
            }
            jwk.to_public_key().map_err(|e| e.to_string())
        }
        _ => Err("expected a did:key, a multibase public key (z…) or a JWK table".into()),
    }
}

/// Reads a text file of at most `max` bytes.
pub fn read_bounded(path: &Path, max: u64, what: &str) -> Result<String, ClientError> {
    let io = |source| ClientError::Io {
        context: format!("reading {what} {}", path.display()),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if metadata.len() > max {
        return Err(ClientError::Config {
            path: path.display().to_string(),
            reason: format!("{what} is {} bytes, more than {max}", metadata.len()),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    String::from_utf8(bytes).map_err(|_| ClientError::Config {
        path: path.display().to_string(),
        reason: format!("{what} is not UTF-8 text"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn chain_id_rules() {
        assert!(ChainId::parse("realdid-main-1").is_ok());
        assert!(ChainId::parse("").is_err());
        assert!(ChainId::parse("Realdid").is_err());
        assert!(ChainId::parse("a_b").is_err());
        assert!(ChainId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn validator_names() {
        assert!(check_name("node-0.example_1").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("node 0").is_err());
        assert!(check_name("nœud").is_err());
    }

    #[test]
    fn validator_key_hex() {
        assert!(parse_validator_key("00").is_err());
        assert!(parse_validator_key(&"zz".repeat(32)).is_err());
    }
}
