//! The citizen's DIDs on the registry: create (one per provider), rotate the device key,
//! recover with the recovery key, deactivate. Each step is submitted, waited on until
//! final, and then read back with the registry's proof (checked by the light client
//! against the genesis validator keys) before the wallet believes it.
//!
//! Keys are never lost to a crash or a refusal: the new keys of a step are saved in the
//! wallet (as `next`) before the step is submitted, and promoted only once the proven
//! state shows the step applied. A step interrupted after submission is finished by
//! [`settle`] the next time the DID is used. A new DID's keys are saved before its creation
//! is submitted and never deleted: a node's "rejected" is its word, not a proof, and the
//! creation may land after all.

use std::time::{Duration, Instant};

use realdid_core::codec::Transaction;
use realdid_core::did::{
    CreateOp, DeactivateOp, DidOperation, DidState, DocumentState, KeyId, Purposes, RealDid,
    RecoverOp, RecoveryCommitment, UpdateOp, VerificationKey,
};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_registry_client::gateway::RegistryGateway;

use crate::contents::{DidEntry, NextKeys, StoredKey};
use crate::{Wallet, WalletError};

/// How long a submitted step may take to show in a proven read.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

fn generate() -> Result<SigningKey, WalletError> {
    SigningKey::generate(Algorithm::EdDsa).map_err(WalletError::keys)
}

/// A document with one device key: authentication (proofs of control, key binding) and
/// capability invocation (updates).
fn device_document(key_id: &KeyId, key: &SigningKey) -> DocumentState {
    DocumentState {
        keys: vec![VerificationKey {
            id: key_id.clone(),
            key: key.public_key(),
            purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
        }],
        services: vec![],
    }
}

