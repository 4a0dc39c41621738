//! The default objective of `labels.optimize`: class balance plus the net Sharpe of
//! trading the labels' side.
//!
//! For one candidate (pt, sl, horizon, min_ret), every training event is labelled and:
//! - `balance` = entropy of the label classes / ln(number of classes) (1: perfectly balanced);
//! - `sharpe` = mean / std (n - 1) of the per-trade net return of taking the label's side
//!   (label x ret - cost) over events with a non-zero label, not annualised;
//! - `fitness = balance_weight x balance + sharpe_weight x sharpe`.
//!
//! Statistics are accumulated per fixed chunk of events and combined in order, without
//! materialising the labels, so an evaluation is one pass over the events.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::barrier::{BarrierSpec, Prices, first_touch};
use crate::label::{Event, LabelRule};

/// Weights and costs of the objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Objective {
    /// Weight of the class balance (normalised label entropy, in [0, 1]).
    pub balance_weight: f64,
    /// Weight of the net per-trade Sharpe ratio of trading the labels' side.
    pub sharpe_weight: f64,
    /// Round-trip cost per trade, in basis points of the entry price.
    pub cost_bps: f64,
}

impl Default for Objective {
    fn default() -> Self {
        Self { balance_weight: 1.0, sharpe_weight: 1.0, cost_bps: 1.0 }
    }
}

/// The components of one evaluation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    pub fitness: f64,
    pub balance: f64,
    pub sharpe: f64,
    /// Labelled events.
    pub labelled: usize,
    /// Events with a non-zero label (trades).
    pub trades: usize,
}

#[derive(Clone, Copy, Default)]
struct Acc {
    classes: [usize; 3],
    trades: usize,
    sum: f64,
    sumsq: f64,
}

const CHUNK: usize = 16_384;

/// Scores one candidate on `events` (all within `prices`, which ends at the training boundary).
pub fn score(prices: &Prices<'_>, events: &[Event], horizon: u32, spec: &BarrierSpec, rule: &LabelRule, objective: &Objective) -> Score {
    let cost = objective.cost_bps * 1e-4;
    let n = prices.len();
    let parts: Vec<Acc> = events
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut acc = Acc::default();
            for ev in chunk {
                let end = ev.bar + horizon as usize;
                let (barrier, ret) = match first_touch(prices, ev.bar, end, ev.target, f64::from(ev.side), spec) {
                    Some(t) => (t.barrier, t.ret),
                    None if end < n => (crate::barrier::Barrier::Vertical, (prices.close[end] / prices.close[ev.bar] - 1.0) * f64::from(ev.side)),
                    None => continue,
                };
                let label = rule.label(barrier, ret);
                acc.classes[(label + 1) as usize] += 1;
                if label != 0 {
                    let pnl = if rule.meta { ret } else { f64::from(label) * ret } - cost;
                    acc.trades += 1;
                    acc.sum += pnl;
                    acc.sumsq += pnl * pnl;
                }
            }
            acc
        })
        .collect();
    let mut total = Acc::default();
    for p in parts {
        for c in 0..3 {
            total.classes[c] += p.classes[c];
        }
        total.trades += p.trades;
        total.sum += p.sum;
        total.sumsq += p.sumsq;
    }
    let labelled: usize = total.classes.iter().sum();
    let n_classes = if rule.meta { 2.0_f64 } else { 3.0 };
    let balance = if labelled == 0 {
        0.0
    } else {
        -total.classes.iter().filter(|&&c| c > 0).map(|&c| c as f64 / labelled as f64).map(|p| p * p.ln()).sum::<f64>() / n_classes.ln()
    };
    let sharpe = if total.trades < 2 {
        f64::NAN
    } else {
        let t = total.trades as f64;
        let mean = total.sum / t;
        let var = ((total.sumsq - total.sum * mean) / (t - 1.0)).max(0.0);
        if var > 0.0 { mean / var.sqrt() } else { f64::NAN }
    };
    let fitness = objective.balance_weight * balance + objective.sharpe_weight * sharpe;
    Score { fitness, balance, sharpe, labelled, trades: total.trades }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barrier::{TieRule, TouchMode};
    use crate::label::{Vertical, label_events};

    #[test]
    fn score_agrees_with_the_labels_it_summarises() {
        let n = 3_000;
        let close: Vec<f64> = (0..n).map(|i| 100.0 * (1.0 + 0.02 * ((i as f64) * 0.05).sin() + 0.003 * ((i as f64) * 1.7).cos())).collect();
        let open: Vec<f64> = std::iter::once(100.0).chain(close[..n - 1].iter().copied()).collect();
        let high: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.max(*c) * 1.0005).collect();
        let low: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.min(*c) * 0.9995).collect();
        let p = Prices { open: &open, high: &high, low: &low, close: &close };
        let events: Vec<Event> = (0..n).map(|bar| Event { bar, target: 0.004, side: 1, vertical: Vertical::Horizons }).collect();
        let spec = BarrierSpec { pt: 1.5, sl: 1.0, mode: TouchMode::HighLow, tie: TieRule::Stop };
        let rule = LabelRule { min_ret: 0.001, meta: false };
        let obj = Objective::default();
        let s = score(&p, &events, 20, &spec, &rule, &obj);
        let rows = label_events(&p, &events, &[20], &spec, &rule);
        assert_eq!(s.labelled, rows.len());
        let pnl: Vec<f64> = rows.iter().filter(|r| r.label != 0).map(|r| f64::from(r.label) * r.ret - 1e-4).collect();
        assert_eq!(s.trades, pnl.len());
        let m = pnl.iter().sum::<f64>() / pnl.len() as f64;
        let sd = (pnl.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (pnl.len() - 1) as f64).sqrt();
        assert!((s.sharpe - m / sd).abs() < 1e-9, "{} vs {}", s.sharpe, m / sd);
        let mut counts = [0usize; 3];
        for r in &rows {
            counts[(r.label + 1) as usize] += 1;
        }
        let h: f64 = -counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / rows.len() as f64).map(|q| q * q.ln()).sum::<f64>() / 3f64.ln();
        assert!((s.balance - h).abs() < 1e-12);
        assert!((s.fitness - (h + m / sd)).abs() < 1e-9);
    }
}
