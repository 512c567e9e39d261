//! The issuer's data secret, kept in a file of its own (mode 0600), never in the database:
//! a copy of the database alone cannot be tested against guessed resident IDs.
//!
//! ```json
//! {"pepper": "<64 hex>"}
//! ```
//! There is no escrow key: identity records are sealed to the trace approvers, and the
//! issuer holds nothing that opens one. In a deployment the pepper belongs in a secret
//! store; the file is the embedded default.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::IssuerError;

/// Bytes of the pepper.
pub const SECRET_LEN: usize = 32;

/// The pepper of the person index, wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DataSecrets {
    /// The Argon2id secret ("pepper") of the person index.
    pub pepper: [u8; SECRET_LEN],
}

impl std::fmt::Debug for DataSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSecrets").finish_non_exhaustive()
    }
}

/// The file: an escrow key left by an earlier layout is refused (deny_unknown_fields) rather
/// than kept, so no key that opens records lingers beside the database.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    pepper: String,
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
        })
    }

    /// Reads the secrets file.
    pub fn load(path: &Path) -> Result<Self, IssuerError> {
        let text = Zeroizing::new(crate::files::read_private(path)?);
        let file: SecretsFile = serde_json::from_str(&text)
            .map_err(|e| IssuerError::Config(format!("{} does not parse: {e}", path.display())))?;
        Ok(Self {
            pepper: hex32("pepper", &file.pepper, path)?,
        })
    }

    /// Writes the secrets file, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), IssuerError> {
        let file = SecretsFile {
            pepper: hex::encode(self.pepper),
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
        Ok(())
    }
}
