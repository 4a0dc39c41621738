//! The `features.select` stage: feature selection and PCA fitted on the training split only.
//!
//! In order, on the rows whose `split` is `train`:
//! 1. **near-constant** columns are dropped: standard deviation at or below `min_std`, or
//!    one value covering more than `max_mode_fraction` of the rows;
//! 2. **correlation filter**: columns are visited in table order and a column is kept
//!    only if its absolute Pearson correlation with every column kept so far is at most
//!    `correlation` (so the first column of each correlated group survives);
//! 3. **PCA** (optional): the kept columns are centred on their training means and
//!    projected on the leading eigenvectors of their training covariance (Jacobi
//!    eigen-decomposition; each component's sign is fixed so its largest loading is
//!    positive), as columns `pc_1 .. pc_k`. Put `scale` first if the columns differ in scale.
//!
//! Non-feature columns pass through, and so do the columns of a `multi_resolution` tensor
//! (named by the table's `mlfactory.mtf.layout` metadata, which is kept): they are one
//! `[timeframes, window, fields]` block for a sequence model, neighbouring lags are
//! correlated by construction and the base timeframe's `close_*_l0` is constant under
//! `log_ratio`, so filtering them one by one would tear the tensor apart. Selection and PCA
//! see the other features only. The fitted selection (kept and dropped columns with
//! the reason, PCA means, loadings and explained variance) is the `selection` output.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use mlfactory_artifacts::Format;
use mlfactory_engine::stage::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::f64_column;
use mlfactory_market::mtf_layout::MtfLayout;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::scale::{feature_names, train_rows};

/// The columns of the table's `multi_resolution` tensor (empty without a layout).
pub fn tensor_columns(table: &RecordBatch) -> Result<BTreeSet<String>, StageError> {
    Ok(MtfLayout::from_metadata(table.schema_ref().metadata())?.map(|l| l.columns().into_iter().collect()).unwrap_or_default())
}

/// The feature columns selection works on: every feature but the tensor's.
fn selectable(table: &RecordBatch) -> Result<Vec<String>, StageError> {
    let tensor = tensor_columns(table)?;
    Ok(feature_names(table).into_iter().filter(|n| !tensor.contains(n)).collect())
}

/// PCA settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PcaParams {
    /// Number of components; 0: as many as needed to explain `variance`.
    pub components: usize,
    /// Fraction of the training variance to explain when `components` is 0.
    pub variance: f64,
}

impl Default for PcaParams {
    fn default() -> Self {
        Self { components: 0, variance: 0.95 }
    }
}

/// Params of `features.select`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SelectParams {
    /// Drop a column whose training standard deviation is at or below this.
    pub min_std: f64,
    /// Drop a column whose most frequent training value covers more than this fraction of rows.
    pub max_mode_fraction: f64,
    /// Keep one column of each group whose absolute training correlation exceeds this
    /// (1 keeps them all).
    pub correlation: f64,
    /// Replace the kept columns by principal components (omit for no PCA).
    pub pca: Option<PcaParams>,
}

impl Default for SelectParams {
    fn default() -> Self {
        Self { min_std: 1e-12, max_mode_fraction: 0.99, correlation: 0.95, pca: None }
    }
}

/// A fitted PCA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// The input columns, in order.
    pub columns: Vec<String>,
    /// Their training means.
    pub mean: Vec<f64>,
    /// `loadings[k][j]`: weight of column `j` in component `k`.
    pub loadings: Vec<Vec<f64>>,
    /// Fraction of the training variance each component explains.
    pub explained_variance_ratio: Vec<f64>,
}

/// What `features.select` fitted (its `selection` output).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub fit_rows: usize,
    /// Columns kept after the filters (the PCA inputs when PCA is on).
    pub kept: Vec<String>,
    /// Dropped columns and why (`near_constant`, or `correlated with X (r = ...)`).
    pub dropped: BTreeMap<String, String>,
    pub pca: Option<Pca>,
}

