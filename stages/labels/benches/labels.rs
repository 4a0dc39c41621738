//! Labelling and barrier-search throughput on the Python peers' 1M-bar series.
//!
//! `cargo bench --workspace --bench labels -- PATH.parquet` (the file `bench.py gen`
//! writes, `mes_synth_1m_1M.parquet`). Same work as `bench.py`'s `label` and `optuna` steps:
//! targets = ATR14 / close (warm-up filled with the median), every bar an event,
//! pt = sl = 1; the search runs 1,000 evaluations (50 x 20) of pt, sl in [0.5, 4] at H = 20,
//! in close mode (as the peer) and in high/low mode (the stage's default).
//! Threads: `RAYON_NUM_THREADS`. Prints the median wall time of 5 runs per labelling
//! measurement, of 3 searches in close mode and of one in high/low mode. With `--groups`
//! it times instead one generation scored one by one against the rank grid, by group size.

use std::time::Instant;

use mlfactory_labels::barrier::{BarrierSpec, Prices, TieRule, TouchMode};
use mlfactory_labels::label::{Event, LabelRule, Vertical, label_events};
use mlfactory_labels::optimize::ga::{self, GaConfig};
use mlfactory_labels::optimize::objective::{Candidate, Objective, grid_group, score_all, score_grouped};
use mlfactory_labels::optimize::paths::Paths;
use mlfactory_labels::target::atr_ratio;
use mlfactory_market::Bars;
use rand::SeedableRng;

fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

#[allow(clippy::print_stdout)]
fn main() {
    let path = std::env::args().skip(1).find(|a| a.ends_with(".parquet")).expect("pass the 1M-bar parquet file");
    let bytes = std::fs::read(&path).expect("read the parquet file");
    let table = mlfactory_artifacts::table::decode_parquet(bytes).expect("decode");
    let bars = Bars::from_table(&table).expect("bars");
    let n = bars.len();
    let mut target = atr_ratio(&bars.high, &bars.low, &bars.close, 14);
    let mut finite: Vec<f64> = target.iter().copied().filter(|v| v.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    let median = finite[finite.len() / 2];
    target.iter_mut().filter(|v| !v.is_finite()).for_each(|v| *v = median);
    let prices = Prices { open: &bars.open, high: &bars.high, low: &bars.low, close: &bars.close };
    let events: Vec<Event> = (0..n).map(|bar| Event { bar, target: target[bar], side: 1, vertical: Vertical::Horizons }).collect();
    let rule = LabelRule { min_ret: 0.0, meta: false };
    let threads = rayon::current_num_threads();
    println!("{n} bars, {threads} threads");
    for mode in [TouchMode::Close, TouchMode::HighLow] {
        let spec = BarrierSpec { pt: 1.0, sl: 1.0, mode, tie: TieRule::Stop };
        let one = median_secs(5, || {
            std::hint::black_box(label_events(&prices, &events, &[20], &spec, &rule));
        });
        let four = median_secs(5, || {
            std::hint::black_box(label_events(&prices, &events, &[5, 10, 15, 20], &spec, &rule));
        });
        println!("label {mode:?}: 1M events x H=20: {one:.4} s; 1M events x [5,10,15,20]: {four:.4} s ({:.1} M event-horizons/s)", 4.0 * n as f64 / four / 1e6);
    }
    // the search: 1,000 evaluations, as optuna's 50 trials in bench.py (H = 20, pt/sl in [0.5, 4])
    let cut = n; // bench.py's optuna scores every bar; so do we here
    let cfg = GaConfig { population: 50, generations: 20, mutation: 0.2, crossover: 0.9, elitism: 2, tournament: 3 };
    let bounds = [(0.5, 4.0), (0.5, 4.0)];
    let obj = Objective::default();
    let ev = &events[..cut - 20];
    if std::env::args().any(|a| a == "--groups") {
        // one generation of `size` candidates sharing H = 20, spread over pt, sl in [0.5, 4]:
        // one by one against the rank grid (where `score_all` switches: `grid_group`)
        for mode in [TouchMode::Close, TouchMode::HighLow] {
            let paths = Paths::build(&prices, ev, 20, mode);
            for size in [1usize, 4, 8, 16, 24, 32, 48] {
                let spread = |i: usize, step: f64| 0.5 + 3.5 * (i as f64 * step).fract();
                let cands: Vec<Candidate> = (0..size)
                    .map(|i| Candidate { spec: BarrierSpec { pt: spread(i, 0.618), sl: spread(i, 0.377), mode, tie: TieRule::Stop }, horizon: 20, rule })
                    .collect();
                let [direct, grid] = [usize::MAX, 1].map(|from| {
                    median_secs(3, || {
                        std::hint::black_box(score_grouped(&prices, ev, &paths, &cands, &obj, from));
                    })
                });
                println!("{mode:?}, a group of {size}: one by one {:.0} ms, rank grid {:.0} ms (grid_group: {})", direct * 1e3, grid * 1e3, grid_group(mode));
            }
        }
        return;
    }
    for (mode, runs) in [(TouchMode::Close, 3), (TouchMode::HighLow, 1)] {
        let secs = median_secs(runs, || {
            // the records are built inside the timed search, as the stage builds them
            let paths = Paths::build(&prices, ev, 20, mode);
            let trace = ga::run(&cfg, &bounds, &mut rand_chacha::ChaCha8Rng::seed_from_u64(0), |_| {}, |genomes| {
                let candidates: Vec<Candidate> =
                    genomes.iter().map(|g| Candidate { spec: BarrierSpec { pt: g[0], sl: g[1], mode, tie: TieRule::Stop }, horizon: 20, rule }).collect();
                score_all(&prices, ev, &paths, &candidates, &obj).into_iter().map(|s| (s.fitness, ())).collect()
            });
            std::hint::black_box(trace);
        });
        println!("GA 50 x 20 = 1,000 evaluations on {} events ({mode:?}, H=20): {secs:.3} s ({:.2} ms per evaluation)", ev.len(), secs * 1e3 / 1000.0);
    }
}
