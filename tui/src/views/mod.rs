//! Drawing the console: a tab bar, the current view, a status line, and the help on top
//! when asked for.
//!
//! The views only read the [`App`] (and the list scroll positions it keeps for them), and
//! take "now" from it rather than from a clock, so the same state always draws the same
//! screen. Colour is never the only carrier of a fact: states are words (UP, BEHIND,
//! DOWN, FAILED), colours only repeat them, and only the basic foreground colours are used,
//! so a light terminal theme reads as well as a dark one. The only background is the
//! selected row or tab, drawn REVERSED.

mod block;
mod chain;
mod chrome;
mod dids;
mod fmt;
mod help;
mod issuers;
mod revocations;
mod tracing;
mod verifiers;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding};

use crate::app::{App, Tab};
use crate::model::{Lookup, ProvenAt, ValidatorHealth};

/// Draws the whole console for `app` on `frame`.
pub fn draw(frame: &mut Frame, app: &App) {
    let [bar, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    chrome::tab_bar(frame, bar, app);
    match app.tab() {
        Tab::Chain => chain::draw(frame, body, app),
        Tab::Dids => dids::draw(frame, body, app),
        Tab::Issuers => issuers::draw(frame, body, app),
        Tab::Revocations => revocations::draw(frame, body, app),
        Tab::Tracing => tracing::draw(frame, body, app),
        Tab::Verifiers => verifiers::draw(frame, body, app),
    }
    chrome::status_line(frame, status, app);
    if app.tab() == Tab::Chain
        && let Some(block) = app.block()
    {
        block::draw(frame, body, block, app.now_ms());
    }
    if app.help_visible() {
        help::draw(frame, body);
    }
}

/// A count of cells as a terminal dimension (saturating: no screen is that large).
fn count_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

fn good() -> Style {
    Style::new().fg(Color::Green).add_modifier(Modifier::BOLD)
}

fn warn() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

/// A bordered panel with `title` in its top border.
fn panel<'a>(title: impl Into<Line<'a>>) -> Block<'a> {
    Block::bordered()
        .title(title)
        .padding(Padding::horizontal(1))
}

fn health(health: ValidatorHealth) -> Span<'static> {
    match health {
        ValidatorHealth::Up => Span::styled("UP", good()),
        ValidatorHealth::Behind => Span::styled("BEHIND", warn()),
        ValidatorHealth::Down => Span::styled("DOWN", bad()),
    }
}

/// The verdict every proven fact is shown with; the wording is fixed so that an operator
/// (or a script reading the screen) can rely on it.
fn verdict<T>(answer: &ProvenAt<T>) -> Line<'static> {
    let head = if answer.value.is_some() {
        String::new()
    } else {
        "absent — ".to_string()
    };
    Line::from(vec![
        Span::styled(head, bold()),
        Span::styled(
            format!(
                "proven at height {} against the genesis validators",
                answer.height
            ),
            good(),
        ),
    ])
}

/// When the state a proof is about was made, and how long ago that is.
fn proven_block_time<T>(answer: &ProvenAt<T>, now_ms: i64) -> Line<'static> {
    let time = i64::try_from(answer.block_time_ms).unwrap_or(i64::MAX);
    Line::from(format!(
        "block time {} ({} ago)",
        fmt::utc(time),
        fmt::age(now_ms, time)
    ))
}

/// What a lookup that has no proven answer yet says instead: `doing` names the pending
/// work ("resolving"), `idle` what to say before anything was asked.
fn unproven<T>(lookup: &Lookup<T>, doing: &str, idle: &str) -> Vec<Line<'static>> {
    match lookup {
        Lookup::Idle => vec![Line::styled(idle.to_string(), dim())],
        Lookup::Pending { query } => vec![
            Line::from(vec![
                Span::styled(format!("{doing} "), warn()),
                Span::raw(format!("{query} …")),
            ]),
            Line::styled("waiting for an answer with a proof", dim()),
        ],
        Lookup::Failed { query, reason } => vec![
            Line::from(vec![
                Span::styled("FAILED ", bad()),
                Span::raw(format!("no proven answer for {query}")),
            ]),
            Line::from(vec![
                Span::styled("reason: ", bold()),
                Span::raw(reason.clone()),
            ]),
            Line::styled("nothing is shown without a proof", dim()),
        ],
        Lookup::Proven { .. } => Vec::new(),
    }
}
