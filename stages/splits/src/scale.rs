//! The `scale` stage: feature scaling fitted on the training split only.
//!
//! Each feature column `x` becomes `(x - center) / scale`, with `center` and `scale`
//! estimated on the rows whose `split` is `train`:
//!
//! | method | center | scale |
//! |---|---|---|
//! | `robust` (default) | median | interquartile range (q75 - q25, linear interpolation as numpy) |
//! | `standard` | mean | standard deviation (n - 1) |
//! | `min_max` | min | max - min |
//!
//! A zero or non-finite scale (a constant column) becomes 1, so the column is only
//! centred. The fitted [`Scaler`] is written as JSON (`scaler` output) and applies to new
//! data at inference with [`Scaler::apply`].
//!
//! The table's schema metadata passes through, so a `multi_resolution` tensor layout
//! (`mlfactory.mtf.layout`) still names the (now scaled) tensor columns.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use mlfactory_artifacts::Format;
use mlfactory_engine::stage::{InputSlot, OutputSlot, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::{f64_column, str_column};
use mlfactory_market::contracts::{dataset as col, splits as spl};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A scaling method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Median and interquartile range: robust to fat tails and outliers.
    #[default]
    Robust,
    /// Mean and standard deviation.
    Standard,
    /// Minimum and range, to [0, 1] on the training data.
    MinMax,
}

/// Params of `scale`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScaleParams {
    /// `robust` (median / IQR), `standard` (mean / std) or `min_max`.
    pub method: Method,
}

/// The fitted parameters of one column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnScale {
    pub name: String,
    pub center: f64,
    pub scale: f64,
}

/// A fitted scaler: what `scale` writes as its `scaler` output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub method: Method,
    /// Training rows it was fitted on.
    pub fit_rows: usize,
    pub columns: Vec<ColumnScale>,
}

impl Scaler {
    /// Fits on the rows of `table` whose `split` is `train`; every feature column
    /// ([`col::is_feature`]) is scaled.
    pub fn fit(table: &RecordBatch, method: Method) -> Result<Self, StageError> {
        let train = train_rows(table)?;
        let names = feature_names(table);
        let columns = names
            .par_iter()
            .map(|name| {
                let values = f64_column(table, name)?;
                let mut x: Vec<f64> = train.iter().map(|&r| values[r]).collect();
                let (center, scale) = fit_column(&mut x, method);
                Ok(ColumnScale { name: name.clone(), center, scale })
            })
            .collect::<Result<Vec<_>, StageError>>()?;
        Ok(Self { method, fit_rows: train.len(), columns })
    }

    /// Scales the scaler's columns of `table`; other columns pass through unchanged.
    pub fn apply(&self, table: &RecordBatch) -> Result<RecordBatch, StageError> {
        let schema = table.schema();
        let mut fields = Vec::with_capacity(schema.fields().len());
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (i, field) in schema.fields().iter().enumerate() {
            if let Some(c) = self.columns.iter().find(|c| c.name == *field.name()) {
                let values = f64_column(table, &c.name)?;
                let scaled: Vec<f64> = values.iter().map(|v| (v - c.center) / c.scale).collect();
                fields.push(Field::new(field.name(), DataType::Float64, field.is_nullable()));
                arrays.push(Arc::new(Float64Array::from(scaled)));
            } else {
                fields.push(field.as_ref().clone());
                arrays.push(table.column(i).clone());
            }
        }
        let missing: Vec<&str> = self.columns.iter().filter(|c| table.column_by_name(&c.name).is_none()).map(|c| c.name.as_str()).collect();
        if !missing.is_empty() {
            return Err(StageError::data_hint(
                format!("the table lacks scaled columns: {}", missing.join(", ")),
                "apply a scaler to tables with the columns it was fitted on",
            ));
        }
        let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        RecordBatch::try_new(schema, arrays).map_err(|e| StageError::internal(format!("scaled table: {e}")))
    }

    pub fn from_json(value: &serde_json::Value) -> Result<Self, StageError> {
        serde_json::from_value(value.clone()).map_err(|e| StageError::data(format!("not a fitted scaler: {e}")))
    }
}

/// Positions of the `train` rows.
pub fn train_rows(table: &RecordBatch) -> Result<Vec<usize>, StageError> {
    let split = str_column(table, col::SPLIT)?;
    let rows: Vec<usize> = split.iter().enumerate().filter(|(_, s)| s.as_deref() == Some(spl::TRAIN)).map(|(i, _)| i).collect();
    if rows.is_empty() {
        return Err(StageError::data_hint("the dataset has no `train` rows to fit on", "check the splits stage's report"));
    }
    Ok(rows)
}

/// Feature columns of a dataset table, in order.
pub fn feature_names(table: &RecordBatch) -> Vec<String> {
    table.schema_ref().fields().iter().filter(|f| col::is_feature(f.name()) && f.data_type().is_numeric()).map(|f| f.name().clone()).collect()
}

