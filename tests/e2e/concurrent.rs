//! Two runs at once on one store both succeed, agree, and compute each stage once.

use crate::support::{SMALL, distinct_keys, hashes, mes, mlfactory};

#[test]
fn two_concurrent_runs_share_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        mlfactory()
            .arg("run")
            .arg(mes())
            .args(SMALL)
            .args(["--json", "-q"])
            .arg("--cache-dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let (ra, rb): (serde_json::Value, serde_json::Value) = (serde_json::from_slice(&a.stdout).unwrap(), serde_json::from_slice(&b.stdout).unwrap());
    assert_eq!(hashes(&ra), hashes(&rb));
    let computed = [&ra, &rb].iter().flat_map(|r| r["stages"].as_array().unwrap().iter()).filter(|s| s["status"] == "computed").count();
    assert_eq!(computed, distinct_keys(&ra), "each stage key computed exactly once across both runs");
}
