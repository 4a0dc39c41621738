//! Planted orders on real ES 5-minute bars (`shared/reference/data/es1_5m_20241203_20250630.parquet`,
//! TradingView `ES1!`, bars stamped at their open), run through the `backtest` stage, with
//! every fill worked out by hand below from the bars' prices and the rules of
//! docs/backtest.md. ES: tick 0.25, 12.50 USD a tick, so 50 USD a point.
//!
//! ATR distances use ATR(14) of the signal bar, taken from TA-Lib's golden
//! (`shared/reference/indicators/es1_5m_20241203_20250630_talib.parquet`, column `atr_14`),
//! rounded to whole ticks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use mlfactory_artifacts::table::decode_parquet;
use mlfactory_backtest::params::{BracketSides, EntryType, Sizing};
use mlfactory_backtest::{Backtest, BacktestParams};
use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Artifact, Stage, StageContext, StageInputs};
use mlfactory_market::Calendar;
use mlfactory_market::bars::{META_SYMBOL, META_TIMEFRAME};
use mlfactory_market::columns::{TableBuilder, f64_column, str_column, ts_column};
use mlfactory_market::intrabar::TieRule;

fn reference(test: &str) -> Option<PathBuf> {
    mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), test)
}

/// The ES bars with the metadata our pipeline's bars carry.
fn es_bars(dir: &Path) -> RecordBatch {
    let raw = decode_parquet(std::fs::read(dir.join("data/es1_5m_20241203_20250630.parquet")).unwrap()).unwrap();
    let mut meta = raw.schema().metadata().clone();
    meta.insert(META_SYMBOL.into(), "ES".into());
    meta.insert(META_TIMEFRAME.into(), "5m".into());
    let schema = Arc::new(Schema::new_with_metadata(raw.schema().fields().clone(), meta));
    raw.with_schema(schema).unwrap()
}

/// TA-Lib's ATR(14) at bar `row`.
fn golden_atr(dir: &Path, row: usize) -> f64 {
    let g = decode_parquet(std::fs::read(dir.join("indicators/es1_5m_20241203_20250630_talib.parquet")).unwrap()).unwrap();
    let rows = f64_column(&g, "row").unwrap();
    let k = rows.iter().position(|r| *r as usize == row).expect("row in the golden");
    f64_column(&g, "atr_14").unwrap()[k]
}

/// The bar opening at a Chicago wall-clock time.
fn bar_at(bars: &RecordBatch, (y, mo, d, h, mi): (i32, u32, u32, u32, u32)) -> usize {
    let t = Calendar::cme().utc_ns(y, mo, d, h, mi).unwrap();
    ts_column(bars, "ts").unwrap().binary_search(&t).expect("a bar at that time")
}

/// One fixed contract, no costs, stop and target at 1 ATR, no time out, no daily stop.
fn plain() -> BacktestParams {
    BacktestParams {
        split: mlfactory_backtest::params::SplitFilter::All,
        sizing: Sizing::Fixed,
        contracts: 1,
        commission_per_contract: 0.0,
        slippage_ticks: 0.0,
        stop_loss_atr: 1.0,
        take_profit_atr: 1.0,
        max_bars: 0,
        daily_loss_limit: 0.0,
        ..BacktestParams::default()
    }
}

/// A trade read back from the stage's `trades` table.
#[derive(Debug, PartialEq)]
struct Fill {
    entry_ts: i64,
    entry: f64,
    exit_ts: i64,
    exit: f64,
    reason: String,
    qty: f64,
    net: f64,
}

