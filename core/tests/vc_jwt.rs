//! W3C VC 2.0 as JWT: credentials and presentations, round trips for both key algorithms,
//! one negative test per rule, and no-panic properties.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

use std::sync::LazyLock;

use proptest::prelude::*;
use realdid_core::ErrorKind;
use realdid_core::jws::{KeySigner, sign_compact};
use realdid_core::keys::{Algorithm, PublicKey, SigningKey};
use realdid_core::vc_jwt::{
    BitstringStatusListEntry, CREDENTIALS_V2_CONTEXT, VcJwtError, VcVerifyOptions, VpParams,
    VpVerifyOptions, format_datetime, issue_vc_jwt, issue_vp_jwt, verify_vc_jwt, verify_vp_jwt,
};
use serde_json::{Map, Value, json};

const NOW: i64 = 1_750_000_000;
const ISSUER: &str = "did:realdid:issuer1";
const HOLDER: &str = "did:key:z6MkHolder";
const VERIFIER: &str = "https://verifier.example";
const NONCE: &str = "b4f1c2";

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

fn status() -> BitstringStatusListEntry {
    BitstringStatusListEntry {
        id: None,
        status_purpose: "revocation".into(),
        status_list_index: 94_567,
        status_list_credential: "https://status.realdid.example/3".into(),
        status_size: None,
    }
}

fn credential(subject: &str) -> Map<String, Value> {
    object(json!({
        "@context": [CREDENTIALS_V2_CONTEXT, "https://realdid.example/contexts/v1"],
        "id": "urn:uuid:2b0b1c4e-7f38-4d6b-9c1a-3f7e0d1b5a10",
        "type": ["VerifiableCredential", "RealNameCredential"],
        "issuer": {"id": ISSUER, "name": "Example Issuer"},
        "validFrom": format_datetime(NOW - 86_400).unwrap(),
        "validUntil": format_datetime(NOW + 86_400).unwrap(),
        "credentialSubject": {"id": subject, "realName": "张三"},
        "credentialStatus": status().to_value(),
    }))
}

/// The verifier's issuer lookup: one trusted issuer, by `issuer` in the payload.
fn issuer_resolver(
    key: PublicKey,
) -> impl Fn(&Map<String, Value>, &Map<String, Value>) -> Result<PublicKey, VcJwtError> {
    move |_header, payload| {
        let id = match payload.get("issuer") {
            Some(Value::String(id)) => Some(id.as_str()),
            Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
            _ => None,
        };
        match id {
            Some(ISSUER) => Ok(key.clone()),
            other => Err(VcJwtError::KeyResolution {
                reason: format!("untrusted issuer {other:?}"),
            }),
        }
    }
}

fn opts() -> VcVerifyOptions {
    VcVerifyOptions::default()
}

fn round_trip(alg: Algorithm) {
    let issuer = party(alg);
    let jwt = issue_vc_jwt(&credential(HOLDER), &issuer.signer).unwrap();
    let v = verify_vc_jwt(&jwt, &issuer_resolver(issuer.public.clone()), &opts(), NOW)
        .unwrap_or_else(|e| panic!("{alg}: {e}"));
    assert_eq!(v.issuer, ISSUER);
    assert_eq!(v.types, ["VerifiableCredential", "RealNameCredential"]);
    assert_eq!(v.valid_from, Some(NOW - 86_400));
    assert_eq!(v.valid_until, Some(NOW + 86_400));
    assert_eq!(v.status, [status()]);
    assert_eq!(v.subject_ids(), [HOLDER]);
    assert_eq!(v.header["typ"], "vc+jwt");
    assert_eq!(v.credential, credential(HOLDER));
}

#[test]
fn credential_round_trip_ed25519() {
    round_trip(Algorithm::EdDsa);
}

#[test]
fn credential_round_trip_es256() {
    round_trip(Algorithm::Es256);
}

/// Signs any payload with any header, for rules `issue_vc_jwt` never breaks.
fn raw(signer: &KeySigner, header: Value, payload: &Map<String, Value>) -> String {
    sign_compact(
        &object(header),
        &serde_json::to_vec(payload).unwrap(),
        signer,
    )
    .unwrap()
}

fn verify_raw(
    issuer: &Party,
    header: Value,
    payload: &Map<String, Value>,
) -> Result<(), VcJwtError> {
    let jwt = raw(&issuer.signer, header, payload);
    verify_vc_jwt(&jwt, &issuer.public, &opts(), NOW).map(|_| ())
}

