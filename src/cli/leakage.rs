//! `check-leakage`: proves a stage causal by rerunning it on rewritten futures.
//!
//! The stage's ancestors run as in `mlfactory run` (cache hits replayed), then the stage
//! itself runs once on its real inputs (the baseline) and once per (cut, rewrite) trial on
//! inputs whose rows after the cut are rewritten. A cut is a timestamp of the stage's
//! first time-indexed input (a table with a `ts` column) at a fraction of its rows; a
//! rewrite changes every input row with `ts` after the cut:
//!
//! - `reverse`: the future rows in reverse order (`ts` kept);
//! - `constant`: every future row a copy of the last row at the cut (`ts` kept);
//! - `scale`: float columns times 1.5;
//! - `random-walk`: float columns times `exp(w)`, `w` a seeded random walk (steps ±1%);
//! - `truncate`: the future rows removed.
//!
//! Rows move whole (`reverse`, `constant`) and float columns of a row scale together
//! (`scale`, `random-walk`), so rewritten bars stay bars (high >= low). Every table
//! output with a `ts` column is then compared with the baseline on the rows at or before
//! the cut; any difference in any column is a leak, reported with the first changed `ts`,
//! the cut and the rewrite. Outputs without `ts` (JSON, models) are not compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, UInt32Array};
use arrow::compute::kernels::cmp::distinct;
use arrow::compute::{cast, filter_record_batch, take};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use clap::{Args, ValueEnum};
use mlfactory_engine::EngineError;
use mlfactory_engine::exec::RunOptions;
use mlfactory_engine::probe::{Probe, prepare};
use mlfactory_engine::stage::{Artifact, StageInputs, StageOutput};
use serde::Serialize;

use super::store::{git_commit, load_plan, print_json, print_text, report_mode, store_for_spec};
use super::{CheckFailed, GlobalArgs, SpecArgs};

/// The time column every table between stages has.
const TS: &str = "ts";
/// Default cut points, as fractions of the time-indexed input's rows.
const DEFAULT_CUTS: [f64; 4] = [0.3, 0.5, 0.7, 0.9];
/// `scale`'s factor.
const SCALE: f64 = 1.5;
/// `random-walk`'s step (in log units).
const WALK_STEP: f64 = 0.01;

/// `mlfactory check-leakage SPEC STAGE`.
#[derive(Debug, Args)]
pub(crate) struct LeakageArgs {
    /// The pipeline spec (YAML).
    spec: PathBuf,
    /// The stage to check (a feature stage, or any stage with time-indexed inputs).
    stage: String,
    /// Override a param: `STAGE.PARAM=VALUE`, `vars.NAME=VALUE` or `seed=VALUE`.
    #[arg(long = "set", value_name = "STAGE.PARAM=VALUE")]
    overrides: Vec<String>,
    /// Cut points as fractions of the rows, in (0, 1) (repeatable; default 0.3, 0.5, 0.7, 0.9).
    #[arg(long = "cut", value_name = "FRACTION")]
    cuts: Vec<f64>,
    /// Rewrites of the future to try (repeatable; default all).
    #[arg(long = "rewrite", value_enum, value_name = "REWRITE")]
    rewrites: Vec<Rewrite>,
    /// Numeric differences up to this (relative to max(1, |value|)) are not leaks.
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    tolerance: f64,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// How the rows after a cut are rewritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Rewrite {
    /// The future rows in reverse order.
    Reverse,
    /// Every future row a copy of the row at the cut.
    Constant,
    /// Float columns times 1.5.
    Scale,
    /// Float columns times exp(a seeded random walk).
    RandomWalk,
    /// The future rows removed.
    Truncate,
}

impl Rewrite {
    const ALL: [Self; 5] = [Self::Reverse, Self::Constant, Self::Scale, Self::RandomWalk, Self::Truncate];
}

