//! A DID holder's proof that it controls a `did:realdid` right now, answering a nonce that the
//! party asking for the proof issued (the `DidControlProof` of the gRPC API).
//!
//! ```text
//! header  {"alg": "EdDSA" | "ES256", "kid": "did:realdid:<suffix>#<key id>", "typ": "realdid-control+jwt"}
//! payload {"did": "did:realdid:<suffix>", "nonce": "<as issued>", "aud": "<DID of the asker>", "iat": <unix s>}
//! ```
//!
//! The proof is checked against the DID's current state as the registry proves it, not against
//! a cached document: a key removed by an update, or a DID deactivated a second ago, proves
//! nothing. The nonce makes a proof single-use (the asker consumes it), `aud` stops a proof made
//! for one party from being replayed to another, and the `iat` window bounds how long an
//! unconsumed proof is worth stealing.
//!
//! Verification happens in two steps, because the DID in the `kid` is what tells the verifier
//! which state to fetch: [`ControlProof::parse`] reads the unauthenticated proof, and
//! [`ControlProof::verify`] checks it against that state.
//!
//! The JOSE pieces (signing with a `typ` and `kid`, strict payloads) are
//! `typed_jws`'s, shared with [`crate::trace`] and [`crate::operator_login`], whose
//! tokens follow the same pattern; the `iat` window (`freshness`) is shared with them too.

use serde::{Deserialize, Serialize};

use crate::ErrorKind;
use crate::did::{DidState, KeyId, Purposes, RealDid};
use crate::jws::CompactJws;
use crate::keys::SigningKey;
use crate::typed_jws::{Unopened, did_url_kid, object_claims, open, sign_typed, truncated};

/// The `typ` of a control proof.
pub const CONTROL_PROOF_TYP: &str = "realdid-control+jwt";
/// The oldest proof accepted, in seconds before now: long enough for a wallet to ask its user
/// and sign, short enough that an intercepted, unconsumed proof soon expires.
pub const MAX_PROOF_AGE_SECONDS: i64 = 300;
/// How far in the future `iat` may be, in seconds, for clocks that disagree.
pub const CLOCK_LEEWAY_SECONDS: i64 = 60;
/// The largest proof accepted, in bytes (the API's limit on `proof_jws`); checked before
/// anything is decoded.
pub const MAX_PROOF_LEN: usize = 8 * 1024;

/// Why a control proof could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlProofError {
    /// The proof does not have the structure of a control proof (not a JWS, too large, a
    /// missing or malformed `kid` or payload claim).
    #[error("malformed control proof: {reason}")]
    Malformed { reason: String },
    /// The header `typ` is not [`CONTROL_PROOF_TYP`].
    #[error("control proof typ must be {CONTROL_PROOF_TYP:?}, found {found:?}")]
    WrongType { found: Option<String> },
    /// The proof is about another DID than the one it is checked for, or its payload and `kid`
    /// name different DIDs.
    #[error("control proof DID mismatch: {reason}")]
    DidMismatch { reason: String },
    /// The DID is deactivated: nobody controls it any more.
    #[error("the DID is deactivated")]
    Deactivated,
    /// The DID's current document does not list this key for authentication (removed by an
    /// update, never there, or listed for other purposes only).
    #[error("key {key_id:?} is not an authentication key of the DID's current document")]
    KeyNotAuthorised { key_id: String },
    /// The signature does not verify with the key, or `alg` is not the key's algorithm.
    #[error("control proof signature: {reason}")]
    BadSignature { reason: String },
    /// The proof answers another nonce than the one issued.
    #[error("control proof answers another nonce")]
    NonceMismatch,
    /// The proof was made for another party.
    #[error("control proof is addressed to another audience")]
    AudienceMismatch,
    /// The proof was made too long ago.
    #[error("control proof issued at {iat} is older than {MAX_PROOF_AGE_SECONDS} s at {now}")]
    Stale { iat: i64, now: i64 },
    /// The proof claims to be made later than now allows, even with clock leeway.
    #[error("control proof issued at {iat}, more than {CLOCK_LEEWAY_SECONDS} s after now ({now})")]
    FromFuture { iat: i64, now: i64 },
    /// Signing failed (a key or serialisation failure, not the caller's input).
    #[error("signing a control proof: {reason}")]
    Signing { reason: String },
}

