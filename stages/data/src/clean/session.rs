//! Session filters: which bars to keep, by their open time in exchange time.
//!
//! `all` keeps every bar (one window, the trading day from 17:00); `rth` the regular
//! trading hours 08:30-15:00; `eth` the electronic hours outside them (17:00-08:30 and
//! 15:00-16:00); `custom` the `windows` given as `HH:MM-HH:MM` (end exclusive; a window
//! may wrap past midnight, e.g. `17:00-02:00` for the Asian session).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which part of the trading day to keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionFilter {
    /// Every bar.
    #[default]
    All,
    /// Regular trading hours, 08:30-15:00 exchange time.
    Rth,
    /// Electronic trading hours: 17:00-08:30 and 15:00-16:00 exchange time.
    Eth,
    /// The `windows` param.
    Custom,
}

const DAY: i64 = 1440;
const DAY_OPEN: i64 = 17 * 60;

/// Session windows as local minutes of day, `[start, end)`; `start == end` is the whole day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Windows {
    windows: Vec<(i64, i64)>,
}

fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

impl Windows {
    /// The windows of a filter (`custom` reads `custom`, e.g. `["08:30-11:00", "13:00-15:00"]`).
    pub fn of(filter: SessionFilter, custom: &[String]) -> Result<Self, String> {
        let windows = match filter {
            SessionFilter::All => vec![(DAY_OPEN, DAY_OPEN)],
            SessionFilter::Rth => vec![(8 * 60 + 30, 15 * 60)],
            SessionFilter::Eth => vec![(DAY_OPEN, 8 * 60 + 30), (15 * 60, 16 * 60)],
            SessionFilter::Custom => {
                if custom.is_empty() {
                    return Err("`session: custom` needs `windows`, e.g. [\"08:30-11:00\"]".into());
                }
                let mut w = Vec::with_capacity(custom.len());
                for text in custom {
                    let parsed = text.split_once('-').and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)));
                    match parsed {
                        Some((a, b)) if a != b => w.push((a, b)),
                        _ => return Err(format!("`{text}` is not a window: write HH:MM-HH:MM in exchange time, e.g. 08:30-15:00")),
                    }
                }
                if let Some(m) = (0..DAY).find(|&m| w.iter().filter(|&&(a, b)| Self::inside(a, b, m)).count() > 1) {
                    return Err(format!("windows overlap at {:02}:{:02}", m / 60, m % 60));
                }
                w
            }
        };
        Ok(Self { windows })
    }

    fn inside(start: i64, end: i64, m: i64) -> bool {
        match start.cmp(&end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => (start..end).contains(&m),
            std::cmp::Ordering::Greater => m >= start || m < end,
        }
    }

    /// Whether a local minute of day is kept.
    pub fn contains(&self, minute_of_day: i64) -> bool {
        self.windows.iter().any(|&(a, b)| Self::inside(a, b, minute_of_day))
    }

    /// The start (local minute of day) of the window holding `minute_of_day`, or the
    /// trading day's 17:00 open when none holds it.
    pub fn start_of(&self, minute_of_day: i64) -> i64 {
        self.windows.iter().find(|&&(a, b)| Self::inside(a, b, minute_of_day)).map_or(DAY_OPEN, |w| w.0)
    }

    /// Whether the filter keeps the whole day.
    pub fn is_all(&self) -> bool {
        self.windows == [(DAY_OPEN, DAY_OPEN)]
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(SessionFilter::All, 16 * 60 + 30, true)]
    #[case(SessionFilter::Rth, 8 * 60 + 30, true)]
    #[case(SessionFilter::Rth, 15 * 60, false)]
    #[case(SessionFilter::Eth, 15 * 60, true)]
    #[case(SessionFilter::Eth, 2 * 60, true)]
    #[case(SessionFilter::Eth, 9 * 60, false)]
    fn filters(#[case] f: SessionFilter, #[case] minute: i64, #[case] kept: bool) {
        assert_eq!(Windows::of(f, &[]).unwrap().contains(minute), kept);
    }

    #[test]
    fn custom_windows_wrap_and_are_checked() {
        let w = Windows::of(SessionFilter::Custom, &["17:00-02:00".into(), "08:30-09:00".into()]).unwrap();
        assert!(w.contains(23 * 60) && w.contains(60) && !w.contains(3 * 60) && w.contains(8 * 60 + 45));
        assert_eq!(w.start_of(60), 17 * 60);
        assert!(Windows::of(SessionFilter::Custom, &[]).is_err());
        assert!(Windows::of(SessionFilter::Custom, &["8-9".into()]).unwrap_err().contains("HH:MM"));
        assert!(Windows::of(SessionFilter::Custom, &["08:00-10:00".into(), "09:00-11:00".into()]).unwrap_err().contains("overlap at 09:00"));
    }
}
