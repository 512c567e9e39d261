//! Keys, JWK thumbprints, JWS and did:key against published vectors (RFC 8037, RFC 7515,
//! RFC 7638, w3c-ccg did:key test vectors), checked in under tests/vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use realdid_core::ErrorKind;
use realdid_core::jws::{CompactJws, JwsError, KeySigner, sign_compact};
use realdid_core::keys::{Algorithm, DidJwk, DidKey, Jwk, KeyError, PublicKey, SigningKey};
use serde_json::{Map, Value};

const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_A4: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
const RFC7515_A3: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rfc8037_key() -> SigningKey {
    let jwk = Jwk::from_json(&format!(
        r#"{{"kty":"OKP","crv":"Ed25519","d":"{RFC8037_D}","x":"{RFC8037_X}"}}"#
    ))
    .unwrap();
    jwk.to_signing_key().unwrap()
}

fn rfc7515_a3_public() -> PublicKey {
    Jwk::from_json(
        r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
    )
    .unwrap()
    .to_public_key()
    .unwrap()
}

#[test]
fn rfc8037_a4_signature_is_reproduced_byte_for_byte() {
    let jws = sign_compact(
        &Map::new(),
        b"Example of Ed25519 signing",
        &KeySigner::new(rfc8037_key()),
    )
    .unwrap();
    assert_eq!(jws, RFC8037_A4);
}

#[test]
fn rfc8037_a5_verifies_and_a_flipped_bit_does_not() {
    let key = rfc8037_key().public_key();
    let jws = CompactJws::parse(RFC8037_A4).unwrap();
    jws.verify(&key).unwrap();
    assert_eq!(jws.payload(), b"Example of Ed25519 signing");

    // Flip one bit in the payload part: the signature must no longer verify.
    let mut tampered = RFC8037_A4.as_bytes().to_vec();
    tampered[25] ^= 0x01;
    let tampered = String::from_utf8(tampered).unwrap();
    let err = CompactJws::parse(&tampered).and_then(|j| j.verify(&key));
    assert!(err.is_err(), "tampered JWS verified");
}

