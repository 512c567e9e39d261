//! An issuer operator's key-based login: a signed answer to a nonce, the key alternative to a
//! password in `OperatorLoginRequest.key_proof_jws`.
//!
//! ```text
//! header  {"alg": "EdDSA" | "ES256", "kid": "<key id on file>", "typ": "realdid-operator-login+jwt"}
//! payload {"sub": "<operator id>", "nonce": "<as issued>", "aud": "<issuer DID>", "iat": <unix s>}
//! ```
//!
//! The same shape as a DID control proof, but the key is one the issuer has on file for the
//! operator rather than one a DID document lists, so no registry state is involved. Errors are
//! [`TraceError`]s: operator keys exist for the lawful-trace roles.

use serde::{Deserialize, Serialize};

use crate::control_proof::{Freshness, freshness};
use crate::jws::CompactJws;
use crate::keys::{PublicKey, SigningKey};
use crate::trace::{MAX_TOKEN_LEN, TraceError};
use crate::typed_jws::{Unopened, object_claims, open, sign_typed};

/// The `typ` of an operator login proof.
pub const OPERATOR_LOGIN_TYP: &str = "realdid-operator-login+jwt";

/// The payload of an operator login proof.
#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    nonce: String,
    aud: String,
    iat: i64,
}

/// Signs a login proof for `operator_id` with its key `key` (on file as `key_id`), answering
/// `nonce` issued by `audience` (the issuer's DID), at `now` (unix seconds).
pub fn sign_operator_login(
    operator_id: &str,
    key_id: &str,
    key: &SigningKey,
    nonce: &str,
    audience: &str,
    now: i64,
) -> Result<String, TraceError> {
    let claims = Claims {
        sub: operator_id.to_owned(),
        nonce: nonce.to_owned(),
        aud: audience.to_owned(),
        iat: now,
    };
    sign_typed(&claims, OPERATOR_LOGIN_TYP, key_id, key)
        .map_err(|reason| TraceError::Signing { reason })
}

/// A parsed operator login proof, not yet verified: `sub` and `kid` tell the issuer which
/// operator and key to check it against, `nonce` which issued nonce to consume.
#[derive(Debug, Clone)]
pub struct OperatorLoginJws {
    jws: CompactJws<'static>,
    key_id: String,
    subject: String,
    nonce: String,
    audience: String,
    issued_at: i64,
}

impl OperatorLoginJws {
    /// Decodes a login proof and checks its form: size, `typ`, a string `kid`, the payload
    /// claims, and a non-empty nonce.
    pub fn parse(jws: &str) -> Result<Self, TraceError> {
        let malformed = |reason: String| TraceError::Malformed { reason };
        let (jws, key_id) = open(jws, MAX_TOKEN_LEN, OPERATOR_LOGIN_TYP).map_err(|e| match e {
            Unopened::Malformed(reason) => malformed(reason),
            Unopened::WrongType(found) => TraceError::WrongType { found },
        })?;
        let claims: Claims = object_claims(jws.payload()).map_err(malformed)?;
        if claims.nonce.is_empty() {
            return Err(malformed("nonce is empty".into()));
        }
        Ok(Self {
            jws,
            key_id,
            subject: claims.sub,
            nonce: claims.nonce,
            audience: claims.aud,
            issued_at: claims.iat,
        })
    }

