//! Text for numbers and times, shared by the views. Times are differences from the
//! console's clock as ticked, never read here, so a drawing depends only on the state.

/// A span of time, to the second, in at most two units: `7s`, `3m05s`, `2h10m`, `4d03h`.
/// Negative spans (a clock ahead of the console's) keep their sign rather than hide it.
pub fn duration(ms: i64) -> String {
    if ms < 0 {
        return format!("-{}", duration(ms.checked_neg().unwrap_or(i64::MAX)));
    }
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// How long ago `then_ms` was, seen from `now_ms`.
pub fn age(now_ms: i64, then_ms: i64) -> String {
    duration(now_ms.saturating_sub(then_ms))
}

/// A Unix time in ms as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm), so the
/// console needs no calendar crate for one line of text.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A rate with as many decimals as a glance needs.
pub fn rate(x: f64) -> String {
    if !x.is_finite() {
        "—".into()
    } else if x.abs() < 10.0 {
        format!("{x:.2}")
    } else if x.abs() < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// An optional number, or a dash for one not known.
pub fn opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "—".into(), |v| v.to_string())
}

/// `text` cut to `width` columns, with `…` where it was cut, so a cut never passes for the
/// whole value.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    match width {
        0 => String::new(),
        _ => text.chars().take(width - 1).chain(['…']).collect(),
    }
}

/// The digits 0-9 on a 3×5 grid, one row per byte, the leftmost column in bit 2.
const FONT: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b001, 0b001, 0b001],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// `n` in digits three rows tall, drawn with half blocks (two grid rows per text row).
pub fn big_number(n: u64) -> [String; 3] {
    let digits: Vec<usize> = n
        .to_string()
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    let pixel = |digit: usize, row: usize, col: u32| -> bool {
        FONT[digit]
            .get(row)
            .is_some_and(|bits| bits & (0b100 >> col) != 0)
    };
    std::array::from_fn(|text_row| {
        let mut line = String::new();
        for (i, &digit) in digits.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            for col in 0..3 {
                let top = pixel(digit, text_row * 2, col);
                let bottom = pixel(digit, text_row * 2 + 1, col);
                line.push(match (top, bottom) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
        }
        line
    })
}

/// The width [`big_number`] draws `n` in.
pub fn big_width(n: u64) -> usize {
    n.to_string().len() * 4 - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_two_units_at_most() {
        assert_eq!(duration(999), "0s");
        assert_eq!(duration(7_000), "7s");
        assert_eq!(duration(185_000), "3m05s");
        assert_eq!(duration(7_800_000), "2h10m");
        assert_eq!(duration(356_400_000), "4d03h");
        assert_eq!(duration(-2_000), "-2s");
        assert_eq!(duration(i64::MIN), format!("-{}", duration(i64::MAX)));
    }

    #[test]
    fn utc_dates_are_gregorian() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_750_000_000_000), "2025-06-15 15:06:40 UTC");
        assert_eq!(utc(-1_000), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn clipping_marks_the_cut() {
        assert_eq!(clip("abcdef", 6), "abcdef");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abcdef", 0), "");
    }

    #[test]
    fn rates_keep_a_glanceable_precision() {
        assert_eq!(rate(0.5), "0.50");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(rate(812.4), "812");
        assert_eq!(rate(f64::NAN), "—");
    }

    #[test]
    fn big_digits_are_distinct_and_sized() {
        let all: Vec<[String; 3]> = (0..10).map(big_number).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(big_number(1042)[0].chars().count(), big_width(1042));
        assert_eq!(
            big_number(0),
            ["█▀█".to_string(), "█ █".into(), "▀▀▀".into()]
        );
    }
}