/// Runs the stage on `signals` (bar, side) and returns its trades.
fn backtest(bars: &RecordBatch, signals: &[(usize, i8)], p: &BacktestParams) -> Vec<Fill> {
    let ts = ts_column(bars, "ts").unwrap();
    let predictions = TableBuilder::new()
        .ts("ts", signals.iter().map(|s| ts[s.0]).collect())
        .str("split", &vec!["test"; signals.len()])
        .i8("signal", signals.iter().map(|s| s.1).collect())
        .build()
        .unwrap();
    let inputs = StageInputs::new().with_table("predictions", predictions).with_table("bars", bars.clone());
    let progress = NullProgress;
    let out = Backtest.run(&StageContext::new(1, &progress), p, &inputs).unwrap();
    let Artifact::Table(t) = &out.artifacts["trades"] else { panic!("trades is a table") };
    let (entry_ts, exit_ts) = (ts_column(t, "ts").unwrap(), ts_column(t, "exit_ts").unwrap());
    let (entry, exit, qty, net) =
        (f64_column(t, "entry_price").unwrap(), f64_column(t, "exit_price").unwrap(), f64_column(t, "qty").unwrap(), f64_column(t, "net_pnl").unwrap());
    let reason = str_column(t, "exit_reason").unwrap();
    (0..t.num_rows())
        .map(|i| Fill {
            entry_ts: entry_ts[i],
            entry: entry[i],
            exit_ts: exit_ts[i],
            exit: exit[i],
            reason: reason[i].clone().unwrap(),
            qty: qty[i],
            net: net[i],
        })
        .collect()
}

fn fill(bars: &RecordBatch, (entry_bar, entry): (usize, f64), (exit_bar, exit): (usize, f64), reason: &str, qty: f64, net: f64) -> Fill {
    let ts = ts_column(bars, "ts").unwrap();
    Fill { entry_ts: ts[entry_bar], entry, exit_ts: ts[exit_bar], exit, reason: reason.into(), qty, net }
}

/// 2024-12-30, RTH (Chicago):
///   09:35  o 6088.00 h 6101.00 l 6082.75 c 6099.50   <- long signal; ATR(14) 9.4804 = 37.9 -> 38 ticks = 9.50
///   09:40  o 6099.75 h 6104.00 l 6095.50 c 6101.50   <- entry at the open; stop 6090.25, target 6109.25
///   09:45  o 6101.50 h 6109.25 l 6087.00 c 6090.75   <- reaches both (no gap): the tie rule decides
#[test]
fn a_bar_reaching_stop_and_target_follows_the_labels_tie_rule() {
    let Some(dir) = reference("a_bar_reaching_stop_and_target_follows_the_labels_tie_rule") else { return };
    let bars = es_bars(&dir);
    let s = bar_at(&bars, (2024, 12, 30, 9, 35));
    assert!((golden_atr(&dir, s) - 9.480_379_809_681_747).abs() < 1e-9);
    let stop_first = backtest(&bars, &[(s, 1)], &plain());
    assert_eq!(stop_first, vec![fill(&bars, (s + 1, 6099.75), (s + 2, 6090.25), "stop_loss", 1.0, -9.5 * 50.0)]);
    let profit_first = backtest(&bars, &[(s, 1)], &BacktestParams { tie: TieRule::Profit, ..plain() });
    assert_eq!(profit_first, vec![fill(&bars, (s + 1, 6099.75), (s + 2, 6109.25), "take_profit", 1.0, 9.5 * 50.0)]);
    // One tick of slippage moves the entry to 6100.00, the stop to 6090.50 and the target
    // to 6109.50, which the 09:45 high (6109.25) misses: stopped under either rule, the
    // stop filled a tick worse at 6090.25; 2 x 2.25 USD commission.
    for tie in [TieRule::Stop, TieRule::Profit] {
        let p = BacktestParams { tie, slippage_ticks: 1.0, commission_per_contract: 2.25, ..plain() };
        assert_eq!(backtest(&bars, &[(s, 1)], &p), vec![fill(&bars, (s + 1, 6100.0), (s + 2, 6090.25), "stop_loss", 1.0, -9.75 * 50.0 - 4.5)]);
    }
    // Risk sizing: 0.5% of 1,000,000 = 5,000 USD over (38 ticks + 2 x 1 tick) x 12.50 +
    // 2 x 2.25 = 504.50 USD a contract: 9 contracts.
    let p = BacktestParams { sizing: Sizing::Risk, initial_capital: 1_000_000.0, slippage_ticks: 1.0, commission_per_contract: 2.25, ..plain() };
    let sized = backtest(&bars, &[(s, 1)], &p);
    assert_eq!(sized[0].qty, 9.0);
    assert!((sized[0].net - 9.0 * (-9.75 * 50.0 - 4.5)).abs() < 1e-9);
}

