//! The issuer DID's keys, in a file of their own (mode 0600).
//!
//! The DID is created with one key, `key-1`, for assertion (signing credentials, status
//! lists and anchors) and capability invocation (updating the DID). Rotation adds a new
//! assertion key by a DID update and makes it the active signer, keeping the old keys in
//! the document: credentials they signed stay verifiable until they expire. The recovery
//! key, which can take the DID back if the others are lost, is meant to live offline; the
//! file holds it only so the devnet is self-contained.
//!
//! ```json
//! {"did": "did:realdid:…", "controller": "key-1", "active": "key-2",
//!  "keys": {"key-1": "<hex seed>", "key-2": "<hex seed>"}, "recovery": "<hex seed>"}
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use realdid_core::did::{
    CreateOp, DidOperation, DidState, KeyId, Purposes, RealDid, SignedDidOperation, UpdateOp,
    VerificationKey,
};
use realdid_core::jws::KeySigner;
use realdid_core::keys::{Algorithm, SigningKey};
use serde::{Deserialize, Serialize};

use crate::IssuerError;

#[derive(Serialize, Deserialize)]
struct KeysFile {
    did: String,
    controller: String,
    active: String,
    keys: BTreeMap<String, String>,
    recovery: String,
}

/// The issuer's DID and its keys.
#[derive(Clone)]
pub struct IssuerKeys {
    did: RealDid,
    controller: KeyId,
    active: KeyId,
    keys: BTreeMap<KeyId, SigningKey>,
    recovery: SigningKey,
}

impl std::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("did", &self.did.to_string())
            .field("active", &self.active.as_str())
            .finish_non_exhaustive()
    }
}

fn key_error(e: impl std::fmt::Display) -> IssuerError {
    IssuerError::Config(format!("issuer key: {e}"))
}

fn seed(key: &SigningKey) -> Result<String, IssuerError> {
    Ok(hex::encode(key.secret_bytes().map_err(key_error)?))
}

fn from_seed(text: &str) -> Result<SigningKey, IssuerError> {
    let bytes = hex::decode(text.trim()).map_err(key_error)?;
    SigningKey::from_secret_bytes(Algorithm::EdDsa, &bytes).map_err(key_error)
}

impl IssuerKeys {
    /// New keys for a new DID (not yet on the registry: see [`create_operation`]).
    ///
    /// [`create_operation`]: Self::create_operation
    pub fn generate() -> Result<Self, IssuerError> {
        let key = SigningKey::generate(Algorithm::EdDsa).map_err(key_error)?;
        let recovery = SigningKey::generate(Algorithm::EdDsa).map_err(key_error)?;
        let did = Self::create(&key, &recovery).did();
        let mut keys = BTreeMap::new();
        keys.insert(KeyId::first(), key);
        Ok(Self {
            did,
            controller: KeyId::first(),
            active: KeyId::first(),
            keys,
            recovery,
        })
    }

    fn create(key: &SigningKey, recovery: &SigningKey) -> DidOperation {
        DidOperation::Create(CreateOp::single_key(
            &key.public_key(),
            Purposes::ASSERTION_METHOD,
            &recovery.public_key(),
        ))
    }

    /// The signed operation that creates the DID (the same bytes every time, so submitting
    /// it again is harmless).
    pub fn create_operation(&self) -> Result<SignedDidOperation, IssuerError> {
        let first = self
            .keys
            .get(&KeyId::first())
            .ok_or_else(|| IssuerError::Config("the key file has no key-1".into()))?;
        let create = Self::create(first, &self.recovery);
        if create.did() != self.did {
            return Err(IssuerError::Config(format!(
                "key-1 and the recovery key do not derive {}",
                self.did
            )));
        }
        create.sign(Some(KeyId::first()), first).map_err(key_error)
    }

    /// Reads the key file.
    pub fn load(path: &Path) -> Result<Self, IssuerError> {
        let text = crate::files::read_private(path)?;
        let bad = |what: String| IssuerError::Config(format!("{}: {what}", path.display()));
        let file: KeysFile =
            serde_json::from_str(&text).map_err(|e| bad(format!("does not parse: {e}")))?;
        let did: RealDid = file.did.parse().map_err(|e| bad(format!("did: {e}")))?;
        let keys = file
            .keys
            .iter()
            .map(|(id, seed)| {
                let id: KeyId = id.parse().map_err(|e| bad(format!("key id {id}: {e}")))?;
                Ok((id, from_seed(seed)?))
            })
            .collect::<Result<BTreeMap<_, _>, IssuerError>>()?;
        let controller: KeyId = file
            .controller
            .parse()
            .map_err(|e| bad(format!("controller: {e}")))?;
        let active: KeyId = file
            .active
            .parse()
            .map_err(|e| bad(format!("active: {e}")))?;
        for id in [&controller, &active] {
            if !keys.contains_key(id) {
                return Err(bad(format!("{} is named but not in keys", id.as_str())));
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

    /// Writes the key file (mode 0600).
    pub fn save(&self, path: &Path) -> Result<(), IssuerError> {
        let file = KeysFile {
            did: self.did.to_string(),
            controller: self.controller.as_str().to_owned(),
            active: self.active.as_str().to_owned(),
            keys: self
                .keys
                .iter()
                .map(|(id, key)| Ok((id.as_str().to_owned(), seed(key)?)))
                .collect::<Result<_, IssuerError>>()?,
            recovery: seed(&self.recovery)?,
        };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| IssuerError::Internal(format!("encoding keys: {e}")))?;
        crate::files::write_private(path, &text)
    }

    /// The issuer's DID.
    pub fn did(&self) -> &RealDid {
        &self.did
    }

    /// The active signing key's id.
    pub fn active_key_id(&self) -> &KeyId {
        &self.active
    }

    /// The active signing key.
    pub fn active_key(&self) -> Result<&SigningKey, IssuerError> {
        self.keys
            .get(&self.active)
            .ok_or_else(|| IssuerError::Internal("the active key is missing".into()))
    }

    /// A JWS signer with the active key, `kid` = its DID URL.
    pub fn signer(&self) -> Result<KeySigner, IssuerError> {
        Ok(KeySigner::with_key_id(
            self.active_key()?.clone(),
            format!("{}#{}", self.did, self.active.as_str()),
        ))
    }

    /// Checks that the DID's current document lists the active key for assertion, so
    /// that everything signed with it verifies.
    pub fn check_against(&self, state: &DidState) -> Result<(), IssuerError> {
        let active = self.active_key()?.public_key();
        match state.key_for(&self.active, Purposes::ASSERTION_METHOD) {
            Some(key) if *key == active => Ok(()),
            _ => Err(IssuerError::Config(format!(
                "the document of {} (version {}) does not list the active key {} for assertion",
                self.did,
                state.version,
                self.active.as_str()
            ))),
        }
    }

    /// A rotation: a new assertion key added to the document by an update signed with the
    /// controller key, and the keys with it active. The caller submits the update and saves
    /// the keys once it is final.
    pub fn rotate(&self, state: &DidState) -> Result<(Self, SignedDidOperation), IssuerError> {
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
            .ok_or_else(|| IssuerError::Internal("the controller key is missing".into()))?;
        let update = DidOperation::Update(UpdateOp {
            did: self.did.clone(),
            previous: state.last_operation,
            document,
        })
        .sign(Some(self.controller.clone()), controller)
        .map_err(key_error)?;
        let mut next = self.clone();
        next.keys.insert(id.clone(), key);
        next.active = id;
        Ok((next, update))
    }
}
