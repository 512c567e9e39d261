//! An issuer's lawful-trace approvers, as governance puts them on chain.
//!
//! The set lives on chain rather than in the issuer's configuration so that the chain itself
//! can refuse an opening that too few of them approved: an issuer that rewrote its own
//! configuration would still need k of the keys governance named. Each approver has two
//! public keys, because the two jobs must not share a key: an Ed25519 key that signs
//! approvals (checked by the chain) and an X25519 key that identity-record shares are sealed
//! to (HPKE, used only by the issuer and the requesting officer).
//!
//! ```text
//! approver set   threshold u8 || varint(n) || n × approver
//! approver       id str (1..=64 bytes) || signing public key (Ed25519) || HPKE public key (32)
//! ```

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt as _, Write};

use super::primitives::{
    public_key_size, read_bytes32, read_count, read_public_key, read_str, str_size,
    write_public_key, write_str,
};
use crate::keys::{Algorithm, PublicKey};

/// Most approvers one issuer may have.
pub const MAX_TRACE_APPROVERS: usize = 32;
/// Longest approver id, in bytes.
pub const MAX_APPROVER_ID_LEN: usize = 64;
/// Fewest approvals an opening may need: one approver alone is the single party this
/// design exists to rule out.
pub const MIN_TRACE_THRESHOLD: u8 = 2;

/// One approver, by its public keys only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceApprover {
    /// A name for people and for the issuer's records (unique within the set).
    pub id: String,
    /// Signs approvals; Ed25519.
    pub signing_key: PublicKey,
    /// Receives sealed shares of identity records; an X25519 public key.
    pub hpke_key: [u8; 32],
}

/// An issuer's approvers and how many of them an opening needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproverSet {
    /// Approvals an opening needs (k).
    pub threshold: u8,
    /// The approvers (n), in the order governance listed them.
    pub approvers: Vec<TraceApprover>,
}

impl ApproverSet {
    /// The approvers as identity records are sealed to them, in set order: the issuer seals
    /// to these, and an approver re-seals to these after reading the set from the chain.
    pub fn sealing_approvers(
        &self,
    ) -> Result<Vec<crate::escrow::ApproverPublic>, crate::escrow::EscrowError> {
        self.approvers
            .iter()
            .map(|a| {
                crate::escrow::ApproverPublic::from_parts(
                    &a.id,
                    &a.signing_key.to_bytes(),
                    &a.hpke_key,
                )
            })
            .collect()
    }

    /// Why this set cannot be an issuer's, if it cannot: k from [`MIN_TRACE_THRESHOLD`] to
    /// n, at most [`MAX_TRACE_APPROVERS`], every id non-empty, and no id or key used twice
    /// (a repeated key would let one person count twice).
    pub fn problem(&self) -> Option<String> {
        let n = self.approvers.len();
        if n > MAX_TRACE_APPROVERS {
            return Some(format!("{n} approvers; at most {MAX_TRACE_APPROVERS}"));
        }
        if self.threshold < MIN_TRACE_THRESHOLD || usize::from(self.threshold) > n {
            return Some(format!(
                "threshold {} of {n} approvers: it must be at least {MIN_TRACE_THRESHOLD} and \
                 at most the number of approvers",
                self.threshold
            ));
        }
        for (i, a) in self.approvers.iter().enumerate() {
            if a.id.is_empty() {
                return Some(format!("approver {} has an empty id", i + 1));
            }
            if a.signing_key.algorithm() != Algorithm::EdDsa {
                return Some(format!(
                    "approver {}: the signing key must be Ed25519",
                    a.id
                ));
            }
            if a.hpke_key == [0; 32] {
                return Some(format!("approver {}: the HPKE key is all zeros", a.id));
            }
            for earlier in &self.approvers[..i] {
                if earlier.id == a.id {
                    return Some(format!("approver id {:?} is listed twice", a.id));
                }
                if earlier.signing_key == a.signing_key || earlier.hpke_key == a.hpke_key {
                    return Some(format!("approvers {} and {} share a key", earlier.id, a.id));
                }
            }
        }
        None
    }

