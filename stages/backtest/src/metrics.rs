//! Performance statistics of a backtest, for the whole run and per group of trades.
//!
//! - Returns are **daily**: equity at the close of each trading day's last bar, `r_d =
//!   E_d / E_{d-1} - 1` (the first day against the initial capital). Sharpe is
//!   `mean / std (ddof 1) x sqrt(days_per_year)`; Sortino uses the downside deviation
//!   `sqrt(mean(min(r, 0)^2))` (target 0); the annual return is compounded
//!   (`(E_end / E_0)^(days_per_year / days) - 1`); Calmar is the annual return over the
//!   maximum drawdown as a fraction of the peak.
//! - The whole run uses the bar-by-bar mark-to-market equity (drawdowns inside trades
//!   count). A group (a regime, a session, a side) is the strategy that took only that
//!   group's trades: its PnL is booked on each trade's exit day, from the same initial
//!   capital, so its drawdowns are between trades.
//! - Trade statistics: win rate (net PnL > 0), profit factor (gross wins over gross
//!   losses, `null` without losses), average R (net PnL over the money at risk at the
//!   initial stop), exposure (bars with a position over bars simulated).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sim::Trade;

/// Statistics of a strategy (or of a group of its trades).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub trades: usize,
    pub net_pnl: f64,
    pub gross_pnl: f64,
    pub commission: f64,
    pub slippage: f64,
    pub win_rate: f64,
    pub profit_factor: f64,
    pub avg_trade: f64,
    pub avg_win: f64,
    pub avg_loss: f64,
    pub avg_r: f64,
    pub avg_bars_held: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub annual_return: f64,
    pub max_drawdown: f64,
    pub max_drawdown_pct: f64,
    pub calmar: f64,
    pub exposure: f64,
}

/// What trade statistics need of a trade (the simulator's [`Trade`], or a row of the
/// `trades` table read back by the report).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    pub net_pnl: f64,
    pub gross_pnl: f64,
    pub commission: f64,
    pub slippage: f64,
    /// NaN when the trade had no stop.
    pub r_multiple: f64,
    pub bars_held: usize,
}

impl From<&Trade> for Outcome {
    fn from(t: &Trade) -> Self {
        Self {
            net_pnl: t.net_pnl,
            gross_pnl: t.gross_pnl,
            commission: t.commission,
            slippage: t.slippage,
            r_multiple: t.r_multiple(),
            bars_held: t.bars_held(),
        }
    }
}

/// Trade statistics of `trades` over `bars` simulated bars; the risk statistics
/// (Sharpe, drawdown, ...) are left NaN.
pub fn trade_stats(trades: impl IntoIterator<Item = Outcome>, bars: usize) -> Stats {
    let mut s = Stats::default();
    let (mut wins, mut won, mut lost, mut r_sum, mut r_n, mut held) = (0usize, 0.0, 0.0, 0.0, 0usize, 0usize);
    for t in trades {
        s.trades += 1;
        s.net_pnl += t.net_pnl;
        s.gross_pnl += t.gross_pnl;
        s.commission += t.commission;
        s.slippage += t.slippage;
        held += t.bars_held;
        if t.net_pnl > 0.0 {
            wins += 1;
            won += t.net_pnl;
        } else {
            lost -= t.net_pnl;
        }
        if t.r_multiple.is_finite() {
            r_sum += t.r_multiple;
            r_n += 1;
        }
    }
    let n = s.trades as f64;
    let losses = s.trades - wins;
    s.win_rate = if s.trades > 0 { wins as f64 / n } else { f64::NAN };
    s.profit_factor = if lost > 0.0 { won / lost } else { f64::NAN };
    s.avg_trade = s.net_pnl / n;
    s.avg_win = if wins > 0 { won / wins as f64 } else { f64::NAN };
    s.avg_loss = if losses > 0 { -lost / losses as f64 } else { f64::NAN };
    s.avg_r = if r_n > 0 { r_sum / r_n as f64 } else { f64::NAN };
    s.avg_bars_held = held as f64 / n;
    s.exposure = if bars > 0 { held as f64 / bars as f64 } else { f64::NAN };
    for v in [&mut s.sharpe, &mut s.sortino, &mut s.annual_return, &mut s.max_drawdown, &mut s.max_drawdown_pct, &mut s.calmar] {
        *v = f64::NAN;
    }
    s
}

