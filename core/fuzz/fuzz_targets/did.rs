//! DIDs and key ids: parsing garbage never panics; what parses prints back to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use realdid_core::did::{Did, KeyId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(did) = text.parse::<Did>() {
        assert_eq!(did.as_str(), text);
        assert_eq!(did.as_str().parse::<Did>().ok(), Some(did));
    }
    if let Ok(id) = text.parse::<KeyId>() {
        assert_eq!(id.as_str(), text);
    }
});
