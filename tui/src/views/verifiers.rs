//! The verifiers view: each verifier's load, latency, checks in flight and dependencies,
//! one row each; under it, the selected verifier's verdicts by reason and the status lists
//! it holds. Everything here is the verifier's own report, and the view says so.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::{bad, bold, dim, fmt, good, panel, selected, warn};
use crate::app::{App, Tab};
use crate::model::{DependencyRow, Link, VerifierFigures, VerifierStatus};

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    if app.verifiers().is_empty() {
        let lines = vec![
            Line::styled("no verifier to watch", warn()),
            Line::from(
                "start with --verifier-endpoint URL and --verifier-token-file FILE (an operator's \
                 token: realdid verifier add-operator), or --devnet",
            ),
        ];
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(panel(" verifiers ")),
            area,
        );
        return;
    }
    let rows = u16::try_from(app.visible_verifiers().len()).unwrap_or(u16::MAX);
    let [list, detail] = Layout::vertical([
        Constraint::Length(rows.saturating_add(3).min(area.height / 2)),
        Constraint::Fill(1),
    ])
    .areas(area);
    table(frame, list, app);
    if let Some(verifier) = app.selected_verifier() {
        details(frame, detail, verifier, app.now_ms());
    }
}

/// A latency in µs for a glance: `850µs`, `3.2ms`, `>5s`.
fn latency(us: Option<u64>) -> String {
    match us {
        None => "—".into(),
        Some(u64::MAX) => ">5s".into(),
        Some(us) if us < 1_000 => format!("{us}µs"),
        Some(us) if us < 10_000 => format!("{:.1}ms", us as f64 / 1000.0),
        Some(us) if us < 1_000_000 => format!("{}ms", us / 1000),
        Some(us) => format!("{:.1}s", us as f64 / 1_000_000.0),
    }
}

fn dependency(d: &DependencyRow, now_ms: i64) -> Span<'static> {
    if d.checked_at_ms == 0 {
        Span::styled("—", dim())
    } else if d.up {
        Span::styled("UP", good())
    } else {
        Span::styled(format!("DOWN {}", fmt::age(now_ms, d.since_ms)), bad())
    }
}

/// The columns after the endpoint, and the spacing between all of them.
const COLUMNS: [u16; 7] = [9, 7, 7, 7, 5, 9, 9];
/// The number column's width: the revocations view names verifiers by these numbers.
const NUMBER: u16 = 3;

fn table(frame: &mut Frame, area: Rect, app: &App) {
    let now = app.now_ms();
    let fixed: u16 = NUMBER + 1 + COLUMNS.iter().sum::<u16>() + COLUMNS.len() as u16;
    let endpoint_w = usize::from(area.width.saturating_sub(2).saturating_sub(fixed)).max(8);
    let rows: Vec<Row> = app
        .visible_verifiers()
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            // Numbered as configured, whatever the filter hides.
            let number = app
                .verifiers()
                .iter()
                .position(|w| std::ptr::eq(w, v))
                .unwrap_or(i);
            (number + 1, v)
        })
        .map(|(number, v)| {
            let link = match &v.link {
                Link::Connecting => Span::styled("CONNECTING", warn()),
                Link::Up { .. } => Span::styled("UP", good()),
                Link::Down { since_ms, .. } => {
                    Span::styled(format!("DOWN {}", fmt::age(now, *since_ms)), bad())
                }
            };
            let figures = v.now.as_ref().filter(|_| matches!(v.link, Link::Up { .. }));
            let cells = match figures {
                Some(f) => vec![
                    Cell::from(v.rate().map_or_else(|| "—".into(), fmt::rate)),
                    Cell::from(latency(v.latency_us(0.5))),
                    Cell::from(latency(v.latency_us(0.99))),
                    Cell::from(f.in_flight.to_string()),
                    Cell::from(dependency(&f.store, now)),
                    Cell::from(dependency(&f.registry, now)),
                ],
                None => vec![Cell::from("—"); 6],
            };
            // The scheme says nothing a column this narrow has room for.
            let shown = v
                .endpoint
                .split_once("://")
                .map_or(v.endpoint.as_str(), |(_, rest)| rest);
            let mut row = vec![
                Cell::from(format!("#{number}")),
                Cell::from(fmt::clip(shown, endpoint_w)),
                Cell::from(link),
            ];
            row.extend(cells);
            Row::new(row)
        })
        .collect();
    let empty = rows.is_empty();
    let widths = [Constraint::Length(NUMBER), Constraint::Fill(1)]
        .into_iter()
        .chain(COLUMNS.iter().map(|w| Constraint::Length(*w)));
    let table = Table::new(rows, widths)
        .header(
            Row::new(vec![
                "#", "verifier", "link", "/s", "p50", "p99", "busy", "store", "registry",
            ])
            .style(bold()),
        )
        .row_highlight_style(selected())
        .block(Block::bordered().title(" verifiers (each one's own report) "));
    let mut state = TableState::new()
        .with_offset(app.list_offset(Tab::Verifiers).get())
        .with_selected((!empty).then_some(app.selected(Tab::Verifiers)));
    frame.render_stateful_widget(table, area, &mut state);
    app.list_offset(Tab::Verifiers).set(state.offset());
    app.list_page(Tab::Verifiers)
        .set(usize::from(area.height.saturating_sub(3)).max(1));
}

