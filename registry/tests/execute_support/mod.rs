//! Builders shared by the execution and state tests: real signed DID operations, governance
//! transactions and anchors, made with core's own signing code.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // test helpers: a panic is a failure report

use std::collections::BTreeMap;

use realdid_core::codec::{
    ApproverSet, AuditAnchor, AuditOpening, Block, BlockHash, BlockHeader, ChainId,
    GovernanceAction, GovernanceTx, StatusListAnchor, TraceApproval, TraceApprover, Transaction,
    transactions_root,
};
use realdid_core::did::{
    CreateOp, DeactivateOp, DidOperation, DidState, DocumentState, KeyId, Purposes, RealDid,
    RecoveryCommitment, SignedDidOperation, UpdateOp, VerificationKey, apply,
};
use realdid_core::keys::{Algorithm, SigningKey};
use realdid_registry::execute::{
    self, BlockContext, Executed, Governance, Rejection, SignatureMemo,
};
use realdid_registry::state::Staged;
use realdid_registry::state::keys::StateKey;

pub fn key_id(s: &str) -> KeyId {
    s.parse().unwrap()
}

pub fn fresh_key() -> SigningKey {
    SigningKey::generate(Algorithm::EdDsa).unwrap()
}

/// A DID's keys and its state as the holder tracks it.
pub struct Holder {
    pub device: SigningKey,
    pub issuing: SigningKey,
    pub recovery: SigningKey,
    pub state: DidState,
}

/// A document with a controller key `device` and an assertionMethod key `issuing`.
pub fn document(device: &SigningKey, issuing: &SigningKey) -> DocumentState {
    DocumentState {
        keys: vec![
            VerificationKey {
                id: key_id("device"),
                key: device.public_key(),
                purposes: Purposes::AUTHENTICATION.with(Purposes::CAPABILITY_INVOCATION),
            },
            VerificationKey {
                id: key_id("issuing"),
                key: issuing.public_key(),
                purposes: Purposes::ASSERTION_METHOD,
            },
        ],
        services: vec![],
    }
}

impl Holder {
    /// A new holder and the create operation of its DID.
    pub fn create() -> (Holder, Transaction) {
        Self::create_with(|_| {})
    }

    /// A new holder whose create has the usual document changed by `edit` first.
    fn create_with(edit: impl FnOnce(&mut DocumentState)) -> (Holder, Transaction) {
        let (device, issuing, recovery) = (fresh_key(), fresh_key(), fresh_key());
        let mut document = document(&device, &issuing);
        edit(&mut document);
        let op = DidOperation::Create(CreateOp {
            document,
            recovery_commitment: RecoveryCommitment::to(&recovery.public_key()),
        })
        .sign(&test_chain(), Some(key_id("device")), &device)
        .unwrap();
        let state = apply(&test_chain(), None, &op).unwrap();
        (
            Holder {
                device,
                issuing,
                recovery,
                state,
            },
            Transaction::Did(op),
        )
    }

    /// A new holder whose create is padded to about 10 KB: its document also lists the
    /// most services the method allows, each with the longest endpoint.
    pub fn create_padded(seed: u64) -> (Holder, Transaction) {
        Self::create_with(|document| {
            document.services = (0..realdid_core::did::MAX_SERVICES)
                .map(|i| {
                    let endpoint = format!("https://padding.example/{seed}/{i}/");
                    realdid_core::did::ServiceEntry {
                        id: key_id(&format!("service-{i}")),
                        service_type: "Padding".into(),
                        endpoint: format!(
                            "{endpoint:x<width$}",
                            width = realdid_core::did::MAX_ENDPOINT_LEN
                        ),
                    }
                })
                .collect();
        })
    }

    pub fn did(&self) -> RealDid {
        self.state.did.clone()
    }

    /// An update that rotates the device key, signed by the current one; the holder's view
    /// moves on as if it applied.
    pub fn rotate(&mut self) -> Transaction {
        let new_device = fresh_key();
        let op = self.update_signed_by(
            "device",
            &self.device.clone(),
            document(&new_device, &self.issuing),
        );
        self.state = apply(&test_chain(), Some(&self.state), &op).unwrap();
        self.device = new_device;
        Transaction::Did(op)
    }

    /// An update of the current state, signed by `key` under key id `signer`.
    pub fn update_signed_by(
        &self,
        signer: &str,
        key: &SigningKey,
        document: DocumentState,
    ) -> SignedDidOperation {
        DidOperation::Update(UpdateOp {
            did: self.did(),
            previous: self.state.last_operation,
            document,
        })
        .sign(&test_chain(), Some(key_id(signer)), key)
        .unwrap()
    }

    /// Deactivation with the recovery key; the holder's view moves on.
    pub fn deactivate(&mut self) -> Transaction {
        let op = DidOperation::Deactivate(DeactivateOp {
            did: self.did(),
            previous: self.state.last_operation,
            recovery_key: self.recovery.public_key(),
        })
        .sign(&test_chain(), None, &self.recovery)
        .unwrap();
        self.state = apply(&test_chain(), Some(&self.state), &op).unwrap();
        Transaction::Did(op)
    }