impl ControlProofError {
    /// Whether the DID itself cannot be used (deactivated, or the key is not one of its current
    /// authentication keys), as opposed to this proof being invalid. A service tells the user
    /// "this DID cannot sign in" for the former and "try again" for the latter.
    pub fn did_unusable(&self) -> bool {
        matches!(self, Self::Deactivated | Self::KeyNotAuthorised { .. })
    }

    /// The kind of failure, for mapping to transport codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed { .. } => ErrorKind::InvalidInput,
            Self::WrongType { .. }
            | Self::DidMismatch { .. }
            | Self::Deactivated
            | Self::KeyNotAuthorised { .. }
            | Self::NonceMismatch
            | Self::AudienceMismatch
            | Self::FromFuture { .. } => ErrorKind::Rejected,
            Self::BadSignature { .. } => ErrorKind::InvalidSignature,
            Self::Stale { .. } => ErrorKind::Expired,
            Self::Signing { .. } => ErrorKind::Internal,
        }
    }
}

/// The payload of a control proof.
#[derive(Serialize, Deserialize)]
struct Claims {
    did: String,
    nonce: String,
    aud: String,
    iat: i64,
}

/// Signs a control proof: `key` (the key `key_id` of `did`'s document, which must list it under
/// authentication for the proof to verify) answers `nonce`, issued by `audience`, at `now`
/// (unix seconds).
pub fn sign_control_proof(
    did: &RealDid,
    key_id: &KeyId,
    key: &SigningKey,
    nonce: &str,
    audience: &str,
    now: i64,
) -> Result<String, ControlProofError> {
    let claims = Claims {
        did: did.to_string(),
        nonce: nonce.to_owned(),
        aud: audience.to_owned(),
        iat: now,
    };
    sign_typed(&claims, CONTROL_PROOF_TYP, &format!("{did}#{key_id}"), key)
        .map_err(|reason| ControlProofError::Signing { reason })
}

/// A parsed control proof, not yet verified: nothing in it is authentic until
/// [`ControlProof::verify`] succeeds.
#[derive(Debug, Clone)]
pub struct ControlProof {
    jws: CompactJws<'static>,
    did: RealDid,
    key_id: KeyId,
    nonce: String,
    audience: String,
    issued_at: i64,
}

impl ControlProof {
    /// Decodes a proof and checks its form: size, `typ`, a `kid` that is a DID URL of a
    /// `did:realdid` with a key id fragment, the payload claims, and that the payload's `did`
    /// is the `kid`'s DID.
    pub fn parse(jws: &str) -> Result<Self, ControlProofError> {
        let malformed = |reason: String| ControlProofError::Malformed { reason };
        let (jws, kid) = open(jws, MAX_PROOF_LEN, CONTROL_PROOF_TYP).map_err(|e| match e {
            Unopened::Malformed(reason) => malformed(reason),
            Unopened::WrongType(found) => ControlProofError::WrongType { found },
        })?;
        let (did_text, key_id) = did_url_kid(&kid).map_err(malformed)?;
        let did: RealDid = did_text
            .parse()
            .map_err(|e| malformed(format!("kid: {e}")))?;
        let claims: Claims = object_claims(jws.payload()).map_err(malformed)?;
        if claims.did != did.as_str() {
            return Err(ControlProofError::DidMismatch {
                reason: format!(
                    "payload did {:?} is not the kid's DID {did}",
                    truncated(&claims.did)
                ),
            });
        }
        Ok(Self {
            jws,
            did,
            key_id,
            nonce: claims.nonce,
            audience: claims.aud,
            issued_at: claims.iat,
        })
    }

    /// The DID the proof claims control of; fetch its state to verify the proof.
    pub fn did(&self) -> &RealDid {
        &self.did
    }

    /// The id of the key that claims to have signed.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The nonce the proof claims to answer.
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

