//! `features.mtf` `multi_resolution` to an LSTM: the tensor layout survives `dataset`,
//! `scale` and `features.select` through their Parquet artifacts, and a `sequence:
//! multi_resolution` model trains on it through YAML; without the layout it is an error
//! that says what to bind.

use serde_json::Value;

use crate::support::{mlfactory, ok, write_spec};

/// Three days of simulated 1-minute bars, a 2-timeframe tensor of 4 steps beside a few
/// indicators, and a tiny LSTM reading the tensor.
const SPEC: &str = r#"
pipeline: sequences
seed: 7
stages:
  bars:
    kind: data.synth
    params: {symbol: MES, start: "2024-03-04", days: 3}
  mtf:
    kind: features.mtf
    inputs: [bars]
    params: {timeframes: [1m, 5m], mtf_strategy: multi_resolution, window: 4}
  indicators:
    kind: features.indicators
    inputs: [bars]
    params: {set: minimal}
  labels:
    kind: labels.triple_barrier
    inputs: [bars]
    params: {horizons: [10]}
  splits:
    kind: splits
    inputs: [labels]
    params: {embargo: 10}
  dataset:
    kind: dataset
    inputs: {features: [mtf, indicators], labels: labels, splits: splits}
    params: {window: 0}
  scaled:
    kind: scale
    inputs: [dataset]
  selected:
    kind: features.select
    inputs: [scaled]
  lstm:
    kind: models.train
    inputs: [selected]
    params:
      model:
        type: lstm
        params: {sequence: multi_resolution, arch: {hidden: 8}, train: {epochs: 2, batch_size: 256, patience: 0}}
"#;

/// The `mtf` stage of [`SPEC`].
const MTF: &str = r#"  mtf:
    kind: features.mtf
    inputs: [bars]
    params: {timeframes: [1m, 5m], mtf_strategy: multi_resolution, window: 4}
"#;

/// [`SPEC`] without the tensor: the dataset holds indicators only.
fn without_tensor() -> String {
    assert!(SPEC.contains(MTF));
    SPEC.replace(MTF, "").replace("features: [mtf, indicators]", "features: [indicators]")
}

#[test]
fn a_multi_resolution_tensor_reaches_an_lstm_through_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "sequences.yaml", SPEC);
    let out = ok(mlfactory().arg("run").arg(&spec).arg("--json").arg("--cache-dir").arg(dir.path()));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stage = |name: &str| record["stages"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no stage `{name}`")).clone();

    let export = |target: &str, file: &str| {
        let path = dir.path().join(file);
        ok(mlfactory().args(["export", target]).arg("--to").arg(&path).arg("--cache-dir").arg(dir.path()));
        std::fs::read(path).unwrap()
    };
    let mtf = mlfactory_artifacts::table::decode_parquet(export("mtf.features", "mtf.parquet")).unwrap();
    let written = mtf.schema_ref().metadata()["mlfactory.mtf.layout"].clone();
    let layout: Value = serde_json::from_str(&written).unwrap();
    assert_eq!((layout["timeframes"].clone(), layout["window"].clone()), (serde_json::json!(["1m", "5m"]), serde_json::json!(4)));
    for target in ["dataset.dataset", "scaled.dataset", "selected.dataset"] {
        let table = mlfactory_artifacts::table::decode_parquet(export(target, "t.parquet")).unwrap();
        assert_eq!(table.schema_ref().metadata().get("mlfactory.mtf.layout"), Some(&written), "{target} lost the layout");
        for column in ["open_1m_l3", "close_5m_l0", "volume_5m_l2"] {
            assert!(table.column_by_name(column).is_some(), "{target} lacks `{column}`");
        }
    }
    assert_eq!(stage("selected")["metrics"]["tensor_columns"], 40, "2 timeframes x 4 steps x 5 fields pass through selection");

    let lstm = stage("lstm");
    assert_eq!(lstm["status"], "computed");
    assert!(lstm["outputs"]["predictions"]["rows"].as_u64().unwrap() > 0);
    let model = String::from_utf8_lossy(&export("lstm.model", "lstm.safetensors")).into_owned();
    assert!(model.contains("multi_resolution") && model.contains("close"), "the saved model records its sequence mode and layout");

    let spec = write_spec(dir.path(), "no_tensor.yaml", &without_tensor());
    let out = mlfactory().arg("run").arg(&spec).arg("--cache-dir").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no multi_resolution tensor layout") && stderr.contains("`features.mtf` stage with `mtf_strategy: multi_resolution`"), "{stderr}");
}
