//! `verify` and `gc`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;

use mlfactory_artifacts::gc::collect;
use mlfactory_engine::EngineError;
use mlfactory_engine::progress::Reporter;
use mlfactory_engine::runs::{find, list};
use mlfactory_engine::verify::verify as verify_run;

use super::store::{print_json, print_text, report_mode, store_without_spec};
use super::{CheckFailed, GlobalArgs};

pub(crate) fn verify(g: &GlobalArgs, run: &str, stages: &[String], json: bool) -> anyhow::Result<ExitCode> {
    let store = store_without_spec(g)?;
    let record = find(&store, run).map_err(EngineError::Usage)?;
    let scratch = store.root().join("scratch").join(format!("verify-{}", record.run_id));
    let reporter = Reporter::new(report_mode(g));
    let report = verify_run(&store, &mlfactory_stages::registry(), &record, &scratch, stages, &reporter)?;
    if json {
        print_json(&report)?;
    } else {
        let mut out = String::new();
        for s in &report.stages {
            let _ = writeln!(out, "{:<8} {} ({:.2}s)", if s.ok { "ok" } else { "DIFFERS" }, s.name, s.seconds);
            for m in &s.mismatches {
                let _ = writeln!(
                    out,
                    "         {}: recorded {} recomputed {} (saved to {})",
                    m.output,
                    m.recorded.short(),
                    m.recomputed.short(),
                    m.saved_to.display()
                );
            }
            if let Some(note) = &s.note {
                let _ = writeln!(out, "         {note}");
            }
        }
        print_text(&out);
    }
    let bad: Vec<&str> = report.stages.iter().filter(|s| !s.ok).map(|s| s.name.as_str()).collect();
    if bad.is_empty() {
        if !g.quiet {
            eprintln!("verified run {}: {} stages reproduce byte for byte", report.run_id, report.stages.len());
        }
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CheckFailed(format!("not reproducible: {}", bad.join(", "))).into())
    }
}

pub(crate) fn gc(g: &GlobalArgs, keep: usize) -> anyhow::Result<ExitCode> {
    let store = store_without_spec(g)?;
    let runs = list(&store);
    let cut = runs.len().saturating_sub(keep);
    let (old, kept) = runs.split_at(cut);
    let live_keys: BTreeSet<_> = kept.iter().flat_map(|r| r.stages.iter().filter_map(|s| s.key)).collect();
    let live_blobs: BTreeSet<_> = kept.iter().flat_map(|r| r.stages.iter().flat_map(|s| s.outputs.values().map(|o| o.hash))).collect();
    let report = collect(&store, &live_keys, &live_blobs)?;
    for r in old {
        let _ = std::fs::remove_file(store.runs_dir().join(format!("{}.json", r.run_id)));
    }
    let _ = std::fs::remove_dir_all(store.root().join("scratch"));
    if !g.quiet {
        eprintln!(
            "gc: kept {} runs; removed {} runs, {} cache entries, {} artifacts ({:.1} MB); kept {} entries, {} artifacts",
            kept.len(),
            old.len(),
            report.actions_removed,
            report.blobs_removed,
            report.bytes_freed as f64 / 1e6,
            report.actions_kept,
            report.blobs_kept
        );
    }
    Ok(ExitCode::SUCCESS)
}
