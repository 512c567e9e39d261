//! The DIDs view: the DID asked about, then what is proven about it (or why nothing is),
//! and its document, scrolled with the list keys and narrowed by the filter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};

use super::{bad, bold, count_u16, dim, good, panel, proven_block_time, unproven, verdict};
use crate::app::{App, InputMode, Tab};
use crate::model::{DidFacts, Lookup, ProvenAt};

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
    let [facts_area, document_area] =
        Layout::vertical([Constraint::Length(5), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(vec![
            verdict(answer),
            proven_block_time(answer, now),
            facts_line,
        ])
        .block(panel(" resolution ")),
        facts_area,
    );
    document(frame, document_area, app);
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
