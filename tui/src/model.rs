//! What the console knows, as plain data: the sources fill it from the network, the views
//! draw it. Nothing here does I/O, so the views and the key handling are tested on fixed
//! values.
//!
//! Two kinds of facts are kept apart on purpose. Chain state (a DID's document, an
//! issuer's register entry, its counts) is shown only as a proven read checked against
//! the genesis validators, with the height it was proven at. A node's telemetry (its
//! height as it reports it, its pending pool, which validators it heard from) is that
//! node's own word, and the views label it so.

use std::collections::VecDeque;

/// How many recent blocks the chain view keeps.
pub const MAX_BLOCKS: usize = 200;
/// How many rate samples the charts keep (one per node poll, about one a second).
pub const MAX_SAMPLES: usize = 120;

/// Whether a node answered its last poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Not asked yet.
    Connecting,
    /// Answered the last poll, in this many milliseconds.
    Up {
        /// Round trip of the last poll.
        latency_ms: u64,
    },
    /// Did not answer: since when (Unix ms, the console's clock) and why.
    Down {
        /// When it stopped answering.
        since_ms: i64,
        /// What the last attempt said.
        reason: String,
    },
}

/// One registry node as it reports itself (its own word, not proven).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The endpoint polled.
    pub endpoint: String,
    /// Whether it answers.
    pub link: Link,
    /// Its latest finalized height, as it reports it.
    pub height: Option<u64>,
    /// The block time of that height, Unix ms.
    pub block_time_ms: Option<i64>,
    /// When it learned that height was final, Unix ms (its clock).
    pub finalized_at_ms: Option<i64>,
    /// Transactions waiting in its pending pool, as it reports them.
    pub pending: Option<u64>,
    /// When the node process started, Unix ms (its clock).
    pub started_at_ms: Option<i64>,
    /// Its software version.
    pub version: Option<String>,
    /// Its consensus key, hex (empty for a node that does not validate).
    pub node_key: String,
}

impl NodeStatus {
    /// A node not asked yet.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            link: Link::Connecting,
            height: None,
            block_time_ms: None,
            finalized_at_ms: None,
            pending: None,
            started_at_ms: None,
            version: None,
            node_key: String::new(),
        }
    }
}

/// What a validator looks like from the nodes' reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidatorHealth {
    /// Signed a certificate of the latest height (or one close behind).
    Up,
    /// Heard from, but more than a few heights behind.
    Behind,
    /// Not heard from recently, or its own node does not answer.
    Down,
}

/// One validator of the genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorRow {
    /// Its place in the genesis.
    pub index: usize,
    /// Its consensus key, hex.
    pub key: String,
    /// The last finalized height it was seen signing, by any node's report.
    pub last_height: Option<u64>,
    /// When it was last seen, Unix ms.
    pub last_seen_ms: Option<i64>,
    /// Up, behind or down.
    pub health: ValidatorHealth,
}

/// One finalized block, as the block stream gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    /// Its height.
    pub height: u64,
    /// Its hash, hex.
    pub hash: String,
    /// Its transactions.
    pub tx_count: u32,
    /// Its timestamp, Unix ms.
    pub time_ms: i64,
}

/// One point of the charts: at `at_ms`, blocks and transactions per second over the last
/// interval, and the finality latency (block time to a node's commit) of the latest block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSample {
    /// When, Unix ms (the console's clock).
    pub at_ms: i64,
    /// Blocks per second.
    pub blocks_per_s: f64,
    /// Transactions per second.
    pub txs_per_s: f64,
    /// Milliseconds from a block's time to its finality, as a node reported it.
    pub finality_ms: f64,
}

/// The chain view's data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainModel {
    /// The chain id from the genesis.
    pub chain_id: String,
    /// The registry nodes, in the order configured.
    pub nodes: Vec<NodeStatus>,
    /// The genesis validators.
    pub validators: Vec<ValidatorRow>,
    /// The latest blocks, newest first, at most [`MAX_BLOCKS`].
    pub blocks: VecDeque<BlockRow>,
    /// Rate samples, oldest first, at most [`MAX_SAMPLES`].
    pub samples: VecDeque<RateSample>,
    /// Whether the block stream is connected, and if not, why.
    pub stream: Option<String>,
}

impl ChainModel {
    /// The highest height any node reports.
    pub fn height(&self) -> Option<u64> {
        self.nodes.iter().filter_map(|n| n.height).max()
    }

    /// Keeps `block` at the front, dropping the oldest beyond [`MAX_BLOCKS`]; a block
    /// already held is not added twice.
    pub fn push_block(&mut self, block: BlockRow) {
        if self.blocks.iter().any(|b| b.height == block.height) {
            return;
        }
        let at = self
            .blocks
            .iter()
            .position(|b| b.height < block.height)
            .unwrap_or(self.blocks.len());
        self.blocks.insert(at, block);
        self.blocks.truncate(MAX_BLOCKS);
    }

    /// Keeps `sample`, dropping the oldest beyond [`MAX_SAMPLES`].
    pub fn push_sample(&mut self, sample: RateSample) {
        self.samples.push_back(sample);
        while self.samples.len() > MAX_SAMPLES {
            self.samples.pop_front();
        }
    }
}

/// A proven answer: the value, and the height and block time of the state it was proven
/// against (checked against the genesis validators' keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenAt<T> {
    /// The value (or `None`, proven absent).
    pub value: Option<T>,
    /// The height of the state it was proven in.
    pub height: u64,
    /// That block's time, Unix ms.
    pub block_time_ms: u64,
}

