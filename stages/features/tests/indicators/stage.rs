//! The `features.indicators` stage: table in, table out, errors that name the problem.

use mlfactory_engine::progress::NullProgress;
use mlfactory_engine::{Stage, StageContext, StageInputs};
use mlfactory_features::stage::Indicators;
use mlfactory_market::columns::f64_column;

use crate::common::synthetic_bars;

fn run(bars: &mlfactory_market::Bars, params: serde_json::Value) -> Result<arrow::array::RecordBatch, mlfactory_engine::StageError> {
    let ctx = StageContext::new(42, &NullProgress);
    let inputs = StageInputs::new().with_table("bars", bars.to_table().unwrap());
    let params = serde_json::from_value(params).unwrap();
    let out = Indicators.run(&ctx, &params, &inputs)?;
    match &out.artifacts["features"] {
        mlfactory_engine::Artifact::Table(t) => Ok(t.as_ref().clone()),
        other => panic!("expected a table, got {:?}", other.format()),
    }
}

#[test]
fn minimal_set_gives_ts_plus_nullable_feature_columns() {
    let bars = synthetic_bars(3_000, 3);
    let t = run(&bars, serde_json::json!({"set": "minimal"})).unwrap();
    assert_eq!(t.num_rows(), bars.len());
    assert_eq!(t.schema().field(0).name(), "ts");
    assert!(t.num_columns() > 15);
    let rsi = f64_column(&t, "rsi_14").unwrap();
    assert!(rsi[..14].iter().all(|v| v.is_nan()) && rsi[14..].iter().all(|v| v.is_finite()));
    // warm-up rows are null in the table, never zero
    assert_eq!(t.column_by_name("rsi_14").unwrap().null_count(), 14);
}

#[test]
fn bars_without_volume_drop_volume_features() {
    let mut bars = synthetic_bars(500, 3);
    bars.volume = vec![f64::NAN; bars.len()];
    let t = run(&bars, serde_json::json!({"set": "minimal"})).unwrap();
    assert!(t.column_by_name("mfi_14").is_none());
    assert!(t.column_by_name("rsi_14").is_some());
}

#[test]
fn bad_rows_are_reported_with_column_row_and_value() {
    let mut bars = synthetic_bars(100, 3);
    bars.close[42] = f64::INFINITY;
    let err = run(&bars, serde_json::json!({"rsi": [14]})).unwrap_err().to_string();
    assert!(err.contains("`close`") && err.contains("row 42") && err.contains("inf") && err.contains("hint:"), "{err}");
    let mut bars = synthetic_bars(100, 3);
    bars.volume[7] = f64::NAN;
    let err = run(&bars, serde_json::json!({"rsi": [14]})).unwrap_err().to_string();
    assert!(err.contains("`volume`") && err.contains("row 7"), "{err}");
}

#[test]
fn params_are_checked_before_running() {
    let params = serde_json::from_value(serde_json::json!({"macd": [[12, 1, 9]]})).unwrap();
    let issue = Indicators.check(&params).unwrap_err();
    assert_eq!(issue.path, ["macd", "0"]);
}
