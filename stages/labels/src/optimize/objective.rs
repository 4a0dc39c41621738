//! The default objective of `labels.optimize`: class balance plus the net Sharpe of
//! trading the labels' side.
//!
//! For one candidate (pt, sl, horizon, min_ret), every training event is labelled and:
//! - `balance` = entropy of the label classes / ln(number of classes) (1: perfectly balanced);
//! - `sharpe` = mean / std (n - 1) of the per-trade net return of taking the label's side
//!   (label x ret - cost) over events with a non-zero label, not annualised;
//! - `fitness = balance_weight x balance + sharpe_weight x sharpe`.
//!
//! A whole generation is scored together ([`score_all`]): each event's first touch comes
//! from its path records ([`Paths`]), which give exactly the labels
//! [`first_touch`](crate::barrier::first_touch) would. Statistics are accumulated per
//! fixed chunk of events and combined in order, without materialising the labels, so the
//! scores do not depend on the thread count.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::grid::{self, Group};
use super::direct;
use super::paths::Paths;
use crate::barrier::{BarrierSpec, Prices, TieRule, TouchMode};
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

/// One set of barrier parameters to score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub spec: BarrierSpec,
    /// The vertical barrier, in bars after the event.
    pub horizon: u32,
    pub rule: LabelRule,
}

/// The sums a score is made of: class counts of the labelled events, and the count, sum
/// and sum of squares of the trades' net returns.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Acc {
    pub(super) classes: [usize; 3],
    pub(super) trades: usize,
    pub(super) sum: f64,
    pub(super) sumsq: f64,
}

impl Acc {
    pub(super) fn add(&mut self, other: &Self) {
        for c in 0..3 {
            self.classes[c] += other.classes[c];
        }
        self.trades += other.trades;
        self.sum += other.sum;
        self.sumsq += other.sumsq;
    }
}

/// Events per parallel chunk (fixed, so scores never depend on the thread count).
pub(super) const CHUNK: usize = 16_384;

/// Scores every candidate on `events` (all within `prices`, which ends at the training
/// boundary), from their `paths`.
///
/// Candidates that share horizon, label rule and tie rule with enough others (see
/// [`grid_group`]) are scored together on the rank [`grid`](super::grid), whose cost per
/// event hardly grows with the group; the others one by one ([`direct`](super::direct)).
/// Either way a score is fixed by the batch, never by the thread count.
///
/// # Panics
/// When `paths` were built for another touch mode or a shorter horizon than a candidate's.
pub fn score_all(prices: &Prices<'_>, events: &[Event], paths: &Paths, candidates: &[Candidate], objective: &Objective) -> Vec<Score> {
    score_grouped(prices, events, paths, candidates, objective, grid_group(paths.mode))
}

/// The smallest group scored on the rank grid: below it, scoring the candidates one by
/// one is faster. Measured on 1M events, one thread (`cargo bench --workspace --bench
/// labels -- FILE --groups`): the grid costs about as much as 23 candidates one by one
/// in close mode and 36 in high/low mode, whatever the group's size.
pub fn grid_group(mode: TouchMode) -> usize {
    match mode {
        TouchMode::Close => 24,
        TouchMode::HighLow => 36,
    }
}

/// [`score_all`] with every group of at least `grid_group` candidates on the grid (1: all
/// of them; `usize::MAX`: none), to compare the two ways.
///
/// # Panics
/// As [`score_all`].
pub fn score_grouped(prices: &Prices<'_>, events: &[Event], paths: &Paths, candidates: &[Candidate], objective: &Objective, grid_group: usize) -> Vec<Score> {
    for c in candidates {
        assert!(c.spec.mode == paths.mode && c.horizon <= paths.horizon, "path records for {:?} up to {} bars cannot score {c:?}", paths.mode, paths.horizon);
    }
    let cost = objective.cost_bps * 1e-4;
    let mut groups: BTreeMap<(u32, u64, bool, bool), Vec<usize>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        groups.entry((c.horizon, c.rule.min_ret.to_bits(), c.rule.meta, c.spec.tie == TieRule::Profit)).or_default().push(i);
    }
    let mut totals = vec![Acc::default(); candidates.len()];
    let mut alone = Vec::new();
    for members in groups.into_values() {
        if members.len() >= grid_group {
            let group = Group::new(candidates, members);
            for (&i, acc) in group.members.iter().zip(grid::score(prices, events, paths, &group, cost)) {
                totals[i] = acc;
            }
        } else {
            alone.extend(members);
        }
    }
    if !alone.is_empty() {
        let batch: Vec<Candidate> = alone.iter().map(|&i| candidates[i]).collect();
        for (&i, acc) in alone.iter().zip(direct::score(prices, events, paths, &batch, cost)) {
            totals[i] = acc;
        }
    }
    totals.iter().zip(candidates).map(|(total, c)| finish(total, c.rule.meta, objective)).collect()
}