/// A DID as resolved, proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidFacts {
    /// The DID document, pretty-printed JSON.
    pub document: String,
    /// Its version (operations applied).
    pub version: u64,
    /// Whether it is deactivated.
    pub deactivated: bool,
    /// The height that created it.
    pub created_height: u64,
    /// The height that last changed it.
    pub updated_height: u64,
}

/// Where a lookup is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// Nothing asked.
    Idle,
    /// Asked; no answer yet.
    Pending {
        /// What was asked.
        query: String,
    },
    /// Answered with a proof.
    Proven {
        /// What was asked.
        query: String,
        /// The answer.
        answer: ProvenAt<T>,
    },
    /// No proven answer.
    Failed {
        /// What was asked.
        query: String,
        /// Why.
        reason: String,
    },
}

/// An issuer's register entry as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerFacts {
    /// Its DID.
    pub did: String,
    /// Its display name.
    pub name: String,
    /// Accredited now (not removed).
    pub accredited: bool,
    /// The credential types it is accredited for.
    pub credential_types: Vec<String>,
    /// Its trace approvers' ids and k, when named.
    pub approvers: Option<(u8, Vec<String>)>,
    /// Trace openings counted on chain.
    pub openings: u64,
    /// Openings disclosed to their holders.
    pub disclosures: u64,
    /// Credentials revoked.
    pub revocations: u64,
    /// Credentials suspended now.
    pub suspended: u64,
}

/// Why a credential is revoked, as the issuer's API lists the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    /// The holder's key is known or suspected to be compromised.
    KeyCompromise,
    /// The enrolment was obtained by fraud.
    Fraud,
    /// The person has died.
    Deceased,
    /// A court or other lawful order requires it.
    LegalOrder,
    /// The holder asked for it.
    HolderRequest,
    /// Replaced by a newer credential.
    Superseded,
    /// Issued in error.
    IssuerError,
    /// Another reason, said in the note.
    Other,
}

impl RevocationReason {
    /// Every reason with the word the command line takes for it.
    pub const ALL: [(&'static str, RevocationReason); 8] = [
        ("key-compromise", Self::KeyCompromise),
        ("fraud", Self::Fraud),
        ("deceased", Self::Deceased),
        ("legal-order", Self::LegalOrder),
        ("holder-request", Self::HolderRequest),
        ("superseded", Self::Superseded),
        ("issuer-error", Self::IssuerError),
        ("other", Self::Other),
    ];

    /// The reason `word` names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, reason)| *reason)
    }

    /// The word for it.
    pub fn word(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, reason)| *reason == self)
            .map_or("other", |(name, _)| name)
    }
}

/// A change of a credential's status an operator asks the issuer for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// Revoked for good.
    Revoke(RevocationReason),
    /// Suspended while a case is examined.
    Suspend,
    /// An operator's suspension lifted.
    Reinstate,
}

impl StatusAction {
    /// How the console names it.
    pub fn describe(self) -> String {
        match self {
            Self::Revoke(reason) => format!("revoke ({})", reason.word()),
            Self::Suspend => "suspend".into(),
            Self::Reinstate => "reinstate".into(),
        }
    }
}

/// Where a status change is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Sent; no answer yet.
    Pending,
    /// Done: the credentials it changed and the heights of the status-list anchors that
    /// made it public (the issuer answers only once a proven read shows them on chain);
    /// no anchor when nothing changed.
    Done {
        /// The credentials changed.
        credential_ids: Vec<String>,
        /// The heights of the anchors.
        anchor_heights: Vec<u64>,
    },
    /// Refused or failed, and why.
    Failed(String),
}

/// One status change asked from this console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// Its number.
    pub id: u64,
    /// When it was asked, Unix ms.
    pub at_ms: i64,
    /// What was asked.
    pub action: StatusAction,
    /// The credential.
    pub credential_id: String,
    /// What came of it.
    pub outcome: ChangeOutcome,
}

/// One lawful-trace request as the issuer lists it to its operators: who asked, on what
/// basis, the approvals so far and what became of it. It carries no identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRow {
    /// The issuer's id for it.
    pub id: String,
    /// The DID whose holder is sought.
    pub subject_did: String,
    /// The legal basis named.
    pub legal_basis: String,
    /// The requesting authority's case reference.
    pub case_reference: String,
    /// The operator who asked.
    pub requested_by: String,
    /// PENDING, APPROVED, OPENED or EXPIRED.
    pub state: String,
    /// The approvers who approved, by id.
    pub approvals: Vec<String>,
    /// k.
    pub required: u32,
    /// When it was asked, Unix ms.
    pub created_at_ms: i64,
    /// When it expires unopened, Unix ms.
    pub expires_at_ms: i64,
    /// When it was opened, Unix ms.
    pub opened_at_ms: Option<i64>,
    /// The height of its audit anchor.
    pub anchor_height: Option<u64>,
}

/// A finalized block opened from the block list: its transactions by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockFacts {
    /// Its height.
    pub height: u64,
    /// Whether its own finality certificate, checked against the genesis validators, proves
    /// it; a block finalized as an ancestor of a later one has none, and is then the
    /// node's word (its transactions still match its header's root).
    pub certified: bool,
    /// Its timestamp, Unix ms.
    pub time_ms: i64,
    /// Each transaction's kind and hash (hex), in block order.
    pub transactions: Vec<(&'static str, String)>,
}

impl BlockFacts {
    /// How many transactions of each kind, in order of first appearance.
    pub fn kinds(&self) -> Vec<(&'static str, usize)> {
        let mut kinds: Vec<(&'static str, usize)> = Vec::new();
        for (kind, _) in &self.transactions {
            match kinds.iter_mut().find(|(k, _)| k == kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((kind, 1)),
            }
        }
        kinds
    }
}
