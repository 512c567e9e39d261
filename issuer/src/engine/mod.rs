//! The issuer itself: every decision of the `realdid.v1.Issuer` service, independent of
//! gRPC (the service module only translates).
//!
//! | file | what it decides |
//! |---|---|
//! | `mod.rs` | start-up checks, ids, the clock, the accreditation cache |
//! | [`enrol`] | enrolment: nonce, DIDs and their proofs, the person, issuance |
//! | [`lists`] | status changes (suspend, resume, revoke) and their publication on chain |
//! | [`traces`] | lawful tracing: requests, k-of-n approvals, the anchored opening |
//! | [`login`] | operator logins |

pub mod enrol;
pub mod lists;
pub mod login;
pub mod reseal;
pub mod stats;
pub mod traces;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use realdid_core::clock::{Clock, UnixMs};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use realdid_core::codec::ApproverSet;
use realdid_core::control_proof::ControlProof;
use realdid_core::did::{Purposes, RealDid};
use realdid_core::keys::PublicKey;

use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::config::IssuerConfig;
use crate::keys::IssuerKeys;
use crate::nonces::{Nonces, Purpose};
use crate::operators::Operators;
use crate::privacy::person_index::PersonIndex;
use crate::privacy::secrets::DataSecrets;
use crate::status::OpenList;
use crate::store::{RowSeal, Store};
use realdid_registry_client::gateway::RegistryGateway;
use realdid_registry_client::records::IssuerRecord;

/// Why a proof of control proves nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ControlFailure {
    /// The DID cannot be used: absent, deactivated, or the key is not an authentication key.
    Unusable(String),
    /// The proof itself is wrong: malformed, another DID, bad signature, nonce, audience, time.
    Invalid(String),
}

/// How long the issuer trusts its last proven read of its own accreditation.
const ACCREDITATION_CACHE: Duration = Duration::from_secs(5);

/// A fresh opaque id: 16 random bytes, base64url.
pub fn new_id() -> Result<String, IssuerError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(IssuerError::Randomness)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The running issuer.
pub struct Issuer<A> {
    pub(crate) config: IssuerConfig,
    pub(crate) store: Store,
    /// Shared, not copied, by every signature: a rotation swaps the `Arc`.
    pub(crate) keys: RwLock<Arc<IssuerKeys>>,
    pub(crate) registry: RegistryGateway,
    pub(crate) authority: A,
    pub(crate) nonces: Nonces,
    pub(crate) operators: Operators,
    pub(crate) person_index: Arc<PersonIndex>,
    pub(crate) open_list: Mutex<Option<OpenList>>,
    /// Held while a status list or a trace anchor is changed and published, so that two
    /// changes never publish over each other.
    pub(crate) publishing: tokio::sync::Mutex<()>,
    /// Held by a holder's own status change (SuspendSelf, ResumeSelf) while it waits for
    /// and holds `publishing`: one holder change at most is ever ahead of an officer's
    /// revocation there, so holders changing their status in a loop delay it by one
    /// publication at most, however many of them there are.
    pub(crate) holder_lane: tokio::sync::Mutex<()>,
    /// Set once the open list is published and no list is left dirty; cleared when a
    /// publication fails, so the next enrolment retries it.
    pub(crate) lists_ready: std::sync::atomic::AtomicBool,
    /// Set while an opening may still await its disclosure (from start-up, and by every
    /// opening); cleared by a scan that finds none, so the discloser does not read every
    /// trace every few seconds for nothing.
    pub(crate) disclosures_pending: std::sync::atomic::AtomicBool,
    /// Enrolments being decided (`limits.enrolments_in_flight` permits).
    pub(crate) enrolments: tokio::sync::Semaphore,
    /// Operator password checks running (`limits.logins_in_flight` permits).
    pub(crate) logins: tokio::sync::Semaphore,
    accredited: Mutex<Option<(UnixMs, Option<IssuerRecord>)>>,
    /// What every time the issuer decides by comes from: the registry gateway's clock, the
    /// one it judges proven state by.
    clock: Arc<dyn Clock>,
}

