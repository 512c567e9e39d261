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
    /// Its versions, newest first (the current one, then up to
    /// [`MAX_DID_HISTORY`]` - 1` before it), each proven where it was applied.
    pub history: Vec<DidVersionRow>,
}

/// How many versions of a DID the DIDs view reads.
pub const MAX_DID_HISTORY: u64 = 20;

/// One version of a DID, proven against the state where it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidVersionRow {
    /// The version (1: created).
    pub version: u64,
    /// The height that applied it.
    pub height: u64,
    /// That block's time, Unix ms.
    pub time_ms: i64,
    /// Its keys, by id.
    pub keys: Vec<String>,
    /// How many services it lists.
    pub services: usize,
    /// Whether this version deactivated the DID.
    pub deactivated: bool,
    /// Why it could not be read, proven (nothing else is shown of it then).
    pub problem: Option<String>,
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
    /// Its newest audit anchors (trace openings), newest first, each proven.
    pub audit_anchors: Vec<AnchorRow>,
    /// Its status lists' anchors, each proven, for the lists its endpoint names.
    pub status_lists: Vec<AnchorRow>,
}

/// How many audit anchors of an issuer the console reads.
pub const MAX_AUDIT_ANCHORS: u64 = 10;

/// One anchor of an issuer on chain, read proven: an audit anchor (a trace opened) or a
/// status list's latest anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorRow {
    /// The audit anchor's sequence, or the status list's URI.
    pub name: String,
    /// The anchor's own sequence.
    pub sequence: u64,
    /// The height that anchored it.
    pub height: u64,
    /// What it says: approvals and disclosure, or revoked and suspended entries.
    pub detail: String,
    /// Why it could not be read, proven (nothing else is shown of it then).
    pub problem: Option<String>,
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
        /// The issuer whose lists changed, by DID (empty when it did not say).
        issuer_did: String,
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
    /// The transaction looked for by its hash, by position, when the block was opened so.
    pub looked_for: Option<usize>,
    /// For each transaction, in order, the DID it is about (a DID operation's, an anchor's
    /// issuer), to be picked and resolved.
    pub dids: Vec<Option<String>>,
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

/// The issuer's figures as it reports them to its operators (its own word).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerFigures {
    /// Enrolments since it started, by outcome, largest first.
    pub enrolments: Vec<(String, u64)>,
    /// Credentials issued (status list entries in use).
    pub issued: u64,
    /// Of them, revoked.
    pub revoked: u64,
    /// Of them, suspended now.
    pub suspended: u64,
    /// Lists with changes not yet anchored.
    pub unpublished_lists: u32,
    /// The latest list anchor: height and block time, Unix ms.
    pub last_anchor: Option<(u64, i64)>,
    /// Trace requests: pending, approved, opened, expired.
    pub traces: [u64; 4],
}

/// What the operator's issuer reports of itself: its figures and its audit log, each read
/// or refused on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerOwn {
    /// Its figures, or why they could not be read.
    pub figures: Result<IssuerFigures, String>,
    /// The newest entries of its audit log, or why not (it answers auditors only).
    pub log: Result<Vec<LogRow>, String>,
}

/// One credential's standing as its issuer tells its operators (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// Its id.
    pub id: String,
    /// VALID, SUSPENDED or REVOKED.
    pub status: String,
    /// Why (the reason, or who suspended it).
    pub detail: String,
    /// Since when, Unix ms (0 when valid).
    pub since_ms: i64,
    /// Its status list and index there.
    pub list: String,
    /// Its index.
    pub index: u64,
    /// The day it expires, Unix ms of its start.
    pub expires_day_ms: i64,
}

/// One entry of the issuer's operators' audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    /// When, Unix ms.
    pub at_ms: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Detail.
    pub detail: String,
}

/// A governance proposal file in the governors' shared directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRow {
    /// Its file name.
    pub file: String,
    /// What it decides, in words (empty when it cannot be read).
    pub description: String,
    /// Approvals in it by governors of this genesis, each signature checked.
    pub approvals: usize,
    /// Approvals a decision needs.
    pub needed: usize,
    /// Why it cannot be signed or submitted (unreadable, another chain, a bad approval).
    pub problem: Option<String>,
}

/// How a dependency answered a verifier, as the verifier reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependencyRow {
    /// Whether its last check or use succeeded.
    pub up: bool,
    /// When it was last checked, Unix ms (the verifier's clock); 0 never.
    pub checked_at_ms: i64,
    /// Since when it has been up or down, Unix ms.
    pub since_ms: i64,
    /// While down, why.
    pub error: String,
    /// How long the last check took, µs.
    pub latency_us: u64,
}

