//! Fixed number and date formatting for the page: the same value always reads the same,
//! missing values read `–`.

use chrono::DateTime;

/// The placeholder for a missing or undefined value.
pub const MISSING: &str = "–";

/// Groups the integer digits of a formatted number by thousands (`12345.6` -> `12,345.6`).
fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `v` with `decimals` decimals and thousands separators; `–` when not finite.
pub fn num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return MISSING.to_owned();
    }
    let s = format!("{v:.decimals$}");
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') { s[1..].to_owned() } else { s };
    group_thousands(&s)
}

/// A count.
pub fn int(v: u64) -> String {
    group_thousands(&v.to_string())
}

/// A fraction as a percentage with `decimals` decimals.
pub fn pct(v: f64, decimals: usize) -> String {
    if v.is_finite() { format!("{}%", num(v * 100.0, decimals)) } else { MISSING.to_owned() }
}

/// Money with two decimals and an explicit sign for non-zero amounts.
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.to_owned();
    }
    let s = num(v, 2);
    if v > 0.0 && s != "0.00" { format!("+{s}") } else { s }
}

/// A JSON value as a number, if it is one.
pub fn json_f64(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// A UTC timestamp (ns) as `YYYY-MM-DD HH:MM`.
pub fn datetime(ts: i64) -> String {
    DateTime::from_timestamp_nanos(ts).format("%Y-%m-%d %H:%M").to_string()
}

/// A UTC timestamp (ns) as `YYYY-MM-DD`.
pub fn date(ts: i64) -> String {
    DateTime::from_timestamp_nanos(ts).format("%Y-%m-%d").to_string()
}

/// The first `n` characters of a hash.
pub fn short_hash(h: &str, n: usize) -> &str {
    h.get(..n).unwrap_or(h)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(1_234_567.891, 2, "1,234,567.89")]
    #[case(-1234.5, 1, "-1,234.5")]
    #[case(-0.0001, 2, "0.00")]
    #[case(999.0, 0, "999")]
    #[case(f64::NAN, 2, "–")]
    fn numbers(#[case] v: f64, #[case] d: usize, #[case] want: &str) {
        assert_eq!(num(v, d), want);
    }

    #[test]
    fn money_percent_and_dates() {
        assert_eq!(money(12.5), "+12.50");
        assert_eq!(money(-3.0), "-3.00");
        assert_eq!(money(0.001), "0.00");
        assert_eq!(pct(0.1234, 1), "12.3%");
        assert_eq!(int(1_000_000), "1,000,000");
        assert_eq!(datetime(1_710_253_800_000_000_000), "2024-03-12 14:30");
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(short_hash("abcdef", 4), "abcd");
    }
}
