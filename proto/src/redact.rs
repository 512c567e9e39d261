//! `Debug` for the messages that carry secrets or personal data (listed in `build.rs` as
//! `REDACTED_DEBUG`, for which prost derives no `Debug`).
//!
//! Secrets (passwords, session tokens, login proofs) and personal data (names, resident ID
//! numbers, liveness evidence, credentials and presentations with their disclosures, the
//! values of disclosed claims) print as `<redacted>`; an empty value prints as `""` so that
//! a missing field stays visible. Every impl destructures its message exhaustively: a field
//! added to one of these messages does not compile until someone decides how it prints.

use std::collections::BTreeMap;
use std::fmt;

use crate::v1::{
    CheckRequest, EnrolRequest, IdentityRecord, IssuedCredential, OperatorLoginRequest,
    OperatorLoginResponse, OperatorRole, VerifiedPresentation, VerifyPresentationRequest,
    operator_login_request,
};

/// A secret or personal string: only whether it is empty shows.
struct Hidden<'a>(&'a str);

impl fmt::Debug for Hidden<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("<redacted>")
        }
    }
}

/// A large personal value (a credential, a presentation): only its length shows, which
/// helps with size-limit errors.
struct HiddenBlob<'a>(&'a str);

impl fmt::Debug for HiddenBlob<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

/// Disclosed claims: names show, values do not.
struct ClaimNames<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for ClaimNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| (name, Hidden(value))))
            .finish()
    }
}

/// Operator roles by name, as prost's derived `Debug` would print them.
struct Roles<'a>(&'a [i32]);

impl fmt::Debug for Roles<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|&role| OperatorRole::try_from(role)))
            .finish()
    }
}

impl fmt::Debug for CheckRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            full_name,
            resident_id,
            evidence_token,
            request_id,
            nonce,
        } = self;
        f.debug_struct("CheckRequest")
            .field("full_name", &Hidden(full_name))
            .field("resident_id", &Hidden(resident_id))
            .field("evidence_token", &Hidden(evidence_token))
            .field("request_id", request_id)
            .field("nonce", nonce)
            .finish()
    }
}

impl fmt::Debug for EnrolRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            nonce,
            full_name,
            resident_id,
            evidence_token,
            dids,
            credential_type,
            holder_tag_key,
        } = self;
        f.debug_struct("EnrolRequest")
            .field("nonce", nonce)
            .field("full_name", &Hidden(full_name))
            .field("resident_id", &Hidden(resident_id))
            .field("evidence_token", &Hidden(evidence_token))
            .field("dids", dids)
            .field("credential_type", credential_type)
            .field(
                "holder_tag_key",
                &format_args!("<{} bytes redacted>", holder_tag_key.len()),
            )
            .finish()
    }
}

impl fmt::Debug for IdentityRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            enrolment_id,
            full_name,
            resident_id,
            enrolled_at_unix_ms,
            dids,
            authority_reference,
        } = self;
        f.debug_struct("IdentityRecord")
            .field("enrolment_id", enrolment_id)
            .field("full_name", &Hidden(full_name))
            .field("resident_id", &Hidden(resident_id))
            .field("enrolled_at_unix_ms", enrolled_at_unix_ms)
            .field("dids", dids)
            .field("authority_reference", authority_reference)
            .finish()
    }
}

impl fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            did,
            credential_id,
            sd_jwt_vc,
            credential_type,
            status_list_uri,
            status_index,
            issued_at_unix_ms,
            expires_at_unix_ms,
        } = self;
        f.debug_struct("IssuedCredential")
            .field("did", did)
            .field("credential_id", credential_id)
            .field("sd_jwt_vc", &HiddenBlob(sd_jwt_vc))
            .field("credential_type", credential_type)
            .field("status_list_uri", status_list_uri)
            .field("status_index", status_index)
            .field("issued_at_unix_ms", issued_at_unix_ms)
            .field("expires_at_unix_ms", expires_at_unix_ms)
            .finish()
    }
}

impl fmt::Debug for OperatorLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            operator_id,
            credential,
        } = self;
        f.debug_struct("OperatorLoginRequest")
            .field("operator_id", operator_id)
            .field("credential", credential)
            .finish()
    }
}

impl fmt::Debug for operator_login_request::Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(password) => f.debug_tuple("Password").field(&Hidden(password)).finish(),
            Self::KeyProofJws(jws) => f.debug_tuple("KeyProofJws").field(&Hidden(jws)).finish(),
        }
    }
}

impl fmt::Debug for OperatorLoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            session_token,
            expires_at_unix_ms,
            roles,
        } = self;
        f.debug_struct("OperatorLoginResponse")
            .field("session_token", &Hidden(session_token))
            .field("expires_at_unix_ms", expires_at_unix_ms)
            .field("roles", &Roles(roles))
            .finish()
    }
}

impl fmt::Debug for VerifyPresentationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            request_id,
            presentation,
        } = self;
        f.debug_struct("VerifyPresentationRequest")
            .field("request_id", request_id)
            .field("presentation", &HiddenBlob(presentation))
            .finish()
    }
}

