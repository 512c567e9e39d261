//! The console's state and what keys and updates do to it. Pure: no I/O, no clock (the time
//! is handed in by [`App::tick`]), so every behaviour here is tested on fixed values.

use std::cell::Cell;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use crate::event::{Request, Update};
use crate::keys::{self, Action, Command};
use crate::model::{
    BlockFacts, BlockRow, ChainModel, ChangeOutcome, CredentialRow, DidFacts, IssuerFacts,
    IssuerOwn, Link, Lookup, NodeStatus, ProposalRow, ProvenAt, StatusChange, TraceRow,
    ValidatorHealth, ValidatorRow, VerifierStatus,
};

/// Rows a page key moves when the view has not been drawn yet.
const DEFAULT_PAGE: usize = 10;
/// How many views there are.
pub const VIEWS: usize = 6;
/// What the console says when proposals are asked for and no directory was given.
const NO_PROPOSALS: &str =
    "no proposals directory: start the console with --proposals DIR (where governors share them)";
/// How many status changes the Revocations view keeps.
const MAX_CHANGES: usize = 200;

/// The views, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Nodes, validators, blocks and rates.
    Chain,
    /// Proven DID resolution.
    Dids,
    /// The known issuers' register entries.
    Issuers,
    /// An operator's revocations and suspensions, asked from this console.
    Revocations,
    /// The issuer's lawful-trace requests and their approvals.
    Tracing,
    /// The verifiers' load, latency, refusals and dependencies, as each reports them.
    Verifiers,
}

impl Tab {
    /// Every view, in tab order.
    pub const ALL: [Tab; VIEWS] = [
        Tab::Chain,
        Tab::Dids,
        Tab::Issuers,
        Tab::Revocations,
        Tab::Tracing,
        Tab::Verifiers,
    ];

    /// The number key that opens it.
    pub fn key(self) -> char {
        match self {
            Tab::Chain => '1',
            Tab::Dids => '2',
            Tab::Issuers => '3',
            Tab::Revocations => '4',
            Tab::Tracing => '5',
            Tab::Verifiers => '6',
        }
    }

    /// Its name in the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Chain => "Chain",
            Tab::Dids => "DIDs",
            Tab::Issuers => "Issuers",
            Tab::Revocations => "Revocations",
            Tab::Tracing => "Tracing",
            Tab::Verifiers => "Verifiers",
        }
    }

    /// Its name in a narrow tab bar.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Revocations => "Revoc",
            Tab::Tracing => "Trace",
            Tab::Verifiers => "Verif",
            other => other.title(),
        }
    }

    /// Its place in [`Tab::ALL`].
    pub fn index(self) -> usize {
        match self {
            Tab::Chain => 0,
            Tab::Dids => 1,
            Tab::Issuers => 2,
            Tab::Revocations => 3,
            Tab::Tracing => 4,
            Tab::Verifiers => 5,
        }
    }

    /// The view numbered `n` (1-based), as the number keys count.
    pub fn numbered(n: u8) -> Option<Tab> {
        Tab::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    fn prev(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// Where typed characters go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputMode {
    /// Keys are commands.
    Normal,
    /// Typing a filter for the current list; it applies as it is typed.
    Filter(String),
    /// Typing a `:` command.
    Command(String),
    /// Typing a DID to resolve.
    Query(String),
}

/// The status line's message: what the last command did, or why it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The text.
    pub text: String,
    /// Whether it reports a failure (drawn so it stands out).
    pub error: bool,
}

/// A question the operator must answer with `y` before `on_yes` is sent: the guard for
/// actions that cannot be taken back (revoking, suspending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// What is asked, e.g. `revoke credential 7 of did:realdid:…?`.
    pub prompt: String,
    /// What is sent once the operator says yes.
    pub on_yes: Vec<Request>,
}

/// Everything the console shows, and where the operator is in it.
#[derive(Debug, Clone)]
pub struct App {
    tab: Tab,
    chain: ChainModel,
    did: Lookup<DidFacts>,
    issuers: Vec<(String, Lookup<IssuerFacts>)>,
    /// Per view: the selected row of its list (for DIDs, the first document line shown).
    selected: [usize; VIEWS],
    /// Per view: the filter kept with Enter.
    filters: [String; VIEWS],
    mode: InputMode,
    help: bool,
    message: Option<Message>,
    confirm: Option<Confirm>,
    now_ms: i64,
    quit: bool,
    /// Per view: the first row its list showed when last drawn, so the list scrolls only as
    /// far as the selection needs. Written by the views, which only read everything else.
    offsets: [Cell<usize>; VIEWS],
    /// Per view: how many rows its list had room for when last drawn (for page keys).
    pages: [Cell<usize>; VIEWS],
    /// The issuer endpoint this console acts on as an operator, if a session was given.
    operator: Option<String>,
    /// Status changes asked from this console, newest first.
    changes: Vec<StatusChange>,
    /// The number of the next status change.
    next_change: u64,
    /// The issuer's trace requests as last listed, or why not; `None` before the first.
    traces: Option<Result<Vec<TraceRow>, String>>,
    /// The block opened from the block list, shown over the chain view until Esc.
    block: Option<Lookup<BlockFacts>>,
    /// The verifiers watched, in the configured order.
    verifiers: Vec<VerifierStatus>,
    /// The transaction picked in the opened block.
    block_row: usize,
    /// The issuer register's length as last read, proven, or why it could not be.
    register: Option<Result<ProvenAt<usize>, String>>,
    /// The operator's issuer's own figures and audit log, as last read.
    issuer_own: Option<IssuerOwn>,
    /// The credential last looked up, or why it could not be.
    credential: Option<Result<CredentialRow, String>>,
    /// The governance proposal files as last read (or why not); `None` when the console
    /// watches no proposals directory.
    proposals: Option<Result<Vec<ProposalRow>, String>>,
}

impl App {
    /// A console for `chain_id` that knows nothing yet: nodes connecting, validators not
    /// seen, issuers not read.
    pub fn new(
        chain_id: String,
        endpoints: Vec<String>,
        validator_keys: Vec<String>,
        issuers: Vec<String>,
    ) -> App {
        let chain = ChainModel {
            chain_id,
            nodes: endpoints.into_iter().map(NodeStatus::new).collect(),
            validators: validator_keys
                .into_iter()
                .enumerate()
                .map(|(index, key)| ValidatorRow {
                    index,
                    key,
                    last_height: None,
                    last_seen_ms: None,
                    health: ValidatorHealth::Down,
                })
                .collect(),
            stream: Some("not connected yet".into()),
            ..ChainModel::default()
        };
        App {
            tab: Tab::Chain,
            chain,
            did: Lookup::Idle,
            issuers: issuers.into_iter().map(|d| (d, Lookup::Idle)).collect(),
            selected: [0; VIEWS],
            filters: Default::default(),
            mode: InputMode::Normal,
            help: false,
            message: None,
            confirm: None,
            now_ms: 0,
            quit: false,
            offsets: Default::default(),
            pages: Default::default(),
            operator: None,
            changes: Vec::new(),
            next_change: 1,
            traces: None,
            block: None,
            verifiers: Vec::new(),
            block_row: 0,
            proposals: None,
            register: None,
            issuer_own: None,
            credential: None,
        }
    }

