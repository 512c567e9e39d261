//! The keys of the registry state.
//!
//! Every value in the state tree lives under a [`StateKey`]. The tree itself is keyed by
//! [`StateKey::key_hash`], a domain-separated SHA-256 of the key's canonical bytes, so a
//! light client that knows what it asked for can recompute the leaf position without
//! trusting the node.
//!
//! ```text
//! canonical bytes   tag u8 || body
//!   1 did            suffix(32)
//!   2 issuer         suffix(32)
//!   3 status list    issuer suffix(32) || list id str
//!   4 audit anchor   issuer suffix(32) || sequence u64
//!   5 governance     nonce u64            (a used governance nonce)
//!   6 transparency   issuer suffix(32) || day u32   (UTC days since 1970-01-01)
//!   7 register size  (none)               (how many issuers were ever accredited)
//!   8 register entry index u32            (the issuer accredited in that place)
//! key hash          SHA-256("realdid/state-key/v1" || canonical bytes)
//! ```

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt as _, Write};
use realdid_core::codec::MAX_NAME_LEN;
use realdid_core::codec::primitives::{read_bytes32, read_str, str_size, write_str};
use realdid_core::did::RealDid;
use sha2::{Digest, Sha256};

const KEY_DOMAIN: &[u8] = b"realdid/state-key/v1";

/// Where a value lives in the registry state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKey {
    /// The record of a did:realdid (its current state and metadata).
    Did(RealDid),
    /// An issuer's accreditation record.
    Issuer(RealDid),
    /// The latest anchor of one status list of an issuer.
    StatusList {
        /// The issuer that publishes the list.
        issuer: RealDid,
        /// The list's id (its URI).
        list_id: String,
    },
    /// One audit anchor of an issuer.
    Audit {
        /// The issuer that anchored it.
        issuer: RealDid,
        /// The anchor's sequence number.
        sequence: u64,
    },
    /// A governance nonce that has been used (replay protection).
    GovernanceNonce(u64),
    /// What an issuer's transparency counts did on one UTC day, by block time.
    TransparencyDay {
        /// The issuer.
        issuer: RealDid,
        /// Days since 1970-01-01 (UTC).
        day: u32,
    },
    /// How many issuers were ever accredited: the register's length.
    RegisterSize,
    /// The issuer in one place of the register, in order of first accreditation.
    RegisterEntry(u32),
}

/// The UTC day (days since 1970-01-01) of a block time in Unix milliseconds.
pub fn utc_day(timestamp_ms: u64) -> u32 {
    u32::try_from(timestamp_ms / 86_400_000).unwrap_or(u32::MAX)
}

/// A key's position in the state tree: SHA-256 of its domain and encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyHash(pub [u8; 32]);

impl StateKey {
    /// The position of this key in the state tree (jmt's key hash).
    pub fn key_hash(&self) -> KeyHash {
        let mut hasher = Sha256::new();
        hasher.update(KEY_DOMAIN);
        hasher.update(commonware_codec::Encode::encode(self));
        KeyHash(hasher.finalize().into())
    }
}

impl Write for StateKey {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Self::Did(did) => {
                buf.put_u8(1);
                buf.put_slice(did.suffix());
            }
            Self::Issuer(did) => {
                buf.put_u8(2);
                buf.put_slice(did.suffix());
            }
            Self::StatusList { issuer, list_id } => {
                buf.put_u8(3);
                buf.put_slice(issuer.suffix());
                write_str(list_id, buf);
            }
            Self::Audit { issuer, sequence } => {
                buf.put_u8(4);
                buf.put_slice(issuer.suffix());
                buf.put_u64(*sequence);
            }
            Self::GovernanceNonce(nonce) => {
                buf.put_u8(5);
                buf.put_u64(*nonce);
            }
            Self::TransparencyDay { issuer, day } => {
                buf.put_u8(6);
                buf.put_slice(issuer.suffix());
                buf.put_u32(*day);
            }
            Self::RegisterSize => buf.put_u8(7),
            Self::RegisterEntry(index) => {
                buf.put_u8(8);
                buf.put_u32(*index);
            }
        }
    }
}

impl EncodeSize for StateKey {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::Did(_) | Self::Issuer(_) => 32,
            Self::StatusList { list_id, .. } => 32 + str_size(list_id),
            Self::Audit { .. } => 32 + 8,
            Self::GovernanceNonce(_) => 8,
            Self::TransparencyDay { .. } => 32 + 4,
            Self::RegisterSize => 0,
            Self::RegisterEntry(_) => 4,
        }
    }
}

impl Read for StateKey {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            1 => Ok(Self::Did(RealDid::from_suffix(read_bytes32(buf)?))),
            2 => Ok(Self::Issuer(RealDid::from_suffix(read_bytes32(buf)?))),
            3 => Ok(Self::StatusList {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                list_id: read_str(buf, MAX_NAME_LEN, "status list id")?,
            }),
            4 => Ok(Self::Audit {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                sequence: u64::read(buf)?,
            }),
            5 => Ok(Self::GovernanceNonce(u64::read(buf)?)),
            6 => Ok(Self::TransparencyDay {
                issuer: RealDid::from_suffix(read_bytes32(buf)?),
                day: u32::read(buf)?,
            }),
            7 => Ok(Self::RegisterSize),
            8 => Ok(Self::RegisterEntry(u32::read(buf)?)),
            _ => Err(Error::Invalid("StateKey", "unknown key tag")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Copying, DecodeExt as _, Encode as _};

    fn keys() -> Vec<StateKey> {
        let did = RealDid::from_suffix([7; 32]);
        vec![
            StateKey::Did(did.clone()),
            StateKey::Issuer(did.clone()),
            StateKey::StatusList {
                issuer: did.clone(),
                list_id: "https://issuer.example/status/1".into(),
            },
            StateKey::Audit {
                issuer: did.clone(),
                sequence: 9,
            },
            StateKey::GovernanceNonce(3),
            StateKey::TransparencyDay {
                issuer: did,
                day: utc_day(1_764_979_200_000),
            },
            StateKey::RegisterSize,
            StateKey::RegisterEntry(41),
        ]
    }

    #[test]
    fn a_utc_day_starts_at_midnight() {
        // 2025-12-06T00:00:00Z is day 20428.
        assert_eq!(utc_day(1_764_979_200_000), 20_428);
        assert_eq!(utc_day(1_764_979_200_000 - 1), 20_427);
        assert_eq!(utc_day(0), 0);
    }

    #[test]
    fn keys_round_trip_and_hash_apart() {
        let mut hashes = std::collections::HashSet::new();
        for key in keys() {
            let bytes = key.encode();
            assert_eq!(bytes.len(), key.encode_size());
            assert_eq!(
                StateKey::decode(Copying(bytes.as_ref())).ok(),
                Some(key.clone())
            );
            assert!(hashes.insert(key.key_hash().0), "{key:?} collides");
        }
    }

    #[test]
    fn did_and_issuer_keys_of_one_did_differ() {
        let did = RealDid::from_suffix([1; 32]);
        assert_ne!(
            StateKey::Did(did.clone()).key_hash(),
            StateKey::Issuer(did).key_hash()
        );
    }
}
