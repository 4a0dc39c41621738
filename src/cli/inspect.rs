//! `runs`, `show`, `diff`, `schema` and `kinds`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use mlfactory_engine::exec::{RunOptions, execute};
use mlfactory_engine::progress::ReportMode;
use mlfactory_engine::rundiff::{diff_runs, to_markdown};
use mlfactory_engine::runs::{RunRecord, find, list};
use mlfactory_engine::schema::spec_schema;
use mlfactory_engine::stage::{Arity, DynStage};
use mlfactory_engine::{EngineError, Registry};
use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::store::{git_commit, load_plan, print_json, print_text, store_for_spec, store_without_spec};
use super::{CheckFailed, DiffFormat, GlobalArgs, SpecArgs};

pub(crate) fn runs(g: &GlobalArgs, json: bool) -> anyhow::Result<ExitCode> {
    let store = store_without_spec(g)?;
    let runs = list(&store);
    if json {
        print_json(&runs)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::from("run id                     pipeline      stages  computed  cached  seconds  ok\n");
    for r in &runs {
        let _ = writeln!(
            out,
            "{:<26} {:<13} {:>6}  {:>8}  {:>6}  {:>7.2}  {}",
            r.run_id,
            r.pipeline,
            r.stages.len(),
            r.computed(),
            r.cached(),
            r.seconds,
            if r.ok { "yes" } else { "FAILED" }
        );
    }
    print_text(&out);
    Ok(ExitCode::SUCCESS)
}

fn short_metrics(metrics: &std::collections::BTreeMap<String, Value>) -> String {
    metrics
        .iter()
        .filter_map(|(k, v)| v.as_f64().map(|f| format!("{k}={}", if f.fract() == 0.0 && f.abs() < 1e15 { format!("{f}") } else { format!("{f:.4}") })))
        .take(4)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn show(g: &GlobalArgs, run: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = store_without_spec(g)?;
    let r = find(&store, run).map_err(EngineError::Usage)?;
    if json {
        print_json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let _ = writeln!(out, "run {}  pipeline {}  spec {}", r.run_id, r.pipeline, r.spec);
    let _ = writeln!(
        out,
        "started {}  {:.2}s  {}  mlfactory {}{}",
        r.started_at,
        r.seconds,
        if r.ok { "ok" } else { "FAILED" },
        r.mlfactory_version,
        r.git_commit.as_ref().map(|c| format!("  commit {}", &c[..c.len().min(12)])).unwrap_or_default()
    );
    if !r.overrides.is_empty() {
        let _ = writeln!(out, "overrides: {}", r.overrides.join(" "));
    }
    let width = r.stages.iter().map(|s| s.name.len()).max().unwrap_or(5);
    for s in &r.stages {
        let key = s.key.map(|k| k.short()).unwrap_or_default();
        let _ = writeln!(out, "\n{:<width$}  {:<24} {:<8} {:>7.2}s  key {key}", s.name, s.kind, format!("{:?}", s.status).to_lowercase(), s.seconds);
        for (name, o) in &s.outputs {
            let rows = o.rows.map(|r| format!(" {r} rows")).unwrap_or_default();
            let _ = writeln!(out, "  {:<width$}  {name}: {} {} bytes{rows}", "", o.hash.short(), o.bytes);
        }
        let m = short_metrics(&s.metrics);
        if !m.is_empty() {
            let _ = writeln!(out, "  {:<width$}  {m}", "");
        }
        if let Some(e) = &s.error {
            let _ = writeln!(out, "  {:<width$}  error: {}", "", e.lines().next().unwrap_or_default());
        }
    }
    print_text(&out);
    Ok(ExitCode::SUCCESS)
}

/// A run id, or a spec file run (mostly from cache) against the store.
fn resolve_run(g: &GlobalArgs, arg: &str) -> anyhow::Result<(RunRecord, mlfactory_artifacts::Store)> {
    let path = Path::new(arg);
    if path.is_file() {
        let spec = SpecArgs { spec: path.to_path_buf(), overrides: Vec::new(), only: Vec::new() };
        let registry = mlfactory_stages::registry();
        let plan = load_plan(&spec, &registry)?;
        let store = store_for_spec(g, path)?;
        let opts = RunOptions { jobs: 2, report: ReportMode::Quiet, spec_display: arg.to_owned(), overrides: Vec::new(), git_commit: git_commit(path) };
        let outcome = execute(&plan, &store, &opts)?;
        if let Some(e) = outcome.failure {
            return Err(e.into());
        }
        return Ok((outcome.record, store));
    }
    let store = store_without_spec(g)?;
    Ok((find(&store, arg).map_err(EngineError::Usage)?, store))
}

pub(crate) fn diff(g: &GlobalArgs, a: &str, b: &str, format: DiffFormat, fail_on_change: bool, tolerance: f64) -> anyhow::Result<ExitCode> {
    let (ra, store) = resolve_run(g, a)?;
    let (rb, _) = resolve_run(g, b)?;
    let d = diff_runs(&store, &ra, &rb, tolerance)?;
    match format {
        DiffFormat::Json => print_json(&d)?,
        DiffFormat::Md => print_text(&to_markdown(&d)),
    }
    if fail_on_change && d.changed {
        let n = d.stages.iter().filter(|s| s.change != mlfactory_engine::rundiff::Change::Unchanged).count();
        return Err(CheckFailed(format!("{n} stage(s) changed beyond tolerance {tolerance}")).into());
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn schema() -> anyhow::Result<ExitCode> {
    print_json(&spec_schema(&mlfactory_stages::registry()))?;
    Ok(ExitCode::SUCCESS)
}

/// A kind's params as `(name, type, default, description)` rows, from its JSON Schema.
fn param_rows(kind: &dyn DynStage) -> Vec<(String, String, String, String)> {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let schema = kind.params_schema(&mut generator).to_value();
    let defs = Value::Object(generator.take_definitions(true));
    let resolve = |v: &Value| -> Value {
        v.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).and_then(|name| defs.get(name).cloned()).unwrap_or_else(|| v.clone())
    };
    let root = resolve(&schema);
    let Some(props) = root.get("properties").and_then(Value::as_object) else { return Vec::new() };
    props
        .iter()
        .map(|(name, p)| {
            let p = resolve(p);
            let ty = p
                .get("type")
                .map(|t| match t {
                    Value::Array(a) => a.iter().filter_map(Value::as_str).filter(|s| *s != "null").collect::<Vec<_>>().join(" | "),
                    other => other.as_str().unwrap_or("object").to_owned(),
                })
                .or_else(|| p.get("enum").map(|e| e.as_array().map(|a| a.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" | ")).unwrap_or_default()))
                .or_else(|| p.get("oneOf").or_else(|| p.get("anyOf")).map(|_| "one of several forms".to_owned()))
                .unwrap_or_else(|| "object".to_owned());
            let default = root.get("default").and_then(|d| d.get(name)).or_else(|| p.get("default")).map(|d| d.to_string()).unwrap_or_default();
            let doc = p.get("description").and_then(Value::as_str).unwrap_or_default().replace('\n', " ");
            (name.clone(), ty, default, doc)
        })
        .collect()
}

fn describe(kind: &dyn DynStage, out: &mut String) {
    let _ = writeln!(out, "## `{}`\n\n{}\n\nVersion {}.\n", kind.kind(), kind.about(), kind.version());
    if !kind.inputs().is_empty() {
        let _ = writeln!(out, "| input | takes | description |\n|---|---|---|");
        for i in kind.inputs() {
            let takes = match i.arity {
                Arity::One => "one",
                Arity::Optional => "zero or one",
                Arity::Many => "any number",
            };
            let _ = writeln!(out, "| `{}` | {takes} | {} |", i.name, i.doc);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "| output | format | description |\n|---|---|---|");
    for o in kind.outputs() {
        let _ = writeln!(out, "| `{}` | {} | {} |", o.name, o.format.extension(), o.doc);
    }
    let rows = param_rows(kind);
    if !rows.is_empty() {
        let _ = writeln!(out, "\n| param | type | default | description |\n|---|---|---|---|");
        for (name, ty, default, doc) in rows {
            let _ = writeln!(out, "| `{name}` | {ty} | `{default}` | {doc} |");
        }
    }
    out.push('\n');
}

/// The stage reference page (docs/stages.md), generated from the registry.
pub(crate) fn stage_reference(registry: &Registry) -> String {
    let mut out = String::from(
        "# Stage reference\n\n<!-- Generated by `mlfactory kinds --markdown`; a test fails when this file is stale. -->\n\n\
         Every stage kind, its inputs, outputs and params (with defaults). The first output is the\n\
         stage's primary output: `inputs: [stage]` means that one; `stage.output` names another.\n\n",
    );
    for kind in registry.kinds() {
        describe(kind.as_ref(), &mut out);
    }
    out
}

pub(crate) fn kinds(kind: Option<&str>, markdown: bool) -> anyhow::Result<ExitCode> {
    let registry = mlfactory_stages::registry();
    if markdown {
        print_text(&stage_reference(&registry));
        return Ok(ExitCode::SUCCESS);
    }
    match kind {
        None => {
            let mut out = String::new();
            for k in registry.kinds() {
                let _ = writeln!(out, "{:<26} {}", k.kind(), k.about());
            }
            print_text(&out);
        }
        Some(name) => {
            let Some(k) = registry.get(name) else {
                let hint = mlfactory_engine::spec::did_you_mean(name, registry.names()).map(|h| format!("\n  hint: {h}")).unwrap_or_default();
                return Err(EngineError::Usage(format!("no stage kind `{name}`{hint}")).into());
            };
            let mut out = String::new();
            describe(k.as_ref(), &mut out);
            print_text(&out);
        }
    }
    Ok(ExitCode::SUCCESS)
}