/// One column that changed at or before a cut.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Change {
    pub(crate) output: String,
    pub(crate) column: String,
    /// First changed row's `ts` (ns, UTC).
    pub(crate) first_changed_ts: i64,
    pub(crate) first_changed: String,
    pub(crate) cut_ts: i64,
    pub(crate) cut: String,
    pub(crate) rewrite: Rewrite,
    /// The baseline and rewritten values there (when numeric).
    pub(crate) was: Option<f64>,
    pub(crate) now: Option<f64>,
}

/// A trial in which the stage itself failed.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct TrialError {
    pub(crate) cut: String,
    pub(crate) rewrite: Rewrite,
    pub(crate) error: String,
}

/// Everything `check-leakage` found.
#[derive(Debug, Serialize)]
pub(crate) struct LeakageReport {
    pub(crate) stage: String,
    pub(crate) kind: String,
    pub(crate) cuts: Vec<String>,
    pub(crate) rewrites: Vec<Rewrite>,
    /// `output.column` checked.
    pub(crate) columns: Vec<String>,
    /// Outputs that could not be compared (no `ts`), with why.
    pub(crate) unchecked: Vec<String>,
    pub(crate) changes: Vec<Change>,
    pub(crate) errors: Vec<TrialError>,
}

impl LeakageReport {
    /// One change per leaking column: the earliest first-changed row over all trials, and
    /// how many trials it leaked in.
    fn leaks(&self) -> Vec<(&Change, usize)> {
        let mut by_column: BTreeMap<(&str, &str), (&Change, usize)> = BTreeMap::new();
        for c in &self.changes {
            let entry = by_column.entry((c.output.as_str(), c.column.as_str())).or_insert((c, 0));
            entry.1 += 1;
            if (c.first_changed_ts, c.cut_ts) < (entry.0.first_changed_ts, entry.0.cut_ts) {
                entry.0 = c;
            }
        }
        by_column.into_values().collect()
    }
}

/// Formats UTC nanoseconds as `2024-03-11T14:35:00Z` (fractions only when present).
fn fmt_ts(ns: i64) -> String {
    arrow::temporal_conversions::timestamp_ns_to_datetime(ns).map_or_else(
        || ns.to_string(),
        |d| if ns % 1_000_000_000 == 0 { d.format("%Y-%m-%dT%H:%M:%SZ").to_string() } else { d.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string() },
    )
}

/// A `ts` column as UTC nanoseconds (any timestamp unit, or Int64); `None` without one.
fn ts_of(table: &RecordBatch) -> anyhow::Result<Option<Vec<i64>>> {
    let Some(col) = table.column_by_name(TS) else { return Ok(None) };
    let ns = match col.data_type() {
        DataType::Int64 => col.clone(),
        DataType::Timestamp(..) => cast(&cast(col, &DataType::Timestamp(TimeUnit::Nanosecond, None))?, &DataType::Int64)?,
        _ => return Ok(None),
    };
    let ns = ns.as_primitive::<Int64Type>();
    if ns.null_count() > 0 {
        bail!("column `ts` has nulls");
    }
    Ok(Some(ns.values().to_vec()))
}

