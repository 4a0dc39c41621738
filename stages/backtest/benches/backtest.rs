//! Backtest throughput on 1M bars with a signal on every bar.
//!
//! `cargo bench --workspace --bench backtest -- [PATH.parquet]`: the 1M-bar
//! series of the Python peers (`bench.py gen` writes `mes_synth_1m_1M.parquet`), else
//! 1M generated 1-minute bars. Signals: the sign of the last 3 bars' move, on every bar
//! (so a new trade starts as soon as the last one ends); default params (market entries,
//! 1 ATR stop and target, 12-bar time out, risk sizing, daily loss stop, flat at the
//! day's end). Prints the median wall time of 5 runs of each step.

use std::time::Instant;

use arrow::array::RecordBatch;
use mlfactory_backtest::params::SplitFilter;
use mlfactory_backtest::signals::read_signals;
use mlfactory_backtest::sim::{Costs, simulate};
use mlfactory_backtest::tape::Tape;
use mlfactory_backtest::{Backtest, BacktestParams};
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Stage, StageContext, StageInputs};
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME};
use mlfactory_market::columns::{TableBuilder, f64_column, ts_column};
use mlfactory_market::{Bars, Calendar};

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

/// 1M one-minute bars during CME trading hours: a random walk on the tick grid.
fn generated() -> RecordBatch {
    let clock = Calendar::cme().clock();
    let mut t = Calendar::cme().utc_ns(2020, 1, 5, 17, 0).expect("a valid time");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut b = Bars::default();
    let mut price = 4000.0;
    while b.len() < 1_000_000 {
        if clock.is_open(t) {
            let open = price;
            let close = ((open + next() * 3.0) * 4.0).round() / 4.0;
            b.ts.push(t);
            b.open.push(open);
            b.close.push(close);
            b.high.push(((open.max(close) + next().abs() * 2.0) * 4.0).round() / 4.0);
            b.low.push(((open.min(close) - next().abs() * 2.0) * 4.0).round() / 4.0);
            b.volume.push(f64::NAN);
            price = close;
        }
        t += 60_000_000_000;
    }
    b.to_builder().meta(META_SYMBOL, "MES").meta(META_TIMEFRAME, "1m").build().expect("bars")
}

fn with_metadata(t: &RecordBatch) -> RecordBatch {
    let b = Bars::from_table(t).expect("bars");
    b.to_builder().meta(META_SYMBOL, "MES").meta(META_TIMEFRAME, "1m").build().expect("bars")
}

#[allow(clippy::print_stdout)]
fn main() {
    let bars = match std::env::args().skip(1).find(|a| a.ends_with(".parquet")) {
        Some(path) => with_metadata(&mlfactory_artifacts::table::decode_parquet(std::fs::read(&path).expect("read the parquet file")).expect("decode")),
        None => generated(),
    };
    let n = bars.num_rows();
    let ts = ts_column(&bars, "ts").expect("ts");
    let close = f64_column(&bars, "close").expect("close");
    let signal: Vec<i8> = (0..n).map(|i| if i < 3 { 0 } else { (close[i] - close[i - 3]).signum() as i8 }).collect();
    let predictions = TableBuilder::new().ts("ts", ts).str("split", &vec!["test"; n]).i8("signal", signal).build().expect("predictions");
    let p = BacktestParams { split: SplitFilter::Test, ..BacktestParams::default() };
    let costs = Costs { tick_size: 0.25, tick_value: 1.25, commission: p.commission_per_contract, slippage_ticks: p.slippage_ticks, penetration_ticks: 0.0 };

    let tape_s = median_secs(5, || {
        std::hint::black_box(Tape::from_table(&bars, p.atr_period, &p.regime_column, p.vol_regime_window).expect("tape"));
    });
    let tape = Tape::from_table(&bars, p.atr_period, &p.regime_column, p.vol_regime_window).expect("tape");
    let read_s = median_secs(5, || {
        std::hint::black_box(read_signals(&predictions, &tape, &p).expect("signals"));
    });
    let signals = read_signals(&predictions, &tape, &p).expect("signals");
    let mut trades = 0;
    let sim_s = median_secs(5, || {
        let run = simulate(&tape, &signals.signals, signals.span, &p, costs);
        trades = run.trades.len();
        std::hint::black_box(run);
    });
    let inputs = StageInputs::new().with_table("predictions", predictions.clone()).with_table("bars", bars.clone());
    let progress = NullProgress;
    let stage_s = median_secs(5, || {
        std::hint::black_box(Backtest.run(&StageContext::new(1, &progress), &p, &inputs).expect("backtest"));
    });
    println!("{n} bars, {} signals, {trades} trades", signals.signals.len());
    println!("tape (ATR, trading days, day ends, regimes): {tape_s:.4} s");
    println!("signals (predictions -> bars): {read_s:.4} s");
    println!("simulation: {sim_s:.4} s ({:.1} M bars/s)", n as f64 / sim_s / 1e6);
    println!("whole stage (tables and metrics included): {stage_s:.4} s ({:.1} M bars/s)", n as f64 / stage_s / 1e6);
}
