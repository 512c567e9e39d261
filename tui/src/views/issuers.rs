//! The issuers view: the known issuers on the left, and for the selected one its register
//! entry and the public transparency counts, each read proven from the chain.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{
    bad, bold, count_u16, dim, fmt, good, panel, proven_block_time, selected, unproven, verdict,
    warn,
};
use crate::app::{App, Tab};
use crate::model::{IssuerFacts, Lookup, ProvenAt};

/// Columns the details need for a label and a whole DID on one line.
const DETAIL_WIDTH: u16 = 70;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    // The governors' proposal files, when the console watches them, under the register.
    let area = match app.proposals() {
        Some(listed) => {
            let rows = listed.as_ref().map_or(1, |rows| rows.len().max(1));
            let height = count_u16(rows + 3).min(area.height / 3).max(4);
            let [register, files] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(height)]).areas(area);
            proposals(frame, files, listed);
            register
        }
        None => area,
    };
    // Side by side when the details still fit a whole DID on a line; else the list on top,
    // as tall as it needs up to a third of the view, and the details under it at full width.
    let longest = app
        .issuers()
        .iter()
        .map(|(query, lookup)| name(query, lookup).chars().count())
        .max()
        .unwrap_or(0);
    let list_width = count_u16(longest + "accredited".len() + 3).clamp(30, 66);
    let [list_area, detail_area] = if area.width >= list_width + DETAIL_WIDTH {
        Layout::horizontal([Constraint::Length(list_width), Constraint::Fill(1)]).areas(area)
    } else {
        let rows = count_u16(app.issuers().len().max(1) + 2).min((area.height / 3).max(3));
        Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(area)
    };
    list(frame, list_area, app);
    detail(frame, detail_area, app);
}

/// The proposal files: each one's approvals against the threshold and what it decides.
fn proposals(
    frame: &mut Frame,
    area: Rect,
    listed: &Result<Vec<crate::model::ProposalRow>, String>,
) {
    let block =
        Block::bordered().title(" governance proposals · :sign <file> <key>  :submit <file> ");
    let rows = match listed {
        Err(why) => {
            frame.render_widget(
                Paragraph::new(Line::styled(format!("cannot list them: {why}"), bad()))
                    .block(block),
                area,
            );
            return;
        }
        Ok(rows) if rows.is_empty() => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    "none (realdid governance propose writes one here)",
                    dim(),
                ))
                .block(block),
                area,
            );
            return;
        }
        Ok(rows) => rows,
    };
    let file_w = rows
        .iter()
        .map(|r| r.file.chars().count())
        .max()
        .unwrap_or(4)
        .min(usize::from(area.width / 3));
    let what_w = usize::from(area.width.saturating_sub(2)).saturating_sub(file_w + 8 + 2);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            let (count, what) = match &r.problem {
                Some(problem) => (
                    Span::styled("—", dim()),
                    Span::styled(fmt::clip(&format!("UNUSABLE: {problem}"), what_w), bad()),
                ),
                None => {
                    let style = if r.approvals >= r.needed {
                        good()
                    } else {
                        warn()
                    };
                    (
                        Span::styled(format!("{} of {}", r.approvals, r.needed), style),
                        Span::raw(fmt::clip(&r.description, what_w)),
                    )
                }
            };
            Row::new(vec![
                Cell::from(fmt::clip(&r.file, file_w)),
                Cell::from(count),
                Cell::from(what),
            ])
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(count_u16(file_w)),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(vec!["file", "signed", "decision"]).style(bold()))
    .block(block);
    frame.render_widget(table, area);
}

/// What the register says: how many issuers were ever accredited, proven at which height.
fn register_title(app: &App) -> Line<'static> {
    match app.register() {
        None => Line::styled(" register: reading… ", dim()),
        Some(Ok(proven)) => Line::from(format!(
            " register: {} proven at h {} ",
            proven.value.unwrap_or(0),
            proven.height
        )),
        Some(Err(_)) => Line::styled(" register: UNREAD ", bad()),
    }
}

/// What the list calls an issuer: its name once read, else what was asked.
fn name(query: &str, lookup: &Lookup<IssuerFacts>) -> String {
    match lookup {
        Lookup::Proven {
            answer: ProvenAt {
                value: Some(facts), ..
            },
            ..
        } if !facts.name.is_empty() => facts.name.clone(),
        _ => query.to_string(),
    }
}

fn state(lookup: &Lookup<IssuerFacts>) -> Span<'static> {
    match lookup {
        Lookup::Idle => Span::styled("not read", dim()),
        Lookup::Pending { .. } => Span::styled("reading…", warn()),
        Lookup::Failed { .. } => Span::styled("FAILED", bad()),
        Lookup::Proven { answer, .. } => match &answer.value {
            Some(f) if f.accredited => Span::styled("accredited", good()),
            Some(_) => Span::styled("REMOVED", bad()),
            None => Span::styled("ABSENT", bad()),
        },
    }
}

