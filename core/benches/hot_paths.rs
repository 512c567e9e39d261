//! core's hot paths, each next to the bare signature checks it contains, measured in one run:
//!
//! * SD-JWT VC presentation with key binding, verified (Ed25519 and ES256), against the two
//!   bare verifications inside it (issuer JWS and KB-JWT) with ed25519-dalek and OpenSSL;
//! * compact JWS sign and verify;
//! * an Ed25519 transaction signature under the strict and the chain rule, the strict rule
//!   also as ed25519-dalek's `verify_strict` checks it, and the chain rule over batches of
//!   16, 64 and 256 put off and settled at once;
//! * status-list lookups.
//!
//! `cargo bench -p realdid-core --bench hot_paths`; figures in docs/PERFORMANCE.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmarks: a panic is a failure report

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use realdid_core::jws::{CompactJws, KeySigner, sign_compact};
use realdid_core::keys::{
    Algorithm, PublicKey, SignatureCheck as _, SignatureMemo, SignatureRule, SigningKey,
};
use realdid_core::sd_jwt::{
    ClaimPath, KeyBindingCheck, KeyBindingParams, SdJwt, SdJwtVcIssuance, VcVerifyOptions,
    issue_sd_jwt_vc, verify_sd_jwt_vc,
};
use realdid_core::status_list::{BitstringStatusList, Status, StatusBits, StatusList, StatusSize};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_795_000_000;
const ISSUER: &str = "did:realdid:4ZDzYJkMRZZRJpKpNLcrPHEJU9L2sF1sj9hdSeszB1Cx";

/// A credential shaped like the issuer's (eight claims, seven disclosable, two decoys),
/// presented with two disclosures and a KB-JWT.
fn presentation(alg: Algorithm) -> (String, PublicKey) {
    let issuer = SigningKey::generate(alg).unwrap();
    let holder = SigningKey::generate(alg).unwrap();
    let mut claims = Map::new();
    for (k, v) in [
        ("sub", json!("did:realdid:holder")),
        ("real_name_verified", json!(true)),
        ("assurance_level", json!("high")),
        ("age_over_18", json!(true)),
        ("age_over_60", json!(false)),
        ("region", json!({"province": "11", "city": "1101"})),
        ("name", json!("王小明")),
        ("birth_date", json!("1990-01-01")),
    ] {
        claims.insert(k.into(), v);
    }
    let mut issuance = SdJwtVcIssuance::new(ISSUER, "https://realdid.example/vct/real-name-v1");
    issuance.issued_at = Some(NOW);
    issuance.expires_at = Some(NOW + 86_400);
    issuance.holder_key = Some(holder.public_key());
    issuance.claims = claims;
    issuance.decoys = 2;
    issuance.disclosable = [
        "/real_name_verified",
        "/assurance_level",
        "/age_over_18",
        "/age_over_60",
        "/region",
        "/name",
        "/birth_date",
    ]
    .iter()
    .map(|p| ClaimPath::parse(p).unwrap())
    .collect();
    let sd = issue_sd_jwt_vc(issuance, &KeySigner::new(issuer.clone())).unwrap();
    let sd = SdJwt::parse(&sd.to_compact()).unwrap();
    let reveal = [
        ClaimPath::parse("/age_over_18").unwrap(),
        ClaimPath::parse("/real_name_verified").unwrap(),
    ];
    let params = KeyBindingParams {
        nonce: "nonce-1".into(),
        audience: "did:web:bank.example".into(),
        issued_at: NOW,
    };
    let p = sd
        .present(&reveal)
        .unwrap()
        .bind(&params, &KeySigner::new(holder))
        .unwrap();
    (p.to_compact(), issuer.public_key())
}

/// The two signature checks inside a presentation, done bare: the issuer JWS and the KB-JWT
/// signing inputs and signatures, extracted once, verified with the raw library.
fn bare_inputs(presentation: &str) -> [(Vec<u8>, Vec<u8>); 2] {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let issuer_jwt = presentation.split('~').next().unwrap();
    let kb_jwt = presentation.rsplit('~').next().unwrap();
    [issuer_jwt, kb_jwt].map(|jwt| {
        let (input, sig) = jwt.rsplit_once('.').unwrap();
        (input.as_bytes().to_vec(), b64.decode(sig).unwrap())
    })
}