#[test]
fn rfc8037_a3_thumbprint() {
    let jwk = Jwk::from_public_key(&rfc8037_key().public_key()).unwrap();
    assert_eq!(jwk.x, RFC8037_X);
    assert_eq!(
        jwk.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn rfc7515_a3_es256_verifies() {
    let jws = CompactJws::parse(RFC7515_A3).unwrap();
    assert_eq!(jws.algorithm(), Algorithm::Es256);
    jws.verify(&rfc7515_a3_public()).unwrap();
}

#[test]
fn rfc7515_a3_under_another_key_is_refused() {
    let other = SigningKey::generate(Algorithm::Es256).unwrap().public_key();
    let err = CompactJws::parse(RFC7515_A3)
        .unwrap()
        .verify(&other)
        .unwrap_err();
    assert!(
        matches!(err, JwsError::Signature(KeyError::BadSignature { .. })),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[test]
fn alg_of_header_must_match_the_key() {
    let ed = rfc8037_key().public_key();
    let err = CompactJws::parse(RFC7515_A3)
        .unwrap()
        .verify(&ed)
        .unwrap_err();
    assert!(matches!(err, JwsError::AlgorithmMismatch { .. }), "{err}");
}

#[test]
fn es256_sign_then_verify_with_josekit_serialisation() {
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    let mut header = Map::new();
    header.insert("typ".into(), Value::String("JWT".into()));
    let jws = sign_compact(
        &header,
        b"{\"a\":1}",
        &KeySigner::with_key_id(key.clone(), "k1"),
    )
    .unwrap();
    let parsed = CompactJws::parse(&jws).unwrap();
    assert_eq!(parsed.typ(), Some("JWT"));
    assert_eq!(parsed.header()["kid"], "k1");
    // alg comes first in the serialised header.
    let header_json = B64.decode(jws.split('.').next().unwrap()).unwrap();
    assert!(header_json.starts_with(b"{\"alg\":\"ES256\""));
    parsed.verify(&key.public_key()).unwrap();
}

#[test]
fn alg_none_and_unknown_algs_are_refused() {
    for alg in ["none", "HS256", "RS256"] {
        let header = B64.encode(format!("{{\"alg\":\"{alg}\"}}"));
        let err = CompactJws::parse(&format!("{header}.e30.")).unwrap_err();
        assert!(matches!(err, JwsError::Algorithm { .. }), "{alg}: {err}");
    }
}

#[test]
fn malformed_jws_gives_typed_errors() {
    for (input, part) in [
        ("abc", "structure"),
        ("a.b.c.d", "structure"),
        ("!!!.e30.AA", "header"),
        ("e30.e30.AA", "alg"),
    ] {
        let err = CompactJws::parse(input).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(part), "{input}: {text}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    let huge = "a".repeat(realdid_core::jws::MAX_JWS_LEN + 1);
    assert!(matches!(
        CompactJws::parse(&huge),
        Err(JwsError::TooLarge { .. })
    ));
}

#[test]
fn crit_extensions_are_refused() {
    let header = B64.encode(r#"{"alg":"EdDSA","crit":["exp"],"exp":1}"#);
    let err = CompactJws::parse(&format!("{header}.e30.AA")).unwrap_err();
    assert!(matches!(err, JwsError::UnsupportedCritical { .. }), "{err}");
}

#[test]
fn did_key_ed25519_vectors() {
    let vectors = vectors("did-key-ed25519-x25519.json");
    let vectors = vectors.as_object().unwrap();
    assert_eq!(vectors.len(), 5);
    for (did, case) in vectors {
        let seed = hex::decode(case["seed"].as_str().unwrap()).unwrap();
        let key = SigningKey::from_secret_bytes(Algorithm::EdDsa, &seed).unwrap();
        let derived = DidKey::from_public_key(&key.public_key());
        assert_eq!(derived.did().as_str(), did);

        let parsed = DidKey::parse(did).unwrap();
        assert_eq!(parsed.public_key(), &key.public_key());
        let vm = &case["verificationKeyPair"];
        if let Some(b58) = vm["publicKeyBase58"].as_str() {
            assert_eq!(
                bs58::decode(b58).into_vec().unwrap(),
                key.public_key().to_bytes()
            );
        } else {
            let jwk = Jwk::from_value(&vm["publicKeyJwk"]).unwrap();
            assert_eq!(jwk.to_public_key().unwrap(), key.public_key());
        }
        // The verification method id is did#<method-specific-id>.
        let vm_id = case["didDocument"]["verificationMethod"][0]["id"]
            .as_str()
            .unwrap();
        assert_eq!(parsed.verification_method_id().as_str(), vm_id);
    }
}

#[test]
fn did_key_nist_vectors() {
    let vectors = vectors("did-key-nist-curves.json");
    let mut p256 = 0;
    for (did, case) in vectors.as_object().unwrap() {
        let vm = &case["verificationMethod"];
        let curve = vm["publicKeyJwk"]["crv"].as_str().unwrap_or("P-256");
        match curve {
            "P-256" => {
                p256 += 1;
                let key = if let Some(jwk) = vm.get("privateKeyJwk") {
                    Jwk::from_value(jwk).unwrap().to_signing_key().unwrap()
                } else {
                    let d = bs58::decode(vm["privateKeyBase58"].as_str().unwrap())
                        .into_vec()
                        .unwrap();
                    SigningKey::from_secret_bytes(Algorithm::Es256, &d).unwrap()
                };
                assert_eq!(
                    DidKey::from_public_key(&key.public_key()).did().as_str(),
                    did
                );
                assert_eq!(DidKey::parse(did).unwrap().public_key(), &key.public_key());
                if let Some(b58) = vm["publicKeyBase58"].as_str() {
                    assert_eq!(
                        bs58::decode(b58).into_vec().unwrap(),
                        key.public_key().to_bytes()
                    );
                }
            }
            other => {
                let err = DidKey::parse(did).unwrap_err();
                assert!(
                    matches!(&err, KeyError::UnsupportedKeyType { what } if what.contains(other)),
                    "{did}: {err}"
                );
                assert_eq!(err.kind(), ErrorKind::Unsupported);
            }
        }
    }
    assert_eq!(p256, 3, "three P-256 vectors");
}

#[test]
fn did_key_rejects_garbage_with_reasons() {
    for (input, reason) in [
        ("did:web:example.com", "did:key:"),
        ("did:key:abc", "multibase"),
        ("did:key:z0OIl", "base58"),
        ("did:key:z1", "too short"),
    ] {
        let err = DidKey::parse(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input}: {err}");
    }
}

#[test]
fn did_jwk_round_trips_and_is_canonical() {
    for alg in [Algorithm::EdDsa, Algorithm::Es256] {
        let key = SigningKey::generate(alg).unwrap().public_key();
        let did = DidJwk::from_public_key(&key).unwrap();
        let parsed = DidJwk::parse(did.did().as_str()).unwrap();
        assert_eq!(parsed.public_key(), &key);
        assert!(parsed.verification_method_id().as_str().ends_with("#0"));
    }
    // The did:jwk spec's P-256 example, written with members in another order, still parses.
    let example = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9";
    let parsed = DidJwk::parse(example).unwrap();
    assert_eq!(parsed.public_key().algorithm(), Algorithm::Es256);
    // Our canonical encoding of that key is exactly the spec's example.
    assert_eq!(
        DidJwk::from_public_key(parsed.public_key())
            .unwrap()
            .did()
            .as_str(),
        example
    );
}

#[test]
fn did_jwk_with_private_member_is_refused() {
    let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
    let jwk = Jwk::from_signing_key(&key).unwrap();
    let did = format!("did:jwk:{}", B64.encode(serde_json::to_vec(&jwk).unwrap()));
    let err = DidJwk::parse(&did).unwrap_err();
    assert!(err.to_string().contains("private"), "{err}");
}

#[test]
fn jwk_private_member_must_match_public() {
    let a = Jwk::from_signing_key(&SigningKey::generate(Algorithm::Es256).unwrap()).unwrap();
    let b = Jwk::from_signing_key(&SigningKey::generate(Algorithm::Es256).unwrap()).unwrap();
    let mixed = Jwk {
        d: b.d.clone(),
        ..a
    };
    let err = mixed.to_signing_key().unwrap_err();
    assert!(
        matches!(err, KeyError::InvalidJwk { member: "d", .. }),
        "{err}"
    );
}

#[test]
fn p256_points_off_the_curve_are_refused() {
    let mut sec1 = rfc7515_a3_public().to_bytes();
    sec1[5] ^= 0xff;
    sec1[0] = 0x04; // uncompressed marker with a 33-byte body: wrong length
    assert!(PublicKey::from_bytes(Algorithm::Es256, &sec1).is_err());
    let x = B64
        .decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")
        .unwrap();
    let mut y = B64
        .decode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")
        .unwrap();
    y[31] ^= 1;
    let err = realdid_core::keys::P256PublicKey::from_coordinates(&x, &y).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