impl fmt::Debug for VerifiedPresentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            claims,
            predicates,
            issuer_did,
            credential_type,
            subject_id,
            issued_at_unix_ms,
            expires_at_unix_ms,
            verified_at_unix_ms,
            registry_height,
        } = self;
        f.debug_struct("VerifiedPresentation")
            .field("claims", &ClaimNames(claims))
            .field("predicates", predicates)
            .field("issuer_did", issuer_did)
            .field("credential_type", credential_type)
            .field("subject_id", subject_id)
            .field("issued_at_unix_ms", issued_at_unix_ms)
            .field("expires_at_unix_ms", expires_at_unix_ms)
            .field("verified_at_unix_ms", verified_at_unix_ms)
            .field("registry_height", registry_height)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::DidControlProof;

    const NAME: &str = "Zhang Sanfeng";
    const RESIDENT_ID: &str = "11010519491231002X";
    const EVIDENCE: &str = "evidence-token-9f8e7d";
    const SECRET: &str = "correct horse battery staple";

    fn assert_hides(debug: &str, secrets: &[&str]) {
        for secret in secrets {
            assert!(!debug.contains(secret), "{secret:?} leaks in {debug}");
        }
        assert!(debug.contains("<redacted"), "nothing redacted in {debug}");
    }

    #[test]
    fn check_and_enrol_requests_hide_the_person() {
        let check = CheckRequest {
            full_name: NAME.into(),
            resident_id: RESIDENT_ID.into(),
            evidence_token: EVIDENCE.into(),
            request_id: "req-1".into(),
            nonce: vec![7; 32],
        };
        let debug = format!("{check:?}");
        assert_hides(&debug, &[NAME, RESIDENT_ID, EVIDENCE]);
        assert!(debug.contains("req-1"), "{debug}");

        let enrol = EnrolRequest {
            nonce: "nonce-1".into(),
            full_name: NAME.into(),
            resident_id: RESIDENT_ID.into(),
            evidence_token: String::new(),
            dids: vec![DidControlProof {
                did: "did:realdid:abc".into(),
                proof_jws: "a.b.c".into(),
            }],
            credential_type: String::new(),
            holder_tag_key: vec![0xAB; 32],
        };
        let debug = format!("{enrol:?}");
        assert_hides(&debug, &[NAME, RESIDENT_ID]);
        assert!(
            !debug.contains("171"),
            "the holder tag key stays out: {debug}"
        );
        assert!(debug.contains("did:realdid:abc"), "{debug}");
        assert!(debug.contains("evidence_token: \"\""), "{debug}");
    }

    #[test]
    fn identity_record_hides_the_person_even_nested() {
        let response = Some(IdentityRecord {
            enrolment_id: "enr-1".into(),
            full_name: NAME.into(),
            resident_id: RESIDENT_ID.into(),
            enrolled_at_unix_ms: 1,
            dids: vec!["did:realdid:abc".into()],
            authority_reference: "auth-1".into(),
        });
        let debug = format!("{response:?}");
        assert_hides(&debug, &[NAME, RESIDENT_ID]);
        assert!(debug.contains("enr-1"), "{debug}");
    }

    #[test]
    fn operator_login_hides_password_proof_and_token() {
        for credential in [
            operator_login_request::Credential::Password(SECRET.into()),
            operator_login_request::Credential::KeyProofJws(SECRET.into()),
        ] {
            let debug = format!("{credential:?}");
            assert_hides(&debug, &[SECRET]);
            let request = OperatorLoginRequest {
                operator_id: "alice".into(),
                credential: Some(credential),
            };
            let debug = format!("{request:?}");
            assert_hides(&debug, &[SECRET]);
            assert!(debug.contains("alice"), "{debug}");
        }

        let response = OperatorLoginResponse {
            session_token: SECRET.into(),
            expires_at_unix_ms: 1,
            roles: vec![OperatorRole::Revoker as i32],
        };
        let debug = format!("{response:?}");
        assert_hides(&debug, &[SECRET]);
        assert!(debug.contains("Revoker"), "{debug}");
    }

    #[test]
    fn credentials_presentations_and_claim_values_are_hidden() {
        let credential = IssuedCredential {
            did: "did:realdid:abc".into(),
            sd_jwt_vc: format!("header.{SECRET}.sig~"),
            ..IssuedCredential::default()
        };
        assert_hides(&format!("{credential:?}"), &[SECRET]);

        let request = VerifyPresentationRequest {
            request_id: "req-1".into(),
            presentation: format!("header.{SECRET}.sig~kb"),
        };
        assert_hides(&format!("{request:?}"), &[SECRET]);

        let verified = VerifiedPresentation {
            claims: BTreeMap::from([("given_name".to_owned(), format!("\"{NAME}\""))]),
            ..VerifiedPresentation::default()
        };
        let debug = format!("{verified:?}");
        assert_hides(&debug, &[NAME]);
        assert!(debug.contains("given_name"), "{debug}");
    }
}
