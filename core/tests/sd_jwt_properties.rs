//! SD-JWT and SD-JWT VC: issue → present → verify round trips for both key algorithms,
//! one negative test per rule (each asserting the specific error), and properties: no single
//! bit flip of a presentation verifies, and no input makes the verifier or parser panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use proptest::prelude::*;
use realdid_core::ErrorKind;
use realdid_core::jws::{KeySigner, sign_compact};
use realdid_core::keys::{Algorithm, Jwk, PublicKey, SigningKey};
use realdid_core::sd_jwt::{
    ClaimPath, Disclosure, KeyBindingCheck, KeyBindingParams, Limits, SdJwt, SdJwtBuilder,
    SdJwtError, SdJwtVcIssuance, StatusListReference, UnverifiedSdJwt, VcVerifyOptions,
    VerifyOptions, disclosure_digest, issue_sd_jwt_vc, issue_sd_jwt_vc_with_salts, verify,
    verify_sd_jwt_vc,
};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_750_000_000;
const ISSUER: &str = "https://issuer.example";
const VERIFIER: &str = "https://verifier.example";
const NONCE: &str = "n-0S6_WzA2Mj";
const TYP: &str = "example+sd-jwt";

struct Party {
    signer: KeySigner,
    public: PublicKey,
}

fn party(alg: Algorithm) -> Party {
    let key = SigningKey::generate(alg).unwrap();
    Party {
        public: key.public_key(),
        signer: KeySigner::new(key),
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn claims() -> Map<String, Value> {
    object(json!({
        "iss": ISSUER,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "sub": "did:example:alice",
        "given_name": "Alice",
        "family_name": "Zhang",
        "address": {"street": "1 Main St", "city": "Beijing", "country": "CN"},
        "nationalities": ["CN", "SG"],
        "degrees": [{"type": "BSc", "year": 2010}, {"type": "MSc", "year": 2012}],
    }))
}

const DISCLOSABLE: [&str; 10] = [
    "/given_name",
    "/family_name",
    "/address",
    "/address/street",
    "/address/city",
    "/nationalities/0",
    "/nationalities/1",
    "/degrees/1",
    "/degrees/1/type",
    "/degrees/1/year",
];

const REVEAL: [&str; 4] = [
    "/given_name",
    "/address/city",
    "/nationalities/1",
    "/degrees/1/year",
];

fn paths(pointers: &[&str]) -> Vec<ClaimPath> {
    pointers
        .iter()
        .map(|p| ClaimPath::parse(p).unwrap())
        .collect()
}

fn issue(issuer: &Party, holder: &PublicKey) -> SdJwt {
    DISCLOSABLE
        .iter()
        .fold(SdJwtBuilder::new(claims()), |b, p| b.disclosable(p))
        .decoys(2)
        .holder_key(holder)
        .sign(&issuer.signer, TYP)
        .unwrap()
}

fn params(nonce: &str, audience: &str, issued_at: i64) -> KeyBindingParams {
    KeyBindingParams {
        nonce: nonce.into(),
        audience: audience.into(),
        issued_at,
    }
}

fn options_kb() -> VerifyOptions {
    VerifyOptions {
        expected_typ: Some(TYP.into()),
        key_binding: Some(KeyBindingCheck::new(NONCE, VERIFIER)),
        ..VerifyOptions::default()
    }
}

fn options_no_kb() -> VerifyOptions {
    VerifyOptions {
        expected_typ: Some(TYP.into()),
        ..VerifyOptions::default()
    }
}

fn expected_claims(holder: &PublicKey) -> Value {
    json!({
        "iss": ISSUER,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "sub": "did:example:alice",
        "given_name": "Alice",
        "address": {"city": "Beijing", "country": "CN"},
        "nationalities": ["SG"],
        "degrees": [{"type": "BSc", "year": 2010}, {"year": 2012}],
        "cnf": {"jwk": serde_json::to_value(Jwk::from_public_key(holder).unwrap()).unwrap()},
    })
}

/// A bound presentation of REVEAL by a fresh Ed25519 issuer and ES256 holder.
struct Fixture {
    issuer: Party,
    holder: Party,
    sd_jwt: SdJwt,
    presentation: String,
}

fn fixture() -> Fixture {
    let issuer = party(Algorithm::EdDsa);
    let holder = party(Algorithm::Es256);
    let sd_jwt = issue(&issuer, &holder.public);
    let presentation = sd_jwt
        .present(&paths(&REVEAL))
        .unwrap()
        .bind(&params(NONCE, VERIFIER, NOW), &holder.signer)
        .unwrap()
        .to_compact();
    Fixture {
        issuer,
        holder,
        sd_jwt,
        presentation,
    }
}

fn round_trip(issuer_alg: Algorithm, holder_alg: Algorithm) {
    let issuer = party(issuer_alg);
    let holder = party(holder_alg);
    let sd_jwt = issue(&issuer, &holder.public);
    let presentation = sd_jwt
        .present(&paths(&REVEAL))
        .unwrap()
        .bind(&params(NONCE, VERIFIER, NOW - 5), &holder.signer)
        .unwrap();
    let what = format!("issuer {issuer_alg}, holder {holder_alg}");

    for text in [presentation.to_compact(), presentation.to_json().unwrap()] {
        let verified = verify(&text, &options_kb(), &issuer.public, NOW)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            Value::Object(verified.claims),
            expected_claims(&holder.public),
            "{what}"
        );
        assert_eq!(verified.holder_key.as_ref(), Some(&holder.public), "{what}");
        let mut disclosed: Vec<String> =
            verified.disclosed.iter().map(ToString::to_string).collect();
        disclosed.sort_unstable();
        assert_eq!(
            disclosed,
            [
                "/address",
                "/address/city",
                "/degrees/1",
                "/degrees/1/year",
                "/given_name",
                "/nationalities/0",
            ],
            "{what}"
        );
        let kb = verified.key_binding.unwrap();
        assert_eq!((kb.nonce.as_str(), kb.issued_at), (NONCE, NOW - 5));
    }
}

#[test]
fn round_trip_ed25519_issuer_ed25519_holder() {
    round_trip(Algorithm::EdDsa, Algorithm::EdDsa);
}

#[test]
fn round_trip_ed25519_issuer_es256_holder() {
    round_trip(Algorithm::EdDsa, Algorithm::Es256);
}

#[test]
fn round_trip_es256_issuer_ed25519_holder() {
    round_trip(Algorithm::Es256, Algorithm::EdDsa);
}

#[test]
fn round_trip_es256_issuer_es256_holder() {
    round_trip(Algorithm::Es256, Algorithm::Es256);
}

#[test]
fn issued_payload_shape() {
    let f = fixture();
    let payload = f.sd_jwt.payload().unwrap();
    assert_eq!(payload["_sd_alg"], "sha-256");
    // 3 disclosable top-level claims + 2 decoys, sorted.
    let top: Vec<&str> = payload["_sd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(top.len(), 5);
    assert!(top.windows(2).all(|w| w[0] < w[1]));
    assert!(payload.get("given_name").is_none());
    assert_eq!(payload["nationalities"].as_array().unwrap().len(), 2);
    assert!(payload["nationalities"][0].get("...").is_some());
    assert_eq!(payload["degrees"][0], json!({"type": "BSc", "year": 2010}));
    assert_eq!(f.sd_jwt.disclosures().len(), DISCLOSABLE.len());
    for d in f.sd_jwt.disclosures() {
        assert_eq!(B64.decode(d.salt()).unwrap().len(), 16);
    }
    // The holder's view is the issuer's input plus cnf.
    let mut view = f.sd_jwt.claims().unwrap();
    assert!(view.shift_remove("cnf").is_some());
    assert_eq!(Value::Object(view), Value::Object(claims()));
    let mut disclosable: Vec<String> = f
        .sd_jwt
        .disclosable_paths()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    disclosable.sort_unstable();
    let mut expected = DISCLOSABLE.to_vec();
    expected.sort_unstable();
    assert_eq!(disclosable, expected);
}

#[test]
fn issuance_round_trips_through_both_serialisations() {
    let f = fixture();
    let compact = f.sd_jwt.to_compact();
    assert_eq!(SdJwt::parse(&compact).unwrap(), f.sd_jwt);
    assert_eq!(
        SdJwt::parse(&f.sd_jwt.to_json().unwrap()).unwrap(),
        f.sd_jwt
    );
    // The holder can verify what it received (no key binding).
    let verified = verify(&compact, &options_no_kb(), &f.issuer.public, NOW).unwrap();
    assert_eq!(verified.disclosed.len(), DISCLOSABLE.len());
}

#[test]
fn deterministic_salts_give_identical_issuance() {
    let issuer = party(Algorithm::EdDsa); // Ed25519 signatures are deterministic
    let holder = party(Algorithm::EdDsa);
    let make = || {
        let mut counter = 0u8;
        let mut salts = move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                counter = counter.wrapping_add(1);
                *b = counter;
            }
        };
        DISCLOSABLE
            .iter()
            .fold(SdJwtBuilder::new(claims()), |b, p| b.disclosable(p))
            .decoys(1)
            .holder_key(&holder.public)
            .sign_with_salts(&issuer.signer, TYP, &mut salts)
            .unwrap()
    };
    let (a, b) = (make(), make());
    assert_eq!(a.to_compact(), b.to_compact());
    assert_eq!(
        a.disclosures()[0].salt(),
        B64.encode((1..=16).collect::<Vec<u8>>())
    );
}

