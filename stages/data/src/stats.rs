//! Stylized facts of a 1-minute bar series, to compare simulated with real markets.
//!
//! Returns are log returns of the close from one bar to the next *within a trading day*
//! (the daily break and weekends are skipped, so reopening gaps do not fatten the
//! tails). The facts: moments of 1- and 5-minute returns (the excess kurtosis measures
//! the tails), the autocorrelation of returns (near zero in real markets) and of absolute
//! returns (slowly decaying: volatility clustering), the intraday profiles of volume,
//! range and absolute return by hour of the trading day (each divided by its mean, so
//! series at different price levels compare), and daily return volatility.

use mlfactory_market::moments::Central;
use mlfactory_market::{Bars, Calendar};
use serde::Serialize;

/// Lags (in bars) at which the autocorrelation of absolute returns is reported.
pub const ABS_ACF_LAGS: [usize; 6] = [1, 5, 15, 30, 60, 120];
/// Hours in a trading day (17:00 to 16:00).
pub const HOURS: usize = 23;

/// Moments of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Moments {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub skew: f64,
    /// Excess kurtosis (0 for a normal law).
    pub excess_kurtosis: f64,
}

impl Moments {
    pub fn of(x: &[f64]) -> Self {
        let n = x.len();
        if n < 4 {
            return Self { n, mean: f64::NAN, std: f64::NAN, skew: f64::NAN, excess_kurtosis: f64::NAN };
        }
        let Central { mean, m2, m3, m4, .. } = Central::of(x);
        let std = m2.sqrt();
        if m2 == 0.0 {
            return Self { n, mean, std, skew: f64::NAN, excess_kurtosis: f64::NAN };
        }
        Self { n, mean, std, skew: m3 / (m2 * std), excess_kurtosis: m4 / (m2 * m2) - 3.0 }
    }
}

/// The stylized facts of one series.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StylizedFacts {
    pub bars: usize,
    pub trading_days: usize,
    /// 1-minute log returns within trading days.
    pub returns: Moments,
    /// 5-minute log returns (sums over 5-minute buckets of the trading day).
    pub returns_5m: Moments,
    /// Share of 1-minute returns that are exactly zero.
    pub zero_return_share: f64,
    /// Autocorrelation of 1-minute returns at lag 1.
    pub return_acf1: f64,
    /// `(lag, autocorrelation of |returns|)`.
    pub abs_acf: Vec<(usize, f64)>,
    /// Mean bar range (high - low) in ticks.
    pub mean_range_ticks: f64,
    /// Mean volume per bar (null without volume).
    pub mean_volume: f64,
    /// Mean volume by hour of the trading day (0 = 17:00) over the overall mean (null without volume).
    pub volume_profile: Vec<f64>,
    /// Mean bar range by hour of the trading day over the overall mean.
    pub range_profile: Vec<f64>,
    /// Mean |1-minute return| by hour of the trading day over the overall mean.
    pub abs_return_profile: Vec<f64>,
    /// Standard deviation of close-to-close daily log returns.
    pub daily_return_std: f64,
}

/// Pearson correlation (NaN when undefined).
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = a.iter().zip(b).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| (*x, *y)).collect();
    let n = pairs.len() as f64;
    if pairs.len() < 3 {
        return f64::NAN;
    }
    let (ma, mb) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

/// Autocorrelation at `lag` of a series split into segments (pairs never cross one).
fn segmented_acf(x: &[f64], segment: &[u32], lag: usize) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let (mut s, mut count) = (0.0, 0usize);
    for i in lag..x.len() {
        if segment[i] == segment[i - lag] {
            s += (x[i] - mean) * (x[i - lag] - mean);
            count += 1;
        }
    }
    if count == 0 || var == 0.0 { f64::NAN } else { s / count as f64 / var }
}

fn profile(sum: &[f64; HOURS], count: &[usize; HOURS]) -> Vec<f64> {
    let means: Vec<f64> = sum.iter().zip(count).map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 }).collect();
    let finite: Vec<f64> = means.iter().copied().filter(|v| v.is_finite()).collect();
    let overall = finite.iter().sum::<f64>() / finite.len() as f64;
    means.iter().map(|m| m / overall).collect()
}