#[test]
fn typ_and_cty() {
    let issuer = party(Algorithm::EdDsa);
    let c = credential(HOLDER);
    verify_raw(
        &issuer,
        json!({"typ": "application/vc+jwt", "cty": "vc"}),
        &c,
    )
    .unwrap();
    for header in [json!({}), json!({"typ": "JWT"}), json!({"typ": "vp+jwt"})] {
        let err = verify_raw(&issuer, header.clone(), &c).unwrap_err();
        assert!(matches!(err, VcJwtError::Typ { .. }), "{header}: {err}");
    }
    let err = verify_raw(&issuer, json!({"typ": "vc+jwt", "cty": "vp"}), &c).unwrap_err();
    assert!(matches!(err, VcJwtError::Cty { .. }), "{err}");
}

#[test]
fn shape_rules_on_verify_and_on_issue() {
    let issuer = party(Algorithm::EdDsa);
    let header = json!({"typ": "vc+jwt"});
    type Check = fn(&VcJwtError) -> bool;
    let cases: Vec<(&str, Value, Check)> = vec![
        (
            "v1 context",
            json!({"@context": ["https://www.w3.org/2018/credentials/v1"]}),
            |e| matches!(e, VcJwtError::Context { .. }),
        ),
        ("no context", json!({"@context": null}), |e| {
            matches!(e, VcJwtError::MissingClaim { name: "@context" })
        }),
        ("no VC type", json!({"type": ["RealNameCredential"]}), |e| {
            matches!(e, VcJwtError::Type { .. })
        }),
        (
            "issuer not a URL",
            json!({"issuer": "Example Issuer"}),
            |e| matches!(e, VcJwtError::InvalidClaim { .. }),
        ),
        (
            "subject a string",
            json!({"credentialSubject": "alice"}),
            |e| matches!(e, VcJwtError::InvalidClaim { .. }),
        ),
        (
            "subject empty array",
            json!({"credentialSubject": []}),
            |e| matches!(e, VcJwtError::InvalidClaim { .. }),
        ),
        (
            "validFrom not RFC 3339",
            json!({"validFrom": "15/06/2025"}),
            |e| matches!(e, VcJwtError::InvalidClaim { .. }),
        ),
        (
            "validUntil before validFrom",
            json!({"validUntil": format_datetime(NOW - 2 * 86_400).unwrap()}),
            |e| matches!(e, VcJwtError::InvalidClaim { .. }),
        ),
        (
            "unsupported status",
            json!({"credentialStatus": {"type": "StatusList2021Entry"}}),
            |e| matches!(e, VcJwtError::UnsupportedStatus { .. }),
        ),
        (
            "iss contradicts issuer",
            json!({"iss": "did:realdid:other"}),
            |e| matches!(e, VcJwtError::InvalidClaim { .. }),
        ),
    ];
    for (what, patch, check) in cases {
        let mut c = credential(HOLDER);
        for (k, v) in object(patch) {
            if v.is_null() {
                c.shift_remove(&k);
            } else {
                c.insert(k, v);
            }
        }
        let err = verify_raw(&issuer, header.clone(), &c).unwrap_err();
        assert!(check(&err), "verify, {what}: {err}");
        let err = issue_vc_jwt(&c, &issuer.signer).unwrap_err();
        assert!(check(&err), "issue, {what}: {err}");
    }
    let mut c = credential(HOLDER);
    c.shift_remove("issuer");
    let err = issue_vc_jwt(&c, &issuer.signer).unwrap_err();
    assert!(
        matches!(err, VcJwtError::MissingClaim { name: "issuer" }),
        "{err}"
    );
    // A lone context string and a lone type string are accepted.
    let mut c = credential(HOLDER);
    c.insert("@context".into(), json!(CREDENTIALS_V2_CONTEXT));
    c.insert("type".into(), json!("VerifiableCredential"));
    verify_raw(&issuer, header, &c).unwrap();
}

