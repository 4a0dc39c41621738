//! Computing one stage: lock its key, load its inputs, run it, store its outputs.

use std::collections::BTreeMap;
use std::time::Instant;

use mlfactory_artifacts::{ContentHash, Manifest, OutputRecord, Store, StoreError};

use super::{Done, MemoryCache, Msg, codec};
use crate::error::EngineError;
use crate::key::{Lookup, lookup};
use crate::plan::{Plan, PlannedStage};
use crate::progress::{ProgressSink, Reporter};
use crate::runs::StageStatus;
use crate::stage::{DynStage, StageContext, StageError, StageInputs, StageOutput};

/// Runs a stage kind on loaded inputs and checks it produced exactly its declared
/// outputs. Used by the scheduler and by `verify`.
pub fn run_stage(
    kind: &dyn DynStage,
    params: &serde_json::Value,
    seed: u64,
    lineage: Option<&serde_json::Value>,
    inputs: &StageInputs,
    progress: &dyn ProgressSink,
) -> Result<StageOutput, StageError> {
    run_stage_with(kind, params, inputs, &StageContext::new(seed, progress).with_lineage(lineage))
}

/// [`run_stage`] with a context built by the caller (seed, progress, lineage, base folder).
pub fn run_stage_with(kind: &dyn DynStage, params: &serde_json::Value, inputs: &StageInputs, ctx: &StageContext<'_>) -> Result<StageOutput, StageError> {
    let out = kind.run_json(ctx, params, inputs)?;
    check_outputs(kind, &out)?;
    Ok(out)
}

/// A stage must return every declared output, in its declared format, and nothing else.
pub fn check_outputs(kind: &dyn DynStage, out: &StageOutput) -> Result<(), StageError> {
    for slot in kind.outputs() {
        match out.artifacts.get(slot.name) {
            None => return Err(StageError::internal(format!("`{}` did not produce its output `{}`", kind.kind(), slot.name))),
            Some(a) if a.format() != slot.format => {
                return Err(StageError::internal(format!("`{}` output `{}` is {:?}, declared {:?}", kind.kind(), slot.name, a.format(), slot.format)));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = out.artifacts.keys().find(|k| !kind.outputs().iter().any(|s| s.name == k.as_str())) {
        return Err(StageError::internal(format!("`{}` produced undeclared output `{extra}`", kind.kind())));
    }
    Ok(())
}

enum LoadError {
    Corrupt { source: usize, error: StoreError },
    Other(StoreError),
}

fn load_inputs(
    plan: &Plan,
    stage: &PlannedStage,
    store: &Store,
    known: &[Option<BTreeMap<String, OutputRecord>>],
    cache: &MemoryCache,
) -> Result<StageInputs, LoadError> {
    let mut inputs = StageInputs::new();
    for b in &stage.bindings {
        for src in &b.sources {
            let record = known[src.stage].as_ref().and_then(|o| o.get(src.output)).expect("scheduler runs a stage only after its inputs are done");
            let artifact = match cache.get(&record.hash) {
                Some(a) => a,
                None => {
                    let a = codec::load(store, record).map_err(|e| match e {
                        StoreError::Corrupt { .. } | StoreError::Missing { .. } => LoadError::Corrupt { source: src.stage, error: e },
                        other => LoadError::Other(other),
                    })?;
                    cache.put(record.hash, a.clone());
                    a
                }
            };
            inputs.insert(b.slot.name, plan.stages[src.stage].name.clone(), artifact);
        }
    }
    Ok(inputs)
}

/// Computes stage `i` (or finds it computed by a concurrent run) and reports back.
#[allow(clippy::too_many_arguments)]
pub(super) fn compute(
    plan: &Plan,
    store: &Store,
    i: usize,
    key: ContentHash,
    material: serde_json::Value,
    known: &[Option<BTreeMap<String, OutputRecord>>],
    cache: &MemoryCache,
    reporter: &Reporter,
) -> Msg {
    let stage = &plan.stages[i];
    let fail = |e: EngineError| Msg::Failed(i, e.to_string(), e);
    let _lock = match store.lock_key(&key) {
        Ok(l) => l,
        Err(e) => return fail(e.into()),
    };
    // Another process may have computed it while we waited for the lock.
    if let Lookup::Hit(manifest) = lookup(store, &key) {
        return Msg::Done(i, Done { status: StageStatus::Cached, seconds: 0.0, manifest });
    }
    let inputs = match load_inputs(plan, stage, store, known, cache) {
        Ok(inputs) => inputs,
        Err(LoadError::Corrupt { source, error }) => {
            let detail = match error {
                StoreError::Corrupt { detail, .. } => format!("is corrupt ({detail})"),
                _ => "is missing".to_owned(),
            };
            return Msg::CorruptInput { stage: i, source, detail };
        }
        Err(LoadError::Other(e)) => return fail(e.into()),
    };
    let progress = reporter.stage(&stage.name);
    let clock = Instant::now();
    let ctx = StageContext::new(stage.seed, &progress).with_lineage(material.get("lineage")).with_base_dir(Some(plan.base_dir()));
    let result = run_stage_with(stage.kind.as_ref(), &stage.params, &inputs, &ctx);
    progress.finish();
    drop(inputs);
    let out = match result {
        Ok(out) => out,
        Err(source) => return fail(EngineError::Stage { stage: stage.name.clone(), kind: stage.kind.kind().to_owned(), source }),
    };
    let seconds = clock.elapsed().as_secs_f64();
    let mut outputs = BTreeMap::new();
    for (name, artifact) in &out.artifacts {
        match codec::store_artifact(store, artifact) {
            Ok(record) => {
                cache.put(record.hash, artifact.clone());
                outputs.insert(name.clone(), record);
            }
            Err(e) => return fail(e.into()),
        }
    }
    let manifest = Manifest {
        format_version: Manifest::FORMAT_VERSION,
        key,
        kind: stage.kind.kind().to_owned(),
        kind_version: stage.kind.version().to_owned(),
        material,
        outputs,
        metrics: out.metrics,
        seconds,
    };
    if let Err(e) = store.record_action(&manifest) {
        return fail(e.into());
    }
    Msg::Done(i, Done { status: StageStatus::Computed, seconds, manifest })
}
