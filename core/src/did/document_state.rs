//! The content of a did:realdid document as the registry stores it: verification keys with
//! their purposes, and service endpoints. The W3C DID document is rendered from this
//! (see [`super::document`]); the chain never stores JSON.

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt as _, Write};

use super::{DidError, KeyId};
use crate::codec::primitives::{
    public_key_size, read_count, read_public_key, read_str, str_size, write_public_key, write_str,
};
use crate::keys::PublicKey;

/// Most verification keys one document may list.
pub const MAX_KEYS: usize = 16;
/// Most services one document may list.
pub const MAX_SERVICES: usize = 16;
/// Longest service type, in bytes.
pub const MAX_SERVICE_TYPE_LEN: usize = 64;
/// Longest service endpoint, in bytes.
pub const MAX_ENDPOINT_LEN: usize = 512;

/// The verification relationships a key may serve, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Purposes(u8);

impl Purposes {
    /// `authentication`: prove control of the DID (log in, enrolment proofs, key binding).
    pub const AUTHENTICATION: Self = Self(1);
    /// `assertionMethod`: sign credentials and anchors (issuers).
    pub const ASSERTION_METHOD: Self = Self(1 << 1);
    /// `capabilityInvocation`: sign updates of this DID.
    pub const CAPABILITY_INVOCATION: Self = Self(1 << 2);
    /// `capabilityDelegation`: delegate capabilities (reserved, rendered only).
    pub const CAPABILITY_DELEGATION: Self = Self(1 << 3);
    const ALL: u8 = 0b1111;

    /// The empty set.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// The union of two sets.
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every purpose of `other` is in this set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The set of raw bits, if no unknown bit is set.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        if bits & !Self::ALL == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }
}

/// One verification key of a DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// Fragment naming the key, `did:realdid:…#<id>`.
    pub id: KeyId,
    /// The public key.
    pub key: PublicKey,
    /// What the key may be used for; never empty.
    pub purposes: Purposes,
}

/// One service endpoint of a DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    /// Fragment naming the service.
    pub id: KeyId,
    /// Service type, e.g. `LinkedDomains` or `RealDidIssuer`.
    pub service_type: String,
    /// Endpoint URI.
    pub endpoint: String,
}

/// Keys and services of a DID; what create, update and recover set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentState {
    /// Verification keys, in the order they were given.
    pub keys: Vec<VerificationKey>,
    /// Services, in the order they were given.
    pub services: Vec<ServiceEntry>,
}

impl DocumentState {
    /// Checks the method's rules for a live document: at most [`MAX_KEYS`] keys and
    /// [`MAX_SERVICES`] services, unique ids across keys and services, no key without a
    /// purpose, at least one `capabilityInvocation` key (or nobody could update the DID), and
    /// bounded, printable service fields.
    pub fn check(&self) -> Result<(), DidError> {
        let bad = |reason: String| Err(DidError::InvalidDocument { reason });
        if self.keys.len() > MAX_KEYS {
            return bad(format!("{} keys, at most {MAX_KEYS}", self.keys.len()));
        }
        if self.services.len() > MAX_SERVICES {
            return bad(format!(
                "{} services, at most {MAX_SERVICES}",
                self.services.len()
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for id in self
            .keys
            .iter()
            .map(|k| &k.id)
            .chain(self.services.iter().map(|s| &s.id))
        {
            if !ids.insert(id) {
                return bad(format!("id #{id} is used twice"));
            }
        }
        if let Some(k) = self.keys.iter().find(|k| k.purposes == Purposes::empty()) {
            return bad(format!("key #{} has no purpose", k.id));
        }
        if !self
            .keys
            .iter()
            .any(|k| k.purposes.contains(Purposes::CAPABILITY_INVOCATION))
        {
            return bad("no key may update the DID (capabilityInvocation)".into());
        }
        for s in &self.services {
            if s.service_type.is_empty() || s.service_type.len() > MAX_SERVICE_TYPE_LEN {
                return bad(format!(
                    "service #{} type must be 1..={MAX_SERVICE_TYPE_LEN} bytes",
                    s.id
                ));
            }
            if s.endpoint.is_empty() || s.endpoint.len() > MAX_ENDPOINT_LEN {
                return bad(format!(
                    "service #{} endpoint must be 1..={MAX_ENDPOINT_LEN} bytes",
                    s.id
                ));
            }
            let printable = |t: &str| t.chars().all(|c| !c.is_control() && !c.is_whitespace());
            if !printable(&s.service_type) || !printable(&s.endpoint) {
                return bad(format!(
                    "service #{} has whitespace or control characters",
                    s.id
                ));
            }
        }
        Ok(())
    }

    /// The key with this id.
    pub fn key(&self, id: &KeyId) -> Option<&VerificationKey> {
        self.keys.iter().find(|k| &k.id == id)
    }
}

fn read_key_id(buf: &mut impl Buf) -> Result<KeyId, Error> {
    read_str(buf, super::key_id::MAX_KEY_ID_LEN, "key id")?
        .parse()
        .map_err(|_| Error::Invalid("key id", "bad syntax"))
}

impl Write for KeyId {
    fn write(&self, buf: &mut impl BufMut) {
        write_str(self.as_str(), buf);
    }
}

impl EncodeSize for KeyId {
    fn encode_size(&self) -> usize {
        str_size(self.as_str())
    }
}

impl Read for KeyId {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        read_key_id(buf)
    }
}

impl Write for DocumentState {
    fn write(&self, buf: &mut impl BufMut) {
        self.keys.len().write(buf);
        for k in &self.keys {
            k.id.write(buf);
            write_public_key(&k.key, buf);
            buf.put_u8(k.purposes.bits());
        }
        self.services.len().write(buf);
        for s in &self.services {
            s.id.write(buf);
            write_str(&s.service_type, buf);
            write_str(&s.endpoint, buf);
        }
    }
}

impl EncodeSize for DocumentState {
    fn encode_size(&self) -> usize {
        self.keys.len().encode_size()
            + self
                .keys
                .iter()
                .map(|k| k.id.encode_size() + public_key_size(&k.key) + 1)
                .sum::<usize>()
            + self.services.len().encode_size()
            + self
                .services
                .iter()
                .map(|s| s.id.encode_size() + str_size(&s.service_type) + str_size(&s.endpoint))
                .sum::<usize>()
    }
}

impl Read for DocumentState {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let n = read_count(buf, MAX_KEYS)?;
        let mut keys = Vec::with_capacity(n);
        for _ in 0..n {
            let id = read_key_id(buf)?;
            let key = read_public_key(buf)?;
            let bits = u8::read(buf)?;
            let purposes =
                Purposes::from_bits(bits).ok_or(Error::Invalid("purposes", "unknown bit"))?;
            keys.push(VerificationKey { id, key, purposes });
        }
        let n = read_count(buf, MAX_SERVICES)?;
        let mut services = Vec::with_capacity(n);
        for _ in 0..n {
            let id = read_key_id(buf)?;
            let service_type = read_str(buf, MAX_SERVICE_TYPE_LEN, "service type")?;
            let endpoint = read_str(buf, MAX_ENDPOINT_LEN, "service endpoint")?;
            services.push(ServiceEntry {
                id,
                service_type,
                endpoint,
            });
        }
        Ok(Self { keys, services })
    }
}
