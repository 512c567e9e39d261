//! A block opened from the chain view's list: its transactions by kind, and whether its own
//! finality certificate proves it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{bad, bold, dim, fmt, good, unproven, warn};
use crate::model::{BlockFacts, Lookup};

pub(super) fn draw(
    frame: &mut Frame,
    area: Rect,
    lookup: &Lookup<BlockFacts>,
    picked: usize,
    now_ms: i64,
) {
    let (title, lines) = match lookup {
        Lookup::Proven {
            answer: crate::model::ProvenAt {
                value: Some(block), ..
            },
            ..
        } => (
            format!(" block {} ", block.height),
            facts(
                block,
                picked,
                now_ms,
                usize::from(area.width.saturating_sub(8).min(96)),
            ),
        ),
        Lookup::Proven { query, .. } => (
            format!(" block {query} "),
            vec![Line::styled("the node has no such block", bad())],
        ),
        other => (
            " block ".to_owned(),
            unproven(other, "reading block", "no block opened"),
        ),
    };
    let width = area.width.saturating_sub(4).min(100);
    let height = area.height.saturating_sub(2).min(28);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    let block = Block::bordered()
        .title(Line::styled(title, bold()))
        .title_bottom(
            Line::from(" j/k pick · Enter resolves its DID · Esc closes ").right_aligned(),
        )
        .padding(ratatui::widgets::Padding::horizontal(1));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}

/// The block's lines, each transaction on one line of `width` columns.
fn facts(block: &BlockFacts, picked: usize, now_ms: i64, width: usize) -> Vec<Line<'static>> {
    let proof = if block.certified {
        Span::styled(
            "final: its certificate checks against the genesis validators",
            good(),
        )
    } else {
        Span::styled(
            "final as an ancestor of a later block: the node's word (no certificate of its own)",
            warn(),
        )
    };
    let kinds = block.kinds();
    let summary = if kinds.is_empty() {
        "no transactions".to_owned()
    } else {
        kinds
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = vec![
        Line::from(proof),
        Line::from(format!(
            "time {} ({} ago)",
            fmt::utc(block.time_ms),
            fmt::age(now_ms, block.time_ms)
        )),
        Line::from(vec![
            Span::styled(
                format!("{} transactions: ", block.transactions.len()),
                bold(),
            ),
            Span::raw(summary),
        ]),
    ];
    if let Some(at) = block.looked_for {
        lines.push(Line::styled(
            format!("the transaction looked for is #{at}, marked ▶"),
            bold(),
        ));
    }
    for (i, (kind, hash)) in block.transactions.iter().enumerate() {
        let mark = if block.looked_for == Some(i) {
            "▶"
        } else {
            " "
        };
        // The picked transaction shows the DID it is about; the others their hash.
        let shown = match block.dids.get(i).cloned().flatten() {
            Some(did) if i == picked => did,
            _ => hash.clone(),
        };
        let shown = fmt::clip(&shown, width.saturating_sub(18));
        let line = Line::from(vec![
            Span::styled(format!("{mark} {kind:<15} "), dim()),
            if block.looked_for == Some(i) {
                Span::styled(shown, bold())
            } else {
                Span::raw(shown)
            },
        ]);
        lines.push(if i == picked {
            line.patch_style(super::selected())
        } else {
            line
        });
    }
    lines
}
