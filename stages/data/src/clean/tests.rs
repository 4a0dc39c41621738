//! `data.clean` on small tables, and against the reference 5-minute ES bars.

use std::path::Path;

use mlfactory_artifacts::table::decode_parquet;
use mlfactory_engine::Artifact;
use mlfactory_engine::progress::NullProgress;
use mlfactory_market::bars::{META_SYMBOL, timeframe_of};
use mlfactory_market::columns::{f64_column, str_column};

use super::*;
use crate::synth::{Synth, SynthParams};

fn run(p: &CleanParams, table: RecordBatch) -> Result<(RecordBatch, serde_json::Value), StageError> {
    let progress = NullProgress;
    let ctx = StageContext::new(1, &progress);
    Clean.check(p).map_err(|i| StageError::data(i.message))?;
    let out = Clean.run(&ctx, p, &StageInputs::new().with_table("bars", table))?;
    let Artifact::Table(t) = &out.artifacts["bars"] else { panic!("bars is not a table") };
    let Artifact::Json(r) = &out.artifacts["report"] else { panic!("report is not JSON") };
    Ok((t.as_ref().clone(), r.clone()))
}

fn synth(days: u32) -> RecordBatch {
    let progress = NullProgress;
    let ctx = StageContext::new(4, &progress);
    let out = Synth.run(&ctx, &SynthParams { start: "2024-03-04".into(), days, ..SynthParams::default() }, &StageInputs::new()).unwrap();
    let Artifact::Table(t) = &out.artifacts["bars"] else { panic!() };
    t.as_ref().clone()
}

#[test]
fn five_minute_bars_of_the_simulator() {
    let one = synth(3);
    let (five, report) = run(&CleanParams { timeframe: "5m".into(), ..CleanParams::default() }, one.clone()).unwrap();
    assert_eq!(five.num_rows(), one.num_rows() / 5);
    assert_eq!(timeframe_of(&five), Some("5m"));
    assert_eq!(five.schema().metadata()[META_SYMBOL], "MES");
    assert_eq!(report["rows_in"], one.num_rows());
    let a = Bars::from_table(&one).unwrap();
    let b = Bars::from_table(&five).unwrap();
    for k in 0..b.len() {
        let s = 5 * k..5 * k + 5;
        assert_eq!(b.ts[k], a.ts[s.start]);
        assert_eq!(b.open[k], a.open[s.start]);
        assert_eq!(b.close[k], a.close[s.end - 1]);
        assert_eq!(b.high[k], a.high[s.clone()].iter().copied().fold(f64::MIN, f64::max));
        assert_eq!(b.low[k], a.low[s.clone()].iter().copied().fold(f64::MAX, f64::min));
        assert_eq!(b.volume[k], a.volume[s].iter().sum::<f64>());
    }
    // Labels pass through (last minute of each bucket) and tick columns are added.
    assert!(str_column(&five, "minute_state").is_ok());
    let range = f64_column(&five, ticks::RANGE).unwrap();
    assert!((0..b.len()).all(|k| range[k] == ((b.high[k] - b.low[k]) / 0.25).round()));
}

#[test]
fn rth_filter_keeps_08_30_to_15_00() {
    let one = synth(2);
    let (rth, _) = run(&CleanParams { timeframe: "30m".into(), session: SessionFilter::Rth, ..CleanParams::default() }, one).unwrap();
    // 6.5 hours = 13 half-hour bars a day, the first at 08:30.
    assert_eq!(rth.num_rows(), 26);
    let clock = Calendar::cme().clock();
    let b = Bars::from_table(&rth).unwrap();
    assert_eq!(clock.local(b.ts[0]).minute_of_day, 8 * 60 + 30);
    let (daily, _) = run(&CleanParams { timeframe: "1d".into(), ..CleanParams::default() }, synth(2)).unwrap();
    assert_eq!(daily.num_rows(), 2);
}

#[test]
fn bad_params_and_bad_input_are_reported() {
    assert!(Clean.check(&CleanParams { timeframe: "7x".into(), ..CleanParams::default() }).is_err());
    assert!(Clean.check(&CleanParams { windows: vec!["08:30-09:00".into()], ..CleanParams::default() }).unwrap_err().hint.unwrap().contains("custom"));
    let five = run(&CleanParams { timeframe: "5m".into(), ..CleanParams::default() }, synth(1)).unwrap().0;
    let err = run(&CleanParams { timeframe: "7m".into(), ..CleanParams::default() }, five).unwrap_err().to_string();
    assert!(err.contains("not a multiple"), "{err}");
}

/// The reference 5-minute ES bars are the 1-minute file aggregated to 5 minutes
/// (left-closed, left-labelled, epoch-anchored bins, empty bins dropped: see
/// shared/reference/data/README.md). Session anchoring gives the same bins for 5 minutes
/// because the exchange's UTC offset is a whole number of hours.
#[test]
fn es_5m_matches_the_reference_built_from_the_1m_file() {
    let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "es_5m_matches_the_reference_built_from_the_1m_file") else {
        return;
    };
    let read = |name: &str| decode_parquet(std::fs::read(dir.join("data").join(name)).unwrap()).unwrap();
    let one = read("es1_1m_20241203_20250630.parquet");
    let want = Bars::from_table(&read("es1_5m_20241203_20250630.parquet")).unwrap();
    for anchor in [AnchorParam::Session, AnchorParam::Epoch] {
        let (five, _) = run(&CleanParams { timeframe: "5m".into(), anchor, tick_size: Some(0.25), ..CleanParams::default() }, one.clone()).unwrap();
        let got = Bars::from_table(&five).unwrap();
        assert_eq!(got.ts, want.ts, "{anchor:?}");
        assert_eq!((got.open, got.high, got.low, got.close), (want.open.clone(), want.high.clone(), want.low.clone(), want.close.clone()), "{anchor:?}");
        // The 1-minute file has no volume: the 5-minute volume is null, not zero.
        assert!(got.volume.iter().all(|v| v.is_nan()));
    }
}

/// Leakage: a resampled bar depends only on the input bars inside it. Rewriting every
/// input bar from some time on leaves all earlier output bars unchanged.
#[test]
fn rewriting_the_future_leaves_past_bars_unchanged() {
    let one = synth(2);
    let mut bars = Bars::from_table(&one).unwrap();
    let cut = bars.len() / 2 + 3; // inside a 5-minute bucket
    for i in cut..bars.len() {
        bars.open[i] *= 1.5;
        bars.high[i] *= 1.5;
        bars.low[i] *= 1.5;
        bars.close[i] *= 1.5;
        bars.volume[i] += 1000.0;
    }
    let future = crate::clean::with_bars(&one, &bars, None).unwrap();
    let p = CleanParams { timeframe: "15m".into(), ..CleanParams::default() };
    let (a, _) = run(&p, one).unwrap();
    let (b, _) = run(&p, future).unwrap();
    let (a, b) = (Bars::from_table(&a).unwrap(), Bars::from_table(&b).unwrap());
    let cut_ts = bars.ts[cut];
    let past = a.ts.iter().filter(|&&t| t + 15 * 60_000_000_000 <= cut_ts).count();
    assert!(past > 50);
    for k in 0..past {
        assert_eq!((a.open[k], a.high[k], a.low[k], a.close[k], a.volume[k]), (b.open[k], b.high[k], b.low[k], b.close[k], b.volume[k]), "bar {k}");
    }
    assert_ne!(a.close[past], b.close[past], "the bucket holding the rewrite changes");
}
