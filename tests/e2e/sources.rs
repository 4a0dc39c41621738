//! Files a stage reads from outside the store: paths resolve against the spec's folder,
//! and the file's content is part of the stage key.

use std::fmt::Write as _;
use std::path::Path;

use crate::support::{mlfactory, ok, statuses};

/// Two hours of 1-minute bars on a Tuesday morning (Chicago), as CSV.
fn bars_csv(bump: f64) -> String {
    let mut csv = String::from("ts,open,high,low,close,volume\n");
    for i in 0..120 {
        let (h, m) = (14 + i / 60, i % 60);
        let c = 4800.0 + f64::from(i % 7) * 0.25 + bump;
        writeln!(csv, "2024-01-09T{h:02}:{m:02}:00Z,{c:.2},{:.2},{:.2},{c:.2},{}", c + 0.5, c - 0.5, 100 + i).unwrap();
    }
    csv
}

const SPEC: &str = "pipeline: sources\nstages:\n  bars:\n    kind: data.ingest\n    params: {path: bars.csv, symbol: MES}\n  bars_5m:\n    kind: data.clean\n    inputs: [bars]\n    params: {timeframe: 5m}\n";

fn run(spec: &Path, store: &Path) -> serde_json::Value {
    serde_json::from_slice(&ok(mlfactory().arg("run").arg(spec).arg("--json").arg("--cache-dir").arg(store)).stdout).unwrap()
}

#[test]
fn editing_an_input_file_reruns_the_stage_that_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, csv, store) = (dir.path().join("p.yaml"), dir.path().join("bars.csv"), dir.path().join("store"));
    std::fs::write(&spec, SPEC).unwrap();
    std::fs::write(&csv, bars_csv(0.0)).unwrap();

    // The test runs from the crate root: `bars.csv` is found beside the spec.
    let first = run(&spec, &store);
    assert!(statuses(&first).values().all(|s| s == "computed"), "{first:#}");
    assert!(first["stages"][0]["sources"]["blake3"].is_string(), "the record keeps the fingerprint");
    assert!(statuses(&run(&spec, &store)).values().all(|s| s == "cached"));

    std::fs::write(&csv, bars_csv(1.0)).unwrap();
    let out = ok(mlfactory().arg("status").arg(&spec).arg("--json").arg("--cache-dir").arg(&store));
    let states: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(states[0]["name"], "bars");
    assert_eq!(states[0]["reasons"][0]["reason"], "source_changed", "{states:#}");
    let again = run(&spec, &store);
    assert_eq!(statuses(&again)["bars"], "computed");
    assert_ne!(again["stages"][0]["key"], first["stages"][0]["key"]);
}
