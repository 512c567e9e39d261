//! Snapshot tests of every view, drawn on a test backend at 80×24 and 160×48 from a fixed
//! model and a fixed clock.
//!
//! Each screen is compared as text with `tests/snapshots/<name>.txt`; `UPDATE_SNAPSHOTS=1`
//! writes the files instead (read them before committing them). Each test also checks the
//! facts the screen must carry, so a snapshot regenerated without a look still fails when
//! one goes missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use realdid_tui::app::App;
use realdid_tui::event::{Request, Update};
use realdid_tui::keys::{BINDINGS, COMMANDS};
use realdid_tui::model::{
    AnchorRow, BlockFacts, BlockRow, ChangeOutcome, CredentialRow, DependencyRow, DidFacts,
    DidVersionRow, HeldListRow, IssuerFacts, IssuerFigures, Link, LogRow, Lookup, NodeStatus,
    ProposalRow, ProvenAt, RateSample, TraceRow, ValidatorHealth, ValidatorRow, VerifierFigures,
};
use realdid_tui::views;

/// The console's clock in every test: 2025-06-15 15:06:40 UTC.
const NOW: i64 = 1_750_000_000_000;
const HEAD: u64 = 1042;
const DID: &str = "did:realdid:7Gq3ZkVbqT1xXoKx2mHfY4sB9nWdCe5uJrLp8aQ6tNv";
const BANK: &str = "did:realdid:4BankHq2v9XcLw7Rz3TnPfE8kYd5uMa6sJgQ1oNb";
const POST: &str = "did:realdid:9PostKm3b8WcVx2Rz7TnQfE4kYd6uLa5sJgH1oNc";
const GOV: &str = "did:realdid:2GovtPq7n4XcLw9Rz1TmKfE3kYd8uMa2sJgV6oNd";

