//! The probability of backtest overfitting (PBO) by combinatorially symmetric
//! cross-validation (CSCV; Bailey, Borwein, López de Prado & Zhu 2015).
//!
//! Given T periods of returns of N strategy variants:
//!
//! 1. drop the **first** T mod S rows (pypbo's convention) and cut the rest into S
//!    contiguous blocks of ⌊T/S⌋ rows;
//! 2. for every one of the C(S, S/2) choices of S/2 blocks (lexicographic order, as
//!    `itertools.combinations(range(S), S/2)`), the chosen blocks in time order are the
//!    in-sample set and the others the out-of-sample set;
//! 3. score each variant in and out of sample by its per-period Sharpe (mean / std,
//!    ddof = 1), take n* = the in-sample best (the first on ties), its out-of-sample rank
//!    r (average ranks on ties, 1 = worst), ω̄ = r / (N + 1) and the logit
//!    λ = ln(ω̄ / (1 − ω̄));
//! 4. PBO = the share of combinations with λ ≤ 0; the probability of an out-of-sample
//!    loss is the share with R_oos(n*) < 0; the performance degradation is the OLS line of
//!    R_oos(n*) on R_is(n*).
//!
//! Sharpe ratios come from per-block sums of the values centred on each column's mean,
//! so every combination costs O(S·N) instead of O(T·N), without the cancellation that
//! raw sums of squares would suffer; combinations run in parallel and are collected in
//! their fixed order.

use mlfactory_splits::splitter::{binomial, combinations};
use rayon::prelude::*;
use serde::Serialize;

/// One CSCV combination's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Combination {
    /// The in-sample blocks, ascending.
    pub is_blocks: Vec<usize>,
    /// The in-sample best variant (column index).
    pub n_star: usize,
    pub r_is: f64,
    pub r_oos: f64,
    /// Out-of-sample rank of `n_star` among the N variants (1 = worst, ties averaged).
    pub oos_rank: f64,
    /// rank / (N + 1).
    pub w_bar: f64,
    pub logit: f64,
}

/// The OLS line of out-of-sample on in-sample performance of the selected variant.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Degradation {
    pub slope: f64,
    pub intercept: f64,
    /// Pearson correlation.
    pub rvalue: f64,
}

/// Everything CSCV computes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cscv {
    /// Rows dropped at the start so that S blocks have equal length.
    pub rows_dropped: usize,
    pub block_len: usize,
    pub combinations: Vec<Combination>,
    /// Share of combinations with logit ≤ 0.
    pub pbo: f64,
    /// Share with logit < 0.
    pub pbo_strict: f64,
    /// Share with a negative out-of-sample Sharpe of the selected variant.
    pub prob_oos_loss: f64,
    pub degradation: Degradation,
}

/// Why CSCV cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CscvError {
    #[error("`partitions` must be even and at least 2, got {0}")]
    OddPartitions(usize),
    #[error("{partitions} partitions give more than {limit} combinations (at most {max} partitions)")]
    TooManyCombinations { partitions: usize, limit: usize, max: usize },
    #[error("{rows} rows cannot make {partitions} blocks of at least 2 rows")]
    TooFewRows { rows: usize, partitions: usize },
    #[error("at least 2 strategies are needed, got {0}")]
    TooFewStrategies(usize),
    #[error("strategy {column} has {len} rows, the first has {rows}")]
    Ragged { column: usize, len: usize, rows: usize },
    #[error("strategy {column} has a non-finite return at row {row}")]
    NonFinite { column: usize, row: usize },
}

/// The most combinations CSCV enumerates (S = 22 gives 705,432).
pub const MAX_COMBINATIONS: usize = 1_000_000;

/// The largest `partitions` accepted (C(22, 11) is within [`MAX_COMBINATIONS`]).
pub const MAX_PARTITIONS: usize = 22;

