//! The issuer DID's keys ([`OrgKeys`](realdid_core::did::OrgKeys)), in a file of their own (mode 0600).

use std::path::Path;

pub use realdid_core::did::OrgKeys as IssuerKeys;
use realdid_core::did::OrgKeysError;

use crate::IssuerError;

impl From<OrgKeysError> for IssuerError {
    fn from(e: OrgKeysError) -> Self {
        Self::Config(format!("issuer keys: {e}"))
    }
}

/// Reads the key file.
pub fn load(path: &Path) -> Result<IssuerKeys, IssuerError> {
    let text = zeroize::Zeroizing::new(crate::files::read_private(path)?);
    IssuerKeys::from_json(&text)
        .map_err(|e| IssuerError::Config(format!("{}: {e}", path.display())))
}

/// Writes the key file (mode 0600).
pub fn save(keys: &IssuerKeys, path: &Path) -> Result<(), IssuerError> {
    crate::files::write_private(path, &keys.to_json()?)
}
