//! A governance decision as a file that travels between governors: the action in words a
//! person can read before signing, the chain and nonce it is for, and the approvals so far.
//! Each governor signs on their own machine with their own key
//! ([`Proposal::sign`]); whoever holds a quorum of approvals submits it
//! ([`Proposal::transaction`] then [`crate::RegistryGateway::submit_final`]). No governor
//! ever holds another's key.

use realdid_core::codec::primitives::Signature;
use realdid_core::codec::{
    Approval, ApproverSet, ChainId, GovernanceAction, GovernanceTx, TraceApprover,
};
use realdid_core::did::RealDid;
use realdid_core::escrow::ApproverPublic;
use std::path::Path;

use realdid_core::keys::{DidKey, Jwk, PublicKey, SignatureRule, SigningKey};
use serde::{Deserialize, Serialize};

use crate::ClientError;

/// Largest proposal file read.
pub const MAX_PROPOSAL_LEN: usize = 64 * 1024;
/// Largest governance key file read.
const MAX_KEY_FILE_LEN: u64 = 4096;

fn io(context: String) -> impl FnOnce(std::io::Error) -> ClientError {
    move |source| ClientError::Io { context, source }
}

/// Reads a governor's key file (a private JWK, `realdid governance keygen`), refusing one
/// that group or others may read or write: a governance key decides who may issue.
pub fn read_governance_key_file(path: &Path) -> Result<SigningKey, ClientError> {
    let shown = path.display().to_string();
    let config = |reason: String| ClientError::Config {
        path: shown.clone(),
        reason,
    };
    let metadata =
        std::fs::metadata(path).map_err(io(format!("reading governance key file {shown}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(config(format!(
                "governance key file is accessible by group or others (mode {mode:04o}); run \
                 `chmod 600 {shown}`"
            )));
        }
    }
    if metadata.len() > MAX_KEY_FILE_LEN {
        return Err(config(format!(
            "{} bytes, larger than a governance key file ({MAX_KEY_FILE_LEN})",
            metadata.len()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(io(format!("reading governance key file {shown}")))?;
    Jwk::from_json(&text)
        .and_then(|jwk| jwk.to_signing_key())
        .map_err(|e| config(e.to_string()))
}

/// The decision proposed, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProposedAction {
    /// Accredits an issuer for these credential types (replacing any earlier list: the same
    /// action changes an accreditation).
    AccreditIssuer {
        /// The issuer's DID.
        issuer: String,
        /// The issuing organisation's name.
        name: String,
        /// The credential types (`vct`) it may issue.
        credential_types: Vec<String>,
    },
    /// Withdraws an issuer's accreditation.
    RemoveIssuer {
        /// The issuer's DID.
        issuer: String,
        /// Why, for the public record.
        reason: String,
    },
    /// Names an accredited issuer's lawful-trace approvers (replacing any earlier set: the
    /// same action adds or removes an approver) and how many must approve an opening.
    SetTraceApprovers {
        /// The issuer's DID.
        issuer: String,
        /// Approvals an opening needs (k).
        threshold: u8,
        /// The approvers' public key files, as each approver made them with
        /// `realdid approver keygen` on their own machine.
        approvers: Vec<ApproverPublic>,
    },
}

/// One governor's approval, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalApproval {
    /// The governor's `did:key`.
    pub key: String,
    /// The signature over the governance signing input, hex.
    pub signature: String,
}

/// A governance proposal file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// The chain it decides on.
    pub chain_id: String,
    /// A number the governors have not used on this chain.
    pub nonce: u64,
    /// What is decided.
    pub action: ProposedAction,
    /// The approvals so far.
    #[serde(default)]
    pub approvals: Vec<ProposalApproval>,
}

fn bad(reason: impl Into<String>) -> ClientError {
    ClientError::Config {
        path: "proposal".into(),
        reason: reason.into(),
    }
}

impl Proposal {
    /// A proposal of `action` on `chain` at `nonce`, approved by no one yet.
    pub fn new(chain: &ChainId, nonce: u64, action: ProposedAction) -> Result<Self, ClientError> {
        let proposal = Self {
            chain_id: chain.as_str().to_owned(),
            nonce,
            action,
            approvals: Vec::new(),
        };
        proposal.action()?;
        Ok(proposal)
    }

    /// Parses a proposal file's JSON, bounded.
    pub fn parse(json: &str) -> Result<Self, ClientError> {
        if json.len() > MAX_PROPOSAL_LEN {
            return Err(bad(format!("larger than {MAX_PROPOSAL_LEN} bytes")));
        }
        let proposal: Self = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        proposal.action()?;
        Ok(proposal)
    }

    /// Reads and parses the proposal file at `path`, bounded.
    pub fn load(path: &Path) -> Result<Self, ClientError> {
        let shown = path.display().to_string();
        let len = std::fs::metadata(path)
            .map_err(io(format!("reading proposal {shown}")))?
            .len();
        if len > MAX_PROPOSAL_LEN as u64 {
            return Err(ClientError::Config {
                path: shown,
                reason: format!("{len} bytes, larger than a proposal ({MAX_PROPOSAL_LEN})"),
            });
        }
        let text =
            std::fs::read_to_string(path).map_err(io(format!("reading proposal {shown}")))?;
        Self::parse(&text).map_err(|e| match e {
            ClientError::Config { reason, .. } => ClientError::Config {
                path: shown,
                reason,
            },
            other => other,
        })
    }