    /// A status-list anchor signed by the `issuing` key.
    pub fn status_anchor(&self, list: &str, sequence: u64) -> Transaction {
        self.status_anchor_signed("issuing", &self.issuing, list, sequence)
    }

    pub fn status_anchor_signed(
        &self,
        signer: &str,
        key: &SigningKey,
        list: &str,
        sequence: u64,
    ) -> Transaction {
        self.status_anchor_full(signer, key, list, sequence, Default::default())
    }

    /// A status-list anchor signed by the `issuing` key, declaring `revoked` and
    /// `suspended` entries.
    pub fn status_anchor_counting(
        &self,
        list: &str,
        sequence: u64,
        revoked: u64,
        suspended: u64,
    ) -> Transaction {
        let tally = realdid_core::status_list::StatusTally { revoked, suspended };
        self.status_anchor_full("issuing", &self.issuing, list, sequence, tally)
    }

    fn status_anchor_full(
        &self,
        signer: &str,
        key: &SigningKey,
        list: &str,
        sequence: u64,
        tally: realdid_core::status_list::StatusTally,
    ) -> Transaction {
        Transaction::StatusAnchor(
            StatusListAnchor::sign(
                &test_chain(),
                self.did(),
                list.into(),
                sequence,
                [sequence as u8; 32],
                tally,
                key_id(signer),
                key,
            )
            .unwrap(),
        )
    }

    /// An audit anchor of `request` signed by the `issuing` key, carrying `approvals`.
    pub fn audit_anchor_approved(
        &self,
        sequence: u64,
        request: [u8; 32],
        approvals: Vec<TraceApproval>,
    ) -> Transaction {
        Transaction::AuditAnchor(
            AuditAnchor::sign(
                &test_chain(),
                AuditOpening {
                    issuer: self.did(),
                    request_hash: request,
                    sequence,
                    holder_commitment: realdid_core::trace::holder_commitment(
                        &HOLDER_TAG,
                        &OPENING,
                    ),
                    approvals,
                },
                key_id("issuing"),
                &self.issuing,
            )
            .unwrap(),
        )
    }
}

/// The holder tag and opening the test anchors commit to.
pub const HOLDER_TAG: [u8; 32] = [9; 32];
pub const OPENING: [u8; 32] = [10; 32];

impl Holder {
    /// The disclosure of audit anchor `sequence` with `tag` and `opening`, signed by the
    /// `issuing` key.
    pub fn disclosure(&self, sequence: u64, tag: [u8; 32], opening: [u8; 32]) -> Transaction {
        Transaction::Disclosure(
            realdid_core::codec::TraceDisclosure::sign(
                &test_chain(),
                self.did(),
                sequence,
                tag,
                opening,
                key_id("issuing"),
                &self.issuing,
            )
            .unwrap(),
        )
    }
}

/// Four governance keys with a threshold of three.
pub struct Council {
    pub keys: Vec<SigningKey>,
    pub governance: Governance,
    /// The signature memory a node would use: the rules must give the same answers with it.
    pub signatures: SignatureMemo,
}

impl Council {
    pub fn new() -> Council {
        let keys: Vec<SigningKey> = (0..4).map(|_| fresh_key()).collect();
        let governance = Governance {
            chain: test_chain(),
            keys: keys.iter().map(SigningKey::public_key).collect(),
            threshold: 3,
        };
        Council {
            keys,
            governance,
            signatures: SignatureMemo::default(),
        }
    }

    /// `action` at `nonce` approved by the keys at `signers`.
    pub fn decide(&self, action: GovernanceAction, nonce: u64, signers: &[usize]) -> Transaction {
        let approvals = signers
            .iter()
            .map(|i| GovernanceTx::approve(&test_chain(), &action, nonce, &self.keys[*i]).unwrap())
            .collect();
        Transaction::Governance(GovernanceTx {
            action,
            nonce,
            approvals,
        })
    }

    pub fn accredit(&self, issuer: &RealDid, nonce: u64) -> Transaction {
        self.decide(accredit_action(issuer), nonce, &[0, 1, 2])
    }

    /// Names `keys` as `issuer`'s trace approvers, `threshold` of them needed.
    pub fn set_approvers(
        &self,
        issuer: &RealDid,
        nonce: u64,
        threshold: u8,
        keys: &[SigningKey],
    ) -> Transaction {
        let approvers = keys
            .iter()
            .enumerate()
            .map(|(i, key)| TraceApprover {
                id: format!("judge-{}", i + 1),
                signing_key: key.public_key(),
                hpke_key: [u8::try_from(i + 1).unwrap(); 32],
            })
            .collect();
        self.decide(
            GovernanceAction::SetTraceApprovers {
                issuer: issuer.clone(),
                set: ApproverSet {
                    threshold,
                    approvers,
                },
            },
            nonce,
            &[0, 1, 2],
        )
    }