/// Fills the risk statistics from end-of-day equity and the path drawdowns are measured on.
fn risk_stats(s: &mut Stats, initial: f64, daily_equity: &[f64], path: &[f64], days_per_year: f64) {
    let mut prev = initial;
    let returns: Vec<f64> = daily_equity
        .iter()
        .map(|&e| {
            let r = e / prev - 1.0;
            prev = e;
            r
        })
        .collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let downside = (returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    let annual = days_per_year.sqrt();
    s.sharpe = if returns.len() >= 2 && var > 0.0 { mean / var.sqrt() * annual } else { f64::NAN };
    s.sortino = if downside > 0.0 { mean / downside * annual } else { f64::NAN };
    s.annual_return = match daily_equity.last() {
        Some(&end) if end > 0.0 => (end / initial).powf(days_per_year / n) - 1.0,
        Some(_) => -1.0,
        None => f64::NAN,
    };
    let (mut peak, mut dd, mut dd_pct) = (initial, 0.0f64, 0.0f64);
    for &e in path {
        peak = peak.max(e);
        dd = dd.max(peak - e);
        dd_pct = dd_pct.max((peak - e) / peak);
    }
    s.max_drawdown = dd;
    s.max_drawdown_pct = dd_pct;
    s.calmar = if dd_pct > 0.0 { s.annual_return / dd_pct } else { f64::NAN };
}

/// Statistics of the whole run from its bar-by-bar equity (`equity[i]` at the close of
/// bar `i` of the run, `day[i]` its trading day).
pub fn run_stats(trades: &[Trade], equity: &[f64], day: &[i64], initial: f64, days_per_year: f64) -> Stats {
    let mut s = trade_stats(trades.iter().map(Outcome::from), equity.len());
    let daily: Vec<f64> = (0..equity.len()).filter(|&i| i + 1 == equity.len() || day[i + 1] != day[i]).map(|i| equity[i]).collect();
    risk_stats(&mut s, initial, &daily, equity, days_per_year);
    s
}

/// Statistics of the trades whose `mask` entry is true, traded alone from `initial`,
/// their PnL booked on the exit day; `days` are the run's trading days in order,
/// `exit_day` maps a trade to its exit day, `bars` is the number of bars simulated.
pub fn group_stats(trades: &[Trade], mask: &[bool], exit_day: impl Fn(&Trade) -> i64, days: &[i64], bars: usize, initial: f64, days_per_year: f64) -> Stats {
    let kept = || trades.iter().zip(mask).filter(|(_, k)| **k).map(|(t, _)| t);
    let mut s = trade_stats(kept().map(Outcome::from), bars);
    let mut pnl: BTreeMap<i64, f64> = BTreeMap::new();
    for t in kept() {
        *pnl.entry(exit_day(t)).or_default() += t.net_pnl;
    }
    let mut equity = initial;
    let daily: Vec<f64> = days
        .iter()
        .map(|d| {
            equity += pnl.get(d).copied().unwrap_or(0.0);
            equity
        })
        .collect();
    risk_stats(&mut s, initial, &daily, &daily, days_per_year);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ExitReason;

    fn trade(entry_bar: usize, exit_bar: usize, net: f64, risk: f64) -> Trade {
        Trade {
            signal_bar: entry_bar.saturating_sub(1),
            entry_bar,
            exit_bar,
            side: 1,
            qty: 1,
            entry_price: 100.0,
            exit_price: 100.0,
            stop_price: 99.0,
            target_price: 101.0,
            reason: ExitReason::TimeOut,
            scaled_out: 0,
            first_target_hit: false,
            gross_pnl: net + 1.0,
            commission: 1.0,
            slippage: 0.0,
            net_pnl: net,
            risk,
            mae: 0.0,
            mfe: 0.0,
            equity_after: 0.0,
        }
    }

    #[test]
    fn trade_statistics_by_hand() {
        let trades = [trade(1, 2, 30.0, 10.0), trade(4, 4, -10.0, 10.0), trade(6, 8, 20.0, f64::NAN)];
        let s = trade_stats(trades.iter().map(Outcome::from), 10);
        assert_eq!(s.trades, 3);
        assert_eq!(s.net_pnl, 40.0);
        assert_eq!(s.commission, 3.0);
        assert!((s.win_rate - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(s.profit_factor, 5.0);
        assert_eq!(s.avg_win, 25.0);
        assert_eq!(s.avg_loss, -10.0);
        assert_eq!(s.avg_r, 1.0); // (3 + -1) / 2: the trade without a stop has no R
        assert_eq!(s.exposure, 0.6); // (2 + 1 + 3) / 10
        assert_eq!(s.avg_bars_held, 2.0);
    }

    #[test]
    fn risk_statistics_by_hand() {
        // Equity 100 -> 110 -> 99 -> 108.9: returns +10%, -10%, +10%
        let mut s = Stats::default();
        risk_stats(&mut s, 100.0, &[110.0, 99.0, 108.9], &[105.0, 110.0, 99.0, 108.9], 252.0);
        let r = [0.1, -0.1, 0.1];
        let mean = 0.1 / 3.0;
        let sd = (r.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 2.0).sqrt();
        assert!((s.sharpe - mean / sd * 252f64.sqrt()).abs() < 1e-12);
        assert!((s.sortino - mean / (0.01f64 / 3.0).sqrt() * 252f64.sqrt()).abs() < 1e-9);
        assert!((s.max_drawdown - 11.0).abs() < 1e-12);
        assert!((s.max_drawdown_pct - 0.1).abs() < 1e-12);
        assert!((s.annual_return - (1.089f64.powf(84.0) - 1.0)).abs() < 1e-6 * s.annual_return);
        assert!((s.calmar - s.annual_return / 0.1).abs() < 1e-9 * s.calmar);
    }

    #[test]
    fn a_group_books_pnl_on_exit_days() {
        let trades = [trade(1, 2, 30.0, 10.0), trade(4, 4, -10.0, 10.0)];
        let day = |t: &Trade| (t.exit_bar / 3) as i64;
        let s = group_stats(&trades, &[false, true], day, &[0, 1, 2], 9, 1000.0, 252.0);
        assert_eq!((s.trades, s.net_pnl), (1, -10.0));
        assert_eq!(s.max_drawdown, 10.0);
        assert_eq!(s.profit_factor, 0.0);
        let all = group_stats(&trades, &[true, true], day, &[0, 1, 2], 9, 1000.0, 252.0);
        assert_eq!(all.net_pnl, 20.0);
        assert_eq!(all.max_drawdown, 10.0); // 1030 -> 1020
    }
}