    /// The credential last looked up (`:credential`), or why it could not be.
    pub fn credential(&self) -> Option<&Result<CredentialRow, String>> {
        self.credential.as_ref()
    }

    /// The operator's issuer's own figures and audit log, as last read; `None` before.
    pub fn issuer_own(&self) -> Option<&IssuerOwn> {
        self.issuer_own.as_ref()
    }

    /// The issuer register's length as last read, proven, or why it could not be.
    pub fn register(&self) -> Option<&Result<ProvenAt<usize>, String>> {
        self.register.as_ref()
    }

    /// Watches a directory of governance proposal files too (not read yet).
    pub fn with_proposals(mut self) -> App {
        self.proposals = Some(Ok(Vec::new()));
        self
    }

    /// The governance proposal files as last read, or why not; `None` without a directory.
    pub fn proposals(&self) -> Option<&Result<Vec<ProposalRow>, String>> {
        self.proposals.as_ref()
    }

    /// Watches the verifiers at `endpoints` too.
    pub fn with_verifiers(mut self, endpoints: Vec<String>) -> App {
        self.verifiers = endpoints.into_iter().map(VerifierStatus::new).collect();
        self
    }

    /// The verifiers watched, in the configured order.
    pub fn verifiers(&self) -> &[VerifierStatus] {
        &self.verifiers
    }

    /// The verifiers the verifiers view's filter lets through (by endpoint).
    pub fn visible_verifiers(&self) -> Vec<&VerifierStatus> {
        let needle = self.filter(Tab::Verifiers).to_lowercase();
        self.verifiers
            .iter()
            .filter(|v| needle.is_empty() || v.endpoint.to_lowercase().contains(&needle))
            .collect()
    }

    /// The verifier selected in the verifiers view.
    pub fn selected_verifier(&self) -> Option<&VerifierStatus> {
        self.visible_verifiers()
            .get(self.selected(Tab::Verifiers))
            .copied()
    }

    /// Lets the console act as an operator of the issuer at `endpoint` (its session is
    /// the sources' business; the app only knows there is one).
    pub fn with_operator(mut self, endpoint: impl Into<String>) -> App {
        self.operator = Some(endpoint.into());
        self
    }

    /// The issuer endpoint this console acts on as an operator, if any.
    pub fn operator(&self) -> Option<&str> {
        self.operator.as_deref()
    }

    /// The status changes asked from this console, newest first.
    pub fn changes(&self) -> &[StatusChange] {
        &self.changes
    }

    /// The block opened from the block list, if one is open.
    pub fn block(&self) -> Option<&Lookup<BlockFacts>> {
        self.block.as_ref()
    }

    /// The transaction picked in the opened block.
    pub fn block_row(&self) -> usize {
        self.block_row
    }

    /// The DIDs the opened block's transactions are about (empty until it is read).
    fn block_dids(&self) -> &[Option<String>] {
        match &self.block {
            Some(Lookup::Proven {
                answer: ProvenAt {
                    value: Some(block), ..
                },
                ..
            }) => &block.dids,
            _ => &[],
        }
    }

    /// The issuer's trace requests as last listed, or why not; `None` before the first.
    pub fn traces(&self) -> Option<&Result<Vec<TraceRow>, String>> {
        self.traces.as_ref()
    }

    /// The trace requests the tracing view's filter lets through (id, DID, state, case).
    pub fn visible_traces(&self) -> Vec<&TraceRow> {
        let needle = self.filter(Tab::Tracing).to_lowercase();
        match &self.traces {
            Some(Ok(traces)) => traces
                .iter()
                .filter(|t| {
                    needle.is_empty()
                        || [&t.id, &t.subject_did, &t.state, &t.case_reference]
                            .iter()
                            .any(|field| field.to_lowercase().contains(&needle))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Sets the console's clock reading, used for ages and uptimes.
    pub fn tick(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
    }

    /// Takes in what a source learnt.
    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Node { index, status } => {
                if let Some(node) = self.chain.nodes.get_mut(index) {
                    *node = status;
                }
            }
            Update::Validators(rows) => self.chain.validators = rows,
            Update::Block(block) => self.push_block(block),
            Update::Sample(sample) => self.chain.push_sample(sample),
            Update::Stream(stream) => self.chain.stream = stream,
            Update::Did(lookup) => self.answer_did(lookup),
            Update::Issuer(lookup) => self.answer_issuer(lookup),
            Update::StatusChanged { id, outcome } => self.answer_change(id, outcome),
            Update::Traces(traces) => self.traces = Some(traces),
            Update::VerifierRead {
                index,
                figures,
                latency_ms,
            } => {
                if let Some(verifier) = self.verifiers.get_mut(index) {
                    verifier.read(figures, latency_ms);
                }
            }
            Update::Register(register) => self.register = Some(register),
            Update::Credential(found) => {
                if let Err(why) = &found {
                    self.complain(why.clone());
                } else {
                    self.message = None;
                }
                self.credential = Some(found);
            }
            Update::IssuerOwn { figures, log } => {
                self.issuer_own = Some(IssuerOwn { figures, log });
            }
            Update::Proposals(rows) => {
                if self.proposals.is_some() {
                    self.proposals = Some(rows);
                }
            }
            Update::ApprovalReady { id, description } => {
                // The approver reads what they approve, whole, before the yes.
                self.ask(
                    format!("approve {description}?"),
                    vec![Request::SendApproval { id }],
                );
            }
            Update::ActionDone(Ok(text)) => self.say(text),
            Update::ActionDone(Err(text)) => self.complain(text),
            Update::VerifierDown { index, reason } => {
                if let Some(verifier) = self.verifiers.get_mut(index) {
                    let since_ms = match verifier.link {
                        Link::Down { since_ms, .. } => since_ms,
                        _ => self.now_ms,
                    };
                    verifier.link = Link::Down { since_ms, reason };
                }
            }
            Update::BlockOpened(lookup) => {
                // Only the answer for the block still open is shown.
                if let (
                    Some(Lookup::Pending { query }),
                    Lookup::Proven { query: q, .. } | Lookup::Failed { query: q, .. },
                ) = (&self.block, &lookup)
                    && query == q
                {
                    self.block_row = match &lookup {
                        Lookup::Proven {
                            answer:
                                ProvenAt {
                                    value: Some(block), ..
                                },
                            ..
                        } => block.looked_for.unwrap_or(0),
                        _ => 0,
                    };
                    self.block = Some(lookup);
                }
            }
        }
    }

    /// Answers a key; returns what must be asked of the network.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Request> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if keys::is_interrupt(&key) {
            self.quit = true;
            return Vec::new();
        }
        if let Some(confirm) = self.confirm.take() {
            return self.answer_confirm(confirm, &key);
        }
        match std::mem::replace(&mut self.mode, InputMode::Normal) {
            InputMode::Normal => match keys::action(&key) {
                Some(action) => self.act(action),
                None => Vec::new(),
            },
            InputMode::Filter(text) => {
                self.filter_key(text, &key);
                Vec::new()
            }
            InputMode::Command(text) => self.command_key(text, &key),
            InputMode::Query(text) => self.query_key(text, &key),
        }
    }