#[test]
fn presenting_a_nested_claim_reveals_its_parents_only() {
    let f = fixture();
    let p = f.sd_jwt.present(&paths(&["/address/street"])).unwrap();
    let verified = verify(&p.to_compact(), &options_no_kb(), &f.issuer.public, NOW).unwrap();
    assert_eq!(
        verified.claims["address"],
        json!({"country": "CN", "street": "1 Main St"})
    );
    assert!(verified.claims.get("given_name").is_none());
    // Revealing /address reveals the whole address.
    let p = f.sd_jwt.present(&paths(&["/address"])).unwrap();
    let verified = verify(&p.to_compact(), &options_no_kb(), &f.issuer.public, NOW).unwrap();
    assert_eq!(
        verified.claims["address"],
        json!({"street": "1 Main St", "city": "Beijing", "country": "CN"})
    );
    // Nothing revealed: only plain claims; arrays keep their plain elements.
    let p = f.sd_jwt.present(&[]).unwrap();
    let verified = verify(&p.to_compact(), &options_no_kb(), &f.issuer.public, NOW).unwrap();
    assert_eq!(verified.claims["nationalities"], json!([]));
    assert_eq!(
        verified.claims["degrees"],
        json!([{"type": "BSc", "year": 2010}])
    );
    assert!(matches!(
        f.sd_jwt.present(&paths(&["/address/zip"])),
        Err(SdJwtError::PathNotFound { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// Negative cases, one per rule.

fn split(presentation: &str) -> (String, Vec<String>, String) {
    let mut parts: Vec<String> = presentation.split('~').map(Into::into).collect();
    let kb = parts.pop().unwrap();
    let jwt = parts.remove(0);
    (jwt, parts, kb)
}

fn join(jwt: &str, disclosures: &[String], kb: &str) -> String {
    let mut out = format!("{jwt}~");
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    out.push_str(kb);
    out
}

fn verify_no_kb(f: &Fixture, text: &str) -> Result<(), SdJwtError> {
    verify(text, &options_no_kb(), &f.issuer.public, NOW).map(|_| ())
}

fn verify_kb(f: &Fixture, text: &str) -> Result<(), SdJwtError> {
    verify(text, &options_kb(), &f.issuer.public, NOW).map(|_| ())
}

fn bound(f: &Fixture, params: &KeyBindingParams, holder: &KeySigner) -> String {
    f.sd_jwt
        .present(&paths(&REVEAL))
        .unwrap()
        .bind(params, holder)
        .unwrap()
        .to_compact()
}

/// Signs a hand-made issuer payload, for rules the builder never breaks.
fn signed(issuer: &Party, payload: &Value) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), TYP.into());
    sign_compact(
        &header,
        &serde_json::to_vec(payload).unwrap(),
        &issuer.signer,
    )
    .unwrap()
}

#[test]
fn the_fixture_verifies() {
    let f = fixture();
    verify_kb(&f, &f.presentation).unwrap();
}

#[test]
fn tampered_disclosure_is_unreferenced() {
    let f = fixture();
    let (jwt, mut ds, kb) = split(&f.presentation);
    let original = Disclosure::parse(&ds[0], 0).unwrap();
    let forged = match original.name() {
        Some(name) => Disclosure::property(original.salt(), name, json!("Mallory")),
        None => Disclosure::array_element(original.salt(), json!("Mallory")),
    }
    .unwrap();
    ds[0] = forged.encoded().into();
    let err = verify_no_kb(&f, &join(&jwt, &ds, "")).unwrap_err();
    assert!(
        matches!(err, SdJwtError::UnreferencedDisclosure { index: 0 }),
        "{err}"
    );
    // With key binding the sd_hash no longer matches either; the disclosure check comes first.
    let err = verify_kb(&f, &join(&jwt, &ds, &kb)).unwrap_err();
    assert!(
        matches!(err, SdJwtError::UnreferencedDisclosure { .. }),
        "{err}"
    );
}

#[test]
fn duplicated_disclosure() {
    let f = fixture();
    let (jwt, mut ds, _) = split(&f.presentation);
    ds.push(ds[1].clone());
    let err = verify_no_kb(&f, &join(&jwt, &ds, "")).unwrap_err();
    assert!(
        matches!(err, SdJwtError::DuplicateDisclosure { index, first: 1 } if index == ds.len() - 1),
        "{err}"
    );
}

#[test]
fn unreferenced_disclosure() {
    let f = fixture();
    let (jwt, mut ds, _) = split(&f.presentation);
    let stranger = Disclosure::property("c2FsdHNhbHRzYWx0", "age", json!(42)).unwrap();
    ds.insert(1, stranger.encoded().into());
    let err = verify_no_kb(&f, &join(&jwt, &ds, "")).unwrap_err();
    assert!(
        matches!(err, SdJwtError::UnreferencedDisclosure { index: 1 }),
        "{err}"
    );
}

#[test]
fn disclosure_of_an_undisclosed_parent_is_unreferenced() {
    let f = fixture();
    // Only the street, without the address disclosure it hangs from.
    let street = f
        .sd_jwt
        .disclosures()
        .iter()
        .find(|d| d.name() == Some("street"))
        .unwrap();
    let text = join(f.sd_jwt.issuer_jwt(), &[street.encoded().into()], "");
    let err = verify_no_kb(&f, &text).unwrap_err();
    assert!(
        matches!(err, SdJwtError::UnreferencedDisclosure { index: 0 }),
        "{err}"
    );
}

#[test]
fn wrong_kb_key() {
    let f = fixture();
    let other = party(Algorithm::Es256);
    let err = verify_kb(&f, &bound(&f, &params(NONCE, VERIFIER, NOW), &other.signer)).unwrap_err();
    assert!(matches!(err, SdJwtError::KeyBindingSignature(_)), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    // A key of the other algorithm fails on alg before the signature.
    let other = party(Algorithm::EdDsa);
    let err = verify_kb(&f, &bound(&f, &params(NONCE, VERIFIER, NOW), &other.signer)).unwrap_err();
    assert!(matches!(err, SdJwtError::KeyBindingSignature(_)), "{err}");
}

#[test]
fn wrong_nonce() {
    let f = fixture();
    let err = verify_kb(
        &f,
        &bound(&f, &params("other", VERIFIER, NOW), &f.holder.signer),
    )
    .unwrap_err();
    assert!(
        matches!(&err, SdJwtError::NonceMismatch { expected, found } if expected == NONCE && found == "other"),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Rejected);
}

#[test]
fn wrong_audience() {
    let f = fixture();
    let err = verify_kb(
        &f,
        &bound(
            &f,
            &params(NONCE, "https://evil.example", NOW),
            &f.holder.signer,
        ),
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::AudienceMismatch { .. }), "{err}");
}

#[test]
fn stale_and_future_kb_iat() {
    let f = fixture();
    let max_age = options_kb().key_binding.unwrap().max_age;
    let leeway = options_kb().leeway;
    let stale = NOW - max_age - leeway - 1;
    let err = verify_kb(
        &f,
        &bound(&f, &params(NONCE, VERIFIER, stale), &f.holder.signer),
    )
    .unwrap_err();
    assert!(
        matches!(err, SdJwtError::KeyBindingStale { iat, .. } if iat == stale),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Expired);
    // Just inside the window still verifies.
    verify_kb(
        &f,
        &bound(&f, &params(NONCE, VERIFIER, stale + 1), &f.holder.signer),
    )
    .unwrap();
    let future = NOW + leeway + 1;
    let err = verify_kb(
        &f,
        &bound(&f, &params(NONCE, VERIFIER, future), &f.holder.signer),
    )
    .unwrap_err();
    assert!(
        matches!(err, SdJwtError::KeyBindingFromFuture { .. }),
        "{err}"
    );
}

#[test]
fn sd_hash_mismatch() {
    let f = fixture();
    // Drop one disclosure (a leaf: the rest stays consistent) but keep the KB-JWT.
    let (jwt, mut ds, kb) = split(&f.presentation);
    let leaf = ds
        .iter()
        .position(|d| Disclosure::parse(d, 0).unwrap().name() == Some("given_name"))
        .unwrap();
    ds.remove(leaf);
    let err = verify_kb(&f, &join(&jwt, &ds, &kb)).unwrap_err();
    assert!(matches!(err, SdJwtError::SdHashMismatch), "{err}");
    // A KB-JWT from another presentation of the same credential.
    let other = bound(&f, &params(NONCE, VERIFIER, NOW), &f.holder.signer);
    let (_, _, other_kb) = split(
        &f.sd_jwt
            .present(&[])
            .unwrap()
            .bind(&params(NONCE, VERIFIER, NOW), &f.holder.signer)
            .unwrap()
            .to_compact(),
    );
    let (jwt, ds, _) = split(&other);
    let err = verify_kb(&f, &join(&jwt, &ds, &other_kb)).unwrap_err();
    assert!(matches!(err, SdJwtError::SdHashMismatch), "{err}");
}

#[test]
fn key_binding_required_but_absent() {
    let f = fixture();
    let text = f.sd_jwt.present(&paths(&REVEAL)).unwrap().to_compact();
    let err = verify_kb(&f, &text).unwrap_err();
    assert!(matches!(err, SdJwtError::KeyBindingRequired), "{err}");
    // Without a cnf there is no key to bind to.
    let unbound = SdJwtBuilder::new(claims())
        .sign(&f.issuer.signer, TYP)
        .unwrap();
    let text = unbound
        .present(&[])
        .unwrap()
        .bind(&params(NONCE, VERIFIER, NOW), &f.holder.signer)
        .unwrap()
        .to_compact();
    let err = verify_kb(&f, &text).unwrap_err();
    assert!(matches!(err, SdJwtError::NoHolderKey), "{err}");
}

#[test]
fn garbage_kb_jwt_is_refused_even_when_not_required() {
    let f = fixture();
    let (jwt, ds, _) = split(&f.presentation);
    let err = verify_no_kb(&f, &join(&jwt, &ds, "not-a-jwt")).unwrap_err();
    assert!(matches!(err, SdJwtError::KeyBindingSignature(_)), "{err}");
    verify_no_kb(&f, &f.presentation).unwrap();
}

#[test]
fn expired_and_not_yet_valid() {
    let f = fixture();
    let leeway = options_kb().leeway;
    let exp = NOW + 3600;
    let err = verify(
        &f.presentation,
        &options_no_kb(),
        &f.issuer.public,
        exp + leeway,
    )
    .unwrap_err();
    assert!(
        matches!(err, SdJwtError::Expired { exp: e, .. } if e == exp),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Expired);
    verify(
        &f.presentation,
        &options_no_kb(),
        &f.issuer.public,
        exp + leeway - 1,
    )
    .unwrap();

    let mut c = claims();
    c.insert("nbf".into(), json!(NOW + 1000));
    let sd_jwt = SdJwtBuilder::new(c).sign(&f.issuer.signer, TYP).unwrap();
    let err = verify(
        &sd_jwt.to_compact(),
        &options_no_kb(),
        &f.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::NotYetValid { .. }), "{err}");

    let mut c = claims();
    c.insert("iat".into(), json!(NOW + 1000));
    let sd_jwt = SdJwtBuilder::new(c).sign(&f.issuer.signer, TYP).unwrap();
    let err = verify(
        &sd_jwt.to_compact(),
        &options_no_kb(),
        &f.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::IssuedInFuture { .. }), "{err}");

    let mut c = claims();
    c.insert("exp".into(), json!("tomorrow"));
    let sd_jwt = SdJwtBuilder::new(c).sign(&f.issuer.signer, TYP).unwrap();
    let err = verify(
        &sd_jwt.to_compact(),
        &options_no_kb(),
        &f.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidClaim { .. }), "{err}");
}

