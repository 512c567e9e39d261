//! An organisation's DID and its keys: the issuer's, and each provider's that signs
//! presentation requests. Kept as JSON text; the services write it to a file of their own
//! (mode 0600).
//!
//! The DID is created with one key, `key-1`, for assertion (signing credentials, status
//! lists, anchors and requests) and capability invocation (updating the DID). Rotation adds
//! a new assertion key by a DID update and makes it the active signer, keeping the old keys
//! in the document: what they signed stays verifiable until it expires. The recovery key,
//! which can take the DID back if the others are lost, is meant to live offline; the text
//! holds it only so that a devnet is self-contained.
//!
//! ```json
//! {"did": "did:realdid:…", "controller": "key-1", "active": "key-2",
//!  "keys": {"key-1": "<hex seed>", "key-2": "<hex seed>"}, "recovery": "<hex seed>"}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize as _, Zeroizing};

use super::{
    CreateOp, DidOperation, DidState, KeyId, Purposes, RealDid, SignedDidOperation, UpdateOp,
    VerificationKey,
};
use crate::codec::ChainId;
use crate::jws::KeySigner;
use crate::keys::{Algorithm, SigningKey};

/// Why keys could not be read, made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgKeysError {
    /// The text is not a key file, or names something it does not hold.
    #[error("malformed keys: {reason}")]
    Malformed { reason: String },
    /// A key could not be generated, decoded or used to sign.
    #[error("key: {reason}")]
    Key { reason: String },
    /// The DID's current document does not list the active key for assertion.
    #[error(
        "the document of {did} (version {version}) does not list the active key {key_id} for assertion"
    )]
    NotListed {
        did: RealDid,
        version: u64,
        key_id: String,
    },
}

fn key_error(e: impl std::fmt::Display) -> OrgKeysError {
    OrgKeysError::Key {
        reason: e.to_string(),
    }
}

fn malformed(reason: impl Into<String>) -> OrgKeysError {
    OrgKeysError::Malformed {
        reason: reason.into(),
    }
}

#[derive(Serialize, Deserialize)]
struct KeysText {
    did: String,
    controller: String,
    active: String,
    keys: BTreeMap<String, String>,
    recovery: String,
}

/// The hex seeds are secrets: wiped once the keys are built or the text is written.
impl Drop for KeysText {
    fn drop(&mut self) {
        self.keys.values_mut().for_each(|seed| seed.zeroize());
        self.recovery.zeroize();
    }
}

/// An organisation's DID and its keys.
#[derive(Clone)]
pub struct OrgKeys {
    did: RealDid,
    controller: KeyId,
    active: KeyId,
    keys: BTreeMap<KeyId, SigningKey>,
    recovery: SigningKey,
}

impl std::fmt::Debug for OrgKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgKeys")
            .field("did", &self.did.to_string())
            .field("active", &self.active.as_str())
            .finish_non_exhaustive()
    }
}

fn seed(key: &SigningKey) -> Result<String, OrgKeysError> {
    Ok(hex::encode(*key.secret_bytes().map_err(key_error)?))
}

fn from_seed(text: &str) -> Result<SigningKey, OrgKeysError> {
    let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(key_error)?);
    SigningKey::from_secret_bytes(Algorithm::EdDsa, &bytes).map_err(key_error)
}

impl OrgKeys {
    /// New keys for a new DID (not yet on the registry: see [`create_operation`]).
    ///
    /// [`create_operation`]: Self::create_operation
    pub fn generate() -> Result<Self, OrgKeysError> {
        let key = SigningKey::generate(Algorithm::EdDsa).map_err(key_error)?;
        let recovery = SigningKey::generate(Algorithm::EdDsa).map_err(key_error)?;
        Ok(Self::from_keys(key, recovery))
    }

    /// The DID that `key` (as `key-1`) and `recovery` create.
    pub fn from_keys(key: SigningKey, recovery: SigningKey) -> Self {
        let did = Self::create(&key, &recovery).did();
        let mut keys = BTreeMap::new();
        keys.insert(KeyId::first(), key);
        Self {
            did,
            controller: KeyId::first(),
            active: KeyId::first(),
            keys,
            recovery,
        }
    }

    fn create(key: &SigningKey, recovery: &SigningKey) -> DidOperation {
        DidOperation::Create(CreateOp::single_key(
            &key.public_key(),
            Purposes::ASSERTION_METHOD,
            &recovery.public_key(),
        ))
    }

    /// The signed operation that creates the DID on `chain` (the same bytes every time, so
    /// submitting it again is harmless).
    pub fn create_operation(&self, chain: &ChainId) -> Result<SignedDidOperation, OrgKeysError> {
        let first = self
            .keys
            .get(&KeyId::first())
            .ok_or_else(|| malformed("there is no key-1"))?;
        let create = Self::create(first, &self.recovery);
        if create.did() != self.did {
            return Err(malformed(format!(
                "key-1 and the recovery key do not derive {}",
                self.did
            )));
        }
        create
            .sign(chain, Some(KeyId::first()), first)
            .map_err(key_error)
    }