    /// Asks `prompt`; `on_yes` is returned by the key that answers `y`, and dropped by any
    /// other key.
    pub fn ask(&mut self, prompt: impl Into<String>, on_yes: Vec<Request>) {
        self.mode = InputMode::Normal;
        self.confirm = Some(Confirm {
            prompt: prompt.into(),
            on_yes,
        });
    }

    /// Whether the operator asked to leave.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The current view.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The chain view's data.
    pub fn chain(&self) -> &ChainModel {
        &self.chain
    }

    /// The DID lookup.
    pub fn did(&self) -> &Lookup<DidFacts> {
        &self.did
    }

    /// The known issuers (by the DID or endpoint asked) and their lookups, in the order
    /// configured, then in the order found.
    pub fn issuers(&self) -> &[(String, Lookup<IssuerFacts>)] {
        &self.issuers
    }

    /// Where typed characters go.
    pub fn mode(&self) -> &InputMode {
        &self.mode
    }

    /// Whether the help overlay is shown.
    pub fn help_visible(&self) -> bool {
        self.help
    }

    /// The status line's message.
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// The question waiting for `y`, if any.
    pub fn confirm(&self) -> Option<&Confirm> {
        self.confirm.as_ref()
    }

    /// The console's clock, as last ticked (Unix ms).
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// The filter that applies to `tab`'s list: the one being typed, else the one kept.
    pub fn filter(&self, tab: Tab) -> &str {
        match &self.mode {
            InputMode::Filter(text) if tab == self.tab => text,
            _ => &self.filters[tab.index()],
        }
    }

    /// The selected row of `tab`'s list, within the rows it shows now.
    pub fn selected(&self, tab: Tab) -> usize {
        let len = self.list_len(tab);
        self.selected[tab.index()].min(len.saturating_sub(1))
    }

    /// The blocks the chain view lists (newest first), narrowed by its filter.
    pub fn visible_blocks(&self) -> Vec<&BlockRow> {
        let needle = self.filter(Tab::Chain).to_lowercase();
        self.chain
            .blocks
            .iter()
            .filter(|b| needle.is_empty() || block_matches(b, &needle))
            .collect()
    }

    /// The issuers the issuers view lists, narrowed by its filter.
    pub fn visible_issuers(&self) -> Vec<&(String, Lookup<IssuerFacts>)> {
        let needle = self.filter(Tab::Issuers).to_lowercase();
        self.issuers
            .iter()
            .filter(|entry| needle.is_empty() || issuer_matches(entry, &needle))
            .collect()
    }

    /// The issuer the issuers view details.
    pub fn selected_issuer(&self) -> Option<&(String, Lookup<IssuerFacts>)> {
        self.visible_issuers()
            .get(self.selected(Tab::Issuers))
            .copied()
    }

    /// The lines of the resolved DID document, narrowed by the DIDs view's filter.
    pub fn document_lines(&self) -> Vec<&str> {
        let Lookup::Proven { answer, .. } = &self.did else {
            return Vec::new();
        };
        let Some(facts) = &answer.value else {
            return Vec::new();
        };
        let needle = self.filter(Tab::Dids).to_lowercase();
        facts
            .document
            .lines()
            .filter(|l| needle.is_empty() || l.to_lowercase().contains(&needle))
            .collect()
    }

    /// Where `tab`'s list starts, as last drawn (the views keep it).
    pub(crate) fn list_offset(&self, tab: Tab) -> &Cell<usize> {
        &self.offsets[tab.index()]
    }

    /// How many rows `tab`'s list had room for, as last drawn (the views keep it).
    pub(crate) fn list_page(&self, tab: Tab) -> &Cell<usize> {
        &self.pages[tab.index()]
    }

    fn list_len(&self, tab: Tab) -> usize {
        match tab {
            Tab::Chain => self.visible_blocks().len(),
            Tab::Dids => self.document_lines().len(),
            Tab::Issuers => self.visible_issuers().len(),
            Tab::Revocations => self.changes.len(),
            Tab::Tracing => self.visible_traces().len(),
            Tab::Verifiers => self.visible_verifiers().len(),
        }
    }

    fn page(&self, tab: Tab) -> usize {
        match self.pages[tab.index()].get() {
            0 => DEFAULT_PAGE,
            rows => rows,
        }
    }

    /// The highest row the selection may take. The DID document's "selection" is its first
    /// line shown, so it stops where the last line reaches the bottom of the view.
    fn last_row(&self, tab: Tab) -> usize {
        let len = self.list_len(tab);
        match tab {
            Tab::Dids => len.saturating_sub(self.pages[tab.index()].get().max(1)),
            Tab::Chain | Tab::Issuers | Tab::Revocations | Tab::Tracing | Tab::Verifiers => {
                len.saturating_sub(1)
            }
        }
    }

    fn move_to(&mut self, tab: Tab, row: usize) {
        self.selected[tab.index()] = row.min(self.last_row(tab));
    }

    /// Records what came of status change `id`, and says it on the status line.
    fn answer_change(&mut self, id: u64, outcome: ChangeOutcome) {
        let Some(change) = self.changes.iter_mut().find(|c| c.id == id) else {
            return;
        };
        change.outcome = outcome;
        let what = format!("{} {}", change.action.describe(), change.credential_id);
        match &change.outcome {
            ChangeOutcome::Done { anchor_heights, .. } if anchor_heights.is_empty() => {
                self.say(format!("{what}: nothing to change"));
            }
            ChangeOutcome::Done { anchor_heights, .. } => {
                let heights: Vec<String> = anchor_heights.iter().map(u64::to_string).collect();
                self.say(format!("{what}: anchored at height {}", heights.join(", ")));
            }
            ChangeOutcome::Failed(reason) => {
                let text = format!("{what}: {reason}");
                self.complain(text);
            }
            ChangeOutcome::Pending => {}
        }
    }

    fn switch(&mut self, tab: Tab) {
        self.tab = tab;
        self.help = false;
    }

    fn say(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }

    fn complain(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }

