//! The tracing view: the issuer's lawful-trace requests as its operator sees them, with the
//! approvals so far against k, when each expires, and each opening's anchor. It never shows
//! an identity: the requesting officer opens a record on their own machine with k released
//! shares (`realdid issuer trace open`), an action the issuer and the chain both record.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{bad, bold, dim, fmt, good, panel, selected, warn};
use crate::app::{App, Tab};
use crate::model::TraceRow;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let traces = match app.traces() {
        None => {
            let text = match app.operator() {
                Some(_) => Line::styled("reading the trace requests…", dim()),
                None => Line::from(vec![
                    Span::styled("no operator session ", warn()),
                    Span::raw(
                        "(start with --session-file of an operator with the auditor or trace requester role)",
                    ),
                ]),
            };
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(panel(" lawful traces ")),
                area,
            );
            return;
        }
        Some(Err(reason)) => {
            let lines = vec![
                Line::from(vec![
                    Span::styled("FAILED ", bad()),
                    Span::raw("the issuer did not list its trace requests"),
                ]),
                Line::from(vec![
                    Span::styled("reason: ", bold()),
                    Span::raw(reason.clone()),
                ]),
            ];
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(panel(" lawful traces ")),
                area,
            );
            return;
        }
        Some(Ok(_)) => app.visible_traces(),
    };
    let [list, detail_area] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(area);
    let rows: Vec<Row> = traces
        .iter()
        .map(|t| {
            Row::new(vec![
                Cell::from(fmt::clip(&t.id, 12)),
                Cell::from(state(t)),
                Cell::from(format!("{} of {}", t.approvals.len(), t.required)),
                Cell::from(when(t, app.now_ms())),
                Cell::from(t.case_reference.clone()),
            ])
        })
        .collect();
    let at = app.selected(Tab::Tracing);
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(24),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new(vec![
            "trace",
            "state",
            "approvals",
            "expires / opened",
            "case",
        ])
        .style(bold()),
    )
    .row_highlight_style(selected())
    .block(Block::bordered().title(format!(" lawful traces ({}) ", traces.len())));
    let mut state_ = TableState::new()
        .with_offset(app.list_offset(Tab::Tracing).get())
        .with_selected((!traces.is_empty()).then_some(at));
    frame.render_stateful_widget(table, list, &mut state_);
    app.list_offset(Tab::Tracing).set(state_.offset());
    app.list_page(Tab::Tracing)
        .set(usize::from(list.height.saturating_sub(3)).max(1));
    let lines = match traces.get(at) {
        Some(t) => detail(t, app.now_ms()),
        None => vec![Line::styled("no trace request", dim())],
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(" request ")),
        detail_area,
    );
}

fn state(t: &TraceRow) -> Span<'static> {
    match t.state.as_str() {
        "OPENED" => Span::styled("OPENED", bad()),
        "APPROVED" => Span::styled("APPROVED", warn()),
        "PENDING" => Span::styled("PENDING", bold()),
        other => Span::styled(other.to_owned(), dim()),
    }
}

fn when(t: &TraceRow, now_ms: i64) -> String {
    match (t.opened_at_ms, t.anchor_height) {
        (Some(at), Some(height)) => format!("opened {} ago, h {height}", fmt::age(now_ms, at)),
        (Some(at), None) => format!("opened {} ago", fmt::age(now_ms, at)),
        _ if t.expires_at_ms <= now_ms => "expired".to_owned(),
        _ => format!("expires in {}", fmt::duration(t.expires_at_ms - now_ms)),
    }
}

fn detail(t: &TraceRow, now_ms: i64) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled("trace      ", bold()),
            Span::raw(t.id.clone()),
        ]),
        Line::from(vec![
            Span::styled("subject    ", bold()),
            Span::raw(t.subject_did.clone()),
        ]),
        Line::from(vec![
            Span::styled("basis      ", bold()),
            Span::raw(t.legal_basis.clone()),
        ]),
        Line::from(vec![
            Span::styled("requested  ", bold()),
            Span::raw(format!(
                "by {} {} ago",
                t.requested_by,
                fmt::age(now_ms, t.created_at_ms)
            )),
        ]),
    ];
    let approvals = if t.approvals.is_empty() {
        "none yet".to_owned()
    } else {
        t.approvals.join(", ")
    };
    lines.push(Line::from(vec![
        Span::styled("approvals  ", bold()),
        Span::raw(format!(
            "{} of {}: {approvals}",
            t.approvals.len(),
            t.required
        )),
    ]));
    if let Some(height) = t.anchor_height {
        lines.push(Line::from(vec![
            Span::styled("anchor     ", bold()),
            Span::styled(
                format!("audit anchor at height {height} (as the issuer records it)"),
                good(),
            ),
        ]));
    }
    lines.push(Line::styled(
        "The identity is never shown here: the officer opens it with k released shares.",
        dim(),
    ));
    lines
}
