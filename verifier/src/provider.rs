//! A provider that calls this verifier: its bearer token's digest and the keys of its own
//! `did:realdid`, which sign its presentation requests. Wallets answer only requests a key
//! of the provider's on-chain DID signed, under the DID they keep for that provider, so a
//! provider cannot ask in another's name.

use std::path::Path;

use realdid_core::did::{OrgKeys, RealDid};

use crate::VerifierError;

/// One provider allowed to call.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Its name, for logs.
    pub id: String,
    /// SHA-256 of its bearer token, hex.
    pub token_sha256: String,
    /// Its DID and the keys that sign its requests.
    pub keys: OrgKeys,
}

impl Provider {
    /// The provider's DID: its requests' `client_id`, the `aud` its presentations name.
    pub fn did(&self) -> &RealDid {
        self.keys.did()
    }

    /// Whether the stored request `audience` is this provider's.
    pub fn owns(&self, audience: &str) -> bool {
        self.did().as_str() == audience
    }
}

/// Reads a provider's key file, refusing one that group or others may read.
pub fn load_keys(path: &Path) -> Result<OrgKeys, VerifierError> {
    let text = crate::config::read_private(path)?;
    OrgKeys::from_json(&text).map_err(|e| VerifierError::Config(format!("{}: {e}", path.display())))
}