    pub fn remove(&self, issuer: &RealDid, nonce: u64) -> Transaction {
        self.decide(
            GovernanceAction::RemoveIssuer {
                issuer: issuer.clone(),
                reason: "licence withdrawn".into(),
            },
            nonce,
            &[1, 2, 3],
        )
    }
}

/// The chain the in-memory chains here run.
pub fn test_chain() -> ChainId {
    ChainId::parse("realdid-test").unwrap()
}

pub fn accredit_action(issuer: &RealDid) -> GovernanceAction {
    GovernanceAction::AccreditIssuer {
        issuer: issuer.clone(),
        name: "Example Issuer".into(),
        credential_types: vec!["https://vct.example/real-name".into()],
    }
}

/// An in-memory chain: the state as a map, blocks applied with `execute_block`.
pub struct MemChain {
    pub state: BTreeMap<StateKey, Vec<u8>>,
    pub height: u64,
    pub council: Council,
    /// The trace approvers `issuer()` names for every issuer, 2 of 3.
    pub approvers: Vec<SigningKey>,
    /// Added to every block's time: a test moves it to change the day.
    pub later_ms: u64,
}

impl MemChain {
    pub fn new() -> MemChain {
        MemChain {
            state: BTreeMap::new(),
            height: 0,
            council: Council::new(),
            approvers: (0..3).map(|_| fresh_key()).collect(),
            later_ms: 0,
        }
    }

    pub fn ctx(&self) -> BlockContext<'_> {
        BlockContext {
            height: self.height + 1,
            timestamp_ms: 1_700_000_000_000 + (self.height + 1) * 1000 + self.later_ms,
            governance: &self.council.governance,
            signatures: &self.council.signatures,
        }
    }

    /// Executes a block; applies it if valid.
    pub fn block(&mut self, txs: &[Transaction]) -> Result<Executed, (usize, Rejection)> {
        let executed =
            execute::execute_block(&self.state, &self.ctx(), txs, &hashes(txs)).unwrap()?;
        self.height += 1;
        for (key, value) in &executed.writes {
            match value {
                Some(v) => self.state.insert(key.clone(), v.clone()),
                None => self.state.remove(key),
            };
        }
        Ok(executed)
    }

    /// Checks one transaction against the current state.
    pub fn check(&self, tx: &Transaction) -> Result<(), Rejection> {
        execute::check_transaction(&self.state, &self.ctx(), tx)
            .unwrap()
            .map(|_| ())
    }

    /// A live, accredited issuer whose trace approvers are `self.approvers`, 2 of 3.
    pub fn issuer(&mut self) -> Holder {
        let (holder, create) = Holder::create();
        let nonce = self.height + 1_000;
        let accredit = self.council.accredit(&holder.did(), nonce);
        let approvers = self
            .council
            .set_approvers(&holder.did(), nonce + 500, 2, &self.approvers);
        self.block(&[create, accredit, approvers]).unwrap();
        holder
    }

    /// The approval of `request` of `issuer` by approver `i`, signed at the next block's
    /// time.
    pub fn approval(&self, issuer: &Holder, request: [u8; 32], i: usize) -> TraceApproval {
        let at = self.ctx().timestamp_ms / 1000;
        TraceApproval::sign(
            &test_chain(),
            &issuer.did(),
            &request,
            at,
            &self.approvers[i],
        )
        .unwrap()
    }

    /// An audit anchor of `request` by `issuer`, approved by approvers 0 and 1.
    pub fn audit_anchor(&self, issuer: &Holder, sequence: u64, request: [u8; 32]) -> Transaction {
        let approvals = vec![
            self.approval(issuer, request, 0),
            self.approval(issuer, request, 1),
        ];
        issuer.audit_anchor_approved(sequence, request, approvals)
    }
}

/// The header and block of a staged execution on top of `parent`.
pub fn block_on(
    parent: BlockHash,
    staged: &Staged,
    txs: Vec<Transaction>,
    timestamp_ms: u64,
) -> Block {
    Block {
        header: BlockHeader {
            height: staged.height,
            parent,
            timestamp_ms,
            state_root: staged.root,
            transactions_root: transactions_root(&txs),
            transaction_count: txs.len() as u32,
        },
        transactions: txs,
    }
}

/// The genesis header of an empty chain.
pub fn genesis_header() -> BlockHeader {
    BlockHeader {
        height: 0,
        parent: Default::default(),
        timestamp_ms: 1_700_000_000_000,
        state_root: realdid_registry::state::EMPTY_ROOT,
        transactions_root: transactions_root(&[]),
        transaction_count: 0,
    }
}

/// The hashes of `txs`, in order, as a block carries them.
pub fn hashes(txs: &[Transaction]) -> Vec<realdid_core::codec::TxHash> {
    txs.iter().map(Transaction::hash).collect()
}

/// Candidates as the pending pool hands them to a block builder: each with its hash.
pub fn hashed(
    txs: impl IntoIterator<Item = Transaction>,
) -> impl Iterator<Item = (realdid_core::codec::TxHash, Transaction)> {
    txs.into_iter().map(|tx| (tx.hash(), tx))
}
