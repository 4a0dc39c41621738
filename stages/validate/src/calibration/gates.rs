//! Gate analysis: how boolean filters ("only when volume is above average", "only in the
//! trend direction") change the win rate of signals.
//!
//! For each filter, the signals where it holds ("pass") and where it does not ("fail"),
//! with counts, win rates and mean trade returns, against the baseline of all signals;
//! the `top` single filters by win-rate lift (among those with at least `min_samples`
//! passing signals) are then combined into every pair and triplet (logical AND).

use serde::Serialize;

/// Counts and rates of the signals a gate passes and fails.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GateStats {
    pub n_pass: usize,
    pub win_rate_pass: f64,
    pub avg_ret_pass: f64,
    pub n_fail: usize,
    pub win_rate_fail: f64,
    pub avg_ret_fail: f64,
    /// Win rate of every signal.
    pub baseline: f64,
    /// win_rate_pass − baseline.
    pub lift: f64,
}

/// Stats of `pass` over `rows` (indices into `win` / `ret`).
pub fn gate_stats(pass: impl Fn(usize) -> bool, rows: &[usize], win: &[bool], ret: &[f64]) -> GateStats {
    let (mut np, mut wp, mut rp, mut nf, mut wf, mut rf) = (0usize, 0usize, 0.0, 0usize, 0usize, 0.0);
    for &i in rows {
        if pass(i) {
            np += 1;
            wp += usize::from(win[i]);
            rp += ret[i];
        } else {
            nf += 1;
            wf += usize::from(win[i]);
            rf += ret[i];
        }
    }
    let rate = |a: usize, n: usize| if n == 0 { f64::NAN } else { a as f64 / n as f64 };
    let baseline = rate(wp + wf, np + nf);
    let win_rate_pass = rate(wp, np);
    GateStats {
        n_pass: np,
        win_rate_pass,
        avg_ret_pass: if np == 0 { f64::NAN } else { rp / np as f64 },
        n_fail: nf,
        win_rate_fail: rate(wf, nf),
        avg_ret_fail: if nf == 0 { f64::NAN } else { rf / nf as f64 },
        baseline,
        lift: win_rate_pass - baseline,
    }
}

/// The gates to report: every single filter, then every pair and triplet of the `top`
/// singles ranked by lift on `fit_rows` (ties by column order), among singles with at
/// least `min_samples` passing signals. Each gate is a sorted list of filter indices.
pub fn candidate_gates(filters: &[Vec<bool>], fit_rows: &[usize], win: &[bool], ret: &[f64], top: usize, min_samples: usize) -> Vec<Vec<usize>> {
    let mut singles: Vec<(usize, f64)> = (0..filters.len())
        .map(|j| (j, gate_stats(|i| filters[j][i], fit_rows, win, ret)))
        .filter(|(_, s)| s.n_pass >= min_samples && s.lift.is_finite())
        .map(|(j, s)| (j, s.lift))
        .collect();
    singles.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut best: Vec<usize> = singles.iter().take(top).map(|s| s.0).collect();
    best.sort_unstable();
    let mut gates: Vec<Vec<usize>> = (0..filters.len()).map(|j| vec![j]).collect();
    for size in [2, 3] {
        if best.len() >= size {
            gates.extend(mlfactory_splits::splitter::combinations(best.len(), size).into_iter().map(|c| c.into_iter().map(|k| best[k]).collect()));
        }
    }
    gates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_candidates() {
        let win = [true, true, false, false, true, false];
        let ret = [1.0, 2.0, -1.0, -1.0, 1.0, -2.0];
        let a = vec![true, true, false, false, true, false]; // a perfect filter
        let b = vec![true, false, true, false, true, false];
        let c = vec![false; 6];
        let rows: Vec<usize> = (0..6).collect();
        let s = gate_stats(|i| a[i], &rows, &win, &ret);
        assert_eq!((s.n_pass, s.n_fail), (3, 3));
        assert_eq!((s.win_rate_pass, s.win_rate_fail, s.baseline), (1.0, 0.0, 0.5));
        assert!((s.avg_ret_pass - 4.0 / 3.0).abs() < 1e-15);
        let gates = candidate_gates(&[a, b, c], &rows, &win, &ret, 2, 1);
        // Singles a, b, c; c never passes, so only a and b pair; no triplet from 2 singles.
        assert_eq!(gates, vec![vec![0], vec![1], vec![2], vec![0, 1]]);
    }
}