#[test]
fn wrong_typ() {
    let f = fixture();
    let options = VerifyOptions {
        expected_typ: Some("dc+sd-jwt".into()),
        ..options_kb()
    };
    let err = verify(&f.presentation, &options, &f.issuer.public, NOW).unwrap_err();
    assert!(
        matches!(&err, SdJwtError::Typ { expected, found: Some(found) } if expected == "dc+sd-jwt" && found == TYP),
        "{err}"
    );
    // A KB-JWT typ other than kb+jwt.
    let (jwt, ds, _) = split(&f.presentation);
    let mut header = Map::new();
    header.insert("typ".into(), "JWT".into());
    let kb = sign_compact(&header, b"{}", &f.holder.signer).unwrap();
    let err = verify_kb(&f, &join(&jwt, &ds, &kb)).unwrap_err();
    assert!(matches!(err, SdJwtError::Typ { .. }), "{err}");
}

#[test]
fn wrong_issuer_key() {
    let f = fixture();
    let other = party(Algorithm::EdDsa);
    let err = verify(&f.presentation, &options_kb(), &other.public, NOW).unwrap_err();
    assert!(matches!(err, SdJwtError::IssuerSignature(_)), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[test]
fn sd_alg_other_than_sha256() {
    let issuer = party(Algorithm::EdDsa);
    for alg in [json!("sha-512"), json!("SHA-256"), json!(256)] {
        let jwt = signed(&issuer, &json!({"iss": ISSUER, "_sd_alg": alg}));
        let err = verify(&format!("{jwt}~"), &options_no_kb(), &issuer.public, NOW).unwrap_err();
        assert!(
            matches!(err, SdJwtError::UnsupportedSdAlg { .. }),
            "{alg}: {err}"
        );
        assert_eq!(err.kind(), ErrorKind::Unsupported);
    }
}

#[test]
fn disclosure_named_sd_or_ellipsis() {
    let issuer = party(Algorithm::EdDsa);
    for name in ["_sd", "..."] {
        let disclosure = B64.encode(format!(r#"["c2FsdA", "{name}", "x"]"#));
        let jwt = signed(
            &issuer,
            &json!({"iss": ISSUER, "_sd": [disclosure_digest(&disclosure)], "_sd_alg": "sha-256"}),
        );
        let text = format!("{jwt}~{disclosure}~");
        let err = verify(&text, &options_no_kb(), &issuer.public, NOW).unwrap_err();
        assert!(
            matches!(&err, SdJwtError::ReservedClaimName { name: n } if n == name),
            "{name}: {err}"
        );
    }
    // The builder refuses such names in its input too.
    let err = SdJwtBuilder::new(object(json!({"a": {"_sd": 1}})))
        .sign(&issuer.signer, TYP)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::ReservedClaimName { .. }), "{err}");
}

#[test]
fn disclosed_name_collides_with_plain_claim() {
    let issuer = party(Algorithm::EdDsa);
    let d = Disclosure::property("c2FsdA", "given_name", json!("Eve")).unwrap();
    let jwt = signed(
        &issuer,
        &json!({"iss": ISSUER, "given_name": "Alice", "_sd": [d.digest()]}),
    );
    let err = verify(
        &format!("{jwt}~{}~", d.encoded()),
        &options_no_kb(),
        &issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::ClaimCollision { .. }), "{err}");
}

#[test]
fn duplicate_digest_in_payload() {
    let issuer = party(Algorithm::EdDsa);
    let d = Disclosure::property("c2FsdA", "a", json!(1)).unwrap();
    let jwt = signed(
        &issuer,
        &json!({"iss": ISSUER, "_sd": [d.digest()], "x": [{"...": d.digest()}]}),
    );
    // Even with the disclosure withheld, the repeated digest is refused.
    let err = verify(&format!("{jwt}~"), &options_no_kb(), &issuer.public, NOW).unwrap_err();
    assert!(matches!(err, SdJwtError::DuplicateDigest { .. }), "{err}");
}

#[test]
fn array_disclosure_in_sd_is_the_wrong_kind() {
    let issuer = party(Algorithm::EdDsa);
    let d = Disclosure::array_element("c2FsdA", json!(1)).unwrap();
    let jwt = signed(&issuer, &json!({"iss": ISSUER, "_sd": [d.digest()]}));
    let err = verify(
        &format!("{jwt}~{}~", d.encoded()),
        &options_no_kb(),
        &issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(
        matches!(err, SdJwtError::DisclosureKind { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn limits() {
    let f = fixture();
    let tight = |limits: Limits| VerifyOptions {
        limits,
        ..options_kb()
    };
    let err = verify(
        &f.presentation,
        &tight(Limits {
            max_len: 100,
            ..Limits::default()
        }),
        &f.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::TooLarge { .. }), "{err}");
    let err = verify(
        &f.presentation,
        &tight(Limits {
            max_disclosures: 2,
            ..Limits::default()
        }),
        &f.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(
        matches!(err, SdJwtError::TooManyDisclosures { max: 2, .. }),
        "{err}"
    );
    let err = verify(
        &f.presentation,
        &tight(Limits {
            max_depth: 2,
            ..Limits::default()
        }),
        &f.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::TooDeep { max: 2 }), "{err}");

    // The issuer refuses what the verifier would refuse.
    let mut deep = json!(1);
    for _ in 0..40 {
        deep = json!([deep]);
    }
    let err = SdJwtBuilder::new(object(json!({"deep": deep})))
        .sign(&f.issuer.signer, TYP)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::TooDeep { .. }), "{err}");
}

#[test]
fn builder_path_errors() {
    let issuer = party(Algorithm::EdDsa);
    let err = SdJwtBuilder::new(claims())
        .disclosable("/nope")
        .sign(&issuer.signer, TYP)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::PathNotFound { .. }), "{err}");
    let err = SdJwtBuilder::new(claims())
        .disclosable("given_name")
        .sign(&issuer.signer, TYP)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidPath { .. }), "{err}");
    let err = SdJwtBuilder::new(claims())
        .disclosable("")
        .sign(&issuer.signer, TYP)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidPath { .. }), "{err}");
    let mut c = claims();
    c.insert("cnf".into(), json!({}));
    let err = SdJwtBuilder::new(c)
        .holder_key(&issuer.public)
        .sign(&issuer.signer, TYP)
        .unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidClaims { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------
// SD-JWT VC profile.

fn vc_issuance(holder: &PublicKey) -> SdJwtVcIssuance {
    let mut vc = SdJwtVcIssuance::new("did:realdid:issuer", "https://realdid.example/vct/identity");
    vc.issued_at = Some(NOW - 10);
    vc.expires_at = Some(NOW + 86_400);
    vc.status = Some(StatusListReference {
        idx: 412,
        uri: "https://status.realdid.example/lists/7".into(),
    });
    vc.holder_key = Some(holder.clone());
    vc.claims = object(json!({"sub": "did:key:z6Mk", "name": "张三", "birthdate": "1990-01-01"}));
    vc.disclosable = paths(&["/name", "/birthdate"]);
    vc.decoys = 1;
    vc
}

fn vc_options() -> VcVerifyOptions {
    VcVerifyOptions {
        key_binding: Some(KeyBindingCheck::new(NONCE, VERIFIER)),
        ..VcVerifyOptions::default()
    }
}

/// An SD-JWT VC issued to a holder, presented with its name disclosed and bound to
/// `NONCE` and `VERIFIER`: the issuer, the holder and the presentation.
fn name_presented() -> (Party, Party, String) {
    let issuer = party(Algorithm::EdDsa);
    let holder = party(Algorithm::EdDsa);
    let sd_jwt = issue_sd_jwt_vc(vc_issuance(&holder.public), &issuer.signer).unwrap();
    let text = sd_jwt
        .present(&paths(&["/name"]))
        .unwrap()
        .bind(&params(NONCE, VERIFIER, NOW), &holder.signer)
        .unwrap()
        .to_compact();
    (issuer, holder, text)
}

#[test]
fn sd_jwt_vc_round_trip() {
    let (issuer, holder, text) = name_presented();
    let v = verify_sd_jwt_vc(&text, &vc_options(), &issuer.public, NOW).unwrap();
    assert_eq!(v.issuer, "did:realdid:issuer");
    assert_eq!(v.vct, "https://realdid.example/vct/identity");
    assert_eq!(v.claims["name"], "张三");
    assert!(v.claims.get("birthdate").is_none());
    assert_eq!(v.holder_key.as_ref(), Some(&holder.public));
    assert_eq!(v.status.as_ref().map(|s| s.idx), Some(412));
    assert_eq!((v.iat, v.exp), (Some(NOW - 10), Some(NOW + 86_400)));
    assert_eq!(v.header["typ"], "dc+sd-jwt");
    assert!(v.key_binding.is_some());
}

/// A verifier reads `iss` and `kid` from the unverified presentation to find the issuer's key,
/// then verifies that same value: what it read is what the presenter wrote (hidden claims
/// still digests), and the verdict is the one `verify_sd_jwt_vc` gives the text.
#[test]
fn a_presentation_taken_apart_once_reads_unverified_and_verifies_as_the_text_does() {
    let (issuer, _holder, text) = name_presented();
    let taken = UnverifiedSdJwt::parse(&text, &Limits::default()).unwrap();
    assert_eq!(taken.header()["typ"], "dc+sd-jwt");
    assert_eq!(taken.payload()["iss"], "did:realdid:issuer");
    assert!(
        taken.payload().get("name").is_none(),
        "a hidden claim is a digest"
    );
    assert!(taken.payload()["_sd"].is_array());
    let verified = taken.verify_vc(&vc_options(), &issuer.public, NOW).unwrap();
    assert_eq!(
        verified,
        verify_sd_jwt_vc(&text, &vc_options(), &issuer.public, NOW).unwrap()
    );
    assert_eq!(verified.claims["name"], "张三");

    // A wrong nonce, or another issuer's key, is refused the same way either path.
    let other = party(Algorithm::EdDsa);
    for (options, key) in [
        (
            VcVerifyOptions {
                key_binding: Some(KeyBindingCheck::new("another nonce", VERIFIER)),
                ..VcVerifyOptions::default()
            },
            &issuer.public,
        ),
        (vc_options(), &other.public),
    ] {
        let taken = UnverifiedSdJwt::parse(&text, &Limits::default()).unwrap();
        let once = taken.verify_vc(&options, key, NOW).unwrap_err();
        let whole = verify_sd_jwt_vc(&text, &options, key, NOW).unwrap_err();
        assert_eq!(once.to_string(), whole.to_string());
    }

    // Beyond the limits, or without an issuer-signed JSON payload, it is not taken apart.
    let tight = Limits {
        max_len: text.len() - 1,
        ..Limits::default()
    };
    assert!(matches!(
        UnverifiedSdJwt::parse(&text, &tight),
        Err(SdJwtError::TooLarge { .. })
    ));
    let (jwt, disclosures, kb) = split(&text);
    let mut parts: Vec<&str> = jwt.split('.').collect();
    parts[1] = "bm90IGpzb24"; // "not json"
    let broken = join(&parts.join("."), &disclosures, &kb);
    assert!(matches!(
        UnverifiedSdJwt::parse(&broken, &Limits::default()),
        Err(SdJwtError::Malformed { .. })
    ));

    // The JSON serialisation of the same presentation is taken apart by `parse`, and is
    // malformed to `parse_compact`, with or without leading white space.
    let json = serde_json::to_string(&json!({
        "protected": parts[0], "payload": jwt.split('.').nth(1).unwrap(),
        "signature": parts[2], "disclosures": disclosures, "kb_jwt": kb,
    }))
    .unwrap();
    for form in [json.clone(), format!(" \n{json}")] {
        assert!(UnverifiedSdJwt::parse(&form, &Limits::default()).is_ok());
        assert!(matches!(
            UnverifiedSdJwt::parse_compact(&form, &Limits::default()),
            Err(SdJwtError::IssuerSignature(_) | SdJwtError::Malformed { .. })
        ));
    }
    assert!(UnverifiedSdJwt::parse_compact(&text, &Limits::default()).is_ok());
}

#[test]
fn sd_jwt_vc_refuses_disclosable_registered_claims() {
    let issuer = party(Algorithm::EdDsa);
    let holder = party(Algorithm::EdDsa);
    for name in ["iss", "nbf", "exp", "cnf", "vct", "status"] {
        let mut vc = vc_issuance(&holder.public);
        vc.disclosable.push(ClaimPath::root().key(name));
        let err = issue_sd_jwt_vc(vc, &issuer.signer).unwrap_err();
        assert!(
            matches!(&err, SdJwtError::NonDisclosableClaim { name: n } if n == name),
            "{name}: {err}"
        );
    }
    // Made disclosable by a generic issuer: the VC verifier refuses it.
    let sd_jwt = SdJwtBuilder::new(object(json!({
        "iss": "did:realdid:issuer", "vct": "t", "exp": NOW + 100,
    })))
    .disclosable("/exp")
    .holder_key(&holder.public)
    .sign(&issuer.signer, "dc+sd-jwt")
    .unwrap();
    let text = sd_jwt
        .present(&paths(&["/exp"]))
        .unwrap()
        .bind(&params(NONCE, VERIFIER, NOW), &holder.signer)
        .unwrap()
        .to_compact();
    let err = verify_sd_jwt_vc(&text, &vc_options(), &issuer.public, NOW).unwrap_err();
    assert!(
        matches!(err, SdJwtError::NonDisclosableClaim { .. }),
        "{err}"
    );
    // Registered claims cannot be smuggled in through `claims`.
    let mut vc = vc_issuance(&holder.public);
    vc.claims.insert("vct".into(), json!("other"));
    let err = issue_sd_jwt_vc(vc, &issuer.signer).unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidClaims { .. }), "{err}");
}