/// SplitMix64: a small, seeded, portable generator for the random walk.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `table` with every row whose `ts` is after `cut` rewritten (`ts` itself kept).
fn rewrite_table(table: &RecordBatch, ts: &[i64], cut: i64, rewrite: Rewrite, seed: u64) -> anyhow::Result<RecordBatch> {
    let future: Vec<usize> = (0..ts.len()).filter(|&i| ts[i] > cut).collect();
    if future.is_empty() {
        return Ok(table.clone());
    }
    if rewrite == Rewrite::Truncate {
        let keep: arrow::array::BooleanArray = ts.iter().map(|&t| Some(t <= cut)).collect();
        return Ok(filter_record_batch(table, &keep)?);
    }
    let ts_index = table.schema_ref().index_of(TS)?;
    let columns: Vec<ArrayRef> = match rewrite {
        Rewrite::Reverse | Rewrite::Constant => {
            let mut order: Vec<u32> = (0..ts.len() as u32).collect();
            match rewrite {
                Rewrite::Reverse => {
                    for (&to, &from) in future.iter().zip(future.iter().rev()) {
                        order[to] = from as u32;
                    }
                }
                _ => {
                    // The last row at or before the cut (or the first future row when none).
                    let anchor = (0..ts.len()).filter(|&i| ts[i] <= cut).max_by_key(|&i| (ts[i], i)).unwrap_or(future[0]) as u32;
                    for &i in &future {
                        order[i] = anchor;
                    }
                }
            }
            let order = UInt32Array::from(order);
            table
                .columns()
                .iter()
                .enumerate()
                .map(|(c, col)| if c == ts_index { Ok(col.clone()) } else { take(col.as_ref(), &order, None) })
                .collect::<Result<_, _>>()?
        }
        Rewrite::Scale | Rewrite::RandomWalk => {
            let factor: Vec<f64> = if rewrite == Rewrite::Scale {
                vec![SCALE; future.len()]
            } else {
                let mut rng = SplitMix(seed);
                let mut w = 0.0;
                future
                    .iter()
                    .map(|_| {
                        w += if rng.next() & 1 == 0 { WALK_STEP } else { -WALK_STEP };
                        f64::exp(w)
                    })
                    .collect()
            };
            table
                .columns()
                .iter()
                .map(|col| {
                    if !matches!(col.data_type(), DataType::Float64 | DataType::Float32) {
                        return Ok(col.clone());
                    }
                    let values = cast(col, &DataType::Float64)?;
                    let values = values.as_primitive::<Float64Type>();
                    let mut out: Vec<Option<f64>> = values.iter().collect();
                    for (&i, f) in future.iter().zip(&factor) {
                        out[i] = out[i].map(|v| v * f);
                    }
                    cast(&(Arc::new(Float64Array::from(out)) as ArrayRef), col.data_type())
                })
                .collect::<Result<_, _>>()?
        }
        Rewrite::Truncate => unreachable!("handled above"),
    };
    Ok(RecordBatch::try_new(table.schema(), columns)?)
}

/// The stage's inputs with every time-indexed table rewritten after `cut`.
fn rewrite_inputs(inputs: &StageInputs, slots: &[&str], cut: i64, rewrite: Rewrite, seed: u64) -> anyhow::Result<StageInputs> {
    let mut out = StageInputs::new();
    for slot in slots {
        for (k, input) in inputs.all(slot).iter().enumerate() {
            let artifact = match &input.artifact {
                Artifact::Table(t) => match ts_of(t)? {
                    Some(ts) => Artifact::Table(Arc::new(
                        rewrite_table(t, &ts, cut, rewrite, seed ^ ((k as u64) << 32)).with_context(|| format!("rewriting input `{}`", input.label))?,
                    )),
                    None => input.artifact.clone(),
                },
                other => other.clone(),
            };
            out.insert(slot, input.label.clone(), artifact);
        }
    }
    Ok(out)
}

/// Rows of `table` at or before `cut` (in their order).
fn past(table: &RecordBatch, ts: &[i64], cut: i64) -> anyhow::Result<RecordBatch> {
    let keep: arrow::array::BooleanArray = ts.iter().map(|&t| Some(t <= cut)).collect();
    Ok(filter_record_batch(table, &keep)?)
}

fn numeric(col: &ArrayRef, row: usize) -> Option<f64> {
    if col.is_null(row) || !col.data_type().is_numeric() {
        return None;
    }
    let v = cast(&col.slice(row, 1), &DataType::Float64).ok()?;
    Some(v.as_primitive::<Float64Type>().value(0))
}

