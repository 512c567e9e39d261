//! Liveness evidence of the reference authority.
//!
//! A real deployment's evidence comes from a liveness / photo check the authority trusts. The
//! reference authority stands in for it with a token only it can mint: HMAC-SHA256 under the
//! population's secret, over the resident identity number. The generator hands each synthetic
//! person their token (as a phone's liveness check would), and a token is good for that
//! person only.

use hmac::{Hmac, Mac};
use realdid_core::resident_id::ResidentId;
use sha2::Sha256;

/// Length of the population secret.
pub const SECRET_LEN: usize = 32;

const DOMAIN: &[u8] = b"realdid/reference-authority/evidence/v1|";

fn mac(secret: &[u8; SECRET_LEN], resident_id: &ResidentId) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(DOMAIN);
    mac.update(resident_id.as_str().as_bytes());
    mac
}

/// The evidence token of one person: `ev1.` and the MAC in hex.
pub fn mint(secret: &[u8; SECRET_LEN], resident_id: &ResidentId) -> String {
    format!(
        "ev1.{}",
        hex::encode(mac(secret, resident_id).finalize().into_bytes())
    )
}

/// True when `token` is this person's evidence (compared in constant time).
pub fn verify(secret: &[u8; SECRET_LEN], resident_id: &ResidentId, token: &str) -> bool {
    let Some(tag) = token.strip_prefix("ev1.") else {
        return false;
    };
    let Ok(tag) = hex::decode(tag) else {
        return false;
    };
    mac(secret, resident_id).verify_slice(&tag).is_ok()
}