    /// The key id the proof claims to be signed by.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The operator the proof claims to log in (`sub`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The nonce the proof answers. [`OperatorLoginJws::verify`] does not check it: the
    /// issuer looks it up among the nonces it issued for operator login and consumes it.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The party the proof claims to be made for (`aud`).
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// When the proof claims to be made (`iat`), unix seconds.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// Checks that `key` (the key on file for `operator_id` under [`OperatorLoginJws::key_id`])
    /// signed the proof with its own `alg`, that `sub` is `operator_id` and `aud` is
    /// `audience`, and that `now - MAX_PROOF_AGE_SECONDS <= iat <= now + CLOCK_LEEWAY_SECONDS`
    /// (the window of [`crate::control_proof`]). The nonce is the caller's to check and
    /// consume.
    pub fn verify(
        &self,
        key: &PublicKey,
        operator_id: &str,
        audience: &str,
        now: i64,
    ) -> Result<(), TraceError> {
        self.jws.verify(key).map_err(|e| TraceError::BadSignature {
            reason: e.to_string(),
        })?;
        if self.subject != operator_id {
            return Err(TraceError::WrongSubject);
        }
        if self.audience != audience {
            return Err(TraceError::AudienceMismatch);
        }
        match freshness(self.issued_at, now) {
            Freshness::Fresh => Ok(()),
            Freshness::Stale => Err(TraceError::Stale {
                iat: self.issued_at,
                now,
            }),
            Freshness::FromFuture => Err(TraceError::FromFuture {
                iat: self.issued_at,
                now,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use serde_json::{Value, json};

    use super::*;
    use crate::control_proof::{CLOCK_LEEWAY_SECONDS, MAX_PROOF_AGE_SECONDS};
    use crate::jws::test_support::raw;
    use crate::keys::Algorithm;

    const NOW: i64 = 1_750_000_000;
    const OPERATOR: &str = "officer-li";
    const NONCE: &str = "login-nonce-1";
    const AUD: &str = "did:realdid:issuer";

    fn login(key: &SigningKey, iat: i64) -> OperatorLoginJws {
        let jws = sign_operator_login(OPERATOR, "op-key-1", key, NONCE, AUD, iat).unwrap();
        OperatorLoginJws::parse(&jws).unwrap()
    }

    #[test]
    fn a_login_proof_verifies_with_both_algorithms() {
        for alg in [Algorithm::EdDsa, Algorithm::Es256] {
            let key = SigningKey::generate(alg).unwrap();
            let proof = login(&key, NOW);
            assert_eq!(proof.key_id(), "op-key-1");
            assert_eq!(proof.subject(), OPERATOR);
            assert_eq!(proof.nonce(), NONCE);
            assert_eq!(proof.audience(), AUD);
            assert_eq!(proof.issued_at(), NOW);
            proof.verify(&key.public_key(), OPERATOR, AUD, NOW).unwrap();
            login(&key, NOW - MAX_PROOF_AGE_SECONDS)
                .verify(&key.public_key(), OPERATOR, AUD, NOW)
                .unwrap();
            login(&key, NOW + CLOCK_LEEWAY_SECONDS)
                .verify(&key.public_key(), OPERATOR, AUD, NOW)
                .unwrap();
        }
    }

    #[test]
    fn each_wrong_field_is_refused() {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let public = key.public_key();
        let proof = login(&key, NOW);
        for other_alg in [Algorithm::EdDsa, Algorithm::Es256] {
            let other = SigningKey::generate(other_alg).unwrap().public_key();
            let err = proof.verify(&other, OPERATOR, AUD, NOW).unwrap_err();
            assert!(matches!(err, TraceError::BadSignature { .. }), "{err}");
        }
        assert_eq!(
            proof.verify(&public, "officer-wang", AUD, NOW),
            Err(TraceError::WrongSubject)
        );
        assert_eq!(
            proof.verify(&public, OPERATOR, "did:realdid:other", NOW),
            Err(TraceError::AudienceMismatch)
        );
        let iat = NOW - MAX_PROOF_AGE_SECONDS - 1;
        assert_eq!(
            login(&key, iat).verify(&public, OPERATOR, AUD, NOW),
            Err(TraceError::Stale { iat, now: NOW })
        );
        let iat = NOW + CLOCK_LEEWAY_SECONDS + 1;
        assert_eq!(
            login(&key, iat).verify(&public, OPERATOR, AUD, NOW),
            Err(TraceError::FromFuture { iat, now: NOW })
        );

        // A flipped signature byte.
        let jws = sign_operator_login(OPERATOR, "op-key-1", &key, NONCE, AUD, NOW).unwrap();
        let (input, signature) = jws.rsplit_once('.').unwrap();
        let mut bytes = B64.decode(signature).unwrap();
        bytes[63] ^= 1;
        let tampered = format!("{input}.{}", B64.encode(bytes));
        let err = OperatorLoginJws::parse(&tampered)
            .unwrap()
            .verify(&public, OPERATOR, AUD, NOW)
            .unwrap_err();
        assert!(matches!(err, TraceError::BadSignature { .. }), "{err}");
    }

    #[test]
    fn a_wrong_typ_or_form_is_refused() {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let good = json!({"sub": OPERATOR, "nonce": NONCE, "aud": AUD, "iat": NOW});
        let kid = ("kid", Value::from("op-key-1"));
        // An approval or control proof is not a login proof, even with the same claims.
        for typ in ["realdid-trace-approval+jwt", "realdid-control+jwt"] {
            let jws = raw(&[kid.clone(), ("typ", typ.into())], &good, &key);
            assert_eq!(
                OperatorLoginJws::parse(&jws).unwrap_err(),
                TraceError::WrongType {
                    found: Some(typ.into())
                }
            );
        }
        let typ = ("typ", Value::from(OPERATOR_LOGIN_TYP));
        let cases = [
            (vec![typ.clone()], good.clone()),
            (vec![typ.clone(), ("kid", "".into())], good.clone()),
            (
                vec![typ.clone(), kid.clone()],
                json!({"sub": OPERATOR, "nonce": "", "aud": AUD, "iat": NOW}),
            ),
            (
                vec![typ.clone(), kid.clone()],
                json!({"nonce": NONCE, "aud": AUD, "iat": NOW}),
            ),
            (vec![typ, kid], json!([OPERATOR, NONCE, AUD, NOW])),
        ];
        for (header, payload) in cases {
            let err = OperatorLoginJws::parse(&raw(&header, &payload, &key)).unwrap_err();
            assert!(
                matches!(err, TraceError::Malformed { .. }),
                "{header:?} {payload}: {err}"
            );
        }
    }
}
