//! What trading a signal would have earned, at the level of labelled events.
//!
//! Each row with a non-zero `signal` is one trade of one unit notional, entered at the
//! event and held to the label's end (`t1`), earning `signal × ret`. Trades are not
//! netted against each other and carry no costs: this measures the signal, while the
//! `backtest` stage gives the tradable, costed figure.
//!
//! **Annualisation convention:** trade returns are summed per CME trading day of entry
//! (17:00 America/Chicago opens the next day); every trading day that has at least one row
//! in the evaluated split counts, with 0 where no trade was taken; the annualised Sharpe is
//! mean / std (ddof = 1) of those daily sums × √252. The per-trade Sharpe (not annualised)
//! and its PSR against 0 are reported beside it.

use std::collections::BTreeMap;

use mlfactory_market::Calendar;
use serde::Serialize;

use crate::stats::moments::{Estimator, Moments};
use crate::stats::sharpe::SharpeSample;

/// Trading days per year used to annualise daily Sharpe ratios.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// The trading summary of one split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trading {
    pub trades: usize,
    pub long_trades: usize,
    pub short_trades: usize,
    /// Share of trades with `signal × ret > 0`.
    pub hit_rate: f64,
    /// Mean of `signal × ret` per trade.
    pub mean_return: f64,
    /// Sum of `signal × ret`.
    pub total_return: f64,
    /// Per-trade mean / std (ddof = 1), not annualised.
    pub sharpe_per_trade: f64,
    /// PSR of the per-trade Sharpe against 0 (bias-corrected moments).
    pub psr: f64,
    /// Trading days the daily series spans.
    pub days: usize,
    /// Daily Sharpe × √252 (see the module docs).
    pub sharpe: f64,
}

/// Summarises trading `signal` (−1, 0, +1) on label returns `ret`, rows entered at `ts`.
pub fn trade(ts: &[i64], signal: &[f64], ret: &[f64]) -> Trading {
    let clock = Calendar::cme().clock();
    let mut daily: BTreeMap<i64, f64> = BTreeMap::new();
    let mut pnl = Vec::new();
    let (mut long_trades, mut short_trades) = (0, 0);
    for ((&t, &s), &r) in ts.iter().zip(signal).zip(ret) {
        let day = daily.entry(clock.trading_day(t)).or_insert(0.0);
        if s != 0.0 && s.is_finite() && r.is_finite() {
            let p = s.signum() * r;
            *day += p;
            pnl.push(p);
            if s > 0.0 {
                long_trades += 1;
            } else {
                short_trades += 1;
            }
        }
    }
    let m = Moments::of(&pnl, Estimator::Unbiased);
    let sharpe_per_trade = m.sharpe();
    let psr = SharpeSample { sr: sharpe_per_trade, t: pnl.len(), skew: m.skew, kurtosis: m.kurtosis }.psr(0.0);
    let days: Vec<f64> = daily.values().copied().collect();
    let d = Moments::of(&days, Estimator::Biased);
    Trading {
        trades: pnl.len(),
        long_trades,
        short_trades,
        hit_rate: if pnl.is_empty() { f64::NAN } else { pnl.iter().filter(|p| **p > 0.0).count() as f64 / pnl.len() as f64 },
        mean_return: m.mean,
        total_return: pnl.iter().sum(),
        sharpe_per_trade,
        psr,
        days: days.len(),
        sharpe: d.sharpe() * TRADING_DAYS_PER_YEAR.sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;
    /// 2024-01-02 15:00 UTC (09:00 Chicago, a Tuesday).
    const TUE: i64 = 1_704_207_600_000_000_000;

    #[test]
    fn sums_trades_per_trading_day_and_annualises() {
        // Day 1: +1% and -0.5%; day 2: +2% (short on a falling label); day 3: no trade.
        let ts = [TUE, TUE + HOUR, TUE + 24 * HOUR, TUE + 48 * HOUR];
        let signal = [1.0, 1.0, -1.0, 0.0];
        let ret = [0.01, -0.005, -0.02, 0.03];
        let t = trade(&ts, &signal, &ret);
        assert_eq!((t.trades, t.long_trades, t.short_trades, t.days), (3, 2, 1, 3));
        assert!((t.hit_rate - 2.0 / 3.0).abs() < 1e-15);
        assert!((t.total_return - 0.025).abs() < 1e-15);
        let daily = [0.005, 0.02, 0.0];
        let mean = daily.iter().sum::<f64>() / 3.0;
        let sd = (daily.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / 2.0).sqrt();
        assert!((t.sharpe - mean / sd * 252f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn evening_trades_belong_to_the_next_trading_day() {
        // 17:30 Chicago on Tuesday opens Wednesday's trading day.
        let evening = TUE + 8 * HOUR + HOUR / 2;
        let t = trade(&[TUE, evening], &[1.0, 1.0], &[0.01, 0.01]);
        assert_eq!(t.days, 2);
        let t = trade(&[TUE, TUE + HOUR], &[1.0, 1.0], &[0.01, 0.01]);
        assert_eq!(t.days, 1);
    }

    #[test]
    fn no_trades_is_nan_not_a_panic() {
        let t = trade(&[TUE], &[0.0], &[0.01]);
        assert_eq!(t.trades, 0);
        assert!(t.hit_rate.is_nan() && t.sharpe_per_trade.is_nan());
    }
}