#[test]
fn validity_window() {
    let issuer = party(Algorithm::Es256);
    let jwt = issue_vc_jwt(&credential(HOLDER), &issuer.signer).unwrap();
    let leeway = opts().leeway;
    let check = |now| verify_vc_jwt(&jwt, &issuer.public, &opts(), now);
    check(NOW + 86_400 + leeway).unwrap();
    let err = check(NOW + 86_400 + leeway + 1).unwrap_err();
    assert!(matches!(err, VcJwtError::Expired { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Expired);
    check(NOW - 86_400 - leeway).unwrap();
    let err = check(NOW - 86_400 - leeway - 1).unwrap_err();
    assert!(matches!(err, VcJwtError::NotYetValid { .. }), "{err}");

    // JWT exp beside the credential is honoured too.
    let mut c = credential(HOLDER);
    c.insert("exp".into(), json!(NOW - leeway));
    let err = verify_raw(&issuer, json!({"typ": "vc+jwt"}), &c).unwrap_err();
    assert!(matches!(err, VcJwtError::Expired { .. }), "{err}");
}

#[test]
fn wrong_key_and_untrusted_issuer() {
    let issuer = party(Algorithm::EdDsa);
    let jwt = issue_vc_jwt(&credential(HOLDER), &issuer.signer).unwrap();
    let other = party(Algorithm::EdDsa);
    let err = verify_vc_jwt(&jwt, &other.public, &opts(), NOW).unwrap_err();
    assert!(matches!(err, VcJwtError::Jws(_)), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);

    let mut c = credential(HOLDER);
    c.insert("issuer".into(), json!("did:realdid:stranger"));
    let jwt = issue_vc_jwt(&c, &issuer.signer).unwrap();
    let err =
        verify_vc_jwt(&jwt, &issuer_resolver(issuer.public.clone()), &opts(), NOW).unwrap_err();
    assert!(matches!(err, VcJwtError::KeyResolution { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------
// Presentations.

struct World {
    issuer: Party,
    holder: Party,
    credentials: Vec<String>,
}

fn world(issuer_alg: Algorithm, holder_alg: Algorithm) -> World {
    let issuer = party(issuer_alg);
    let holder = party(holder_alg);
    let mut second = credential(HOLDER);
    second.insert("type".into(), json!(["VerifiableCredential", "AgeOver18"]));
    second.shift_remove("credentialStatus");
    let credentials = vec![
        issue_vc_jwt(&credential(HOLDER), &issuer.signer).unwrap(),
        issue_vc_jwt(&second, &issuer.signer).unwrap(),
    ];
    World {
        issuer,
        holder,
        credentials,
    }
}

fn vp_params() -> VpParams {
    VpParams {
        holder: HOLDER.into(),
        nonce: NONCE.into(),
        audience: VERIFIER.into(),
        issued_at: NOW - 5,
        expires_at: None,
    }
}

fn refs(w: &World) -> Vec<&str> {
    w.credentials.iter().map(String::as_str).collect()
}

fn vp(w: &World, params: &VpParams) -> String {
    issue_vp_jwt(&refs(w), params, &w.holder.signer).unwrap()
}

/// The holder key, resolved from `holder` in the payload.
fn holder_resolver(
    key: PublicKey,
) -> impl Fn(&Map<String, Value>, &Map<String, Value>) -> Result<PublicKey, VcJwtError> {
    move |_header, payload| match payload.get("holder").and_then(Value::as_str) {
        Some(HOLDER) => Ok(key.clone()),
        other => Err(VcJwtError::KeyResolution {
            reason: format!("unknown holder {other:?}"),
        }),
    }
}

fn verify_vp(w: &World, jwt: &str, options: &VpVerifyOptions) -> Result<(), VcJwtError> {
    verify_vp_jwt(
        jwt,
        options,
        &holder_resolver(w.holder.public.clone()),
        &issuer_resolver(w.issuer.public.clone()),
        NOW,
    )
    .map(|_| ())
}

fn vp_opts() -> VpVerifyOptions {
    VpVerifyOptions::new(NONCE, VERIFIER)
}

#[test]
fn presentation_round_trip_all_algorithms() {
    for (ia, ha) in [
        (Algorithm::EdDsa, Algorithm::EdDsa),
        (Algorithm::EdDsa, Algorithm::Es256),
        (Algorithm::Es256, Algorithm::EdDsa),
        (Algorithm::Es256, Algorithm::Es256),
    ] {
        let w = world(ia, ha);
        let jwt = vp(&w, &vp_params());
        let v = verify_vp_jwt(
            &jwt,
            &vp_opts(),
            &holder_resolver(w.holder.public.clone()),
            &issuer_resolver(w.issuer.public.clone()),
            NOW,
        )
        .unwrap_or_else(|e| panic!("issuer {ia}, holder {ha}: {e}"));
        assert_eq!(v.holder, HOLDER);
        assert_eq!(v.issued_at, NOW - 5);
        assert_eq!(v.credentials.len(), 2);
        assert_eq!(v.credentials[1].types[1], "AgeOver18");
        assert_eq!(v.header["typ"], "vp+jwt");
        let envelope = &v.presentation["verifiableCredential"][0];
        assert_eq!(envelope["type"], "EnvelopedVerifiableCredential");
        assert_eq!(
            envelope["id"],
            format!("data:application/vc+jwt,{}", w.credentials[0])
        );
    }
}

#[test]
fn presentation_binding() {
    let w = world(Algorithm::EdDsa, Algorithm::EdDsa);
    let err = verify_vp(
        &w,
        &vp(
            &w,
            &VpParams {
                nonce: "x".into(),
                ..vp_params()
            },
        ),
        &vp_opts(),
    )
    .unwrap_err();
    assert!(matches!(err, VcJwtError::NonceMismatch { .. }), "{err}");
    let err = verify_vp(
        &w,
        &vp(
            &w,
            &VpParams {
                audience: "https://evil.example".into(),
                ..vp_params()
            },
        ),
        &vp_opts(),
    )
    .unwrap_err();
    assert!(matches!(err, VcJwtError::AudienceMismatch { .. }), "{err}");
    let opts = vp_opts();
    let stale = NOW - opts.max_age - opts.leeway - 1;
    let err = verify_vp(
        &w,
        &vp(
            &w,
            &VpParams {
                issued_at: stale,
                ..vp_params()
            },
        ),
        &opts,
    )
    .unwrap_err();
    assert!(matches!(err, VcJwtError::Stale { .. }), "{err}");
    let future = NOW + opts.leeway + 1;
    let err = verify_vp(
        &w,
        &vp(
            &w,
            &VpParams {
                issued_at: future,
                ..vp_params()
            },
        ),
        &opts,
    )
    .unwrap_err();
    assert!(matches!(err, VcJwtError::FromFuture { .. }), "{err}");
    let err = verify_vp(
        &w,
        &vp(
            &w,
            &VpParams {
                expires_at: Some(NOW - opts.leeway),
                ..vp_params()
            },
        ),
        &opts,
    )
    .unwrap_err();
    assert!(matches!(err, VcJwtError::Expired { .. }), "{err}");
}

#[test]
fn presentation_signed_by_another_key() {
    let w = world(Algorithm::EdDsa, Algorithm::Es256);
    let thief = party(Algorithm::Es256);
    let jwt = issue_vp_jwt(&refs(&w), &vp_params(), &thief.signer).unwrap();
    let err = verify_vp(&w, &jwt, &vp_opts()).unwrap_err();
    assert!(matches!(err, VcJwtError::Jws(_)), "{err}");
}

#[test]
fn holder_must_be_subject() {
    let w = world(Algorithm::EdDsa, Algorithm::EdDsa);
    let someone_else = issue_vc_jwt(&credential("did:key:z6MkOther"), &w.issuer.signer).unwrap();
    let jwt = issue_vp_jwt(
        &[w.credentials[0].as_str(), someone_else.as_str()],
        &vp_params(),
        &w.holder.signer,
    )
    .unwrap();
    let err = verify_vp(&w, &jwt, &vp_opts()).unwrap_err();
    assert!(
        matches!(err, VcJwtError::HolderNotSubject { index: 1, .. }),
        "{err}"
    );
    let lenient = VpVerifyOptions {
        require_holder_is_subject: false,
        ..vp_opts()
    };
    verify_vp(&w, &jwt, &lenient).unwrap();
}

#[test]
fn enclosed_credential_is_verified() {
    let w = world(Algorithm::EdDsa, Algorithm::EdDsa);
    // A credential signed by an untrusted key.
    let rogue = party(Algorithm::EdDsa);
    let forged = issue_vc_jwt(&credential(HOLDER), &rogue.signer).unwrap();
    let jwt = issue_vp_jwt(
        &[w.credentials[0].as_str(), &forged],
        &vp_params(),
        &w.holder.signer,
    )
    .unwrap();
    let err = verify_vp(&w, &jwt, &vp_opts()).unwrap_err();
    match &err {
        VcJwtError::Credential { index: 1, source } => {
            assert!(matches!(**source, VcJwtError::Jws(_)), "{source}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    // An expired credential inside a fresh presentation.
    let mut old = credential(HOLDER);
    old.insert(
        "validUntil".into(),
        json!(format_datetime(NOW - 3600).unwrap()),
    );
    old.insert(
        "validFrom".into(),
        json!(format_datetime(NOW - 7200).unwrap()),
    );
    let old = issue_vc_jwt(&old, &w.issuer.signer).unwrap();
    let jwt = issue_vp_jwt(&[&old], &vp_params(), &w.holder.signer).unwrap();
    let err = verify_vp(&w, &jwt, &vp_opts()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Expired, "{err}");
}

#[test]
fn envelopes_and_limits() {
    let w = world(Algorithm::EdDsa, Algorithm::EdDsa);
    let base = || {
        object(json!({
            "@context": [CREDENTIALS_V2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "holder": HOLDER,
            "nonce": NONCE,
            "aud": VERIFIER,
            "iat": NOW,
        }))
    };
    let sign =
        |payload: &Map<String, Value>| raw(&w.holder.signer, json!({"typ": "vp+jwt"}), payload);
    for entry in [
        json!(w.credentials[0]),
        json!({"type": "VerifiableCredential", "id": format!("data:application/vc+jwt,{}", w.credentials[0])}),
        json!({"type": "EnvelopedVerifiableCredential", "id": format!("data:application/vc+ld+json,{}", w.credentials[0])}),
        json!({"type": "EnvelopedVerifiableCredential"}),
    ] {
        let mut p = base();
        p.insert("verifiableCredential".into(), json!([entry.clone()]));
        let err = verify_vp(&w, &sign(&p), &vp_opts()).unwrap_err();
        assert!(
            matches!(err, VcJwtError::Envelope { index: 0, .. }),
            "{entry}: {err}"
        );
    }
    // A VC-JWT is not a VP-JWT.
    let err = verify_vp(&w, &w.credentials[0], &vp_opts()).unwrap_err();
    assert!(matches!(err, VcJwtError::Typ { .. }), "{err}");
    // No holder: refused.
    let mut p = base();
    p.shift_remove("holder");
    let err = verify_vp_jwt(
        &sign(&p),
        &vp_opts(),
        &w.holder.public,
        &w.issuer.public,
        NOW,
    )
    .unwrap_err();
    assert!(
        matches!(err, VcJwtError::MissingClaim { name: "holder" }),
        "{err}"
    );
    // Too many credentials.
    let many: Vec<&str> = std::iter::repeat_n(w.credentials[0].as_str(), 3).collect();
    let jwt = issue_vp_jwt(&many, &vp_params(), &w.holder.signer).unwrap();
    let tight = VpVerifyOptions {
        max_credentials: 2,
        ..vp_opts()
    };
    let err = verify_vp(&w, &jwt, &tight).unwrap_err();
    assert!(
        matches!(err, VcJwtError::TooManyCredentials { count: 3, max: 2 }),
        "{err}"
    );
    // The holder cannot envelope something that is not a compact JWS.
    let err = issue_vp_jwt(&["a,b"], &vp_params(), &w.holder.signer).unwrap_err();
    assert!(
        matches!(err, VcJwtError::Envelope { index: 0, .. }),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Properties.

static WORLD: LazyLock<(World, String)> = LazyLock::new(|| {
    let w = world(Algorithm::EdDsa, Algorithm::Es256);
    let jwt = vp(&w, &vp_params());
    (w, jwt)
});

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        let (w, _) = &*WORLD;
        let _ = verify_vc_jwt(&text, &w.issuer.public, &opts(), NOW);
        let _ = verify_vp_jwt(&text, &vp_opts(), &w.holder.public, &w.issuer.public, NOW);
    }

    /// No single bit flip of a presentation (or of the credential inside) verifies.
    #[test]
    fn bit_flips_never_verify(position in 0usize..8192, bit in 0u8..8) {
        let (w, jwt) = &*WORLD;
        for text in [jwt.as_str(), w.credentials[0].as_str()] {
            let mut bytes = text.as_bytes().to_vec();
            let position = position % bytes.len();
            bytes[position] ^= 1 << bit;
            if let Ok(mutated) = String::from_utf8(bytes) {
                prop_assert!(verify_vp(w, &mutated, &vp_opts()).is_err());
                prop_assert!(verify_vc_jwt(&mutated, &w.issuer.public, &opts(), NOW).is_err());
            }
        }
    }
}