impl<A> std::fmt::Debug for Issuer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<A: IdentityAuthority> Issuer<A> {
    /// Opens the issuer's database and keys and checks, against the registry, that its DID
    /// lists its active signing key. Status lists are published (or re-published) lazily,
    /// on the first enrolment or change, so an issuer waiting for accreditation still
    /// starts.
    pub async fn start(
        config: IssuerConfig,
        authority: A,
        registry: RegistryGateway,
    ) -> Result<Arc<Self>, IssuerError> {
        let keys = crate::keys::load(&config.keys_file)?;
        let secrets = DataSecrets::load(&config.secrets_file)?;
        let person_index = Arc::new(PersonIndex::new(secrets.pepper, config.argon2)?);
        let store = Store::open(&config.data_dir, RowSeal::from_pepper(&secrets.pepper))?;
        match registry.resolve_did(keys.did()).await? {
            Some(record) => keys.check_against(&record.state)?,
            None => {
                return Err(IssuerError::Config(format!(
                    "the issuer DID {} is not on the registry; register it first (`realdid issuer register`)",
                    keys.did()
                )));
            }
        }
        let open_list = lists::load_open_list(&store)?;
        let clock = registry.clock();
        Ok(Arc::new(Self {
            clock,
            nonces: Nonces::new(config.policy.nonce_ttl_seconds),
            operators: Operators::new(&config.operators),
            enrolments: tokio::sync::Semaphore::new(config.limits.enrolments_in_flight as usize),
            logins: tokio::sync::Semaphore::new(config.limits.logins_in_flight as usize),
            config,
            store,
            keys: RwLock::new(Arc::new(keys)),
            registry,
            authority,
            person_index,
            open_list: Mutex::new(open_list),
            publishing: tokio::sync::Mutex::new(()),
            holder_lane: tokio::sync::Mutex::new(()),
            lists_ready: std::sync::atomic::AtomicBool::new(false),
            disclosures_pending: std::sync::atomic::AtomicBool::new(true),
            accredited: Mutex::new(None),
        }))
    }