/// The first row where two same-typed columns differ (nulls equal nulls, NaN equals NaN).
fn first_difference(a: &ArrayRef, b: &ArrayRef, tolerance: f64) -> anyhow::Result<Option<usize>> {
    if a.data_type() != b.data_type() || a.len() != b.len() {
        return Ok(Some(0));
    }
    if tolerance > 0.0 && a.data_type().is_numeric() {
        let (x, y) = (cast(a, &DataType::Float64)?, cast(b, &DataType::Float64)?);
        let (x, y) = (x.as_primitive::<Float64Type>(), y.as_primitive::<Float64Type>());
        return Ok((0..x.len()).find(|&i| match (x.is_null(i), y.is_null(i)) {
            (true, true) => false,
            (false, false) => {
                let (p, q) = (x.value(i), y.value(i));
                !(p.is_nan() && q.is_nan()) && !((p - q).abs() <= tolerance * p.abs().max(1.0))
            }
            _ => true,
        }));
    }
    match distinct(a, b) {
        Ok(d) => Ok(d.iter().position(|v| v == Some(true))),
        // Types the kernel cannot compare (nested): compare row by row.
        Err(_) => Ok((0..a.len()).find(|&i| a.slice(i, 1).to_data() != b.slice(i, 1).to_data())),
    }
}

/// Every column of a baseline output that differs from the trial's at or before `cut`.
fn compare(output: &str, baseline: &RecordBatch, trial: &RecordBatch, cut: i64, rewrite: Rewrite, tolerance: f64) -> anyhow::Result<Vec<Change>> {
    let (Some(base_ts), Some(trial_ts)) = (ts_of(baseline)?, ts_of(trial)?) else {
        bail!("output `{output}` lost its `ts` column when the future was rewritten");
    };
    let (a, b) = (past(baseline, &base_ts, cut)?, past(trial, &trial_ts, cut)?);
    let a_ts: Vec<i64> = base_ts.iter().copied().filter(|&t| t <= cut).collect();
    let change = |column: &str, row: usize, was: Option<f64>, now: Option<f64>| Change {
        output: output.to_owned(),
        column: column.to_owned(),
        first_changed_ts: a_ts.get(row).copied().unwrap_or(cut),
        first_changed: fmt_ts(a_ts.get(row).copied().unwrap_or(cut)),
        cut_ts: cut,
        cut: fmt_ts(cut),
        rewrite,
        was,
        now,
    };
    let mut changes = Vec::new();
    if a.num_rows() != b.num_rows() {
        let b_ts: Vec<i64> = trial_ts.iter().copied().filter(|&t| t <= cut).collect();
        let row = a_ts.iter().zip(&b_ts).position(|(x, y)| x != y).unwrap_or(a_ts.len().min(b_ts.len()));
        changes.push(change(TS, row, Some(a.num_rows() as f64), Some(b.num_rows() as f64)));
        return Ok(changes);
    }
    for (field, col) in a.schema_ref().fields().iter().zip(a.columns()) {
        let name = field.name();
        let Some(other) = b.column_by_name(name) else {
            changes.push(change(name, 0, None, None));
            continue;
        };
        if let Some(row) = first_difference(col, other, tolerance)? {
            changes.push(change(name, row, numeric(col, row), numeric(other, row)));
        }
    }
    Ok(changes)
}

/// Table outputs that carry `ts`, and a note for each that does not.
fn comparable(out: &StageOutput) -> anyhow::Result<(Vec<(&String, &RecordBatch)>, Vec<String>)> {
    let (mut tables, mut unchecked) = (Vec::new(), Vec::new());
    for (name, artifact) in &out.artifacts {
        match artifact {
            Artifact::Table(t) if ts_of(t)?.is_some() => tables.push((name, t.as_ref())),
            Artifact::Table(_) => unchecked.push(format!("{name} (a table without `ts`)")),
            other => unchecked.push(format!("{name} ({:?}: not a table)", other.format())),
        }
    }
    Ok((tables, unchecked))
}

