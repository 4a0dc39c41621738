//! `mlfactory diff`: what changed between two runs — stages, artifacts (tables column by
//! column), params and metrics — as markdown (for a PR comment) or JSON, with a
//! tolerance so CI can gate on real changes only.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use mlfactory_artifacts::diff::{TableDiff, diff_tables};
use mlfactory_artifacts::table::decode_parquet;
use mlfactory_artifacts::{BlobRef, ContentHash, Format, Store};
use serde::Serialize;

use crate::error::EngineError;
use crate::runs::{OutputSummary, RunRecord, StageRecord};

/// How a stage differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Unchanged,
    Changed,
    Added,
    Removed,
}

/// One output's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct OutputDiff {
    pub name: String,
    pub a: Option<ContentHash>,
    pub b: Option<ContentHash>,
    /// Column-by-column comparison, for tables present in both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableDiff>,
    /// False when the bytes differ but every difference is within the tolerance.
    pub changed: bool,
}

/// One metric's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct MetricDelta {
    pub name: String,
    pub a: Option<serde_json::Value>,
    pub b: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    pub changed: bool,
}

/// One stage's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct StageDiff {
    pub name: String,
    pub change: Change,
    pub params_changed: Vec<String>,
    pub outputs: Vec<OutputDiff>,
    pub metrics: Vec<MetricDelta>,
}

/// The comparison of two runs.
#[derive(Clone, Debug, Serialize)]
pub struct RunDiff {
    pub a: String,
    pub b: String,
    pub tolerance: f64,
    pub changed: bool,
    pub stages: Vec<StageDiff>,
}

fn load_table(store: &Store, o: &OutputSummary) -> Result<arrow::array::RecordBatch, EngineError> {
    let bytes = store.read(&BlobRef { hash: o.hash, bytes: o.bytes })?;
    Ok(decode_parquet(bytes)?)
}

fn diff_outputs(store: &Store, a: &StageRecord, b: &StageRecord, tolerance: f64) -> Result<Vec<OutputDiff>, EngineError> {
    let names: BTreeSet<&String> = a.outputs.keys().chain(b.outputs.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let (oa, ob) = (a.outputs.get(name), b.outputs.get(name));
        let mut d = OutputDiff { name: name.clone(), a: oa.map(|o| o.hash), b: ob.map(|o| o.hash), table: None, changed: true };
        if let (Some(oa), Some(ob)) = (oa, ob) {
            if oa.hash == ob.hash {
                d.changed = false;
            } else if oa.format == Format::Parquet && ob.format == Format::Parquet {
                let t = diff_tables(&load_table(store, oa)?, &load_table(store, ob)?, tolerance);
                d.changed = !t.is_unchanged();
                d.table = Some(t);
            }
        }
        out.push(d);
    }
    Ok(out)
}

fn diff_metrics(a: Option<&StageRecord>, b: Option<&StageRecord>, tolerance: f64) -> Vec<MetricDelta> {
    let empty = std::collections::BTreeMap::new();
    let (ma, mb) = (a.map_or(&empty, |s| &s.metrics), b.map_or(&empty, |s| &s.metrics));
    let names: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
    names
        .into_iter()
        .map(|name| {
            let (va, vb) = (ma.get(name), mb.get(name));
            let delta = match (va.and_then(serde_json::Value::as_f64), vb.and_then(serde_json::Value::as_f64)) {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            let changed = match delta {
                Some(d) => d.abs() > tolerance || d.is_nan(),
                None => va != vb,
            };
            MetricDelta { name: name.clone(), a: va.cloned(), b: vb.cloned(), delta, changed }
        })
        .collect()
}

fn changed_params(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return if a == b { Vec::new() } else { vec!["params".into()] };
    };
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
}

