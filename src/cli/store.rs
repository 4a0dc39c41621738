//! Finding the store, loading specs, and small output helpers.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mlfactory_artifacts::Store;
use mlfactory_engine::plan::{Plan, load_and_plan};
use mlfactory_engine::progress::ReportMode;
use mlfactory_engine::spec::Override;
use mlfactory_engine::{EngineError, Registry};

use super::{GlobalArgs, SpecArgs};

/// The store directory's name beside a spec.
pub(crate) const STORE_DIR: &str = ".mlfactory";

/// The store for a spec: `--cache-dir`/env, else `.mlfactory/` beside the spec.
pub(crate) fn store_for_spec(g: &GlobalArgs, spec: &Path) -> anyhow::Result<Store> {
    let root = match &g.cache_dir {
        Some(dir) => dir.clone(),
        None => spec.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf).join(STORE_DIR),
    };
    Store::open(&root).with_context(|| format!("opening the store at `{}`", root.display()))
}

/// The store for commands without a spec.
pub(crate) fn store_without_spec(g: &GlobalArgs) -> anyhow::Result<Store> {
    if let Some(dir) = &g.cache_dir {
        return Store::open(dir).with_context(|| format!("opening the store at `{}`", dir.display()));
    }
    let here = PathBuf::from(STORE_DIR);
    if here.is_dir() {
        return Ok(Store::open(&here)?);
    }
    let below: Vec<PathBuf> = std::fs::read_dir(".").into_iter().flatten().flatten().map(|e| e.path().join(STORE_DIR)).filter(|p| p.is_dir()).collect();
    match below.as_slice() {
        [one] => Ok(Store::open(one)?),
        [] => bail!("no store found (no `{STORE_DIR}` here or one level down)\n  hint: run a pipeline first, or pass `--cache-dir DIR`"),
        many => {
            bail!("several stores found ({}); pick one with `--cache-dir DIR`", many.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
        }
    }
}

/// Parses `--set` values.
pub(crate) fn overrides(spec: &SpecArgs) -> anyhow::Result<Vec<Override>> {
    spec.overrides.iter().map(|o| o.parse::<Override>().map_err(|e| anyhow::anyhow!("--set {e}"))).collect()
}

/// Loads and plans a spec (applying `--set` and `--only`), with the outside files its
/// stages read fingerprinted, ready to key and run.
pub(crate) fn load_plan(spec: &SpecArgs, registry: &Registry) -> anyhow::Result<Plan> {
    let mut planned = load_plan_offline(spec, registry)?;
    planned.fingerprint_sources()?;
    Ok(planned)
}

/// Loads and plans a spec without touching the files or URLs its stages read (for
/// drawing the DAG).
pub(crate) fn load_plan_offline(spec: &SpecArgs, registry: &Registry) -> anyhow::Result<Plan> {
    let planned = load_and_plan(&spec.spec, &overrides(spec)?, registry).map_err(EngineError::Spec)?;
    if spec.only.is_empty() { Ok(planned) } else { planned.restrict_to(&spec.only).map_err(|e| EngineError::Usage(e).into()) }
}

/// How to report progress.
pub(crate) fn report_mode(g: &GlobalArgs) -> ReportMode {
    if g.quiet { ReportMode::Quiet } else { ReportMode::detect() }
}

/// Writes a JSON value to stdout.
#[allow(clippy::print_stdout)]
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Writes text to stdout.
#[allow(clippy::print_stdout)]
pub(crate) fn print_text(text: &str) {
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
}

/// The commit of the git repository holding `path`, if any (recorded in runs).
pub(crate) fn git_commit(path: &Path) -> Option<String> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(["rev-parse", "HEAD"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
