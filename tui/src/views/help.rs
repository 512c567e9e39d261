//! The help overlay: every key and every command, printed from the same tables the key
//! handling and the command parser use.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{bold, count_u16, dim};
use crate::keys::{BINDINGS, COMMANDS};

/// The widest label column.
const MAX_LABEL_WIDTH: usize = 26;

/// The rows the help needs for every key and command, borders included.
pub(super) fn needed_height() -> u16 {
    count_u16(lines().len() + 2)
}

pub(super) fn draw(frame: &mut Frame, area: Rect) {
    let mut lines = lines();
    // On a short terminal the section titles go first (commands still start with `:`).
    if lines.len() + 2 > usize::from(area.height) {
        lines.retain(|line| !is_title(line));
    }
    // The notes go where there is room for them: every key and command comes first.
    let notes = notes();
    if lines.len() + notes.len() + 2 <= usize::from(area.height) {
        lines.extend(notes);
    }
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    let width = count_u16(widest + 4).min(area.width);
    let height = count_u16(lines.len() + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let block = Block::bordered()
        .title(Line::styled(" help ", bold()))
        .title_bottom(Line::from(" ? or Esc closes ").right_aligned())
        .padding(ratatui::widgets::Padding::horizontal(1));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

const TITLES: [&str; 2] = ["keys", "commands"];

fn is_title(line: &Line) -> bool {
    line.spans.len() == 1 && TITLES.contains(&line.spans[0].content.as_ref())
}

fn entry(label: String, what: String, width: usize) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {label:<width$} "), bold()),
        Span::raw(what),
    ])
}

fn label(c: &crate::keys::CommandSpec) -> String {
    match c.arg {
        Some(arg) => format!(":{} {arg}", c.names[0]),
        None => format!(":{}", c.names[0]),
    }
}

fn lines() -> Vec<Line<'static>> {
    let width = BINDINGS
        .iter()
        .map(|b| b.label.chars().count())
        .chain(COMMANDS.iter().map(|c| label(c).chars().count()))
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL_WIDTH);
    let mut lines = vec![Line::styled(TITLES[0], bold())];
    lines.extend(
        BINDINGS
            .iter()
            .map(|b| entry(b.label.to_string(), b.what.to_string(), width)),
    );
    lines.push(Line::styled(TITLES[1], bold()));
    let what = |c: &crate::keys::CommandSpec| {
        let aliases: Vec<String> = c.names[1..].iter().map(|n| format!(":{n}")).collect();
        if aliases.is_empty() {
            c.what.to_string()
        } else {
            format!("{} · also {}", c.what, aliases.join(" "))
        }
    };
    lines.extend(
        COMMANDS
            .iter()
            .filter(|c| c.arg.is_some())
            .map(|c| entry(label(c), what(c), width)),
    );
    // The commands that take nothing share one line.
    let bare: Vec<&crate::keys::CommandSpec> =
        COMMANDS.iter().filter(|c| c.arg.is_none()).collect();
    if !bare.is_empty() {
        lines.push(entry(
            bare.iter().map(|c| label(c)).collect::<Vec<_>>().join(" "),
            bare.iter().map(|c| what(c)).collect::<Vec<_>>().join("; "),
            width,
        ));
    }
    lines
}

/// What the help says besides the keys and commands, when there is room.
fn notes() -> Vec<Line<'static>> {
    let reasons: Vec<&str> = crate::model::RevocationReason::ALL
        .iter()
        .map(|(word, _)| *word)
        .collect();
    let mut lines = vec![Line::styled(format!("why: {}", reasons.join(" ")), dim())];
    lines.push(Line::styled(
        "In an input line, Backspace deletes, Enter submits, Esc cancels.",
        dim(),
    ));
    lines.push(Line::styled(
        "Chain state is shown only proven against the genesis validators;",
        dim(),
    ));
    lines.push(Line::styled(
        "node telemetry is each node's own word, and labelled so.",
        dim(),
    ));
    lines
}
