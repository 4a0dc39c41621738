//! `export`: copy an artifact out of the store.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use mlfactory_artifacts::BlobRef;
use mlfactory_engine::EngineError;
use mlfactory_engine::runs::find;

use super::GlobalArgs;
use super::store::store_without_spec;

pub(crate) fn export(g: &GlobalArgs, target: &str, to: &Path, run: &str) -> anyhow::Result<ExitCode> {
    let store = store_without_spec(g)?;
    let record = find(&store, run).map_err(EngineError::Usage)?;
    let (stage_name, output) = match target.split_once('.') {
        Some((s, o)) => (s, Some(o)),
        None => (target, None),
    };
    let stage = record.stage(stage_name).ok_or_else(|| {
        let hint = mlfactory_engine::spec::did_you_mean(stage_name, record.stages.iter().map(|s| s.name.as_str()))
            .map(|h| format!("\n  hint: {h}"))
            .unwrap_or_default();
        EngineError::Usage(format!("run {} has no stage `{stage_name}`{hint}", record.run_id))
    })?;
    let output = match output {
        Some(o) => o.to_owned(),
        None => mlfactory_stages::registry()
            .get(&stage.kind)
            .and_then(|k| k.outputs().first().map(|o| o.name.to_owned()))
            .or_else(|| stage.outputs.keys().next().cloned())
            .ok_or_else(|| EngineError::Usage(format!("stage `{stage_name}` has no outputs")))?,
    };
    let o = stage.outputs.get(&output).ok_or_else(|| {
        EngineError::Usage(format!("stage `{stage_name}` has no output `{output}` (it has: {})", stage.outputs.keys().cloned().collect::<Vec<_>>().join(", ")))
    })?;
    let bytes = store.read(&BlobRef { hash: o.hash, bytes: o.bytes })?;
    std::fs::write(to, bytes).with_context(|| format!("writing `{}`", to.display()))?;
    if !g.quiet {
        eprintln!("exported {stage_name}.{output} ({}, {} bytes) to {}", o.format.extension(), o.bytes, to.display());
    }
    Ok(ExitCode::SUCCESS)
}