fn finish(total: &Acc, meta: bool, objective: &Objective) -> Score {
    let labelled: usize = total.classes.iter().sum();
    let n_classes = if meta { 2.0_f64 } else { 3.0 };
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
    use proptest::prelude::*;

    use super::*;
    use crate::label::{Vertical, label_events};

    /// Open, high, low and close columns.
    type Ohlc = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>);

    /// A path with wicks, gaps and ties: closes from `steps`, opens gapping by `gaps`.
    fn path(steps: &[f64], gaps: &[f64]) -> Ohlc {
        let mut close = vec![100.0];
        for s in steps {
            close.push(close.last().unwrap() * (1.0 + s));
        }
        let open: Vec<f64> = (0..close.len()).map(|i| if i == 0 { 100.0 } else { close[i - 1] * (1.0 + gaps[i % gaps.len()]) }).collect();
        let high: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.max(*c) * 1.0005).collect();
        let low: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.min(*c) * 0.9995).collect();
        (open, high, low, close)
    }

    /// Every candidate's score equals the statistics of the labels `label_events` writes,
    /// scored one by one and on the rank grid (every group, even of one).
    fn check_against_labels(p: &Prices<'_>, events: &[Event], candidates: &[Candidate], obj: &Objective) {
        let longest = candidates.iter().map(|c| c.horizon).max().unwrap();
        let mode = candidates[0].spec.mode;
        let paths = Paths::build(p, events, longest, mode);
        for grid_group in [usize::MAX, 1] {
            check_scores(events, p, candidates, obj, &score_grouped(p, events, &paths, candidates, obj, grid_group));
        }
    }

    fn check_scores(events: &[Event], p: &Prices<'_>, candidates: &[Candidate], obj: &Objective, scores: &[Score]) {
        for (cand, s) in candidates.iter().zip(scores) {
            let rows = label_events(p, events, &[cand.horizon], &cand.spec, &cand.rule);
            assert_eq!(s.labelled, rows.len(), "{cand:?}");
            let cost = obj.cost_bps * 1e-4;
            let pnl: Vec<f64> = rows.iter().filter(|r| r.label != 0).map(|r| if cand.rule.meta { r.ret } else { f64::from(r.label) * r.ret } - cost).collect();
            assert_eq!(s.trades, pnl.len(), "{cand:?}");
            let mut counts = [0usize; 3];
            for r in &rows {
                counts[(r.label + 1) as usize] += 1;
            }
            let classes = if cand.rule.meta { 2f64 } else { 3f64 };
            let h: f64 = -counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / rows.len() as f64).map(|q| q * q.ln()).sum::<f64>() / classes.ln();
            assert!((s.balance - h).abs() < 1e-12, "{cand:?}");
            if pnl.len() >= 2 {
                let m = pnl.iter().sum::<f64>() / pnl.len() as f64;
                let sd = (pnl.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (pnl.len() - 1) as f64).sqrt();
                if sd > 1e-12 {
                    // the one-pass variance loses about (mean / sd)^2 ulps to cancellation:
                    // near-constant trade returns give huge Sharpe ratios and wider errors
                    let sharpe = m / sd;
                    let tolerance = 1e-9 * (1.0 + sharpe.abs()) * (1.0 + sharpe * sharpe);
                    assert!((s.sharpe - sharpe).abs() < tolerance, "{} vs {sharpe}", s.sharpe);
                    assert!((s.fitness - (obj.balance_weight * h + obj.sharpe_weight * sharpe)).abs() < tolerance + 1e-12);
                }
            }
        }
    }

    #[test]
    fn score_agrees_with_the_labels_it_summarises() {
        let n = 3_000;
        let steps: Vec<f64> = (1..n).map(|i| 0.004 * ((i as f64) * 0.05).cos() + 0.003 * ((i as f64) * 1.7).sin()).collect();
        let (open, high, low, close) = path(&steps, &[0.0]);
        let p = Prices { open: &open, high: &high, low: &low, close: &close };
        let events: Vec<Event> = (0..n).map(|bar| Event { bar, target: 0.004, side: 1, vertical: Vertical::Horizons }).collect();
        let rule = LabelRule { min_ret: 0.001, meta: false };
        for mode in [TouchMode::HighLow, TouchMode::Close] {
            let cands: Vec<Candidate> = [(1.5, 1.0, 20), (0.5, 3.0, 7), (0.0, 1.0, 20), (2.0, 0.0, 1)]
                .iter()
                .map(|&(pt, sl, horizon)| Candidate { spec: BarrierSpec { pt, sl, mode, tie: TieRule::Stop }, horizon, rule })
                .collect();
            check_against_labels(&p, &events, &cands, &Objective::default());
        }
    }

    #[test]
    fn scores_do_not_depend_on_the_thread_count() {
        // more events than two chunks, so that several threads share them
        let n = 2 * CHUNK + 500;
        let steps: Vec<f64> = (1..n).map(|i| 0.003 * ((i as f64) * 0.37).sin() + 0.002 * ((i as f64) * 0.011).cos()).collect();
        let (open, high, low, close) = path(&steps, &[0.001, -0.002, 0.0]);
        let p = Prices { open: &open, high: &high, low: &low, close: &close };
        let events: Vec<Event> = (0..n - 30).map(|bar| Event { bar, target: 0.003, side: 1, vertical: Vertical::Horizons }).collect();
        let rule = LabelRule { min_ret: 0.0005, meta: false };
        let pool = |threads| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        for mode in [TouchMode::Close, TouchMode::HighLow] {
            let paths = Paths::build(&p, &events, 20, mode);
            let cands: Vec<Candidate> = (0..30)
                .map(|i| Candidate { spec: BarrierSpec { pt: 0.5 + 0.1 * f64::from(i), sl: 3.5 - 0.1 * f64::from(i), mode, tie: TieRule::Stop }, horizon: 20, rule })
                .collect();
            // both ways: every group on the grid, and every candidate one by one
            for grid_group in [1, usize::MAX] {
                let bits = || -> Vec<(u64, u64, usize, usize)> {
                    score_grouped(&p, &events, &paths, &cands, &Objective::default(), grid_group).iter().map(|s| (s.fitness.to_bits(), s.sharpe.to_bits(), s.labelled, s.trades)).collect()
                };
                assert_eq!(pool(1).install(bits), pool(3).install(bits), "{mode:?}, grid from {grid_group}");
            }
        }
    }

    /// A property case: the path of `steps` and `gaps`, and events on most of its bars
    /// with varied targets (alternating sides when meta-labeling).
    fn case(steps: &[f64], gaps: &[f64], meta: bool) -> (Ohlc, Vec<Event>) {
        let bars = path(steps, gaps);
        let events = (0..bars.3.len())
            .filter(|b| b % 5 != 2)
            .map(|bar| Event { bar, target: 0.002 + 0.001 * (bar % 4) as f64, side: if meta && bar % 2 == 1 { -1 } else { 1 }, vertical: Vertical::Horizons })
            .collect();
        (bars, events)
    }

    fn touch(close_mode: bool, profit_tie: bool) -> (TouchMode, TieRule) {
        (if close_mode { TouchMode::Close } else { TouchMode::HighLow }, if profit_tie { TieRule::Profit } else { TieRule::Stop })
    }

    proptest! {
        /// Scoring from path records is the scan, exactly: every mode, side, tie rule,
        /// gaps, disabled barriers, meta-labels and horizons shorter than the records'.
        /// With `grouped`, the candidates share a few horizons and rules (the rank grid's
        /// groups), and every other one the multiples of the one before.
        #[test]
        fn records_score_what_the_scan_labels(
            steps in prop::collection::vec(-0.01f64..0.01, 20..400),
            gaps in prop::collection::vec(-0.006f64..0.006, 1..7),
            cands in prop::collection::vec((0.0f64..3.0, 0.0f64..3.0, 1u32..30, 0.0f64..0.004), 1..16),
            grouped in any::<bool>(),
            close_mode in any::<bool>(),
            profit_tie in any::<bool>(),
            meta in any::<bool>(),
        ) {
            let ((open, high, low, close), events) = case(&steps, &gaps, meta);
            let p = Prices { open: &open, high: &high, low: &low, close: &close };
            let (mode, tie) = touch(close_mode, profit_tie);
            let cands: Vec<Candidate> = cands
                .iter()
                .enumerate()
                .map(|(i, &(pt, sl, horizon, min_ret))| {
                    let (pt, sl, horizon, min_ret) = if grouped {
                        let (pt, sl) = if i % 2 == 1 { (cands[i - 1].0, cands[i - 1].1) } else { (pt, sl) };
                        (pt, sl, [3, 12, 30][horizon as usize % 3], if min_ret > 0.002 { 0.003 } else { 0.0 })
                    } else {
                        (pt, sl, horizon, min_ret)
                    };
                    Candidate { spec: BarrierSpec { pt: pt - 0.3, sl: sl - 0.3, mode, tie }, horizon, rule: LabelRule { min_ret, meta } }
                })
                .collect();
            check_against_labels(&p, &events, &cands, &Objective { balance_weight: 0.7, sharpe_weight: 1.3, cost_bps: 2.0 });
        }
    }
}
