//! SD-JWT presentations: parsing and verifying garbage never panics and never verifies under
//! a fixed issuer key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_core::sd_jwt::{KeyBindingCheck, SdJwt, VerifyOptions, verify};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SdJwt::parse(text);
    let Ok(key) = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[7; 32]) else {
        return;
    };
    let options = VerifyOptions {
        key_binding: Some(KeyBindingCheck::new("n", "aud")),
        ..VerifyOptions::default()
    };
    assert!(verify(text, &options, &key.public_key(), 1_795_000_000).is_err());
});
