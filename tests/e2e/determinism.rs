//! Same spec, data and seed: byte-identical artifacts for one thread or many, warm or
//! cold; `verify` recomputes and agrees.

use crate::support::{hashes, mlfactory, ok, run_json};

#[test]
fn one_thread_and_two_threads_give_identical_artifacts_and_verify_passes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = {
        let out = ok(crate::support::mlfactory()
            .env("RAYON_NUM_THREADS", "1")
            .arg("run")
            .arg(crate::support::mes())
            .args(crate::support::SMALL)
            .args(["--json", "--jobs", "1"])
            .arg("--cache-dir")
            .arg(a.path()));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let two = {
        let out = ok(mlfactory()
            .env("RAYON_NUM_THREADS", "2")
            .arg("run")
            .arg(crate::support::mes())
            .args(crate::support::SMALL)
            .args(["--json", "--jobs", "2"])
            .arg("--cache-dir")
            .arg(b.path()));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(hashes(&one), hashes(&two));
    // Warm cache gives the same hashes too.
    assert_eq!(hashes(&run_json(a.path(), &[])), hashes(&one));

    let verified = ok(mlfactory().env("RAYON_NUM_THREADS", "2").args(["verify", "--json"]).arg("--cache-dir").arg(a.path()));
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    let stages = report["stages"].as_array().unwrap();
    assert_eq!(stages.len(), one["stages"].as_array().unwrap().len());
    assert!(stages.iter().all(|s| s["ok"] == true), "{report:#}");
}