impl StylizedFacts {
    /// Measures a 1-minute bar series.
    pub fn of(bars: &Bars, tick_size: f64) -> Self {
        let clock = Calendar::cme().clock();
        let n = bars.len();
        let mut day = Vec::with_capacity(n);
        let mut hour = Vec::with_capacity(n);
        for &t in &bars.ts {
            day.push(clock.trading_day(t));
            hour.push((clock.minutes_into_day(t) / 60).clamp(0, HOURS as i64 - 1) as usize);
        }
        let mut returns = Vec::with_capacity(n);
        let mut ret_day = Vec::with_capacity(n);
        let mut ret_hour = Vec::with_capacity(n);
        let mut five: Vec<f64> = Vec::new();
        let mut five_key = (i64::MIN, -1i64);
        for i in 1..n {
            if day[i] != day[i - 1] || !(bars.close[i] > 0.0 && bars.close[i - 1] > 0.0) {
                continue;
            }
            let r = (bars.close[i] / bars.close[i - 1]).ln();
            returns.push(r);
            ret_day.push(day[i] as u32);
            ret_hour.push(hour[i]);
            let key = (day[i], clock.minutes_into_day(bars.ts[i]) / 5);
            if key == five_key {
                *five.last_mut().expect("a bucket is open") += r;
            } else {
                five.push(r);
                five_key = key;
            }
        }
        let abs: Vec<f64> = returns.iter().map(|r| r.abs()).collect();
        let mut range_sum = [0.0; HOURS];
        let mut range_n = [0usize; HOURS];
        let mut vol_sum = [0.0; HOURS];
        let mut vol_n = [0usize; HOURS];
        let mut abs_sum = [0.0; HOURS];
        let mut abs_n = [0usize; HOURS];
        for i in 0..n {
            range_sum[hour[i]] += (bars.high[i] - bars.low[i]) / tick_size;
            range_n[hour[i]] += 1;
            if bars.volume[i].is_finite() {
                vol_sum[hour[i]] += bars.volume[i];
                vol_n[hour[i]] += 1;
            }
        }
        for (a, &h) in abs.iter().zip(&ret_hour) {
            abs_sum[h] += a;
            abs_n[h] += 1;
        }
        let has_volume = vol_n.iter().sum::<usize>() > 0;
        // Daily close-to-close returns.
        let mut closes: Vec<f64> = Vec::new();
        for i in 0..n {
            if i + 1 == n || day[i + 1] != day[i] {
                closes.push(bars.close[i]);
            }
        }
        let daily: Vec<f64> = closes.windows(2).filter(|w| w[0] > 0.0 && w[1] > 0.0).map(|w| (w[1] / w[0]).ln()).collect();
        Self {
            bars: n,
            trading_days: closes.len(),
            returns: Moments::of(&returns),
            returns_5m: Moments::of(&five),
            zero_return_share: returns.iter().filter(|r| **r == 0.0).count() as f64 / returns.len().max(1) as f64,
            return_acf1: segmented_acf(&returns, &ret_day, 1),
            abs_acf: ABS_ACF_LAGS.iter().map(|&l| (l, segmented_acf(&abs, &ret_day, l))).collect(),
            mean_range_ticks: bars.high.iter().zip(&bars.low).map(|(h, l)| (h - l) / tick_size).sum::<f64>() / n.max(1) as f64,
            mean_volume: if has_volume { vol_sum.iter().sum::<f64>() / vol_n.iter().sum::<usize>() as f64 } else { f64::NAN },
            volume_profile: if has_volume { profile(&vol_sum, &vol_n) } else { vec![f64::NAN; HOURS] },
            range_profile: profile(&range_sum, &range_n),
            abs_return_profile: profile(&abs_sum, &abs_n),
            daily_return_std: Moments::of(&daily).std,
        }
    }
}

/// One row of a real-vs-synthetic table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub statistic: String,
    pub real: f64,
    pub synthetic: f64,
}

/// Real and synthetic facts side by side; profiles are compared by their correlation.
pub fn compare(real: &StylizedFacts, synthetic: &StylizedFacts) -> Vec<Comparison> {
    let row = |name: &str, r: f64, s: f64| Comparison { statistic: name.to_owned(), real: r, synthetic: s };
    let mut rows = vec![
        row("1m return std", real.returns.std, synthetic.returns.std),
        row("1m return excess kurtosis", real.returns.excess_kurtosis, synthetic.returns.excess_kurtosis),
        row("1m return skew", real.returns.skew, synthetic.returns.skew),
        row("5m return excess kurtosis", real.returns_5m.excess_kurtosis, synthetic.returns_5m.excess_kurtosis),
        row("1m return autocorrelation, lag 1", real.return_acf1, synthetic.return_acf1),
    ];
    for ((lag, r), (_, s)) in real.abs_acf.iter().zip(&synthetic.abs_acf) {
        rows.push(row(&format!("|1m return| autocorrelation, lag {lag}"), *r, *s));
    }
    rows.extend([
        row("share of zero 1m returns", real.zero_return_share, synthetic.zero_return_share),
        row("mean 1m range, ticks", real.mean_range_ticks, synthetic.mean_range_ticks),
        row("daily return std", real.daily_return_std, synthetic.daily_return_std),
        row("intraday range profile: correlation with real", 1.0, correlation(&real.range_profile, &synthetic.range_profile)),
        row("intraday |return| profile: correlation with real", 1.0, correlation(&real.abs_return_profile, &synthetic.abs_return_profile)),
        row("intraday volume profile: correlation with real", 1.0, correlation(&real.volume_profile, &synthetic.volume_profile)),
    ]);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_known_samples() {
        let m = Moments::of(&[1.0, 2.0, 3.0, 4.0]);
        assert!((m.mean - 2.5).abs() < 1e-12 && (m.std - 1.25f64.sqrt()).abs() < 1e-12);
        assert!(m.skew.abs() < 1e-12);
        // Uniform on 4 points: kurtosis 1.64 -> excess -1.36.
        assert!((m.excess_kurtosis + 1.36).abs() < 1e-12, "{}", m.excess_kurtosis);
        assert!(Moments::of(&[1.0]).std.is_nan());
    }

    #[test]
    fn acf_never_pairs_across_segments() {
        let x = [1.0, -1.0, 1.0, -1.0];
        assert!((segmented_acf(&x, &[0, 0, 0, 0], 1) + 1.0).abs() < 1e-12);
        assert!(segmented_acf(&x, &[0, 1, 2, 3], 1).is_nan());
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.5]) - 0.9986).abs() < 1e-3);
    }
}
