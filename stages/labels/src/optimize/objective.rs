//! The default objective of `labels.optimize`: class balance plus the net Sharpe of
//! trading the labels' side.
//!
//! For one candidate (pt, sl, horizon, min_ret), every training event is labelled and:
//! - `balance` = entropy of the label classes / ln(number of classes) (1: perfectly balanced);
//! - `sharpe` = mean / std (n - 1) of the per-trade net return of taking the label's side
//!   (label x ret - cost) over events with a non-zero label, not annualised;
//! - `fitness = balance_weight x balance + sharpe_weight x sharpe`.
//!
//! A whole generation is scored in one pass over the events ([`score_all`]): each event's
//! first touch comes from its path records ([`Paths`]), which give exactly the labels
//! [`first_touch`](crate::barrier::first_touch) would. Statistics are accumulated per
//! fixed chunk of events and combined in order, without materialising the labels, so the
//! scores do not depend on the thread count.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::paths::Paths;
use crate::barrier::{Barrier, BarrierSpec, Prices, TouchMode, distance, levels, multiple, path_return, resolve_bar};
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

#[derive(Clone, Copy, Default)]
struct Acc {
    classes: [usize; 3],
    trades: usize,
    sum: f64,
    sumsq: f64,
}

impl Acc {
    fn add(&mut self, other: &Self) {
        for c in 0..3 {
            self.classes[c] += other.classes[c];
        }
        self.trades += other.trades;
        self.sum += other.sum;
        self.sumsq += other.sumsq;
    }
}

/// Events per parallel chunk (fixed, so scores never depend on the thread count).
const CHUNK: usize = 16_384;

/// Scores every candidate on `events` (all within `prices`, which ends at the training
/// boundary), from their `paths`.
///
/// Events are the outer loop and candidates the inner one, so each event's records are
/// read once for the whole generation, and the inner loop is free of data-dependent
/// branches (touch or not, which barrier, which label are selects). Every candidate still
/// accumulates its events in order, chunk by chunk, so its score is the one it would get
/// alone, on any number of threads.
///
/// # Panics
/// When `paths` were built for another touch mode or a shorter horizon than a candidate's.
pub fn score_all(prices: &Prices<'_>, events: &[Event], paths: &Paths, candidates: &[Candidate], objective: &Objective) -> Vec<Score> {
    for c in candidates {
        assert!(c.spec.mode == paths.mode && c.horizon <= paths.horizon, "path records for {:?} up to {} bars cannot score {c:?}", paths.mode, paths.horizon);
    }
    let cost = objective.cost_bps * 1e-4;
    let lanes = Lanes::new(candidates);
    let parts: Vec<Vec<Acc>> = events
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk_index, chunk)| match paths.mode {
            TouchMode::Close => score_chunk::<true>(prices, paths, chunk_index * CHUNK, chunk, &lanes, cost),
            TouchMode::HighLow => score_chunk::<false>(prices, paths, chunk_index * CHUNK, chunk, &lanes, cost),
        })
        .collect();
    (0..candidates.len())
        .map(|c| {
            let mut total = Acc::default();
            for part in &parts {
                total.add(&part[c]);
            }
            finish(&total, candidates[c].rule.meta, objective)
        })
        .collect()
}

/// The candidates as the inner loops read them: one array per field (lanes).
struct Lanes<'a> {
    candidates: &'a [Candidate],
    /// The barrier multiples, infinite when the barrier is disabled.
    pt: Vec<f64>,
    sl: Vec<f64>,
    horizon: Vec<u32>,
    /// The distinct horizons, and each candidate's index among them: an event's vertical
    /// return is computed once per horizon, not once per candidate.
    horizons: Vec<u32>,
    horizon_of: Vec<usize>,
}

impl<'a> Lanes<'a> {
    fn new(candidates: &'a [Candidate]) -> Self {
        let mut horizons: Vec<u32> = candidates.iter().map(|c| c.horizon).collect();
        horizons.sort_unstable();
        horizons.dedup();
        Self {
            candidates,
            pt: candidates.iter().map(|c| multiple(c.spec.pt)).collect(),
            sl: candidates.iter().map(|c| multiple(c.spec.sl)).collect(),
            horizon: candidates.iter().map(|c| c.horizon).collect(),
            horizon_of: candidates.iter().map(|c| horizons.binary_search(&c.horizon).unwrap_or_default()).collect(),
            horizons,
        }
    }
}