/// Runs CSCV on `returns`: one slice per strategy, all of the same length T.
pub fn cscv(returns: &[Vec<f64>], partitions: usize) -> Result<Cscv, CscvError> {
    let s = partitions;
    if s < 2 || !s.is_multiple_of(2) {
        return Err(CscvError::OddPartitions(s));
    }
    if s > MAX_PARTITIONS || binomial(s, s / 2) > MAX_COMBINATIONS {
        return Err(CscvError::TooManyCombinations { partitions: s, limit: MAX_COMBINATIONS, max: MAX_PARTITIONS });
    }
    let n = returns.len();
    if n < 2 {
        return Err(CscvError::TooFewStrategies(n));
    }
    let t = returns[0].len();
    for (column, r) in returns.iter().enumerate() {
        if r.len() != t {
            return Err(CscvError::Ragged { column, len: r.len(), rows: t });
        }
        if let Some(row) = r.iter().position(|v| !v.is_finite()) {
            return Err(CscvError::NonFinite { column, row });
        }
    }
    let block_len = t / s;
    if block_len < 2 {
        return Err(CscvError::TooFewRows { rows: t, partitions: s });
    }
    let dropped = t % s;
    let blocks = BlockSums::new(returns, dropped, block_len, s);
    let half = (block_len * s / 2) as f64;
    let subsets = combinations(s, s / 2);
    let combinations: Vec<Combination> = subsets
        .into_par_iter()
        .with_min_len(64)
        .map(|is_blocks| {
            let mut in_sample = vec![0u8; s];
            for &b in &is_blocks {
                in_sample[b] = 1;
            }
            let (r_is, r_oos) = blocks.sharpes(&in_sample, half);
            let n_star = r_is.iter().enumerate().fold(0, |best, (j, &v)| if v > r_is[best] { j } else { best });
            let target = r_oos[n_star];
            let less = r_oos.iter().filter(|&&v| v < target).count();
            let equal = r_oos.iter().filter(|&&v| v == target).count();
            let oos_rank = less as f64 + f64::midpoint(equal as f64, 1.0);
            let w_bar = oos_rank / (n as f64 + 1.0);
            Combination { is_blocks, n_star, r_is: r_is[n_star], r_oos: target, oos_rank, w_bar, logit: (w_bar / (1.0 - w_bar)).ln() }
        })
        .collect();
    let total = combinations.len() as f64;
    let share = |f: &dyn Fn(&Combination) -> bool| combinations.iter().filter(|c| f(c)).count() as f64 / total;
    let pbo = share(&|c| c.logit <= 0.0);
    let pbo_strict = share(&|c| c.logit < 0.0);
    let prob_oos_loss = share(&|c| c.r_oos < 0.0);
    let x: Vec<f64> = combinations.iter().map(|c| c.r_is).collect();
    let y: Vec<f64> = combinations.iter().map(|c| c.r_oos).collect();
    Ok(Cscv { rows_dropped: dropped, block_len, pbo, pbo_strict, prob_oos_loss, degradation: linregress(&x, &y), combinations })
}

/// Per-block sums of each strategy's returns centred on its mean over the kept rows.
struct BlockSums {
    n: usize,
    /// Column means over the kept rows.
    centre: Vec<f64>,
    /// `sum[b * n + j]`: Σ (x − centre_j) over block b.
    sum: Vec<f64>,
    /// `sq[b * n + j]`: Σ (x − centre_j)² over block b.
    sq: Vec<f64>,
    /// Totals over all blocks.
    total_sum: Vec<f64>,
    total_sq: Vec<f64>,
}

impl BlockSums {
    fn new(returns: &[Vec<f64>], dropped: usize, block_len: usize, s: usize) -> Self {
        let n = returns.len();
        let kept = (block_len * s) as f64;
        let centre: Vec<f64> = returns.iter().map(|r| r[dropped..].iter().sum::<f64>() / kept).collect();
        let mut sum = vec![0.0; s * n];
        let mut sq = vec![0.0; s * n];
        for (j, r) in returns.iter().enumerate() {
            for b in 0..s {
                let start = dropped + b * block_len;
                let (mut a, mut q) = (0.0, 0.0);
                for &v in &r[start..start + block_len] {
                    let d = v - centre[j];
                    a += d;
                    q += d * d;
                }
                sum[b * n + j] = a;
                sq[b * n + j] = q;
            }
        }
        let total = |v: &[f64]| (0..n).map(|j| (0..s).map(|b| v[b * n + j]).sum()).collect();
        let (total_sum, total_sq) = (total(&sum), total(&sq));
        Self { n, centre, sum, sq, total_sum, total_sq }
    }

