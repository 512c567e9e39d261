//! The DIDs view: the DID asked about, then what is proven about it (or why nothing is),
//! and its document, scrolled with the list keys and narrowed by the filter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};

use super::{bad, bold, count_u16, dim, fmt, good, panel, proven_block_time, unproven, verdict};
use crate::app::{App, InputMode, Tab};
use crate::model::{DidFacts, DidVersionRow, Lookup, ProvenAt};

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [query_area, rest] =
        Layout::vertical([Constraint::Length(3), Constraint::Fill(1)]).areas(area);
    query(frame, query_area, app);
    match app.did() {
        Lookup::Proven { query, answer } => proven(frame, rest, app, query, answer),
        other => {
            let lines = unproven(
                other,
                "resolving",
                "Nothing resolved yet. Whatever is shown here comes with a proof checked \
                 against the genesis validators.",
            );
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(panel(" resolution ")),
                rest,
            );
        }
    }
}

/// The query line: the DID being typed (with the cursor), or the one last asked.
fn query(frame: &mut Frame, area: Rect, app: &App) {
    let inner = area.width.saturating_sub(4);
    if let InputMode::Query(text) = app.mode() {
        // The end of a long DID stays in sight, where the typing happens.
        let skip = text
            .chars()
            .count()
            .saturating_sub(usize::from(inner.saturating_sub(1)));
        let shown: String = text.chars().skip(skip).collect();
        let cursor = count_u16(shown.chars().count());
        frame.render_widget(
            Paragraph::new(Line::from(shown)).block(panel(Line::from(vec![
                Span::raw(" DID to resolve · "),
                Span::styled("typing", bold()),
                Span::raw(" "),
            ]))),
            area,
        );
        frame.set_cursor_position(Position::new(area.x + 2 + cursor.min(inner), area.y + 1));
        return;
    }
    let line = match app.did() {
        Lookup::Idle => Line::styled(
            "Enter or r: type a DID to resolve (or :resolve [did])",
            dim(),
        ),
        Lookup::Pending { query } | Lookup::Proven { query, .. } | Lookup::Failed { query, .. } => {
            Line::styled(query.clone(), bold())
        }
    };
    frame.render_widget(Paragraph::new(line).block(panel(" DID ")), area);
}

