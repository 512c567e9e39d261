//! Line charts of benchmark figures over time, as SVG: a report that any browser or
//! Markdown viewer shows, with no plotting library and no fonts to ship.

use std::fmt::Write as _;

/// One line of a chart: its name in the legend and its (x, y) points.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 48.0;
/// Told apart in colour and, for colour-blind readers, by dash.
const STYLES: [(&str, &str); 6] = [
    ("#1f77b4", ""),
    ("#d62728", "6 3"),
    ("#2ca02c", "2 2"),
    ("#9467bd", "8 3 2 3"),
    ("#ff7f0e", "4 4"),
    ("#17becf", "1 3"),
];

/// A chart of `lines` from x = 0, y = 0 up to their largest values.
pub fn chart(title: &str, x_label: &str, y_label: &str, lines: &[Line]) -> String {
    let max_x = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .fold(0.0, f64::max);
    let max_y = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let (x_top, x_step) = axis(max_x);
    let (y_top, y_step) = axis(max_y);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x_at = |x: f64| LEFT + x / x_top * plot_w;
    let y_at = |y: f64| TOP + plot_h - y / y_top * plot_h;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{LEFT}" y="20" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let mut tick = 0.0;
    while tick <= y_top + y_step / 2.0 {
        let y = y_at(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            label(tick)
        );
        tick += y_step;
    }
    let mut tick = 0.0;
    while tick <= x_top + x_step / 2.0 {
        let x = x_at(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#888"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 5.0,
            TOP + plot_h + 18.0,
            label(tick)
        );
        tick += x_step;
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0,
        escape(x_label),
        TOP + plot_h / 2.0,
        escape(y_label)
    );
    for (i, line) in lines.iter().enumerate() {
        let (colour, dash) = STYLES[i % STYLES.len()];
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", x_at(x), y_at(y)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="1.8" stroke-dasharray="{dash}" points="{}"/>"#,
            points.join(" ")
        );
        let y = TOP + 10.0 + i as f64 * 18.0;
        let x = LEFT + plot_w + 12.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="1.8" stroke-dasharray="{dash}"/><text x="{}" y="{}">{}</text>"#,
            x + 24.0,
            x + 30.0,
            y + 4.0,
            escape(&line.name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The top of an axis that holds `max`, and its step: 1, 2 or 5 times a power of ten, in
/// four to ten steps.
fn axis(max: f64) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 {
        return (1.0, 0.25);
    }
    let rough = max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| max / s <= 8.0)
        .unwrap_or(10.0 * power);
    ((max / step).ceil() * step, step)
}

/// A tick's label: thousands as "k", no needless decimals.
fn label(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{}k", v / 1000.0)
    } else if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_a_round_step_above_the_largest_value() {
        assert_eq!(axis(4_134.0), (5_000.0, 1_000.0));
        assert_eq!(axis(17_989.0), (20_000.0, 5_000.0));
        assert_eq!(axis(0.867), (1.0, 0.2));
        assert_eq!(axis(60.0), (60.0, 10.0));
        assert_eq!(axis(0.0), (1.0, 0.25));
    }

    #[test]
    fn a_chart_draws_each_line_with_its_legend_and_escapes_text() {
        let svg = chart(
            "writes <per second>",
            "seconds",
            "per second",
            &[
                Line {
                    name: "run 1".into(),
                    points: vec![(1.0, 4_000.0), (2.0, 5_000.0)],
                },
                Line {
                    name: "run 2 & more".into(),
                    points: vec![(1.0, 3_000.0)],
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("writes &lt;per second&gt;") && svg.contains("run 2 &amp; more"));
        // The largest value sits on the top gridline: y = TOP.
        assert!(svg.contains(&format!("{:.1},{:.1}", LEFT + (WIDTH - LEFT - RIGHT), TOP)));
    }
}