    /// Reads the JSON form.
    pub fn from_json(text: &str) -> Result<Self, OrgKeysError> {
        let file: KeysText =
            serde_json::from_str(text).map_err(|e| malformed(format!("does not parse: {e}")))?;
        let did: RealDid = file
            .did
            .parse()
            .map_err(|e| malformed(format!("did: {e}")))?;
        let keys = file
            .keys
            .iter()
            .map(|(id, seed)| {
                let id: KeyId = id
                    .parse()
                    .map_err(|e| malformed(format!("key id {id}: {e}")))?;
                Ok((id, from_seed(seed)?))
            })
            .collect::<Result<BTreeMap<_, _>, OrgKeysError>>()?;
        let controller: KeyId = file
            .controller
            .parse()
            .map_err(|e| malformed(format!("controller: {e}")))?;
        let active: KeyId = file
            .active
            .parse()
            .map_err(|e| malformed(format!("active: {e}")))?;
        for id in [&controller, &active] {
            if !keys.contains_key(id) {
                return Err(malformed(format!(
                    "{} is named but not in keys",
                    id.as_str()
                )));
            }
        }
        Ok(Self {
            did,
            controller,
            active,
            keys,
            recovery: from_seed(&file.recovery)?,
        })
    }

    /// The JSON form, secrets included (wiped when dropped).
    pub fn to_json(&self) -> Result<Zeroizing<String>, OrgKeysError> {
        let file = KeysText {
            did: self.did.to_string(),
            controller: self.controller.as_str().to_owned(),
            active: self.active.as_str().to_owned(),
            keys: self
                .keys
                .iter()
                .map(|(id, key)| Ok((id.as_str().to_owned(), seed(key)?)))
                .collect::<Result<_, OrgKeysError>>()?,
            recovery: seed(&self.recovery)?,
        };
        serde_json::to_string_pretty(&file)
            .map(Zeroizing::new)
            .map_err(|e| malformed(format!("encoding: {e}")))
    }

    /// The DID.
    pub fn did(&self) -> &RealDid {
        &self.did
    }

    /// The active signing key's id.
    pub fn active_key_id(&self) -> &KeyId {
        &self.active
    }

    /// The active signing key.
    pub fn active_key(&self) -> Result<&SigningKey, OrgKeysError> {
        self.keys
            .get(&self.active)
            .ok_or_else(|| malformed("the active key is missing"))
    }

    /// A JWS signer with the active key, `kid` = its DID URL.
    pub fn signer(&self) -> Result<KeySigner, OrgKeysError> {
        Ok(KeySigner::with_key_id(
            self.active_key()?.clone(),
            format!("{}#{}", self.did, self.active.as_str()),
        ))
    }

    /// Checks that the DID's current document lists the active key for assertion, so
    /// that everything signed with it verifies.
    pub fn check_against(&self, state: &DidState) -> Result<(), OrgKeysError> {
        let active = self.active_key()?.public_key();
        match state.key_for(&self.active, Purposes::ASSERTION_METHOD) {
            Some(key) if *key == active => Ok(()),
            _ => Err(OrgKeysError::NotListed {
                did: self.did.clone(),
                version: state.version,
                key_id: self.active.as_str().to_owned(),
            }),
        }
    }

    /// A rotation: a new assertion key added to the document by an update signed with the
    /// controller key, and the keys with it active. The caller submits the update and saves
    /// the keys once it is final.
    pub fn rotate(
        &self,
        chain: &ChainId,
        state: &DidState,
    ) -> Result<(Self, SignedDidOperation), OrgKeysError> {
        let next_number = (1..)
            .find(|n| {
                let id = format!("key-{n}");
                !state.document.keys.iter().any(|k| k.id.as_str() == id)
                    && !self.keys.keys().any(|k| k.as_str() == id)
            })
            .unwrap_or(2);
        let id: KeyId = format!("key-{next_number}").parse().map_err(key_error)?;
        let key = SigningKey::generate(Algorithm::EdDsa).map_err(key_error)?;
        let mut document = state.document.clone();
        document.keys.push(VerificationKey {
            id: id.clone(),
            key: key.public_key(),
            purposes: Purposes::ASSERTION_METHOD,
        });
        let controller = self
            .keys
            .get(&self.controller)
            .ok_or_else(|| malformed("the controller key is missing"))?;
        let update = DidOperation::Update(UpdateOp {
            did: self.did.clone(),
            previous: state.last_operation,
            document,
        })
        .sign(chain, Some(self.controller.clone()), controller)
        .map_err(key_error)?;
        let mut next = self.clone();
        next.keys.insert(id.clone(), key);
        next.active = id;
        Ok((next, update))
    }
}
