//! The issuer's two data secrets, kept in a file of their own (mode 0600), never in the
//! database: a copy of the database alone reveals nothing.
//!
//! ```json
//! {"pepper": "<64 hex>", "escrow_key_id": "escrow-1", "escrow_key": "<64 hex>"}
//! ```
//! In a deployment the escrow key belongs in an HSM and the pepper in a secret store; the
//! file is the embedded default.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::IssuerError;

/// Bytes of the pepper and of the escrow key.
pub const SECRET_LEN: usize = 32;

/// The pepper of the person index and the escrow key, wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataSecrets {
    /// The Argon2id secret ("pepper") of the person index.
    pub pepper: [u8; SECRET_LEN],
    /// The name of the escrow key, stored with every record it encrypts.
    pub escrow_key_id: String,
    /// The AES-256-GCM key of the escrowed identity records.
    pub escrow_key: [u8; SECRET_LEN],
}

impl std::fmt::Debug for DataSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSecrets")
            .field("escrow_key_id", &self.escrow_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct SecretsFile {
    pepper: String,
    escrow_key_id: String,
    escrow_key: String,
}

fn random_secret() -> Result<[u8; SECRET_LEN], IssuerError> {
    let mut out = [0u8; SECRET_LEN];
    getrandom::fill(&mut out).map_err(IssuerError::Randomness)?;
    Ok(out)
}

fn hex32(field: &str, text: &str, path: &Path) -> Result<[u8; SECRET_LEN], IssuerError> {
    let bytes = Zeroizing::new(hex::decode(text).map_err(|e| {
        IssuerError::Config(format!("{}: {field} is not hex: {e}", path.display()))
    })?);
    bytes.as_slice().try_into().map_err(|_| {
        IssuerError::Config(format!(
            "{}: {field} must be {SECRET_LEN} bytes",
            path.display()
        ))
    })
}

impl DataSecrets {
    /// Fresh random secrets.
    pub fn generate() -> Result<Self, IssuerError> {
        Ok(Self {
            pepper: random_secret()?,
            escrow_key_id: "escrow-1".into(),
            escrow_key: random_secret()?,
        })
    }

    /// Reads the secrets file.
    pub fn load(path: &Path) -> Result<Self, IssuerError> {
        let text = Zeroizing::new(crate::files::read_private(path)?);
        let file: SecretsFile = serde_json::from_str(&text)
            .map_err(|e| IssuerError::Config(format!("{} does not parse: {e}", path.display())))?;
        if file.escrow_key_id.is_empty() || file.escrow_key_id.len() > 64 {
            return Err(IssuerError::Config(format!(
                "{}: escrow_key_id must be 1 to 64 bytes",
                path.display()
            )));
        }
        Ok(Self {
            pepper: hex32("pepper", &file.pepper, path)?,
            escrow_key_id: file.escrow_key_id.clone(),
            escrow_key: hex32("escrow_key", &file.escrow_key, path)?,
        })
    }

    /// Writes the secrets file, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), IssuerError> {
        let file = SecretsFile {
            pepper: hex::encode(self.pepper),
            escrow_key_id: self.escrow_key_id.clone(),
            escrow_key: hex::encode(self.escrow_key),
        };
        let text = serde_json::to_string_pretty(&file)
            .map(Zeroizing::new)
            .map_err(|e| IssuerError::Config(format!("encoding secrets: {e}")))?;
        crate::files::write_private(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secrets_are_wiped_when_dropped() -> Result<(), IssuerError> {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<DataSecrets>();
        wiped_on_drop::<SecretsFile>();
        // What a drop runs: every secret byte goes.
        let mut secrets = DataSecrets::generate()?;
        assert_ne!(secrets.pepper, [0; SECRET_LEN]);
        secrets.zeroize();
        assert_eq!(secrets.pepper, [0; SECRET_LEN]);
        assert_eq!(secrets.escrow_key, [0; SECRET_LEN]);
        Ok(())
    }
}
