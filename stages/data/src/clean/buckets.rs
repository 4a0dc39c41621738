//! Bucketing bar timestamps into output bars, anchored to the session or to the epoch.
//!
//! With the session anchor a bucket starts at the start of the session window the bar
//! belongs to (17:00 for the whole trading day, 08:30 for RTH, each custom window's
//! start) plus a whole number of bar lengths, and never spans the end of its window: the
//! daily break and the weekend always end a bar, and a window's last bar may be shorter
//! (45-minute bars of a trading day end 15:30-16:00). `1d` makes one bar per window
//! instance. With the epoch anchor, buckets are `floor(ts / length)` in UTC, as pandas'
//! `resample(origin="epoch")` and polars' `group_by_dynamic` make them (no break
//! splitting; `1d` is the UTC calendar day).

use mlfactory_engine::StageError;
use mlfactory_market::calendar::Clock;
use mlfactory_market::resample::{Buckets, Timeframe};

use super::session::Windows;

const NS_PER_MIN: i64 = 60_000_000_000;

/// Where buckets start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Session,
    Epoch,
}

/// Groups strictly increasing timestamps into buckets. `windows` places each timestamp in
/// its session window (only used with [`Anchor::Session`]); every timestamp must lie in one.
pub fn buckets(ts: &[i64], tf: Timeframe, anchor: Anchor, windows: &Windows, clock: &Clock) -> Result<Buckets, StageError> {
    let mut out = Buckets { first: Vec::new(), last: Vec::new(), open_ts: Vec::new() };
    let len = tf.nanos();
    let mut current = i64::MIN;
    for (i, &t) in ts.iter().enumerate() {
        if i > 0 && t <= ts[i - 1] {
            return Err(StageError::data_hint(
                format!("`ts` is not strictly increasing at row {i} ({} after {})", t, ts[i - 1]),
                "run the bars through `data.ingest` with `rules.unsorted` and `rules.duplicate` set to `drop` or `repair` first",
            ));
        }
        let start = match anchor {
            Anchor::Epoch => t.div_euclid(len) * len,
            Anchor::Session => {
                let local_min = (t + clock.offset_ns(t)).div_euclid(NS_PER_MIN);
                let window_start_min = windows.start_of(local_min.rem_euclid(1440));
                let into = (local_min.rem_euclid(1440) - window_start_min).rem_euclid(1440);
                let window_start = (local_min - into) * NS_PER_MIN - clock.offset_ns(t);
                if tf.is_daily() { window_start } else { window_start + (t - window_start) / len * len }
            }
        };
        if start != current {
            if current != i64::MIN {
                out.last.push(i - 1);
            }
            out.first.push(i);
            out.open_ts.push(start);
            current = start;
        }
    }
    if !ts.is_empty() {
        out.last.push(ts.len() - 1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use mlfactory_market::Calendar;

    use super::*;
    use crate::clean::session::SessionFilter;

    #[test]
    fn session_anchor_never_spans_the_break_and_rth_anchors_at_the_open() {
        let cal = Calendar::cme();
        let clock = cal.clock();
        let start = cal.utc_ns(2024, 3, 11, 15, 50).unwrap();
        let ts: Vec<i64> = (0..80).map(|m| start + m * NS_PER_MIN).filter(|&t| clock.is_open(t)).collect();
        let all = Windows::of(SessionFilter::All, &[]).unwrap();
        let b = buckets(&ts, Timeframe::minutes(15), Anchor::Session, &all, &clock).unwrap();
        assert_eq!(b.open_ts, vec![cal.utc_ns(2024, 3, 11, 15, 45).unwrap(), cal.utc_ns(2024, 3, 11, 17, 0).unwrap()]);
        // 45-minute ladder from 17:00: the trading day's last bar is 15:30-16:00.
        let b45 = buckets(&ts, Timeframe::minutes(45), Anchor::Session, &all, &clock).unwrap();
        assert_eq!(b45.open_ts[0], cal.utc_ns(2024, 3, 11, 15, 30).unwrap());
        let rth = Windows::of(SessionFilter::Rth, &[]).unwrap();
        let open = cal.utc_ns(2024, 3, 12, 8, 30).unwrap();
        let rth_ts: Vec<i64> = (0..120).map(|m| open + m * NS_PER_MIN).collect();
        let h = buckets(&rth_ts, Timeframe::minutes(60), Anchor::Session, &rth, &clock).unwrap();
        assert_eq!(h.open_ts, vec![open, open + 60 * NS_PER_MIN]);
        let d = buckets(&rth_ts, Timeframe::DAY, Anchor::Session, &rth, &clock).unwrap();
        assert_eq!(d.open_ts, vec![open]);
    }

    #[test]
    fn epoch_anchor_is_utc_floor() {
        let cal = Calendar::cme();
        let clock = cal.clock();
        let all = Windows::of(SessionFilter::All, &[]).unwrap();
        let ts = [7 * NS_PER_MIN, 9 * NS_PER_MIN, 10 * NS_PER_MIN, 24 * NS_PER_MIN];
        let b = buckets(&ts, Timeframe::minutes(10), Anchor::Epoch, &all, &clock).unwrap();
        assert_eq!(b.open_ts, vec![0, 10 * NS_PER_MIN, 20 * NS_PER_MIN]);
        assert_eq!((b.first, b.last), (vec![0, 2, 3], vec![1, 2, 3]));
        assert!(buckets(&[2, 1], Timeframe::minutes(5), Anchor::Epoch, &all, &clock).is_err());
    }
}