fn proven(frame: &mut Frame, area: Rect, app: &App, query: &str, answer: &ProvenAt<DidFacts>) {
    let now = app.now_ms();
    let Some(facts) = &answer.value else {
        let lines = vec![
            verdict(answer),
            proven_block_time(answer, now),
            Line::from(format!(
                "No DID document exists for {query} at that height."
            )),
        ];
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(panel(" resolution ")),
            area,
        );
        return;
    };
    let status = if facts.deactivated {
        Span::styled("DEACTIVATED", bad())
    } else {
        Span::styled("active", good())
    };
    let facts_line = Line::from(vec![
        Span::styled("version ", dim()),
        Span::styled(facts.version.to_string(), bold()),
        Span::styled("   created at height ", dim()),
        Span::styled(facts.created_height.to_string(), bold()),
        Span::styled("   updated at height ", dim()),
        Span::styled(facts.updated_height.to_string(), bold()),
        Span::raw("   "),
        status,
    ]);
    // The versions beside the document on a wide terminal; on a narrow one, one line of
    // them in the resolution.
    let wide = area.width >= 150;
    let facts_rows = if wide || facts.history.len() < 2 {
        5
    } else {
        6
    };
    let [facts_area, rest] =
        Layout::vertical([Constraint::Length(facts_rows), Constraint::Fill(1)]).areas(area);
    let (document_area, versions_area) = if wide {
        let [doc, versions] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(60)]).areas(rest);
        (doc, Some(versions))
    } else {
        (rest, None)
    };
    let mut lines = vec![verdict(answer), proven_block_time(answer, now), facts_line];
    if facts_rows == 6 {
        let summary: Vec<String> = facts
            .history
            .iter()
            .enumerate()
            .map(|(i, row)| {
                format!(
                    "v{} h{} {}",
                    row.version,
                    row.height,
                    change(&facts.history, i)
                )
            })
            .collect();
        let width = usize::from(facts_area.width.saturating_sub(4)).saturating_sub(9);
        lines.push(Line::from(vec![
            Span::styled("versions ", dim()),
            Span::raw(fmt::clip(&summary.join(" · "), width)),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(panel(" resolution ")),
        facts_area,
    );
    if let Some(versions_area) = versions_area {
        versions(frame, versions_area, &facts.history, now);
    }
    document(frame, document_area, app);
}

/// What version `i` of `history` (newest first) changed from the one before it.
fn change(history: &[DidVersionRow], i: usize) -> String {
    let Some(row) = history.get(i) else {
        return String::new();
    };
    if let Some(problem) = &row.problem {
        return format!("FAILED {problem}");
    }
    if row.deactivated {
        return "DEACTIVATED".into();
    }
    match history.get(i + 1).filter(|older| older.problem.is_none()) {
        Some(older) => {
            let added = row.keys.iter().filter(|k| !older.keys.contains(k));
            let removed = older.keys.iter().filter(|k| !row.keys.contains(k));
            let mut change: Vec<String> = added.map(|k| format!("+{k}")).collect();
            change.extend(removed.map(|k| format!("-{k}")));
            if row.services != older.services {
                change.push(format!("services {}→{}", older.services, row.services));
            }
            if change.is_empty() {
                change.push("keys kept".into());
            }
            change.join(" ")
        }
        None if row.version == 1 => format!("created: {}", row.keys.join(" ")),
        None => format!("keys {}", row.keys.join(" ")),
    }
}

/// Each version, newest first: where it was applied, when, and what it changed (each
/// earlier version proven against the state where it was applied).
fn versions(frame: &mut Frame, area: Rect, history: &[DidVersionRow], now_ms: i64) {
    let lines: Vec<Line> = history
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut spans = vec![Span::styled(format!("v{:<3}", row.version), bold())];
            if row.problem.is_none() {
                spans.push(Span::raw(format!(
                    "h {:<6} {:>6} ago  ",
                    row.height,
                    fmt::age(now_ms, row.time_ms)
                )));
            }
            let what = change(history, i);
            let style = if row.problem.is_some() || row.deactivated {
                bad()
            } else {
                Style::default()
            };
            spans.push(Span::styled(what, style));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(format!(
                " versions ({}) · each proven where applied ",
                history.len()
            ))),
        area,
    );
}

/// The document, wrapped rather than cut (a key cut short would hide what matters), from
/// the first line the operator scrolled to.
fn document(frame: &mut Frame, area: Rect, app: &App) {
    let lines = app.document_lines();
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let width = usize::from(area.width.saturating_sub(4)).max(1);
    let wrapped: Vec<Vec<String>> = lines
        .iter()
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            if chars.is_empty() {
                return vec![String::new()];
            }
            chars.chunks(width).map(|c| c.iter().collect()).collect()
        })
        .collect();
    // The furthest the view scrolls: the first line from which the rest fits. The app
    // stops the scrolling there, told through the page size (lines on the last page).
    let mut max_first = lines.len().saturating_sub(1);
    let mut fit = 0;
    for (i, rows_of_line) in wrapped.iter().map(Vec::len).enumerate().rev() {
        if fit + rows_of_line > rows {
            break;
        }
        fit += rows_of_line;
        max_first = i;
    }
    app.list_page(Tab::Dids)
        .set(lines.len().saturating_sub(max_first).max(1));
    let first = app.selected(Tab::Dids).min(max_first);
    let filter = app.filter(Tab::Dids);
    let mut shown: Vec<Line> = Vec::new();
    let mut last = first;
    for (i, line_rows) in wrapped.iter().enumerate().skip(first) {
        if shown.len() >= rows {
            break;
        }
        last = i + 1;
        shown.extend(
            line_rows
                .iter()
                .take(rows - shown.len())
                .map(|r| Line::from(r.clone())),
        );
    }
    if lines.is_empty() {
        shown.push(Line::styled(format!("no line matches /{filter}"), dim()));
    }
    let mut position = format!(
        " lines {}–{last} of {} ",
        (first + 1).min(lines.len()),
        lines.len()
    );
    if !filter.is_empty() {
        position = format!(" /{filter} ·{position}");
    }
    let block = Block::bordered()
        .title(" document ")
        .title_bottom(Line::from(position).right_aligned())
        .padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(shown).block(block), area);
}