/// The cut timestamps: `fractions` of the first time-indexed input's rows, keeping at
/// least one row after each cut.
fn cut_points(probe: &Probe, fractions: &[f64]) -> anyhow::Result<Vec<i64>> {
    for slot in probe.stage().kind.inputs() {
        for input in probe.inputs().all(slot.name) {
            if let Artifact::Table(t) = &input.artifact
                && let Some(ts) = ts_of(t)?
            {
                let mut sorted = ts.clone();
                sorted.sort_unstable();
                sorted.dedup();
                if sorted.len() < 2 {
                    bail!("input `{}` has {} distinct timestamps: too few to cut", input.label, sorted.len());
                }
                let mut cuts: Vec<i64> = fractions.iter().map(|f| sorted[((sorted.len() - 2) as f64 * f).round() as usize]).collect();
                cuts.sort_unstable();
                cuts.dedup();
                return Ok(cuts);
            }
        }
    }
    bail!("stage `{}` has no input table with a `ts` column: nothing to cut in time", probe.stage().name)
}

/// Runs every trial and collects what changed.
pub(crate) fn check(probe: &Probe, fractions: &[f64], rewrites: &[Rewrite], tolerance: f64) -> anyhow::Result<LeakageReport> {
    let stage = probe.stage();
    let baseline = probe.run(probe.inputs()).map_err(|source| EngineError::Stage { stage: stage.name.clone(), kind: stage.kind.kind().to_owned(), source })?;
    let (tables, unchecked) = comparable(&baseline)?;
    let cuts = cut_points(probe, fractions)?;
    let slots: Vec<&str> = stage.kind.inputs().iter().map(|s| s.name).collect();
    let mut report = LeakageReport {
        stage: stage.name.clone(),
        kind: stage.kind.kind().to_owned(),
        cuts: cuts.iter().map(|&c| fmt_ts(c)).collect(),
        rewrites: rewrites.to_vec(),
        columns: tables.iter().flat_map(|(name, t)| t.schema_ref().fields().iter().map(move |f| format!("{name}.{}", f.name()))).collect(),
        unchecked,
        changes: Vec::new(),
        errors: Vec::new(),
    };
    for (k, &cut) in cuts.iter().enumerate() {
        for &rewrite in rewrites {
            let inputs = rewrite_inputs(probe.inputs(), &slots, cut, rewrite, 0x6c65_616b_0000_0000 ^ k as u64)?;
            let out = match probe.run(&inputs) {
                Ok(out) => out,
                Err(e) => {
                    report.errors.push(TrialError { cut: fmt_ts(cut), rewrite, error: e.to_string() });
                    continue;
                }
            };
            for (name, base) in &tables {
                match out.artifacts.get(*name) {
                    Some(Artifact::Table(t)) => report.changes.extend(compare(name, base, t, cut, rewrite, tolerance)?),
                    _ => bail!("output `{name}` is missing or not a table when the future is rewritten"),
                }
            }
        }
    }
    Ok(report)
}

