use std::path::Path;

use super::*;

fn parse_ok(text: &str) -> Spec {
    parse(Path::new("t.yaml"), text, &[]).unwrap_or_else(|d| panic!("{d}"))
}

fn parse_err(text: &str, overrides: &[&str]) -> Diagnostics {
    let overrides: Vec<Override> = overrides.iter().map(|o| o.parse().unwrap()).collect();
    parse(Path::new("t.yaml"), text, &overrides).expect_err("should fail")
}

const BASIC: &str = "\
pipeline: p
seed: 7
vars:
  h: 5
  tf: ${h}m
stages:
  bars:
    kind: data.synth
    params: {days: 3}
  clean:
    kind: data.clean
    inputs: [bars]
    params: {timeframe: '${tf}'}
  train:
    kind: models.train
    inputs: {data: clean}
    matrix: {model: [gbdt, logistic]}
    seed: 9
    params:
      model: {type: '${model}'}
      horizon: ${h}
";

#[test]
fn parses_vars_matrix_inputs_and_seeds() {
    let spec = parse_ok(BASIC);
    assert_eq!(spec.pipeline, "p");
    let names: Vec<_> = spec.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["bars", "clean", "train@gbdt", "train@logistic"]);
    assert_eq!(spec.stages[0].seed, 7);
    assert_eq!(spec.stages[2].seed, 9);
    assert_eq!(spec.stages[1].params.to_json(), serde_json::json!({"timeframe": "5m"}));
    assert_eq!(spec.stages[3].params.to_json(), serde_json::json!({"model": {"type": "logistic"}, "horizon": 5}));
    assert_eq!(spec.stages[1].inputs[0].target, "bars");
    assert_eq!(spec.stages[2].inputs[0].slot.as_ref().unwrap().name, "data");
    assert_eq!(spec.stages[2].axes, vec![("model".to_owned(), serde_json::json!("gbdt"))]);
}

#[test]
fn overrides_reach_params_vars_and_seed() {
    let overrides: Vec<Override> = ["clean.timeframe=15m", "vars.h=20", "seed=1", "bars.nested.deep=[1, 2]"].iter().map(|o| o.parse().unwrap()).collect();
    let spec = parse(Path::new("t.yaml"), BASIC, &overrides).unwrap();
    assert_eq!(spec.stages[1].params.to_json(), serde_json::json!({"timeframe": "15m"}));
    assert_eq!(spec.stages[2].params.to_json()["horizon"], 20);
    assert_eq!(spec.stages[0].seed, 1);
    assert_eq!(spec.stages[0].params.to_json(), serde_json::json!({"days": 3, "nested": {"deep": [1, 2]}}));
}

#[test]
fn override_of_unknown_stage_suggests() {
    let d = parse_err(BASIC, &["clen.timeframe=1m"]);
    assert_eq!(d.0[0].hint.as_deref(), Some("did you mean `clean`?"));
    assert!(d.to_string().contains("(command line)"), "{d}");
}

#[test]
fn unknown_keys_point_at_the_key_and_all_errors_are_reported() {
    let d = parse_err("pipeline: p\nstagse: {}\nstages:\n  a:\n    knd: x\n    kind: data.synth\n", &[]);
    let msgs: Vec<_> = d.0.iter().map(|d| (d.pos.line, d.pos.column, d.hint.clone())).collect();
    assert_eq!(msgs[0], (2, 1, Some("did you mean `stages`?".into())));
    assert_eq!(msgs[1], (5, 5, Some("did you mean `kind`?".into())));
}

#[test]
fn malformed_yaml_has_line_and_column() {
    let d = parse_err("pipeline: p\nstages:\n  a: {kind: x\n  b: 1\n", &[]);
    assert_eq!(d.0.len(), 1);
    assert!(d.0[0].pos.line >= 3, "{d}");
    assert!(d.to_string().starts_with("t.yaml:"), "{d}");
}

#[test]
fn wrong_types_are_errors() {
    let d = parse_err("pipeline: [x]\nseed: -1\nstages:\n  a: {kind: 3, params: 5}\n", &[]);
    assert!(d.0.len() >= 3, "{d}");
}

#[test]
fn bad_stage_names_are_rejected() {
    let d = parse_err("pipeline: p\nstages:\n  a.b: {kind: x}\n", &[]);
    assert!(d.0[0].message.contains("invalid stage name"), "{d}");
}