/// Per-lane scratch and accumulators of one chunk.
struct Scratch {
    pt: Vec<f64>,
    sl: Vec<f64>,
    f_threshold: Vec<f64>,
    a_threshold: Vec<f64>,
    f_count: Vec<u64>,
    a_count: Vec<u64>,
    acc: Vec<Acc>,
}

/// The accumulators of every candidate over one chunk of events (`base` is the index of
/// its first event), in close mode (`CLOSE`) or high/low mode.
///
/// Per event, the candidates go through three simple loops (barrier thresholds, counts of
/// the records below them, then the exit and its statistics), which the compiler turns
/// into vector code.
fn score_chunk<const CLOSE: bool>(prices: &Prices<'_>, paths: &Paths, base: usize, chunk: &[Event], lanes: &Lanes<'_>, cost: f64) -> Vec<Acc> {
    let last = prices.len() - 1;
    let n = lanes.candidates.len();
    let mut s = Scratch {
        pt: vec![0.0; n],
        sl: vec![0.0; n],
        f_threshold: vec![0.0; n],
        a_threshold: vec![0.0; n],
        f_count: vec![0; n],
        a_count: vec![0; n],
        acc: vec![Acc::default(); n],
    };
    // each event's records, closed by a sentinel that no candidate reaches
    let (mut f_off, mut f_val, mut a_off, mut a_val) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // each event's vertical returns by horizon, and whether they lie within the data
    let mut vertical = vec![(0.0, false); lanes.horizons.len()];
    for (k, ev) in chunk.iter().enumerate() {
        for (records, off, val) in [(&paths.favourable, &mut f_off, &mut f_val), (&paths.adverse, &mut a_off, &mut a_val)] {
            let (o, v) = records.of(base + k);
            off.clear();
            off.extend_from_slice(o);
            off.push(u32::MAX);
            val.clear();
            val.extend_from_slice(v);
            val.push(0.0);
        }
        let (c0, side, target) = (prices.close[ev.bar], f64::from(ev.side), ev.target);
        for (v, &h) in vertical.iter_mut().zip(&lanes.horizons) {
            let end = ev.bar + h as usize;
            *v = if end <= last { (path_return(prices.close[end], c0, side), true) } else { (0.0, false) };
        }
        // 1. barrier distances and the records' thresholds
        for (d, &m) in s.pt.iter_mut().zip(&lanes.pt) {
            *d = distance(m, target);
        }
        for (d, &m) in s.sl.iter_mut().zip(&lanes.sl) {
            *d = distance(m, target);
        }
        // (close-mode records are returns: their thresholds are the distances themselves)
        if !CLOSE {
            for (((f, a), &pt), &sl) in s.f_threshold.iter_mut().zip(s.a_threshold.iter_mut()).zip(&s.pt).zip(&s.sl) {
                let (pt_level, sl_level) = levels(c0, pt, sl, side);
                (*f, *a) = (side * pt_level, -side * sl_level);
            }
        }
        let (f_threshold, a_threshold) = if CLOSE { (&s.pt, &s.sl) } else { (&s.f_threshold, &s.a_threshold) };
        // 2. the first record reaching each barrier: records increase, so its index is the
        //    count of those that do not reach it (`>` in close mode, `>=` in high/low)
        for (values, threshold, count) in [(&f_val, f_threshold, &mut s.f_count), (&a_val, a_threshold, &mut s.a_count)] {
            count.fill(0);
            for &v in &values[..values.len() - 1] {
                for (c, &t) in count.iter_mut().zip(threshold.iter()) {
                    *c += u64::from(if CLOSE { v <= t } else { v < t });
                }
            }
        }
        // 3. the exit, its label and the statistics
        for p in 0..n {
            let cand = &lanes.candidates[p];
            let (f, a) = (s.f_count[p] as usize, s.a_count[p] as usize);
            let (f_at, a_at) = (f_off[f], a_off[a]);
            let at = f_at.min(a_at);
            let touched = at <= lanes.horizon[p];
            let (touch_barrier, touch_ret) = if CLOSE {
                // close mode checks the stop first; one close cannot pass both barriers anyway
                let stop = a_at <= f_at;
                (if stop { Barrier::Sl } else { Barrier::Pt }, if stop { -a_val[a] } else { f_val[f] })
            } else {
                let bar = (ev.bar + at.min(lanes.horizon[p]) as usize).min(last);
                let t = resolve_bar(prices.open[bar], bar, c0, s.pt[p], s.sl[p], side, cand.spec.tie, f_at == at, a_at == at);
                (t.barrier, t.ret)
            };
            let (vertical_ret, vertical_known) = vertical[lanes.horizon_of[p]];
            let known = touched || vertical_known;
            let (barrier, ret) = if touched { (touch_barrier, touch_ret) } else { (Barrier::Vertical, vertical_ret) };
            let label = cand.rule.label(barrier, ret);
            let pnl = if cand.rule.meta { ret } else { f64::from(label) * ret } - cost;
            let traded = known && label != 0;
            let acc = &mut s.acc[p];
            acc.classes[(label + 1) as usize] += usize::from(known);
            acc.trades += usize::from(traded);
            acc.sum += if traded { pnl } else { 0.0 };
            acc.sumsq += if traded { pnl * pnl } else { 0.0 };
        }
    }
    s.acc
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
    use crate::barrier::TieRule;
    use crate::label::{Vertical, label_events};

    /// A path with wicks, gaps and ties: closes from `steps`, opens gapping by `gaps`.
    fn path(steps: &[f64], gaps: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut close = vec![100.0];
        for s in steps {
            close.push(close.last().unwrap() * (1.0 + s));
        }
        let open: Vec<f64> = (0..close.len()).map(|i| if i == 0 { 100.0 } else { close[i - 1] * (1.0 + gaps[i % gaps.len()]) }).collect();
        let high: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.max(*c) * 1.0005).collect();
        let low: Vec<f64> = open.iter().zip(&close).map(|(o, c)| o.min(*c) * 0.9995).collect();
        (open, high, low, close)
    }

    /// Every candidate's score equals the statistics of the labels `label_events` writes.
    fn check_against_labels(p: &Prices<'_>, events: &[Event], candidates: &[Candidate], obj: &Objective) {
        let longest = candidates.iter().map(|c| c.horizon).max().unwrap();
        let mode = candidates[0].spec.mode;
        let scores = score_all(p, events, &Paths::build(p, events, longest, mode), candidates, obj);
        for (cand, s) in candidates.iter().zip(&scores) {
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

    proptest! {
        /// Scoring from path records is the scan, exactly: every mode, side, tie rule,
        /// gaps, disabled barriers, meta-labels and horizons shorter than the records'.
        #[test]
        fn records_score_what_the_scan_labels(
            steps in prop::collection::vec(-0.01f64..0.01, 20..400),
            gaps in prop::collection::vec(-0.006f64..0.006, 1..7),
            cands in prop::collection::vec((0.0f64..3.0, 0.0f64..3.0, 1u32..30, 0.0f64..0.004), 1..6),
            close_mode in any::<bool>(),
            profit_tie in any::<bool>(),
            meta in any::<bool>(),
        ) {
            let (open, high, low, close) = path(&steps, &gaps);
            let p = Prices { open: &open, high: &high, low: &low, close: &close };
            let events: Vec<Event> = (0..close.len())
                .filter(|b| b % 5 != 2)
                .map(|bar| Event { bar, target: 0.002 + 0.001 * (bar % 4) as f64, side: if meta && bar % 2 == 1 { -1 } else { 1 }, vertical: Vertical::Horizons })
                .collect();
            let mode = if close_mode { TouchMode::Close } else { TouchMode::HighLow };
            let tie = if profit_tie { TieRule::Profit } else { TieRule::Stop };
            let cands: Vec<Candidate> = cands
                .iter()
                .map(|&(pt, sl, horizon, min_ret)| Candidate { spec: BarrierSpec { pt: pt - 0.3, sl: sl - 0.3, mode, tie }, horizon, rule: LabelRule { min_ret, meta } })
                .collect();
            check_against_labels(&p, &events, &cands, &Objective { balance_weight: 0.7, sharpe_weight: 1.3, cost_bps: 2.0 });
        }
    }
}