fn render(report: &LeakageReport) -> String {
    let mut out = String::new();
    let trials = report.cuts.len() * report.rewrites.len();
    let _ = writeln!(
        out,
        "check-leakage `{}` ({}): {} cuts x {} rewrites = {trials} reruns; {} columns compared at or before each cut",
        report.stage,
        report.kind,
        report.cuts.len(),
        report.rewrites.len(),
        report.columns.len()
    );
    let _ = writeln!(out, "cuts: {}", report.cuts.join(", "));
    for (c, n) in report.leaks() {
        let values = match (c.was, c.now) {
            (Some(a), Some(b)) => format!(" ({a} -> {b})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "LEAK   {}.{}: first changed at {} with the future after {} rewritten by `{}`{values}; {n} of {trials} trials",
            c.output,
            c.column,
            c.first_changed,
            c.cut,
            serde_json::to_value(c.rewrite).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
        );
    }
    for e in &report.errors {
        let _ = writeln!(out, "ERROR  cut {} rewrite {:?}: {}", e.cut, e.rewrite, e.error);
    }
    for u in &report.unchecked {
        let _ = writeln!(out, "note   not compared: {u}");
    }
    if report.changes.is_empty() && report.errors.is_empty() {
        let _ = writeln!(out, "ok     no value at or before any cut changed");
    }
    out
}

pub(crate) fn check_leakage(g: &GlobalArgs, args: &LeakageArgs) -> anyhow::Result<ExitCode> {
    if let Some(bad) = args.cuts.iter().find(|f| !(**f > 0.0 && **f < 1.0)) {
        return Err(EngineError::Usage(format!("--cut {bad}: a cut is a fraction of the rows, between 0 and 1 (exclusive)")).into());
    }
    let fractions = if args.cuts.is_empty() { DEFAULT_CUTS.to_vec() } else { args.cuts.clone() };
    let mut rewrites = if args.rewrites.is_empty() { Rewrite::ALL.to_vec() } else { args.rewrites.clone() };
    rewrites.sort_unstable();
    rewrites.dedup();
    let spec = SpecArgs { spec: args.spec.clone(), overrides: args.overrides.clone(), only: Vec::new() };
    let registry = mlfactory_stages::registry();
    let plan = load_plan(&spec, &registry)?;
    let store = store_for_spec(g, &args.spec)?;
    let opts = RunOptions {
        jobs: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        report: report_mode(g),
        spec_display: args.spec.display().to_string(),
        overrides: args.overrides.clone(),
        git_commit: git_commit(&args.spec),
    };
    let probe = prepare(plan, &args.stage, &store, &opts)?;
    let report = check(&probe, &fractions, &rewrites, args.tolerance)?;
    if args.json {
        print_json(&report)?;
    } else {
        print_text(&render(&report));
    }
    let leaks = report.leaks();
    if !leaks.is_empty() {
        let names: Vec<String> = leaks.iter().map(|(c, _)| format!("{}.{}", c.output, c.column)).collect();
        return Err(
            CheckFailed(format!("`{}` leaks the future: {} column(s) change at or before the cut: {}", report.stage, names.len(), names.join(", "))).into()
        );
    }
    if !report.errors.is_empty() {
        return Err(CheckFailed(format!("`{}`: {} trial(s) failed to run, so the check is incomplete", report.stage, report.errors.len())).into());
    }
    if !g.quiet {
        eprintln!("no leakage: `{}` gives identical values at or before every cut ({} reruns)", report.stage, report.cuts.len() * report.rewrites.len());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringArray, TimestampNanosecondArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn table(close: &[f64]) -> RecordBatch {
        let n = close.len();
        let schema = Arc::new(Schema::new(vec![
            Field::new(TS, DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), false),
            Field::new("high", DataType::Float64, false),
            Field::new("low", DataType::Float64, false),
            Field::new("close", DataType::Float64, true),
            Field::new("n", DataType::Int64, false),
            Field::new("tag", DataType::Utf8, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(TimestampNanosecondArray::from((0..n as i64).map(|i| i * 60_000_000_000).collect::<Vec<_>>()).with_timezone("UTC")),
                Arc::new(Float64Array::from(close.iter().map(|c| c + 1.0).collect::<Vec<_>>())),
                Arc::new(Float64Array::from(close.iter().map(|c| c - 1.0).collect::<Vec<_>>())),
                Arc::new(Float64Array::from(close.to_vec())),
                Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())),
                Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("r{i}")))),
            ],
        )
        .unwrap()
    }

    fn col(t: &RecordBatch, name: &str) -> Vec<f64> {
        cast(t.column_by_name(name).unwrap(), &DataType::Float64).unwrap().as_primitive::<Float64Type>().values().to_vec()
    }

    #[test]
    fn rewrites_touch_only_rows_after_the_cut_and_keep_bars_bars() {
        let cases = [
            (Rewrite::Reverse, vec![10.0, 11.0, 14.0, 13.0, 12.0]),
            (Rewrite::Constant, vec![10.0, 11.0, 11.0, 11.0, 11.0]),
            (Rewrite::Scale, vec![10.0, 11.0, 18.0, 19.5, 21.0]),
        ];
        let t = table(&[10.0, 11.0, 12.0, 13.0, 14.0]);
        let ts = ts_of(&t).unwrap().unwrap();
        for (rewrite, want) in cases {
            let r = rewrite_table(&t, &ts, ts[1], rewrite, 1).unwrap();
            assert_eq!(col(&r, "close"), want, "{rewrite:?}");
            assert_eq!(ts_of(&r).unwrap().unwrap(), ts, "timestamps are kept");
            for i in 0..5 {
                assert!(col(&r, "high")[i] >= col(&r, "low")[i]);
            }
            let n = if rewrite == Rewrite::Scale { vec![0.0, 1.0, 2.0, 3.0, 4.0] } else { col(&r, "n") };
            assert_eq!(col(&r, "n"), n, "integer columns are not scaled");
        }
    }

    #[test]
    fn random_walk_and_truncate() {
        let t = table(&[10.0; 6]);
        let ts = ts_of(&t).unwrap().unwrap();
        let r = rewrite_table(&t, &ts, ts[2], Rewrite::RandomWalk, 9).unwrap();
        let c = col(&r, "close");
        assert_eq!(&c[..3], &[10.0; 3]);
        assert!(c[3..].iter().all(|v| *v != 10.0 && (*v / 10.0).ln().abs() <= 0.0301), "{c:?}");
        assert_eq!(c, col(&rewrite_table(&t, &ts, ts[2], Rewrite::RandomWalk, 9).unwrap(), "close"), "seeded");
        let r = rewrite_table(&t, &ts, ts[2], Rewrite::Truncate, 0).unwrap();
        assert_eq!(r.num_rows(), 3);
    }

    #[test]
    fn compare_reports_the_first_changed_row_of_each_column() {
        let a = table(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let b = table(&[1.0, 2.5, 3.0, 4.0, 9.0]);
        let cut = ts_of(&a).unwrap().unwrap()[3];
        let changes = compare("features", &a, &b, cut, Rewrite::Reverse, 0.0).unwrap();
        let cols: Vec<&str> = changes.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(cols, vec!["high", "low", "close"]);
        assert_eq!(changes[2].first_changed_ts, 60_000_000_000);
        assert_eq!((changes[2].was, changes[2].now), (Some(2.0), Some(2.5)));
        assert_eq!(changes[2].first_changed, "1970-01-01T00:01:00Z");
        // Only the future differs: no change at or before the cut.
        let c = table(&[1.0, 2.0, 3.0, 4.0, 50.0]);
        assert!(compare("features", &a, &c, cut, Rewrite::Scale, 0.0).unwrap().is_empty());
        // Tolerance.
        let d = table(&[1.0, 2.0 + 1e-12, 3.0, 4.0, 5.0]);
        assert_eq!(compare("features", &a, &d, cut, Rewrite::Scale, 0.0).unwrap().len(), 3);
        assert!(compare("features", &a, &d, cut, Rewrite::Scale, 1e-9).unwrap().is_empty());
    }

    #[test]
    fn nulls_and_nans_compare_equal_to_themselves() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![None, Some(f64::NAN), Some(1.0)]));
        assert_eq!(first_difference(&a, &a.clone(), 0.0).unwrap(), None);
        let b: ArrayRef = Arc::new(Float64Array::from(vec![None, Some(f64::NAN), None]));
        assert_eq!(first_difference(&a, &b, 0.0).unwrap(), Some(2));
        assert_eq!(first_difference(&a, &b, 1e-6).unwrap(), Some(2));
    }

    #[test]
    fn fewer_rows_at_or_before_the_cut_is_a_change_of_ts() {
        let a = table(&[1.0, 2.0, 3.0, 4.0]);
        let ts = ts_of(&a).unwrap().unwrap();
        let b = rewrite_table(&a, &ts, ts[1], Rewrite::Truncate, 0).unwrap();
        let changes = compare("features", &a, &b, ts[2], Rewrite::Truncate, 0.0).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].column.as_str(), changes[0].first_changed_ts), (TS, ts[2]));
    }
}