fn sd_jwt_vc(c: &mut Criterion) {
    for (alg, name) in [(Algorithm::EdDsa, "Ed25519"), (Algorithm::Es256, "ES256")] {
        let (p, issuer_key) = presentation(alg);
        let holder_key = verify_once(&p, &issuer_key);
        let options = VcVerifyOptions {
            key_binding: Some(KeyBindingCheck::new("nonce-1", "did:web:bank.example")),
            ..VcVerifyOptions::default()
        };
        let resolve = |_: &Map<String, Value>, _: &Map<String, Value>| Ok(issuer_key.clone());
        let mut group = c.benchmark_group(format!("sd_jwt_vc_{name}"));
        group.bench_function("verify_presentation_with_kb", |b| {
            b.iter(|| verify_sd_jwt_vc(black_box(&p), &options, &resolve, NOW).unwrap())
        });
        let [issuer_sig, kb_sig] = bare_inputs(&p);
        match alg {
            Algorithm::EdDsa => {
                let (PublicKey::Ed25519(ik), PublicKey::Ed25519(hk)) = (&issuer_key, &holder_key)
                else {
                    unreachable!()
                };
                let s1 = ed25519_dalek::Signature::from_slice(&issuer_sig.1).unwrap();
                let s2 = ed25519_dalek::Signature::from_slice(&kb_sig.1).unwrap();
                group.bench_function("two_bare_verifications_dalek", |b| {
                    b.iter(|| {
                        ik.verify_strict(black_box(&issuer_sig.0), &s1).unwrap();
                        hk.verify_strict(black_box(&kb_sig.0), &s2).unwrap();
                    })
                });
            }
            Algorithm::Es256 => {
                let ik = openssl_key(&issuer_key);
                let hk = openssl_key(&holder_key);
                let s1 = openssl_sig(&issuer_sig.1);
                let s2 = openssl_sig(&kb_sig.1);
                group.bench_function("two_bare_verifications_openssl", |b| {
                    b.iter(|| {
                        let d1 = openssl::sha::sha256(black_box(&issuer_sig.0));
                        assert!(s1.verify(&d1, &ik).unwrap());
                        let d2 = openssl::sha::sha256(black_box(&kb_sig.0));
                        assert!(s2.verify(&d2, &hk).unwrap());
                    })
                });
            }
        }
        group.finish();
    }
}

fn verify_once(p: &str, issuer_key: &PublicKey) -> PublicKey {
    let options = VcVerifyOptions {
        key_binding: Some(KeyBindingCheck::new("nonce-1", "did:web:bank.example")),
        ..VcVerifyOptions::default()
    };
    let resolve = |_: &Map<String, Value>, _: &Map<String, Value>| Ok(issuer_key.clone());
    verify_sd_jwt_vc(p, &options, &resolve, NOW)
        .unwrap()
        .holder_key
        .unwrap()
}

fn openssl_key(key: &PublicKey) -> openssl::ec::EcKey<openssl::pkey::Public> {
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let mut ctx = openssl::bn::BigNumContext::new().unwrap();
    let point = openssl::ec::EcPoint::from_bytes(&group, &key.to_bytes(), &mut ctx).unwrap();
    openssl::ec::EcKey::from_public_key(&group, &point).unwrap()
}

fn openssl_sig(sig: &[u8]) -> openssl::ecdsa::EcdsaSig {
    let r = openssl::bn::BigNum::from_slice(&sig[..32]).unwrap();
    let s = openssl::bn::BigNum::from_slice(&sig[32..]).unwrap();
    openssl::ecdsa::EcdsaSig::from_private_components(r, s).unwrap()
}

fn jws(c: &mut Criterion) {
    let payload = br#"{"iss":"did:realdid:x","iat":1795000000,"status_list":{"bits":2,"lst":"eNo76fITAAPfAgc"}}"#;
    for (alg, name) in [(Algorithm::EdDsa, "Ed25519"), (Algorithm::Es256, "ES256")] {
        let key = SigningKey::generate(alg).unwrap();
        let signer = KeySigner::new(key.clone());
        let public = key.public_key();
        let token = sign_compact(&Map::new(), payload, &signer).unwrap();
        let mut group = c.benchmark_group(format!("jws_{name}"));
        group.bench_function("sign", |b| {
            b.iter(|| sign_compact(&Map::new(), black_box(payload), &signer).unwrap())
        });
        group.bench_function("verify", |b| {
            b.iter(|| {
                CompactJws::parse(black_box(&token))
                    .unwrap()
                    .verify(&public)
                    .unwrap()
            })
        });
        group.finish();
    }
}

fn status_lists(c: &mut Criterion) {
    let mut token = StatusList::new(StatusBits::Two, 1 << 20).unwrap();
    token.set(123_457, Status::SUSPENDED).unwrap();
    let object = token.encode().unwrap();
    let mut bitstring = BitstringStatusList::new(StatusSize::new(1).unwrap(), 1 << 17).unwrap();
    bitstring.set(99_999, 1).unwrap();
    let mut group = c.benchmark_group("status_list");
    group.bench_function("token_get", |b| {
        b.iter(|| token.get(black_box(123_457)).unwrap())
    });
    group.bench_function("bitstring_get", |b| {
        b.iter(|| bitstring.get(black_box(99_999)).unwrap())
    });
    group.bench_function("token_decode_1Mi_entries", |b| {
        b.iter(|| StatusList::decode(black_box(&object)).unwrap())
    });
    group.finish();
}