/// Waits until a proven read of `did` shows `check` true; returns that state.
async fn confirm(
    registry: &RegistryGateway,
    did: &RealDid,
    what: &str,
    check: impl Fn(&DidState) -> bool,
) -> Result<DidState, WalletError> {
    let deadline = Instant::now() + CONFIRM_TIMEOUT;
    loop {
        // A node may lag the one that answered the submission by a block: read again.
        if let Some(record) = registry.resolve_did(did).await?
            && check(&record.state)
        {
            return Ok(record.state);
        }
        if Instant::now() > deadline {
            return Err(WalletError::RegistryState(format!(
                "{what} of {did} was final but no proven read shows it after {}s",
                CONFIRM_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn record(entry: &mut DidEntry, state: &DidState) {
    entry.version = state.version;
    entry.last_operation = state.last_operation.to_string();
    entry.deactivated = state.is_deactivated();
}

/// Registers a new DID, for `provider` when given. Returns it.
///
/// The DID stays in the wallet, unconfirmed (version 0), whatever the registry answers,
/// until a proven read shows it created ([`for_provider`], [`settle`]).
pub async fn create(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    provider: Option<&str>,
) -> Result<RealDid, WalletError> {
    let key = generate()?;
    let recovery = generate()?;
    let key_id = KeyId::first();
    let op = CreateOp {
        document: device_document(&key_id, &key),
        recovery_commitment: RecoveryCommitment::to(&recovery.public_key()),
    };
    let did = op.did();
    let signed = DidOperation::Create(op)
        .sign(registry.chain_id(), Some(key_id.clone()), &key)
        .map_err(WalletError::keys)?;
    // Saved before it is submitted: a crash after submission must not lose the keys.
    let entry = DidEntry {
        did: did.clone(),
        provider: provider.map(str::to_owned),
        key_id,
        key: StoredKey::new(&key)?,
        recovery_key: StoredKey::new(&recovery)?,
        version: 0,
        last_operation: String::new(),
        deactivated: false,
        created_ms: wallet.now().as_i64(),
        next: None,
    };
    wallet.update(|c| {
        c.dids.push(entry);
        Ok(())
    })?;
    // Whatever the answer, the keys stay. A refusal is one node's word, not a proof: the
    // creation may still land (the node sent it on, another node finalizes it), and a DID
    // on chain without its keys is lost for good. A proven absence holds only at its
    // height, so nothing shows that it never lands: the entry stays unconfirmed until a
    // proven read adopts it (`for_provider`, `settle`).
    registry
        .submit_final("creating a DID", &Transaction::Did(signed.clone()))
        .await?;
    let hash = signed.hash();
    let state = confirm(registry, &did, "the creation", |s| s.last_operation == hash).await?;
    wallet.update(|c| {
        record(c.did_mut(&did)?, &state);
        Ok(())
    })?;
    Ok(did)
}

/// The live DID kept for `provider`, created on demand.
pub async fn for_provider(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    provider: &str,
) -> Result<RealDid, WalletError> {
    if let Some(entry) = wallet.contents().did_for(provider) {
        return Ok(entry.did.clone());
    }
    // A creation left unconfirmed (the registry was unreachable, or a node said it was
    // rejected) may have landed since.
    let pending: Vec<RealDid> = wallet
        .contents()
        .dids
        .iter()
        .filter(|d| d.version == 0 && d.provider.as_deref() == Some(provider))
        .map(|d| d.did.clone())
        .collect();
    for did in pending {
        if registry.resolve_did(&did).await?.is_some() {
            settle(wallet, registry, &did).await?;
            return Ok(did);
        }
    }
    create(wallet, registry, Some(provider)).await
}

/// The DID's proven current state, after finishing any step left half done: if the
/// registry shows the keys saved as `next`, they become the keys.
pub async fn settle(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    did: &RealDid,
) -> Result<DidState, WalletError> {
    let state = registry
        .resolve_did(did)
        .await?
        .ok_or_else(|| WalletError::RegistryState(format!("{did} is not on the registry")))?
        .state;
    wallet.update(|c| {
        let entry = c.did_mut(did)?;
        let installed = match &entry.next {
            Some(next) => {
                state.key_for(&next.key_id, Purposes::AUTHENTICATION)
                    == Some(&next.key.key()?.public_key())
            }
            None => false,
        };
        if installed && let Some(next) = entry.next.clone() {
            entry.key_id = next.key_id;
            entry.key = next.key;
            if let Some(recovery) = next.recovery_key {
                entry.recovery_key = recovery;
            }
            entry.next = None;
        }
        record(entry, &state);
        Ok(())
    })?;
    Ok(state)
}

/// The id the next device key gets: `key-<version + 1>`, unused in `state`.
fn next_key_id(state: &DidState) -> Result<KeyId, WalletError> {
    format!("key-{}", state.version + 1)
        .parse()
        .map_err(WalletError::keys)
}

/// Saves `next` (or keeps the one saved by an interrupted attempt) and returns it.
fn prepare_next(
    wallet: &mut Wallet,
    did: &RealDid,
    state: &DidState,
    new_recovery: bool,
) -> Result<NextKeys, WalletError> {
    if let Some(next) = wallet.contents().did(did)?.next.clone()
        && next.recovery_key.is_some() == new_recovery
    {
        return Ok(next);
    }
    let next = NextKeys {
        key_id: next_key_id(state)?,
        key: StoredKey::new(&generate()?)?,
        recovery_key: if new_recovery {
            Some(StoredKey::new(&generate()?)?)
        } else {
            None
        },
    };
    let saved = next.clone();
    wallet.update(|c| {
        c.did_mut(did)?.next = Some(saved);
        Ok(())
    })?;
    Ok(next)
}

async fn apply(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    did: &RealDid,
    what: &str,
    signed: realdid_core::did::SignedDidOperation,
) -> Result<DidState, WalletError> {
    registry
        .submit_final(what, &Transaction::Did(signed.clone()))
        .await?;
    let hash = signed.hash();
    confirm(registry, did, what, |s| s.last_operation == hash).await?;
    settle(wallet, registry, did).await
}

/// Replaces the device key with a new one, signed by the current device key.
pub async fn rotate(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    did: &RealDid,
) -> Result<DidState, WalletError> {
    let state = settle(wallet, registry, did).await?;
    let entry = wallet.contents().did(did)?.clone();
    let next = prepare_next(wallet, did, &state, false)?;
    let op = DidOperation::Update(UpdateOp {
        did: did.clone(),
        previous: state.last_operation,
        document: device_document(&next.key_id, &next.key.key()?),
    });
    let signed = op
        .sign(
            registry.chain_id(),
            Some(entry.key_id.clone()),
            &entry.key.key()?,
        )
        .map_err(WalletError::keys)?;
    apply(wallet, registry, did, "rotating the device key", signed).await
}

/// Takes the DID back with the recovery key after the device key was lost: a new device
/// key and a new recovery key (a recovery key is used once).
pub async fn recover(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    did: &RealDid,
) -> Result<DidState, WalletError> {
    let state = settle(wallet, registry, did).await?;
    let entry = wallet.contents().did(did)?.clone();
    let next = prepare_next(wallet, did, &state, true)?;
    let recovery = entry.recovery_key.key()?;
    let next_recovery = next
        .recovery_key
        .as_ref()
        .ok_or_else(|| WalletError::Keys("no next recovery key".into()))?
        .key()?;
    let op = DidOperation::Recover(RecoverOp {
        did: did.clone(),
        previous: state.last_operation,
        recovery_key: recovery.public_key(),
        document: device_document(&next.key_id, &next.key.key()?),
        next_recovery_commitment: RecoveryCommitment::to(&next_recovery.public_key()),
    });
    let signed = op
        .sign(registry.chain_id(), None, &recovery)
        .map_err(WalletError::keys)?;
    apply(wallet, registry, did, "recovering the DID", signed).await
}

/// Ends the DID for good, signed by the recovery key.
pub async fn deactivate(
    wallet: &mut Wallet,
    registry: &RegistryGateway,
    did: &RealDid,
) -> Result<DidState, WalletError> {
    let state = settle(wallet, registry, did).await?;
    let recovery = wallet.contents().did(did)?.recovery_key.key()?;
    let op = DidOperation::Deactivate(DeactivateOp {
        did: did.clone(),
        previous: state.last_operation,
        recovery_key: recovery.public_key(),
    });
    let signed = op
        .sign(registry.chain_id(), None, &recovery)
        .map_err(WalletError::keys)?;
    apply(wallet, registry, did, "deactivating the DID", signed).await
}
