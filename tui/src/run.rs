//! The console on a terminal: the sources on their tasks, the keys on a thread of their
//! own, and one loop that applies what arrives and redraws.
//!
//! The loop never awaits the network: it only drains channels, so a stopped or slow
//! endpoint shows as such while everything else keeps moving.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind};
use realdid_core::clock::Clock;
use realdid_proto::tls::ClientTls;
use realdid_registry_client::RegistryGateway;
use tokio::sync::mpsc;

use crate::app::App;
use crate::event::{Request, Update};
use crate::{TuiError, source, views};

/// How often the screen is redrawn when nothing arrives (ages and uptimes move).
const IDLE_REDRAW: Duration = Duration::from_secs(1);
/// The shortest time between two redraws for what the sources send.
const FRAME: Duration = Duration::from_millis(250);
/// How long the key thread waits for a key before it looks whether to stop.
const KEY_POLL: Duration = Duration::from_millis(100);

/// What the console watches.
pub struct Watch {
    /// The chain id, from the genesis.
    pub chain_id: String,
    /// Registry node gRPC endpoints.
    pub registry: Vec<String>,
    /// The genesis validators' consensus keys, hex, in genesis order.
    pub validator_keys: Vec<String>,
    /// Proven reads, checked against the genesis validators.
    pub gateway: RegistryGateway,
    /// Issuers to show, by DID.
    pub issuer_dids: Vec<String>,
    /// Issuer gRPC endpoints, asked for their DIDs.
    pub issuer_endpoints: Vec<String>,
    /// Whom the console acts for at an issuer, if anyone.
    pub operator: Option<source::operator::Operator>,
    /// The governors' shared directory of proposal files, if the console watches one.
    pub proposals: Option<source::proposals::Proposals>,
    /// Verifiers to watch, as their operator.
    pub verifiers: Vec<source::verifiers::WatchedVerifier>,
    /// What endpoints' certificates must chain to.
    pub tls: ClientTls,
    /// The console's clock.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("chain_id", &self.chain_id)
            .field("registry", &self.registry)
            .field("issuer_dids", &self.issuer_dids)
            .field("issuer_endpoints", &self.issuer_endpoints)
            .field("operator", &self.operator)
            .field("verifiers", &self.verifiers)
            .field("proposals", &self.proposals)
            .finish_non_exhaustive()
    }
}

/// Runs the console on this process's terminal until the operator quits or `shutdown`
/// completes; the terminal is restored either way.
pub async fn run(watch: Watch, shutdown: impl Future<Output = ()>) -> Result<(), TuiError> {
    if watch.registry.is_empty() {
        return Err(TuiError::Config("no registry node to watch".into()));
    }
    let (updates_tx, mut updates) = mpsc::channel::<Update>(1024);
    let (requests, requests_rx) = mpsc::channel::<Request>(64);
    let chain = tokio::spawn(source::chain::run(
        watch.registry.clone(),
        watch.validator_keys.clone(),
        watch.tls.clone(),
        watch.clock.clone(),
        updates_tx.clone(),
    ));
    let verifiers = tokio::spawn(source::verifiers::run(
        watch.verifiers.clone(),
        watch.tls.clone(),
        updates_tx.clone(),
    ));
    let proposals = watch.proposals.clone().map(Arc::new);
    let scanner = proposals
        .clone()
        .map(|p| tokio::spawn(source::proposals::run(p, updates_tx.clone())));
    let lookups = tokio::spawn(source::lookups::run(
        Arc::new(watch.gateway),
        watch.issuer_dids.clone(),
        watch.issuer_endpoints,
        watch.operator.clone(),
        proposals,
        watch.tls,
        requests_rx,
        updates_tx,
    ));
    let (keys_tx, mut keys) = mpsc::channel::<KeyEvent>(64);
    let stop_keys = Arc::new(AtomicBool::new(false));
    let key_thread = {
        let stop = stop_keys.clone();
        std::thread::spawn(move || read_keys(&keys_tx, &stop))
    };

    let mut terminal = ratatui::try_init()?;
    let mut app = App::new(
        watch.chain_id,
        watch.registry,
        watch.validator_keys,
        watch.issuer_dids,
    );
    if let Some(operator) = &watch.operator {
        app = app.with_operator(operator.endpoint.clone());
    }
    app = app.with_verifiers(watch.verifiers.iter().map(|v| v.endpoint.clone()).collect());
    if watch.proposals.is_some() {
        app = app.with_proposals();
    }
    // Keys are answered on the next frame at once; what the sources send is drawn at most
    // every FRAME, and ages and uptimes move with an idle redraw.
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut drawn_at = tokio::time::Instant::now();
    tokio::pin!(shutdown);
    let outcome = loop {
        let mut now_draw = false;
        tokio::select! {
            _ = &mut shutdown => break Ok(()),
            _ = frame.tick() => {
                now_draw = dirty || drawn_at.elapsed() >= IDLE_REDRAW;
            }
            Some(update) = updates.recv() => {
                app.apply(update);
                while let Ok(update) = updates.try_recv() {
                    app.apply(update);
                }
                dirty = true;
            }
            key = keys.recv() => match key {
                Some(key) => {
                    for request in app.handle_key(key) {
                        // A full queue drops the request; the operator asks again.
                        let _ = requests.try_send(request);
                    }
                    now_draw = true;
                }
                None => break Err(TuiError::Terminal(std::io::Error::other(
                    "the terminal's input ended",
                ))),
            },
        }
        if app.should_quit() {
            break Ok(());
        }
        if now_draw {
            app.tick(source::chain::now_ms(watch.clock.as_ref()));
            if let Err(e) = terminal.draw(|frame| views::draw(frame, &app)) {
                break Err(TuiError::Terminal(e));
            }
            dirty = false;
            drawn_at = tokio::time::Instant::now();
        }
    };
    ratatui::try_restore()?;
    stop_keys.store(true, Ordering::SeqCst);
    chain.abort();
    lookups.abort();
    verifiers.abort();
    if let Some(scanner) = scanner {
        scanner.abort();
    }
    let _ = key_thread.join();
    outcome
}

/// Forwards key presses to `keys` until `stop` is set or the console stops listening.
fn read_keys(keys: &mpsc::Sender<KeyEvent>, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match event::poll(KEY_POLL) {
            Ok(false) => {}
            Ok(true) => match event::read() {
                Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => {
                    if keys.blocking_send(key).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            },
            Err(_) => return,
        }
    }
}
