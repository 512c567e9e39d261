//! The revocations view: whom this console acts for, how to revoke, suspend or reinstate,
//! and every change asked from it with what came of it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{bad, bold, count_u16, dim, fmt, good, panel, selected, warn};
use crate::app::{App, Tab};
use crate::model::{ChangeOutcome, CredentialRow, IssuerOwn, LogRow, Sees};

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let operator = match app.operator() {
        Some(endpoint) => Line::from(vec![
            Span::styled("operator session ", bold()),
            Span::raw(format!("at {endpoint}")),
        ]),
        None => Line::from(vec![
            Span::styled("no operator session ", warn()),
            Span::raw("(start with --session-file; realdid issuer login writes one)"),
        ]),
    };
    let mut lines = vec![
        operator,
        Line::from(":revoke <credential> <reason> [note]   for good"),
        Line::from(":suspend <credential> <note>   :reinstate <credential> <note>"),
        figures_line(app),
    ];
    if let Some(found) = app.credential() {
        lines.push(credential_line(found, app.now_ms()));
    }
    // As tall as its lines need once wrapped (the panel's padding and borders take four
    // columns), up to half the view.
    let inner = usize::from(area.width.saturating_sub(4)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let head_rows = count_u16(wrapped + 2).min((area.height / 2).max(6));
    let [head, list] =
        Layout::vertical([Constraint::Length(head_rows), Constraint::Fill(1)]).areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(" revocations and suspensions ")),
        head,
    );
    // The issuer's audit log under the changes, when the operator may read it and there
    // is room.
    match app.issuer_own() {
        Some(own) if list.height >= 14 => {
            let [changes_area, log_area] =
                Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(list);
            changes(frame, changes_area, app);
            audit_log(frame, log_area, &own.log, app.now_ms());
        }
        _ => changes(frame, list, app),
    }
}

/// The credential looked up with `:credential`: its standing, list entry and expiry.
fn credential_line(found: &Result<CredentialRow, String>, now_ms: i64) -> Line<'static> {
    match found {
        Ok(c) => {
            let style = match c.status.as_str() {
                "VALID" => good(),
                "SUSPENDED" => warn(),
                _ => bad(),
            };
            let since = if c.since_ms > 0 {
                format!(" {} ago", fmt::age(now_ms, c.since_ms))
            } else {
                String::new()
            };
            Line::from(vec![
                Span::styled(format!("{} ", c.id), bold()),
                Span::styled(c.status.clone(), style),
                Span::raw(format!(
                    " {}{since} · {} #{} · expires {}",
                    c.detail,
                    c.list,
                    c.index,
                    fmt::utc(c.expires_day_ms).get(..10).unwrap_or_default(),
                )),
            ])
        }
        Err(why) => Line::styled(format!("credential: {why}"), bad()),
    }
}

/// The issuer's own figures on one line (its own report), or the hint how changes go.
fn figures_line(app: &App) -> Line<'static> {
    match app.issuer_own() {
        Some(IssuerOwn { figures: Ok(f), .. }) => {
            let anchor = match f.last_anchor {
                Some((height, at)) => format!(
                    "last anchor h {height} ({} ago)",
                    fmt::age(app.now_ms(), at)
                ),
                None => "no anchor yet".into(),
            };
            let unpublished = if f.unpublished_lists == 0 {
                Span::styled("all anchored", good())
            } else {
                Span::styled(format!("{} lists UNANCHORED", f.unpublished_lists), warn())
            };
            let enrolled: u64 = f
                .enrolments
                .iter()
                .filter(|(outcome, _)| outcome == "ISSUED")
                .map(|(_, n)| n)
                .sum();
            let refused: u64 = f
                .enrolments
                .iter()
                .filter(|(outcome, _)| outcome != "ISSUED")
                .map(|(_, n)| n)
                .sum();
            Line::from(vec![
                Span::styled("issuer says: ", bold()),
                Span::raw(format!(
                    "{} issued, {} revoked, {} suspended · enrolments {enrolled} ok {refused} refused · ",
                    f.issued, f.revoked, f.suspended
                )),
                unpublished,
                Span::raw(format!(" · {anchor}")),
            ])
        }
        Some(IssuerOwn {
            figures: Err(why), ..
        }) => Line::styled(format!("issuer figures: {why}"), bad()),
        None => Line::styled(
            "each asks first (y); the issuer answers once a proven read shows the anchor",
            dim(),
        ),
    }
}