/// 64 hex digits that look like a hash and depend only on `seed`.
fn hex64(seed: u64) -> String {
    let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    (0..4)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            format!("{:016x}", state ^ (state >> 29))
        })
        .collect()
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn typ(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn endpoints() -> Vec<String> {
    (1..=4)
        .map(|i| format!("http://127.0.0.1:700{i}"))
        .collect()
}

/// A busy chain: three nodes up (one three blocks behind), one down, validators in every
/// state, a full block stream and a full set of samples.
fn chain_app() -> App {
    let keys: Vec<String> = (0..4).map(|i| hex64(100 + i)).collect();
    let mut app = App::new(
        "realdid-devnet".into(),
        endpoints(),
        keys.clone(),
        vec![BANK.into(), POST.into(), GOV.into()],
    );
    app.tick(NOW);
    let up = |i: usize, latency_ms, height: u64, pending, started_ago_ms: i64| NodeStatus {
        endpoint: endpoints()[i].clone(),
        link: Link::Up { latency_ms },
        height: Some(height),
        block_time_ms: Some(NOW - 1_400 - (HEAD - height) as i64 * 1_000),
        finalized_at_ms: Some(NOW - 900),
        pending: Some(pending),
        started_at_ms: Some(NOW - started_ago_ms),
        version: Some("0.1.0".into()),
        node_key: keys[i].clone(),
    };
    let nodes = [
        up(0, 12, HEAD, 3, 7_800_000),
        up(1, 15, HEAD, 0, 356_400_000),
        up(2, 48, HEAD - 3, 17, 95_000),
        NodeStatus {
            link: Link::Down {
                since_ms: NOW - 34_000,
                reason: "connection refused".into(),
            },
            node_key: keys[3].clone(),
            ..NodeStatus::new(endpoints()[3].clone())
        },
    ];
    for (index, status) in nodes.into_iter().enumerate() {
        app.apply(Update::Node { index, status });
    }
    let health = [
        (ValidatorHealth::Up, HEAD, 1_000),
        (ValidatorHealth::Up, HEAD, 1_000),
        (ValidatorHealth::Behind, HEAD - 7, 9_000),
        (ValidatorHealth::Down, 990, 125_000),
    ];
    app.apply(Update::Validators(
        health
            .iter()
            .enumerate()
            .map(|(index, &(health, height, ago))| ValidatorRow {
                index,
                key: keys[index].clone(),
                last_height: Some(height),
                last_seen_ms: Some(NOW - ago),
                health,
            })
            .collect(),
    ));
    for height in HEAD - 199..=HEAD {
        app.apply(Update::Block(BlockRow {
            height,
            hash: hex64(height),
            tx_count: u32::try_from(height * 7 % 13).unwrap(),
            time_ms: NOW - 400 - (HEAD - height) as i64 * 1_000,
        }));
    }
    for i in 0..120_i64 {
        app.apply(Update::Sample(RateSample {
            at_ms: NOW - (119 - i) * 1_000,
            blocks_per_s: 0.8 + (i * 7 % 5) as f64 * 0.1,
            txs_per_s: 5.0 + (i * 13 % 17) as f64,
            finality_ms: 600.0 + (i * 37 % 400) as f64,
        }));
    }
    app.apply(Update::Stream(None));
    app
}

fn document() -> String {
    format!(
        r##"{{
  "@context": [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1"
  ],
  "id": "{DID}",
  "controller": "{DID}",
  "verificationMethod": [
    {{
      "id": "{DID}#key-1",
      "type": "Multikey",
      "controller": "{DID}",
      "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    }},
    {{
      "id": "{DID}#key-2",
      "type": "Multikey",
      "controller": "{DID}",
      "publicKeyMultibase": "z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"
    }}
  ],
  "authentication": [
    "{DID}#key-1"
  ],
  "assertionMethod": [
    "{DID}#key-1"
  ],
  "capabilityInvocation": [
    "{DID}#key-2"
  ],
  "service": []
}}"##
    )
}

fn resolved(value: Option<DidFacts>, height: u64) -> App {
    let mut app = chain_app();
    typ(&mut app, ":resolve ");
    typ(&mut app, DID);
    press(&mut app, KeyCode::Enter);
    app.apply(Update::Did(Lookup::Proven {
        query: DID.into(),
        answer: ProvenAt {
            value,
            height,
            block_time_ms: u64::try_from(NOW - 12_000).unwrap(),
        },
    }));
    app
}

fn did_facts() -> DidFacts {
    DidFacts {
        document: document(),
        version: 3,
        deactivated: false,
        created_height: 10,
        updated_height: 40,
        history: vec![
            version(3, 40, &["key-1", "key-2"], NOW - 180_000),
            version(2, 25, &["key-1", "key-2", "key-3"], NOW - 3_600_000),
            version(1, 10, &["key-1", "key-3"], NOW - 7_200_000),
        ],
    }
}

fn version(version: u64, height: u64, keys: &[&str], time_ms: i64) -> DidVersionRow {
    DidVersionRow {
        version,
        height,
        time_ms,
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        services: 0,
        deactivated: false,
        problem: None,
    }
}

fn issuers_app() -> App {
    let mut app = chain_app();
    press(&mut app, KeyCode::Char('3'));
    app.apply(Update::Register(Ok(ProvenAt {
        value: Some(3),
        height: 1040,
        block_time_ms: (NOW - 2_000) as u64,
    })));
    app.apply(Update::Issuer(Lookup::Proven {
        query: BANK.into(),
        answer: ProvenAt {
            value: Some(IssuerFacts {
                did: BANK.into(),
                name: "Example Bank".into(),
                accredited: true,
                credential_types: vec!["RealNameCredential".into(), "AgeOver18Credential".into()],
                approvers: Some((
                    2,
                    vec!["auditor-a".into(), "auditor-b".into(), "court-c".into()],
                )),
                openings: 12,
                disclosures: 10,
                revocations: 3,
                suspended: 1,
                status_lists: vec![AnchorRow {
                    name: "https://bank.example/status/1".into(),
                    sequence: 31,
                    height: 1040,
                    detail: "3 revoked, 1 suspended".into(),
                    problem: None,
                }],
                audit_anchors: vec![
                    AnchorRow {
                        name: "opening 12".into(),
                        sequence: 12,
                        height: 998,
                        detail: "2 approvals; disclosed at h 1001".into(),
                        problem: None,
                    },
                    AnchorRow {
                        name: "opening 11".into(),
                        sequence: 0,
                        height: 0,
                        detail: String::new(),
                        problem: Some("proven absent (a number burnt)".into()),
                    },
                ],
            }),
            height: 42,
            block_time_ms: u64::try_from(NOW - 5_000).unwrap(),
        },
    }));
    app.apply(Update::Issuer(Lookup::Failed {
        query: POST.into(),
        reason: "no quorum of validator signatures".into(),
    }));
    app.apply(Update::Issuer(Lookup::Proven {
        query: GOV.into(),
        answer: ProvenAt {
            value: Some(IssuerFacts {
                did: GOV.into(),
                name: "Civil Registry".into(),
                accredited: false,
                credential_types: vec!["ResidentCredential".into()],
                approvers: None,
                openings: 0,
                disclosures: 0,
                revocations: 41,
                suspended: 0,
                status_lists: Vec::new(),
                audit_anchors: Vec::new(),
            }),
            height: 42,
            block_time_ms: u64::try_from(NOW - 5_000).unwrap(),
        },
    }));
    app.apply(Update::Issuer(Lookup::Failed {
        query: "https://issuer.example:7443".into(),
        reason: "https://issuer.example:7443: no answer".into(),
    }));
    app
}

/// Draws `app` on a `width`×`height` test terminal.
fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| views::draw(frame, app)).unwrap();
    terminal
}