impl Selection {
    /// Fits the selection on the training rows of `table`.
    pub fn fit(table: &RecordBatch, p: &SelectParams) -> Result<Self, StageError> {
        let train = train_rows(table)?;
        let names = selectable(table)?;
        let columns: Vec<Vec<f64>> = names
            .par_iter()
            .map(|n| {
                let v = f64_column(table, n)?;
                Ok(train.iter().map(|&r| v[r]).collect())
            })
            .collect::<Result<_, StageError>>()?;
        let mut dropped = BTreeMap::new();
        // 1. near-constant
        let constant: Vec<bool> = columns.par_iter().map(|x| std_dev(x) <= p.min_std || mode_fraction(x) > p.max_mode_fraction).collect();
        let mut candidates = Vec::new();
        for (i, c) in constant.iter().enumerate() {
            if *c {
                dropped.insert(names[i].clone(), "near_constant".to_owned());
            } else {
                candidates.push(i);
            }
        }
        // 2. correlation filter, greedy in column order
        let z: Vec<Vec<f64>> = candidates.par_iter().map(|&i| standardized(&columns[i])).collect();
        let mut kept: Vec<usize> = Vec::new();
        for (ci, &i) in candidates.iter().enumerate() {
            let worst = kept
                .par_iter()
                .map(|&kj| {
                    let r: f64 = z[ci].iter().zip(&z[kj]).map(|(a, b)| a * b).sum();
                    (r.abs(), kj)
                })
                .reduce(|| (0.0, usize::MAX), |a, b| if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) { b } else { a });
            if p.correlation < 1.0 && worst.0 > p.correlation {
                dropped.insert(names[i].clone(), format!("correlated with {} (|r| = {:.4})", names[candidates[worst.1]], worst.0));
            } else {
                kept.push(ci);
            }
        }
        let kept_cols: Vec<usize> = kept.iter().map(|&ci| candidates[ci]).collect();
        let pca = p.pca.as_ref().map(|pp| {
            fit_pca(&kept_cols.iter().map(|&i| &columns[i][..]).collect::<Vec<_>>(), &kept_cols.iter().map(|&i| names[i].clone()).collect::<Vec<_>>(), pp)
        });
        Ok(Self { fit_rows: train.len(), kept: kept_cols.iter().map(|&i| names[i].clone()).collect(), dropped, pca })
    }

    /// Applies the selection (and PCA) to a dataset table.
    pub fn apply(&self, table: &RecordBatch) -> Result<RecordBatch, StageError> {
        let schema = table.schema();
        let features: Vec<String> = selectable(table)?;
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            let is_feature = features.contains(f.name());
            if !is_feature || (self.pca.is_none() && self.kept.contains(f.name())) {
                fields.push(f.as_ref().clone());
                arrays.push(table.column(i).clone());
            }
        }
        if let Some(pca) = &self.pca {
            let inputs: Vec<Vec<f64>> = pca.columns.iter().map(|c| f64_column(table, c)).collect::<Result<_, _>>()?;
            let n = table.num_rows();
            let comps: Vec<Vec<f64>> = pca
                .loadings
                .par_iter()
                .map(|w| (0..n).map(|r| inputs.iter().zip(w).zip(&pca.mean).map(|((x, wj), m)| (x[r] - m) * wj).sum()).collect())
                .collect();
            for (k, values) in comps.into_iter().enumerate() {
                fields.push(Field::new(format!("pc_{}", k + 1), DataType::Float64, false));
                arrays.push(Arc::new(Float64Array::from(values)));
            }
        } else if let Some(missing) = self.kept.iter().find(|c| table.column_by_name(c).is_none()) {
            return Err(StageError::data_hint(
                format!("the table lacks the selected column `{missing}`"),
                "apply a selection to tables with the columns it was fitted on",
            ));
        }
        let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        RecordBatch::try_new(schema, arrays).map_err(|e| StageError::internal(format!("selected table: {e}")))
    }
}

fn std_dev(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let m = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Fraction of rows taken by the most frequent value.
fn mode_fraction(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 1.0;
    }
    let mut s = x.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    let (mut best, mut run) = (1, 1);
    for w in s.windows(2) {
        run = if w[1] == w[0] { run + 1 } else { 1 };
        best = best.max(run);
    }
    best as f64 / x.len() as f64
}

/// `(x - mean) / ||x - mean||`, so a dot product of two is their Pearson correlation.
fn standardized(x: &[f64]) -> Vec<f64> {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    let norm = x.iter().map(|v| (v - m).powi(2)).sum::<f64>().sqrt();
    x.iter().map(|v| if norm > 0.0 { (v - m) / norm } else { 0.0 }).collect()
}

