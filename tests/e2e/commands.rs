//! The read commands: dag, runs, show, diff, export, query, gc.

use std::path::Path;

use crate::support::{SMALL, hashes, mes, mlfactory, ok, run_json, shared_run};

fn stdout(cmd: &mut std::process::Command) -> String {
    String::from_utf8(ok(cmd).stdout).unwrap()
}

#[test]
fn dag_in_three_formats() {
    let text = stdout(mlfactory().arg("dag").arg(mes()));
    assert!(text.contains("labels [labels.triple_barrier]") && text.contains("bars <- bars_5m.bars"), "{text}");
    let dot = stdout(mlfactory().arg("dag").arg(mes()).args(["--format", "dot"]));
    assert!(dot.starts_with("digraph") && dot.contains("\"bars_5m\" -> \"labels\""), "{dot}");
    let mermaid = stdout(mlfactory().arg("dag").arg(mes()).args(["--format", "mermaid"]));
    assert!(mermaid.starts_with("flowchart LR") && mermaid.contains("-->|"), "{mermaid}");
}

#[test]
fn runs_show_and_json_record_shape() {
    let (dir, record) = shared_run();
    for field in ["run_id", "spec", "stages"] {
        assert!(record.get(field).is_some(), "missing `{field}`");
    }
    let stage = &record["stages"][0];
    for field in ["name", "kind", "key", "status", "seconds", "outputs"] {
        assert!(stage.get(field).is_some(), "stage record missing `{field}`");
    }
    let first_output = stage["outputs"].as_object().unwrap().values().next().unwrap();
    assert!(first_output["hash"].is_string() && first_output["bytes"].is_u64() && first_output["rows"].is_u64());

    let runs = stdout(mlfactory().arg("runs").arg("--cache-dir").arg(dir.path()));
    assert!(runs.contains(record["run_id"].as_str().unwrap()), "{runs}");
    let show = stdout(mlfactory().args(["show", "last"]).arg("--cache-dir").arg(dir.path()));
    assert!(show.contains("labels.triple_barrier") && show.contains("rows"), "{show}");
    let id_prefix = &record["run_id"].as_str().unwrap()[..17];
    let shown: serde_json::Value = serde_json::from_str(&stdout(mlfactory().args(["show", id_prefix, "--json"]).arg("--cache-dir").arg(dir.path()))).unwrap();
    assert_eq!(hashes(&shown), hashes(record));
}

#[test]
fn export_copies_artifacts_out() {
    let (dir, record) = shared_run();
    let out = tempfile::tempdir().unwrap();
    let parquet = out.path().join("labels.parquet");
    ok(mlfactory().args(["export", "labels"]).arg("--to").arg(&parquet).arg("--cache-dir").arg(dir.path()));
    let bytes = std::fs::read(&parquet).unwrap();
    let table = mlfactory_artifacts::table::decode_parquet(bytes).unwrap();
    let rows = record["stages"].as_array().unwrap().iter().find(|s| s["name"] == "labels").unwrap()["outputs"]["labels"]["rows"].as_u64().unwrap();
    assert_eq!(table.num_rows() as u64, rows);
    let json = out.path().join("report.json");
    ok(mlfactory().args(["export", "splits.report"]).arg("--to").arg(&json).arg("--cache-dir").arg(dir.path()));
    let _: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let err = mlfactory().args(["export", "labls"]).arg("--to").arg(&json).arg("--cache-dir").arg(dir.path()).output().unwrap();
    assert!(!err.status.success() && String::from_utf8_lossy(&err.stderr).contains("did you mean `labels`?"));
}

#[test]
fn query_runs_sql_over_a_runs_tables() {
    let (dir, _) = shared_run();
    let csv = stdout(mlfactory().args(["query", "SELECT count(*) AS n, min(horizon) AS h FROM labels", "--format", "csv"]).arg("--cache-dir").arg(dir.path()));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("n,h"));
    let row: Vec<i64> = lines.next().unwrap().split(',').map(|x| x.parse().unwrap()).collect();
    assert!(row[0] > 0, "{csv}");
}

#[test]
fn diff_of_two_runs_gates_ci() {
    let dir = tempfile::tempdir().unwrap();
    let a = run_json(dir.path(), &[]);
    let b = run_json(dir.path(), &["--set", "labels.pt=3.0"]);
    let (ia, ib) = (a["run_id"].as_str().unwrap(), b["run_id"].as_str().unwrap());
    let md = stdout(mlfactory().args(["diff", ia, ib]).arg("--cache-dir").arg(dir.path()));
    assert!(md.contains("## mlfactory diff") && md.contains("`labels`") && md.contains("changed cells"), "{md}");
    assert!(!md.contains("| `bars` |"), "bars did not change: {md}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(mlfactory().args(["diff", ia, ib, "--format", "json"]).arg("--cache-dir").arg(dir.path()))).unwrap();
    let labels = json["stages"].as_array().unwrap().iter().find(|s| s["name"] == "labels").unwrap();
    assert_eq!(labels["change"], "changed");
    assert_eq!(labels["params_changed"][0], "pt");
    let gate = mlfactory().args(["diff", ia, ib, "--fail-on-change"]).arg("--cache-dir").arg(dir.path()).output().unwrap();
    assert_eq!(gate.status.code(), Some(1));
    let same = mlfactory().args(["diff", ia, ia, "--fail-on-change"]).arg("--cache-dir").arg(dir.path()).output().unwrap();
    assert!(same.status.success());
}

#[test]
fn gc_keeps_what_the_last_runs_need() {
    let dir = tempfile::tempdir().unwrap();
    run_json(dir.path(), &["--set", "labels.pt=3.0"]);
    let kept = run_json(dir.path(), &[]);
    ok(mlfactory().args(["gc", "--keep", "1"]).arg("--cache-dir").arg(dir.path()));
    let runs: serde_json::Value = serde_json::from_str(&stdout(mlfactory().args(["runs", "--json"]).arg("--cache-dir").arg(dir.path()))).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    // The kept run is still fully cached and verifiable.
    let again = run_json(dir.path(), &[]);
    assert!(crate::support::statuses(&again).values().all(|s| s == "cached"));
    assert_eq!(hashes(&again), hashes(&kept));
    assert!(count_files(&dir.path().join("cas-v1")) <= hashes(&kept).len());
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()
}

#[test]
fn only_runs_a_stage_and_its_ancestors() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(mlfactory().arg("run").arg(mes()).args(SMALL).args(["--only", "labels", "--json"]).arg("--cache-dir").arg(dir.path()));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = record["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bars", "bars_5m", "labels"]);
}
