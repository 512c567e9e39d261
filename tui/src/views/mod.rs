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
    if let Some(confirm) = app.confirm() {
        confirm_popup(frame, body, confirm);
    }
    if app.tab() == Tab::Chain
        && let Some(block) = app.block()
    {
        block::draw(frame, body, block, app.block_row(), app.now_ms());
    }
    if app.help_visible() {
        // Every key and command must show: on a short terminal the help covers the tab bar
        // and the status line too.
        let room = if body.height < help::needed_height() {
            frame.area()
        } else {
            body
        };
        help::draw(frame, room);
    }
}

/// What the status line says with a question.
pub(crate) const CONFIRM_HINT: &str = "  y confirms, any other key cancels";

/// A question too long for the status line is shown whole in a box over the view: what
/// is approved, signed or revoked must be read before `y`.
fn confirm_popup(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    confirm: &crate::app::Confirm,
) {
    use ratatui::widgets::{Clear, Paragraph, Wrap};
    let needed = confirm.prompt.chars().count() + CONFIRM_HINT.len();
    let one_line = !confirm.prompt.contains('\n');
    if (one_line && needed <= usize::from(area.width)) || area.width < 10 || area.height < 5 {
        return;
    }
    let width = area.width.saturating_sub(4).min(100);
    let inner = usize::from(width.saturating_sub(4)).max(1);
    let lines = confirm
        .prompt
        .lines()
        .map(|l| l.chars().count().div_ceil(inner).max(1))
        .sum::<usize>()
        + 2;
    let height = count_u16(lines + 2).min(area.height);
    let popup = ratatui::layout::Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let mut text: Vec<Line> = confirm
        .prompt
        .lines()
        .map(|l| Line::from(l.to_string()))
        .collect();
    text.push(Line::default());
    text.push(Line::styled(CONFIRM_HINT.trim_start().to_string(), bold()));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(panel(Line::styled(" confirm ", warn()))),
        popup,
    );
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