fn fit_pca(columns: &[&[f64]], names: &[String], p: &PcaParams) -> Pca {
    let d = columns.len();
    let n = columns.first().map_or(0, |c| c.len());
    let mean: Vec<f64> = columns.iter().map(|c| c.iter().sum::<f64>() / n.max(1) as f64).collect();
    let centred: Vec<Vec<f64>> = columns.iter().zip(&mean).map(|(c, m)| c.iter().map(|v| v - m).collect()).collect();
    let pairs: Vec<(usize, usize)> = (0..d).flat_map(|i| (i..d).map(move |j| (i, j))).collect();
    let cov_entries: Vec<f64> =
        pairs.par_iter().map(|&(i, j)| centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum::<f64>() / (n.max(2) - 1) as f64).collect();
    let mut cov = vec![vec![0.0; d]; d];
    for (&(i, j), v) in pairs.iter().zip(cov_entries) {
        cov[i][j] = v;
        cov[j][i] = v;
    }
    let (values, vectors) = jacobi_eigen(cov);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
    let ratio: Vec<f64> = order.iter().map(|&k| if total > 0.0 { values[k].max(0.0) / total } else { 0.0 }).collect();
    let k = if p.components > 0 {
        p.components.min(d)
    } else {
        let mut acc = 0.0;
        ratio
            .iter()
            .position(|r| {
                acc += r;
                acc >= p.variance - 1e-12
            })
            .map_or(d, |i| i + 1)
    };
    let loadings: Vec<Vec<f64>> = order[..k]
        .iter()
        .map(|&c| {
            let mut v: Vec<f64> = (0..d).map(|j| vectors[j][c]).collect();
            let lead = v.iter().copied().fold(0.0_f64, |a, b| if b.abs() > a.abs() { b } else { a });
            if lead < 0.0 {
                for x in &mut v {
                    *x = -*x;
                }
            }
            v
        })
        .collect();
    Pca { columns: names.to_vec(), mean, loadings, explained_variance_ratio: ratio[..k].to_vec() }
}

/// Eigenvalues and eigenvectors (columns of the returned matrix) of a symmetric matrix by
/// cyclic Jacobi rotations.
pub fn jacobi_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let d = a.len();
    let mut v: Vec<Vec<f64>> = (0..d).map(|i| (0..d).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    for _sweep in 0..100 {
        let off: f64 = (0..d).flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i][j] * a[i][j]).sum();
        let scale: f64 = (0..d).map(|i| a[i][i] * a[i][i]).sum::<f64>().max(f64::MIN_POSITIVE);
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[p][q].abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in &mut a {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in &mut v {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i][i]).collect(), v)
}

/// The `features.select` stage kind.
pub struct Select;