/// Compares run `a` with run `b`.
pub fn diff_runs(store: &Store, a: &RunRecord, b: &RunRecord, tolerance: f64) -> Result<RunDiff, EngineError> {
    let mut names: Vec<&String> = a.stages.iter().map(|s| &s.name).collect();
    names.extend(b.stages.iter().map(|s| &s.name).filter(|n| a.stage(n).is_none()));
    let mut stages = Vec::new();
    for name in names {
        let (sa, sb) = (a.stage(name), b.stage(name));
        let metrics = diff_metrics(sa, sb, tolerance);
        let (change, params_changed, outputs) = match (sa, sb) {
            (Some(sa), Some(sb)) => {
                let outputs = diff_outputs(store, sa, sb, tolerance)?;
                let changed = outputs.iter().any(|o| o.changed) || metrics.iter().any(|m| m.changed);
                (if changed { Change::Changed } else { Change::Unchanged }, changed_params(&sa.params, &sb.params), outputs)
            }
            (Some(_), None) => (Change::Removed, Vec::new(), Vec::new()),
            _ => (Change::Added, Vec::new(), Vec::new()),
        };
        stages.push(StageDiff { name: name.clone(), change, params_changed, outputs, metrics });
    }
    let changed = stages.iter().any(|s| s.change != Change::Unchanged);
    Ok(RunDiff { a: a.run_id.clone(), b: b.run_id.clone(), tolerance, changed, stages })
}

fn fmt_value(v: Option<&serde_json::Value>) -> String {
    match v {
        None => "–".into(),
        Some(serde_json::Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f:.6}")),
        Some(v) => v.to_string(),
    }
}

/// Renders a diff as markdown, for a pull-request comment.
pub fn to_markdown(d: &RunDiff) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## mlfactory diff `{}` → `{}`\n", d.a, d.b);
    let changed: Vec<&StageDiff> = d.stages.iter().filter(|s| s.change != Change::Unchanged).collect();
    if changed.is_empty() {
        let _ = writeln!(s, "No changes (tolerance {}).", d.tolerance);
        return s;
    }
    let _ = writeln!(s, "{} of {} stages changed (tolerance {}).\n", changed.len(), d.stages.len(), d.tolerance);
    let _ = writeln!(s, "| stage | change | params changed | outputs changed |\n|---|---|---|---|");
    for st in &changed {
        let outs: Vec<&str> = st.outputs.iter().filter(|o| o.changed).map(|o| o.name.as_str()).collect();
        let _ = writeln!(s, "| `{}` | {:?} | {} | {} |", st.name, st.change, st.params_changed.join(", "), outs.join(", "));
    }
    for st in &changed {
        for o in st.outputs.iter().filter(|o| o.changed) {
            let Some(t) = &o.table else { continue };
            let _ = writeln!(s, "\n### `{}.{}`\n\nrows: {} → {}", st.name, o.name, t.rows_a, t.rows_b);
            if !t.added_columns.is_empty() {
                let _ = writeln!(s, "\nadded columns: {}", t.added_columns.join(", "));
            }
            if !t.removed_columns.is_empty() {
                let _ = writeln!(s, "\nremoved columns: {}", t.removed_columns.join(", "));
            }
            let cols: Vec<_> = t.columns.iter().filter(|c| c.changed_cells > 0).collect();
            if !cols.is_empty() {
                let _ = writeln!(s, "\n| column | changed cells | max abs diff |\n|---|---:|---:|");
                for c in cols {
                    let _ = writeln!(s, "| `{}` | {} | {} |", c.name, c.changed_cells, c.max_abs_diff.map_or("–".into(), |m| format!("{m:.6e}")));
                }
            }
        }
        let metrics: Vec<_> = st.metrics.iter().filter(|m| m.changed).collect();
        if !metrics.is_empty() {
            let _ = writeln!(s, "\n### `{}` metrics\n\n| metric | a | b | Δ |\n|---|---:|---:|---:|", st.name);
            for m in metrics {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} |",
                    m.name,
                    fmt_value(m.a.as_ref()),
                    fmt_value(m.b.as_ref()),
                    m.delta.map_or("–".into(), |d| format!("{d:+.6}"))
                );
            }
        }
    }
    s
}