    /// Checks the proof against the DID's current state (as proven by the registry): the state
    /// is this DID's, it is not deactivated, its document lists the key under authentication,
    /// `alg` is the key's and the signature verifies, the proof answers `expected_nonce` (never
    /// an empty one: a nonce that was not issued proves no freshness) for `audience`, and
    /// `now - MAX_PROOF_AGE_SECONDS <= iat <= now + CLOCK_LEEWAY_SECONDS`.
    ///
    /// The caller still consumes the nonce, so that the proof cannot be used twice.
    pub fn verify(
        &self,
        state: &DidState,
        expected_nonce: &str,
        audience: &str,
        now: i64,
    ) -> Result<(), ControlProofError> {
        if state.did != self.did {
            return Err(ControlProofError::DidMismatch {
                reason: format!(
                    "the proof is for {}, the state is of {}",
                    self.did, state.did
                ),
            });
        }
        if state.is_deactivated() {
            return Err(ControlProofError::Deactivated);
        }
        let key = state
            .key_for(&self.key_id, Purposes::AUTHENTICATION)
            .ok_or_else(|| ControlProofError::KeyNotAuthorised {
                key_id: self.key_id.to_string(),
            })?;
        self.jws
            .verify(key)
            .map_err(|e| ControlProofError::BadSignature {
                reason: e.to_string(),
            })?;
        if expected_nonce.is_empty() || self.nonce != expected_nonce {
            return Err(ControlProofError::NonceMismatch);
        }
        if self.audience != audience {
            return Err(ControlProofError::AudienceMismatch);
        }
        match freshness(self.issued_at, now) {
            Freshness::Fresh => Ok(()),
            Freshness::Stale => Err(ControlProofError::Stale {
                iat: self.issued_at,
                now,
            }),
            Freshness::FromFuture => Err(ControlProofError::FromFuture {
                iat: self.issued_at,
                now,
            }),
        }
    }
}

/// Where `iat` falls against the window `[now - MAX_PROOF_AGE_SECONDS, now +
/// CLOCK_LEEWAY_SECONDS]` that every nonce-answering proof in realdid shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    Fresh,
    Stale,
    FromFuture,
}