    /// In- and out-of-sample Sharpe of every strategy; `rows` per half.
    fn sharpes(&self, in_sample: &[u8], rows: f64) -> (Vec<f64>, Vec<f64>) {
        let n = self.n;
        let mut a = vec![0.0; n];
        let mut q = vec![0.0; n];
        for (b, _) in in_sample.iter().enumerate().filter(|(_, f)| **f == 1) {
            for j in 0..n {
                a[j] += self.sum[b * n + j];
                q[j] += self.sq[b * n + j];
            }
        }
        let sharpe = |j: usize, a: f64, q: f64| {
            let var = (q - a * a / rows) / (rows - 1.0);
            (a / rows + self.centre[j]) / var.sqrt()
        };
        let is = (0..n).map(|j| sharpe(j, a[j], q[j])).collect();
        let oos = (0..n).map(|j| sharpe(j, self.total_sum[j] - a[j], self.total_sq[j] - q[j])).collect();
        (is, oos)
    }
}

/// OLS of `y` on `x` (scipy's `linregress`): slope, intercept, Pearson r.
pub fn linregress(x: &[f64], y: &[f64]) -> Degradation {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
        sxy += (a - mx) * (b - my);
    }
    let slope = sxy / sxx;
    Degradation { slope, intercept: my - slope * mx, rvalue: sxy / (sxx * syy).sqrt() }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rejects_bad_shapes() {
        let r = vec![vec![0.0; 40]; 3];
        assert_eq!(cscv(&r, 3).unwrap_err(), CscvError::OddPartitions(3));
        assert!(matches!(cscv(&vec![vec![0.0; 10]; 3], 6), Err(CscvError::TooFewRows { .. })));
        assert!(matches!(cscv(&r[..1], 4), Err(CscvError::TooFewStrategies(1))));
        assert!(matches!(cscv(&r, 24), Err(CscvError::TooManyCombinations { .. })));
    }

    fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap().split(',').map(str::to_owned).collect();
        (header, lines.map(|l| l.split(',').map(str::to_owned).collect()).collect())
    }

    fn golden_cases(dir: &Path) -> Vec<PathBuf> {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(dir.join("finml/pbo")).unwrap().map(|e| e.unwrap().path()).collect();
        cases.sort();
        cases
    }

    /// Goldens: shared/reference/finml/pbo/* from pypbo @ ddbc631 `pbo(M, S, metric_func=sharpe,
    /// threshold=0, n_jobs=1)`, cross-checked by an own CSCV. pbo and ranks exact, R_* abs
    /// 1e-12, logits and the regression abs 1e-9.
    #[test]
    fn agrees_with_finml_pbo_goldens() {
        let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "agrees_with_finml_pbo_goldens") else { return };
        let cases = golden_cases(&dir);
        assert!(cases.len() >= 6);
        for case in cases {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let result: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("result.json")).unwrap()).unwrap();
            let (_, rows) = read_csv(&case.join("returns.csv"));
            let n = rows[0].len();
            let returns: Vec<Vec<f64>> = (0..n).map(|j| rows.iter().map(|r| r[j].parse().unwrap()).collect()).collect();
            let s = result["S"].as_u64().unwrap() as usize;
            let got = cscv(&returns, s).unwrap();
            assert_eq!(got.rows_dropped as u64, result["rows_dropped_first"].as_u64().unwrap(), "{name}");
            // Shares of C(S, S/2) combinations: the counts must be equal (pypbo's float
            // arithmetic can differ from count / total in the last bit).
            let total = got.combinations.len() as f64;
            let count = |share: f64| (share * total).round();
            for (what, mine, theirs) in
                [("pbo", got.pbo, "pbo"), ("pbo < 0", got.pbo_strict, "pbo_strict_lt0"), ("P(oos loss)", got.prob_oos_loss, "prob_oos_loss")]
            {
                let want = result[theirs].as_f64().unwrap();
                assert_eq!(count(mine), count(want), "{name}: {what}");
                assert!((mine - want).abs() < 1e-15, "{name}: {what}");
            }
            let reg = &result["degradation_linregress"];
            assert!((got.degradation.slope - reg["slope"].as_f64().unwrap()).abs() < 1e-9, "{name}: slope");
            assert!((got.degradation.intercept - reg["intercept"].as_f64().unwrap()).abs() < 1e-9, "{name}: intercept");
            assert!((got.degradation.rvalue - reg["rvalue"].as_f64().unwrap()).abs() < 1e-9, "{name}: rvalue");
            let (header, combos) = read_csv(&case.join("cscv_combinations.csv"));
            let col = |h: &str| header.iter().position(|x| x == h).unwrap();
            assert_eq!(combos.len(), got.combinations.len(), "{name}");
            for (row, c) in combos.iter().zip(&got.combinations) {
                let blocks: Vec<usize> = row[col("is_blocks")].split(' ').map(|b| b.parse().unwrap()).collect();
                assert_eq!(blocks, c.is_blocks, "{name}");
                assert_eq!(row[col("n_star")].parse::<usize>().unwrap(), c.n_star, "{name}: n_star {blocks:?}");
                assert_eq!(row[col("oos_rank_n_star")].parse::<f64>().unwrap(), c.oos_rank, "{name}: rank {blocks:?}");
                assert!((row[col("R_is_n_star")].parse::<f64>().unwrap() - c.r_is).abs() < 1e-12, "{name}: R_is");
                assert!((row[col("R_oos_n_star")].parse::<f64>().unwrap() - c.r_oos).abs() < 1e-12, "{name}: R_oos");
                assert!((row[col("logit")].parse::<f64>().unwrap() - c.logit).abs() < 1e-9, "{name}: logit");
            }
        }
    }

    #[test]
    fn same_result_for_any_thread_count() {
        let cols: Vec<Vec<f64>> = (0..7).map(|j| (0..96).map(|i| f64::from((i * 31 + j * 17) % 23) / 23.0 - 0.5).collect()).collect();
        let run_in = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| cscv(&cols, 8).unwrap());
        assert_eq!(run_in(1), run_in(4));
    }

    /// The block-sum Sharpe ratios equal a direct computation on concatenated rows.
    fn direct(returns: &[Vec<f64>], s: usize) -> Vec<(usize, f64, f64)> {
        let t = returns[0].len();
        let (l, d) = (t / s, t % s);
        combinations(s, s / 2)
            .into_iter()
            .map(|is| {
                let rows = |inside: bool| -> Vec<usize> { (0..s).filter(|b| is.contains(b) == inside).flat_map(|b| d + b * l..d + (b + 1) * l).collect() };
                let sr = |col: &Vec<f64>, rows: &[usize]| crate::stats::moments::sharpe(&rows.iter().map(|&i| col[i]).collect::<Vec<_>>());
                let (ri, ro) = (rows(true), rows(false));
                let r_is: Vec<f64> = returns.iter().map(|c| sr(c, &ri)).collect();
                let best = r_is.iter().enumerate().fold(0, |b, (j, &v)| if v > r_is[b] { j } else { b });
                (best, r_is[best], sr(&returns[best], &ro))
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn prop_block_sums_match_direct_sharpes(
            cols in prop::collection::vec(prop::collection::vec(-0.05f64..0.05, 27), 2..6),
            s in prop::sample::select(vec![2usize, 4, 6]),
        ) {
            let got = cscv(&cols, s).unwrap();
            for (c, (best, r_is, r_oos)) in got.combinations.iter().zip(direct(&cols, s)) {
                prop_assert_eq!(c.n_star, best);
                prop_assert!((c.r_is - r_is).abs() < 1e-10 && (c.r_oos - r_oos).abs() < 1e-10);
            }
            prop_assert!((0.0..=1.0).contains(&got.pbo));
        }

        #[test]
        fn prop_pbo_ignores_scale(cols in prop::collection::vec(prop::collection::vec(-0.05f64..0.05, 24), 3..5), k in 0.5f64..20.0) {
            let scaled: Vec<Vec<f64>> = cols.iter().map(|c| c.iter().map(|v| v * k).collect()).collect();
            let (a, b) = (cscv(&cols, 4).unwrap(), cscv(&scaled, 4).unwrap());
            prop_assert_eq!(a.pbo, b.pbo);
        }
    }
}
