//! Compact JWS: parsing garbage never panics; a parsed JWS never verifies under a fixed key
//! unless it was signed by it (it cannot be, from random input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use realdid_core::jws::CompactJws;
use realdid_core::keys::{Algorithm, SigningKey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(jws) = CompactJws::parse(text) {
        let key = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[7; 32])
            .map(|k| k.public_key());
        if let Ok(key) = key {
            assert!(jws.verify(&key).is_err());
        }
    }
});
