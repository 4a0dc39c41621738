//! Times the validation numerics in process, for the ratios in `docs/performance.md`:
//!
//! - `pbo`: CSCV over T = 2000 periods x N = 100 strategies, S = 16 (12,870 combinations),
//!   the shape of `bench.py`'s `pbo` step (i.i.d. normal returns, 1% vol, a small
//!   per-strategy drift);
//! - `cpcv`: CPCV with N = 10 groups, k = 2 over `n` events (labels spanning 20 bars,
//!   1% embargo): the 45 purged / embargoed splits, the 9 paths assembled from per-split
//!   predictions, and each path's Sharpe.
//!
//! `cargo run --release -p mlfactory-validate --example validate_bench -- pbo 20`
//! `cargo run --release -p mlfactory-validate --example validate_bench -- cpcv 20 100000`
//!
//! Prints the median and min wall seconds over the runs (after one warm-up). Threads:
//! `RAYON_NUM_THREADS` (1 to compare with the single-threaded Python figures).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use mlfactory_models::Predicted;
use mlfactory_splits::splitter::{CombinatorialPurgedKFold, Interval};
use mlfactory_validate::cv::FoldJob;
use mlfactory_validate::stages::cpcv::assemble_paths;
use mlfactory_validate::stats::cscv::cscv;
use mlfactory_validate::stats::moments::sharpe;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

fn time(runs: usize, mut f: impl FnMut() -> f64) {
    let mut check = f();
    let mut secs: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            check = f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    println!("median {:.6} s, min {:.6} s over {runs} runs (check value {check:.6})", secs[runs / 2], secs[0]);
}

fn pbo(runs: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let noise = Normal::new(0.0, 0.01).expect("valid");
    let drift = Normal::new(0.0, 0.0005).expect("valid");
    let returns: Vec<Vec<f64>> = (0..100)
        .map(|_| {
            let d = drift.sample(&mut rng);
            (0..2000).map(|_| noise.sample(&mut rng) + d).collect()
        })
        .collect();
    print!("pbo T=2000 N=100 S=16: ");
    time(runs, || cscv(&returns, 16).expect("cscv").pbo);
}

fn cpcv(runs: usize, n: usize) {
    let info: Vec<Interval> = (0..n as i64).map(|i| Interval::new(i, i + 20)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let ret: Vec<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
    let p_long: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    print!("cpcv n={n} N=10 k=2: ");
    time(runs, || {
        let cpcv = CombinatorialPurgedKFold::new(10, 2).with_embargo(n / 100);
        let splits = cpcv.split(&info).expect("splits");
        let jobs: Vec<FoldJob> = splits.into_iter().enumerate().map(|(s, sp)| FoldJob { name: format!("split-{s}"), train: sp.train, test: sp.test }).collect();
        // Stand-in per-split predictions: the row's score, shifted by the split id.
        let predicted: Vec<Predicted> = jobs
            .iter()
            .enumerate()
            .map(|(s, j)| {
                let proba = j.test.iter().map(|&i| {
                    let l = (p_long[i] + s as f64 * 0.001).min(1.0);
                    [1.0 - l, 0.0, l]
                });
                Predicted { proba: proba.collect(), expected_return: vec![0.0; j.test.len()] }
            })
            .collect();
        let paths = assemble_paths(&cpcv, n, &jobs, &predicted);
        let path_sharpes: Vec<f64> =
            paths.iter().map(|(p, _)| sharpe(&p.proba.iter().zip(&ret).map(|(q, r)| if q[2] > q[0] { *r } else { -r }).collect::<Vec<_>>())).collect();
        path_sharpes.iter().sum::<f64>() / path_sharpes.len() as f64
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(20);
    match args.get(1).map(String::as_str) {
        Some("pbo") => pbo(runs),
        Some("cpcv") => cpcv(runs, args.get(3).and_then(|n| n.parse().ok()).unwrap_or(100_000)),
        _ => println!("usage: validate_bench pbo|cpcv [RUNS] [N_EVENTS]"),
    }
}