/// A status list a verifier holds: until it expires, the verifier answers from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldListRow {
    /// Whose list.
    pub issuer_did: String,
    /// Its URI.
    pub uri: String,
    /// The height its anchor was proven at: a change anchored later is not in it.
    pub proven_height: u64,
    /// Revoked entries in it.
    pub revoked: u64,
    /// Suspended entries in it.
    pub suspended: u64,
    /// When the verifier stops using it, Unix ms (the verifier's clock).
    pub expires_at_ms: i64,
}

/// One verifier's figures as it reports them (its own word, not proven): counts since it
/// started, so that two reads give the rates between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifierFigures {
    /// When it read them, Unix ms (its clock).
    pub at_ms: i64,
    /// When it started, Unix ms.
    pub started_at_ms: i64,
    /// Its version.
    pub version: String,
    /// Verdicts since it started, by name (`VERIFIED` or the failure reason without its
    /// prefix), largest first.
    pub verdicts: Vec<(String, u64)>,
    /// Latency buckets' upper bounds, µs.
    pub latency_bounds_us: Vec<u64>,
    /// Verdicts per bucket since it started, one more than the bounds.
    pub latency_counts: Vec<u64>,
    /// Presentations being checked now.
    pub in_flight: u64,
    /// Its request store.
    pub store: DependencyRow,
    /// The registry, as its proven reads found it.
    pub registry: DependencyRow,
    /// The highest registry height a proven read showed it.
    pub registry_height: u64,
    /// The status lists it holds.
    pub lists: Vec<HeldListRow>,
}

impl VerifierFigures {
    /// Every verdict since it started.
    pub fn decided(&self) -> u64 {
        self.verdicts.iter().map(|(_, n)| n).sum()
    }
}

/// One verifier: whether it answers, and its last two reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierStatus {
    /// The endpoint polled.
    pub endpoint: String,
    /// Whether it answered the last poll.
    pub link: Link,
    /// The last figures read.
    pub now: Option<VerifierFigures>,
    /// The figures read before those, for the rates between them.
    pub before: Option<VerifierFigures>,
}

/// Whether a verifier answers from a status list made after a change anchored at a height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sees {
    /// It holds no list of the issuer older than the change: its next answer reads the
    /// chain (or a list proven after the change).
    Yes,
    /// It may answer from an older list until then (Unix ms, the verifier's clock).
    NotUntil(i64),
    /// It did not answer; nothing is known.
    Unknown,
}

impl VerifierStatus {
    /// A verifier not asked yet.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            link: Link::Connecting,
            now: None,
            before: None,
        }
    }

    /// Records a read: the last one becomes the one before.
    pub fn read(&mut self, figures: VerifierFigures, latency_ms: u64) {
        self.before = self.now.replace(figures);
        self.link = Link::Up { latency_ms };
    }

    /// Presentations decided per second between the last two reads.
    pub fn rate(&self) -> Option<f64> {
        let (now, before) = (self.now.as_ref()?, self.before.as_ref()?);
        let seconds = (now.at_ms - before.at_ms) as f64 / 1000.0;
        (seconds > 0.0 && now.started_at_ms == before.started_at_ms)
            .then(|| now.decided().saturating_sub(before.decided()) as f64 / seconds)
    }

    /// The latency quantile `q` (0 to 1) in µs of the verdicts between the last two reads,
    /// or since the start when nothing was decided between them; `u64::MAX` when it lies
    /// beyond the last bound. `None` before any verdict.
    pub fn latency_us(&self, q: f64) -> Option<u64> {
        let now = self.now.as_ref()?;
        let between: Vec<u64> = match &self.before {
            Some(before)
                if before.started_at_ms == now.started_at_ms
                    && before.latency_counts.len() == now.latency_counts.len() =>
            {
                now.latency_counts
                    .iter()
                    .zip(&before.latency_counts)
                    .map(|(n, b)| n.saturating_sub(*b))
                    .collect()
            }
            _ => Vec::new(),
        };
        let counts = if between.iter().sum::<u64>() > 0 {
            &between
        } else {
            &now.latency_counts
        };
        quantile(&now.latency_bounds_us, counts, q)
    }

    /// Whether it sees a change of `issuer_did`'s lists anchored at `height`, by the lists
    /// it reported holding.
    pub fn sees(&self, issuer_did: &str, height: u64) -> Sees {
        let Some(now) = self
            .now
            .as_ref()
            .filter(|_| matches!(self.link, Link::Up { .. }))
        else {
            return Sees::Unknown;
        };
        now.lists
            .iter()
            .filter(|l| l.issuer_did == issuer_did && l.proven_height < height)
            .map(|l| l.expires_at_ms)
            .max()
            .map_or(Sees::Yes, Sees::NotUntil)
    }
}

