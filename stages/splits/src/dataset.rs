//! The `dataset` stage: the model-ready table, its sample weights and sequence windows.
//!
//! Joins the labels of one horizon with their split and the feature rows at the event
//! bar (by `ts`), keeps train / val / test rows (purged and embargoed rows are dropped),
//! drops rows with a null feature (indicator warm-up; counted), and computes sample
//! weights **within each split** so no training weight depends on a later event.
//!
//! Output `dataset`: `ts, t1, split, label, ret, weight, segment, target` + the feature
//! columns, no nulls. `segment` numbers runs of rows that are consecutive labels rows of
//! one split with nothing dropped between them; output `windows` indexes sequence
//! windows `(row, start)` of `window` rows inside one segment, so a sequence model never
//! sees a window crossing a split boundary or a purged, embargoed or dropped row, and no
//! data is copied.
//!
//! When a bound feature table is a `features.mtf` `multi_resolution` table, its tensor
//! layout (schema metadata `mlfactory.mtf.layout`, see [`MtfLayout`]) is carried into the
//! dataset's schema metadata unchanged, so a sequence model can read each row's own
//! `[timeframes, window, fields]` tensor from the columns it names (`sequence:
//! multi_resolution` in the neural models). The tensor is stored once, as those columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch};
use arrow::datatypes::{DataType, Field};
use mlfactory_artifacts::Format;
use mlfactory_engine::stage::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_labels::weights::{Span, average_uniqueness, concurrency, quality_weights, return_weights, time_decay};
use mlfactory_market::Bars;
use mlfactory_market::columns::{TableBuilder, array_to_f64, f64_column, str_column, ts_column};
use mlfactory_market::contracts::{dataset as col, labels as lab, splits as spl};
use mlfactory_market::mtf_layout::{META_LAYOUT, MtfLayout};
use serde::{Deserialize, Serialize};

/// The base sample weight (AFML ch. 4), before time decay and quality.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeightScheme {
    /// Average uniqueness of each label among the split's labels (Snippet 4.2).
    #[default]
    Uniqueness,
    /// Return attribution (Snippet 4.10); needs the `bars` input.
    Returns,
    /// Every row weighs 1.
    None,
}

/// How sample weights are computed (within each split).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WeightParams {
    /// `uniqueness`, `returns` or `none`.
    pub scheme: WeightScheme,
    /// Time decay (Snippet 4.11): the oldest row of a split weighs `time_decay` times the
    /// newest, linearly in cumulative uniqueness; 1 = no decay, < 0 zeroes the oldest part.
    pub time_decay: f64,
    /// Multiply by label quality in [0.5, 1.5]: `0.5 + min(1, |ret| / target)`.
    pub quality: bool,
}

impl Default for WeightParams {
    fn default() -> Self {
        Self { scheme: WeightScheme::Uniqueness, time_decay: 1.0, quality: false }
    }
}

/// Params of `dataset`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DatasetParams {
    /// The label horizon to use; may be omitted when the labels have one horizon.
    pub horizon: Option<u32>,
    /// Sample weights; each split's weights are scaled to mean 1.
    pub weights: WeightParams,
    /// Sequence window length (rows) for the `windows` output; 0 writes no windows.
    pub window: usize,
}

impl Default for DatasetParams {
    fn default() -> Self {
        Self { horizon: None, weights: WeightParams::default(), window: 60 }
    }
}

/// The `dataset` stage kind.
pub struct Dataset;

impl Stage for Dataset {
    type Params = DatasetParams;
    const KIND: &'static str = "dataset";
    const VERSION: &'static str = "2";
    const ABOUT: &'static str = "Model-ready table (features at each event, label, split, sample weight, segment) and sequence-window index.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::many("features", "feature tables (ts + f64 columns), joined on ts"),
        InputSlot::one("labels", "labels from labels.triple_barrier"),
        InputSlot::one("splits", "splits of those labels"),
        InputSlot::optional("bars", "the bars the labels were made from (needed by `weights.scheme: returns`)"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new(
            "dataset",
            Format::Parquet,
            "ts, t1, split, label, ret, weight, segment, target + feature columns; no nulls; metadata `mlfactory.mtf.layout` from a multi_resolution features table",
        ),
        OutputSlot::new("windows", Format::Parquet, "sequence windows: row (last row), start (first row), split"),
    ];