/// What a validator pays per transaction signature: alone under each rule, and per signature
/// in a settled batch (the memo is new at each pass, so every signature is checked).
fn signature_rules(c: &mut Criterion) {
    let message = vec![7u8; 180];
    let signed: Vec<(PublicKey, Vec<u8>)> = (0..256)
        .map(|_| {
            let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
            (key.public_key(), key.sign(&message).unwrap())
        })
        .collect();
    let mut group = c.benchmark_group("ed25519 transaction signature");
    let (key, signature) = &signed[0];
    for (name, rule) in [
        ("strict", SignatureRule::Strict),
        ("chain", SignatureRule::Chain),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| key.verify_under(rule, &message, signature).unwrap())
        });
    }
    // The same acceptance rule as realdid's strict check, which skips the final encoding.
    let PublicKey::Ed25519(dalek) = key else {
        unreachable!("an EdDSA key")
    };
    let dalek_signature = ed25519_dalek::Signature::from_slice(signature).unwrap();
    group.bench_function("strict, by ed25519-dalek's verify_strict", |b| {
        b.iter(|| dalek.verify_strict(&message, &dalek_signature).unwrap())
    });
    for size in [16usize, 64, 256] {
        group.throughput(criterion::Throughput::Elements(size as u64));
        group.bench_function(format!("chain, batch of {size}"), |b| {
            b.iter(|| {
                let memo = SignatureMemo::with_capacity(size);
                let deferred = memo.deferred();
                for (key, signature) in &signed[..size] {
                    deferred
                        .check(SignatureRule::Chain, key, &message, signature)
                        .unwrap();
                }
                assert!(deferred.settle());
            })
        });
    }
    group.finish();
}

/// Threshold escrow: what an enrolment pays to seal one identity record for 2-of-3 and
/// 3-of-5 approvers, what one approver pays to release its share, what the officer pays
/// to open the record with k shares, and what re-sealing one record to a new set of the
/// same shape costs an old approver and the issuer.
fn escrow(c: &mut Criterion) {
    use realdid_core::escrow::{
        ApproverSecret, OfficerSecret, open, release_share, reshare, reshare_contribution, seal,
    };
    let mut group = c.benchmark_group("escrow");
    let record = vec![7u8; 200];
    let officer = OfficerSecret::generate().unwrap();
    let anchor = [3u8; 32];
    for (k, n) in [(2u8, 3usize), (3, 5)] {
        let secrets: Vec<ApproverSecret> = (0..n)
            .map(|i| ApproverSecret::generate(&format!("judge-{i}")).unwrap())
            .collect();
        let publics: Vec<_> = secrets.iter().map(ApproverSecret::public).collect();
        group.bench_function(format!("seal {k} of {n}"), |b| {
            b.iter(|| seal("did:realdid:x e1", &record, &publics, k).unwrap())
        });
        let sealed = seal("did:realdid:x e1", &record, &publics, k).unwrap();
        group.bench_function(format!("release one share, {k} of {n}"), |b| {
            b.iter(|| release_share(&sealed, &secrets[0], &anchor, &officer.public()).unwrap())
        });
        let shares: Vec<_> = secrets[..usize::from(k)]
            .iter()
            .map(|s| release_share(&sealed, s, &anchor, &officer.public()).unwrap())
            .collect();
        group.bench_function(format!("open with {k} shares"), |b| {
            b.iter(|| open(&sealed, &shares, &officer, &anchor).unwrap())
        });
        let next: Vec<_> = (0..n)
            .map(|i| ApproverSecret::generate(&format!("judge-{}", i + n)).unwrap())
            .map(|s| s.public())
            .collect();
        group.bench_function(format!("reshare contribution, {k} of {n}"), |b| {
            b.iter(|| reshare_contribution(&sealed, &secrets[0], k, &next).unwrap())
        });
        let contributions: Vec<_> = secrets[..usize::from(k)]
            .iter()
            .map(|s| reshare_contribution(&sealed, s, k, &next).unwrap())
            .collect();
        group.bench_function(format!("reshare with {k} contributions"), |b| {
            b.iter(|| reshare(&sealed, k, &next, &contributions).unwrap())
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    sd_jwt_vc,
    jws,
    status_lists,
    signature_rules,
    escrow
);
criterion_main!(benches);