/// Friday 2025-01-31 and Sunday 2025-02-02 (Chicago):
///   15:45  o 6223.25 h 6226.00 l 6223.00 c 6225.75   <- long signal; ATR 7.1434 = 28.6 -> 29 ticks = 7.25
///   15:50  o 6225.75 h 6228.00 l 6223.00 c 6223.50   <- entry 6225.75; stop 6218.50, target 6233.00
///   15:55  o 6223.50 h 6227.00 l 6222.00 c 6226.25   <- the day's last bar (closes at 16:00)
///   Sun 17:00  o 6143.00 h 6143.25 l 6102.75 c 6119.25   <- the weekend gap: opens 75.50 below the stop
#[test]
fn a_weekend_gap_fills_the_stop_at_the_open() {
    let Some(dir) = reference("a_weekend_gap_fills_the_stop_at_the_open") else { return };
    let bars = es_bars(&dir);
    let s = bar_at(&bars, (2025, 1, 31, 15, 45));
    assert!((golden_atr(&dir, s) - 7.143_445_011_357_786).abs() < 1e-9);
    // flat at the day's end: out at the 15:55 bar's close
    assert_eq!(backtest(&bars, &[(s, 1)], &plain()), vec![fill(&bars, (s + 1, 6225.75), (s + 2, 6226.25), "day_end", 1.0, 0.5 * 50.0)]);
    // held over the weekend: the stop fills at Sunday's open, not at 6218.50
    let hold = BacktestParams { flat_at_day_end: false, ..plain() };
    let sunday = bar_at(&bars, (2025, 2, 2, 17, 0));
    assert_eq!(sunday, s + 3);
    assert_eq!(backtest(&bars, &[(s, 1)], &hold), vec![fill(&bars, (s + 1, 6225.75), (sunday, 6143.0), "stop_loss", 1.0, (6143.0 - 6225.75) * 50.0)]);
    // with a tick of slippage on both fills
    let slipped = BacktestParams { slippage_ticks: 1.0, ..hold };
    assert_eq!(backtest(&bars, &[(s, 1)], &slipped), vec![fill(&bars, (s + 1, 6226.0), (sunday, 6142.75), "stop_loss", 1.0, (6142.75 - 6226.0) * 50.0)]);
}

/// 2025-01-14, the CPI release (Chicago):
///   07:25  o 6038.50 h 6042.50 l 6035.25 c 6038.50   <- signal; ATR 4.0600: legs at 0.5 ATR = 8 ticks
///                                                        (6040.50 / 6036.50), stop and target 1 ATR = 16 ticks
///   07:30  o 6040.25 h 6079.25 l 6038.50 c 6069.50   <- buy stop 6040.50 reached (no gap: it opens a tick
///                                                        below); the high comes after that fill, so the
///                                                        target 6044.50 is reached on this bar
#[test]
fn a_bracket_enters_on_the_breakout_and_exits_on_its_own_bar() {
    let Some(dir) = reference("a_bracket_enters_on_the_breakout_and_exits_on_its_own_bar") else { return };
    let bars = es_bars(&dir);
    let s = bar_at(&bars, (2025, 1, 14, 7, 25));
    assert!((golden_atr(&dir, s) - 4.060_015_839_491_72).abs() < 1e-9);
    let p = BacktestParams { entry: EntryType::Bracket, bracket_atr: 0.5, order_expiry_bars: 2, ..plain() };
    for side in [1, -1] {
        // both legs: the short leg (6036.50) is never reached, the signal's side does not matter
        assert_eq!(backtest(&bars, &[(s, side)], &p), vec![fill(&bars, (s + 1, 6040.5), (s + 1, 6044.5), "take_profit", 1.0, 4.0 * 50.0)]);
    }
    // only the short leg: 6036.50 is not reached within 2 bars (lows 6038.50, 6057.00): no trade
    let short_only = BacktestParams { bracket_sides: BracketSides::Signal, ..p };
    assert!(backtest(&bars, &[(s, -1)], &short_only).is_empty());
}