#[test]
fn sd_jwt_vc_typ_vct_iss_cnf_status() {
    let issuer = party(Algorithm::EdDsa);
    let holder = party(Algorithm::EdDsa);
    let bind = |sd_jwt: &SdJwt| {
        sd_jwt
            .present(&[])
            .unwrap()
            .bind(&params(NONCE, VERIFIER, NOW), &holder.signer)
            .unwrap()
            .to_compact()
    };
    let base = || object(json!({"iss": "did:realdid:issuer", "vct": "t"}));

    // Legacy typ: refused by default, accepted on opt-in.
    let legacy = SdJwtBuilder::new(base())
        .holder_key(&holder.public)
        .sign(&issuer.signer, "vc+sd-jwt")
        .unwrap();
    let err = verify_sd_jwt_vc(&bind(&legacy), &vc_options(), &issuer.public, NOW).unwrap_err();
    assert!(matches!(err, SdJwtError::Typ { .. }), "{err}");
    let opt_in = VcVerifyOptions {
        accept_legacy_typ: true,
        ..vc_options()
    };
    verify_sd_jwt_vc(&bind(&legacy), &opt_in, &issuer.public, NOW).unwrap();

    // Missing vct, missing iss, vct not a string.
    for (claims, missing) in [
        (object(json!({"iss": "did:realdid:issuer"})), Some("vct")),
        (object(json!({"vct": "t"})), Some("iss")),
        (object(json!({"iss": "did:realdid:issuer", "vct": 7})), None),
    ] {
        let sd_jwt = SdJwtBuilder::new(claims)
            .holder_key(&holder.public)
            .sign(&issuer.signer, "dc+sd-jwt")
            .unwrap();
        let err = verify_sd_jwt_vc(&bind(&sd_jwt), &vc_options(), &issuer.public, NOW).unwrap_err();
        match missing {
            Some(name) => assert!(
                matches!(err, SdJwtError::MissingClaim { name: n } if n == name),
                "{err}"
            ),
            None => assert!(matches!(err, SdJwtError::InvalidClaim { .. }), "{err}"),
        }
    }

    // No cnf while key binding is required.
    let unbound = SdJwtBuilder::new(base())
        .sign(&issuer.signer, "dc+sd-jwt")
        .unwrap();
    let err = verify_sd_jwt_vc(&bind(&unbound), &vc_options(), &issuer.public, NOW).unwrap_err();
    assert!(matches!(err, SdJwtError::NoHolderKey), "{err}");

    // Status shapes.
    for (status, ok) in [
        (
            json!({"status_list": {"idx": 0, "uri": "https://s.example/1"}}),
            true,
        ),
        (
            json!({"status_list": {"idx": -1, "uri": "https://s.example/1"}}),
            false,
        ),
        (
            json!({"status_list": {"uri": "https://s.example/1"}}),
            false,
        ),
        (json!({"other_mechanism": {}}), false),
        (json!("revoked?"), false),
    ] {
        let mut claims = base();
        claims.insert("status".into(), status.clone());
        let sd_jwt = SdJwtBuilder::new(claims)
            .holder_key(&holder.public)
            .sign(&issuer.signer, "dc+sd-jwt")
            .unwrap();
        let result = verify_sd_jwt_vc(&bind(&sd_jwt), &vc_options(), &issuer.public, NOW);
        assert_eq!(result.is_ok(), ok, "{status}: {result:?}");
    }
}

