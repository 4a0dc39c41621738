//! `mlfactory verify`: the determinism proof.
//!
//! Recomputes every stage of a recorded run from the exact input artifacts it read,
//! with its recorded params and seed, and compares the bytes of each output with the
//! recorded hash. Recomputed outputs never enter the store; those that differ are
//! written to a scratch directory for inspection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use mlfactory_artifacts::{BlobRef, ContentHash, Store};
use serde::Serialize;

use crate::error::EngineError;
use crate::exec::{decode, encode, run_stage_with};
use crate::progress::Reporter;
use crate::registry::Registry;
use crate::runs::{RunRecord, StageStatus};
use crate::stage::{StageContext, StageInputs};

/// The verdict on one stage.
#[derive(Clone, Debug, Serialize)]
pub struct VerifiedStage {
    pub name: String,
    pub ok: bool,
    /// `(output, recorded hash, recomputed hash, where the recomputed bytes were saved)`.
    pub mismatches: Vec<Mismatch>,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One output whose recomputed bytes differ.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    pub output: String,
    pub recorded: ContentHash,
    pub recomputed: ContentHash,
    pub saved_to: PathBuf,
}

/// The verdict on a run.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub run_id: String,
    pub stages: Vec<VerifiedStage>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.stages.iter().all(|s| s.ok)
    }
}

/// Recomputes the stages of `record` (all, or those named in `only`).
pub fn verify(
    store: &Store,
    registry: &Registry,
    record: &RunRecord,
    scratch: &Path,
    only: &[String],
    reporter: &Reporter,
) -> Result<VerifyReport, EngineError> {
    let formats = record.artifact_formats();
    // Relative paths in params resolve against the spec's folder, as when it ran.
    let spec_dir = Path::new(&record.spec_abs).parent().map(Path::to_path_buf);
    let base_dir = spec_dir.as_deref();
    let mut stages = Vec::new();
    for stage in &record.stages {
        if !only.is_empty() && !only.contains(&stage.name) {
            continue;
        }
        if !matches!(stage.status, StageStatus::Computed | StageStatus::Cached) {
            continue;
        }
        let kind = registry.get(&stage.kind).ok_or_else(|| EngineError::Usage(format!("stage `{}`: kind `{}` no longer exists", stage.name, stage.kind)))?;
        if kind.version() != stage.kind_version {
            stages.push(VerifiedStage {
                name: stage.name.clone(),
                ok: false,
                mismatches: Vec::new(),
                seconds: 0.0,
                note: Some(format!("kind version changed since the run ({} -> {}); rerun the spec and verify that run", stage.kind_version, kind.version())),
            });
            continue;
        }
        let mut inputs = StageInputs::new();
        for (slot, items) in &stage.inputs {
            for item in items {
                let format = *formats
                    .get(&item.hash)
                    .ok_or_else(|| EngineError::Internal(format!("input {} of `{}` is not an output of this run", item.hash.short(), stage.name)))?;
                let bytes_len = record
                    .stage(&item.stage)
                    .and_then(|s| s.outputs.get(&item.output))
                    .map(|o| o.bytes)
                    .ok_or_else(|| EngineError::Internal(format!("no record of `{}.{}`", item.stage, item.output)))?;
                let bytes = store.read(&BlobRef { hash: item.hash, bytes: bytes_len })?;
                inputs.insert(slot, item.stage.clone(), decode(bytes, format)?);
            }
        }
        // Kinds that read their lineage get it back from the action cache's key material.
        let lineage = if kind.wants_lineage() {
            let key = stage.key.ok_or_else(|| EngineError::Internal(format!("stage `{}` has no key in its run record", stage.name)))?;
            let manifest = store
                .action(&key)
                .ok_or_else(|| EngineError::Usage(format!("stage `{}`: its cache entry is gone (gc?); rerun the spec and verify that run", stage.name)))?;
            manifest.material.get("lineage").cloned()
        } else {
            None
        };
        let progress = reporter.stage(&stage.name);
        let clock = Instant::now();
        let ctx = StageContext::new(stage.seed, &progress).with_lineage(lineage.as_ref()).with_base_dir(base_dir);
        let out = run_stage_with(kind.as_ref(), &stage.params, &inputs, &ctx).map_err(|source| EngineError::Stage {
            stage: stage.name.clone(),
            kind: stage.kind.clone(),
            source,
        })?;
        progress.finish();
        let mut mismatches = Vec::new();
        let recomputed: BTreeMap<&String, Vec<u8>> = out.artifacts.iter().map(|(k, a)| Ok((k, encode(a)?))).collect::<Result<_, EngineError>>()?;
        for (name, recorded) in &stage.outputs {
            let Some(bytes) = recomputed.get(name) else { continue };
            let hash = ContentHash::of(bytes);
            if hash != recorded.hash {
                let dir = scratch.join(&stage.name);
                std::fs::create_dir_all(&dir).map_err(|e| EngineError::Usage(format!("creating `{}`: {e}", dir.display())))?;
                let path = dir.join(format!("{name}.{}", recorded.format.extension()));
                std::fs::write(&path, bytes).map_err(|e| EngineError::Usage(format!("writing `{}`: {e}", path.display())))?;
                mismatches.push(Mismatch { output: name.clone(), recorded: recorded.hash, recomputed: hash, saved_to: path });
            }
        }
        let seconds = clock.elapsed().as_secs_f64();
        let ok = mismatches.is_empty();
        reporter.line(&format!("[{}] {} ({seconds:.2}s)", stage.name, if ok { "identical" } else { "DIFFERS" }));
        stages.push(VerifiedStage { name: stage.name.clone(), ok, mismatches, seconds, note: None });
    }
    Ok(VerifyReport { run_id: record.run_id.clone(), stages })
}
