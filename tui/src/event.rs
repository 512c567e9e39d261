//! What flows between the console's screen and its sources: updates in, requests out.
//!
//! The screen never waits on the network. Sources run beside it, each on its own task,
//! and send [`Update`]s as answers arrive (or fail to); the screen answers keys at once and
//! sends [`Request`]s for what the operator asked to look up.

use crate::model::{
    BlockFacts, BlockRow, ChangeOutcome, CredentialRow, DidFacts, IssuerFacts, IssuerFigures,
    LogRow, Lookup, NodeStatus, ProposalRow, ProvenAt, RateSample, StatusAction, TraceRow,
    ValidatorRow, VerifierFigures,
};

/// A fact a source learnt.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// Node `index` was polled (answered or not).
    Node {
        /// Its place in the configured list.
        index: usize,
        /// What it said, or that it did not answer.
        status: NodeStatus,
    },
    /// The validators, as the nodes' reports show them together.
    Validators(Vec<ValidatorRow>),
    /// A finalized block from the block stream.
    Block(BlockRow),
    /// A point for the charts.
    Sample(RateSample),
    /// The block stream connected (`None`) or is down, and why.
    Stream(Option<String>),
    /// The answer to a DID lookup.
    Did(Lookup<DidFacts>),
    /// An issuer's register entry, read proven.
    Issuer(Lookup<IssuerFacts>),
    /// The issuer register's length, proven (every place in it was read and is on its way
    /// as an issuer to read), or why it could not be read.
    Register(Result<ProvenAt<usize>, String>),
    /// A block opened from the list, or why it could not be read.
    BlockOpened(Lookup<BlockFacts>),
    /// The issuer's trace requests, newest first, or why they could not be listed.
    Traces(Result<Vec<TraceRow>, String>),
    /// Verifier `index` gave its figures.
    VerifierRead {
        /// Its place in the configured list.
        index: usize,
        /// What it reported.
        figures: VerifierFigures,
        /// Round trip of the read.
        latency_ms: u64,
    },
    /// Verifier `index` did not answer, and why.
    VerifierDown {
        /// Its place in the configured list.
        index: usize,
        /// What the attempt said.
        reason: String,
    },
    /// The governance proposal files as last read, or why the directory could not be.
    Proposals(Result<Vec<ProposalRow>, String>),
    /// What came of an action (a proposal signed or submitted, a trace approved): what to
    /// tell the operator.
    ActionDone(Result<String, String>),
    /// A trace approval is signed and ready to send, once the approver says yes to what
    /// the request asks.
    ApprovalReady {
        /// Its number, to send it by.
        id: u64,
        /// What the request asks, in words.
        description: String,
    },
    /// A credential's standing, or why it could not be read.
    Credential(Result<CredentialRow, String>),
    /// The operator's issuer's own figures and audit log (or why not).
    IssuerOwn {
        /// Its figures.
        figures: Result<IssuerFigures, String>,
        /// The newest entries of its audit log.
        log: Result<Vec<LogRow>, String>,
    },
    /// What came of status change `id`.
    StatusChanged {
        /// The change's number, as its request gave it.
        id: u64,
        /// What the issuer answered.
        outcome: ChangeOutcome,
    },
}

/// Something the operator asked for that needs the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Resolve this DID, proven.
    ResolveDid(String),
    /// Read this issuer's register entry, proven.
    ReadIssuer(String),
    /// Read the block at this height, with its transactions.
    OpenBlock(u64),
    /// Find the finalized transaction with this hash (hex) and open its block at it.
    FindTransaction(String),
    /// As the operator: a credential's standing at the issuer, by its id.
    FindCredential(String),
    /// As a governor: add the approval of the key in `key_file` to proposal `file`
    /// (confirmed first).
    SignProposal {
        /// The proposal's file name in the shared directory.
        file: String,
        /// The governor's key file.
        key_file: String,
    },
    /// Submit proposal `file`, which holds a quorum, and wait until it is final (confirmed
    /// first).
    SubmitProposal {
        /// The proposal's file name in the shared directory.
        file: String,
    },
    /// As an approver: read the trace request file handed over, check it and sign an
    /// approval of it with the approver's key file (not sent before a yes).
    PrepareApproval {
        /// The request file.
        request_file: String,
        /// The approver's key file.
        key_file: String,
    },
    /// Send the approval prepared as number `id`.
    SendApproval {
        /// Its number.
        id: u64,
    },
    /// As the operator: change a credential's status at the issuer (confirmed first).
    ChangeStatus {
        /// The change's number, to match its outcome.
        id: u64,
        /// Revoke (why), suspend or reinstate.
        action: StatusAction,
        /// The credential.
        credential_id: String,
        /// The operator's note, kept in the issuer's audit log.
        note: String,
    },
}