#[test]
fn sd_jwt_vc_deterministic_with_salts() {
    let issuer = party(Algorithm::EdDsa);
    let holder = party(Algorithm::EdDsa);
    let make = || {
        let mut salts = |buf: &mut [u8]| buf.fill(7);
        issue_sd_jwt_vc_with_salts(vc_issuance(&holder.public), &issuer.signer, &mut salts)
            .unwrap()
            .to_compact()
    };
    assert_eq!(make(), make());
}

// ---------------------------------------------------------------------------------------
// Properties.

static FIXTURE: LazyLock<Fixture> = LazyLock::new(fixture);

/// The unbound presentation of the same fixture, for the no-key-binding property.
static UNBOUND: LazyLock<String> = LazyLock::new(|| {
    FIXTURE
        .sd_jwt
        .present(&paths(&REVEAL))
        .unwrap()
        .to_compact()
});

fn flip(text: &str, position: usize, bit: u8) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    bytes[position] ^= 1 << bit;
    String::from_utf8(bytes).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// No single bit flip of a bound presentation verifies (and none panics).
    #[test]
    fn bit_flip_of_bound_presentation_never_verifies(position in 0usize..4096, bit in 0u8..8) {
        let f = &*FIXTURE;
        let position = position % f.presentation.len();
        if let Some(mutated) = flip(&f.presentation, position, bit) {
            let result = verify(&mutated, &options_kb(), &f.issuer.public, NOW);
            prop_assert!(result.is_err(), "flip at {} bit {} verified", position, bit);
        }
    }

    /// Without key binding the same holds: a flip either breaks the issuer signature, a
    /// digest, or the structure; it never yields claims.
    #[test]
    fn bit_flip_of_unbound_presentation_never_verifies(position in 0usize..4096, bit in 0u8..8) {
        let f = &*FIXTURE;
        let text = &*UNBOUND;
        let position = position % text.len();
        if let Some(mutated) = flip(text, position, bit) {
            let result = verify(&mutated, &options_no_kb(), &f.issuer.public, NOW);
            prop_assert!(result.is_err(), "flip at {} bit {} verified", position, bit);
        }
    }

    /// Arbitrary text never panics the verifier or the holder's parser.
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        let f = &*FIXTURE;
        let _ = verify(&text, &options_kb(), &f.issuer.public, NOW);
        let _ = verify(&text, &options_no_kb(), &f.issuer.public, NOW);
        let _ = SdJwt::parse(&text);
    }

    /// Text shaped like an SD-JWT (base64url runs, dots, tildes, JSON punctuation) never
    /// panics either; it reaches deeper than fully random text.
    #[test]
    fn sd_jwt_shaped_strings_never_panic(text in "[A-Za-z0-9_\\-.~{}\\[\\]\":, ]{0,300}") {
        let f = &*FIXTURE;
        let _ = verify(&text, &options_kb(), &f.issuer.public, NOW);
        let _ = SdJwt::parse(&text);
    }

    /// Splicing arbitrary text into a valid presentation never panics, and the result
    /// verifies only if the splice changed nothing.
    #[test]
    fn splices_never_panic(start in 0usize..4096, len in 0usize..64, insert in "[A-Za-z0-9_\\-.~]{0,16}") {
        let f = &*FIXTURE;
        let text = &f.presentation;
        let start = start % text.len();
        let end = (start + len).min(text.len());
        let mut mutated = String::with_capacity(text.len() + insert.len());
        mutated.push_str(&text[..start]);
        mutated.push_str(&insert);
        mutated.push_str(&text[end..]);
        let result = verify(&mutated, &options_kb(), &f.issuer.public, NOW);
        if result.is_ok() {
            prop_assert_eq!(&mutated, text);
        }
    }

    /// Disclosures built from arbitrary JSON-ish values round-trip, and their digests are
    /// what verification looks up.
    #[test]
    fn arbitrary_claim_values_round_trip(name in "[a-z_]{1,12}", value in "\\PC{0,40}", n in any::<i64>()) {
        prop_assume!(name != "_sd");
        let f = &*FIXTURE;
        let claims = object(json!({"iss": ISSUER, "v": {name.clone(): value, "n": n}}));
        let sd_jwt = SdJwtBuilder::new(claims.clone())
            .disclosable("/v")
            .disclosable_path(ClaimPath::root().key("v").key(name))
            .sign(&f.issuer.signer, TYP)
            .unwrap();
        let verified = verify(&sd_jwt.to_compact(), &options_no_kb(), &f.issuer.public, NOW).unwrap();
        prop_assert_eq!(Value::Object(verified.claims), Value::Object(claims));
    }
}
