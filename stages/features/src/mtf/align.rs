//! Causal alignment of higher-timeframe bars onto base bars.
//!
//! Bars are stamped at their **open**. A base bar's information is known when it closes,
//! at `ts + base`; a higher-timeframe bar is complete when its bucket closes, at
//! `min(open + tf, close of the trading day)`. A higher bar therefore reaches base row `i`
//! only when both hold:
//!
//! - it has closed by the time row `i` closes (`close_j <= ts_i + base`), and
//! - every base row it aggregates is at or before row `i` (`last_j <= i`).
//!
//! The first condition is the real-time rule (a 15-minute bar is known at the close of the
//! 1-minute bar that ends its bucket, not before, even when the bucket's last minutes are
//! missing from the data); the second makes the rule hold for bars with irregular
//! timestamps too. Both are monotone in `j`, so one sweep aligns a whole column.

use mlfactory_market::calendar::Clock;
use mlfactory_market::resample::{Buckets, Timeframe};

/// Minutes from a trading day's open (17:00) to its close (16:00 the next day).
const TRADING_DAY_MINUTES: i64 = 23 * 60;
const NS_PER_MIN: i64 = 60_000_000_000;

/// When each higher-timeframe bar of `buckets` is complete: the end of its bucket, cut at
/// the close of its trading day, and never before its last base bar has closed.
pub(crate) fn close_times(base_ts: &[i64], base: Timeframe, buckets: &Buckets, tf: Timeframe, clock: &Clock) -> Vec<i64> {
    buckets
        .open_ts
        .iter()
        .zip(&buckets.last)
        .map(|(&open, &last)| {
            let day_close = clock.day_open_ns(open) + TRADING_DAY_MINUTES * NS_PER_MIN;
            let bucket_end = if tf.is_daily() { day_close } else { (open + tf.nanos()).min(day_close) };
            bucket_end.max(base_ts[last] + base.nanos())
        })
        .collect()
}

/// For each base row, the index of the most recent higher bar visible at its close (see
/// the module docs), or `None` before the first one has closed.
///
/// `close` and `last` are the higher bars' close times and last base rows, both
/// increasing.
pub(crate) fn visible(base_ts: &[i64], base: Timeframe, close: &[i64], last: &[usize]) -> Vec<Option<usize>> {
    debug_assert_eq!(close.len(), last.len());
    let mut out = Vec::with_capacity(base_ts.len());
    let mut next = 0usize;
    for (i, &t) in base_ts.iter().enumerate() {
        let known = t + base.nanos();
        while next < close.len() && close[next] <= known && last[next] <= i {
            next += 1;
        }
        out.push(next.checked_sub(1));
    }
    out
}

/// The identity alignment: every base row sees itself (the base timeframe).
pub(crate) fn identity(rows: usize) -> Vec<Option<usize>> {
    (0..rows).map(Some).collect()
}

/// A higher-timeframe column spread onto base rows; NaN where nothing is visible yet.
pub(crate) fn gather(values: &[f64], map: &[Option<usize>]) -> Vec<f64> {
    map.iter().map(|j| j.map_or(f64::NAN, |j| values[j])).collect()
}

/// Like [`gather`], `lag` higher bars further back (lag 0 is the most recent visible).
pub(crate) fn gather_lagged(values: &[f64], map: &[Option<usize>], lag: usize) -> Vec<f64> {
    map.iter().map(|j| j.and_then(|j| j.checked_sub(lag)).map_or(f64::NAN, |j| values[j])).collect()
}

#[cfg(test)]
mod tests {
    use mlfactory_market::Calendar;
    use mlfactory_market::resample::buckets;
    use rstest::rstest;

    use super::*;

    const MIN: i64 = NS_PER_MIN;

    /// One-minute timestamps from local `(h, m)` on Monday 2024-03-11, `n` of them, with
    /// the minutes in `skip` (offsets from the start) missing and the daily break removed.
    fn minutes(h: u32, m: u32, n: i64, skip: &[i64]) -> Vec<i64> {
        let cal = Calendar::cme();
        let clock = cal.clock();
        let start = cal.utc_ns(2024, 3, 11, h, m).unwrap();
        (0..n).filter(|k| !skip.contains(k)).map(|k| start + k * MIN).filter(|&t| clock.is_open(t)).collect()
    }

    fn align(ts: &[i64], base: i64, tf: i64) -> Vec<Option<usize>> {
        let clock = Calendar::cme().clock();
        let (base, tf) = (Timeframe::minutes(base), Timeframe::minutes(tf));
        let b = buckets(ts, tf, &clock).unwrap();
        let close = close_times(ts, base, &b, tf, &clock);
        visible(ts, base, &close, &b.last)
    }

