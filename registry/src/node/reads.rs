//! Proven reads: a state value with everything a light client needs to check it.
//!
//! The answer is always taken at a height that is final here. The block at that height may
//! have no certificate of its own (simplex can finalize a block only as the ancestor of a
//! later one); the read then carries the headers up to the first certified descendant, each
//! naming the previous as its parent, so the chain of evidence stays unbroken.

use commonware_codec::Encode as _;
use realdid_core::codec::BlockHeader;
use realdid_core::did::RealDid;

use crate::RegistryError;
use crate::proof::StateProof;
use crate::state::Store;
use crate::state::keys::StateKey;

/// How many descendants a read may link through to reach a certificate: the light client's
/// bound.
pub use realdid_registry_client::light_client::MAX_LINK_HEADERS;

/// Which state to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAt {
    /// The latest state that has a certificate.
    Latest,
    /// The state after a finalized height.
    Height(u64),
    /// The state of the last block whose time is at or before this Unix ms.
    Time(u64),
}

/// A value (or its absence) with its proof.
#[derive(Debug, Clone)]
pub struct ProvenValue {
    /// The key read.
    pub key: StateKey,
    /// The value, canonical bytes.
    pub value: Option<Vec<u8>>,
    /// The Merkle proof against the state root in `header`.
    pub proof: StateProof,
    /// The height read.
    pub height: u64,
    /// The header at `height`.
    pub header: BlockHeader,
    /// A finality certificate of `header` or of the last of `links`.
    pub certificate: Vec<u8>,
    /// Headers from `height + 1` to the certified block, oldest first.
    pub links: Vec<BlockHeader>,
}

impl ProvenValue {
    /// The canonical bytes of the proof.
    pub fn proof_bytes(&self) -> Vec<u8> {
        self.proof.encode().to_vec()
    }
}

/// Resolves `at` to a finalized height.
pub fn height_for(store: &Store, at: ReadAt) -> Result<u64, RegistryError> {
    let finalized = store
        .finalized()
        .ok_or_else(|| RegistryError::Unavailable {
            reason: "the node has no finalized state yet".into(),
        })?;
    match at {
        ReadAt::Latest => {
            // The newest height with its own certificate keeps proofs short.
            if let Some(certified) = store.latest_certified()
                && finalized.height.saturating_sub(certified.height) < MAX_LINK_HEADERS
            {
                return Ok(certified.height);
            }
            let mut height = finalized.height;
            for _ in 0..MAX_LINK_HEADERS {
                if height == 0 || store.certificate(height)?.is_some_and(|c| !c.is_empty()) {
                    return Ok(height);
                }
                height -= 1;
            }
            Ok(finalized.height)
        }
        ReadAt::Height(height) if height <= finalized.height => Ok(height),
        ReadAt::Height(height) => Err(RegistryError::NotFound {
            what: format!(
                "height {height} (the finalized height is {})",
                finalized.height
            ),
        }),
        ReadAt::Time(ms) => store
            .height_at_or_before(ms)?
            .ok_or_else(|| RegistryError::NotFound {
                what: format!("a block at or before {ms} ms"),
            }),
    }
}

/// The height at which `did` reached `version`.
pub fn height_of_version(store: &Store, did: &RealDid, version: u64) -> Result<u64, RegistryError> {
    store
        .did_version_height(did, version)?
        .ok_or_else(|| RegistryError::NotFound {
            what: format!("version {version} of {did}"),
        })
}

/// Reads `key` at `height` with its proof, header, certificate and links.
pub fn prove(store: &Store, key: StateKey, height: u64) -> Result<ProvenValue, RegistryError> {
    let (value, proof) = store.prove(&key, height)?;
    let Evidence {
        header,
        certificate,
        links,
    } = evidence(store, height)?;
    Ok(ProvenValue {
        key,
        value,
        proof,
        height,
        header,
        certificate,
        links,
    })
}

/// Several keys read at one height: one header, certificate and links for all.
#[derive(Debug, Clone)]
pub struct ProvenValues {
    /// Each key with its value (canonical bytes, `None` when absent) and its Merkle proof
    /// against the state root in `evidence.header`.
    pub entries: Vec<(StateKey, Option<Vec<u8>>, StateProof)>,
    /// The height read.
    pub height: u64,
    /// What proves the state at `height` final.
    pub evidence: Evidence,
}

/// Reads `keys` at `height`, each with its proof, and the evidence that the state is final.
pub fn prove_many(
    store: &Store,
    keys: Vec<StateKey>,
    height: u64,
) -> Result<ProvenValues, RegistryError> {
    let entries = keys
        .into_iter()
        .map(|key| {
            let (value, proof) = store.prove(&key, height)?;
            Ok((key, value, proof))
        })
        .collect::<Result<Vec<_>, RegistryError>>()?;
    Ok(ProvenValues {
        entries,
        height,
        evidence: evidence(store, height)?,
    })
}

/// What proves the state at a height final: its header, and a certificate of it or of a
/// descendant reached through link headers.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The header at the height read.
    pub header: BlockHeader,
    /// A finality certificate of `header` or of the last of `links`.
    pub certificate: Vec<u8>,
    /// Headers from the height read + 1 to the certified block, oldest first.
    pub links: Vec<BlockHeader>,
}

/// The header at `height` and what certifies it.
fn evidence(store: &Store, height: u64) -> Result<Evidence, RegistryError> {
    if let Some(certified) = store.latest_certified().filter(|c| c.height == height) {
        return Ok(Evidence {
            header: certified.header.clone(),
            certificate: certified.certificate.clone(),
            links: Vec::new(),
        });
    }
    let header = store
        .header(height)?
        .ok_or_else(|| RegistryError::NotFound {
            what: format!("header at height {height}"),
        })?;
    let finalized = store.finalized().map(|f| f.height).unwrap_or(0);
    let mut links = Vec::new();
    let mut at = height;
    loop {
        if let Some(certificate) = store.certificate(at)?.filter(|c| !c.is_empty()) {
            return Ok(Evidence {
                header,
                certificate,
                links,
            });
        }
        if at >= finalized || links.len() as u64 >= MAX_LINK_HEADERS {
            return Err(RegistryError::Unavailable {
                reason: format!(
                    "no finality certificate yet covers height {height}; retry after the next block"
                ),
            });
        }
        at += 1;
        let next = store.header(at)?.ok_or_else(|| RegistryError::NotFound {
            what: format!("header at height {at}"),
        })?;
        links.push(next);
    }
}
