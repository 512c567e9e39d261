//! The identity authority's signed answer: what makes a MATCH the authority's, for this
//! question, now.
//!
//! An issuer issues real-name credentials on the authority's word. Unsigned, that word is
//! whatever answers on the authority's address. The authority therefore signs every answer
//! over the issuer's fresh nonce and a digest of the exact question, and the issuer checks
//! the signature with the authority's public key from its configuration:
//!
//! ```text
//! query digest = SHA-256( "realdid/authority-query/v1"
//!                      || len(full_name) || full_name       len = u32 big-endian, UTF-8
//!                      || len(resident_id) || resident_id
//!                      || len(evidence_token) || evidence_token
//!                      || len(request_id) || request_id )
//! signed       = "realdid/authority-answer/v1"
//!             || nonce(32) || query digest(32) || result u8 (1 match, 2 no match, 3 unavailable)
//!             || len(reference) || reference || checked_at_ms i64 big-endian
//! ```
//!
//! The nonce makes a recorded answer useless for any other check; the query digest makes a
//! MATCH for one person useless for another. Both encodings are wire contracts between
//! authorities and issuers: changing one needs a new domain tag.

use sha2::{Digest as _, Sha256};

use crate::keys::{KeyError, PublicKey, SigningKey};

/// The domain tag of [`query_digest`].
pub const AUTHORITY_QUERY_DOMAIN: &[u8] = b"realdid/authority-query/v1";
/// The domain tag of what the authority signs.
pub const AUTHORITY_ANSWER_DOMAIN: &[u8] = b"realdid/authority-answer/v1";
/// Length of the issuer's nonce.
pub const NONCE_LEN: usize = 32;

/// The question an issuer asks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Query<'a> {
    /// The full name, as sent.
    pub full_name: &'a str,
    /// The resident identity number, as sent.
    pub resident_id: &'a str,
    /// The evidence token, as sent.
    pub evidence_token: &'a str,
    /// The issuer's request id.
    pub request_id: &'a str,
}

impl std::fmt::Debug for Query<'_> {
    /// Personal data stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// The authority's decision, as signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// One living person, shown by the evidence.
    Match = 1,
    /// Not one living person, or not shown.
    NoMatch = 2,
    /// Cannot decide now.
    Unavailable = 3,
}

/// An answer, as the authority signs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The issuer's nonce for this check.
    pub nonce: &'a [u8; NONCE_LEN],
    /// [`query_digest`] of the question.
    pub query: [u8; 32],
    /// The decision.
    pub decision: Decision,
    /// The authority's reference for the check (empty unless a match).
    pub reference: &'a str,
    /// When the authority decided, Unix ms.
    pub checked_at_ms: i64,
}

fn put_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The digest of a question (see the module docs).
pub fn query_digest(query: &Query<'_>) -> [u8; 32] {
    let mut bytes = AUTHORITY_QUERY_DOMAIN.to_vec();
    for field in [
        query.full_name,
        query.resident_id,
        query.evidence_token,
        query.request_id,
    ] {
        put_prefixed(&mut bytes, field.as_bytes());
    }
    Sha256::digest(&bytes).into()
}

/// The bytes the authority signs for `answer`.
pub fn signing_input(answer: &Answer<'_>) -> Vec<u8> {
    let mut bytes = AUTHORITY_ANSWER_DOMAIN.to_vec();
    bytes.extend_from_slice(answer.nonce);
    bytes.extend_from_slice(&answer.query);
    bytes.push(answer.decision as u8);
    put_prefixed(&mut bytes, answer.reference.as_bytes());
    bytes.extend_from_slice(&answer.checked_at_ms.to_be_bytes());
    bytes
}

/// The authority's signature of `answer`.
pub fn sign(key: &SigningKey, answer: &Answer<'_>) -> Result<Vec<u8>, KeyError> {
    key.sign(&signing_input(answer))
}

/// Checks that `signature` is the authority's (`key`) over exactly `answer`.
pub fn verify(key: &PublicKey, answer: &Answer<'_>, signature: &[u8]) -> Result<(), KeyError> {
    key.verify(&signing_input(answer), signature)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::Algorithm;

    const QUERY: Query<'static> = Query {
        full_name: "张三",
        resident_id: "11010519491231002X",
        evidence_token: "evidence",
        request_id: "r-1",
    };

    #[test]
    fn an_answer_checks_only_for_its_nonce_question_decision_and_key() {
        let key = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let nonce = [7u8; NONCE_LEN];
        let answer = Answer {
            nonce: &nonce,
            query: query_digest(&QUERY),
            decision: Decision::Match,
            reference: "ref-1",
            checked_at_ms: 1_800_000_000_000,
        };
        let signature = sign(&key, &answer).unwrap();
        verify(&key.public_key(), &answer, &signature).unwrap();

        let other_nonce = [8u8; NONCE_LEN];
        let other_person = query_digest(&Query {
            resident_id: "110105194912310039",
            ..QUERY
        });
        let variants = [
            Answer {
                nonce: &other_nonce,
                ..answer
            },
            Answer {
                query: other_person,
                ..answer
            },
            Answer {
                decision: Decision::NoMatch,
                ..answer
            },
            Answer {
                reference: "ref-2",
                ..answer
            },
            Answer {
                checked_at_ms: 1_800_000_000_001,
                ..answer
            },
        ];
        for variant in &variants {
            assert!(
                verify(&key.public_key(), variant, &signature).is_err(),
                "{variant:?}"
            );
        }
        let impostor = SigningKey::generate(Algorithm::EdDsa).unwrap();
        assert!(verify(&impostor.public_key(), &answer, &signature).is_err());
        assert!(
            format!("{QUERY:?}").find("张三").is_none(),
            "no personal data in logs"
        );
    }

    #[test]
    fn the_query_digest_is_the_documented_encoding() {
        let mut bytes = b"realdid/authority-query/v1".to_vec();
        for field in ["张三", "11010519491231002X", "evidence", "r-1"] {
            bytes.extend_from_slice(&(field.len() as u32).to_be_bytes());
            bytes.extend_from_slice(field.as_bytes());
        }
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(query_digest(&QUERY), expected);
    }
}