    /// Writes the proposal over the file at `path` in one step (a file beside it, then a
    /// rename), so that a governor reading it meanwhile sees the old or the new, never half.
    pub fn replace_file(&self, path: &Path) -> Result<(), ClientError> {
        let partial = path.with_extension("partial");
        let context = || format!("writing proposal {}", path.display());
        std::fs::write(&partial, self.to_json()).map_err(io(context()))?;
        std::fs::rename(&partial, path).map_err(io(context()))
    }

    /// The file's JSON.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    fn chain(&self) -> Result<ChainId, ClientError> {
        ChainId::parse(&self.chain_id).map_err(|e| bad(format!("chain_id: {e}")))
    }

    /// The action, typed.
    pub fn action(&self) -> Result<GovernanceAction, ClientError> {
        let did = |text: &str| -> Result<RealDid, ClientError> {
            text.parse()
                .map_err(|e| bad(format!("issuer {text:?}: {e}")))
        };
        Ok(match &self.action {
            ProposedAction::AccreditIssuer {
                issuer,
                name,
                credential_types,
            } => GovernanceAction::AccreditIssuer {
                issuer: did(issuer)?,
                name: name.clone(),
                credential_types: credential_types.clone(),
            },
            ProposedAction::RemoveIssuer { issuer, reason } => GovernanceAction::RemoveIssuer {
                issuer: did(issuer)?,
                reason: reason.clone(),
            },
            ProposedAction::SetTraceApprovers {
                issuer,
                threshold,
                approvers,
            } => {
                let set = ApproverSet {
                    threshold: *threshold,
                    approvers: approvers
                        .iter()
                        .map(|a| TraceApprover {
                            id: a.id().to_owned(),
                            signing_key: a.approval_public_key(),
                            hpke_key: *a.hpke_public_key().as_bytes(),
                        })
                        .collect(),
                };
                // Refused here already, so that no governor signs what the chain refuses.
                if let Some(problem) = set.problem() {
                    return Err(bad(problem));
                }
                GovernanceAction::SetTraceApprovers {
                    issuer: did(issuer)?,
                    set,
                }
            }
        })
    }

    /// What a governor is asked to approve, in words.
    pub fn describe(&self) -> String {
        let what = match &self.action {
            ProposedAction::AccreditIssuer {
                issuer,
                name,
                credential_types,
            } => format!(
                "accredit {issuer} ({name}) to issue {}",
                credential_types.join(", ")
            ),
            ProposedAction::RemoveIssuer { issuer, reason } => {
                format!("withdraw the accreditation of {issuer}, because: {reason}")
            }
            ProposedAction::SetTraceApprovers {
                issuer,
                threshold,
                approvers,
            } => format!(
                "let {threshold} of these {} approvers open an identity record of {issuer}: {}",
                approvers.len(),
                approvers
                    .iter()
                    .map(|a| format!(
                        "{} (signing {}, sealing {})",
                        a.id(),
                        DidKey::from_public_key(&a.approval_public_key()).did(),
                        a.hpke_public_key().to_hex()
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "on chain {}, decision {}: {what}; approved by {} so far",
            self.chain_id,
            self.nonce,
            self.approvals.len()
        )
    }

    /// Adds `key`'s approval. Refused when `key` approved already, or when an approval
    /// already in the file does not verify (a tampered file is not signed further).
    pub fn sign(&mut self, key: &SigningKey) -> Result<(), ClientError> {
        let approvals = self.approvals()?;
        let public = key.public_key();
        if approvals.iter().any(|a| a.key == public) {
            return Err(bad("this key approved the proposal already"));
        }
        let approval = GovernanceTx::approve(&self.chain()?, &self.action()?, self.nonce, key)
            .map_err(ClientError::Signing)?;
        self.approvals.push(ProposalApproval {
            key: DidKey::from_public_key(&public).did().to_string(),
            signature: hex::encode(approval.signature.0),
        });
        Ok(())
    }

    /// The approvals, each checked against the proposal.
    fn approvals(&self) -> Result<Vec<Approval>, ClientError> {
        let chain = self.chain()?;
        let action = self.action()?;
        let message = GovernanceTx::signing_input(&chain, &action, self.nonce);
        self.approvals
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let key: PublicKey = DidKey::parse(&a.key)
                    .map_err(|e| bad(format!("approval {i}: key: {e}")))?
                    .public_key()
                    .clone();
                let bytes = hex::decode(&a.signature)
                    .map_err(|e| bad(format!("approval {i}: signature: {e}")))?;
                let signature = Signature::from_slice(&bytes)
                    .ok_or_else(|| bad(format!("approval {i}: signature: not 64 bytes")))?;
                key.verify_under(SignatureRule::Chain, &message, &signature.0)
                    .map_err(|e| bad(format!("approval {i} by {}: {e}", a.key)))?;
                Ok(Approval { key, signature })
            })
            .collect()
    }

    /// The governance transaction, every approval checked.
    pub fn transaction(&self) -> Result<GovernanceTx, ClientError> {
        Ok(GovernanceTx {
            action: self.action()?,
            nonce: self.nonce,
            approvals: self.approvals()?,
        })
    }
}
