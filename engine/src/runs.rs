//! Run records: one JSON file per execution of a spec, under the store's `runs-v1/`.
//!
//! A record lists every stage with its key, whether it was computed or replayed from the
//! cache, its timing, output artifacts, metrics, params and input hashes — enough for
//! `show`, `diff`, `export` and `verify` to work without the spec file.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use mlfactory_artifacts::{ContentHash, Format, OutputRecord, Store, StoreError, write_atomic};
use serde::{Deserialize, Serialize};

/// How a stage's result was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    Computed,
    Cached,
    Failed,
    /// Not run because an upstream stage failed.
    Skipped,
}

/// One output of a stage, as shown in records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputSummary {
    pub hash: ContentHash,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    pub format: Format,
}

impl From<&OutputRecord> for OutputSummary {
    fn from(o: &OutputRecord) -> Self {
        Self { hash: o.hash, bytes: o.bytes, rows: o.rows, format: o.format }
    }
}

/// One upstream artifact a stage read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSummary {
    pub stage: String,
    pub output: String,
    pub hash: ContentHash,
}

/// One stage of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    pub name: String,
    pub kind: String,
    pub kind_version: String,
    /// Absent when the stage never got a key (an upstream failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<ContentHash>,
    pub status: StageStatus,
    pub seconds: f64,
    pub outputs: BTreeMap<String, OutputSummary>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, serde_json::Value>,
    pub params: serde_json::Value,
    pub seed: u64,
    /// Slot -> the artifacts bound to it.
    pub inputs: BTreeMap<String, Vec<InputSummary>>,
    /// Fingerprints of what the stage read from outside the store (see
    /// [`crate::Stage::sources`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One execution of a spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    /// The spec path as given on the command line.
    pub spec: String,
    /// Its absolute path, to find earlier runs of the same spec.
    pub spec_abs: String,
    pub pipeline: String,
    pub started_at: String,
    pub seconds: f64,
    pub ok: bool,
    pub mlfactory_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    pub stages: Vec<StageRecord>,
}

impl RunRecord {
    pub fn stage(&self, name: &str) -> Option<&StageRecord> {
        self.stages.iter().find(|s| s.name == name)
    }

    pub fn computed(&self) -> usize {
        self.stages.iter().filter(|s| s.status == StageStatus::Computed).count()
    }

    pub fn cached(&self) -> usize {
        self.stages.iter().filter(|s| s.status == StageStatus::Cached).count()
    }

    /// Every artifact this run produced, with its format.
    pub fn artifact_formats(&self) -> BTreeMap<ContentHash, Format> {
        self.stages.iter().flat_map(|s| s.outputs.values().map(|o| (o.hash, o.format))).collect()
    }
}

/// A new run id: UTC time to the second plus a random suffix, so ids sort by time and
/// concurrent runs never collide.
pub fn new_run_id(now: chrono::DateTime<chrono::Utc>) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    h.update(&now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    h.update(format!("{:?}", std::thread::current().id()).as_bytes());
    format!("{}-{}", now.format("%Y%m%dT%H%M%SZ"), &h.finalize().to_hex()[..6])
}

fn record_path(store: &Store, run_id: &str) -> PathBuf {
    store.runs_dir().join(format!("{run_id}.json"))
}

/// Writes a run record atomically.
pub fn save(store: &Store, record: &RunRecord) -> Result<(), StoreError> {
    let path = record_path(store, &record.run_id);
    let bytes = serde_json::to_vec_pretty(record).map_err(|source| StoreError::Json { path: path.clone(), source })?;
    write_atomic(&store.tmp_dir(), &path, &bytes)
}

/// Every readable run record, oldest first.
pub fn list(store: &Store) -> Vec<RunRecord> {
    let Ok(entries) = fs::read_dir(store.runs_dir()) else { return Vec::new() };
    let mut runs: Vec<RunRecord> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_slice(&fs::read(e.path()).ok()?).ok())
        .collect();
    runs.sort_by(|a, b| (&a.started_at, &a.run_id).cmp(&(&b.started_at, &b.run_id)));
    runs
}

/// Finds a run by id, unique id prefix, or `last` (the newest successful run).
pub fn find(store: &Store, id: &str) -> Result<RunRecord, String> {
    let runs = list(store);
    if id == "last" {
        return runs.into_iter().rev().find(|r| r.ok).ok_or_else(|| "no successful run in this store yet\n  hint: `mlfactory run SPEC` first".to_owned());
    }
    let matches: Vec<RunRecord> = runs.into_iter().filter(|r| r.run_id.starts_with(id)).collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().expect("one")),
        0 => Err(format!("no run `{id}` in this store\n  hint: `mlfactory runs` lists them")),
        n => Err(format!("`{id}` matches {n} runs; give more of the id")),
    }
}

/// The newest successful run of the spec at `spec_abs`.
pub fn last_of_spec(store: &Store, spec_abs: &str) -> Option<RunRecord> {
    list(store).into_iter().rev().find(|r| r.ok && r.spec_abs == spec_abs)
}
