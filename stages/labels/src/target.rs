//! Causal volatility targets: the return scale barriers are set in.
//!
//! `target[i]` uses bars **strictly before** bar `i` only (bars `0 ..= i-1`), so the
//! barriers of an event at bar `i` are known before that bar closes; it is NaN until
//! enough bars exist (those events are skipped and counted).

use serde::{Deserialize, Serialize};

/// Which volatility measure scales the barriers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Volatility {
    /// Wilder's average true range over `window` bars, divided by the close of the same
    /// (previous) bar: a per-bar range as a return.
    Atr {
        /// Bars in Wilder's average (TA-Lib's ATR seeding: the first value is the mean of
        /// the first `window` true ranges).
        #[serde(default = "default_atr_window")]
        window: usize,
    },
    /// Sample standard deviation (n-1) of the last `window` one-bar log returns.
    Returns {
        /// Returns in the rolling window.
        #[serde(default = "default_returns_window")]
        window: usize,
    },
}

fn default_atr_window() -> usize {
    14
}

fn default_returns_window() -> usize {
    100
}

impl Default for Volatility {
    fn default() -> Self {
        Self::Atr { window: default_atr_window() }
    }
}

impl Volatility {
    pub fn window(&self) -> usize {
        match *self {
            Self::Atr { window } | Self::Returns { window } => window,
        }
    }

    /// The target of every bar: `out[i]` from bars `< i` only.
    pub fn compute(&self, high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
        match *self {
            Self::Atr { window } => shift_one(&atr_ratio(high, low, close, window)),
            Self::Returns { window } => shift_one(&rolling_log_return_std(close, window)),
        }
    }
}

/// `out[i] = v[i-1]`, NaN at 0: turns "through bar i" into "strictly before bar i".
fn shift_one(v: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(v.len());
    if !v.is_empty() {
        out.push(f64::NAN);
        out.extend_from_slice(&v[..v.len() - 1]);
    }
    out
}

/// Wilder ATR through bar `i` divided by `close[i]`; NaN before bar `window`.
pub fn atr_ratio(high: &[f64], low: &[f64], close: &[f64], window: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if window == 0 || n <= window {
        return out;
    }
    let true_range = |i: usize| {
        let prev = close[i - 1];
        (high[i] - low[i]).max((high[i] - prev).abs()).max((low[i] - prev).abs())
    };
    let w = window as f64;
    let mut atr = (1..=window).map(true_range).sum::<f64>() / w;
    out[window] = atr / close[window];
    for i in window + 1..n {
        atr = (atr * (w - 1.0) + true_range(i)) / w;
        out[i] = atr / close[i];
    }
    out
}

/// Sample std of the `window` log returns ending at bar `i`; NaN before bar `window`.
///
/// Recomputed from scratch every `window` bars so rounding of the running sums cannot drift.
pub fn rolling_log_return_std(close: &[f64], window: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    if window < 2 || n <= window {
        return out;
    }
    let r: Vec<f64> = std::iter::once(f64::NAN).chain(close.windows(2).map(|w| (w[1] / w[0]).ln())).collect();
    let w = window as f64;
    let (mut sum, mut sq) = (0.0, 0.0);
    for i in window..n {
        if (i - window).is_multiple_of(window) {
            let slice = &r[i + 1 - window..=i];
            sum = slice.iter().sum();
            sq = slice.iter().map(|x| x * x).sum();
        } else {
            let (add, drop) = (r[i], r[i - window]);
            sum += add - drop;
            sq += add * add - drop * drop;
        }
        out[i] = ((sq - sum * sum / w) / (w - 1.0)).max(0.0).sqrt();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atr_matches_a_hand_computed_wilder_average() {
        let high = [10.0, 11.0, 12.0, 11.5, 13.0];
        let low = [9.0, 9.5, 10.5, 10.0, 11.0];
        let close = [9.5, 10.5, 11.0, 10.5, 12.5];
        let r = atr_ratio(&high, &low, &close, 2);
        // TR1 = max(1.5, 1.5, 0) = 1.5; TR2 = max(1.5, 1.5, 0) = 1.5; TR3 = max(1.5, .5, 1) = 1.5; TR4 = max(2, 2.5, .5) = 2.5
        assert!(r[1].is_nan());
        assert!((r[2] - 1.5 / 11.0).abs() < 1e-15);
        assert!((r[3] - 1.5 / 10.5).abs() < 1e-15);
        assert!((r[4] - 2.0 / 12.5).abs() < 1e-15);
        let t = Volatility::Atr { window: 2 }.compute(&high, &low, &close);
        assert!(t[2].is_nan() && (t[3] - r[2]).abs() < 1e-18, "the target of bar i is the ATR through bar i-1");
    }

    #[test]
    fn rolling_std_matches_the_direct_formula_and_does_not_drift() {
        let close: Vec<f64> = (0..5_000).map(|i| 100.0 * (1.0 + 0.01 * ((i as f64) * 0.37).sin())).collect();
        let s = rolling_log_return_std(&close, 50);
        for i in [50, 51, 777, 4_999] {
            let r: Vec<f64> = (i + 1 - 50..=i).map(|j| (close[j] / close[j - 1]).ln()).collect();
            let m = r.iter().sum::<f64>() / 50.0;
            let v = r.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 49.0;
            assert!((s[i] - v.sqrt()).abs() < 1e-12 * v.sqrt().max(1e-12), "bar {i}: {} vs {}", s[i], v.sqrt());
        }
        assert!(s[49].is_nan());
    }
}
