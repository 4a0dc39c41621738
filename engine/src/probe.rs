//! Running one planned stage on inputs of the caller's choosing.
//!
//! [`prepare`] runs a stage's ancestors through the normal scheduler and cache (a regular,
//! recorded run: whatever is cached is replayed) and loads the artifacts bound to the
//! stage's input slots. [`Probe::run`] then runs the stage on those inputs, or on altered
//! copies of them, as often as the caller likes; nothing it computes enters the store.
//! `mlfactory check-leakage` uses it to rerun a feature stage on rewritten futures.
//!
//! ```no_run
//! # fn demo(plan: mlfactory_engine::plan::Plan, store: &mlfactory_artifacts::Store, opts: &mlfactory_engine::exec::RunOptions) -> Result<(), Box<dyn std::error::Error>> {
//! let probe = mlfactory_engine::probe::prepare(plan, "features", store, opts)?;
//! let baseline = probe.run(probe.inputs())?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use mlfactory_artifacts::{BlobRef, ContentHash, OutputRecord, Store};

use crate::EngineError;
use crate::exec::{RunOptions, decode, execute, run_stage_with};
use crate::key::{key_of, material};
use crate::plan::{Plan, PlannedStage};
use crate::progress::NullProgress;
use crate::runs::RunRecord;
use crate::stage::{StageContext, StageError, StageInputs, StageOutput};

/// A stage with its inputs loaded, ready to run on them or on altered copies.
#[derive(Debug)]
pub struct Probe {
    stage: PlannedStage,
    inputs: StageInputs,
    key: ContentHash,
    lineage: Option<serde_json::Value>,
    ancestors: Option<RunRecord>,
    /// The spec's folder: relative paths in params resolve against it, as in a run.
    base_dir: PathBuf,
}

impl Probe {
    /// The planned stage (name, kind, normalized params, seed, bindings).
    pub fn stage(&self) -> &PlannedStage {
        &self.stage
    }

    /// The artifacts the stage reads, as the scheduler would bind them.
    pub fn inputs(&self) -> &StageInputs {
        &self.inputs
    }

    /// The stage's key on its real inputs (what a run would cache it under).
    pub fn key(&self) -> ContentHash {
        self.key
    }

    /// The run that settled the ancestors (`None` for a stage without inputs).
    pub fn ancestors(&self) -> Option<&RunRecord> {
        self.ancestors.as_ref()
    }

    /// Runs the stage on `inputs` with its params and seed; checks it produced exactly
    /// its declared outputs. Nothing is stored.
    pub fn run(&self, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let ctx = StageContext::new(self.stage.seed, &NullProgress).with_lineage(self.lineage.as_ref()).with_base_dir(Some(&self.base_dir));
        run_stage_with(self.stage.kind.as_ref(), &self.stage.params, inputs, &ctx)
    }
}