    /// The approver whose signing key is `key`.
    pub fn by_signing_key(&self, key: &PublicKey) -> Option<&TraceApprover> {
        self.approvers.iter().find(|a| &a.signing_key == key)
    }
}

impl Write for TraceApprover {
    fn write(&self, buf: &mut impl BufMut) {
        write_str(&self.id, buf);
        write_public_key(&self.signing_key, buf);
        buf.put_slice(&self.hpke_key);
    }
}

impl EncodeSize for TraceApprover {
    fn encode_size(&self) -> usize {
        str_size(&self.id) + public_key_size(&self.signing_key) + 32
    }
}

impl Read for TraceApprover {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            id: read_str(buf, MAX_APPROVER_ID_LEN, "approver id")?,
            signing_key: read_public_key(buf)?,
            hpke_key: read_bytes32(buf)?,
        })
    }
}

impl Write for ApproverSet {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_u8(self.threshold);
        self.approvers.len().write(buf);
        for a in &self.approvers {
            a.write(buf);
        }
    }
}

impl EncodeSize for ApproverSet {
    fn encode_size(&self) -> usize {
        1 + self.approvers.len().encode_size()
            + self
                .approvers
                .iter()
                .map(EncodeSize::encode_size)
                .sum::<usize>()
    }
}

impl Read for ApproverSet {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let threshold = u8::read(buf)?;
        let n = read_count(buf, MAX_TRACE_APPROVERS)?;
        let mut approvers = Vec::with_capacity(n);
        for _ in 0..n {
            approvers.push(TraceApprover::read(buf)?);
        }
        Ok(Self {
            threshold,
            approvers,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure report

    use super::*;
    use crate::keys::SigningKey;
    use commonware_codec::{DecodeExt as _, Encode as _};

    fn approver(id: &str, hpke: u8) -> TraceApprover {
        TraceApprover {
            id: id.into(),
            signing_key: SigningKey::generate(Algorithm::EdDsa)
                .expect("key")
                .public_key(),
            hpke_key: [hpke; 32],
        }
    }

    fn set(threshold: u8, approvers: Vec<TraceApprover>) -> ApproverSet {
        ApproverSet {
            threshold,
            approvers,
        }
    }

    #[test]
    fn a_set_round_trips() {
        let s = set(
            2,
            vec![approver("a", 1), approver("b", 2), approver("c", 3)],
        );
        let bytes = s.encode();
        assert_eq!(bytes.len(), s.encode_size());
        assert_eq!(
            ApproverSet::decode(commonware_codec::Copying(bytes.as_ref())).ok(),
            Some(s)
        );
    }

    #[test]
    fn no_single_party_and_no_party_twice() {
        let good = set(2, vec![approver("a", 1), approver("b", 2)]);
        assert_eq!(good.problem(), None);
        assert!(set(1, good.approvers.clone()).problem().is_some(), "k = 1");
        assert!(set(3, good.approvers.clone()).problem().is_some(), "k > n");
        let twice = set(2, vec![approver("a", 1), approver("a", 2)]);
        assert!(twice.problem().is_some_and(|p| p.contains("twice")));
        let mut same_key = set(2, vec![approver("a", 1), approver("b", 2)]);
        same_key.approvers[1].signing_key = same_key.approvers[0].signing_key.clone();
        assert!(
            same_key
                .problem()
                .is_some_and(|p| p.contains("share a key"))
        );
        let same_hpke = set(2, vec![approver("a", 1), approver("b", 1)]);
        assert!(
            same_hpke
                .problem()
                .is_some_and(|p| p.contains("share a key"))
        );
        let p256 = TraceApprover {
            signing_key: SigningKey::generate(Algorithm::Es256)
                .expect("key")
                .public_key(),
            ..approver("p", 9)
        };
        assert!(set(2, vec![approver("a", 1), p256]).problem().is_some());
    }
}