    fn act(&mut self, action: Action) -> Vec<Request> {
        if self.block.is_some() && self.tab == Tab::Chain && !self.help {
            // The opened block covers the chain view until Esc closes it; j/k pick a
            // transaction and Enter resolves the DID it is about (or closes the block when
            // it is about none).
            let count = self.block_dids().len();
            match action {
                Action::Back => self.block = None,
                Action::Down => self.block_row = (self.block_row + 1).min(count.saturating_sub(1)),
                Action::Up => self.block_row = self.block_row.saturating_sub(1),
                Action::Act => {
                    let did = self.block_dids().get(self.block_row).cloned().flatten();
                    self.block = None;
                    if let Some(did) = did {
                        self.switch(Tab::Dids);
                        return vec![self.resolve(did)];
                    }
                }
                Action::Quit => self.quit = true,
                Action::Help => self.help = true,
                _ => {}
            }
            return Vec::new();
        }
        if self.help {
            // The overlay covers the views: only the keys that leave it (or the console) act.
            match action {
                Action::Help | Action::Back => self.help = false,
                Action::Quit => self.quit = true,
                _ => {}
            }
            return Vec::new();
        }
        let tab = self.tab;
        let at = self.selected(tab);
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = true,
            Action::Back => {
                if !self.filters[tab.index()].is_empty() {
                    self.filters[tab.index()].clear();
                    self.selected[tab.index()] = 0;
                } else {
                    self.message = None;
                }
            }
            Action::NextView => self.switch(tab.next()),
            Action::PrevView => self.switch(tab.prev()),
            Action::View(n) => {
                if let Some(tab) = Tab::numbered(n) {
                    self.switch(tab);
                }
            }
            Action::Down => self.move_to(tab, at.saturating_add(1)),
            Action::Up => self.move_to(tab, at.saturating_sub(1)),
            Action::PageDown => self.move_to(tab, at.saturating_add(self.page(tab))),
            Action::PageUp => self.move_to(tab, at.saturating_sub(self.page(tab))),
            Action::Top => self.move_to(tab, 0),
            Action::Bottom => self.move_to(tab, usize::MAX),
            Action::Filter => {
                self.mode = InputMode::Filter(self.filters[tab.index()].clone());
            }
            Action::Command => {
                self.message = None;
                self.mode = InputMode::Command(String::new());
            }
            Action::Act => match tab {
                Tab::Chain => {
                    if let Some(height) = self.visible_blocks().get(at).map(|b| b.height) {
                        self.block = Some(Lookup::Pending {
                            query: height.to_string(),
                        });
                        return vec![Request::OpenBlock(height)];
                    }
                }
                Tab::Revocations | Tab::Tracing | Tab::Verifiers => {}
                Tab::Dids => self.mode = InputMode::Query(String::new()),
                Tab::Issuers => {
                    if let Some((query, _)) = self.selected_issuer() {
                        let query = query.clone();
                        return vec![self.read_issuer(query)];
                    }
                }
            },
        }
        Vec::new()
    }

    fn filter_key(&mut self, mut text: String, key: &KeyEvent) {
        let slot = self.tab.index();
        match key.code {
            KeyCode::Enter => self.filters[slot] = text,
            KeyCode::Esc => {
                self.filters[slot].clear();
                self.selected[slot] = 0;
            }
            KeyCode::Backspace => {
                text.pop();
                self.selected[slot] = 0;
                self.mode = InputMode::Filter(text);
            }
            _ => {
                if let Some(c) = keys::typed(key)
                    && text.len() < keys::MAX_INPUT
                {
                    text.push(c);
                    self.selected[slot] = 0;
                }
                self.mode = InputMode::Filter(text);
            }
        }
    }

    fn command_key(&mut self, mut text: String, key: &KeyEvent) -> Vec<Request> {
        match key.code {
            KeyCode::Enter => return self.run_command(&text),
            KeyCode::Esc => {}
            // Deleting past the colon closes the line, as in vi.
            KeyCode::Backspace if text.is_empty() => {}
            KeyCode::Backspace => {
                text.pop();
                self.mode = InputMode::Command(text);
            }
            _ => {
                if let Some(c) = keys::typed(key)
                    && text.len() < keys::MAX_INPUT
                {
                    text.push(c);
                }
                self.mode = InputMode::Command(text);
            }
        }
        Vec::new()
    }

    fn query_key(&mut self, mut text: String, key: &KeyEvent) -> Vec<Request> {
        match key.code {
            KeyCode::Enter => {
                let did = text.trim();
                if !did.is_empty() {
                    return vec![self.resolve(did.to_string())];
                }
            }
            KeyCode::Esc => {}
            KeyCode::Backspace => {
                text.pop();
                self.mode = InputMode::Query(text);
            }
            _ => {
                if let Some(c) = keys::typed(key)
                    && text.len() < keys::MAX_INPUT
                {
                    text.push(c);
                }
                self.mode = InputMode::Query(text);
            }
        }
        Vec::new()
    }

    fn run_command(&mut self, line: &str) -> Vec<Request> {
        match keys::parse_command(line) {
            Ok(None) => Vec::new(),
            Ok(Some(Command::Quit)) => {
                self.quit = true;
                Vec::new()
            }
            Ok(Some(Command::Help)) => {
                self.help = true;
                Vec::new()
            }
            Ok(Some(Command::Resolve(did))) => {
                self.switch(Tab::Dids);
                match did {
                    Some(did) => vec![self.resolve(did)],
                    None => {
                        self.mode = InputMode::Query(String::new());
                        Vec::new()
                    }
                }
            }
            Ok(Some(Command::Credential(id))) => {
                self.switch(Tab::Revocations);
                if self.operator.is_none() {
                    self.complain("no operator session: start the console with --session-file");
                    return Vec::new();
                }
                self.credential = None;
                self.say(format!("asking the issuer about {id} …"));
                vec![Request::FindCredential(id)]
            }
            Ok(Some(Command::Transaction(hash))) => {
                self.switch(Tab::Chain);
                self.block = Some(Lookup::Pending {
                    query: hash.clone(),
                });
                vec![Request::FindTransaction(hash)]
            }
            Ok(Some(Command::Issuer(did))) => {
                self.switch(Tab::Issuers);
                vec![self.read_issuer(did)]
            }
            Ok(Some(Command::Status {
                action,
                credential_id,
                note,
            })) => {
                self.switch(Tab::Revocations);
                let Some(endpoint) = self.operator.clone() else {
                    self.complain(
                        "no operator session: start the console with --session-file \
                         (realdid issuer login writes one)",
                    );
                    return Vec::new();
                };
                let id = self.next_change;
                self.next_change += 1;
                let prompt = format!(
                    "{} credential {credential_id} at {endpoint}?",
                    action.describe()
                );
                self.ask(
                    prompt,
                    vec![Request::ChangeStatus {
                        id,
                        action,
                        credential_id,
                        note,
                    }],
                );
                Vec::new()
            }
            Ok(Some(Command::Sign { file, key_file })) => {
                self.switch(Tab::Issuers);
                if self.proposals.is_none() {
                    self.complain(NO_PROPOSALS);
                    return Vec::new();
                }
                let prompt = format!("sign {} with {key_file}?", self.proposal_said(&file));
                self.ask(prompt, vec![Request::SignProposal { file, key_file }]);
                Vec::new()
            }
            Ok(Some(Command::Approve {
                request_file,
                key_file,
            })) => {
                self.switch(Tab::Tracing);
                self.say(format!("reading {request_file} …"));
                vec![Request::PrepareApproval {
                    request_file,
                    key_file,
                }]
            }
            Ok(Some(Command::Submit(file))) => {
                self.switch(Tab::Issuers);
                if self.proposals.is_none() {
                    self.complain(NO_PROPOSALS);
                    return Vec::new();
                }
                let prompt = format!("submit {} to the chain?", self.proposal_said(&file));
                self.ask(prompt, vec![Request::SubmitProposal { file }]);
                Vec::new()
            }
            Err(message) => {
                self.complain(message);
                Vec::new()
            }
        }
    }

    /// `file` with what it decides, as last read: the question a governor answers must
    /// say what they approve.
    fn proposal_said(&self, file: &str) -> String {
        match self
            .proposals
            .as_ref()
            .and_then(|p| p.as_ref().ok())
            .and_then(|rows| rows.iter().find(|r| r.file == file))
        {
            Some(row) if row.problem.is_none() => format!("{file} ({})", row.description),
            _ => file.to_owned(),
        }
    }

    fn answer_confirm(&mut self, confirm: Confirm, key: &KeyEvent) -> Vec<Request> {
        if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
            self.say(format!("confirmed: {}", confirm.prompt));
            for request in &confirm.on_yes {
                if let Request::ChangeStatus {
                    id,
                    action,
                    credential_id,
                    ..
                } = request
                {
                    self.changes.insert(
                        0,
                        StatusChange {
                            id: *id,
                            at_ms: self.now_ms,
                            action: *action,
                            credential_id: credential_id.clone(),
                            outcome: ChangeOutcome::Pending,
                        },
                    );
                    self.changes.truncate(MAX_CHANGES);
                }
            }
            confirm.on_yes
        } else {
            self.say(format!("cancelled: {}", confirm.prompt));
            Vec::new()
        }
    }

    fn resolve(&mut self, did: String) -> Request {
        self.did = Lookup::Pending { query: did.clone() };
        self.selected[Tab::Dids.index()] = 0;
        self.say(format!("resolving {did}"));
        Request::ResolveDid(did)
    }

    fn read_issuer(&mut self, did: String) -> Request {
        let pending = Lookup::Pending { query: did.clone() };
        let at = match self.issuers.iter().position(|(q, _)| *q == did) {
            Some(at) => {
                self.issuers[at].1 = pending;
                at
            }
            None => {
                self.issuers.push((did.clone(), pending));
                self.issuers.len() - 1
            }
        };
        let slot = Tab::Issuers.index();
        let visible = |app: &App| {
            app.visible_issuers()
                .iter()
                .position(|(q, _)| *q == app.issuers[at].0)
        };
        if visible(self).is_none() {
            // The operator asked for it by name: a filter must not hide the answer.
            self.filters[slot].clear();
        }
        self.selected[slot] = visible(self).unwrap_or(0);
        self.say(format!("reading issuer {did}"));
        Request::ReadIssuer(did)
    }

    fn answer_did(&mut self, lookup: Lookup<DidFacts>) {
        let Some(query) = lookup_query(&lookup) else {
            return;
        };
        // An answer to an earlier question must not replace the one the operator asked last.
        if let Some(latest) = lookup_query(&self.did)
            && latest != query
        {
            return;
        }
        self.settle(&format!("resolving {query}"), &lookup);
        self.did = lookup;
        self.selected[Tab::Dids.index()] = 0;
    }

    /// Replaces the message `pending` (said when the lookup was asked) with its outcome; a
    /// message said since is left alone, and so are answers nobody is waiting on (the
    /// periodic issuer refreshes).
    fn settle<T>(&mut self, pending: &str, lookup: &Lookup<T>) {
        if self.message.as_ref().is_none_or(|m| m.text != pending) {
            return;
        }
        match lookup {
            Lookup::Proven { query, answer } => {
                let what = if answer.value.is_some() {
                    "proven"
                } else {
                    "proven absent"
                };
                self.say(format!("{query}: {what} at height {}", answer.height));
            }
            Lookup::Failed { query, .. } => self.complain(format!("{query}: no proven answer")),
            Lookup::Idle | Lookup::Pending { .. } => {}
        }
    }

    fn answer_issuer(&mut self, lookup: Lookup<IssuerFacts>) {
        let Some(query) = lookup_query(&lookup).map(str::to_string) else {
            return;
        };
        let proven_did = match &lookup {
            Lookup::Proven { answer, .. } => answer.value.as_ref().map(|f| f.did.clone()),
            _ => None,
        };
        self.settle(&format!("reading issuer {query}"), &lookup);
        let known = self
            .issuers
            .iter()
            .position(|(q, _)| *q == query || proven_did.as_deref() == Some(q.as_str()));
        match known {
            Some(at) => self.issuers[at].1 = lookup,
            None => self.issuers.push((query, lookup)),
        }
    }

    fn push_block(&mut self, block: BlockRow) {
        let slot = Tab::Chain.index();
        // Keep the operator's block under the cursor while new ones arrive above it; at the
        // top, the selection follows the head.
        let held = match self.selected[slot] {
            0 => None,
            at => self.visible_blocks().get(at).map(|b| b.height),
        };
        self.chain.push_block(block);
        if let Some(height) = held
            && let Some(at) = self
                .visible_blocks()
                .iter()
                .position(|b| b.height == height)
        {
            self.selected[slot] = at;
        }
    }
}