/// The operators' audit log, newest first (the issuer answers it to auditors only).
fn audit_log(frame: &mut Frame, area: Rect, log: &Result<Vec<LogRow>, String>, now_ms: i64) {
    let block = Block::bordered().title(" operators' audit log · newest first · the issuer's own ");
    let entries = match log {
        Ok(entries) => entries,
        Err(why) => {
            frame.render_widget(
                Paragraph::new(Line::styled(format!("not readable here: {why}"), dim()))
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
            return;
        }
    };
    let rows: Vec<Row> = entries
        .iter()
        .map(|e| {
            Row::new(vec![
                Cell::from(fmt::age(now_ms, e.at_ms)),
                Cell::from(e.actor.clone()),
                Cell::from(e.action.clone()),
                Cell::from(e.detail.clone()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(14),
            Constraint::Length(18),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(vec!["ago", "who", "what", "detail"]).style(bold()))
    .block(block);
    frame.render_widget(table, area);
}

/// Whether each watched verifier answers from lists made after the change: it holds no
/// list of the issuer proven below the change's anchor, or until when it may still use one.
fn seen_by_verifiers(app: &App, outcome: &ChangeOutcome) -> Option<Line<'static>> {
    let ChangeOutcome::Done {
        issuer_did,
        anchor_heights,
        ..
    } = outcome
    else {
        return None;
    };
    let height = *anchor_heights.iter().max()?;
    if app.verifiers().is_empty() || issuer_did.is_empty() {
        return None;
    }
    let mut spans = vec![Span::styled("verifiers: ", bold())];
    for (i, v) in app.verifiers().iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        let name = format!("#{} ", i + 1);
        spans.push(Span::raw(name));
        spans.push(match v.sees(issuer_did, height) {
            Sees::Yes => Span::styled("sees it", good()),
            Sees::NotUntil(at) => {
                let from = v.now.as_ref().map_or(at, |f| f.at_ms);
                Span::styled(format!("within {}", fmt::duration(at - from)), warn())
            }
            Sees::Unknown => Span::styled("unknown (down)", bad()),
        });
    }
    Some(Line::from(spans))
}

fn changes(frame: &mut Frame, area: Rect, app: &App) {
    let rows: Vec<Row> = app
        .changes()
        .iter()
        .map(|change| {
            let outcome = match &change.outcome {
                ChangeOutcome::Pending => Span::styled("waiting for the issuer…", warn()),
                ChangeOutcome::Done { anchor_heights, .. } if anchor_heights.is_empty() => {
                    Span::styled("done: nothing to change", good())
                }
                ChangeOutcome::Done { anchor_heights, .. } => Span::styled(
                    format!(
                        "done: anchored at height {}",
                        anchor_heights
                            .iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    good(),
                ),
                ChangeOutcome::Failed(reason) => Span::styled(format!("REFUSED: {reason}"), bad()),
            };
            // Two lines a change, so that a whole outcome fits an 80-column terminal.
            let what = Line::from(vec![
                Span::styled(change.action.describe(), bold()),
                Span::raw(format!("  {}", change.credential_id)),
            ]);
            let mut lines = vec![what, Line::from(outcome)];
            if let Some(seen) = seen_by_verifiers(app, &change.outcome) {
                lines.push(seen);
            }
            let height = u16::try_from(lines.len()).unwrap_or(2);
            Row::new(vec![
                Cell::from(fmt::age(app.now_ms(), change.at_ms)),
                Cell::from(Text::from(lines)),
            ])
            .height(height)
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(rows, [Constraint::Length(6), Constraint::Fill(1)])
        .header(Row::new(vec!["ago", "change, credential and outcome"]).style(bold()))
        .row_highlight_style(selected())
        .block(Block::bordered().title(format!(
            " asked from this console ({}) ",
            app.changes().len()
        )));
    let mut state = TableState::new()
        .with_offset(app.list_offset(Tab::Revocations).get())
        .with_selected((!empty).then_some(app.selected(Tab::Revocations)));
    frame.render_stateful_widget(table, area, &mut state);
    app.list_offset(Tab::Revocations).set(state.offset());
    let per_row = if app.verifiers().is_empty() { 2 } else { 3 };
    app.list_page(Tab::Revocations)
        .set((usize::from(area.height.saturating_sub(3)) / per_row).max(1));
}