fn details(frame: &mut Frame, area: Rect, v: &VerifierStatus, now_ms: i64) {
    let Some(f) = &v.now else {
        let why = match &v.link {
            Link::Down { reason, .. } => format!("no figures: {reason}"),
            _ => "no figures yet".into(),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(why, dim())).block(panel(format!(" {} ", v.endpoint))),
            area,
        );
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    verdicts(frame, left, v, f, now_ms);
    lists(frame, right, f);
}

fn verdicts(frame: &mut Frame, area: Rect, v: &VerifierStatus, f: &VerifierFigures, now: i64) {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("up ", bold()),
            Span::raw(format!(
                "{} · v{}",
                fmt::age(f.at_ms, f.started_at_ms),
                f.version
            )),
        ]),
        Line::from(vec![
            Span::styled("decided ", bold()),
            Span::raw(f.decided().to_string()),
        ]),
    ];
    for (name, d) in [("store", &f.store), ("registry", &f.registry)] {
        let mut spans = vec![Span::styled(format!("{name} "), bold()), dependency(d, now)];
        if name == "registry" && f.registry_height > 0 {
            spans.push(Span::raw(format!(" h {}", f.registry_height)));
        }
        if !d.error.is_empty() && !d.up {
            spans.push(Span::raw(format!(" {}", d.error)));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled("verdicts since start", bold()));
    if f.verdicts.is_empty() {
        lines.push(Line::styled("none yet", dim()));
    }
    for (name, count) in &f.verdicts {
        let style = if name == "VERIFIED" {
            good()
        } else {
            Default::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{count:>8} "), bold()),
            Span::styled(name.to_lowercase().replace('_', " "), style),
        ]));
    }
    let title = format!(
        " {} ",
        fmt::clip(&v.endpoint, usize::from(area.width.saturating_sub(4)))
    );
    frame.render_widget(Paragraph::new(lines).block(panel(title)), area);
}

fn lists(frame: &mut Frame, area: Rect, f: &VerifierFigures) {
    let uri_w = usize::from(area.width.saturating_sub(2 + 7 * 3 + 3));
    let rows: Vec<Row> = f
        .lists
        .iter()
        .map(|l| {
            Row::new(vec![
                Cell::from(fmt::clip(&l.uri, uri_w)),
                Cell::from(l.proven_height.to_string()),
                Cell::from(format!("{}/{}", l.revoked, l.suspended)),
                Cell::from(fmt::duration(l.expires_at_ms.saturating_sub(f.at_ms))),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
        ],
    )
    .header(Row::new(vec!["status list held", "proven", "rev/sus", "for"]).style(bold()))
    .block(Block::bordered().title(format!(" status lists ({}) ", f.lists.len())));
    frame.render_widget(table, area);
}
