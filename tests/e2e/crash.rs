//! A run killed with SIGKILL at any moment leaves the store consistent, and the next run
//! finishes with the same hashes as an uninterrupted one.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{SMALL, hashes, mes, mlfactory, run_json};

fn action_entries(store: &Path) -> usize {
    walk(&store.join("ac-v1"))
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum()
}

#[test]
fn kill_dash_nine_mid_run_then_rerun_matches_an_uninterrupted_run() {
    let clean = tempfile::tempdir().unwrap();
    let reference = hashes(&run_json(clean.path(), &[]));

    let dir = tempfile::tempdir().unwrap();
    // Kill after 1, 3 and 5 stages have finished: each time the next stage is mid-flight.
    for after in [1usize, 3, 5] {
        let mut child = mlfactory().arg("run").arg(mes()).args(SMALL).args(["--jobs", "1", "-q"]).arg("--cache-dir").arg(dir.path()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(300);
        while action_entries(dir.path()) < after && Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let resumed = run_json(dir.path(), &[]);
    assert_eq!(hashes(&resumed), reference);
}
