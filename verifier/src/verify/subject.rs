//! The per-provider subject id: HMAC-SHA256 under the verifier's secret over the audience
//! and the holder's DID. The same holder DID gets the same id from one audience every time;
//! two audiences get ids that cannot be related without the secret. (The wallet already
//! uses one DID per provider; this also keeps a provider from correlating by DID if a
//! holder reuses one, and gives the provider one opaque id format.)

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the subject-id secret.
pub const SECRET_LEN: usize = 32;

/// The subject id of `holder_did` for `audience`.
pub fn subject_id(secret: &[u8; SECRET_LEN], audience: &str, holder_did: &str) -> String {
    // A 32-byte key is always accepted by HMAC; the fallback never runs.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(b"realdid/subject/v1");
    for part in [audience, holder_did] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_audience_and_unlinkable_across_audiences() {
        let secret = [7u8; SECRET_LEN];
        let a = subject_id(&secret, "bank", "did:realdid:x");
        assert_eq!(a, subject_id(&secret, "bank", "did:realdid:x"));
        assert_ne!(a, subject_id(&secret, "hotel", "did:realdid:x"));
        assert_ne!(a, subject_id(&secret, "bank", "did:realdid:y"));
        assert_ne!(a, subject_id(&[8u8; SECRET_LEN], "bank", "did:realdid:x"));
        // Length-prefixed: moving a byte between the parts changes the id.
        assert_ne!(
            subject_id(&secret, "ab", "c"),
            subject_id(&secret, "a", "bc")
        );
        assert_eq!(a.len(), 43);
    }
}
