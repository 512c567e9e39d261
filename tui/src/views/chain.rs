//! The chain view: the height and the rates with their recent history, the nodes as they
//! report themselves, the validators as the nodes see them, and the live block stream.
//!
//! At 80×24 every part keeps a place (height, the nodes, a handful of blocks); larger
//! terminals give the spare rows to the block stream and the spare columns to hashes and
//! keys, shown whole when they fit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table, TableState};

use super::{bad, bold, count_u16, dim, fmt, good, health, selected, warn};
use crate::app::{App, Tab};
use crate::model::{Link, NodeStatus};

/// Rows of a body at least this tall get the taller stats strip.
const TALL: u16 = 36;
/// Columns of a body at least this wide get the wider validators table.
const WIDE: u16 = 120;

pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let chain = app.chain();
    let tall = area.height >= TALL;
    let stats_height = if tall { 6 } else { 4 };
    // Header and borders take three rows; the nodes never take more than 2/5 of the body.
    let nodes_height = count_u16(chain.nodes.len())
        .saturating_add(3)
        .min((area.height / 5 * 2).max(5));
    let [stats_area, nodes_area, rest] = Layout::vertical([
        Constraint::Length(stats_height),
        Constraint::Length(nodes_height),
        Constraint::Fill(1),
    ])
    .areas(area);
    stats(frame, stats_area, app, tall);
    nodes(frame, nodes_area, app);
    let validators_width = if area.width >= WIDE { 64 } else { 36 }.min(rest.width / 2);
    let [validators_area, blocks_area] =
        Layout::horizontal([Constraint::Length(validators_width), Constraint::Fill(1)]).areas(rest);
    validators(frame, validators_area, app);
    blocks(frame, blocks_area, app);
}

fn stats(frame: &mut Frame, area: Rect, app: &App, tall: bool) {
    const LABEL: &str = "highest reported height";
    let chain = app.chain();
    let height = chain.height();
    let left_width = height.map_or(0, fmt::big_width).max(LABEL.len());
    let [left, bps, tps, finality] = Layout::horizontal([
        Constraint::Length(count_u16(left_width + 1)),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ])
    .spacing(2)
    .areas(area);

    let mut lines = vec![Line::styled(format!(" {LABEL}"), dim())];
    match height {
        Some(h) => lines.extend(
            fmt::big_number(h)
                .into_iter()
                .map(|row| Line::styled(format!(" {row}"), bold())),
        ),
        None => lines.push(Line::styled(" —", bold())),
    }
    if tall && let Some(h) = height {
        let at_top: Vec<&NodeStatus> = chain.nodes.iter().filter(|n| n.height == Some(h)).collect();
        if let Some(time) = at_top.iter().find_map(|n| n.block_time_ms) {
            lines.push(Line::from(format!(
                " its block time {} ago",
                fmt::age(app.now_ms(), time)
            )));
        }
        lines.push(Line::from(format!(
            " {} of {} nodes at it",
            at_top.len(),
            chain.nodes.len()
        )));
    }
    frame.render_widget(Paragraph::new(lines), left);

    let last = chain.samples.back();
    let series =
        |f: fn(&crate::model::RateSample) -> f64| chain.samples.iter().map(f).collect::<Vec<_>>();
    metric(
        frame,
        bps,
        "blocks/s",
        last.map(|s| fmt::rate(s.blocks_per_s)),
        &series(|s| s.blocks_per_s),
    );
    metric(
        frame,
        tps,
        "tx/s",
        last.map(|s| fmt::rate(s.txs_per_s)),
        &series(|s| s.txs_per_s),
    );
    metric(
        frame,
        finality,
        "finality",
        last.map(|s| format!("{} ms", fmt::rate(s.finality_ms))),
        &series(|s| s.finality_ms),
    );
}

/// A rate: its latest value, and below it a sparkline of as many recent samples as fit.
fn metric(frame: &mut Frame, area: Rect, label: &str, value: Option<String>, values: &[f64]) {
    let [head, chart] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let line = Line::from(vec![
        Span::styled(format!("{label} "), dim()),
        Span::styled(value.unwrap_or_else(|| "—".into()), bold()),
    ]);
    frame.render_widget(Paragraph::new(line), head);
    let shown = &values[values.len().saturating_sub(usize::from(chart.width))..];
    // Sparklines draw integers; thousandths keep sub-unit rates (0.5 blocks/s) visible.
    let data: Vec<u64> = shown
        .iter()
        .map(|v| {
            if v.is_finite() && *v > 0.0 {
                (v * 1000.0).round() as u64
            } else {
                0
            }
        })
        .collect();
    frame.render_widget(Sparkline::default().data(data), chart);
}

