//! The JWT claims around a Token Status List: the payload of a Status List Token and the
//! `status` claim of a Referenced Token.
//!
//! A Status List Token is a JWS whose header has `typ` [`STATUS_LIST_JWT_TYP`] and whose
//! payload is [`StatusListTokenClaims`]:
//!
//! ```json
//! {"sub": "https://example.com/statuslists/1", "iat": 1686920170, "exp": 2291720170,
//!  "ttl": 43200, "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}
//! ```
//!
//! A Referenced Token (the credential) points into it with
//! `{"status": {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}}`
//! ([`StatusClaim`]). A verifier fetches the token at `uri`, checks its signature with the
//! JWS module, checks that `sub` equals `uri`, and reads status `idx`.
//!
//! Nothing here signs or verifies; these are the payload shapes only, so that signing stays
//! in one place. Unknown claims (`iss`, `kid`-related, extensions) are ignored on input.

use serde::{Deserialize, Serialize};

use super::error::StatusListError;
use super::token::StatusListObject;
use super::uri::StatusUri;

/// The JOSE header `typ` of a Status List Token.
pub const STATUS_LIST_JWT_TYP: &str = "statuslist+jwt";

/// The payload claims of a Status List Token (JWT form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListTokenClaims {
    /// The URI of this Status List Token; must equal the `uri` that referenced it.
    pub sub: StatusUri,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expiry, in seconds since the Unix epoch (recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// How long, in seconds, a fetched copy may be cached before fetching again
    /// (recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// The status list itself.
    pub status_list: StatusListObject,
}

impl StatusListTokenClaims {
    /// Fails with [`StatusListError::Expired`] if `exp` is present and `now` (seconds
    /// since the Unix epoch, passed in because core has no clock) is at or past it.
    pub fn check_not_expired(&self, now: i64) -> Result<(), StatusListError> {
        match self.exp {
            Some(exp) if now >= exp => Err(StatusListError::Expired { exp, now }),
            _ => Ok(()),
        }
    }

    /// Whether this token is the one `reference` points to (`sub` equals `uri`).
    pub fn is_referenced_by(&self, reference: &StatusListReference) -> bool {
        self.sub == reference.uri
    }
}

/// The `status` claim of a Referenced Token: `{"status_list": {"idx": .., "uri": ..}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusClaim {
    /// The Token Status List entry of this token.
    pub status_list: StatusListReference,
}

/// Where a Referenced Token's status is: list `uri`, index `idx`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusListReference {
    /// The index of the token's status in the list.
    pub idx: usize,
    /// The URI of the Status List Token.
    pub uri: StatusUri,
}
