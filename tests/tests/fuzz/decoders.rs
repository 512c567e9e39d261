//! The decoders of realdid-core: transactions and blocks (what a node receives), compact
//! JWS and SD-JWT (what a verifier receives), status lists (what a verifier fetches), and
//! trace request files (what an approver is handed). A value a decoder accepts must encode
//! back to a value it accepts again.

use realdid_core::codec::{
    Block, BlockHash, BlockHeader, ChainId, Encode, StateRoot, Transaction, transactions_root,
};
use realdid_core::did::{CreateOp, DidOperation, KeyId, Purposes};
use realdid_core::escrow::OfficerSecret;
use realdid_core::jws::{CompactJws, KeySigner, sign_compact};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_core::sd_jwt::SdJwt;
use realdid_core::status_list::{Status, StatusBits, StatusList, StatusListObject};
use realdid_core::trace::TraceRequestFields;
use realdid_core::trace_file::TraceRequestFile;
use realdid_tests::fuzz::run;

fn chain() -> ChainId {
    ChainId::parse("realdid-fuzz").unwrap()
}

fn create_tx(byte: u8) -> Transaction {
    let device = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte; 32]).unwrap();
    let recovery = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[byte + 1; 32]).unwrap();
    let op = DidOperation::Create(CreateOp::single_key(
        &device.public_key(),
        Purposes::AUTHENTICATION,
        &recovery.public_key(),
    ))
    .sign(&chain(), Some(KeyId::first()), &device)
    .unwrap();
    Transaction::Did(op)
}

#[test]
fn transactions_and_blocks_decode_or_refuse() {
    let txs = vec![create_tx(1), create_tx(3)];
    let block = Block {
        header: BlockHeader {
            height: 7,
            parent: BlockHash([1; 32]),
            timestamp_ms: 1_795_000_000_000,
            state_root: StateRoot([2; 32]),
            transactions_root: transactions_root(&txs),
            transaction_count: txs.len() as u32,
        },
        transactions: txs.clone(),
    };
    let tx_seeds: Vec<Vec<u8>> = txs.iter().map(|t| t.encode().to_vec()).collect();
    run("transaction", &tx_seeds, |bytes| {
        if let Ok(tx) = Transaction::decode_bounded(bytes) {
            let again = tx.encode().to_vec();
            assert_eq!(Transaction::decode_bounded(&again).unwrap(), tx);
        }
    });
    run("block", &[block.encode().to_vec()], |bytes| {
        if let Ok(block) = Block::decode_bounded(bytes) {
            let again = block.encode().to_vec();
            assert_eq!(Block::decode_bounded(&again).unwrap(), block);
        }
    });
}

#[test]
fn jws_and_sd_jwt_parse_or_refuse() {
    let key = SigningKey::from_secret_bytes(Algorithm::EdDsa, &[9; 32]).unwrap();
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), "dc+sd-jwt".into());
    header.insert("kid".into(), "did:realdid:x#key-1".into());
    let jws = sign_compact(
        &header,
        br#"{"iss":"did:realdid:x","_sd":["abc"],"_sd_alg":"sha-256"}"#,
        &KeySigner::new(key.clone()),
    )
    .unwrap();
    let disclosure = "WyJzYWx0IiwiY2l0eSIsIkJlaWppbmciXQ";
    let kb = sign_compact(&serde_json::Map::new(), b"{}", &KeySigner::new(key.clone())).unwrap();
    let seeds = vec![
        jws.clone().into_bytes(),
        format!("{jws}~{disclosure}~").into_bytes(),
        format!("{jws}~{disclosure}~{disclosure}~{kb}").into_bytes(),
    ];
    run("jws", &seeds[..1], |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(parsed) = CompactJws::parse(text)
        {
            let _ = (parsed.header(), parsed.payload());
            let _ = parsed.verify(&key.public_key());
        }
    });
    run("sd-jwt", &seeds, |bytes| {
        if let Ok(text) = std::str::from_utf8(bytes)
            && let Ok(parsed) = SdJwt::parse(text)
        {
            let _ = parsed.payload();
        }
    });
}

#[test]
fn status_lists_decode_or_refuse() {
    let mut list = StatusList::new(StatusBits::Two, 64).unwrap();
    list.set(3, Status::INVALID).unwrap();
    list.set(9, Status::SUSPENDED).unwrap();
    let object = serde_json::to_vec(&list.encode().unwrap()).unwrap();
    run("status list", &[object], |bytes| {
        if let Ok(object) = serde_json::from_slice::<StatusListObject>(bytes)
            && let Ok(list) = StatusList::decode(&object)
        {
            let _ = list.tally();
        }
    });
}

#[test]
fn trace_request_files_parse_or_refuse() {
    let file = TraceRequestFile::new(
        &TraceRequestFields {
            trace_id: "t-1",
            subject_did: "did:realdid:subject",
            legal_basis: "warrant",
            case_reference: "CASE-1",
            requested_by: "officer",
            created_at_ms: 1,
            subject_at_ms: 1,
            enrolment_id: "e-1",
        },
        2,
        &[5; 32],
        &chain(),
        &realdid_core::did::OrgKeys::generate()
            .unwrap()
            .did()
            .clone(),
        &OfficerSecret::generate().unwrap().public(),
    );
    run(
        "trace request file",
        &[file.to_json().into_bytes()],
        |bytes| {
            if let Ok(text) = std::str::from_utf8(bytes)
                && let Ok(parsed) = TraceRequestFile::parse(text)
            {
                let _ = parsed.checked_hash();
                let _ = parsed.describe();
            }
        },
    );
}