fn nodes(frame: &mut Frame, area: Rect, app: &App) {
    let chain = app.chain();
    let now = app.now_ms();
    let top = chain.height();
    let inner = usize::from(area.width.saturating_sub(2));

    struct NodeCells {
        endpoint: String,
        word: Span<'static>,
        detail: String,
        height: String,
        behind: bool,
        pool: String,
        uptime: String,
        version: String,
    }
    let cells: Vec<NodeCells> = chain
        .nodes
        .iter()
        .map(|n| {
            let (word, detail) = match &n.link {
                Link::Connecting => (Span::styled("CONNECTING", warn()), String::new()),
                Link::Up { latency_ms } => {
                    (Span::styled("UP", good()), format!(" {latency_ms} ms"))
                }
                Link::Down { since_ms, reason } => (
                    Span::styled("DOWN", bad()),
                    format!(" since {}: {reason}", fmt::age(now, *since_ms)),
                ),
            };
            let lag = match (n.height, top) {
                (Some(h), Some(t)) if h < t => Some(t - h),
                _ => None,
            };
            NodeCells {
                endpoint: n.endpoint.clone(),
                word,
                detail,
                height: match lag {
                    Some(lag) => format!("{} (-{lag})", fmt::opt(n.height)),
                    None => fmt::opt(n.height),
                },
                behind: lag.is_some(),
                pool: fmt::opt(n.pending),
                uptime: n
                    .started_at_ms
                    .map_or_else(|| "—".into(), |t| fmt::age(now, t)),
                version: fmt::clip(n.version.as_deref().unwrap_or("—"), 16),
            }
        })
        .collect();

    let width = |header: &str, column: &dyn Fn(&NodeCells) -> usize| {
        cells
            .iter()
            .map(column)
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let endpoint_w = width("node", &|c| c.endpoint.chars().count())
        .min(32)
        .min(inner / 3);
    let height_w = width("height", &|c| c.height.len());
    let pool_w = width("pool", &|c| c.pool.chars().count());
    let uptime_w = width("uptime", &|c| c.uptime.len());
    let version_w = width("version", &|c| c.version.chars().count());
    let link_w = inner.saturating_sub(endpoint_w + height_w + pool_w + uptime_w + version_w + 5);

    let rows = cells.into_iter().map(|c| {
        let detail = fmt::clip(&c.detail, link_w.saturating_sub(c.word.width()));
        let height_style = if c.behind { warn() } else { Style::new() };
        Row::new([
            Cell::from(fmt::clip(&c.endpoint, endpoint_w)),
            Cell::from(Line::from(vec![c.word, Span::raw(detail)])),
            Cell::from(Line::styled(c.height, height_style).right_aligned()),
            Cell::from(Line::from(c.pool).right_aligned()),
            Cell::from(Line::from(c.uptime).right_aligned()),
            Cell::from(c.version),
        ])
    });
    let header = Row::new([
        Cell::from("node"),
        Cell::from("link"),
        Cell::from(Line::from("height").right_aligned()),
        Cell::from(Line::from("pool").right_aligned()),
        Cell::from(Line::from("uptime").right_aligned()),
        Cell::from("version"),
    ])
    .style(bold());
    let title = if inner >= 60 {
        format!(
            " nodes ({}) · telemetry, as each node reports it ",
            chain.nodes.len()
        )
    } else {
        format!(" nodes ({}) · as reported ", chain.nodes.len())
    };
    let table = Table::new(
        rows,
        [
            Constraint::Length(count_u16(endpoint_w)),
            Constraint::Fill(1),
            Constraint::Length(count_u16(height_w)),
            Constraint::Length(count_u16(pool_w)),
            Constraint::Length(count_u16(uptime_w)),
            Constraint::Length(count_u16(version_w)),
        ],
    )
    .header(header)
    .block(Block::bordered().title(title));
    frame.render_widget(table, area);
}

fn validators(frame: &mut Frame, area: Rect, app: &App) {
    let chain = app.chain();
    let now = app.now_ms();
    let inner = usize::from(area.width.saturating_sub(2));
    let rows: Vec<[String; 4]> = chain
        .validators
        .iter()
        .map(|v| {
            [
                v.index.to_string(),
                v.key.clone(),
                fmt::opt(v.last_height),
                v.last_seen_ms
                    .map_or_else(|| "never".into(), |t| fmt::age(now, t)),
            ]
        })
        .collect();
    let width = |i: usize, header: &str| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let index_w = width(0, "#");
    let height_w = width(2, "height");
    let seen_w = width(3, "seen");
    let health_w = "BEHIND".len();
    let key_w = inner
        .saturating_sub(index_w + height_w + seen_w + health_w + 4)
        .min(width(1, "key"));
    let table_rows = rows.into_iter().zip(&chain.validators).map(|(r, v)| {
        let [index, key, height, seen] = r;
        Row::new([
            Cell::from(Line::from(index).right_aligned()),
            Cell::from(fmt::clip(&key, key_w)),
            Cell::from(Line::from(height).right_aligned()),
            Cell::from(Line::from(seen).right_aligned()),
            Cell::from(health(v.health)),
        ])
    });
    let header = Row::new([
        Cell::from(Line::from("#").right_aligned()),
        Cell::from("key"),
        Cell::from(Line::from("height").right_aligned()),
        Cell::from(Line::from("seen").right_aligned()),
        Cell::from("health"),
    ])
    .style(bold());
    let title = if inner >= 50 {
        format!(
            " validators ({}) · as the nodes report them ",
            chain.validators.len()
        )
    } else {
        format!(" validators ({}) ", chain.validators.len())
    };
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(count_u16(index_w)),
            Constraint::Length(count_u16(key_w)),
            Constraint::Length(count_u16(height_w)),
            Constraint::Length(count_u16(seen_w)),
            Constraint::Length(count_u16(health_w)),
        ],
    )
    .header(header)
    .block(Block::bordered().title(title));
    frame.render_widget(table, area);
}

