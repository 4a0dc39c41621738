//! Warm reruns compute nothing; a param change recomputes exactly its descendants;
//! corrupt artifacts are found and recomputed.

use std::fs;

use crate::support::{SMALL, assert_all_computed_once, descendants, hashes, mes, mlfactory, ok, run_json, shared_keys, statuses};

#[test]
fn second_run_computes_nothing_and_a_labels_param_reruns_only_its_descendants() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_json(dir.path(), &[]);
    assert_all_computed_once(&first);

    let second = run_json(dir.path(), &[]);
    assert!(statuses(&second).values().all(|s| s == "cached"), "{:?}", statuses(&second));
    assert_eq!(hashes(&first), hashes(&second));

    let changed = run_json(dir.path(), &["--set", "labels.pt=3.0"]);
    let expected = descendants(&first, "labels");
    let shared = shared_keys(&changed);
    for (stage, status) in statuses(&changed) {
        let want = if expected.contains(&stage) { "computed" } else { "cached" };
        // Of two descendants with one key, the second finds the first's result.
        if !(shared.contains(&stage) && expected.contains(&stage)) {
            assert_eq!(status, want, "stage `{stage}`");
        }
    }
    let recomputed = statuses(&changed).values().filter(|s| *s == "computed").count();
    let descendant_keys: std::collections::BTreeSet<&str> =
        changed["stages"].as_array().unwrap().iter().filter(|s| expected.contains(s["name"].as_str().unwrap())).map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(recomputed, descendant_keys.len(), "each new key computed once");
}

#[test]
fn status_explains_what_would_run() {
    let dir = tempfile::tempdir().unwrap();
    run_json(dir.path(), &[]);
    let out = ok(mlfactory().arg("status").arg(mes()).args(SMALL).args(["--set", "labels.pt=2.5", "--json"]).arg("--cache-dir").arg(dir.path()));
    let states: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_name = |n: &str| states.as_array().unwrap().iter().find(|s| s["name"] == n).unwrap().clone();
    assert_eq!(by_name("bars")["reasons"][0]["reason"], "cached");
    assert_eq!(by_name("labels")["reasons"][0]["reason"], "params_changed");
    assert_eq!(by_name("labels")["reasons"][0]["params"][0], "pt");
    assert_eq!(by_name("splits")["reasons"][0]["reason"], "upstream_will_run");
    // Text form and --dry-run say the same, without running.
    let text = ok(mlfactory().arg("run").arg("--dry-run").arg(mes()).args(SMALL).args(["--set", "labels.pt=2.5"]).arg("--cache-dir").arg(dir.path()));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("params changed: pt"), "{text}");
}

#[test]
fn corrupt_and_missing_artifacts_are_detected_and_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_json(dir.path(), &[]);
    let blob = |stage: &str, output: &str| {
        let h = first["stages"].as_array().unwrap().iter().find(|s| s["name"] == stage).unwrap()["outputs"][output]["hash"].as_str().unwrap().to_owned();
        dir.path().join("cas-v1").join(&h[..2]).join(h)
    };
    // Truncate one artifact and flip a byte of another (same size: only rehashing finds it).
    let features = blob("features", "features");
    let bytes = fs::read(&features).unwrap();
    fs::write(&features, &bytes[..bytes.len() / 2]).unwrap();
    let labels = blob("labels", "labels");
    let mut bytes = fs::read(&labels).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    fs::write(&labels, &bytes).unwrap();

    let status = ok(mlfactory().arg("status").arg("--deep").arg(mes()).args(SMALL).arg("--cache-dir").arg(dir.path()));
    let status = String::from_utf8(status.stdout).unwrap();
    assert!(status.contains("artifact `features` corrupt"), "{status}");
    assert!(status.contains("artifact `labels` corrupt"), "{status}");

    let out = mlfactory().arg("run").arg(mes()).args(SMALL).arg("--json").arg("--cache-dir").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let st = statuses(&again);
    assert_eq!(st["features"], "computed");
    assert_eq!(hashes(&first), hashes(&again), "recomputed artifacts are identical");
    // Every artifact of the store is sound again.
    ok(mlfactory().arg("verify").arg("--cache-dir").arg(dir.path()));
}
