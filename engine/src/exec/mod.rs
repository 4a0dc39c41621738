//! The scheduler: runs a [`Plan`] against a [`Store`].
//!
//! Stages are settled in topological order. A stage whose key has a complete action-cache
//! entry is replayed at once ("cached"); the others are computed by worker threads, at
//! most `jobs` at a time, each under its key's file lock so that concurrent runs sharing
//! a store compute every key once. Inside a stage, rayon provides data parallelism.
//!
//! Crash safety comes from the order of writes: output blobs first (each atomically),
//! then the action-cache entry, then the run record. A run killed at any point leaves
//! only complete blobs and entries; the next run recomputes exactly what has no entry.
//! A blob found corrupt when read is quarantined and its producer recomputed.

mod codec;
mod worker;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, mpsc};
use std::time::Instant;

use mlfactory_artifacts::{BlobState, ContentHash, Manifest, OutputRecord, Store};

pub use self::codec::{decode, encode, load, store_artifact};
pub use self::worker::{check_outputs, run_stage, run_stage_with};
use crate::error::EngineError;
use crate::key::{Lookup, key_of, lookup, material};
use crate::plan::Plan;
use crate::progress::{ReportMode, Reporter};
use crate::runs::{InputSummary, OutputSummary, RunRecord, StageRecord, StageStatus, new_run_id, save};
use crate::stage::Artifact;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Stages computed at once.
    pub jobs: usize,
    pub report: ReportMode,
    /// The spec path as the user gave it (for the record).
    pub spec_display: String,
    /// The `--set` overrides, as given (for the record).
    pub overrides: Vec<String>,
    /// The git commit of the spec's repository, if any (for the record).
    pub git_commit: Option<String>,
}

/// The result of a run: its record, and the first failure if a stage failed.
#[derive(Debug)]
pub struct Outcome {
    pub record: RunRecord,
    pub failure: Option<EngineError>,
}

/// A finished stage.
#[derive(Clone, Debug)]
struct Done {
    status: StageStatus,
    manifest: Manifest,
    seconds: f64,
}

#[derive(Debug)]
enum State {
    Waiting,
    Queued { key: ContentHash, material: serde_json::Value },
    Running { key: ContentHash },
    Done(Done),
    Failed { key: Option<ContentHash>, error: String },
    Skipped,
}

/// Decoded artifacts kept in memory while some pending stage still needs them.
#[derive(Default)]
pub(crate) struct MemoryCache {
    artifacts: Mutex<HashMap<ContentHash, Artifact>>,
}

impl MemoryCache {
    pub(crate) fn get(&self, hash: &ContentHash) -> Option<Artifact> {
        self.artifacts.lock().expect("cache lock").get(hash).cloned()
    }
    pub(crate) fn put(&self, hash: ContentHash, artifact: Artifact) {
        self.artifacts.lock().expect("cache lock").insert(hash, artifact);
    }
    fn drop_all(&self, hashes: impl Iterator<Item = ContentHash>) {
        let mut map = self.artifacts.lock().expect("cache lock");
        for h in hashes {
            map.remove(&h);
        }
    }
}

/// A worker's report.
enum Msg {
    Done(usize, Done),
    Failed(usize, String, EngineError),
    /// Input artifact of stage `source` was missing or corrupt; recompute it.
    CorruptInput {
        stage: usize,
        source: usize,
        detail: String,
    },
}

/// Runs the plan; writes and returns the run record.
pub fn execute(plan: &Plan, store: &Store, opts: &RunOptions) -> Result<Outcome, EngineError> {
    let _shared = store.lock_shared()?;
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let reporter = Reporter::new(opts.report);
    let n = plan.stages.len();
    let mut states: Vec<State> = (0..n).map(|_| State::Waiting).collect();
    let mut retries = vec![0u8; n];
    let mut consumers: Vec<usize> = vec![0; n];
    for s in &plan.stages {
        let mut ups: Vec<usize> = s.upstream().collect();
        ups.sort_unstable();
        ups.dedup();
        for u in ups {
            consumers[u] += 1;
        }
    }
    let cache = MemoryCache::default();
    let jobs = opts.jobs.max(1);
    let mut first_failure: Option<EngineError> = None;

    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Msg>();
        let mut running = 0usize;
        loop {
            settle(plan, store, &mut states, &reporter);
            for i in 0..n {
                if running >= jobs {
                    break;
                }
                if let State::Queued { key, material } = &states[i] {
                    let (key, material) = (*key, material.clone());
                    states[i] = State::Running { key };
                    running += 1;
                    let known = known_outputs(&states);
                    let (tx, cache, reporter) = (tx.clone(), &cache, &reporter);
                    scope.spawn(move || {
                        let msg = worker::compute(plan, store, i, key, material, &known, cache, reporter);
                        let _ = tx.send(msg);
                    });
                }
            }
            if running == 0 {
                break;
            }
            let msg = rx.recv().expect("a worker is running");
            running -= 1;
            match msg {
                Msg::Done(i, done) => {
                    let name = &plan.stages[i].name;
                    match done.status {
                        StageStatus::Cached => reporter.line(&format!("[{name}] cached (its key was computed meanwhile, by another stage or run)")),
                        _ => reporter.line(&format!("[{name}] computed in {:.2}s", done.seconds)),
                    }
                    release_inputs(plan, i, &mut consumers, &states, &cache);
                    if consumers[i] == 0 {
                        cache.drop_all(done.manifest.outputs.values().map(|o| o.hash));
                    }
                    states[i] = State::Done(done);
                }
                Msg::Failed(i, text, error) => {
                    reporter.line(&format!("[{}] FAILED: {text}", plan.stages[i].name));
                    release_inputs(plan, i, &mut consumers, &states, &cache);
                    let key = match &states[i] {
                        State::Running { key } => Some(*key),
                        _ => None,
                    };
                    states[i] = State::Failed { key, error: text };
                    first_failure.get_or_insert(error);
                }
                Msg::CorruptInput { stage, source, detail } => {
                    reporter.line(&format!("[{}] input from `{}` {detail}: recomputing it", plan.stages[stage].name, plan.stages[source].name));
                    retries[stage] += 1;
                    if retries[stage] > 2 {
                        let error = EngineError::Internal(format!("input of `{}` stayed corrupt after recomputing", plan.stages[stage].name));
                        states[stage] = State::Failed { key: None, error: error.to_string() };
                        first_failure.get_or_insert(error);
                    } else {
                        states[stage] = State::Waiting;
                        states[source] = State::Waiting;
                    }
                }
            }
        }
    });

    let record = build_record(plan, &states, opts, started, clock.elapsed().as_secs_f64(), first_failure.is_none());
    save(store, &record)?;
    Ok(Outcome { record, failure: first_failure })
}

