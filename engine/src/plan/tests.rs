use std::path::Path;

use super::*;
use crate::spec::parse;
use crate::testkit::registry;

fn plan_text(text: &str) -> Result<Plan, Diagnostics> {
    let spec = parse(Path::new("p.yaml"), text, &[])?;
    plan(&spec, &registry())
}

fn errors(text: &str) -> Vec<(u32, u32, String, Option<String>)> {
    let d = plan_text(text).expect_err("should fail");
    d.0.into_iter().map(|d| (d.pos.line, d.pos.column, d.message, d.hint)).collect()
}

#[test]
fn defaults_are_filled_and_order_is_topological() {
    let p = plan_text("pipeline: p\nstages:\n  m: {kind: test.map, inputs: [s]}\n  s: {kind: test.source}\n").unwrap();
    let names: Vec<_> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["s", "m"]);
    assert_eq!(p.stages[0].params, serde_json::json!({"n": 10, "scale": 1.0}));
    assert_eq!(p.stages[1].bindings[0].sources, vec![Source { stage: 0, output: "out" }]);
}

#[test]
fn misspelt_kind_suggests_nearest() {
    let e = errors("pipeline: p\nstages:\n  s:\n    kind: test.sorce\n");
    assert_eq!(e[0].0, 4);
    assert_eq!(e[0].1, 11);
    assert!(e[0].2.contains("unknown stage kind `test.sorce`"));
    assert_eq!(e[0].3.as_deref(), Some("did you mean `test.source`?"));
}

#[test]
fn unknown_param_points_at_the_param() {
    let e = errors("pipeline: p\nstages:\n  s:\n    kind: test.source\n    params:\n      n: 5\n      scal: 2\n");
    assert_eq!((e[0].0, e[0].1), (7, 7));
    assert!(e[0].2.contains("unknown param `scal`"), "{}", e[0].2);
    assert_eq!(e[0].3.as_deref(), Some("did you mean `scale`?"));
}

#[test]
fn wrong_param_type_and_check_failures_point_at_the_value() {
    let e = errors("pipeline: p\nstages:\n  s:\n    kind: test.source\n    params: {n: many}\n  t:\n    kind: test.source\n    params: {n: 0}\n");
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].0, 5);
    assert!(e[0].2.contains("param `n`"), "{}", e[0].2);
    assert_eq!(e[1].0, 8);
    assert!(e[1].2.contains("must be at least 1"), "{}", e[1].2);
}

#[test]
fn unknown_input_and_output_suggest() {
    let e = errors("pipeline: p\nstages:\n  src: {kind: test.source}\n  m: {kind: test.map, inputs: [scr]}\n  n: {kind: test.map, inputs: [src.ot]}\n");
    assert_eq!(e[0].3.as_deref(), Some("did you mean `src`?"), "{e:?}");
    assert!(e[1].2.contains("no output `ot`"), "{}", e[1].2);
    assert_eq!(e[1].3.as_deref(), Some("did you mean `out`?"));
}

#[test]
fn missing_input_is_an_error() {
    let e = errors("pipeline: p\nstages:\n  m: {kind: test.map}\n");
    assert!(e[0].2.contains("missing input `input`"), "{}", e[0].2);
}

#[test]
fn cycles_are_reported_with_their_members() {
    let e = errors("pipeline: p\nstages:\n  a: {kind: test.map, inputs: [b]}\n  b: {kind: test.map, inputs: [a]}\n  c: {kind: test.map, inputs: [c]}\n");
    assert!(e.iter().any(|x| x.2.contains("cycle between stages: a -> b -> a")), "{e:?}");
    assert!(e.iter().any(|x| x.2.contains("cycle between stages: c -> c")), "{e:?}");
}

const MATRIX: &str = "\
pipeline: p
stages:
  src:
    kind: test.source
    matrix: {scale: [1, 2]}
    params: {scale: '${scale}'}
  m:
    kind: test.map
    inputs: [src]
    matrix: {scale: [1, 2]}
  all: {kind: test.concat, inputs: [m]}
  one: {kind: test.map, inputs: ['src@2.out']}
";

#[test]
fn matrix_zips_matching_axes_and_fans_in_otherwise() {
    let p = plan_text(MATRIX).unwrap();
    let idx = |n: &str| p.index_of(n).unwrap();
    let m2 = &p.stages[idx("m@2")];
    assert_eq!(m2.bindings[0].sources, vec![Source { stage: idx("src@2"), output: "out" }]);
    let all = &p.stages[idx("all")];
    let fanned: Vec<usize> = all.bindings[0].sources.iter().map(|s| s.stage).collect();
    assert_eq!(fanned, vec![idx("m@1"), idx("m@2")]);
    assert_eq!(p.stages[idx("one")].bindings[0].sources[0].stage, idx("src@2"));
    assert_eq!(p.stages[idx("src@2")].params["scale"], 2.0);
}

#[test]
fn fan_in_to_a_single_slot_is_an_error() {
    let e = errors("pipeline: p\nstages:\n  src: {kind: test.source, matrix: {n: [1, 2]}, params: {n: '${n}'}}\n  m: {kind: test.map, inputs: [src]}\n");
    assert!(e[0].2.contains("takes one artifact but 2 are bound"), "{e:?}");
}

#[test]
fn only_keeps_ancestors() {
    let p = plan_text(MATRIX).unwrap().restrict_to(&["one".into()]).unwrap();
    let names: Vec<_> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["src@2", "one"]);
    assert_eq!(p.stages[1].bindings[0].sources[0].stage, 0);
}
