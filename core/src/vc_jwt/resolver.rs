//! How a verifier tells this module which key must have signed a JWT.

use serde_json::{Map, Value};

use super::VcJwtError;
use crate::keys::PublicKey;

/// Finds the key that must have signed a credential (from `issuer`, `kid`) or a
/// presentation (from `holder`, `kid`), given the unverified header and payload; refuses
/// parties the verifier does not trust.
///
/// Any `Fn(&header, &payload) -> Result<PublicKey, VcJwtError>` is one, and so is a
/// [`PublicKey`].
pub trait KeyResolver {
    /// The key that must have signed.
    fn resolve(
        &self,
        header: &Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<PublicKey, VcJwtError>;
}

impl<F> KeyResolver for F
where
    F: Fn(&Map<String, Value>, &Map<String, Value>) -> Result<PublicKey, VcJwtError>,
{
    fn resolve(
        &self,
        header: &Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<PublicKey, VcJwtError> {
        self(header, payload)
    }
}

impl KeyResolver for PublicKey {
    fn resolve(
        &self,
        _header: &Map<String, Value>,
        _payload: &Map<String, Value>,
    ) -> Result<PublicKey, VcJwtError> {
        Ok(self.clone())
    }
}