/// The screen as text: one line per row, trailing blanks removed.
fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let row: String = (area.left()..area.right())
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

fn render(app: &App, width: u16, height: u16) -> String {
    text(draw(app, width, height).backend().buffer())
}

/// Compares `screen` with the stored snapshot `name` (or stores it, with UPDATE_SNAPSHOTS=1).
fn snapshot(name: &str, screen: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, screen).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; UPDATE_SNAPSHOTS=1 writes it\n{screen}",
            path.display()
        )
    });
    if expected != screen {
        let mut diff = String::new();
        let (old, new): (Vec<_>, Vec<_>) = (expected.lines().collect(), screen.lines().collect());
        for i in 0..old.len().max(new.len()) {
            let (a, b) = (old.get(i).copied(), new.get(i).copied());
            if a != b {
                diff.push_str(&format!(
                    "row {i}\n  want |{}\n  got  |{}\n",
                    a.unwrap_or("<none>"),
                    b.unwrap_or("<none>")
                ));
            }
        }
        panic!(
            "{name} differs from {} (UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}\nwhole screen:\n{screen}",
            path.display()
        );
    }
}

fn assert_has(screen: &str, needles: &[&str]) {
    for needle in needles {
        assert!(screen.contains(needle), "missing {needle:?} in\n{screen}");
    }
}

#[test]
fn chain_80x24() {
    let screen = render(&chain_app(), 80, 24);
    snapshot("chain_80x24", &screen);
    assert_has(
        &screen,
        &[
            " 1 Chain ",
            // At 80 columns the chain id gives way to the four tabs; 160 shows it.
            "3/4 nodes up height 1042",
            "highest reported height",
            "blocks/s 1.10",
            "tx/s 5.00",
            "finality 603 ms",
            "telemetry, as each node reports it",
            "UP 12 ms",
            "DOWN since 34s",
            "1039 (-3)",
            "2h10m",
            "4d03h",
            "BEHIND",
            "blocks · live",
            "1041",
            "1 of 200",
        ],
    );
    // A handful of blocks fit under the nodes.
    let blocks = (HEAD - 20..=HEAD)
        .filter(|h| screen.contains(&hex64(*h)[..12]))
        .count();
    assert!(blocks >= 5, "{blocks} block rows\n{screen}");
}

#[test]
fn chain_160x48() {
    let screen = render(&chain_app(), 160, 48);
    snapshot("chain_160x48", &screen);
    assert_has(
        &screen,
        &[
            "realdid-devnet",
            "DOWN since 34s: connection refused",
            "as the nodes report them",
            "its block time 1s ago",
            "2 of 4 nodes at it",
            // Hashes are shown whole when there is room.
            &hex64(HEAD),
            // Keys are shown as far as they fit, and cut visibly.
            &format!("{}…", &hex64(100)[..39]),
        ],
    );
}

#[test]
fn chain_says_when_the_block_stream_is_down() {
    let mut app = chain_app();
    app.apply(Update::Stream(Some("stream reset by peer".into())));
    let screen = render(&app, 160, 48);
    assert_has(&screen, &["blocks · stream DOWN: stream reset by peer"]);
    let fresh = App::new("c".into(), endpoints(), Vec::new(), Vec::new());
    let screen = render(&fresh, 80, 24);
    assert_has(
        &screen,
        &[
            "stream DOWN: not connected yet",
            "CONNECTING",
            "no block yet",
        ],
    );
}

#[test]
fn chain_filter_narrows_the_blocks_and_says_so() {
    let mut app = chain_app();
    // A block matches on its height or its hash.
    let matching: Vec<u64> = (HEAD - 199..=HEAD)
        .rev()
        .filter(|h| h.to_string().contains("104") || hex64(*h).contains("104"))
        .collect();
    assert!(
        matching.len() >= 3,
        "the fixture gives the filter something to do"
    );
    typ(&mut app, "/104");
    let screen = render(&app, 80, 24);
    let position = |at: usize| format!("/104 · {at} of {} · 200 held", matching.len());
    assert_has(&screen, &["/104", "Enter keep", &position(1)]);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('j'));
    let screen = render(&app, 80, 24);
    assert_has(&screen, &[&position(2)]);
    for h in HEAD - 10..=HEAD {
        let shown = screen.contains(&hex64(h)[..12]);
        assert_eq!(shown, matching.contains(&h), "block {h}\n{screen}");
    }
}

#[test]
fn dids_proven_80x24() {
    let screen = render(&resolved(Some(did_facts()), 42), 80, 24);
    snapshot("dids_proven_80x24", &screen);
    assert_has(
        &screen,
        &[
            DID,
            "proven at height 42 against the genesis validators",
            "block time 2025-06-15 15:06:28 UTC (12s ago)",
            "version 3",
            "created at height 10",
            "updated at height 40",
            "active",
            "\"verificationMethod\": [",
            "lines 1–",
        ],
    );
}

