//! What a wallet holds, as sealed inside its file: DIDs with their keys, credentials, and
//! the log of every presentation made.

use realdid_core::did::{KeyId, RealDid};
use realdid_core::keys::{Jwk, SigningKey};
use serde::{Deserialize, Serialize};

use crate::WalletError;

/// The version of this layout.
pub const CONTENTS_VERSION: u32 = 1;

/// Everything in a wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// [`CONTENTS_VERSION`].
    pub version: u32,
    /// When the wallet was created, Unix ms.
    pub created_ms: i64,
    /// The citizen's DIDs, one per provider.
    pub dids: Vec<DidEntry>,
    /// Credentials.
    pub credentials: Vec<CredentialEntry>,
    /// Every presentation made, oldest first.
    pub log: Vec<LogEntry>,
    /// The holder-tag keys given to issuers at enrolment: with them, and only with them, the
    /// wallet recognises on chain the disclosed traces of its DIDs.
    #[serde(default)]
    pub trace_keys: Vec<TraceKeyEntry>,
}

/// One enrolment's holder-tag key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceKeyEntry {
    /// The issuer's DID.
    pub issuer: RealDid,
    /// The enrolment.
    pub enrolment_id: String,
    /// The DIDs it enrolled.
    pub dids: Vec<RealDid>,
    /// The key, hex (32 bytes).
    pub key: String,
}

impl std::fmt::Debug for TraceKeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceKeyEntry")
            .field("issuer", &self.issuer)
            .field("enrolment_id", &self.enrolment_id)
            .finish_non_exhaustive()
    }
}

impl Contents {
    /// An empty wallet created at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self {
            version: CONTENTS_VERSION,
            created_ms: now_ms,
            dids: Vec::new(),
            credentials: Vec::new(),
            log: Vec::new(),
            trace_keys: Vec::new(),
        }
    }

    /// The entry of `did`.
    pub fn did(&self, did: &RealDid) -> Result<&DidEntry, WalletError> {
        self.dids
            .iter()
            .find(|d| &d.did == did)
            .ok_or_else(|| WalletError::NotFound(format!("{did} is not in this wallet")))
    }

    /// The entry of `did`, to change.
    pub fn did_mut(&mut self, did: &RealDid) -> Result<&mut DidEntry, WalletError> {
        self.dids
            .iter_mut()
            .find(|d| &d.did == did)
            .ok_or_else(|| WalletError::NotFound(format!("{did} is not in this wallet")))
    }

    /// The live DID kept for `provider`, if any (one the registry has shown created).
    pub fn did_for(&self, provider: &str) -> Option<&DidEntry> {
        self.dids
            .iter()
            .find(|d| !d.deactivated && d.version > 0 && d.provider.as_deref() == Some(provider))
    }

    /// The credential with this id.
    pub fn credential(&self, id: &str) -> Result<&CredentialEntry, WalletError> {
        self.credentials
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| WalletError::NotFound(format!("no credential {id} in this wallet")))
    }
}

/// A private key as stored: its JWK with the private part.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredKey(Jwk);

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredKey(…)")
    }
}

impl StoredKey {
    /// Stores `key`.
    pub fn new(key: &SigningKey) -> Result<Self, WalletError> {
        Jwk::from_signing_key(key)
            .map(Self)
            .map_err(WalletError::keys)
    }

    /// The key.
    pub fn key(&self) -> Result<SigningKey, WalletError> {
        self.0.to_signing_key().map_err(WalletError::keys)
    }
}

/// One of the citizen's DIDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DidEntry {
    /// The DID.
    pub did: RealDid,
    /// The provider this DID is for (its DID); `None` for a DID not yet given to one.
    pub provider: Option<String>,
    /// The id of the device key in the DID document.
    pub key_id: KeyId,
    /// The device key: authentication (proofs of control, key binding) and updates.
    pub key: StoredKey,
    /// The recovery key, whose hash the registry holds; used once, to recover or deactivate.
    pub recovery_key: StoredKey,
    /// The DID's version on the registry as last seen with a proof (1 after create); 0 while
    /// no proven read has shown it created: its creation is unconfirmed (not final in time,
    /// or refused by a node, which is no proof that it never lands), and the entry is kept
    /// with its keys but not used as a live DID.
    pub version: u64,
    /// Hash of its last operation, hex, as last seen.
    pub last_operation: String,
    /// Whether it was deactivated.
    pub deactivated: bool,
    /// When it was created, Unix ms.
    pub created_ms: i64,
    /// Keys of a rotation or recovery submitted but not yet seen applied.
    #[serde(default)]
    pub next: Option<NextKeys>,
}

/// The keys a DID step will install, saved before the step is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextKeys {
    /// The new device key's id.
    pub key_id: KeyId,
    /// The new device key.
    pub key: StoredKey,
    /// The new recovery key (a recovery only).
    pub recovery_key: Option<StoredKey>,
}

/// Where a credential came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Origin {
    /// Issued to this wallet at an enrolment.
    Enrolment {
        /// The issuer's enrolment id.
        enrolment_id: String,
        /// The issuer's id of the credential.
        credential_id: String,
    },
    /// Imported from its compact form.
    Import,
}

/// One credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialEntry {
    /// Its id: the issuer's when known, else the first 8 bytes of the SHA-256 of its issuer
    /// JWT, hex.
    pub id: String,
    /// The DID it is bound to (its `sub`).
    pub did: RealDid,
    /// The issuer's DID.
    pub issuer: String,
    /// Its type (`vct`).
    pub vct: String,
    /// The credential, compact SD-JWT (`<issuer JWT>~<disclosure>~…~`).
    pub compact: String,
    /// `iat`, Unix seconds.
    pub issued_at: Option<i64>,
    /// `exp`, Unix seconds.
    pub expires_at: Option<i64>,
    /// Where it came from.
    pub origin: Origin,
}

/// How a presentation left the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Delivery {
    /// Sent to the verifier, with its verdict.
    Sent {
        /// The verifier's endpoint.
        verifier: String,
        /// "verified", or the reason it gave for refusing.
        verdict: String,
    },
    /// Printed for the holder to pass on.
    Printed,
}

/// One presentation the wallet made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When, Unix ms.
    pub at_ms: i64,
    /// To whom: the DID of the provider that signed the request.
    pub audience: String,
    /// What for, as the request said.
    pub purpose: String,
    /// The verifier's request id.
    pub request_id: String,
    /// The DID presented under.
    pub did: RealDid,
    /// The credential presented.
    pub credential_id: String,
    /// The claims disclosed (names), nothing else was.
    pub disclosed: Vec<String>,
    /// How it left the wallet.
    pub delivery: Delivery,
}
