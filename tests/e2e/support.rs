//! Running the binary on the default pipeline, small enough for a debug build.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// The repository root (see [`mlfactory_market::reference::package_dir`]).
pub(crate) fn repo() -> PathBuf {
    mlfactory_market::reference::package_dir(env!("CARGO_MANIFEST_DIR"))
}

/// The default pipeline.
pub(crate) fn mes() -> PathBuf {
    repo().join("pipelines/mes.yaml")
}

/// Overrides that shrink the default pipeline to a few weeks of bars.
/// PBO gets 4 blocks (the small run's val and test rows span about 9 trading days) and
/// CPCV 4 groups (6 models rather than 15).
pub(crate) const SMALL: &[&str] = &["--set", "bars.days=40", "--set", "splits.embargo=24", "--set", "pbo.partitions=4", "--set", "cpcv.groups=4"];

/// A `mlfactory` command with a clean environment.
pub(crate) fn mlfactory() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlfactory"));
    c.env_remove("MLFACTORY_CACHE_DIR").env("NO_COLOR", "1");
    c
}

/// Runs and returns the output, failing the test with stderr if it did not succeed.
pub(crate) fn ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn mlfactory");
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// `mlfactory run SPEC --json` with the small overrides plus `extra`, against `store`.
pub(crate) fn run_json(store: &Path, extra: &[&str]) -> Value {
    let out = ok(mlfactory().arg("run").arg(mes()).args(SMALL).args(extra).arg("--json").arg("--cache-dir").arg(store));
    serde_json::from_slice(&out.stdout).expect("run record JSON")
}

/// stage name -> status.
pub(crate) fn statuses(record: &Value) -> BTreeMap<String, String> {
    record["stages"].as_array().unwrap().iter().map(|s| (s["name"].as_str().unwrap().to_owned(), s["status"].as_str().unwrap().to_owned())).collect()
}

/// Stages that share their key with another stage of the run (the default pipeline's
/// `model` and `sweep@1p0` train the same model on the same rows): the run computes
/// such a key once, and the other stages with it are cache hits.
pub(crate) fn shared_keys(record: &Value) -> BTreeSet<String> {
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in record["stages"].as_array().unwrap() {
        by_key.entry(s["key"].as_str().unwrap()).or_default().push(s["name"].as_str().unwrap());
    }
    by_key.into_values().filter(|names| names.len() > 1).flatten().map(str::to_owned).collect()
}

/// How many distinct stage keys the run has.
pub(crate) fn distinct_keys(record: &Value) -> usize {
    record["stages"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect::<BTreeSet<_>>().len()
}

/// Asserts that the run computed every key exactly once: every stage computed, except
/// that of stages sharing a key only one computes it.
pub(crate) fn assert_all_computed_once(record: &Value) {
    let st = statuses(record);
    let shared = shared_keys(record);
    assert!(st.iter().all(|(name, s)| s == "computed" || shared.contains(name)), "{st:?}");
    assert_eq!(st.values().filter(|s| *s == "computed").count(), distinct_keys(record), "{st:?}");
}

/// stage.output -> content hash.
pub(crate) fn hashes(record: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in record["stages"].as_array().unwrap() {
        for (name, o) in s["outputs"].as_object().unwrap() {
            out.insert(format!("{}.{name}", s["name"].as_str().unwrap()), o["hash"].as_str().unwrap().to_owned());
        }
    }
    out
}

/// The stages downstream of `stage` (inclusive), from the record's input lists.
pub(crate) fn descendants(record: &Value, stage: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::from([stage.to_owned()]);
    for s in record["stages"].as_array().unwrap() {
        let reads = s["inputs"].as_object().unwrap().values().flat_map(|v| v.as_array().unwrap().iter()).any(|i| set.contains(i["stage"].as_str().unwrap()));
        if reads {
            set.insert(s["name"].as_str().unwrap().to_owned());
        }
    }
    set
}

/// A store holding one completed small run, shared by read-only tests.
pub(crate) fn shared_run() -> &'static (tempfile::TempDir, Value) {
    static RUN: OnceLock<(tempfile::TempDir, Value)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let record = run_json(dir.path(), &[]);
        (dir, record)
    })
}

/// Writes a spec file into `dir` and returns its path.
pub(crate) fn write_spec(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