fn lookup_query<T>(lookup: &Lookup<T>) -> Option<&str> {
    match lookup {
        Lookup::Idle => None,
        Lookup::Pending { query } | Lookup::Proven { query, .. } | Lookup::Failed { query, .. } => {
            Some(query.as_str())
        }
    }
}

fn block_matches(block: &BlockRow, needle: &str) -> bool {
    block.height.to_string().contains(needle) || block.hash.to_lowercase().contains(needle)
}

fn issuer_matches((query, lookup): &(String, Lookup<IssuerFacts>), needle: &str) -> bool {
    if query.to_lowercase().contains(needle) {
        return true;
    }
    match lookup {
        Lookup::Proven { answer, .. } => answer
            .value
            .as_ref()
            .is_some_and(|f| f.name.to_lowercase().contains(needle)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use ratatui::crossterm::event::KeyModifiers;

    use super::*;

    fn app() -> App {
        App::new(
            "realdid-test".into(),
            vec![
                "http://127.0.0.1:7001".into(),
                "http://127.0.0.1:7002".into(),
            ],
            vec!["aa".repeat(32), "bb".repeat(32)],
            vec!["did:realdid:issuer1".into(), "did:realdid:issuer2".into()],
        )
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Request> {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typ(app: &mut App, text: &str) -> Vec<Request> {
        let mut out = Vec::new();
        for c in text.chars() {
            out.extend(press(app, KeyCode::Char(c)));
        }
        out
    }

    fn block(height: u64) -> BlockRow {
        BlockRow {
            height,
            // No digits, so a filter on digits matches heights only.
            hash: "f".repeat(64),
            tx_count: 1,
            time_ms: 0,
        }
    }

    fn proven_did(query: &str, height: u64) -> Lookup<DidFacts> {
        Lookup::Proven {
            query: query.into(),
            answer: ProvenAt {
                value: Some(DidFacts {
                    document: "{\n  \"id\": \"x\"\n}".into(),
                    version: 1,
                    deactivated: false,
                    created_height: 1,
                    updated_height: 1,
                    history: Vec::new(),
                }),
                height,
                block_time_ms: 0,
            },
        }
    }

    #[test]
    fn starts_knowing_nothing() {
        let app = app();
        assert_eq!(app.tab(), Tab::Chain);
        assert!(
            app.chain()
                .nodes
                .iter()
                .all(|n| n.link == crate::model::Link::Connecting)
        );
        assert!(
            app.chain()
                .validators
                .iter()
                .all(|v| v.health == ValidatorHealth::Down)
        );
        assert!(app.issuers().iter().all(|(_, l)| *l == Lookup::Idle));
        assert_eq!(app.chain().validators[1].index, 1);
        assert!(!app.should_quit());
    }

    #[test]
    fn number_keys_switch_views() {
        let mut app = app();
        press(&mut app, KeyCode::Char('2'));
        assert_eq!(app.tab(), Tab::Dids);
        press(&mut app, KeyCode::Char('3'));
        assert_eq!(app.tab(), Tab::Issuers);
        press(&mut app, KeyCode::Char('1'));
        assert_eq!(app.tab(), Tab::Chain);
    }

    #[test]
    fn tab_and_backtab_cycle_views() {
        let mut app = app();
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.tab(), Tab::Dids);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.tab(), Tab::Revocations);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.tab(), Tab::Tracing);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.tab(), Tab::Verifiers);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.tab(), Tab::Chain, "Tab wraps around");
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.tab(), Tab::Verifiers, "Shift-Tab wraps backwards");
    }

    #[test]
    fn help_toggles_and_esc_closes_it() {
        let mut app = app();
        press(&mut app, KeyCode::Char('?'));
        assert!(app.help_visible());
        press(&mut app, KeyCode::Char('?'));
        assert!(!app.help_visible());
        press(&mut app, KeyCode::Char('?'));
        press(&mut app, KeyCode::Char('2'));
        assert_eq!(app.tab(), Tab::Chain, "the overlay holds the keys");
        press(&mut app, KeyCode::Esc);
        assert!(!app.help_visible());
        typ(&mut app, ":help");
        press(&mut app, KeyCode::Enter);
        assert!(app.help_visible());
    }

    #[test]
    fn q_quits_in_normal_mode() {
        let mut app = app();
        press(&mut app, KeyCode::Char('q'));
        assert!(app.should_quit());
    }

    #[test]
    fn q_typed_in_a_filter_or_query_does_not_quit() {
        let mut app = app();
        typ(&mut app, "/q");
        assert!(!app.should_quit());
        assert_eq!(app.mode(), &InputMode::Filter("q".into()));
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('2'));
        press(&mut app, KeyCode::Char('r'));
        typ(&mut app, "did:q");
        assert!(!app.should_quit());
        assert_eq!(app.mode(), &InputMode::Query("did:q".into()));
    }

    #[test]
    fn ctrl_c_quits_from_any_mode() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        let setups: [&dyn Fn(&mut App); 5] = [
            &|_| {},
            &|a| drop(typ(a, "/abc")),
            &|a| drop(typ(a, ":res")),
            &|a| drop(typ(a, "2rdid:")),
            &|a| a.ask("revoke?", Vec::new()),
        ];
        for setup in setups {
            let mut app = app();
            setup(&mut app);
            app.handle_key(ctrl_c);
            assert!(app.should_quit(), "mode {:?}", app.mode());
        }
        let mut app = app();
        press(&mut app, KeyCode::Char('?'));
        app.handle_key(ctrl_c);
        assert!(app.should_quit(), "from the help overlay");
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut app = app();
        let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        app.handle_key(release);
        assert!(!app.should_quit());
    }

    #[test]
    fn resolve_command_switches_to_dids_and_asks() {
        let mut app = app();
        typ(&mut app, ":resolve did:realdid:abc");
        let requests = press(&mut app, KeyCode::Enter);
        assert_eq!(
            requests,
            vec![Request::ResolveDid("did:realdid:abc".into())]
        );
        assert_eq!(app.tab(), Tab::Dids);
        assert_eq!(app.mode(), &InputMode::Normal);
        assert_eq!(
            app.did(),
            &Lookup::Pending {
                query: "did:realdid:abc".into()
            }
        );
    }

    #[test]
    fn resolve_command_without_a_did_opens_the_query_line() {
        let mut app = app();
        typ(&mut app, ":resolve");
        assert!(press(&mut app, KeyCode::Enter).is_empty());
        assert_eq!(app.tab(), Tab::Dids);
        assert_eq!(app.mode(), &InputMode::Query(String::new()));
    }

    #[test]
    fn issuer_command_switches_to_issuers_and_selects_it() {
        let mut app = app();
        typ(&mut app, ":issuer did:realdid:new");
        let requests = press(&mut app, KeyCode::Enter);
        assert_eq!(
            requests,
            vec![Request::ReadIssuer("did:realdid:new".into())]
        );
        assert_eq!(app.tab(), Tab::Issuers);
        assert_eq!(app.issuers().len(), 3);
        let (query, lookup) = app.selected_issuer().unwrap();
        assert_eq!(query, "did:realdid:new");
        assert!(matches!(lookup, Lookup::Pending { .. }));
    }

    #[test]
    fn quit_commands_quit() {
        for line in [":q", ":quit"] {
            let mut app = app();
            typ(&mut app, line);
            press(&mut app, KeyCode::Enter);
            assert!(app.should_quit(), "{line}");
        }
    }

    #[test]
    fn unknown_command_is_reported() {
        let mut app = app();
        typ(&mut app, ":frobnicate");
        let requests = press(&mut app, KeyCode::Enter);
        assert!(requests.is_empty());
        let message = app.message().unwrap();
        assert!(message.error);
        assert!(
            message.text.contains("unknown command :frobnicate"),
            "{message:?}"
        );
        assert_eq!(app.mode(), &InputMode::Normal);
    }

    #[test]
    fn backspace_past_the_colon_closes_the_command_line() {
        let mut app = app();
        typ(&mut app, ":x");
        press(&mut app, KeyCode::Backspace);
        assert_eq!(app.mode(), &InputMode::Command(String::new()));
        press(&mut app, KeyCode::Backspace);
        assert_eq!(app.mode(), &InputMode::Normal);
    }

    #[test]
    fn filter_narrows_the_block_list() {
        let mut app = app();
        for h in 1..=30 {
            app.apply(Update::Block(block(h)));
        }
        assert_eq!(app.visible_blocks().len(), 30);
        typ(&mut app, "/2");
        let heights: Vec<u64> = app.visible_blocks().iter().map(|b| b.height).collect();
        assert_eq!(heights, vec![29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 12, 2]);
        press(&mut app, KeyCode::Char('5'));
        let heights: Vec<u64> = app.visible_blocks().iter().map(|b| b.height).collect();
        assert_eq!(heights, vec![25]);
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), &InputMode::Normal);
        assert_eq!(app.filter(Tab::Chain), "25", "Enter keeps the filter");
        assert_eq!(app.visible_blocks().len(), 1);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.filter(Tab::Chain), "", "Esc in normal mode clears it");
        assert_eq!(app.visible_blocks().len(), 30);
    }

    #[test]
    fn filter_is_case_insensitive_and_esc_while_typing_clears_it() {
        let mut app = app();
        app.apply(Update::Block(BlockRow {
            hash: "ABCDEF".into(),
            ..block(7)
        }));
        app.apply(Update::Block(block(8)));
        typ(&mut app, "/cDe");
        assert_eq!(app.visible_blocks().len(), 1);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), &InputMode::Normal);
        assert_eq!(app.visible_blocks().len(), 2);
    }

    #[test]
    fn filter_applies_per_view() {
        let mut app = app();
        press(&mut app, KeyCode::Char('3'));
        typ(&mut app, "/issuer2");
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.visible_issuers().len(), 1);
        assert_eq!(app.selected_issuer().unwrap().0, "did:realdid:issuer2");
        press(&mut app, KeyCode::Char('1'));
        assert_eq!(app.filter(Tab::Chain), "");
        assert_eq!(app.filter(Tab::Issuers), "issuer2");
    }

    #[test]
    fn selection_moves_and_stays_in_range() {
        let mut app = app();
        for h in 1..=5 {
            app.apply(Update::Block(block(h)));
        }
        press(&mut app, KeyCode::Char('j'));
        press(&mut app, KeyCode::Down);
        assert_eq!(app.selected(Tab::Chain), 2);
        press(&mut app, KeyCode::Char('k'));
        assert_eq!(app.selected(Tab::Chain), 1);
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(app.selected(Tab::Chain), 4);
        press(&mut app, KeyCode::Char('j'));
        assert_eq!(app.selected(Tab::Chain), 4);
        press(&mut app, KeyCode::Char('g'));
        assert_eq!(app.selected(Tab::Chain), 0);
        press(&mut app, KeyCode::Up);
        assert_eq!(app.selected(Tab::Chain), 0);
    }

    #[test]
    fn a_selected_block_stays_selected_as_new_blocks_arrive() {
        let mut app = app();
        for h in 1..=5 {
            app.apply(Update::Block(block(h)));
        }
        press(&mut app, KeyCode::Char('j'));
        press(&mut app, KeyCode::Char('j'));
        let held = app.visible_blocks()[app.selected(Tab::Chain)].height;
        app.apply(Update::Block(block(6)));
        assert_eq!(app.visible_blocks()[app.selected(Tab::Chain)].height, held);
        press(&mut app, KeyCode::Char('g'));
        app.apply(Update::Block(block(7)));
        assert_eq!(
            app.visible_blocks()[app.selected(Tab::Chain)].height,
            7,
            "the top follows the head"
        );
    }

    #[test]
    fn query_submits_a_non_empty_did() {
        let mut app = app();
        press(&mut app, KeyCode::Char('2'));
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), &InputMode::Query(String::new()));
        assert!(
            press(&mut app, KeyCode::Enter).is_empty(),
            "nothing typed, nothing asked"
        );
        assert_eq!(app.mode(), &InputMode::Normal);
        press(&mut app, KeyCode::Char('r'));
        typ(&mut app, "did:realdid:abx");
        press(&mut app, KeyCode::Backspace);
        typ(&mut app, "c ");
        let requests = press(&mut app, KeyCode::Enter);
        assert_eq!(
            requests,
            vec![Request::ResolveDid("did:realdid:abc".into())]
        );
        assert_eq!(
            app.did(),
            &Lookup::Pending {
                query: "did:realdid:abc".into()
            }
        );
    }

    #[test]
    fn stale_did_answer_is_ignored() {
        let mut app = app();
        typ(&mut app, ":resolve did:realdid:first");
        press(&mut app, KeyCode::Enter);
        typ(&mut app, ":resolve did:realdid:second");
        press(&mut app, KeyCode::Enter);
        app.apply(Update::Did(proven_did("did:realdid:first", 10)));
        assert_eq!(
            app.did(),
            &Lookup::Pending {
                query: "did:realdid:second".into()
            }
        );
        app.apply(Update::Did(proven_did("did:realdid:second", 11)));
        assert_eq!(app.did(), &proven_did("did:realdid:second", 11));
    }

    #[test]
    fn an_answer_replaces_its_pending_message_only() {
        let mut app = app();
        typ(&mut app, ":resolve did:realdid:abc");
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.message().unwrap().text, "resolving did:realdid:abc");
        app.apply(Update::Did(proven_did("did:realdid:abc", 7)));
        assert_eq!(
            app.message().unwrap().text,
            "did:realdid:abc: proven at height 7"
        );
        // A refresh nobody asked for says nothing.
        app.apply(Update::Issuer(Lookup::Failed {
            query: "did:realdid:issuer1".into(),
            reason: "down".into(),
        }));
        assert_eq!(
            app.message().unwrap().text,
            "did:realdid:abc: proven at height 7"
        );
        typ(&mut app, ":issuer did:realdid:issuer1");
        press(&mut app, KeyCode::Enter);
        app.apply(Update::Issuer(Lookup::Failed {
            query: "did:realdid:issuer1".into(),
            reason: "down".into(),
        }));
        let message = app.message().unwrap();
        assert!(message.error);
        assert_eq!(message.text, "did:realdid:issuer1: no proven answer");
    }

    #[test]
    fn issuer_answers_replace_their_entry_or_append() {
        let mut app = app();
        let failed = Lookup::Failed {
            query: "did:realdid:issuer2".into(),
            reason: "no quorum".into(),
        };
        app.apply(Update::Issuer(failed.clone()));
        assert_eq!(app.issuers()[1].1, failed);
        let other = Lookup::Failed {
            query: "https://issuer.example:7443".into(),
            reason: "no answer".into(),
        };
        app.apply(Update::Issuer(other.clone()));
        assert_eq!(app.issuers().len(), 3);
        assert_eq!(app.issuers()[2].1, other);
        app.apply(Update::Issuer(Lookup::Idle));
        assert_eq!(app.issuers().len(), 3);
    }

    #[test]
    fn r_in_issuers_rereads_the_selected_one() {
        let mut app = app();
        press(&mut app, KeyCode::Char('3'));
        press(&mut app, KeyCode::Char('j'));
        let requests = press(&mut app, KeyCode::Char('r'));
        assert_eq!(
            requests,
            vec![Request::ReadIssuer("did:realdid:issuer2".into())]
        );
        assert!(matches!(app.issuers()[1].1, Lookup::Pending { .. }));
    }

    #[test]
    fn node_updates_replace_in_range_only() {
        let mut app = app();
        let mut status = NodeStatus::new("http://127.0.0.1:7002");
        status.height = Some(9);
        app.apply(Update::Node {
            index: 1,
            status: status.clone(),
        });
        app.apply(Update::Node { index: 5, status });
        assert_eq!(app.chain().nodes.len(), 2);
        assert_eq!(app.chain().height(), Some(9));
    }

    #[test]
    fn confirm_yes_sends_the_request() {
        let mut app = app();
        let revoke = vec![Request::ReadIssuer("stand-in for a revocation".into())];
        app.ask("revoke credential 7?", revoke.clone());
        assert_eq!(app.confirm().unwrap().prompt, "revoke credential 7?");
        assert_eq!(press(&mut app, KeyCode::Char('y')), revoke);
        assert!(app.confirm().is_none());
        assert!(app.message().unwrap().text.starts_with("confirmed"));
    }

    #[test]
    fn confirm_anything_else_cancels() {
        for code in [
            KeyCode::Char('n'),
            KeyCode::Esc,
            KeyCode::Enter,
            KeyCode::Char('q'),
        ] {
            let mut app = app();
            app.ask("suspend?", vec![Request::ResolveDid("x".into())]);
            assert!(press(&mut app, code).is_empty(), "{code:?}");
            assert!(app.confirm().is_none());
            assert!(
                !app.should_quit(),
                "{code:?} answered the question, nothing more"
            );
            assert!(app.message().unwrap().text.starts_with("cancelled"));
        }
    }

    #[test]
    fn stream_and_samples_and_validators_apply() {
        let mut app = app();
        app.apply(Update::Stream(None));
        assert_eq!(app.chain().stream, None);
        app.apply(Update::Stream(Some("reset".into())));
        assert_eq!(app.chain().stream.as_deref(), Some("reset"));
        app.apply(Update::Validators(Vec::new()));
        assert!(app.chain().validators.is_empty());
    }

    #[test]
    fn a_status_change_is_asked_first_and_followed_to_its_outcome() {
        let mut app = app().with_operator("https://issuer");
        press(&mut app, KeyCode::Char(':'));
        for c in "revoke cred-1 fraud forged".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        let asked = app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert!(
            asked.is_empty(),
            "nothing is sent before the operator says yes"
        );
        assert_eq!(app.tab(), Tab::Revocations);
        assert!(app.confirm().is_some());
        let sent = app.handle_key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE));
        let [
            Request::ChangeStatus {
                id,
                credential_id,
                note,
                ..
            },
        ] = sent.as_slice()
        else {
            panic!("{sent:?}");
        };
        assert_eq!(
            (credential_id.as_str(), note.as_str()),
            ("cred-1", "forged")
        );
        assert_eq!(app.changes()[0].outcome, ChangeOutcome::Pending);
        app.apply(Update::StatusChanged {
            id: *id,
            outcome: ChangeOutcome::Done {
                issuer_did: "did:realdid:issuer".into(),
                credential_ids: vec!["cred-1".into()],
                anchor_heights: vec![9],
            },
        });
        assert!(matches!(
            app.changes()[0].outcome,
            ChangeOutcome::Done { .. }
        ));
        assert!(app.message().unwrap().text.contains("anchored at height 9"));

        // Any key but y drops the change unsent.
        press(&mut app, KeyCode::Char(':'));
        for c in "suspend cred-2 case".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Enter);
        let dropped = app.handle_key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE));
        assert!(dropped.is_empty());
        assert_eq!(app.changes().len(), 1);
    }

    #[test]
    fn enter_opens_the_selected_block_and_esc_closes_it() {
        let mut app = app();
        for height in 1..=3 {
            app.apply(Update::Block(BlockRow {
                height,
                hash: format!("h{height}"),
                tx_count: 0,
                time_ms: 0,
            }));
        }
        press(&mut app, KeyCode::Char('j'));
        let asked = app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(
            asked,
            vec![Request::OpenBlock(2)],
            "the newest first: row 1 is height 2"
        );
        let answer = |height: u64| Lookup::Proven {
            query: height.to_string(),
            answer: ProvenAt {
                value: Some(BlockFacts {
                    height,
                    certified: true,
                    time_ms: 0,
                    transactions: vec![("DID create", "ab".into())],
                    looked_for: None,
                    dids: vec![Some("did:realdid:x".into())],
                }),
                height,
                block_time_ms: 0,
            },
        };
        app.apply(Update::BlockOpened(answer(3)));
        assert!(
            matches!(app.block(), Some(Lookup::Pending { .. })),
            "an answer for another block is not shown"
        );
        app.apply(Update::BlockOpened(answer(2)));
        assert!(matches!(app.block(), Some(Lookup::Proven { .. })));
        press(&mut app, KeyCode::Char('j'));
        assert_eq!(
            app.selected(Tab::Chain),
            1,
            "the list stays put under the block"
        );
        press(&mut app, KeyCode::Esc);
        assert!(app.block().is_none());
    }

    #[test]
    fn a_proposal_is_signed_and_submitted_only_after_the_governor_says_yes() {
        let mut plain = app();
        typ(&mut plain, ":sign accredit.json gov.jwk");
        assert!(press(&mut plain, KeyCode::Enter).is_empty());
        assert!(plain.message().unwrap().text.contains("--proposals"));

        let mut app = app().with_proposals();
        app.apply(Update::Proposals(Ok(vec![ProposalRow {
            file: "accredit.json".into(),
            description: "accredits did:realdid:x as Bank".into(),
            approvals: 1,
            needed: 2,
            problem: None,
        }])));
        typ(&mut app, ":sign accredit.json");
        press(&mut app, KeyCode::Enter);
        assert!(app.message().unwrap().text.contains("usage: :sign"));
        typ(&mut app, ":sign accredit.json gov.jwk");
        assert!(
            press(&mut app, KeyCode::Enter).is_empty(),
            "nothing before yes"
        );
        assert_eq!(app.tab(), Tab::Issuers);
        let prompt = &app.confirm().unwrap().prompt;
        assert!(
            prompt.contains("accredits did:realdid:x as Bank"),
            "{prompt}"
        );
        assert_eq!(
            press(&mut app, KeyCode::Char('y')),
            vec![Request::SignProposal {
                file: "accredit.json".into(),
                key_file: "gov.jwk".into(),
            }]
        );
        typ(&mut app, ":submit accredit.json");
        press(&mut app, KeyCode::Enter);
        assert!(press(&mut app, KeyCode::Char('n')).is_empty(), "no is no");
        typ(&mut app, ":submit accredit.json");
        press(&mut app, KeyCode::Enter);
        assert_eq!(
            press(&mut app, KeyCode::Char('y')),
            vec![Request::SubmitProposal {
                file: "accredit.json".into()
            }]
        );
        app.apply(Update::ActionDone(Err("1 approval(s); it needs 2".into())));
        let said = app.message().unwrap();
        assert!(said.error && said.text.contains("it needs 2"));
        app.apply(Update::ActionDone(Ok(
            "accredit.json: final at height 9".into()
        )));
        assert!(!app.message().unwrap().error);
    }

    #[test]
    fn a_trace_approval_is_read_first_and_sent_only_after_the_approver_says_yes() {
        let mut app = app();
        typ(&mut app, ":approve request.json");
        press(&mut app, KeyCode::Enter);
        assert!(app.message().unwrap().text.contains("usage: :approve"));
        typ(&mut app, ":approve request.json judge-1.key.json");
        assert_eq!(
            press(&mut app, KeyCode::Enter),
            vec![Request::PrepareApproval {
                request_file: "request.json".into(),
                key_file: "judge-1.key.json".into(),
            }],
            "the files are read and checked; nothing is sent"
        );
        assert_eq!(app.tab(), Tab::Tracing);
        app.apply(Update::ApprovalReady {
            id: 4,
            description: "as judge-1: trace t-9: identify the holder of did:realdid:x\n  legal basis: warrant".into(),
        });
        let prompt = &app.confirm().unwrap().prompt;
        assert!(prompt.contains("legal basis: warrant"), "{prompt}");
        assert!(
            press(&mut app, KeyCode::Esc).is_empty(),
            "any other key declines"
        );
        app.apply(Update::ApprovalReady {
            id: 5,
            description: "as judge-1: trace t-9".into(),
        });
        assert_eq!(
            press(&mut app, KeyCode::Char('y')),
            vec![Request::SendApproval { id: 5 }]
        );
    }

    #[test]
    fn a_transaction_is_looked_for_by_its_hash_in_the_chain_view() {
        let mut app = app();
        press(&mut app, KeyCode::Char('2'));
        typ(&mut app, ":tx");
        press(&mut app, KeyCode::Enter);
        assert!(app.message().unwrap().text.contains("usage: :tx"));
        typ(&mut app, ":tx ab12");
        assert_eq!(
            press(&mut app, KeyCode::Enter),
            vec![Request::FindTransaction("ab12".into())]
        );
        assert_eq!(app.tab(), Tab::Chain);
        assert!(matches!(app.block(), Some(Lookup::Pending { query }) if query == "ab12"));
    }
}
