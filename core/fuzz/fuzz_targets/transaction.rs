//! Transactions and blocks: decode garbage; whatever decodes must re-encode to the same bytes
//! and decode again to the same value (the encoding is canonical).
#![no_main]

use commonware_codec::Encode as _;
use libfuzzer_sys::fuzz_target;
use realdid_core::codec::{Block, Transaction};

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Transaction::decode_bounded(data) {
        let bytes = tx.encode();
        assert_eq!(&bytes[..], data, "transaction encoding is not canonical");
        assert_eq!(Transaction::decode_bounded(&bytes).ok(), Some(tx));
    }
    if let Ok(block) = Block::decode_bounded(data) {
        let bytes = block.encode();
        assert_eq!(&bytes[..], data, "block encoding is not canonical");
    }
});