pub(crate) fn freshness(iat: i64, now: i64) -> Freshness {
    if iat > now.saturating_add(CLOCK_LEEWAY_SECONDS) {
        Freshness::FromFuture
    } else if iat < now.saturating_sub(MAX_PROOF_AGE_SECONDS) {
        Freshness::Stale
    } else {
        Freshness::Fresh
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use serde_json::Value;

    use super::*;
    use crate::did::{
        CreateOp, DeactivateOp, DidOperation, DocumentState, RecoveryCommitment, VerificationKey,
        apply,
    };
    use crate::jws::test_support::raw;
    use crate::keys::Algorithm;

    fn chain() -> crate::codec::ChainId {
        crate::codec::ChainId::parse("realdid-test").expect("a chain id")
    }

    const NOW: i64 = 1_750_000_000;
    const NONCE: &str = "n-0S6_WzA2Mj";
    const AUD: &str = "did:realdid:issuer";

    struct Holder {
        device: SigningKey,
        assertion: SigningKey,
        recovery: SigningKey,
        state: DidState,
    }

    fn key_id(s: &str) -> KeyId {
        s.parse().unwrap()
    }

    /// A live DID whose key `device` may authenticate and whose key `assert` may only assert.
    fn holder(alg: Algorithm) -> Holder {
        let device = SigningKey::generate(alg).unwrap();
        let assertion = SigningKey::generate(alg).unwrap();
        let recovery = SigningKey::generate(alg).unwrap();
        let document = DocumentState {
            keys: vec![
                VerificationKey {
                    id: key_id("device"),
                    key: device.public_key(),
                    purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
                },
                VerificationKey {
                    id: key_id("assert"),
                    key: assertion.public_key(),
                    purposes: Purposes::ASSERTION_METHOD,
                },
            ],
            services: vec![],
        };
        let op = DidOperation::Create(CreateOp {
            document,
            recovery_commitment: RecoveryCommitment::to(&recovery.public_key()),
        })
        .sign(&chain(), Some(key_id("device")), &device)
        .unwrap();
        let state = apply(&chain(), None, &op).unwrap();
        Holder {
            device,
            assertion,
            recovery,
            state,
        }
    }

    fn proof(h: &Holder, iat: i64) -> String {
        sign_control_proof(&h.state.did, &key_id("device"), &h.device, NONCE, AUD, iat).unwrap()
    }

    fn check(jws: &str, state: &DidState) -> Result<(), ControlProofError> {
        ControlProof::parse(jws)?.verify(state, NONCE, AUD, NOW)
    }

    #[test]
    fn a_good_proof_verifies_with_both_algorithms() {
        for alg in [Algorithm::EdDsa, Algorithm::Es256] {
            let h = holder(alg);
            let jws = proof(&h, NOW);
            let parsed = ControlProof::parse(&jws).unwrap();
            assert_eq!(parsed.did(), &h.state.did);
            assert_eq!(parsed.key_id(), &key_id("device"));
            assert_eq!(parsed.nonce(), NONCE);
            assert_eq!(parsed.audience(), AUD);
            assert_eq!(parsed.issued_at(), NOW);
            parsed.verify(&h.state, NONCE, AUD, NOW).unwrap();
            // The header is the documented one.
            let header = CompactJws::parse(&jws).unwrap().header().clone();
            assert_eq!(header["typ"], CONTROL_PROOF_TYP);
            assert_eq!(header["alg"], alg.jose_name());
            assert_eq!(header["kid"], format!("{}#device", h.state.did));
        }
    }

    #[test]
    fn the_window_edges_are_inclusive() {
        let h = holder(Algorithm::EdDsa);
        check(&proof(&h, NOW - MAX_PROOF_AGE_SECONDS), &h.state).unwrap();
        check(&proof(&h, NOW + CLOCK_LEEWAY_SECONDS), &h.state).unwrap();
    }

    #[test]
    fn wrong_typ_is_refused() {
        let h = holder(Algorithm::EdDsa);
        let kid = Value::String(format!("{}#device", h.state.did));
        let payload = serde_json::json!({"did": h.state.did.as_str(), "nonce": NONCE, "aud": AUD, "iat": NOW});
        let jws = raw(
            &[("kid", kid.clone()), ("typ", "JWT".into())],
            &payload,
            &h.device,
        );
        assert_eq!(
            ControlProof::parse(&jws).unwrap_err(),
            ControlProofError::WrongType {
                found: Some("JWT".into())
            }
        );
        let jws = raw(&[("kid", kid.clone())], &payload, &h.device);
        assert_eq!(
            ControlProof::parse(&jws).unwrap_err(),
            ControlProofError::WrongType { found: None }
        );
        // The media-type forms of the right typ are the right typ.
        let jws = raw(
            &[
                ("kid", kid),
                ("typ", "application/REALDID-control+JWT".into()),
            ],
            &payload,
            &h.device,
        );
        check(&jws, &h.state).unwrap();
    }

    #[test]
    fn malformed_proofs_are_refused() {
        let h = holder(Algorithm::EdDsa);
        let did = h.state.did.as_str();
        let typ = ("typ", Value::from(CONTROL_PROOF_TYP));
        let good = serde_json::json!({"did": did, "nonce": NONCE, "aud": AUD, "iat": NOW});
        let cases: Vec<(Vec<(&str, Value)>, Value)> = vec![
            (vec![typ.clone()], good.clone()),
            (vec![typ.clone(), ("kid", 7.into())], good.clone()),
            (vec![typ.clone(), ("kid", did.into())], good.clone()),
            (
                vec![typ.clone(), ("kid", "did:key:z6Mk#device".into())],
                good.clone(),
            ),
            (
                vec![typ.clone(), ("kid", format!("{did}#bad id").into())],
                good.clone(),
            ),
            (
                vec![typ.clone(), ("kid", format!("{did}#device").into())],
                serde_json::json!({"did": did, "nonce": NONCE, "aud": AUD}),
            ),
            (
                vec![typ.clone(), ("kid", format!("{did}#device").into())],
                serde_json::json!({"did": did, "nonce": NONCE, "aud": AUD, "iat": 1.5}),
            ),
            (
                vec![typ, ("kid", format!("{did}#device").into())],
                serde_json::json!([did, NONCE, AUD, NOW]),
            ),
        ];
        for (header, payload) in cases {
            let jws = raw(&header, &payload, &h.device);
            let err = ControlProof::parse(&jws).unwrap_err();
            assert!(
                matches!(err, ControlProofError::Malformed { .. }),
                "{header:?} {payload}: {err}"
            );
            assert!(!err.did_unusable());
        }
        for text in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert!(matches!(
                ControlProof::parse(text).unwrap_err(),
                ControlProofError::Malformed { .. }
            ));
        }
        let huge = format!("{}.{}", proof(&h, NOW), "A".repeat(MAX_PROOF_LEN));
        assert!(matches!(
            ControlProof::parse(&huge).unwrap_err(),
            ControlProofError::Malformed { .. }
        ));
    }

    #[test]
    fn payload_claims_must_be_one_object_without_duplicates() {
        let ok = br#" {"did": "d", "nonce": "n", "aud": "a", "iat": 1}"#;
        assert_eq!(object_claims::<Claims>(ok).unwrap().nonce, "n");
        let duplicate = br#"{"did": "d", "nonce": "n", "nonce": "m", "aud": "a", "iat": 1}"#;
        assert!(object_claims::<Claims>(duplicate).is_err());
        assert!(object_claims::<Claims>(br#"["d", "n", "a", 1]"#).is_err());
        assert!(object_claims::<Claims>(b"").is_err());
    }

    #[test]
    fn a_proof_for_another_did_is_refused() {
        let h = holder(Algorithm::EdDsa);
        let other = holder(Algorithm::EdDsa);
        // Valid for `other`, checked against `h`'s state.
        let err = check(&proof(&other, NOW), &h.state).unwrap_err();
        assert!(
            matches!(err, ControlProofError::DidMismatch { .. }),
            "{err}"
        );
        assert!(!err.did_unusable());
    }

    #[test]
    fn a_payload_did_other_than_the_kid_did_is_refused() {
        let h = holder(Algorithm::EdDsa);
        let other = holder(Algorithm::EdDsa);
        let jws = raw(
            &[
                ("typ", CONTROL_PROOF_TYP.into()),
                ("kid", format!("{}#device", h.state.did).into()),
            ],
            &serde_json::json!({"did": other.state.did.as_str(), "nonce": NONCE, "aud": AUD, "iat": NOW}),
            &h.device,
        );
        let err = ControlProof::parse(&jws).unwrap_err();
        assert!(
            matches!(err, ControlProofError::DidMismatch { .. }),
            "{err}"
        );
    }

    #[test]
    fn a_key_without_authentication_is_refused() {
        let h = holder(Algorithm::EdDsa);
        let jws = sign_control_proof(
            &h.state.did,
            &key_id("assert"),
            &h.assertion,
            NONCE,
            AUD,
            NOW,
        )
        .unwrap();
        let err = check(&jws, &h.state).unwrap_err();
        assert_eq!(
            err,
            ControlProofError::KeyNotAuthorised {
                key_id: "assert".into()
            }
        );
        assert!(err.did_unusable());
        // A key id the document does not list at all.
        let jws =
            sign_control_proof(&h.state.did, &key_id("gone"), &h.device, NONCE, AUD, NOW).unwrap();
        assert!(check(&jws, &h.state).unwrap_err().did_unusable());
    }

    #[test]
    fn a_deactivated_did_proves_nothing() {
        let h = holder(Algorithm::Es256);
        let jws = proof(&h, NOW);
        let op = DidOperation::Deactivate(DeactivateOp {
            did: h.state.did.clone(),
            previous: h.state.last_operation,
            recovery_key: h.recovery.public_key(),
        })
        .sign(&chain(), None, &h.recovery)
        .unwrap();
        let deactivated = apply(&chain(), Some(&h.state), &op).unwrap();
        let err = check(&jws, &deactivated).unwrap_err();
        assert_eq!(err, ControlProofError::Deactivated);
        assert!(err.did_unusable());
    }

    #[test]
    fn a_flipped_signature_byte_is_refused() {
        for alg in [Algorithm::EdDsa, Algorithm::Es256] {
            let h = holder(alg);
            let jws = proof(&h, NOW);
            let (input, signature) = jws.rsplit_once('.').unwrap();
            let mut bytes = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                signature,
            )
            .unwrap();
            bytes[10] ^= 1;
            let signature =
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
            let err = check(&format!("{input}.{signature}"), &h.state).unwrap_err();
            assert!(
                matches!(err, ControlProofError::BadSignature { .. }),
                "{err}"
            );
            assert!(!err.did_unusable());
        }
    }

    #[test]
    fn a_signature_by_another_key_is_refused() {
        let h = holder(Algorithm::EdDsa);
        let jws = sign_control_proof(
            &h.state.did,
            &key_id("device"),
            &h.assertion,
            NONCE,
            AUD,
            NOW,
        )
        .unwrap();
        let err = check(&jws, &h.state).unwrap_err();
        assert!(
            matches!(err, ControlProofError::BadSignature { .. }),
            "{err}"
        );
    }

    #[test]
    fn an_alg_other_than_the_keys_is_refused() {
        let h = holder(Algorithm::EdDsa);
        let p256 = SigningKey::generate(Algorithm::Es256).unwrap();
        let jws =
            sign_control_proof(&h.state.did, &key_id("device"), &p256, NONCE, AUD, NOW).unwrap();
        let err = check(&jws, &h.state).unwrap_err();
        assert!(
            matches!(&err, ControlProofError::BadSignature { reason } if reason.contains("ES256")),
            "{err}"
        );
    }

    #[test]
    fn wrong_nonce_and_audience_are_refused() {
        let h = holder(Algorithm::EdDsa);
        let parsed = ControlProof::parse(&proof(&h, NOW)).unwrap();
        assert_eq!(
            parsed.verify(&h.state, "another", AUD, NOW),
            Err(ControlProofError::NonceMismatch)
        );
        assert_eq!(
            parsed.verify(&h.state, NONCE, "did:realdid:other", NOW),
            Err(ControlProofError::AudienceMismatch)
        );
        // An empty nonce is never the answer, even to an empty question.
        let empty =
            sign_control_proof(&h.state.did, &key_id("device"), &h.device, "", AUD, NOW).unwrap();
        assert_eq!(
            ControlProof::parse(&empty)
                .unwrap()
                .verify(&h.state, "", AUD, NOW),
            Err(ControlProofError::NonceMismatch)
        );
    }

    #[test]
    fn old_and_future_proofs_are_refused() {
        let h = holder(Algorithm::EdDsa);
        let iat = NOW - MAX_PROOF_AGE_SECONDS - 1;
        assert_eq!(
            check(&proof(&h, iat), &h.state),
            Err(ControlProofError::Stale { iat, now: NOW })
        );
        let iat = NOW + CLOCK_LEEWAY_SECONDS + 1;
        assert_eq!(
            check(&proof(&h, iat), &h.state),
            Err(ControlProofError::FromFuture { iat, now: NOW })
        );
        // Extreme values neither overflow nor pass.
        assert_eq!(freshness(i64::MIN, i64::MAX), Freshness::Stale);
        assert_eq!(freshness(i64::MAX, i64::MIN), Freshness::FromFuture);
    }

    #[test]
    fn error_kinds_map_to_transport_codes() {
        assert_eq!(
            ControlProofError::BadSignature { reason: "x".into() }.kind(),
            ErrorKind::InvalidSignature
        );
        assert_eq!(
            ControlProofError::Stale { iat: 0, now: 1 }.kind(),
            ErrorKind::Expired
        );
        assert_eq!(ControlProofError::Deactivated.kind(), ErrorKind::Rejected);
    }
}
