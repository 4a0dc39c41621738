//! Parsing timestamps from files into UTC nanoseconds.
//!
//! Text timestamps: ISO-8601 / RFC 3339 (`2024-01-02T08:30:00Z`, `2024-01-02 08:30:00.123`,
//! `2024-01-02T08:30:00-06:00`, a date alone), integers since the Unix epoch (unit given
//! or guessed from the magnitude), or any chrono `strftime` format. A timestamp without
//! an offset is a wall-clock time in the file's time zone (`timezone`), converted with
//! daylight saving; an ambiguous time (the repeated hour in autumn) takes the earlier
//! instant, a time that does not exist (the skipped hour in spring) is an error.

use std::cell::Cell;

use chrono::{NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

const NS_PER_SEC: i64 = 1_000_000_000;

/// Unit of integer timestamps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TsUnit {
    /// Guess from the magnitude (seconds below 1e11, milliseconds below 1e14, microseconds below 1e17, else nanoseconds).
    #[default]
    Auto,
    S,
    Ms,
    Us,
    Ns,
}

impl TsUnit {
    /// Nanoseconds per unit of `value` (guessing for `Auto`).
    pub fn nanos(self, value: i64) -> i64 {
        match self {
            Self::S => NS_PER_SEC,
            Self::Ms => 1_000_000,
            Self::Us => 1_000,
            Self::Ns => 1,
            Self::Auto => match value.unsigned_abs() {
                v if v < 100_000_000_000 => NS_PER_SEC,
                v if v < 100_000_000_000_000 => 1_000_000,
                v if v < 100_000_000_000_000_000 => 1_000,
                _ => 1,
            },
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Converts wall-clock times in one time zone to UTC, caching the offset per local hour.
#[derive(Debug)]
pub struct LocalToUtc {
    tz: Option<Tz>,
    hour: Cell<i64>,
    offset_ns: Cell<i64>,
}

impl LocalToUtc {
    /// `name` is an IANA zone (`America/Chicago`) or `UTC`.
    pub fn new(name: &str) -> Result<Self, String> {
        let tz = if name.eq_ignore_ascii_case("utc") || name == "Z" {
            None
        } else {
            Some(name.parse::<Tz>().map_err(|_| format!("`{name}` is not an IANA time zone (e.g. UTC, America/Chicago, Europe/London)"))?)
        };
        Ok(Self { tz, hour: Cell::new(i64::MIN), offset_ns: Cell::new(0) })
    }

    /// UTC nanoseconds of a local wall-clock time given as nanoseconds since the local epoch.
    pub fn to_utc(&self, local_ns: i64) -> Result<i64, String> {
        let Some(tz) = self.tz else { return Ok(local_ns) };
        let hour = local_ns.div_euclid(3600 * NS_PER_SEC);
        if hour != self.hour.get() {
            let naive = chrono::DateTime::from_timestamp_nanos(local_ns).naive_utc();
            let offset = match tz.offset_from_local_datetime(&naive) {
                chrono::LocalResult::Single(o) | chrono::LocalResult::Ambiguous(o, _) => o.fix().local_minus_utc(),
                chrono::LocalResult::None => return Err(format!("{naive} does not exist in {tz} (skipped by the daylight-saving change)")),
            };
            // An hour straddling a change (rare) is not cached.
            let end = chrono::DateTime::from_timestamp_nanos(local_ns - local_ns.rem_euclid(3600 * NS_PER_SEC) + 3599 * NS_PER_SEC).naive_utc();
            let stable = matches!(tz.offset_from_local_datetime(&end), chrono::LocalResult::Single(o) if o.fix().local_minus_utc() == offset);
            if !stable {
                return Ok(local_ns - i64::from(offset) * NS_PER_SEC);
            }
            self.offset_ns.set(i64::from(offset) * NS_PER_SEC);
            self.hour.set(hour);
        }
        Ok(local_ns - self.offset_ns.get())
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
}

/// A parsed text timestamp: nanoseconds since the epoch of its own clock, and the UTC
/// offset it carried, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub ns: i64,
    pub offset_ns: Option<i64>,
}

/// Parses ISO-8601-like text: `YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]]][Z|(+|-)HH[:]MM| UTC]`.
pub fn parse_iso(s: &str) -> Option<Parsed> {
    let b = s.trim().as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ns = days_from_civil(y, m, d) * 86_400 * NS_PER_SEC;
    let mut rest = &b[10..];
    if !rest.is_empty() {
        if rest[0] != b'T' && rest[0] != b' ' || rest.len() < 6 || rest[3] != b':' {
            return None;
        }
        let (h, mi) = (digits(&rest[1..3])?, digits(&rest[4..6])?);
        if h > 23 || mi > 59 {
            return None;
        }
        ns += (h * 3600 + mi * 60) * NS_PER_SEC;
        rest = &rest[6..];
        if rest.first() == Some(&b':') {
            let sec = digits(rest.get(1..3)?)?;
            if sec > 60 {
                return None;
            }
            ns += sec * NS_PER_SEC;
            rest = &rest[3..];
            if rest.first() == Some(&b'.') {
                let frac_len = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if frac_len == 0 || frac_len > 9 {
                    return None;
                }
                let frac = digits(&rest[1..=frac_len])?;
                ns += frac * 10i64.pow(9 - frac_len as u32);
                rest = &rest[1 + frac_len..];
            }
        }
    }
    let offset_ns = match rest {
        [] => None,
        b"Z" | b" UTC" | b"UTC" | b" Z" => Some(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, mi) = match tail {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            let off = (h * 3600 + mi * 60) * NS_PER_SEC;
            Some(if *sign == b'-' { -off } else { off })
        }
        _ => return None,
    };
    Some(Parsed { ns, offset_ns })
}

/// Parses a timestamp with a chrono format (`%d/%m/%Y %H:%M`); an offset in the
/// format (`%z`) is honoured.
pub fn parse_with_format(s: &str, format: &str) -> Option<Parsed> {
    if let Ok(dt) = chrono::DateTime::parse_from_str(s.trim(), format) {
        return Some(Parsed { ns: dt.naive_local().and_utc().timestamp_nanos_opt()?, offset_ns: Some(i64::from(dt.offset().local_minus_utc()) * NS_PER_SEC) });
    }
    let naive = NaiveDateTime::parse_from_str(s.trim(), format)
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(s.trim(), format).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    Some(Parsed { ns: naive.and_utc().timestamp_nanos_opt()?, offset_ns: None })
}

/// Everything needed to turn text or numbers from one file into UTC nanoseconds.
#[derive(Debug)]
pub struct TsParser {
    pub zone: LocalToUtc,
    pub unit: TsUnit,
    pub format: Option<String>,
}

impl TsParser {
    /// A local wall-clock time (ns since the local epoch) or an offset time to UTC.
    pub fn resolve(&self, p: Parsed) -> Result<i64, String> {
        match p.offset_ns {
            Some(off) => Ok(p.ns - off),
            None => self.zone.to_utc(p.ns),
        }
    }

    /// Parses one text field.
    pub fn parse_text(&self, s: &str) -> Result<i64, String> {
        let t = s.trim();
        if let Some(f) = &self.format {
            let p = parse_with_format(t, f).ok_or_else(|| format!("`{t}` does not match `ts_format` `{f}`"))?;
            return self.resolve(p);
        }
        if let Ok(v) = t.parse::<i64>() {
            return Ok(v.saturating_mul(self.unit.nanos(v)));
        }
        if let Ok(v) = t.parse::<f64>()
            && v.is_finite()
            && t.contains('.')
            && !t.contains('-')
        {
            let per = self.unit.nanos(v as i64) as f64;
            return Ok((v * per).round() as i64);
        }
        let p = parse_iso(t)
            .ok_or_else(|| format!("`{t}` is not a timestamp (ISO-8601 like 2024-01-02 08:30:00, or epoch seconds; set `ts_format` for others)"))?;
        self.resolve(p)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("2024-01-02T08:30:00Z", 1_704_184_200_000_000_000)]
    #[case("2024-01-02 08:30:00", 1_704_184_200_000_000_000)]
    #[case("2024-01-02 08:30", 1_704_184_200_000_000_000)]
    #[case("2024-01-02T02:30:00-06:00", 1_704_184_200_000_000_000)]
    #[case("2024-01-02T14:30:00+0600", 1_704_184_200_000_000_000)]
    #[case("2015-01-01 23:00:23.723", 1_420_153_223_723_000_000)]
    #[case("2024-01-02", 1_704_153_600_000_000_000)]
    #[case("1704184200", 1_704_184_200_000_000_000)]
    #[case("1704184200000", 1_704_184_200_000_000_000)]
    #[case("1704184200.5", 1_704_184_200_500_000_000)]
    fn parses_in_utc(#[case] text: &str, #[case] want: i64) {
        let p = TsParser { zone: LocalToUtc::new("UTC").unwrap(), unit: TsUnit::Auto, format: None };
        assert_eq!(p.parse_text(text).unwrap(), want, "{text}");
    }

    #[test]
    fn local_times_follow_daylight_saving() {
        let p = TsParser { zone: LocalToUtc::new("America/Chicago").unwrap(), unit: TsUnit::Auto, format: None };
        // CST (UTC-6) in January, CDT (UTC-5) in July.
        assert_eq!(p.parse_text("2024-01-02 08:30").unwrap(), p.parse_text("2024-01-02T14:30Z").unwrap());
        assert_eq!(p.parse_text("2024-07-02 08:30").unwrap(), p.parse_text("2024-07-02T13:30Z").unwrap());
        // 02:30 on 2024-03-10 does not exist in Chicago.
        assert!(p.parse_text("2024-03-10 02:30").unwrap_err().contains("does not exist"));
        // 01:30 on 2024-11-03 happens twice: the earlier (CDT) is taken.
        assert_eq!(p.parse_text("2024-11-03 01:30").unwrap(), p.parse_text("2024-11-03T06:30Z").unwrap());
        assert!(LocalToUtc::new("Mars/Base").is_err());
    }

    #[test]
    fn bad_text_and_formats() {
        let p = TsParser { zone: LocalToUtc::new("UTC").unwrap(), unit: TsUnit::Auto, format: None };
        for bad in ["", "2024-13-01", "2024-01-02X08:30", "yesterday", "2024-01-02 25:00", "2024-01-02 08:30:00.1234567890"] {
            assert!(p.parse_text(bad).is_err(), "{bad}");
        }
        let f = TsParser { zone: LocalToUtc::new("UTC").unwrap(), unit: TsUnit::Auto, format: Some("%d/%m/%Y %H:%M".into()) };
        assert_eq!(f.parse_text("02/01/2024 08:30").unwrap(), 1_704_184_200_000_000_000);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