fn known_outputs(states: &[State]) -> Vec<Option<BTreeMap<String, OutputRecord>>> {
    states
        .iter()
        .map(|s| match s {
            State::Done(d) => Some(d.manifest.outputs.clone()),
            _ => None,
        })
        .collect()
}

/// Replays cache hits and queues misses, in topological order, until nothing changes.
fn settle(plan: &Plan, store: &Store, states: &mut [State], reporter: &Reporter) {
    for i in 0..plan.stages.len() {
        if !matches!(states[i], State::Waiting) {
            continue;
        }
        let stage = &plan.stages[i];
        let ups: Vec<usize> = stage.upstream().collect();
        if ups.iter().any(|&u| matches!(states[u], State::Failed { .. } | State::Skipped)) {
            states[i] = State::Skipped;
            continue;
        }
        if !ups.iter().all(|&u| matches!(states[u], State::Done(_))) {
            continue;
        }
        let known = known_outputs(states);
        let material = material(plan, stage, &known).expect("every upstream is done");
        let key = key_of(&material);
        match lookup(store, &key) {
            Lookup::Hit(manifest) => {
                reporter.line(&format!("[{}] cached", stage.name));
                states[i] = State::Done(Done { status: StageStatus::Cached, seconds: 0.0, manifest });
            }
            Lookup::Miss => states[i] = State::Queued { key, material },
            Lookup::Broken { output, state } => {
                let what = match state {
                    BlobState::WrongSize { found } => format!("is corrupt (found {found} bytes)"),
                    _ => "is missing".to_owned(),
                };
                reporter.line(&format!("[{}] cached artifact `{output}` {what}: recomputing", stage.name));
                states[i] = State::Queued { key, material };
            }
        }
    }
}

/// A stage finished with its inputs: drop upstream artifacts nobody else needs.
fn release_inputs(plan: &Plan, i: usize, consumers: &mut [usize], states: &[State], cache: &MemoryCache) {
    let mut ups: Vec<usize> = plan.stages[i].upstream().collect();
    ups.sort_unstable();
    ups.dedup();
    for u in ups {
        consumers[u] = consumers[u].saturating_sub(1);
        if consumers[u] == 0
            && let State::Done(d) = &states[u]
        {
            cache.drop_all(d.manifest.outputs.values().map(|o| o.hash));
        }
    }
}

fn build_record(plan: &Plan, states: &[State], opts: &RunOptions, started: chrono::DateTime<chrono::Utc>, seconds: f64, ok: bool) -> RunRecord {
    let known = known_outputs(states);
    let stages = plan
        .stages
        .iter()
        .zip(states)
        .map(|(stage, state)| {
            let inputs = stage
                .bindings
                .iter()
                .map(|b| {
                    let items = b
                        .sources
                        .iter()
                        .filter_map(|src| {
                            let rec = known[src.stage].as_ref()?.get(src.output)?;
                            Some(InputSummary { stage: plan.stages[src.stage].name.clone(), output: src.output.to_owned(), hash: rec.hash })
                        })
                        .collect();
                    (b.slot.name.to_owned(), items)
                })
                .collect();
            let mut record = StageRecord {
                name: stage.name.clone(),
                kind: stage.kind.kind().to_owned(),
                kind_version: stage.kind.version().to_owned(),
                key: None,
                status: StageStatus::Skipped,
                seconds: 0.0,
                outputs: BTreeMap::new(),
                metrics: BTreeMap::new(),
                params: stage.params.clone(),
                seed: stage.seed,
                inputs,
                sources: stage.sources.clone(),
                error: None,
            };
            match state {
                State::Done(d) => {
                    record.key = Some(d.manifest.key);
                    record.status = d.status;
                    record.seconds = d.seconds;
                    record.outputs = d.manifest.outputs.iter().map(|(k, v)| (k.clone(), OutputSummary::from(v))).collect();
                    record.metrics.clone_from(&d.manifest.metrics);
                }
                State::Failed { key, error } => {
                    record.key = *key;
                    record.status = StageStatus::Failed;
                    record.error = Some(error.clone());
                }
                _ => {}
            }
            record
        })
        .collect();
    RunRecord {
        run_id: new_run_id(started),
        spec: opts.spec_display.clone(),
        spec_abs: std::path::absolute(&plan.spec_path).unwrap_or_else(|_| plan.spec_path.clone()).display().to_string(),
        pipeline: plan.pipeline.clone(),
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        seconds,
        ok,
        mlfactory_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_commit: opts.git_commit.clone(),
        overrides: opts.overrides.clone(),
        stages,
    }
}
