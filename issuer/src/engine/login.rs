//! Operator logins: by password (Argon2id, checked off the async threads) or by a key
//! signing a nonce.

use realdid_core::operator_login::OperatorLoginJws;

use super::{Issuer, limits};
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::nonces::Purpose;
use crate::operators::{Operators, Session};

/// How an operator proves who they are.
#[derive(Clone, PartialEq, Eq)]
pub enum LoginCredential {
    /// A password.
    Password(String),
    /// A JWS over a login nonce.
    KeyProof(String),
}

impl std::fmt::Debug for LoginCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Password(_) => "Password(<redacted>)",
            Self::KeyProof(_) => "KeyProof(..)",
        })
    }
}

impl<A: IdentityAuthority> Issuer<A> {
    /// OperatorLogin: a session token and the session.
    pub async fn login(
        &self,
        operator_id: &str,
        credential: LoginCredential,
    ) -> Result<(String, Session), IssuerError> {
        limits::text("operator_id", operator_id, 1, 64)?;
        // A password check is an Argon2id evaluation: only so many run at once, and a call
        // past that is refused before it is counted or costs anything.
        let _permit = match &credential {
            LoginCredential::Password(password) => {
                limits::text("password", password, 1, 1024)?;
                Some(self.logins.try_acquire().map_err(|_| {
                    IssuerError::Exhausted(format!(
                        "{} operator password checks are running; try again shortly",
                        self.config.limits.logins_in_flight
                    ))
                })?)
            }
            LoginCredential::KeyProof(jws) => {
                limits::text("key_proof_jws", jws, 1, 8 * 1024)?;
                None
            }
        };
        let now = self.now_ms();
        let account = self.operators.attempt(operator_id, now)?.cloned();
        let ok = match (&account, credential) {
            (_, LoginCredential::Password(password)) => {
                let account = account.clone();
                tokio::task::spawn_blocking(move || {
                    Operators::password_matches(account.as_ref(), &password)
                })
                .await
                .map_err(|e| IssuerError::Internal(format!("password check task: {e}")))?
            }
            (Some(account), LoginCredential::KeyProof(jws)) => {
                match (&account.public_key, OperatorLoginJws::parse(&jws)) {
                    (Some(key), Ok(proof)) => {
                        let nonce_ok = self
                            .nonces
                            .take(proof.nonce(), Purpose::OperatorLogin, now)
                            .is_ok();
                        nonce_ok
                            && proof
                                .verify(key, operator_id, self.did().as_str(), now / 1000)
                                .is_ok()
                    }
                    _ => false,
                }
            }
            (None, LoginCredential::KeyProof(_)) => false,
        };
        match account {
            Some(account) if ok => self.operators.open_session(&account, now),
            _ => Err(Operators::refused()),
        }
    }

    /// The live session of a bearer token.
    pub fn session(&self, token: &str) -> Result<Session, IssuerError> {
        self.operators.session(token, self.now_ms())
    }

    /// OperatorLogout.
    pub fn logout(&self, token: &str) {
        self.operators.close_session(token);
    }
}
