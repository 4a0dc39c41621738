//! `features.indicators` throughput: 150+ columns on the Python peers' 1M- and 4M-bar
//! series, the work of `bench.py`'s `ind_talib` step (TA-Lib from Python, the same list as
//! far as both libraries have the indicators; see docs/performance.md).
//!
//! ```text
//! cargo bench --workspace --bench indicators -- /tmp/peers-data/mes_synth_1m_1M.parquet
//! ```
//! The file is what `bench.py gen --sizes 1M,4M --data-dir DIR` writes (the 4M one works
//! too). Times `compute` (all columns, not reading the file) on 1 thread and on every
//! core, 5 runs each, and prints the median and minimum wall seconds and the median CPU
//! seconds, plus the same for
//! `set: all`. With `--each`, times every indicator of the peer list alone instead; with
//! `--only=peer` or `--only=all`, only that selection (so that the process's peak memory,
//! e.g. from `/usr/bin/time -v`, is that of one table).
//! A plain timing loop (no criterion) so that it compiles with no extra
//! dependency on the shared 2-core CI machine.

use std::time::Instant;

use mlfactory_features::indicators::Input;
use mlfactory_features::{Selection, compute};
use mlfactory_market::{Bars, Calendar};

/// The peers' 150-column list (`bench.py` `features_talib`), in our vocabulary.
fn peer_selection() -> Selection {
    serde_json::from_str(
        r#"{
        "sma": [5, 10, 20, 30, 50, 100, 200, 400], "ema": [5, 10, 20, 30, 50, 100, 200, 400],
        "wma": [10, 20, 50, 100], "dema": [10, 20, 50], "tema": [10, 20, 50], "kama": [10, 30], "t3": [[5, 0.7]],
        "rsi": [7, 14, 21, 28], "macd": [[12, 26, 9], [5, 35, 5]], "bbands": [[20, 2], [50, 2]],
        "atr": [7, 14, 21, 50], "natr": [14, 50], "trange": true, "adx": [7, 14, 28], "plus_di": [14], "minus_di": [14],
        "cci": [14, 20, 50], "stoch": [[14, 3, 3]], "stochrsi": [[14, 3, 3]], "willr": [14, 28, 50],
        "roc": [1, 5, 10, 20, 50, 100], "mom": [5, 10, 20, 50], "obv": true, "mfi": [14, 28], "ad": true, "adosc": [[3, 10]],
        "rvol": [5, 10, 20, 50, 100, 200], "zscore": [10, 20, 50, 100, 200, 400], "logret": [1, 2, 3, 5, 10, 15, 20, 30, 60],
        "linearreg_slope": [10, 20, 50, 100], "linearreg_angle": [14], "tsf": [14], "aroon": [14], "aroonosc": [14],
        "ultosc": [[7, 14, 28]], "bop": true, "cmo": [14], "ppo_ema": [[12, 26]], "trix": [15], "apo_ema": [[12, 26]],
        "sar": [[0.02, 0.2]], "midprice": [14], "volume_zscore": [20, 100], "donchian": [20, 50, 100, 200],
        "ret": [1, 5, 10, 20], "gap": true, "corwin_schultz": [30], "minute_of_day": true, "day_of_week": true, "session": true
    }"#,
    )
    .expect("valid selection")
}

/// CPU seconds used by this process so far (all threads; Linux `/proc/self/stat`, 100
/// ticks a second), the figure `bench.py` records with `time.process_time()`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

/// Median wall, minimum wall and median CPU seconds of `runs` calls in a pool of
/// `threads`, and the column count.
fn time(bars: &Bars, selection: &Selection, threads: usize, runs: usize) -> (f64, f64, f64, usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    let (mut wall, mut cpu) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    let mut columns = 0;
    for _ in 0..runs {
        let (start, cpu0) = (Instant::now(), cpu_seconds());
        let out = pool.install(|| compute(bars, selection, &Calendar::cme()).expect("compute"));
        wall.push(start.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - cpu0);
        columns = out.len();
        std::hint::black_box(out);
    }
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[runs / 2], wall[0], cpu[runs / 2], columns)
}

/// Times every indicator of `selection` alone on this thread (median of 3) and prints
/// them slowest first with their share of the total: where a single-thread run spends
/// its time.
#[allow(clippy::print_stdout)]
fn each(bars: &Bars, selection: &Selection) {
    let input = Input::new(bars, Calendar::cme());
    let _ = input.local(); // shared by the time features: computed once, outside the timings
    let mut rows: Vec<(f64, String)> = selection
        .indicators()
        .expect("valid selection")
        .iter()
        .map(|ind| {
            let mut secs: Vec<f64> = (0..3)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box(ind.compute(&input));
                    start.elapsed().as_secs_f64()
                })
                .collect();
            secs.sort_by(f64::total_cmp);
            (secs[1], ind.columns().join(","))
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let total: f64 = rows.iter().map(|r| r.0).sum();
    println!("sum of {} indicators alone: {total:.3} s", rows.len());
    for (secs, columns) in rows {
        println!("{secs:8.4} s {:5.1}%  {columns}", 100.0 * secs / total);
    }
}

#[allow(clippy::print_stdout)]
fn main() {
    let Some(path) = std::env::args().skip(1).find(|a| a.ends_with(".parquet")) else {
        println!("usage: cargo bench --workspace --bench indicators -- PATH/mes_synth_1m_1M.parquet");
        return;
    };
    let table = mlfactory_artifacts::table::decode_parquet(std::fs::read(&path).expect("read the bench file")).expect("decode");
    let bars = Bars::from_table(&table).expect("a bar table");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let all: Selection = serde_json::from_value(serde_json::json!({"set": "all"})).expect("valid");
    println!("{} bars from {path}", bars.len());
    if std::env::args().any(|a| a == "--each") {
        each(&bars, &peer_selection());
        return;
    }
    let only = std::env::args().find_map(|a| a.strip_prefix("--only=").map(str::to_owned));
    let selections = [("peer list", "peer", peer_selection()), ("set: all", "all", all)];
    for (name, _, selection) in selections.into_iter().filter(|(_, key, _)| only.as_deref().is_none_or(|o| o == *key)) {
        for threads in [1, cores] {
            let (median, min, cpu, columns) = time(&bars, &selection, threads, 5);
            println!(
                "{name}: {columns} columns, {threads} thread(s): wall median {median:.3} s [min {min:.3}], cpu {cpu:.2} s ({:.0} M values/s)",
                (bars.len() * columns) as f64 / median / 1e6
            );
        }
    }
}