/// 2024-12-09 (Chicago):
///   14:45  o 6296.50 h 6297.50 l 6294.50 c 6297.50   <- long signal; ATR 3.0757: limit 0.25 ATR = 3 ticks
///                                                        below the close (6296.75), stop/target 12 ticks
///   14:50  o 6297.25 h 6299.75 l 6295.00 c 6295.00   <- the limit fills at 6296.75; the high touches the
///                                                        6299.75 target, but may have come before the fill
///   14:55  o 6295.25 h 6301.50 l 6294.00 c 6299.75   <- target (stop 6293.75 untouched)
#[test]
fn a_limit_entry_fills_at_its_price_and_its_bar_counts_only_what_follows() {
    let Some(dir) = reference("a_limit_entry_fills_at_its_price_and_its_bar_counts_only_what_follows") else { return };
    let bars = es_bars(&dir);
    let s = bar_at(&bars, (2024, 12, 9, 14, 45));
    assert!((golden_atr(&dir, s) - 3.075_667_293_907_345).abs() < 1e-9);
    let p = BacktestParams { entry: EntryType::Limit, ..plain() };
    assert_eq!(backtest(&bars, &[(s, 1)], &p), vec![fill(&bars, (s + 1, 6296.75), (s + 2, 6299.75), "take_profit", 1.0, 3.0 * 50.0)]);
    // under the optimistic reading the entry bar's high counts
    let optimistic = BacktestParams { tie: TieRule::Profit, ..p.clone() };
    assert_eq!(backtest(&bars, &[(s, 1)], &optimistic), vec![fill(&bars, (s + 1, 6296.75), (s + 1, 6299.75), "take_profit", 1.0, 3.0 * 50.0)]);
    // one tick of penetration required: 14:50 trades 7 ticks through, still filled
    let pen = BacktestParams { limit_penetration_ticks: 1, ..p };
    assert_eq!(backtest(&bars, &[(s, 1)], &pen)[0].entry, 6296.75);
}

/// 2024-12-16 (Chicago), the RTH open:
///   08:30  c 6305.50 <- short signal; stop/target 10 ATR (far away), time out after 3 bars
///   08:35  o 6305.50                       <- sold at 6305.25 (1 tick of slippage)
///   08:40, 08:45  c 6306.25                <- the third bar: bought back at its close + 1 tick = 6306.50
#[test]
fn a_time_out_exits_at_the_close_of_the_last_bar_allowed() {
    let Some(dir) = reference("a_time_out_exits_at_the_close_of_the_last_bar_allowed") else { return };
    let bars = es_bars(&dir);
    let s = bar_at(&bars, (2024, 12, 16, 8, 30));
    let p = BacktestParams { stop_loss_atr: 10.0, take_profit_atr: 10.0, max_bars: 3, slippage_ticks: 1.0, commission_per_contract: 2.25, ..plain() };
    assert_eq!(backtest(&bars, &[(s, -1)], &p), vec![fill(&bars, (s + 1, 6305.25), (s + 3, 6306.5), "time_out", 1.0, -1.25 * 50.0 - 4.5)]);
}