#[test]
fn dids_proven_160x48() {
    let screen = render(&resolved(Some(did_facts()), 42), 160, 48);
    snapshot("dids_proven_160x48", &screen);
    assert_has(
        &screen,
        &[
            "proven at height 42 against the genesis validators",
            "z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
            "\"service\": []",
            "lines 1–32 of 32",
            "versions (3) · each proven where applied",
            "v3  h 40",
            "-key-3",
            "v2  h 25",
            "+key-2",
            "created: key-1 key-3",
        ],
    );
}

#[test]
fn dids_document_scrolls_and_filters() {
    let mut app = resolved(Some(did_facts()), 42);
    render(&app, 80, 24);
    press(&mut app, KeyCode::Char('G'));
    let screen = render(&app, 80, 24);
    assert_has(&screen, &["\"service\": []", "lines 22–32 of 32"]);
    assert!(!screen.contains("@context"), "{screen}");
    typ(&mut app, "/multibase");
    let screen = render(&app, 80, 24);
    assert_has(&screen, &["/multibase · lines 1–2 of 2"]);
    // Long lines wrap rather than lose their end.
    let flat: String = screen
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect();
    assert!(
        flat.contains("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
        "{screen}"
    );
}

#[test]
fn dids_deactivated_says_so_in_words() {
    let facts = DidFacts {
        deactivated: true,
        ..did_facts()
    };
    let screen = render(&resolved(Some(facts), 42), 80, 24);
    assert_has(&screen, &["DEACTIVATED"]);
}

#[test]
fn dids_absent_80x24() {
    let screen = render(&resolved(None, 43), 80, 24);
    snapshot("dids_absent_80x24", &screen);
    assert_has(
        &screen,
        &[
            "absent — proven at height 43 against the genesis validators",
            "No DID document exists for",
        ],
    );
}

#[test]
fn dids_failed_80x24() {
    let mut app = chain_app();
    typ(&mut app, ":resolve ");
    typ(&mut app, DID);
    press(&mut app, KeyCode::Enter);
    app.apply(Update::Did(Lookup::Failed {
        query: DID.into(),
        reason: "the proof does not verify against the genesis validators".into(),
    }));
    let screen = render(&app, 80, 24);
    snapshot("dids_failed_80x24", &screen);
    assert_has(
        &screen,
        &[
            "FAILED",
            "reason: the proof does not verify against the genesis validators",
            "nothing is shown without a proof",
        ],
    );
    assert!(!screen.contains("proven at height"), "{screen}");
}

#[test]
fn dids_pending_and_typing() {
    let mut app = chain_app();
    press(&mut app, KeyCode::Char('2'));
    let screen = render(&app, 80, 24);
    assert_has(&screen, &["Enter or r: type a DID to resolve", "r resolve"]);
    press(&mut app, KeyCode::Char('r'));
    typ(&mut app, "did:realdid:abc");
    let mut terminal = draw(&app, 80, 24);
    let screen = text(terminal.backend().buffer());
    assert_has(&screen, &["typing", "did:realdid:abc", "Enter resolve"]);
    let cursor = terminal.get_cursor_position().unwrap();
    assert_eq!(
        (cursor.x, cursor.y),
        (2 + 15, 2),
        "the cursor follows the typing"
    );
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert_has(&screen, &["resolving did:realdid:abc …"]);
}

#[test]
fn issuers_80x24() {
    let screen = render(&issuers_app(), 80, 24);
    snapshot("issuers_80x24", &screen);
    assert_has(
        &screen,
        &[
            " 3 Issuers ",
            "issuers (4)",
            "register: 3 proven at h 1040",
            "Example Bank",
            "accredited",
            "FAILED",
            "REMOVED",
            "RealNameCredential, AgeOver18Credential",
            "2 of 3: auditor-a, auditor-b, court-c",
            "trace openings",
            "disclosed to holders",
            "credentials revoked",
            "suspended now",
            "proven at height 42 against the genesis validators",
        ],
    );
}

#[test]
fn issuers_160x48() {
    let mut app = issuers_app();
    press(&mut app, KeyCode::Char('j'));
    let screen = render(&app, 160, 48);
    snapshot("issuers_160x48", &screen);
    assert_has(
        &screen,
        &[
            POST,
            "FAILED no proven answer for",
            "reason: no quorum of validator signatures",
            "https://issuer.example:7443",
        ],
    );
    assert!(!screen.contains("proven at height"), "{screen}");
}

#[test]
fn help_80x24() {
    let mut app = chain_app();
    press(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 24);
    snapshot("help_80x24", &screen);
    for binding in BINDINGS {
        assert_has(&screen, &[binding.label, binding.what]);
    }
    for command in COMMANDS {
        assert_has(&screen, &[&format!(":{}", command.names[0]), command.what]);
    }
}

#[test]
fn help_160x48() {
    let mut app = issuers_app();
    press(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 160, 48);
    snapshot("help_160x48", &screen);
    assert_has(&screen, &["? or Esc closes", "Example Bank"]);
}

#[test]
fn command_errors_and_confirmations_show_on_the_status_line() {
    let mut app = chain_app();
    typ(&mut app, ":frobnicate");
    assert_has(&render(&app, 80, 24), &[":frobnicate", "Enter run"]);
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert_has(&screen, &["unknown command :frobnicate"]);
    app.ask("revoke credential 7?", Vec::new());
    assert_has(&render(&app, 80, 24), &["revoke credential 7?  y confirms"]);
}

/// Every screen, in the states the tests draw.
fn every_screen() -> Vec<App> {
    let mut apps = vec![
        chain_app(),
        resolved(Some(did_facts()), 42),
        resolved(None, 43),
        issuers_app(),
        App::new("empty".into(), Vec::new(), Vec::new(), Vec::new()),
    ];
    let mut with_help = issuers_app();
    press(&mut with_help, KeyCode::Char('?'));
    apps.push(with_help);
    let mut typing = chain_app();
    typ(&mut typing, "/10");
    apps.push(typing);
    apps.push(verifiers_app());
    apps.push(proposals_app());
    apps.push(issuer_own_app());
    let mut seen = revocations_app().with_verifiers(verifier_endpoints());
    read_verifiers(&mut seen);
    apps.push(seen);
    for tab in ['2', '3', '6'] {
        let mut empty = App::new("empty".into(), Vec::new(), Vec::new(), Vec::new());
        press(&mut empty, KeyCode::Char(tab));
        apps.push(empty);
    }
    apps
}

#[test]
fn colours_survive_a_light_theme() {
    for app in every_screen() {
        for (width, height) in [(80, 24), (160, 48)] {
            let terminal = draw(&app, width, height);
            let buffer = terminal.backend().buffer();
            for cell in &buffer.content {
                assert_eq!(cell.bg, Color::Reset, "a background colour at {cell:?}");
                for colour in [cell.fg, cell.bg] {
                    assert!(
                        !matches!(
                            colour,
                            Color::White | Color::Black | Color::Gray | Color::DarkGray
                        ) && !matches!(
                            colour,
                            Color::LightYellow | Color::LightGreen | Color::LightCyan
                        ),
                        "{colour:?} at {cell:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_current_tab_and_the_selected_row_are_reversed() {
    let mut app = chain_app();
    let terminal = draw(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer[(1, 0)].modifier.contains(Modifier::REVERSED),
        "tab 1"
    );
    assert!(
        !buffer[(10, 0)].modifier.contains(Modifier::REVERSED),
        "tab 2"
    );
    let head = text(buffer)
        .lines()
        .position(|l| l.contains(&hex64(HEAD)[..12]))
        .unwrap();
    let reversed_row = |buffer: &Buffer, y: usize| {
        (0..buffer.area.width).any(|x| buffer[(x, y as u16)].modifier.contains(Modifier::REVERSED))
    };
    assert!(
        reversed_row(buffer, head),
        "the newest block starts selected"
    );
    press(&mut app, KeyCode::Char('j'));
    let terminal = draw(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert!(!reversed_row(buffer, head));
    assert!(reversed_row(buffer, head + 1));
}

#[test]
fn tiny_terminals_do_not_panic() {
    for app in every_screen() {
        for (width, height) in [(1, 1), (10, 3), (20, 5), (40, 10), (200, 2), (3, 60)] {
            draw(&app, width, height);
        }
    }
}

/// An operator's console after three changes: one anchored, one refused, one waiting.
fn revocations_app() -> App {
    let mut app = chain_app().with_operator("https://issuer.example:50052");
    app.tick(NOW);
    let mut change = |command: &str| -> u64 {
        press(&mut app, KeyCode::Char(':'));
        typ(&mut app, command);
        press(&mut app, KeyCode::Enter);
        let requests = app.handle_key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE));
        match requests.as_slice() {
            [Request::ChangeStatus { id, .. }] => *id,
            other => panic!("{command}: {other:?}"),
        }
    };
    let revoked = change("revoke cred-7Hq2 fraud forged documents");
    let refused = change("suspend cred-9Xk4 case 12");
    change("reinstate cred-3Ab1 case 9 closed");
    app.apply(Update::StatusChanged {
        id: revoked,
        outcome: ChangeOutcome::Done {
            issuer_did: BANK.into(),
            credential_ids: vec!["cred-7Hq2".into()],
            anchor_heights: vec![1040],
        },
    });
    app.apply(Update::StatusChanged {
        id: refused,
        outcome: ChangeOutcome::Failed("no credential cred-9Xk4".into()),
    });
    app
}

#[test]
fn revocations_80x24() {
    let app = revocations_app();
    let screen = render(&app, 80, 24);
    snapshot("revocations_80x24", &screen);
    assert_has(
        &screen,
        &[
            "operator session at https://issuer.example:50052",
            "revoke (fraud)",
            "done: anchored at height 1040",
            "REFUSED: no credential cred-9Xk4",
            "waiting for the issuer",
        ],
    );
}

#[test]
fn revocations_without_a_session_say_how_to_get_one() {
    let mut app = chain_app();
    app.tick(NOW);
    press(&mut app, KeyCode::Char(':'));
    typ(&mut app, "revoke cred-7Hq2 fraud");
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert_has(&screen, &["no operator session", "--session-file"]);
    assert!(app.changes().is_empty());
}

fn trace(id: &str, state: &str, approvals: &[&str], opened: Option<(i64, u64)>) -> TraceRow {
    TraceRow {
        id: id.into(),
        subject_did: DID.into(),
        legal_basis: "Criminal Procedure Law art. 142; warrant 2026-77".into(),
        case_reference: format!("CASE-{id}"),
        requested_by: "officer-li".into(),
        state: state.into(),
        approvals: approvals.iter().map(|a| (*a).to_owned()).collect(),
        required: 2,
        created_at_ms: NOW - 3_600_000,
        expires_at_ms: NOW + 6 * 86_400_000,
        opened_at_ms: opened.map(|(at, _)| at),
        anchor_height: opened.map(|(_, h)| h),
    }
}

#[test]
fn tracing_80x24() {
    let mut app = chain_app().with_operator("https://issuer.example:50052");
    app.tick(NOW);
    app.apply(Update::Traces(Ok(vec![
        trace("t-0003", "PENDING", &["court-c"], None),
        trace("t-0002", "APPROVED", &["auditor-a", "court-c"], None),
        trace(
            "t-0001",
            "OPENED",
            &["auditor-a", "auditor-b"],
            Some((NOW - 120_000, 998)),
        ),
    ])));
    press(&mut app, KeyCode::Char('5'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    let screen = render(&app, 80, 24);
    snapshot("tracing_80x24", &screen);
    assert_has(
        &screen,
        &[
            "lawful traces (3)",
            "PENDING",
            "1 of 2",
            "expires in 6d",
            "OPENED",
            "opened 2m00s ago, h 998",
            "2 of 2: auditor-a, auditor-b",
            "audit anchor at height 998",
            "The identity is never shown here",
        ],
    );
}

#[test]
fn tracing_without_a_session_or_a_listing_says_why() {
    let mut app = chain_app();
    app.tick(NOW);
    press(&mut app, KeyCode::Char('5'));
    assert_has(&render(&app, 80, 24), &["no operator session"]);
    let mut app = chain_app().with_operator("https://issuer");
    app.apply(Update::Traces(Err(
        "permission denied: role auditor needed".into(),
    )));
    press(&mut app, KeyCode::Char('5'));
    assert_has(
        &render(&app, 80, 24),
        &["FAILED", "permission denied: role auditor needed"],
    );
}

#[test]
fn an_opened_block_lists_its_transactions_by_kind() {
    let mut app = chain_app();
    app.tick(NOW);
    press(&mut app, KeyCode::Enter);
    app.apply(Update::BlockOpened(Lookup::Proven {
        query: HEAD.to_string(),
        answer: ProvenAt {
            value: Some(BlockFacts {
                height: HEAD,
                certified: true,
                time_ms: NOW - 2_000,
                transactions: vec![
                    ("DID create", hex64(1)),
                    ("DID create", hex64(2)),
                    ("status anchor", hex64(3)),
                ],
                looked_for: None,
                dids: vec![Some(DID.into()), None, Some(BANK.into())],
            }),
            height: HEAD,
            block_time_ms: (NOW - 2_000) as u64,
        },
    }));
    let screen = render(&app, 80, 24);
    snapshot("block_80x24", &screen);
    assert_has(
        &screen,
        &[
            &format!(" block {HEAD} "),
            "final: its certificate checks against the genesis validators",
            "3 transactions: 2 DID create, 1 status anchor",
            &DID[..40],
        ],
    );
    // j picks the next transaction, whose DID then shows; Enter resolves it in the DIDs
    // view.
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    assert_has(&render(&app, 80, 24), &[&BANK[..40]]);
    let asked = app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(asked, vec![Request::ResolveDid(BANK.into())]);
    assert!(app.block().is_none());
    assert!(render(&app, 80, 24).contains(" 2 DIDs "));
}

fn verifier_endpoints() -> Vec<String> {
    vec![
        "https://verifier-a.example:50090".into(),
        "https://verifier-b.example:50090".into(),
        "https://verifier-c.example:50090".into(),
    ]
}

/// Figures a verifier reports at `at_ms`, having decided `verified` and `revoked`
/// presentations, with a list of the bank proven at `list_height`.
fn figures(at_ms: i64, verified: u64, revoked: u64, list_height: u64) -> VerifierFigures {
    let bounds: Vec<u64> = vec![100, 200, 500, 1_000, 2_000, 5_000, 20_000];
    // Most verdicts within 500 µs, one in fifty up to 5 ms.
    let total = verified + revoked;
    let slow = total / 50;
    let counts = vec![0, total / 2, total - total / 2 - slow, 0, 0, slow, 0, 0];
    VerifierFigures {
        at_ms,
        started_at_ms: NOW - 7_200_000,
        version: "0.1.0".into(),
        verdicts: vec![("VERIFIED".into(), verified), ("REVOKED".into(), revoked)],
        latency_bounds_us: bounds,
        latency_counts: counts,
        in_flight: 3,
        store: DependencyRow {
            up: true,
            checked_at_ms: at_ms - 500,
            since_ms: NOW - 7_200_000,
            error: String::new(),
            latency_us: 210,
        },
        registry: DependencyRow {
            up: true,
            checked_at_ms: at_ms - 800,
            since_ms: NOW - 7_200_000,
            error: String::new(),
            latency_us: 2_900,
        },
        registry_height: HEAD,
        lists: vec![HeldListRow {
            issuer_did: BANK.into(),
            uri: "https://bank.example/status/1".into(),
            proven_height: list_height,
            revoked: 4,
            suspended: 1,
            expires_at_ms: at_ms + 45_000,
        }],
    }
}

/// Verifier A read twice (rates between), B down, C up with a list older than height 1040.
fn read_verifiers(app: &mut App) {
    app.apply(Update::VerifierRead {
        index: 0,
        figures: figures(NOW - 1_000, 10_000, 20, 1041),
        latency_ms: 2,
    });
    app.apply(Update::VerifierRead {
        index: 0,
        figures: figures(NOW, 10_800, 21, 1041),
        latency_ms: 2,
    });
    app.apply(Update::VerifierDown {
        index: 1,
        reason: "no answer in 1500 ms".into(),
    });
    app.apply(Update::VerifierRead {
        index: 2,
        figures: figures(NOW, 500, 0, 1030),
        latency_ms: 4,
    });
}

fn verifiers_app() -> App {
    let mut app = chain_app().with_verifiers(verifier_endpoints());
    read_verifiers(&mut app);
    press(&mut app, KeyCode::Char('6'));
    app
}

#[test]
fn verifiers_80x24() {
    let app = verifiers_app();
    let screen = render(&app, 80, 24);
    snapshot("verifiers_80x24", &screen);
    assert_has(
        &screen,
        &[
            "own report",
            "UP",
            "DOWN",
            "801",
            "500µs",
            "5.0ms",
            "verified",
            "revoked",
        ],
    );
}

#[test]
fn verifiers_160x48() {
    let mut app = verifiers_app();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    let screen = render(&app, 160, 48);
    snapshot("verifiers_160x48", &screen);
    assert_has(
        &screen,
        &[
            "https://verifier-c.example:50090",
            "https://bank.example/status/1",
            "1030",
            "4/1",
            "45s",
        ],
    );
}

#[test]
fn verifiers_without_endpoints_say_how_to_add_them() {
    let mut app = chain_app();
    press(&mut app, KeyCode::Char('6'));
    assert_has(
        &render(&app, 80, 24),
        &["no verifier to watch", "--verifier-endpoint"],
    );
}

#[test]
fn a_revocation_says_which_verifiers_see_it() {
    let mut app = revocations_app().with_verifiers(verifier_endpoints());
    read_verifiers(&mut app);
    press(&mut app, KeyCode::Char('4'));
    let screen = render(&app, 160, 48);
    snapshot("revocations_with_verifiers_160x48", &screen);
    assert_has(
        &screen,
        &["verifiers: #1 sees it · #2 unknown (down) · #3 within 45s"],
    );
}

/// The issuers view with the governors' proposal files: one ready, one waiting, one broken.
fn proposals_app() -> App {
    let mut app = issuers_app().with_proposals();
    app.apply(Update::Proposals(Ok(vec![
        ProposalRow {
            file: "accredit-post.json".into(),
            description: format!(
                "on chain realdid-devnet, decision 77: accredit {POST} as \"Post\" for \
                 https://realdid.example/credentials/identity; approved by 2 so far"
            ),
            approvals: 2,
            needed: 2,
            problem: None,
        },
        ProposalRow {
            file: "remove-gov.json".into(),
            description: format!(
                "on chain realdid-devnet, decision 78: remove {GOV} (licence withdrawn); \
                 approved by 1 so far"
            ),
            approvals: 1,
            needed: 2,
            problem: None,
        },
        ProposalRow {
            file: "draft.json".into(),
            description: String::new(),
            approvals: 0,
            needed: 2,
            problem: Some("configuration proposal: EOF while parsing".into()),
        },
    ])));
    app
}

#[test]
fn issuers_with_proposals_160x48() {
    let app = proposals_app();
    let screen = render(&app, 160, 48);
    snapshot("issuers_proposals_160x48", &screen);
    assert_has(
        &screen,
        &[
            "governance proposals",
            "accredit-post.json",
            "2 of 2",
            "1 of 2",
            "UNUSABLE: configuration proposal",
        ],
    );
}

#[test]
fn issuers_with_proposals_80x24() {
    let app = proposals_app();
    let screen = render(&app, 80, 24);
    snapshot("issuers_proposals_80x24", &screen);
    assert_has(&screen, &["accredit-post.json", "2 of 2"]);
}

#[test]
fn a_question_too_long_for_the_status_line_is_shown_whole() {
    let mut app = proposals_app();
    typ(&mut app, ":sign accredit-post.json ~/gov-1.jwk");
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    snapshot("confirm_80x24", &screen);
    // The whole decision is on screen (wrapped), with how to answer.
    let flat: String = screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    assert_has(
        &flat,
        &[POST, "\"Post\"", "approved by 2 so far", "y confirms"],
    );
}

/// An operator's console with the issuer's own figures and its audit log.
fn issuer_own_app() -> App {
    let mut app = revocations_app();
    app.apply(Update::IssuerOwn {
        figures: Ok(IssuerFigures {
            enrolments: vec![("ISSUED".into(), 1200), ("IDENTITY_MISMATCH".into(), 7)],
            issued: 2400,
            revoked: 3,
            suspended: 1,
            unpublished_lists: 0,
            last_anchor: Some((1040, NOW - 4_000)),
            traces: [1, 0, 2, 0],
        }),
        log: Ok(vec![
            LogRow {
                at_ms: NOW - 60_000,
                actor: "officer-li".into(),
                action: "revoke".into(),
                detail:
                    "Credential(\"cred-7Hq2\") reason=REVOCATION_REASON_FRAUD note=forged documents"
                        .into(),
            },
            LogRow {
                at_ms: NOW - 3_600_000,
                actor: "officer-li".into(),
                action: "trace.create".into(),
                detail: "trace=t-0003".into(),
            },
        ]),
    });
    app
}

#[test]
fn revocations_with_the_issuers_figures_and_log_160x48() {
    let screen = render(&issuer_own_app(), 160, 48);
    snapshot("revocations_log_160x48", &screen);
    assert_has(
        &screen,
        &[
            "issuer says: 2400 issued, 3 revoked, 1 suspended · enrolments 1200 ok 7 refused",
            "all anchored · last anchor h 1040 (4s ago)",
            "operators' audit log",
            "reason=REVOCATION_REASON_FRAUD",
            "trace.create",
        ],
    );
}

#[test]
fn an_issuers_anchors_are_listed_each_proven_160x48() {
    let screen = render(&issuers_app(), 160, 48);
    snapshot("issuers_anchors_160x48", &screen);
    assert_has(
        &screen,
        &[
            "status lists, latest anchors (each proven)",
            "https://bank.example/status/1  seq 31 h 1040  3 revoked, 1 suspended",
            "openings, newest first (each audit anchor proven)",
            "opening 12  seq 12 h 998  2 approvals; disclosed at h 1001",
            "opening 11  proven absent (a number burnt)",
        ],
    );
}

#[test]
fn a_credential_looked_up_shows_its_standing_without_its_holder() {
    let mut app = issuer_own_app();
    typ(&mut app, ":credential cred-7Hq2");
    let requests = app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(requests, vec![Request::FindCredential("cred-7Hq2".into())]);
    app.apply(Update::Credential(Ok(CredentialRow {
        id: "cred-7Hq2".into(),
        status: "REVOKED".into(),
        detail: "REVOCATION_REASON_FRAUD".into(),
        since_ms: NOW - 60_000,
        list: "https://bank.example/status/1".into(),
        index: 4711,
        expires_day_ms: 1_781_481_600_000,
    })));
    let screen = render(&app, 160, 48);
    snapshot("revocations_credential_160x48", &screen);
    assert_has(
        &screen,
        &[
            "cred-7Hq2 REVOKED REVOCATION_REASON_FRAUD 1m00s ago · https://bank.example/status/1 #4711",
        ],
    );
    // On 80 columns the figures wrap: the head grows rather than hide the answer.
    let narrow = render(&app, 80, 24);
    assert_has(&narrow, &["cred-7Hq2 REVOKED", "issuer says:"]);
}