/// numpy's default (linear) percentile of sorted data.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// `(center, scale)` of one column's training values (reordered in place).
/// The center and scale of one column's training values under `method` (a zero or
/// non-finite scale becomes 1). Reorders `x`.
pub fn fit_column(x: &mut [f64], method: Method) -> (f64, f64) {
    let (center, scale) = match method {
        Method::Robust => {
            x.sort_unstable_by(f64::total_cmp);
            (percentile_sorted(x, 0.5), percentile_sorted(x, 0.75) - percentile_sorted(x, 0.25))
        }
        Method::Standard => {
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
            (mean, var.sqrt())
        }
        Method::MinMax => {
            let min = x.iter().copied().fold(f64::INFINITY, f64::min);
            let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (min, max - min)
        }
    };
    (center, if scale.is_finite() && scale > 0.0 { scale } else { 1.0 })
}

/// The `scale` stage kind.
pub struct Scale;

impl Stage for Scale {
    type Params = ScaleParams;
    const KIND: &'static str = "scale";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Scales feature columns (robust, standard or min-max) fitted on the training split only.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("dataset", "a dataset table (ts, split, ... + features)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("dataset", Format::Parquet, "the dataset with scaled feature columns"),
        OutputSlot::new("scaler", Format::Json, "the fitted scaler (method, fit_rows, per column center and scale), for inference"),
    ];

    fn run(&self, ctx: &StageContext<'_>, p: &Self::Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("dataset")?;
        let scaler = Scaler::fit(table, p.method)?;
        ctx.log(format!("{} columns fitted on {} training rows", scaler.columns.len(), scaler.fit_rows));
        let scaled = scaler.apply(table)?;
        let json = serde_json::to_value(&scaler).map_err(|e| StageError::internal(format!("scaler to JSON: {e}")))?;
        Ok(StageOutput::new().table("dataset", scaled).json("scaler", json).metric("columns", scaler.columns.len()).metric("fit_rows", scaler.fit_rows))
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_market::columns::TableBuilder;
    use rstest::rstest;

    use super::*;

    fn table(x: Vec<f64>, split: &[&str]) -> RecordBatch {
        TableBuilder::new().ts(col::TS, (0..x.len() as i64).collect()).str(col::SPLIT, split).f64("x", x.clone()).f64("c", vec![2.0; x.len()]).build().unwrap()
    }

    #[rstest]
    #[case::robust(Method::Robust, 2.5, 1.5)]
    #[case::standard(Method::Standard, 2.5, 1.290_994_448_735_805_6)]
    #[case::min_max(Method::MinMax, 1.0, 3.0)]
    fn fits_on_train_rows_only(#[case] method: Method, #[case] center: f64, #[case] scale: f64) {
        // numpy: median([1,2,3,4]) = 2.5, IQR = 3.25 - 1.75 = 1.5; std(ddof=1) = 1.29099...
        let t = table(vec![1.0, 2.0, 3.0, 4.0, 1e6, -1e6], &["train", "train", "train", "train", "val", "test"]);
        let s = Scaler::fit(&t, method).unwrap();
        assert_eq!(s.fit_rows, 4);
        assert!((s.columns[0].center - center).abs() < 1e-12 && (s.columns[0].scale - scale).abs() < 1e-12, "{s:?}");
        assert_eq!((s.columns[1].center, s.columns[1].scale), (2.0, 1.0), "a constant column is only centred");
        let out = s.apply(&t).unwrap();
        let x = f64_column(&out, "x").unwrap();
        assert!((x[0] - (1.0 - center) / scale).abs() < 1e-12);
        assert_eq!(f64_column(&out, col::TS).unwrap(), f64_column(&t, col::TS).unwrap());
    }

    #[test]
    fn non_training_rows_do_not_move_the_fit() {
        let a = table(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &["train", "train", "train", "train", "val", "test"]);
        let b = table(vec![1.0, 2.0, 3.0, 4.0, -9e9, 9e9], &["train", "train", "train", "train", "val", "test"]);
        for m in [Method::Robust, Method::Standard, Method::MinMax] {
            assert_eq!(Scaler::fit(&a, m).unwrap(), Scaler::fit(&b, m).unwrap());
        }
    }

    #[test]
    fn scaling_keeps_the_tensor_layout() {
        use mlfactory_market::mtf_layout::META_LAYOUT;
        let dataset = crate::dataset::tests::tensor_dataset();
        let scaled = Scaler::fit(&dataset, Method::Robust).unwrap().apply(&dataset).unwrap();
        assert_eq!(scaled.schema_ref().metadata().get(META_LAYOUT).map(String::as_str), Some(crate::dataset::tests::LAYOUT));
        assert_ne!(f64_column(&scaled, "close_5m_l0").unwrap(), f64_column(&dataset, "close_5m_l0").unwrap(), "the tensor columns are scaled too");
    }
}