/// The no-lookahead rule on the real series: a signal every 7 bars, alternating sides,
/// with every default (risk sizing, daily loss stop, flat at the day's end); rewriting
/// every bar after `t` (mirrored prices) changes nothing that happened at or before `t`.
#[test]
fn rewriting_the_future_never_changes_the_past() {
    let Some(dir) = reference("rewriting_the_future_never_changes_the_past") else { return };
    let bars = es_bars(&dir);
    let n = bars.num_rows();
    let signals: Vec<(usize, i8)> = (100..n).step_by(7).map(|i| (i, if (i / 7) % 2 == 0 { 1 } else { -1 })).collect();
    let p =
        BacktestParams { initial_capital: 1_000_000.0, ..BacktestParams { split: mlfactory_backtest::params::SplitFilter::All, ..BacktestParams::default() } };
    let all = backtest(&bars, &signals, &p);
    assert!(all.len() > 500, "{} trades", all.len());
    let ts = ts_column(&bars, "ts").unwrap();
    for cut in [n / 5, n / 2, n - 300] {
        let mirrored = mirror_after(&bars, cut);
        let other = backtest(&mirrored, &signals, &p);
        let closed = |f: &[Fill]| {
            f.iter().filter(|x| x.exit_ts <= ts[cut]).map(|x| (x.entry_ts, x.entry, x.exit_ts, x.exit, x.qty, x.net.to_bits())).collect::<Vec<_>>()
        };
        assert_eq!(closed(&all), closed(&other), "cut at {cut}");
        assert!(all.len() > closed(&all).len() && all != other, "the rewrite must change what comes after the cut");
        let entered = |f: &[Fill]| f.iter().filter(|x| x.entry_ts <= ts[cut]).map(|x| (x.entry_ts, x.entry, x.qty)).collect::<Vec<_>>();
        assert_eq!(entered(&all), entered(&other), "cut at {cut}");
    }
}

/// The bars with every price after `cut` mirrored around 10,000 (high and low swap).
fn mirror_after(bars: &RecordBatch, cut: usize) -> RecordBatch {
    let col = |name: &str| f64_column(bars, name).unwrap();
    let (o, h, l, c) = (col("open"), col("high"), col("low"), col("close"));
    let m = |v: &[f64], w: &[f64]| -> Vec<f64> { (0..v.len()).map(|i| if i > cut { 10_000.0 - w[i] } else { v[i] }).collect() };
    let t = TableBuilder::new()
        .ts("ts", ts_column(bars, "ts").unwrap())
        .f64("open", m(&o, &o))
        .f64("high", m(&h, &l))
        .f64("low", m(&l, &h))
        .f64("close", m(&c, &c))
        .meta(META_SYMBOL, "ES")
        .meta(META_TIMEFRAME, "5m")
        .build()
        .unwrap();
    assert_eq!(t.num_rows(), bars.num_rows());
    t
}

/// Same inputs, same bytes: the trade log and equity curve encode to identical Parquet,
/// the metrics to identical JSON.
#[test]
fn the_stage_output_is_byte_identical_across_runs() {
    let Some(dir) = reference("the_stage_output_is_byte_identical_across_runs") else { return };
    let bars = es_bars(&dir);
    let ts = ts_column(&bars, "ts").unwrap();
    let close = f64_column(&bars, "close").unwrap();
    let n = bars.num_rows();
    let predictions = TableBuilder::new()
        .ts("ts", ts)
        .str("split", &vec!["test"; n])
        .i8("signal", (0..n).map(|i| if i < 3 { 0 } else { (close[i] - close[i - 3]).signum() as i8 }).collect())
        .build()
        .unwrap();
    let inputs = StageInputs::new().with_table("predictions", predictions).with_table("bars", bars.clone());
    let progress = NullProgress;
    let encode = |out: &mlfactory_engine::StageOutput| -> Vec<Vec<u8>> {
        ["trades", "equity", "metrics"]
            .iter()
            .map(|name| match &out.artifacts[*name] {
                Artifact::Table(t) => mlfactory_artifacts::table::encode_parquet(t).unwrap(),
                Artifact::Json(v) => serde_json::to_vec(v).unwrap(),
                Artifact::Blob { bytes, .. } => bytes.to_vec(),
            })
            .collect()
    };
    let p = BacktestParams { initial_capital: 1_000_000.0, ..BacktestParams::default() };
    let a = encode(&Backtest.run(&StageContext::new(1, &progress), &p, &inputs).unwrap());
    let b = encode(&Backtest.run(&StageContext::new(2, &progress), &p, &inputs).unwrap());
    assert_eq!(a, b);
}