    #[rstest]
    // 10:00..10:14, 5m buckets: bucket 0 (rows 0-4) is known at the close of row 4 (10:05).
    #[case(10, 0, 15, &[], 5, vec![None, None, None, None, Some(0), Some(0), Some(0), Some(0), Some(0), Some(1), Some(1), Some(1), Some(1), Some(1), Some(2)])]
    // Starting mid-bucket (10:02): the partial first bucket still closes at 10:05.
    #[case(10, 2, 6, &[], 5, vec![None, None, Some(0), Some(0), Some(0), Some(0)])]
    // 10:04 missing: bucket 0 ends with 10:03 (known 10:04) but closes at 10:05, so the
    // first row to see it is 10:05 (known 10:06).
    #[case(10, 0, 8, &[4], 5, vec![None, None, None, None, Some(0), Some(0), Some(0)])]
    // 45m ladder at the end of the day: 15:30 bucket is cut by the 16:00 close, so 15:59
    // sees it; the next day's first bucket (17:00) is unseen until 17:44 closes.
    #[case(15, 40, 85, &[], 45, [vec![None; 19], vec![Some(0); 6]].concat())]
    fn higher_bars_reach_a_base_bar_only_once_closed(
        #[case] h: u32,
        #[case] m: u32,
        #[case] n: i64,
        #[case] skip: &[i64],
        #[case] tf: i64,
        #[case] want: Vec<Option<usize>>,
    ) {
        let ts = minutes(h, m, n, skip);
        assert_eq!(ts.len(), want.len());
        assert_eq!(align(&ts, 1, tf), want);
    }

    #[test]
    fn daily_bars_close_at_the_session_close() {
        // Monday 15:58 .. Tuesday 17:01 local, every minute the market is open.
        let cal = Calendar::cme();
        let clock = cal.clock();
        let start = cal.utc_ns(2024, 3, 11, 15, 58).unwrap();
        let ts: Vec<i64> = (0..(25 * 60 + 4)).map(|k| start + k * MIN).filter(|&t| clock.is_open(t)).collect();
        let got = align(&ts, 1, 1440);
        assert_eq!(&got[..2], &[None, Some(0)], "Monday's day closes with the 15:59 bar");
        let tuesday_last = ts.iter().position(|&t| t == cal.utc_ns(2024, 3, 12, 15, 59).unwrap()).unwrap();
        assert_eq!(got[tuesday_last - 1], Some(0));
        assert_eq!(got[tuesday_last], Some(1), "Tuesday's bar is known when its last minute closes");
        assert_eq!(got.last().copied().flatten(), Some(1));
    }

    #[test]
    fn five_minute_base_with_an_hourly_ladder() {
        let cal = Calendar::cme();
        let start = cal.utc_ns(2024, 3, 11, 9, 0).unwrap();
        let ts: Vec<i64> = (0..24).map(|k| start + k * 5 * MIN).collect();
        let got = align(&ts, 5, 60);
        // 09:55 (row 11) closes at 10:00, with the 09:00 hour.
        assert!(got[..11].iter().all(Option::is_none));
        assert!(got[11..23].iter().all(|v| *v == Some(0)));
        assert_eq!(got[23], Some(1));
    }

    #[test]
    fn irregular_stamps_never_see_a_bar_holding_later_rows() {
        // Seconds-off stamps: 10:04:30 belongs to bucket 10:00 and is after 10:04:00, so
        // the 10:04:00 row must not see bucket 0 even though 10:04 + 1m >= 10:05.
        let base = minutes(10, 0, 6, &[]);
        let ts = vec![base[0], base[4], base[4] + 30_000_000_000, base[5]];
        let got = align(&ts, 1, 5);
        assert_eq!(got, vec![None, None, Some(0), Some(0)]);
    }

    #[test]
    fn gather_spreads_and_lags() {
        let map = vec![None, Some(0), Some(0), Some(1), Some(2)];
        let v = [10.0, 20.0, 30.0];
        let g = gather(&v, &map);
        assert!(g[0].is_nan());
        assert_eq!(&g[1..], &[10.0, 10.0, 20.0, 30.0]);
        let l = gather_lagged(&v, &map, 1);
        assert!(l[..3].iter().all(|x| x.is_nan()));
        assert_eq!(&l[3..], &[10.0, 20.0]);
        assert_eq!(identity(3), vec![Some(0), Some(1), Some(2)]);
    }
}