/// Settles the ancestors of stage `name` (a normal run against `store`) and loads its
/// inputs.
pub fn prepare(plan: Plan, name: &str, store: &Store, opts: &RunOptions) -> Result<Probe, EngineError> {
    let Some(index) = plan.index_of(name) else {
        // `restrict_to` words the error (with a did-you-mean) for us.
        let err = plan.clone().restrict_to(&[name.to_owned()]).err().unwrap_or_else(|| format!("`{name}` names a matrix stage: pick one variant (`{name}@…`)"));
        return Err(EngineError::Usage(err));
    };
    let mut upstream: Vec<usize> = plan.stages[index].upstream().collect();
    upstream.sort_unstable();
    upstream.dedup();
    let mut known: Vec<Option<BTreeMap<String, OutputRecord>>> = vec![None; plan.stages.len()];
    let ancestors = if upstream.is_empty() {
        None
    } else {
        let targets: Vec<String> = upstream.iter().map(|&u| plan.stages[u].name.clone()).collect();
        let sub = plan.clone().restrict_to(&targets).map_err(EngineError::Usage)?;
        let outcome = execute(&sub, store, opts)?;
        if let Some(failure) = outcome.failure {
            return Err(failure);
        }
        for s in &outcome.record.stages {
            let (Some(i), Some(key)) = (plan.index_of(&s.name), s.key) else { continue };
            let manifest = store.action(&key).ok_or_else(|| EngineError::Internal(format!("stage `{}` ran but has no cache entry", s.name)))?;
            known[i] = Some(manifest.outputs);
        }
        Some(outcome.record)
    };
    let stage = plan.stages[index].clone();
    let mut inputs = StageInputs::new();
    for binding in &stage.bindings {
        for src in &binding.sources {
            let record = known[src.stage]
                .as_ref()
                .and_then(|o| o.get(src.output))
                .ok_or_else(|| EngineError::Internal(format!("output `{}.{}` was not produced", plan.stages[src.stage].name, src.output)))?;
            let bytes = store.read(&BlobRef { hash: record.hash, bytes: record.bytes })?;
            inputs.insert(binding.slot.name, plan.stages[src.stage].name.clone(), decode(bytes, record.format)?);
        }
    }
    let material = material(&plan, &stage, &known).ok_or_else(|| EngineError::Internal(format!("stage `{name}`: inputs settled but not known")))?;
    Ok(Probe { key: key_of(&material), lineage: material.get("lineage").cloned(), stage, inputs, ancestors, base_dir: plan.base_dir().to_path_buf() })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::plan::plan;
    use crate::progress::ReportMode;
    use crate::spec::parse;
    use crate::stage::Artifact;
    use crate::testkit;

    fn opts() -> RunOptions {
        RunOptions { jobs: 1, report: ReportMode::Quiet, spec_display: "t.yaml".into(), overrides: vec![], git_commit: None }
    }

    fn test_plan() -> Plan {
        let yaml = "pipeline: t\nseed: 3\nstages:\n  src:\n    kind: test.source\n    params: {n: 4}\n  map:\n    kind: test.map\n    inputs: [src]\n    params: {add: 1.0}\n  other:\n    kind: test.map\n    inputs: [map]\n";
        plan(&parse(std::path::Path::new("t.yaml"), yaml, &[]).unwrap(), &testkit::registry()).unwrap()
    }

    fn x(out: &StageOutput) -> Vec<f64> {
        let Some(Artifact::Table(t)) = out.artifacts.get("out") else { panic!("no table") };
        t.column(0).as_any().downcast_ref::<Float64Array>().unwrap().values().to_vec()
    }

    #[test]
    fn runs_the_stage_on_its_real_inputs_and_on_altered_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let probe = prepare(test_plan(), "map", &store, &opts()).unwrap();
        assert_eq!(probe.stage().name, "map");
        assert_eq!(probe.ancestors().unwrap().stages.len(), 1, "only the ancestors ran");
        let real = x(&probe.run(probe.inputs()).unwrap());
        let Artifact::Table(src) = &probe.inputs().all("input")[0].artifact else { panic!() };
        let src_x = src.column(0).as_any().downcast_ref::<Float64Array>().unwrap().values().to_vec();
        assert_eq!(real, src_x.iter().map(|v| v + 1.0).collect::<Vec<_>>());

        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, false)]));
        let altered = RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(vec![10.0, 20.0]))]).unwrap();
        let mut inputs = StageInputs::new();
        inputs.insert("input", "src", Artifact::Table(Arc::new(altered)));
        assert_eq!(x(&probe.run(&inputs).unwrap()), vec![11.0, 21.0]);

        // The probe's key is the key a real run caches the stage under.
        let full = execute(&test_plan(), &store, &opts()).unwrap();
        assert_eq!(full.record.stage("map").unwrap().key, Some(probe.key()));
    }

    #[test]
    fn unknown_stages_get_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let err = prepare(test_plan(), "mapp", &store, &opts()).unwrap_err().to_string();
        assert!(err.contains("no stage named `mapp`") && err.contains("map"), "{err}");
    }

    #[test]
    fn a_stage_without_inputs_runs_nothing_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let probe = prepare(test_plan(), "src", &store, &opts()).unwrap();
        assert!(probe.ancestors().is_none());
        assert_eq!(x(&probe.run(probe.inputs()).unwrap()).len(), 4);
    }
}
