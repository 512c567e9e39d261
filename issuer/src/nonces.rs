//! Single-use nonces, each bound to one purpose and a deadline.
//!
//! Held in memory: a nonce lives minutes, and an issuer restart only makes wallets ask for
//! a new one. The number outstanding is capped, so asking for nonces in a loop cannot grow
//! the issuer's memory without bound.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::IssuerError;

/// Bytes of randomness in a nonce (43 base64url characters).
pub const NONCE_BYTES: usize = 32;
/// Longest nonce text a request may carry.
pub const MAX_NONCE_LEN: usize = 128;
/// Most nonces outstanding at once.
pub const MAX_OUTSTANDING: usize = 200_000;

/// What a nonce answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Enrol.
    Enrol,
    /// SuspendSelf.
    Suspend,
    /// ResumeSelf.
    Resume,
    /// ListOwnTraces.
    ListOwnTraces,
    /// OperatorLogin with a key.
    OperatorLogin,
    /// ListReseals.
    Reseal,
}

/// Why a nonce is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRefusal {
    /// Never issued, already used, or forgotten.
    Unknown,
    /// Issued for another purpose.
    WrongPurpose,
    /// Past its deadline.
    Expired,
}

impl std::fmt::Display for NonceRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unknown => "the nonce is unknown or already used",
            Self::WrongPurpose => "the nonce was issued for another purpose",
            Self::Expired => "the nonce has expired",
        })
    }
}

/// The outstanding nonces.
#[derive(Debug)]
pub struct Nonces {
    ttl_ms: i64,
    live: Mutex<HashMap<String, (Purpose, i64)>>,
}

impl Nonces {
    /// Nonces that live `ttl_seconds`.
    pub fn new(ttl_seconds: u32) -> Self {
        Self {
            ttl_ms: i64::from(ttl_seconds) * 1000,
            live: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Purpose, i64)>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh nonce for `purpose` and its deadline (Unix ms).
    pub fn create(&self, purpose: Purpose, now_ms: i64) -> Result<(String, i64), IssuerError> {
        let mut bytes = [0u8; NONCE_BYTES];
        getrandom::fill(&mut bytes).map_err(IssuerError::Randomness)?;
        let nonce = URL_SAFE_NO_PAD.encode(bytes);
        let expires = now_ms + self.ttl_ms;
        let mut live = self.lock();
        if live.len() >= MAX_OUTSTANDING {
            live.retain(|_, (_, deadline)| *deadline > now_ms);
            if live.len() >= MAX_OUTSTANDING {
                return Err(IssuerError::Exhausted(format!(
                    "{MAX_OUTSTANDING} nonces are outstanding; try again later"
                )));
            }
        }
        live.insert(nonce.clone(), (purpose, expires));
        Ok((nonce, expires))
    }

    /// Whether `nonce` is live for `purpose`, without using it up.
    pub fn check(&self, nonce: &str, purpose: Purpose, now_ms: i64) -> Result<(), NonceRefusal> {
        match self.lock().get(nonce) {
            None => Err(NonceRefusal::Unknown),
            Some((p, _)) if *p != purpose => Err(NonceRefusal::WrongPurpose),
            Some((_, deadline)) if *deadline <= now_ms => Err(NonceRefusal::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Uses `nonce` up if it is live for `purpose`.
    pub fn take(&self, nonce: &str, purpose: Purpose, now_ms: i64) -> Result<(), NonceRefusal> {
        let mut live = self.lock();
        let refusal = match live.get(nonce) {
            None => return Err(NonceRefusal::Unknown),
            Some((p, _)) if *p != purpose => return Err(NonceRefusal::WrongPurpose),
            Some((_, deadline)) if *deadline <= now_ms => Some(NonceRefusal::Expired),
            Some(_) => None,
        };
        live.remove(nonce);
        refusal.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_answers_once_its_own_purpose_before_its_deadline() -> Result<(), IssuerError> {
        let nonces = Nonces::new(60);
        let (n, deadline) = nonces.create(Purpose::Enrol, 1_000)?;
        assert_eq!(n.len(), 43);
        assert_eq!(deadline, 61_000);
        assert_eq!(
            nonces.take(&n, Purpose::Suspend, 2_000),
            Err(NonceRefusal::WrongPurpose)
        );
        assert_eq!(nonces.check(&n, Purpose::Enrol, 2_000), Ok(()));
        assert_eq!(nonces.take(&n, Purpose::Enrol, 2_000), Ok(()));
        assert_eq!(
            nonces.take(&n, Purpose::Enrol, 2_000),
            Err(NonceRefusal::Unknown)
        );
        let (late, _) = nonces.create(Purpose::Enrol, 1_000)?;
        assert_eq!(
            nonces.take(&late, Purpose::Enrol, 61_000),
            Err(NonceRefusal::Expired)
        );
        assert_eq!(
            nonces.take(&late, Purpose::Enrol, 1_000),
            Err(NonceRefusal::Unknown)
        );
        assert_ne!(
            nonces.create(Purpose::Enrol, 0)?.0,
            nonces.create(Purpose::Enrol, 0)?.0
        );
        Ok(())
    }
}