    fn check(&self, p: &Self::Params) -> Result<(), ParamIssue> {
        if !p.weights.time_decay.is_finite() || p.weights.time_decay <= -1.0 || p.weights.time_decay > 1.0 {
            return Err(ParamIssue::new(&["weights", "time_decay"], format!("must be in (-1, 1], got {}", p.weights.time_decay)));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let labels = inputs.table("labels")?;
        let splits = inputs.table("splits")?;
        let features: Vec<(&str, &RecordBatch)> = inputs
            .all("features")
            .iter()
            .map(|a| match &a.artifact {
                mlfactory_engine::Artifact::Table(t) => Ok((a.label.as_str(), t.as_ref())),
                other => Err(StageError::input("features", format!("`{}` is {:?}, expected a table", a.label, other.format()))),
            })
            .collect::<Result<_, _>>()?;
        if features.is_empty() {
            return Err(StageError::input("features", "no feature table bound"));
        }
        let bars = inputs.opt_table("bars")?.map(|t| Bars::from_table(t)).transpose()?;
        if p.weights.scheme == WeightScheme::Returns && bars.is_none() {
            return Err(StageError::data_hint("`weights.scheme: returns` needs the bars", "bind the bars: `inputs: {..., bars: bars_5m}`"));
        }
        let built = build(labels, splits, &features, bars.as_ref(), p)?;
        ctx.log(format!("{} rows x {} features ({} dropped for null features)", built.rows, built.n_features, built.dropped_null));
        if let Some(layout) = &built.layout {
            ctx.log(format!(
                "multi_resolution tensor: {} timeframes x {} steps x {} fields ({} of the feature columns; layout kept in the metadata)",
                layout.timeframes.len(),
                layout.window,
                layout.fields.len(),
                layout.timeframes.len() * layout.window * layout.fields.len()
            ));
        }
        let mut out = StageOutput::new()
            .table("dataset", built.table)
            .table("windows", built.windows)
            .metric("rows", built.rows)
            .metric("features", built.n_features)
            .metric("dropped_null_features", built.dropped_null)
            .metric("dropped_missing_features", built.dropped_missing)
            .metric("dropped_purged", built.dropped_purged)
            .metric("dropped_embargoed", built.dropped_embargoed)
            .metric("segments", built.segments)
            .metric("windows", built.n_windows);
        for (split, n) in &built.per_split {
            out = out.metric(&format!("rows_{split}"), n);
        }
        Ok(out)
    }
}

/// What [`build`] made.
#[derive(Debug)]
pub struct Built {
    pub table: RecordBatch,
    pub windows: RecordBatch,
    pub rows: usize,
    pub n_features: usize,
    pub dropped_null: usize,
    pub dropped_missing: usize,
    pub dropped_purged: usize,
    pub dropped_embargoed: usize,
    pub segments: usize,
    pub n_windows: usize,
    pub per_split: BTreeMap<String, usize>,
    /// The `multi_resolution` layout carried from a feature table, if one had it.
    pub layout: Option<MtfLayout>,
}

/// One feature column: its name and values per feature-table row.
struct FeatureColumn {
    name: String,
    values: Vec<f64>,
    table: usize,
}

/// The `multi_resolution` layout of the feature tables: its JSON as written (carried
/// verbatim) and parsed. At most one table may have one, and its columns must be there.
fn tensor_layout(features: &[(&str, &RecordBatch)]) -> Result<Option<(String, MtfLayout)>, StageError> {
    let mut found: Option<(&str, String, MtfLayout)> = None;
    for (label, batch) in features {
        let Some(json) = batch.schema_ref().metadata().get(META_LAYOUT) else { continue };
        let layout = MtfLayout::from_json(json).map_err(|e| StageError::data(format!("features `{label}`: {e}")))?;
        if let Some(missing) = layout.columns().into_iter().find(|c| batch.column_by_name(c).is_none()) {
            return Err(StageError::data_hint(
                format!("features `{label}`: its `{META_LAYOUT}` names a column `{missing}` the table lacks"),
                "bind the `features.mtf` output as it was written (a stage in between dropped tensor columns)",
            ));
        }
        if let Some((other, _, _)) = &found {
            return Err(StageError::data_hint(
                format!("features `{other}` and `{label}` both carry a multi_resolution tensor layout; a dataset holds one tensor"),
                "put every timeframe in the ladder of one `features.mtf` stage",
            ));
        }
        found = Some((label, json.clone(), layout));
    }
    Ok(found.map(|(_, json, layout)| (json, layout)))
}

fn feature_columns(features: &[(&str, &RecordBatch)]) -> Result<(Vec<Vec<i64>>, Vec<FeatureColumn>), StageError> {
    let mut ts = Vec::new();
    let mut cols: Vec<FeatureColumn> = Vec::new();
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (t, (label, batch)) in features.iter().enumerate() {
        let times = ts_column(batch, col::TS)?;
        if let Some(i) = (1..times.len()).find(|&i| times[i] <= times[i - 1]) {
            return Err(StageError::data_hint(
                format!("features `{label}`: ts not strictly increasing at row {i}"),
                "feature tables are row-aligned with bars",
            ));
        }
        ts.push(times);
        for field in batch.schema_ref().fields() {
            let name = field.name();
            if name == col::TS {
                continue;
            }
            if !col::is_feature(name) {
                return Err(StageError::data_hint(
                    format!("features `{label}` has a column `{name}`, a reserved dataset column"),
                    "rename the feature (reserved: ts, t1, split, label, ret, weight, segment, target, ...)",
                ));
            }
            let Some(values) = batch.column_by_name(name).and_then(array_to_f64) else { continue };
            if let Some(other) = seen.insert(name.clone(), label) {
                return Err(StageError::data_hint(
                    format!("feature `{name}` is in both `{other}` and `{label}`"),
                    "rename one of them (e.g. with features.sql)",
                ));
            }
            cols.push(FeatureColumn { name: name.clone(), values, table: t });
        }
    }
    Ok((ts, cols))
}

/// Builds the dataset and window tables.
pub fn build(
    labels: &RecordBatch,
    splits: &RecordBatch,
    features: &[(&str, &RecordBatch)],
    bars: Option<&Bars>,
    p: &DatasetParams,
) -> Result<Built, StageError> {
    let ts = ts_column(labels, lab::TS)?;
    let t1 = ts_column(labels, lab::T1)?;
    let horizon = f64_column(labels, lab::HORIZON)?;
    let label = f64_column(labels, lab::LABEL)?;
    let ret = f64_column(labels, lab::RET)?;
    let target = f64_column(labels, lab::TARGET)?;
    let bar = f64_column(labels, lab::BAR)?;
    let held = f64_column(labels, lab::BARS_HELD)?;
    let split = str_column(splits, spl::SPLIT)?;
    let split_ts = ts_column(splits, spl::TS)?;
    if split_ts != ts {
        return Err(StageError::data_hint("splits rows do not match labels rows (ts differ)", "bind `splits` to the splits stage made from these labels"));
    }
    let mut horizons: Vec<u32> = horizon.iter().map(|&h| h as u32).collect();
    horizons.sort_unstable();
    horizons.dedup();
    let h = match (p.horizon, horizons.as_slice()) {
        (Some(h), hs) if hs.contains(&h) => h,
        (Some(h), hs) => return Err(StageError::data_hint(format!("`horizon` {h} is not among the labels' horizons {hs:?}"), "pick one of them")),
        (None, [one]) => *one,
        (None, hs) => return Err(StageError::data_hint(format!("the labels have horizons {hs:?}"), "set `horizon` to the one this dataset is for")),
    };
    let (feat_ts, cols) = feature_columns(features)?;
    let layout = tensor_layout(features)?;

    // rows of this horizon, in labels order, with the feature row of each table
    let mut kept: Vec<(usize, Vec<usize>)> = Vec::new();
    let (mut dropped_null, mut dropped_missing, mut dropped_purged, mut dropped_embargoed) = (0, 0, 0, 0);
    // position in the horizon's row sequence of the previous kept row (for segments)
    let mut seq = Vec::new();
    let mut position = 0usize;
    for r in 0..ts.len() {
        if horizon[r] as u32 != h {
            continue;
        }
        position += 1;
        match split[r].as_deref() {
            Some(spl::TRAIN | spl::VAL | spl::TEST) => {}
            Some(spl::PURGED) => {
                dropped_purged += 1;
                continue;
            }
            Some(spl::EMBARGOED) => {
                dropped_embargoed += 1;
                continue;
            }
            other => return Err(StageError::data(format!("splits row {r}: unknown split {other:?}"))),
        }
        let rows: Option<Vec<usize>> = feat_ts.iter().map(|times| times.binary_search(&ts[r]).ok()).collect();
        let Some(rows) = rows else {
            dropped_missing += 1;
            continue;
        };
        if cols.iter().any(|c| c.values[rows[c.table]].is_nan()) {
            dropped_null += 1;
            continue;
        }
        kept.push((r, rows));
        seq.push(position);
    }
    if kept.is_empty() {
        return Err(StageError::data_hint(
            format!(
                "no rows left for horizon {h}: {dropped_null} with null features, {dropped_missing} without a feature row, {dropped_purged} purged, {dropped_embargoed} embargoed"
            ),
            "check that features and labels come from the same bars",
        ));
    }

    // segments: consecutive rows of one split with nothing dropped between
    let mut segment = Vec::with_capacity(kept.len());
    let mut current = 0i64;
    for k in 0..kept.len() {
        if k > 0 && (seq[k] != seq[k - 1] + 1 || split[kept[k].0] != split[kept[k - 1].0]) {
            current += 1;
        }
        segment.push(current);
    }

    let weight = weights(&kept.iter().map(|(r, _)| *r).collect::<Vec<_>>(), &split, &bar, &held, &ret, &target, bars, &p.weights)?;

    let rows: Vec<usize> = kept.iter().map(|(r, _)| *r).collect();
    let pick_f = |v: &[f64]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
    let split_names: Vec<&str> = rows.iter().map(|&r| split[r].as_deref().unwrap_or_default()).collect();
    let mut per_split: BTreeMap<String, usize> = BTreeMap::new();
    for s in &split_names {
        *per_split.entry((*s).to_owned()).or_default() += 1;
    }
    let mut builder = TableBuilder::new()
        .ts(col::TS, rows.iter().map(|&r| ts[r]).collect())
        .ts(col::T1, rows.iter().map(|&r| t1[r]).collect())
        .str(col::SPLIT, &split_names)
        .i8(col::LABEL, rows.iter().map(|&r| label[r] as i8).collect())
        .f64(col::RET, pick_f(&ret))
        .f64(col::WEIGHT, weight)
        .i64(col::SEGMENT, segment.clone())
        .f64(col::TARGET, pick_f(&target));
    for c in &cols {
        let values: Vec<f64> = kept.iter().map(|(_, fr)| c.values[fr[c.table]]).collect();
        builder = builder.array(Field::new(&c.name, DataType::Float64, false), Arc::new(Float64Array::from(values)) as ArrayRef);
    }
    if let Some((json, _)) = &layout {
        builder = builder.meta(META_LAYOUT, json.clone());
    }
    let table = builder.build()?;

    let (win_row, win_start) = windows(&segment, p.window);
    let n_windows = win_row.len();
    let windows = TableBuilder::new()
        .i64("row", win_row.iter().map(|&r| r as i64).collect())
        .i64("start", win_start.iter().map(|&s| s as i64).collect())
        .str(col::SPLIT, &win_row.iter().map(|&r| split_names[r]).collect::<Vec<_>>())
        .build()?;
    Ok(Built {
        rows: rows.len(),
        n_features: cols.len(),
        table,
        windows,
        dropped_null,
        dropped_missing,
        dropped_purged,
        dropped_embargoed,
        segments: segment.last().map_or(0, |s| *s as usize + 1),
        n_windows,
        per_split,
        layout: layout.map(|(_, l)| l),
    })
}

/// Windows of `len` rows inside one segment: `(last row, first row)` pairs.
pub fn windows(segment: &[i64], len: usize) -> (Vec<usize>, Vec<usize>) {
    let (mut rows, mut starts) = (Vec::new(), Vec::new());
    if len == 0 {
        return (rows, starts);
    }
    let mut seg_start = 0;
    for r in 0..segment.len() {
        if r > 0 && segment[r] != segment[r - 1] {
            seg_start = r;
        }
        if r + 1 - seg_start >= len {
            rows.push(r);
            starts.push(r + 1 - len);
        }
    }
    (rows, starts)
}

/// Sample weights of the kept rows, computed within each split and scaled to mean 1.
fn weights(
    rows: &[usize],
    split: &[Option<String>],
    bar: &[f64],
    held: &[f64],
    ret: &[f64],
    target: &[f64],
    bars: Option<&Bars>,
    p: &WeightParams,
) -> Result<Vec<f64>, StageError> {
    let mut out = vec![1.0; rows.len()];
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, &r) in rows.iter().enumerate() {
        groups.entry(split[r].as_deref().unwrap_or_default()).or_default().push(k);
    }
    for members in groups.values() {
        let spans: Vec<Span> = members
            .iter()
            .map(|&k| {
                let start = bar[rows[k]] as usize;
                Span { start, end: start + held[rows[k]] as usize }
            })
            .collect();
        let n_bars = spans.iter().map(|s| s.end + 1).max().unwrap_or(0);
        let conc = concurrency(n_bars, &spans);
        let uniqueness = average_uniqueness(&spans, &conc);
        let mut w = match (p.scheme, bars) {
            (WeightScheme::Uniqueness, _) => uniqueness.clone(),
            (WeightScheme::Returns, Some(b)) if b.len() >= n_bars => return_weights(&b.close[..n_bars], &spans, &conc),
            (WeightScheme::Returns, _) => {
                return Err(StageError::data_hint(
                    format!("`weights.scheme: returns`: the labels reach bar {n_bars}, past the bars given"),
                    "bind `bars` to the bars the labels were made from",
                ));
            }
            (WeightScheme::None, _) => vec![1.0; members.len()],
        };
        if p.time_decay != 1.0 {
            for (x, d) in w.iter_mut().zip(time_decay(&uniqueness, p.time_decay)) {
                *x *= d;
            }
        }
        if p.quality {
            let r: Vec<f64> = members.iter().map(|&k| ret[rows[k]]).collect();
            let t: Vec<f64> = members.iter().map(|&k| target[rows[k]]).collect();
            for (x, q) in w.iter_mut().zip(quality_weights(&r, &t)) {
                *x *= q;
            }
        }
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        for (&k, x) in members.iter().zip(&w) {
            out[k] = if mean > 0.0 { x / mean } else { 1.0 };
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;

    use arrow::datatypes::Schema;
    use mlfactory_artifacts::table::{decode_parquet, encode_parquet};
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    /// The layout JSON as `features.mtf` writes it: 2 timeframes x 2 steps x 5 fields.
    pub(crate) const LAYOUT: &str = r#"{"strategy":"multi_resolution","shape":["rows",2,2,5],"timeframes":["1m","5m"],"window":2,"fields":["open","high","low","close","volume"],"order":"timeframe, then step (oldest first: lag window-1 .. 0), then field","normalize":"log_ratio"}"#;

    /// Labels, splits and a `multi_resolution` feature table (with an extra `rsi_14`) over
    /// 12 bars. Cell `c` of bar `r` is `100 r + c` (`c` the column's position in the
    /// layout, `rsi_14` is 99); the oldest 5m step of bar 0 is null (warm-up). Splits:
    /// bars 0-5 train, 6 purged, 7-9 val, 10-11 test.
    pub(crate) fn tensor_inputs() -> (RecordBatch, RecordBatch, RecordBatch) {
        let n = 12;
        let ts: Vec<i64> = (0..n).map(|i| 1_000 + i).collect();
        let labels = TableBuilder::new()
            .ts(lab::TS, ts.clone())
            .f64(lab::HORIZON, vec![1.0; n as usize])
            .ts(lab::T1, ts.iter().map(|t| t + 1).collect())
            .f64(lab::RET, (0..n).map(|i| 0.001 * (i as f64 - 5.0)).collect())
            .f64(lab::LABEL, (0..n).map(|i| [-1.0, 0.0, 1.0][i as usize % 3]).collect())
            .f64(lab::TARGET, vec![0.01; n as usize])
            .f64(lab::BAR, (0..n).map(|i| i as f64).collect())
            .f64(lab::BARS_HELD, vec![1.0; n as usize])
            .build()
            .unwrap();
        let split: Vec<&str> = (0..n)
            .map(|i| match i {
                0..=5 => spl::TRAIN,
                6 => spl::PURGED,
                7..=9 => spl::VAL,
                _ => spl::TEST,
            })
            .collect();
        let splits = TableBuilder::new().ts(spl::TS, ts.clone()).str(spl::SPLIT, &split).build().unwrap();
        let layout = MtfLayout::from_json(LAYOUT).unwrap();
        let mut b = TableBuilder::new().ts(col::TS, ts);
        for (c, name) in layout.columns().iter().enumerate() {
            let values = (0..n).map(|r| if r == 0 && name.ends_with("_5m_l1") { f64::NAN } else { 100.0 * r as f64 + c as f64 }).collect();
            b = b.f64(name, values);
        }
        let features = b.f64("rsi_14", (0..n).map(|r| 100.0 * r as f64 + 99.0).collect()).build().unwrap();
        (labels, splits, with_layout(features, LAYOUT))
    }

    /// The dataset of [`tensor_inputs`].
    pub(crate) fn tensor_dataset() -> RecordBatch {
        let (labels, splits, features) = tensor_inputs();
        build(&labels, &splits, &[("mtf", &features)], None, &DatasetParams::default()).unwrap().table
    }

    #[test]
    fn the_tensor_layout_survives_the_dataset_and_its_parquet_artifact() {
        let (labels, splits, features) = tensor_inputs();
        let built = build(&labels, &splits, &[("mtf", &features)], None, &DatasetParams::default()).unwrap();
        assert_eq!(built.layout, Some(MtfLayout::from_json(LAYOUT).unwrap()));
        // Bar 0 (warm-up) and bar 6 (purged) are dropped.
        assert_eq!((built.rows, built.dropped_null, built.dropped_purged, built.n_features), (10, 1, 1, 21));
        let back = decode_parquet(encode_parquet(&built.table).unwrap()).unwrap();
        assert_eq!(back.schema_ref().metadata().get(META_LAYOUT).map(String::as_str), Some(LAYOUT), "carried verbatim");
        // The cells are the feature table's, by name: bar 1's `close_5m_l0` is the 5m
        // tensor's last step, close, i.e. layout position (1 * 2 + 1) * 5 + 3 = 18.
        let first = |name: &str| f64_column(&back, name).unwrap()[0];
        assert_eq!(first("close_5m_l0"), 118.0);
        assert_eq!(first("open_1m_l1"), 100.0);
        assert_eq!(first("rsi_14"), 199.0);
    }

    fn with_layout(table: RecordBatch, json: &str) -> RecordBatch {
        let metadata = HashMap::from([(META_LAYOUT.to_owned(), json.to_owned())]);
        table.clone().with_schema(Arc::new(table.schema_ref().as_ref().clone().with_metadata(metadata))).unwrap()
    }

    #[test]
    fn no_tensor_no_layout_and_a_broken_or_second_tensor_is_an_error() {
        let (labels, splits, features) = tensor_inputs();
        let run = |tables: &[(&str, &RecordBatch)]| build(&labels, &splits, tables, None, &DatasetParams::default());
        let plain = RecordBatch::try_new(Arc::new(Schema::new(features.schema_ref().fields().clone())), features.columns().to_vec()).unwrap();
        let built = run(&[("plain", &plain)]).unwrap();
        assert!(built.layout.is_none() && built.table.schema_ref().metadata().get(META_LAYOUT).is_none());

        let ts = ts_column(&features, col::TS).unwrap();
        let lacking = with_layout(TableBuilder::new().ts(col::TS, ts.clone()).f64("x", vec![1.0; 12]).build().unwrap(), LAYOUT);
        let err = run(&[("lacking", &lacking)]).unwrap_err().to_string();
        assert!(err.contains("names a column `open_1m_l1` the table lacks"), "{err}");

        let other = with_layout(
            TableBuilder::new().ts(col::TS, ts).f64("close_15m_l0", vec![1.0; 12]).build().unwrap(),
            r#"{"timeframes":["15m"],"window":1,"fields":["close"]}"#,
        );
        let err = run(&[("mtf", &features), ("mtf_15m", &other)]).unwrap_err().to_string();
        assert!(err.contains("`mtf` and `mtf_15m` both carry a multi_resolution tensor layout"), "{err}");
    }

    #[test]
    fn windows_never_cross_a_segment() {
        let seg = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
        let (rows, starts) = windows(&seg, 3);
        assert_eq!(rows, vec![2, 3, 6, 9, 10, 11]);
        assert_eq!(starts, vec![0, 1, 4, 7, 8, 9]);
        for (&r, &s) in rows.iter().zip(&starts) {
            assert!(seg[s..=r].iter().all(|&x| x == seg[r]));
        }
        assert!(windows(&seg, 0).0.is_empty());
    }
}