impl Stage for Select {
    type Params = SelectParams;
    const KIND: &'static str = "features.select";
    const VERSION: &'static str = "2";
    const ABOUT: &'static str = "Drops near-constant and correlated features and optionally applies PCA, all fitted on the training split only.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("dataset", "a dataset table (ts, split, ... + features)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("dataset", Format::Parquet, "the dataset with the selected features (or pc_1..pc_k)"),
        OutputSlot::new("selection", Format::Json, "kept and dropped columns (with reasons) and the fitted PCA"),
    ];

    fn check(&self, p: &Self::Params) -> Result<(), ParamIssue> {
        if p.correlation.is_nan() || p.correlation <= 0.0 {
            return Err(ParamIssue::new(&["correlation"], format!("must be > 0, got {}", p.correlation)));
        }
        if let Some(pca) = &p.pca
            && pca.components == 0
            && !(pca.variance > 0.0 && pca.variance <= 1.0)
        {
            return Err(ParamIssue::new(&["pca", "variance"], format!("must be in (0, 1], got {}", pca.variance)));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("dataset")?;
        let selection = Selection::fit(table, p)?;
        let tensor = tensor_columns(table)?.len();
        ctx.log(format!("kept {} of {} features", selection.kept.len(), selection.kept.len() + selection.dropped.len()));
        if tensor > 0 {
            ctx.log(format!("{tensor} multi_resolution tensor columns pass through unselected (layout kept)"));
        }
        if selection.kept.is_empty() && tensor == 0 {
            return Err(StageError::data_hint("every feature was dropped", "lower `max_mode_fraction`/`min_std` or raise `correlation`"));
        }
        let out = selection.apply(table)?;
        let json = serde_json::to_value(&selection).map_err(|e| StageError::internal(format!("selection to JSON: {e}")))?;
        let out = StageOutput::new()
            .table("dataset", out)
            .json("selection", json)
            .metric("kept", selection.kept.len())
            .metric("dropped", selection.dropped.len())
            .metric("components", selection.pca.as_ref().map_or(0, |p| p.loadings.len()));
        Ok(if tensor > 0 { out.metric("tensor_columns", tensor) } else { out })
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    fn table(split: &[&str], cols: &[(&str, Vec<f64>)]) -> RecordBatch {
        let mut b = TableBuilder::new().ts("ts", (0..split.len() as i64).collect()).str("split", split);
        for (n, v) in cols {
            b = b.f64(n, v.clone());
        }
        b.build().unwrap()
    }

    #[test]
    fn drops_constant_and_correlated_columns_fitted_on_train() {
        let n = 200;
        let split: Vec<&str> = (0..n).map(|i| if i < 150 { "train" } else { "test" }).collect();
        let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin()).collect();
        let b: Vec<f64> = a.iter().enumerate().map(|(i, x)| 2.0 * x + 0.001 * (i as f64 * 1.3).cos()).collect();
        let c: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos()).collect();
        // constant on train, wild on test: dropped, since only train counts
        let k: Vec<f64> = (0..n).map(|i| if i < 150 { 1.0 } else { i as f64 }).collect();
        let t = table(&split, &[("a", a), ("b", b), ("c", c), ("k", k)]);
        let s = Selection::fit(&t, &SelectParams::default()).unwrap();
        assert_eq!(s.kept, vec!["a", "c"]);
        assert_eq!(s.dropped["k"], "near_constant");
        assert!(s.dropped["b"].starts_with("correlated with a"));
        let out = s.apply(&t).unwrap();
        let names: Vec<&str> = out.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, vec!["ts", "split", "a", "c"]);
    }

    #[test]
    fn pca_recovers_the_principal_axis() {
        let n = 400;
        let split = vec!["train"; n];
        let t: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() * 3.0).collect();
        let e: Vec<f64> = (0..n).map(|i| (i as f64 * 1.91).cos() * 0.1).collect();
        let x: Vec<f64> = t.iter().zip(&e).map(|(t, e)| t + e).collect();
        let y: Vec<f64> = t.iter().zip(&e).map(|(t, e)| t - e).collect();
        let tb = table(&split, &[("x", x), ("y", y)]);
        let p = SelectParams { correlation: 1.0, pca: Some(PcaParams { components: 0, variance: 0.99 }), ..Default::default() };
        let s = Selection::fit(&tb, &p).unwrap();
        let pca = s.pca.as_ref().unwrap();
        assert_eq!(pca.loadings.len(), 1);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((pca.loadings[0][0] - h).abs() < 1e-3 && (pca.loadings[0][1] - h).abs() < 1e-3, "{:?}", pca.loadings);
        assert!(pca.explained_variance_ratio[0] > 0.99);
        let out = s.apply(&tb).unwrap();
        assert!(out.column_by_name("pc_1").is_some() && out.column_by_name("x").is_none());
    }

    #[test]
    fn jacobi_diagonalises() {
        let (vals, vecs) = jacobi_eigen(vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        let mut sorted = vals.clone();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1.0).abs() < 1e-12 && (sorted[1] - 3.0).abs() < 1e-12);
        for k in 0..2 {
            let v = [vecs[0][k], vecs[1][k]];
            let av = [2.0 * v[0] + v[1], v[0] + 2.0 * v[1]];
            assert!((av[0] - vals[k] * v[0]).abs() < 1e-12 && (av[1] - vals[k] * v[1]).abs() < 1e-12);
        }
    }

    #[test]
    fn tensor_columns_pass_through_selection_and_pca_with_their_layout() {
        use mlfactory_market::mtf_layout::{META_LAYOUT, MtfLayout};
        let dataset = crate::dataset::tests::tensor_dataset();
        let layout = MtfLayout::from_json(crate::dataset::tests::LAYOUT).unwrap();
        // Every cell is `100 r + c`: all columns are perfectly correlated, which would
        // leave one column standing if the tensor were selectable.
        for p in [SelectParams::default(), SelectParams { pca: Some(PcaParams { components: 1, variance: 0.95 }), ..Default::default() }] {
            let s = Selection::fit(&dataset, &p).unwrap();
            assert_eq!(s.kept, ["rsi_14"], "selection sees the non-tensor features only");
            assert!(s.dropped.is_empty());
            let out = s.apply(&dataset).unwrap();
            assert_eq!(out.schema_ref().metadata().get(META_LAYOUT).map(String::as_str), Some(crate::dataset::tests::LAYOUT));
            for c in layout.columns() {
                assert_eq!(f64_column(&out, &c).unwrap(), f64_column(&dataset, &c).unwrap(), "{c}");
            }
            assert_eq!(out.column_by_name("pc_1").is_some(), p.pca.is_some());
        }
    }
}
