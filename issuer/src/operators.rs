//! Operator accounts, logins and sessions.
//!
//! Operators are configured (config.rs): a login name, roles, and an Argon2id password hash
//! (PHC string) and/or a public key. A login answers with a random session token; only its
//! SHA-256 is kept, so a memory dump does not hand out live sessions. An unknown operator
//! and a wrong password get the same answer, and repeated failures lock the name for a
//! while.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::IssuerError;
use crate::config::Operator;

/// How long a session lasts.
pub const SESSION_TTL_MS: i64 = 8 * 3600 * 1000;
/// Failed logins allowed per name within [`FAILURE_WINDOW_MS`].
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted in, and the lock that follows.
pub const FAILURE_WINDOW_MS: i64 = 5 * 60 * 1000;

/// What an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Revoke credentials.
    Revoker,
    /// Create, read and open lawful traces.
    TraceRequester,
    /// Read lawful traces.
    Auditor,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The operator.
    pub operator_id: String,
    /// Their roles.
    pub roles: Vec<Role>,
    /// When it ends, Unix ms.
    pub expires_at_ms: i64,
}

impl Session {
    /// Fails with PERMISSION_DENIED unless the session has one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), IssuerError> {
        if self.roles.iter().any(|r| roles.contains(r)) {
            Ok(())
        } else {
            Err(IssuerError::PermissionDenied(format!(
                "{what} needs the role {:?}; operator {} has {:?}",
                roles, self.operator_id, self.roles
            )))
        }
    }
}

/// Hashes a password for the config file (PHC string, Argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, IssuerError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(IssuerError::Randomness)?;
    let salt = argon2::password_hash::SaltString::encode_b64(&salt)
        .map_err(|e| IssuerError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| IssuerError::Internal(format!("argon2: {e}")))
}

fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The operators and their sessions.
#[derive(Debug)]
pub struct Operators {
    accounts: HashMap<String, Operator>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn refused() -> IssuerError {
    IssuerError::Unauthenticated("unknown operator or bad credential".into())
}

impl Operators {
    /// The configured accounts, no sessions.
    pub fn new(accounts: &[Operator]) -> Self {
        Self {
            accounts: accounts.iter().map(|o| (o.id.clone(), o.clone())).collect(),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a login attempt for `id`: its account (`None` for an unknown name), unless the
    /// name is locked by recent failures. The attempt counts as a failure from now on, and
    /// [`Operators::open_session`] clears the count when it succeeds: so that guesses sent
    /// in parallel cannot all run before the first failure is counted, at most
    /// [`MAX_FAILURES`] attempts per window are ever checked. Only configured names are
    /// counted, so guessing names cannot grow the table.
    pub fn attempt(&self, id: &str, now_ms: i64) -> Result<Option<&Operator>, IssuerError> {
        let Some(account) = self.accounts.get(id) else {
            return Ok(None);
        };
        let mut failures = lock(&self.failures);
        let times = failures.entry(id.to_owned()).or_default();
        times.retain(|t| now_ms - *t < FAILURE_WINDOW_MS);
        if times.len() >= MAX_FAILURES {
            return Err(IssuerError::Exhausted(format!(
                "{MAX_FAILURES} failed logins for {id:?} in 5 minutes; wait and try again"
            )));
        }
        times.push(now_ms);
        Ok(Some(account))
    }

    /// The answer to a failed login: the same whether the name exists or not.
    pub fn refused() -> IssuerError {
        refused()
    }

    /// Checks a password against the account's hash (slow: run it off the async threads).
    /// With no account, or one without a password, the same Argon2id work is done against a
    /// hash no password matches, so that the time of the answer does not tell which names
    /// exist.
    pub fn password_matches(account: Option<&Operator>, password: &str) -> bool {
        static NO_ACCOUNT: OnceLock<Option<String>> = OnceLock::new();
        let hash = match account.and_then(|a| a.password_hash.as_deref()) {
            Some(hash) => Some(hash),
            None => NO_ACCOUNT
                .get_or_init(|| hash_password("no operator has this password").ok())
                .as_deref(),
        };
        let matches = hash.is_some_and(|hash| {
            PasswordHash::new(hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        });
        matches && account.is_some_and(|a| a.password_hash.is_some())
    }

    /// Opens a session for `account`: the token to hand out, and the session.
    pub fn open_session(
        &self,
        account: &Operator,
        now_ms: i64,
    ) -> Result<(String, Session), IssuerError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(IssuerError::Randomness)?;
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let session = Session {
            operator_id: account.id.clone(),
            roles: account.roles.clone(),
            expires_at_ms: now_ms + SESSION_TTL_MS,
        };
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.expires_at_ms > now_ms);
        sessions.insert(token_digest(&token), session.clone());
        lock(&self.failures).remove(&account.id);
        Ok((token, session))
    }

    /// The live session of `token`.
    pub fn session(&self, token: &str, now_ms: i64) -> Result<Session, IssuerError> {
        match lock(&self.sessions).get(&token_digest(token)) {
            Some(s) if s.expires_at_ms > now_ms => Ok(s.clone()),
            Some(_) => Err(IssuerError::Unauthenticated(
                "the session has expired; log in again".into(),
            )),
            None => Err(IssuerError::Unauthenticated(
                "no such session; log in".into(),
            )),
        }
    }

    /// Ends the session of `token` (idempotent).
    pub fn close_session(&self, token: &str) {
        lock(&self.sessions).remove(&token_digest(token));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Result<Operator, IssuerError> {
        Ok(Operator {
            id: "alice".into(),
            roles: vec![Role::Revoker],
            password_hash: Some(hash_password("correct horse")?),
            public_key: None,
        })
    }

    #[test]
    fn password_sessions_and_lockout() -> Result<(), IssuerError> {
        let account = alice()?;
        assert!(Operators::password_matches(Some(&account), "correct horse"));
        assert!(!Operators::password_matches(
            Some(&account),
            "correct horse "
        ));
        assert!(!Operators::password_matches(None, "correct horse"));
        let ops = Operators::new(std::slice::from_ref(&account));
        let (token, session) = ops.open_session(&account, 0)?;
        assert_eq!(ops.session(&token, 1)?, session);
        assert!(session.require(&[Role::Revoker], "revoking").is_ok());
        assert!(matches!(
            session.require(&[Role::TraceRequester], "tracing"),
            Err(IssuerError::PermissionDenied(_))
        ));
        assert!(matches!(
            ops.session(&token, SESSION_TTL_MS),
            Err(IssuerError::Unauthenticated(_))
        ));
        ops.close_session(&token);
        assert!(ops.session(&token, 1).is_err());
        // Attempts count before they are checked: the sixth is refused while the first five
        // are still running.
        for _ in 0..MAX_FAILURES {
            assert!(ops.attempt("alice", 10)?.is_some());
        }
        assert!(matches!(
            ops.attempt("alice", 11),
            Err(IssuerError::Exhausted(_))
        ));
        assert!(ops.attempt("alice", 10 + FAILURE_WINDOW_MS)?.is_some());
        // A success clears the count; unknown names are not counted.
        ops.open_session(&account, 10 + FAILURE_WINDOW_MS)?;
        for _ in 0..MAX_FAILURES {
            assert!(ops.attempt("alice", 20 + FAILURE_WINDOW_MS)?.is_some());
        }
        for _ in 0..2 * MAX_FAILURES {
            assert!(ops.attempt("mallory", 10)?.is_none());
        }
        assert!(lock(&ops.failures).get("mallory").is_none());
        Ok(())
    }
}
