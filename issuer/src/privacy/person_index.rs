//! The duplicate-enrolment index: Argon2id over the resident identity number, keyed with
//! the pepper.
//!
//! The salt is fixed (a domain tag) on purpose: the index must give the same hash for the
//! same person at every enrolment, which a per-record salt would prevent. The pepper, as
//! Argon2's secret input, stands in for the salt's job of making precomputed tables
//! useless; the memory-hard cost makes each guess expensive even for someone who has it.

use argon2::{Algorithm, Argon2, Params, Version};
use realdid_core::resident_id::ResidentId;
use serde::Deserialize;

use super::secrets::SECRET_LEN;
use crate::IssuerError;

/// The fixed salt: a domain tag, at least the 16 bytes Argon2 recommends.
const SALT: &[u8] = b"realdid/person-index/v1";
/// Bytes of one index entry.
pub const INDEX_LEN: usize = 32;

/// The Argon2id cost of the person index, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2Cost {
    /// Memory per evaluation, KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Cost {
    /// OWASP's second recommended Argon2id setting (19 MiB, 2 passes, 1 lane).
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Cost {
    /// The least the issuer accepts, for the person index and for operators' password
    /// hashes alike: OWASP's 19 MiB and 2 passes, the wallet's floor too. Resident ID
    /// numbers and passwords have little entropy; below this, whoever holds a copy of the
    /// database (and, for the index, the pepper) tests guesses too cheaply.
    pub const FLOOR: Argon2Cost = Argon2Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Refuses a cost below [`Argon2Cost::FLOOR`], naming `what` it is for.
    pub fn check_floor(&self, what: &str) -> Result<(), IssuerError> {
        if self.memory_kib < Self::FLOOR.memory_kib || self.iterations < Self::FLOOR.iterations {
            return Err(IssuerError::Config(format!(
                "{what}: {self} is below the floor of {} KiB and {} passes",
                Self::FLOOR.memory_kib,
                Self::FLOOR.iterations
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for Argon2Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Argon2id m={} KiB, t={}, p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }
}

/// A person's entry in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonKey(pub [u8; INDEX_LEN]);

/// Computes index entries.
pub struct PersonIndex {
    pepper: [u8; SECRET_LEN],
    params: Params,
}

/// The pepper is wiped when the index goes.
impl Drop for PersonIndex {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pepper);
    }
}

impl std::fmt::Debug for PersonIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonIndex").finish_non_exhaustive()
    }
}

impl PersonIndex {
    /// An index with this pepper and cost; refuses a cost Argon2 does not accept.
    pub fn new(pepper: [u8; SECRET_LEN], cost: Argon2Cost) -> Result<Self, IssuerError> {
        let params = Params::new(
            cost.memory_kib,
            cost.iterations,
            cost.parallelism,
            Some(INDEX_LEN),
        )
        .map_err(|e| IssuerError::Config(format!("argon2 cost {cost}: {e}")))?;
        Ok(Self { pepper, params })
    }

    /// The entry of the person with this resident identity number. Slow on purpose: one
    /// Argon2id evaluation at the configured cost.
    pub fn key(&self, resident_id: &ResidentId) -> Result<PersonKey, IssuerError> {
        let mut out = [0u8; INDEX_LEN];
        Argon2::new_with_secret(
            &self.pepper,
            Algorithm::Argon2id,
            Version::V0x13,
            self.params.clone(),
        )
        .map_err(|e| IssuerError::Internal(format!("argon2 secret: {e}")))?
        .hash_password_into(resident_id.as_str().as_bytes(), SALT, &mut out)
        .map_err(|e| IssuerError::Internal(format!("argon2: {e}")))?;
        Ok(PersonKey(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use realdid_core::resident_id::ResidentIdGenerator;

    fn cheap() -> Argon2Cost {
        Argon2Cost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn same_person_same_key_other_person_or_pepper_other_key() -> Result<(), IssuerError> {
        let mut ids = ResidentIdGenerator::new(7);
        let (a, b) = (ids.next_id(), ids.next_id());
        let index = PersonIndex::new([1; 32], cheap())?;
        assert_eq!(index.key(&a)?, index.key(&a)?);
        assert_ne!(index.key(&a)?, index.key(&b)?);
        let other_pepper = PersonIndex::new([2; 32], cheap())?;
        assert_ne!(index.key(&a)?, other_pepper.key(&a)?);
        // The entry is not the number in any encoding.
        let entry = index.key(&a)?.0;
        assert!(
            !entry
                .windows(4)
                .any(|w| a.as_str().as_bytes().windows(4).any(|x| x == w))
        );
        Ok(())
    }

    #[test]
    fn a_cost_argon2_refuses_is_a_config_error() {
        let bad = Argon2Cost {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
        };
        assert!(matches!(
            PersonIndex::new([0; 32], bad),
            Err(IssuerError::Config(_))
        ));
    }
}