    /// Now, Unix ms, by the issuer's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().as_i64()
    }

    /// The configuration.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The chain this issuer anchors on (its genesis `chain_id`).
    pub fn chain_id(&self) -> &realdid_core::codec::ChainId {
        self.registry.chain_id()
    }

    /// This issuer's DID.
    pub fn did(&self) -> RealDid {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .did()
            .clone()
    }

    pub(crate) fn keys(&self) -> Arc<IssuerKeys> {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The database (for tools and tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A nonce for `purpose`.
    pub fn create_nonce(&self, purpose: Purpose) -> Result<(String, i64), IssuerError> {
        self.nonces.create(purpose, self.now_ms())
    }

    /// This issuer's entry in the register (proven; cached for a few seconds).
    async fn register_entry(&self) -> Result<Option<IssuerRecord>, IssuerError> {
        let now = self.clock.now();
        if let Some((at, entry)) = lock(&self.accredited).as_ref()
            && now.since(*at) < ACCREDITATION_CACHE
        {
            return Ok(entry.clone());
        }
        let entry = self.registry.accreditation(&self.did()).await?;
        *lock(&self.accredited) = Some((now, entry.clone()));
        Ok(entry)
    }

    /// The credential types the registry accredits this issuer for (proven; cached for a
    /// few seconds). Empty when it is not, or no longer, accredited.
    pub async fn accredited_types(&self) -> Result<Vec<String>, IssuerError> {
        Ok(match self.register_entry().await? {
            Some(record) if record.removed.is_none() => record.credential_types,
            _ => Vec::new(),
        })
    }

    /// This issuer's lawful-trace approvers and k, as governance set them on chain (proven;
    /// cached for a few seconds); `None` while none are named.
    pub async fn approver_set(&self) -> Result<Option<ApproverSet>, IssuerError> {
        Ok(self
            .register_entry()
            .await?
            .and_then(|record| record.trace_approvers)
            .map(|approvers| approvers.set))
    }

    /// Whether `proof_jws` proves control of `did` for `nonce`, against the DID's proven
    /// current state: the key that signed, or why not. `Err` only when the registry gave
    /// no usable answer (so no decision was reached). Enrolment and the holder RPCs both
    /// decide through this one check.
    pub(crate) async fn check_control(
        &self,
        did: &RealDid,
        proof_jws: &str,
        nonce: &str,
        now_s: i64,
    ) -> Result<Result<PublicKey, ControlFailure>, IssuerError> {
        let proof = match ControlProof::parse(proof_jws) {
            Ok(p) if p.did() == did => p,
            Ok(_) => {
                return Ok(Err(ControlFailure::Invalid(
                    "the proof names another DID".into(),
                )));
            }
            Err(e) => return Ok(Err(ControlFailure::Invalid(e.to_string()))),
        };
        let Some(record) = self.registry.resolve_did(did).await? else {
            return Ok(Err(ControlFailure::Unusable(format!(
                "{did} is not on the registry"
            ))));
        };
        if let Err(e) = proof.verify(&record.state, nonce, self.did().as_str(), now_s) {
            return Ok(Err(if e.did_unusable() {
                ControlFailure::Unusable(e.to_string())
            } else {
                ControlFailure::Invalid(e.to_string())
            }));
        }
        record
            .state
            .key_for(proof.key_id(), Purposes::AUTHENTICATION)
            .cloned()
            .map(Ok)
            .ok_or_else(|| IssuerError::Internal("verified key vanished".into()))
    }

    /// A holder RPC's authentication: a proof of control of `did` answering a nonce of
    /// `purpose`. The nonce is used up once the registry has answered, whether or not the
    /// proof checks (a failed proof must not be retried on it). Returns the DID.
    pub(crate) async fn holder_proof(
        &self,
        nonce: &str,
        did: &str,
        proof_jws: &str,
        purpose: Purpose,
    ) -> Result<RealDid, IssuerError> {
        limits::nonce(nonce)?;
        let did: RealDid = limits::did("proof.did", did)?;
        limits::proof(proof_jws, "proof.proof_jws")?;
        self.nonces
            .check(nonce, purpose, self.now_ms())
            .map_err(|r| IssuerError::Unauthenticated(r.to_string()))?;
        let checked = self
            .check_control(&did, proof_jws, nonce, self.now_ms() / 1000)
            .await?;
        self.nonces
            .take(nonce, purpose, self.now_ms())
            .map_err(|r| IssuerError::Unauthenticated(r.to_string()))?;
        match checked {
            Ok(_) => Ok(did),
            Err(ControlFailure::Unusable(why) | ControlFailure::Invalid(why)) => Err(
                IssuerError::Unauthenticated(format!("proof of control: {why}")),
            ),
        }
    }
}

/// The contract's limits on request fields, each error naming its field.
pub(crate) mod limits {
    use realdid_core::did::RealDid;

    use crate::IssuerError;
    use crate::nonces::MAX_NONCE_LEN;

    fn bad(what: String) -> IssuerError {
        IssuerError::InvalidRequest(what)
    }

    /// A nonce field.
    pub fn nonce(nonce: &str) -> Result<(), IssuerError> {
        if nonce.is_empty() || nonce.len() > MAX_NONCE_LEN {
            return Err(bad("nonce: 1 to 128 bytes".into()));
        }
        Ok(())
    }

    /// A DID field.
    pub fn did(field: &str, text: &str) -> Result<RealDid, IssuerError> {
        if text.len() > 256 {
            return Err(bad(format!("{field}: at most 256 bytes")));
        }
        text.parse()
            .map_err(|e| bad(format!("{field}: not a did:realdid: {e}")))
    }

    /// A proof JWS field.
    pub fn proof(jws: &str, field: &str) -> Result<(), IssuerError> {
        if jws.is_empty() || jws.len() > 8 * 1024 {
            return Err(bad(format!("{field}: 1 byte to 8 KiB")));
        }
        Ok(())
    }

    /// A text field of `min..=max` bytes.
    pub fn text(field: &str, text: &str, min: usize, max: usize) -> Result<(), IssuerError> {
        if text.len() < min || text.len() > max {
            return Err(bad(format!("{field}: {min} to {max} bytes")));
        }
        Ok(())
    }
}