fn list(frame: &mut Frame, area: Rect, app: &App) {
    let visible = app.visible_issuers();
    let state_w = "accredited".len();
    let longest = visible
        .iter()
        .map(|(query, lookup)| name(query, lookup).chars().count())
        .max()
        .unwrap_or(0);
    let name_w = usize::from(area.width.saturating_sub(2))
        .saturating_sub(state_w + 1)
        .min(longest.max(6));
    let filter = app.filter(Tab::Issuers);
    let rows: Vec<Row> = if visible.is_empty() {
        let why = if app.issuers().is_empty() {
            "none known; :issuer <did>".to_string()
        } else {
            format!("none matches /{filter}")
        };
        vec![Row::new([Cell::from(Line::styled(why, dim()))])]
    } else {
        visible
            .iter()
            .map(|(query, lookup)| {
                Row::new([
                    Cell::from(fmt::clip(&name(query, lookup), name_w)),
                    Cell::from(state(lookup)),
                ])
            })
            .collect()
    };
    let at = app.selected(Tab::Issuers);
    let mut position = format!(" {} of {} ", (at + 1).min(visible.len()), visible.len());
    if !filter.is_empty() {
        position = format!(" /{filter} ·{position}");
    }
    let table = Table::new(
        rows,
        [
            Constraint::Length(count_u16(name_w)),
            Constraint::Length(count_u16(state_w)),
        ],
    )
    .row_highlight_style(selected())
    .block(
        Block::bordered()
            .title(format!(" issuers ({}) ", app.issuers().len()))
            .title(register_title(app))
            .title_bottom(Line::from(position).right_aligned()),
    );
    let mut table_state = TableState::new()
        .with_offset(app.list_offset(Tab::Issuers).get())
        .with_selected((!visible.is_empty()).then_some(at));
    frame.render_stateful_widget(table, area, &mut table_state);
    app.list_offset(Tab::Issuers).set(table_state.offset());
    app.list_page(Tab::Issuers)
        .set(usize::from(area.height.saturating_sub(2)).max(1));
}

fn detail(frame: &mut Frame, area: Rect, app: &App) {
    let Some((query, lookup)) = app.selected_issuer() else {
        let text = Line::styled("No issuer selected. :issuer <did> reads one.", dim());
        frame.render_widget(Paragraph::new(text).block(panel(" issuer ")), area);
        return;
    };
    let title = format!(" {} ", name(query, lookup));
    let lines = match lookup {
        Lookup::Proven { answer, .. } => proven(query, answer, app.now_ms()),
        other => unproven(
            other,
            "reading",
            "Not read yet: r reads its register entry.",
        ),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(title)),
        area,
    );
}

fn proven(query: &str, answer: &ProvenAt<IssuerFacts>, now_ms: i64) -> Vec<Line<'static>> {
    let Some(facts) = &answer.value else {
        return vec![
            verdict(answer),
            proven_block_time(answer, now_ms),
            Line::from(format!(
                "{query} is not in the issuer register at that height."
            )),
        ];
    };
    let field = |label: &str, value: Vec<Span<'static>>| {
        let mut spans = vec![Span::styled(format!("{label:<10} "), dim())];
        spans.extend(value);
        Line::from(spans)
    };
    let status = if facts.accredited {
        Span::styled("accredited", good())
    } else {
        Span::styled("REMOVED from the register", bad())
    };
    let types = if facts.credential_types.is_empty() {
        "none".to_string()
    } else {
        facts.credential_types.join(", ")
    };
    let approvers = match &facts.approvers {
        Some((k, ids)) => format!("{k} of {}: {}", ids.len(), ids.join(", ")),
        None => "not named".into(),
    };
    let count = |label: &str, n: u64| {
        Line::from(vec![
            Span::raw(format!("  {label:<24}")),
            Span::styled(format!("{n:>8}"), bold()),
        ])
    };
    let mut lines = vec![
        field("DID", vec![Span::raw(facts.did.clone())]),
        field("status", vec![status]),
        field("types", vec![Span::raw(types)]),
        field("approvers", vec![Span::raw(approvers)]),
        Line::default(),
        Line::styled("public transparency counts, on chain", bold()),
        count("trace openings", facts.openings),
        count("disclosed to holders", facts.disclosures),
        count("credentials revoked", facts.revocations),
        count("suspended now", facts.suspended),
        Line::default(),
        verdict(answer),
        proven_block_time(answer, now_ms),
    ];
    for (title, rows) in [
        (
            "status lists, latest anchors (each proven)",
            &facts.status_lists,
        ),
        (
            "openings, newest first (each audit anchor proven)",
            &facts.audit_anchors,
        ),
    ] {
        if rows.is_empty() {
            continue;
        }
        lines.push(Line::default());
        lines.push(Line::styled(title, bold()));
        lines.extend(rows.iter().map(anchor));
    }
    lines
}

/// One anchor: its name, sequence and height, and what it says (or why it is unread).
fn anchor(row: &crate::model::AnchorRow) -> Line<'static> {
    match &row.problem {
        Some(problem) => Line::from(vec![
            Span::raw(format!("  {}  ", row.name)),
            Span::styled(problem.clone(), bad()),
        ]),
        None => Line::from(vec![
            Span::raw(format!("  {}  ", row.name)),
            Span::styled(format!("seq {} h {}  ", row.sequence, row.height), dim()),
            Span::raw(row.detail.clone()),
        ]),
    }
}
