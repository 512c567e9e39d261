//! The identity authority's signing key: every answer it gives is signed with it
//! (`realdid_core::authority_answer`), and issuers are configured with its public half.
//!
//! The reference authority keeps it beside its register as a seed file (mode 0600):
//! `{"seed": "<64 hex>"}`. A national authority would keep it in its own HSM; only the
//! public key (a did:key) is ever given to issuers.

use std::path::Path;

use realdid_core::keys::{Algorithm, DidKey, SigningKey};
use serde::{Deserialize, Serialize};

use crate::IssuerError;

/// The file name of the reference authority's key, in its data directory.
pub const AUTHORITY_KEY_FILE: &str = "authority-key.json";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    seed: String,
}

/// Creates a new key at `path` (refusing to replace one) and returns it.
pub fn create(path: &Path) -> Result<SigningKey, IssuerError> {
    if path.exists() {
        return Err(IssuerError::Config(format!(
            "{} exists: an authority keeps its key (issuers are configured with it)",
            path.display()
        )));
    }
    let key = SigningKey::generate(Algorithm::EdDsa)
        .map_err(|e| IssuerError::Internal(format!("authority key: {e}")))?;
    let seed = key
        .secret_bytes()
        .map_err(|e| IssuerError::Internal(format!("authority key: {e}")))?;
    let text = serde_json::to_string(&KeyFile {
        seed: hex::encode(*seed),
    })
    .map_err(|e| IssuerError::Internal(e.to_string()))?;
    crate::files::write_private(path, &text)?;
    Ok(key)
}

/// Reads the key at `path`.
pub fn load(path: &Path) -> Result<SigningKey, IssuerError> {
    let text = crate::files::read_private(path)?;
    let file: KeyFile = serde_json::from_str(&text)
        .map_err(|e| IssuerError::Config(format!("{}: {e}", path.display())))?;
    let seed = hex::decode(&file.seed)
        .map_err(|e| IssuerError::Config(format!("{}: seed: {e}", path.display())))?;
    SigningKey::from_secret_bytes(Algorithm::EdDsa, &seed)
        .map_err(|e| IssuerError::Config(format!("{}: seed: {e}", path.display())))
}

/// The public key as issuers configure it (`authority_key` in issuer.toml).
pub fn public_did_key(key: &SigningKey) -> String {
    DidKey::from_public_key(&key.public_key())
        .did()
        .as_str()
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUTHORITY_KEY_FILE);
        let key = create(&path).unwrap();
        assert!(create(&path).is_err(), "never replaced");
        assert_eq!(load(&path).unwrap().public_key(), key.public_key());
        assert!(public_did_key(&key).starts_with("did:key:z6Mk"));
    }
}