/// The upper bound of the bucket holding quantile `q` of `counts` (one per bound, then one
/// beyond the last: `u64::MAX`); `None` when empty.
pub fn quantile(bounds_us: &[u64], counts: &[u64], q: f64) -> Option<u64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    // The rank of the quantile, 1-based: the smallest count reaching q of the total.
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (i, count) in counts.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return Some(bounds_us.get(i).copied().unwrap_or(u64::MAX));
        }
    }
    Some(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(at_ms: i64, started_at_ms: i64, decided: u64, counts: Vec<u64>) -> VerifierFigures {
        VerifierFigures {
            at_ms,
            started_at_ms,
            verdicts: vec![("VERIFIED".into(), decided)],
            latency_bounds_us: vec![100, 1_000, 10_000],
            latency_counts: counts,
            ..VerifierFigures::default()
        }
    }

    #[test]
    fn a_quantile_is_the_bound_of_the_bucket_reaching_its_rank() {
        let bounds = [100, 1_000, 10_000];
        assert_eq!(quantile(&bounds, &[0, 0, 0, 0], 0.5), None);
        assert_eq!(quantile(&bounds, &[50, 49, 1, 0], 0.5), Some(100));
        assert_eq!(quantile(&bounds, &[50, 49, 1, 0], 0.99), Some(1_000));
        assert_eq!(quantile(&bounds, &[50, 49, 0, 1], 1.0), Some(u64::MAX));
        assert_eq!(quantile(&bounds, &[0, 0, 1, 0], 0.0), Some(10_000));
    }

    #[test]
    fn rates_and_latency_come_from_the_difference_between_two_reads() {
        let mut v = VerifierStatus::new("https://v");
        assert_eq!((v.rate(), v.latency_us(0.5)), (None, None));
        v.read(figures(10_000, 0, 1_000, vec![1_000, 0, 0, 0]), 3);
        assert_eq!(v.rate(), None, "one read has no rate");
        assert_eq!(v.latency_us(0.5), Some(100), "since the start");
        // Two seconds later, 400 more, all slow: the window shows them, not the history.
        v.read(figures(12_000, 0, 1_400, vec![1_000, 0, 400, 0]), 3);
        assert_eq!(v.rate(), Some(200.0));
        assert_eq!(v.latency_us(0.5), Some(10_000));
        // Nothing decided since: the figures since the start stand in.
        v.read(figures(13_000, 0, 1_400, vec![1_000, 0, 400, 0]), 3);
        assert_eq!(v.rate(), Some(0.0));
        assert_eq!(v.latency_us(0.5), Some(100));
        // A restarted verifier counts from zero: no rate across the restart.
        v.read(figures(14_000, 13_500, 10, vec![10, 0, 0, 0]), 3);
        assert_eq!(v.rate(), None);
    }

    #[test]
    fn a_verifier_sees_a_change_once_it_holds_no_list_of_the_issuer_proven_before_it() {
        let list = |issuer: &str, proven_height, expires_at_ms| HeldListRow {
            issuer_did: issuer.into(),
            uri: format!("https://{issuer}/status/1"),
            proven_height,
            revoked: 0,
            suspended: 0,
            expires_at_ms,
        };
        let mut v = VerifierStatus::new("https://v");
        assert_eq!(v.sees("did:a", 10), Sees::Unknown, "never read");
        let mut read = figures(1_000, 0, 0, vec![0; 4]);
        read.lists = vec![list("did:a", 12, 5_000), list("did:b", 3, 9_000)];
        v.read(read.clone(), 1);
        assert_eq!(v.sees("did:a", 10), Sees::Yes, "proven after the change");
        assert_eq!(
            v.sees("did:c", 10),
            Sees::Yes,
            "no list held: the next read is fresh"
        );
        assert_eq!(v.sees("did:b", 10), Sees::NotUntil(9_000));
        read.lists.push(list("did:a", 8, 7_000));
        v.read(read, 1);
        assert_eq!(
            v.sees("did:a", 10),
            Sees::NotUntil(7_000),
            "one old list is enough"
        );
        v.link = Link::Down {
            since_ms: 2_000,
            reason: "gone".into(),
        };
        assert_eq!(
            v.sees("did:a", 10),
            Sees::Unknown,
            "a down verifier is not guessed at"
        );
    }
}
