//! Bad specs exit with 2 and point at FILE:LINE:COL with a hint.

use crate::support::{mlfactory, write_spec};

fn fails(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), "bad.yaml", text);
    let out = mlfactory().arg("run").arg(&spec).args(extra).arg("--cache-dir").arg(dir.path().join("store")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn malformed_yaml() {
    let err = fails("pipeline: p\nstages:\n  bars: {kind: data.synth\n  x: 1\n", &[]);
    assert!(err.contains("bad.yaml:3:") || err.contains("bad.yaml:4:"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
}

#[test]
fn misspelt_kind_suggests_the_nearest() {
    let err = fails("pipeline: p\nstages:\n  bars:\n    kind: data.synth\n  f:\n    kind: featurs.indicators\n    inputs: [bars]\n", &[]);
    assert!(err.contains("bad.yaml:6:11: error: stage `f`: unknown stage kind `featurs.indicators`"), "{err}");
    assert!(err.contains("hint: did you mean `features.indicators`?"), "{err}");
}

#[test]
fn unknown_param_suggests_the_nearest() {
    let err = fails("pipeline: p\nstages:\n  bars:\n    kind: data.synth\n    params:\n      dayz: 3\n", &[]);
    assert!(err.contains("bad.yaml:6:7: error: stage `bars` (data.synth): unknown param `dayz`"), "{err}");
    assert!(err.contains("did you mean `days`?"), "{err}");
}

#[test]
fn wrong_param_type() {
    let err = fails("pipeline: p\nstages:\n  bars:\n    kind: data.synth\n    params: {days: many}\n", &[]);
    assert!(err.contains("bad.yaml:5:") && err.contains("param `days`"), "{err}");
}

#[test]
fn cycle() {
    let err = fails("pipeline: p\nstages:\n  a: {kind: data.clean, inputs: [b]}\n  b: {kind: data.clean, inputs: [a]}\n", &[]);
    assert!(err.contains("cycle between stages: a -> b -> a"), "{err}");
    assert!(err.contains("bad.yaml:3:"), "{err}");
}

#[test]
fn unknown_input_and_top_level_key_are_both_reported() {
    let err = fails("pipeline: p\nstage: {}\nstages:\n  c: {kind: data.clean, inputs: [bras]}\n", &[]);
    assert!(err.contains("bad.yaml:2:1: error: unknown top-level key `stage`"), "{err}");
    assert!(err.contains("did you mean `stages`?"), "{err}");
    assert!(err.contains("bad.yaml:4:"), "{err}");
    assert!(err.contains("2 errors in spec"), "{err}");
}

#[test]
fn bad_override_names_the_command_line() {
    let err = fails("pipeline: p\nstages:\n  bars: {kind: data.synth}\n", &["--set", "bras.days=3"]);
    assert!(err.contains("(command line)") && err.contains("did you mean `bars`?"), "{err}");
}
