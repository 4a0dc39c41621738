//! `features.mtf` throughput on the Python peers' 1M-bar series: 8 timeframes x 20
//! indicators with causal alignment, the work of `bench.py`'s `mtf` / `mtf_polars` steps.
//!
//! `cargo bench --workspace --bench mtf -- PATH.parquet` (the file `bench.py gen`
//! writes, `mes_synth_1m_1M.parquet`; `4M` works too). Ladder 5m, 10m, 15m, 20m, 25m, 30m,
//! 45m, 1h on 1-minute bars; the default indicators (the peer's 20: SMA 10/20, EMA
//! 10/20/50, RSI 14, MACD, Bollinger 20/2, ATR, NATR, ADX, CCI, STOCH, WILLR, ROC, MOM;
//! Bollinger gives 5 columns here, 2 in the peer). The time covers the stage's `run`:
//! resampling, indicators, alignment and building the Arrow table (not reading the file).
//! Threads: `RAYON_NUM_THREADS`. Prints the median and min of 5 runs (wall).

use std::time::Instant;

use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Stage, StageContext, StageInputs};
use mlfactory_features::mtf::{Mtf, MtfParams};

#[allow(clippy::print_stdout)]
fn main() {
    let path = std::env::args().skip(1).find(|a| a.ends_with(".parquet")).expect("pass the 1M-bar parquet file");
    let table = mlfactory_artifacts::table::decode_parquet(std::fs::read(&path).expect("read the parquet file")).expect("decode");
    let rows = table.num_rows();
    let inputs = StageInputs::new().with_table("bars", table);
    let params = MtfParams {
        timeframes: ["5m", "10m", "15m", "20m", "25m", "30m", "45m", "1h"].iter().map(|s| (*s).to_owned()).collect(),
        base_timeframe: Some("1m".into()),
        ..MtfParams::default()
    };
    Mtf.check(&params).expect("params");
    let ctx = StageContext::new(0, &NullProgress);
    let mut times = Vec::new();
    let mut columns = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let out = Mtf.run(&ctx, &params, &inputs).expect("run");
        times.push(start.elapsed().as_secs_f64());
        columns = out.metrics["columns"].as_u64().unwrap_or_default();
        std::hint::black_box(out);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "features.mtf: {rows} bars, 8 timeframes, {columns} columns, {} threads: median {:.3} s, min {:.3} s ({:.2} M bars/s)",
        rayon::current_num_threads(),
        times[2],
        times[0],
        rows as f64 / times[2] / 1e6
    );
}
