//! Scoring candidates one by one per event: the way for candidates that share their
//! horizon and label rule with few others (a lone candidate costs less here than on the
//! rank [`grid`](super::grid)).
//!
//! Events are the outer loop and candidates the inner one, so each event's records are
//! read once for the whole batch, and the inner loops are free of data-dependent
//! branches (touch or not, which barrier, which label are selects). Every candidate
//! accumulates its events in order, chunk by chunk, so its sums are the ones it would get
//! alone, on any number of threads.

use rayon::prelude::*;

use super::objective::{Acc, CHUNK, Candidate};
use super::paths::Paths;
use crate::barrier::{Barrier, Prices, TouchMode, distance, levels, multiple, path_return, resolve_bar};
use crate::label::Event;

/// The accumulators of every candidate over `events` (within `prices`, scored from
/// `paths`), in order.
pub(super) fn score(prices: &Prices<'_>, events: &[Event], paths: &Paths, candidates: &[Candidate], cost: f64) -> Vec<Acc> {
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
            total
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
