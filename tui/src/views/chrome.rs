//! The frame around every view: the tab bar on top and the status line at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{bad, bold, count_u16, fmt, good, selected, warn};
use crate::app::{App, InputMode, Tab};
use crate::model::Link;

/// `1 Chain  2 DIDs  3 Issuers`, the current one reversed; on the right, the chain, how
/// many nodes answer, and the highest height they report.
pub(super) fn tab_bar(frame: &mut Frame, area: Rect, app: &App) {
    let tabs = |short: bool| {
        let spans: Vec<Span> = Tab::ALL
            .iter()
            .map(|&tab| {
                let title = if short {
                    tab.short_title()
                } else {
                    tab.title()
                };
                let text = format!(" {} {title} ", tab.key());
                if tab == app.tab() {
                    Span::styled(text, selected().patch(bold()))
                } else {
                    Span::raw(text)
                }
            })
            .collect();
        Line::from(spans)
    };
    let chain = app.chain();
    let up = chain
        .nodes
        .iter()
        .filter(|n| matches!(n.link, Link::Up { .. }))
        .count();
    let nodes_style = match up {
        0 => bad(),
        n if n < chain.nodes.len() => warn(),
        _ => good(),
    };
    let height = || {
        vec![
            Span::raw("height "),
            Span::styled(fmt::opt(chain.height()), bold()),
            Span::raw(" "),
        ]
    };
    let nodes = || {
        vec![
            Span::styled(format!("{up}/{}", chain.nodes.len()), nodes_style),
            Span::raw(" nodes up "),
        ]
    };
    // On a narrow terminal the chain id goes first, then the node count: the height stays.
    let candidates = [
        [
            vec![Span::raw(format!("{}  ", chain.chain_id))],
            nodes(),
            height(),
        ]
        .concat(),
        [nodes(), height()].concat(),
        height(),
    ];
    // The titles are shortened before the node count gives way.
    let full = tabs(false);
    let tabs =
        if full.width() + Line::from(candidates[1].clone()).width() <= usize::from(area.width) {
            full
        } else {
            tabs(true)
        };
    let tabs_width = tabs.width();
    let room = usize::from(area.width).saturating_sub(tabs_width);
    let right = candidates
        .into_iter()
        .map(Line::from)
        .find(|line| line.width() <= room)
        .unwrap_or_default();
    let [left, rest] = Layout::horizontal([
        Constraint::Length(count_u16(tabs_width)),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(tabs), left);
    frame.render_widget(Paragraph::new(right.right_aligned()), rest);
}

/// The bottom line: an open input line with its cursor, or a pending question, or the last
/// message with the key hints.
pub(super) fn status_line(frame: &mut Frame, area: Rect, app: &App) {
    if let Some(confirm) = app.confirm() {
        let line = Line::from(vec![
            Span::styled(confirm.prompt.replace('\n', " "), bold()),
            Span::raw(super::CONFIRM_HINT),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    match app.mode() {
        InputMode::Filter(text) => input(
            frame,
            area,
            "/",
            text,
            &[("Enter", "keep"), ("Esc", "clear")],
        ),
        InputMode::Command(text) => input(
            frame,
            area,
            ":",
            text,
            &[("Enter", "run"), ("Esc", "cancel")],
        ),
        InputMode::Query(_) => {
            // The DID is typed in the DIDs view's own query line; here only the keys.
            let line = hints(&[
                ("Enter", "resolve"),
                ("Esc", "cancel"),
                ("Backspace", "delete"),
            ]);
            frame.render_widget(Paragraph::new(line), area);
        }
        InputMode::Normal => normal(frame, area, app),
    }
}

fn input(frame: &mut Frame, area: Rect, prompt: &str, text: &str, keys: &[(&str, &str)]) {
    let keys = hints(keys);
    let keys_width = count_u16(keys.width());
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(keys_width)])
        .spacing(2)
        .areas(area);
    // The end of a long line stays in sight, where the typing happens.
    let room = usize::from(left.width.saturating_sub(2));
    let skip = text.chars().count().saturating_sub(room);
    let shown: String = text.chars().skip(skip).collect();
    let cursor_x = left.x.saturating_add(count_u16(shown.chars().count() + 1));
    let line = Line::from(vec![
        Span::styled(prompt.to_string(), bold()),
        Span::raw(shown),
    ]);
    frame.render_widget(Paragraph::new(line), left);
    frame.render_widget(Paragraph::new(keys), right);
    frame.set_cursor_position(Position::new(cursor_x.min(left.right()), left.y));
}

fn normal(frame: &mut Frame, area: Rect, app: &App) {
    let act = match app.tab() {
        Tab::Chain => ("j/k", "select"),
        Tab::Dids => ("r", "resolve"),
        Tab::Issuers => ("r", "re-read"),
        Tab::Revocations => (":", "revoke …"),
        Tab::Tracing | Tab::Verifiers => ("j/k", "select"),
    };
    let full = hints(&[
        act,
        ("/", "filter"),
        (":", "command"),
        ("?", "help"),
        ("q", "quit"),
    ]);
    let short = hints(&[("?", "help")]);
    let message = app.message().map(|m| {
        let style = if m.error { bad() } else { Default::default() };
        Line::styled(m.text.clone(), style)
    });
    let width = usize::from(area.width);
    let message_width = message.as_ref().map_or(0, Line::width);
    // The message matters more than the hints, which the help repeats: the hints give way.
    let keys = [full, short]
        .into_iter()
        .find(|k| message_width + 2 + k.width() <= width);
    let keys_width = keys.as_ref().map_or(0, |k| count_u16(k.width()));
    let [left, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(keys_width)]).areas(area);
    if let Some(message) = message {
        frame.render_widget(Paragraph::new(message), left);
    }
    if let Some(keys) = keys {
        frame.render_widget(Paragraph::new(keys), right);
    }
}

/// Key hints: each key bold, then what it does.
fn hints(pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (key, what)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled((*key).to_string(), bold()));
        spans.push(Span::raw(format!(" {what}")));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}
