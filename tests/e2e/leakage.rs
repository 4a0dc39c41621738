//! `mlfactory check-leakage`: every built-in feature stage passes; leaky SQL features
//! (`LEAD`, a centred moving average, a full-sample mean hidden in a subquery) are caught.

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{mlfactory, write_spec};

/// A few days of simulated bars feeding every feature stage kind, and three leaky controls.
const SPEC: &str = r#"
pipeline: leakage
seed: 11
stages:
  bars:
    kind: data.synth
    params: {symbol: MES, start: "2024-03-04", days: 4}
  bars_5m:
    kind: data.clean
    inputs: [bars]
    params: {timeframe: 5m}
  indicators:
    kind: features.indicators
    inputs: [bars_5m]
    params: {set: all}
  mtf:
    kind: features.mtf
    inputs: [bars]
    params: {timeframes: [1m, 5m, 15m, 45m, 1h], indicators: {set: minimal}}
  mtf_windows:
    kind: features.mtf
    inputs: [bars]
    params: {timeframes: [1m, 15m, 1h], mtf_strategy: multi_resolution, window: 4}
  sql_causal:
    kind: features.sql
    inputs: {bars: bars_5m, tables: [indicators]}
    params:
      query: |
        SELECT b.ts,
               b.close / LAG(b.close, 3) OVER (ORDER BY b.ts) - 1 AS ret_3,
               AVG(b.close) OVER (ORDER BY b.ts ROWS 9 PRECEDING) AS sma_10,
               i.rsi_14 / 100 AS rsi_unit
        FROM bars b JOIN indicators i ON b.ts = i.ts
  sql_lead:
    kind: features.sql
    inputs: [bars_5m]
    params:
      allow_lookahead: true
      query: SELECT ts, close AS c, LEAD(close) OVER (ORDER BY ts) AS next_close FROM bars
  sql_centred:
    kind: features.sql
    inputs: [bars_5m]
    params:
      allow_lookahead: true
      query: SELECT ts, AVG(close) OVER (ORDER BY ts ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING) AS sma_centred_11 FROM bars
  sql_demeaned:
    kind: features.sql
    inputs: [bars_5m]
    params:
      query: SELECT ts, close - (SELECT AVG(close) FROM bars) AS demeaned FROM bars
"#;

/// A temp dir holding the spec (and its store, shared by the tests: ancestors are cached).
fn dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        write_spec(dir.path(), "leakage.yaml", SPEC);
        dir
    })
    .path()
}

fn check(stage: &str, extra: &[&str]) -> (Output, Value) {
    let out = mlfactory().arg("check-leakage").arg(dir().join("leakage.yaml")).arg(stage).arg("--json").args(extra).output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{stage}: no JSON report ({e}):\n{}", String::from_utf8_lossy(&out.stderr)));
    (out, report)
}

fn leaking_columns(report: &Value) -> Vec<String> {
    let mut cols: Vec<String> = report["changes"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap().to_owned()).collect();
    cols.sort();
    cols.dedup();
    cols
}

#[test]
fn every_built_in_feature_stage_passes() {
    for stage in ["indicators", "mtf", "mtf_windows", "sql_causal"] {
        let (out, report) = check(stage, &[]);
        assert!(out.status.success(), "{stage} should pass:\n{}\n{report:#}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(report["changes"], serde_json::json!([]), "{stage}");
        assert_eq!(report["errors"], serde_json::json!([]), "{stage}");
        assert_eq!(report["cuts"].as_array().unwrap().len(), 4, "{stage}");
        assert_eq!(report["rewrites"].as_array().unwrap().len(), 5, "{stage}");
        assert!(report["columns"].as_array().unwrap().len() > 2, "{stage}: compared columns {:?}", report["columns"]);
    }
}

#[test]
fn lead_is_caught_and_the_honest_column_is_not_blamed() {
    let (out, report) = check("sql_lead", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(leaking_columns(&report), vec!["next_close"]);
    let change = &report["changes"][0];
    assert_eq!(change["first_changed_ts"], change["cut_ts"], "LEAD changes the row at the cut itself: {change}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("`sql_lead` leaks the future"));
}

#[test]
fn a_centred_moving_average_is_caught_before_the_cut() {
    let (out, report) = check("sql_centred", &["--cut", "0.5", "--rewrite", "scale"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(leaking_columns(&report), vec!["sma_centred_11"]);
    let change = &report["changes"][0];
    assert!(change["first_changed_ts"].as_i64() < change["cut_ts"].as_i64(), "5 bars ahead: the change starts 5 bars before the cut: {change}");
}

#[test]
fn a_full_sample_mean_the_syntax_check_cannot_see_is_caught() {
    let (out, report) = check("sql_demeaned", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(leaking_columns(&report), vec!["demeaned"]);
    // Whatever the cut, the very first row changes: the mean reads the whole series.
    let firsts: std::collections::BTreeSet<i64> = report["changes"].as_array().unwrap().iter().map(|c| c["first_changed_ts"].as_i64().unwrap()).collect();
    assert_eq!(firsts.len(), 1, "{firsts:?}");
    let text = mlfactory().arg("check-leakage").arg(dir().join("leakage.yaml")).arg("sql_demeaned").output().unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("LEAK   features.demeaned: first changed at"), "{stdout}");
}

#[test]
fn the_syntax_check_refuses_lead_when_planning() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        "s.yaml",
        "pipeline: s\nstages:\n  bars:\n    kind: data.synth\n    params: {symbol: MES, start: \"2024-03-04\", days: 1}\n  f:\n    kind: features.sql\n    inputs: [bars]\n    params:\n      query: SELECT ts, LEAD(close) OVER (ORDER BY ts) AS x FROM bars\n",
    );
    let out = mlfactory().arg("check-leakage").arg(&spec).arg("f").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a spec error");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("s.yaml:10") && stderr.contains("`LEAD` reads a later row at line 1, column 12"), "{stderr}");
}

#[test]
fn unknown_stages_and_bad_cuts_are_usage_errors() {
    let out = mlfactory().arg("check-leakage").arg(dir().join("leakage.yaml")).arg("indicatorz").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stage named `indicatorz`"));
    let out = mlfactory().arg("check-leakage").arg(dir().join("leakage.yaml")).arg("indicators").args(["--cut", "1.5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cut 1.5"));
}
