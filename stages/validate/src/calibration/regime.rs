//! The bucket of each event: its CME session and its volatility regime.
//!
//! Volatility at an event is the standard deviation (ddof = 1) of the last `window`
//! one-bar log returns of the close, ending at the last bar whose open time is at or
//! before the event (causal: bars after the event never count). Regimes are quantile
//! bands of that volatility whose cut points come from the **fitting** rows only, so
//! test rows never shape them.

use mlfactory_market::{Calendar, Session};

/// Rolling volatility per bar (std of the `window` log returns ending at the bar): NaN
/// until `window` returns exist.
pub fn rolling_vol(close: &[f64], window: usize) -> Vec<f64> {
    let r: Vec<f64> = close.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    (0..close.len()).map(|i| if i >= window && window > 1 { crate::stats::moments::std_dev(&r[i - window..i], 1) } else { f64::NAN }).collect()
}

/// For each event time, the index of the last bar at or before it (`None` before the first bar).
pub fn asof(bar_ts: &[i64], events: &[i64]) -> Vec<Option<usize>> {
    events.iter().map(|&t| bar_ts.partition_point(|&b| b <= t).checked_sub(1)).collect()
}

/// Quantile cut points splitting `values` (finite ones) into `regimes` equal-count bands
/// (linear interpolation, as numpy's default).
pub fn cut_points(values: &[f64], regimes: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    (1..regimes)
        .map(|k| {
            let pos = k as f64 / regimes as f64 * (v.len() - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
        })
        .collect()
}

/// The regime of `vol` given cut points (0 = calmest); NaN volatility is regime 0.
pub fn regime_of(vol: f64, cuts: &[f64]) -> usize {
    cuts.iter().filter(|&&c| vol > c).count()
}

/// Names of `regimes` regimes: `low, high` / `low, mid, high` / `q1..qN`.
pub fn regime_names(regimes: usize) -> Vec<String> {
    match regimes {
        1 => vec!["all".to_owned()],
        2 => vec!["low".to_owned(), "high".to_owned()],
        3 => vec!["low".to_owned(), "mid".to_owned(), "high".to_owned()],
        n => (1..=n).map(|k| format!("q{k}")).collect(),
    }
}

/// The session name of each event time (`closed` outside Globex hours).
pub fn sessions(ts: &[i64]) -> Vec<&'static str> {
    let clock = Calendar::cme().clock();
    ts.iter().map(|&t| clock.session(t)).map(Session::name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_vol_is_causal_and_exact() {
        let close: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i % 7) - f64::from(i % 3)).collect();
        let v = rolling_vol(&close, 5);
        assert!(v[..5].iter().all(|x| x.is_nan()));
        let r: Vec<f64> = close.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        for i in 5..40 {
            let want = crate::stats::moments::std_dev(&r[i - 5..i], 1);
            assert!((v[i] - want).abs() < 1e-14, "{i}");
        }
        // Changing later bars never changes earlier values.
        let mut later = close.clone();
        later[30] = 500.0;
        let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&rolling_vol(&later, 5)[..30]), bits(&v[..30]));
    }

    #[test]
    fn buckets() {
        assert_eq!(asof(&[10, 20, 30], &[5, 10, 25, 99]), [None, Some(0), Some(1), Some(2)]);
        let cuts = cut_points(&[1.0, 2.0, 3.0, 4.0, f64::NAN], 2);
        assert_eq!(cuts, [2.5]);
        assert_eq!((regime_of(2.0, &cuts), regime_of(3.0, &cuts)), (0, 1));
        assert_eq!(regime_names(3), ["low", "mid", "high"]);
    }
}