fn blocks(frame: &mut Frame, area: Rect, app: &App) {
    let chain = app.chain();
    let now = app.now_ms();
    let visible = app.visible_blocks();
    let filter = app.filter(Tab::Chain);
    let title = match &chain.stream {
        None => Line::from(vec![
            Span::raw(" blocks · "),
            Span::styled("live", good()),
            Span::raw(" "),
        ]),
        Some(reason) => Line::from(vec![
            Span::raw(" blocks · "),
            Span::styled("stream DOWN", bad()),
            Span::raw(format!(": {reason} ")),
        ]),
    };
    let at = app.selected(Tab::Chain);
    let mut position = if visible.is_empty() {
        String::from(" 0")
    } else {
        format!(" {} of {}", at + 1, visible.len())
    };
    if !filter.is_empty() {
        position = format!(" /{filter} ·{position} · {} held", chain.blocks.len());
    }
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::from(format!("{position} ")).right_aligned());
    if visible.is_empty() {
        let why = if chain.blocks.is_empty() {
            "no block yet".to_string()
        } else {
            format!("no block matches /{filter}")
        };
        frame.render_widget(Paragraph::new(Line::styled(why, dim())).block(block), area);
        return;
    }

    let inner = usize::from(area.width.saturating_sub(2));
    let digits = |n: u64| n.to_string().len();
    let height_w = visible
        .iter()
        .map(|b| digits(b.height))
        .max()
        .unwrap_or(0)
        .max(6);
    let txs_w = visible
        .iter()
        .map(|b| digits(u64::from(b.tx_count)))
        .max()
        .unwrap_or(0)
        .max(3);
    let age_w = 6;
    let longest_hash = visible
        .iter()
        .map(|b| b.hash.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let hash_w = inner
        .saturating_sub(height_w + txs_w + age_w + 3)
        .min(longest_hash);
    // Spare columns, once the hashes are whole, show when each block was made.
    const TIME_W: usize = 8;
    let with_time = inner >= height_w + hash_w + txs_w + age_w + TIME_W + 4;
    let rows: Vec<Row> = visible
        .iter()
        .map(|b| {
            let mut cells = vec![
                Cell::from(Line::from(b.height.to_string()).right_aligned()),
                Cell::from(fmt::clip(&b.hash, hash_w)),
                Cell::from(Line::from(b.tx_count.to_string()).right_aligned()),
                Cell::from(Line::from(fmt::age(now, b.time_ms)).right_aligned()),
            ];
            if with_time {
                // `utc` gives "YYYY-MM-DD HH:MM:SS UTC": the clock time is the part that varies.
                cells.push(Cell::from(
                    fmt::utc(b.time_ms)
                        .get(11..19)
                        .unwrap_or_default()
                        .to_string(),
                ));
            }
            Row::new(cells)
        })
        .collect();
    let mut header = vec![
        Cell::from(Line::from("height").right_aligned()),
        Cell::from("hash"),
        Cell::from(Line::from("txs").right_aligned()),
        Cell::from(Line::from("age").right_aligned()),
    ];
    let mut widths = vec![
        Constraint::Length(count_u16(height_w)),
        Constraint::Length(count_u16(hash_w)),
        Constraint::Length(count_u16(txs_w)),
        Constraint::Length(count_u16(age_w)),
    ];
    if with_time {
        header.push(Cell::from("time UTC"));
        widths.push(Constraint::Length(count_u16(TIME_W)));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(bold()))
        .row_highlight_style(selected())
        .block(block);
    let mut state = TableState::new()
        .with_offset(app.list_offset(Tab::Chain).get())
        .with_selected(Some(at));
    frame.render_stateful_widget(table, area, &mut state);
    app.list_offset(Tab::Chain).set(state.offset());
    app.list_page(Tab::Chain)
        .set(usize::from(area.height.saturating_sub(3)).max(1));
}
