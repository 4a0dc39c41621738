//! `run`, `status` and `dag`.

use std::fmt::Write as _;
use std::process::ExitCode;

use mlfactory_engine::exec::{RunOptions, execute};
use mlfactory_engine::render::{DagFormat, render};
use mlfactory_engine::runs::last_of_spec;
use mlfactory_engine::status::status as stage_status;

use super::store::{git_commit, load_plan, load_plan_offline, print_json, print_text, report_mode, store_for_spec};
use super::{DagFormatArg, GlobalArgs, SpecArgs};

pub(crate) fn run(g: &GlobalArgs, spec: &SpecArgs, dry_run: bool, jobs: Option<usize>, json: bool) -> anyhow::Result<ExitCode> {
    if dry_run {
        return status(g, spec, false, json);
    }
    let registry = mlfactory_stages::registry();
    let plan = load_plan(spec, &registry)?;
    let store = store_for_spec(g, &spec.spec)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let opts = RunOptions {
        jobs,
        report: report_mode(g),
        spec_display: spec.spec.display().to_string(),
        overrides: spec.overrides.clone(),
        git_commit: git_commit(&spec.spec),
    };
    let outcome = execute(&plan, &store, &opts)?;
    let r = &outcome.record;
    if !g.quiet {
        eprintln!(
            "run {}: {} stages, {} computed, {} cached, {:.2}s{}",
            r.run_id,
            r.stages.len(),
            r.computed(),
            r.cached(),
            r.seconds,
            if r.ok { "" } else { " (FAILED)" }
        );
    }
    if json {
        print_json(r)?;
    }
    match outcome.failure {
        Some(e) => Err(e.into()),
        None => Ok(ExitCode::SUCCESS),
    }
}

pub(crate) fn status(g: &GlobalArgs, spec: &SpecArgs, deep: bool, json: bool) -> anyhow::Result<ExitCode> {
    let registry = mlfactory_stages::registry();
    let plan = load_plan(spec, &registry)?;
    let store = store_for_spec(g, &spec.spec)?;
    let spec_abs = std::path::absolute(&spec.spec)?.display().to_string();
    let previous = last_of_spec(&store, &spec_abs);
    let states = stage_status(&plan, &store, previous.as_ref(), deep);
    if json {
        print_json(&states)?;
        return Ok(ExitCode::SUCCESS);
    }
    let width = states.iter().map(|s| s.name.len()).max().unwrap_or(5).max(5);
    let mut out = String::new();
    let to_run = states.iter().filter(|s| s.will_run).count();
    let _ = writeln!(out, "{to_run} of {} stages would run", states.len());
    for s in &states {
        let verdict = if s.will_run { "run " } else { "    " };
        let reasons: Vec<String> = s.reasons.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "{verdict} {:<width$}  {:<24}  {}", s.name, s.kind, reasons.join("; "));
    }
    print_text(&out);
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn dag(spec: &SpecArgs, format: DagFormatArg) -> anyhow::Result<ExitCode> {
    let registry = mlfactory_stages::registry();
    let plan = load_plan_offline(spec, &registry)?;
    let format = match format {
        DagFormatArg::Text => DagFormat::Text,
        DagFormatArg::Dot => DagFormat::Dot,
        DagFormatArg::Mermaid => DagFormat::Mermaid,
    };
    print_text(&render(&plan, format));
    Ok(ExitCode::SUCCESS)
}
