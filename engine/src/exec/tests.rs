use std::fs;
use std::path::Path;

use mlfactory_artifacts::Store;

use super::*;
use crate::plan::plan;
use crate::runs::StageStatus;
use crate::spec::{Override, parse};
use crate::testkit::registry;

const SPEC: &str = "\
pipeline: t
seed: 3
stages:
  src: {kind: test.source, params: {n: 50}}
  a: {kind: test.map, inputs: [src], params: {add: 1}}
  b: {kind: test.map, inputs: [src], params: {add: 2}}
  ab: {kind: test.concat, inputs: {parts: [a, b]}}
";

fn run(store: &Store, overrides: &[&str], jobs: usize) -> Outcome {
    let overrides: Vec<Override> = overrides.iter().map(|o| o.parse().unwrap()).collect();
    let spec = parse(Path::new("t.yaml"), SPEC, &overrides).unwrap();
    let plan = plan(&spec, &registry()).unwrap();
    let opts = RunOptions { jobs, report: ReportMode::Quiet, spec_display: "t.yaml".into(), overrides: Vec::new(), git_commit: None };
    execute(&plan, store, &opts).unwrap()
}

fn statuses(o: &Outcome) -> Vec<(&str, StageStatus)> {
    o.record.stages.iter().map(|s| (s.name.as_str(), s.status)).collect()
}

fn hashes(o: &Outcome) -> Vec<String> {
    o.record.stages.iter().flat_map(|s| s.outputs.values().map(|v| v.hash.to_hex())).collect()
}

#[test]
fn second_run_is_all_cached_with_identical_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = run(&store, &[], 2);
    assert!(first.failure.is_none());
    assert!(first.record.stages.iter().all(|s| s.status == StageStatus::Computed));
    assert_eq!(first.record.stage("a").unwrap().metrics["sum"], first.record.stage("a").unwrap().metrics["sum"]);
    let second = run(&store, &[], 2);
    assert!(second.record.stages.iter().all(|s| s.status == StageStatus::Cached), "{:?}", statuses(&second));
    assert_eq!(hashes(&first), hashes(&second));
    // Metrics replay from the cache.
    assert_eq!(first.record.stage("a").unwrap().metrics, second.record.stage("a").unwrap().metrics);
}

#[test]
fn a_param_change_reruns_exactly_that_stage_and_its_descendants() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    run(&store, &[], 1);
    let changed = run(&store, &["a.add=5"], 1);
    assert_eq!(statuses(&changed), [("src", StageStatus::Cached), ("a", StageStatus::Computed), ("b", StageStatus::Cached), ("ab", StageStatus::Computed)]);
}

#[test]
fn same_hashes_for_one_or_many_jobs_and_fresh_stores() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = run(&Store::open(d1.path()).unwrap(), &[], 1);
    let many = run(&Store::open(d2.path()).unwrap(), &[], 4);
    assert_eq!(hashes(&one), hashes(&many));
}

#[test]
fn corrupt_and_missing_blobs_are_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = run(&store, &[], 1);
    let src_out = &first.record.stage("src").unwrap().outputs["out"];
    let path = store.blob_path(&src_out.hash);
    // Same size, different content: only a hash check finds it, when `a` reads it.
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0xff;
    fs::write(&path, &bytes).unwrap();
    // Force `a` and `b` to read it by changing them.
    let again = run(&store, &["a.add=7", "b.add=8"], 1);
    assert!(again.failure.is_none(), "{:?}", again.failure);
    assert_eq!(again.record.stage("src").unwrap().status, StageStatus::Computed);
    assert_eq!(again.record.stage("src").unwrap().outputs["out"].hash, src_out.hash);
    // A deleted blob is noticed by the cheap size check alone.
    let a_out = &again.record.stage("a").unwrap().outputs["out"];
    fs::remove_file(store.blob_path(&a_out.hash)).unwrap();
    let third = run(&store, &["a.add=7", "b.add=8"], 1);
    assert_eq!(third.record.stage("a").unwrap().status, StageStatus::Computed);
    assert_eq!(third.record.stage("ab").unwrap().status, StageStatus::Cached);
}

#[test]
fn a_failing_stage_skips_its_descendants_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let spec = parse(
        Path::new("f.yaml"),
        "pipeline: f\nstages:\n  s: {kind: test.source}\n  f: {kind: test.fail, inputs: [s]}\n  g: {kind: test.map, inputs: [f]}\n  h: {kind: test.map, inputs: [s]}\n",
        &[],
    );
    // `g` reads a JSON output as a table; planning allows it (formats are checked at run time).
    let plan = plan(&spec.unwrap(), &registry()).unwrap();
    let opts = RunOptions { jobs: 1, report: ReportMode::Quiet, spec_display: "f.yaml".into(), overrides: Vec::new(), git_commit: None };
    let out = execute(&plan, &store, &opts).unwrap();
    assert!(!out.record.ok);
    assert!(out.failure.unwrap().to_string().contains("this stage always fails"));
    let st: Vec<_> = statuses(&Outcome { record: out.record.clone(), failure: None }).into_iter().map(|(_, s)| s).collect();
    assert_eq!(st, [StageStatus::Computed, StageStatus::Failed, StageStatus::Skipped, StageStatus::Computed]);
}

#[test]
fn verify_recomputes_and_compares() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let out = run(&store, &[], 2);
    let reporter = Reporter::new(ReportMode::Quiet);
    let report = crate::verify::verify(&store, &registry(), &out.record, &dir.path().join("scratch"), &[], &reporter).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.stages.len(), 4);
}

#[test]
fn status_explains_why() {
    use crate::status::{Reason, status};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let spec = |o: &[&str]| {
        let o: Vec<Override> = o.iter().map(|x| x.parse().unwrap()).collect();
        plan(&parse(Path::new("t.yaml"), SPEC, &o).unwrap(), &registry()).unwrap()
    };
    let fresh = status(&spec(&[]), &store, None, false);
    assert!(fresh.iter().all(|s| s.will_run));
    assert_eq!(fresh[0].reasons, vec![Reason::New]);
    let first = run(&store, &[], 1);
    let st = status(&spec(&["a.add=9"]), &store, Some(&first.record), false);
    assert_eq!(st[0].reasons, vec![Reason::Cached]);
    assert_eq!(st[1].reasons, vec![Reason::ParamsChanged { params: vec!["add".into()] }]);
    assert_eq!(st[3].reasons, vec![Reason::UpstreamWillRun { upstream: vec!["a".into()] }]);
    assert!(!st[2].will_run);
}
