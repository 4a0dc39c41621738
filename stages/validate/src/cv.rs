//! What the cross-validation stages share: the development rows of a `dataset` table as
//! [`Samples`] with their information intervals, a model fit per fold through the
//! catalog, and the out-of-fold predictions table.
//!
//! Folds are fitted in parallel (rayon) but each with its own seed derived from the
//! stage's seed and the fold's name, and collected in fold order, so the outputs are the
//! same bytes for any thread count.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use mlfactory_engine::{ParamIssue, StageContext, StageError};
use mlfactory_market::columns::str_column;
use mlfactory_market::contracts::dataset as ds;
use mlfactory_models::{FitContext, ModelCatalog, ModelSpec, Predicted, Samples, fit_predict, predictions_table};
use mlfactory_splits::scale::{Method, fit_column};
use mlfactory_splits::splitter::Interval;
use rayon::prelude::*;

use crate::predictions::Predictions;

/// The split name of out-of-fold / out-of-sample rows in the predictions CV stages write.
pub const OOF: &str = "oof";
/// The extra column of CV predictions: which fold (or split) predicted the row.
pub const FOLD: &str = "fold";

/// The rows cross-validation runs on.
pub struct CvData {
    pub samples: Samples,
    pub info: Vec<Interval>,
    /// Scaling fitted on each fold's training rows and applied to its train and test rows
    /// (`None`: features as they are).
    pub scale: Option<Method>,
}

impl CvData {
    /// The rows of `table` whose `split` is one of `splits` (empty: every row), in table order.
    pub fn load(table: &RecordBatch, splits: &[String]) -> Result<Self, StageError> {
        let all = Samples::from_dataset(table, None)?;
        let split = str_column(table, ds::SPLIT)?;
        let keep: Vec<usize> = (0..all.len()).filter(|&i| splits.is_empty() || split[i].as_ref().is_some_and(|s| splits.contains(s))).collect();
        if keep.is_empty() {
            return Err(StageError::data_hint(
                format!("the dataset has no rows in splits {splits:?} ({} rows in all)", all.len()),
                "cross-validation runs on the development rows: `splits: [train, val]` by default",
            ));
        }
        let samples = all.select(&keep);
        let info = samples.ts.iter().zip(&samples.t1).map(|(&t0, &t1)| Interval::new(t0, t1)).collect();
        Ok(Self { samples, info, scale: None })
    }

    /// Scales every fold with `method` fitted on that fold's training rows only: the
    /// leak-free way to cross-validate a scale-sensitive model on an unscaled dataset.
    #[must_use]
    pub fn scaled_per_fold(mut self, method: Option<Method>) -> Self {
        self.scale = method;
        self
    }

    pub fn len(&self) -> usize {
        self.info.len()
    }

    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }
}

/// One fold to fit: a name (its seed stream), train and test positions.
pub struct FoldJob {
    pub name: String,
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Fits `spec` on each job's train rows and predicts its test rows, in parallel,
/// returning the predictions in job order.
pub fn fit_folds(catalog: &ModelCatalog, spec: &ModelSpec, data: &CvData, jobs: &[FoldJob], ctx: &StageContext<'_>) -> Result<Vec<Predicted>, StageError> {
    let fit_ctx = FitContext::new(ctx.seed(), ctx.progress());
    jobs.par_iter()
        .with_max_len(1)
        .map(|job| {
            if job.train.is_empty() {
                return Err(StageError::data_hint(
                    format!("fold `{}` has no training rows left after purge and embargo", job.name),
                    "use fewer folds / groups, or a smaller embargo",
                ));
            }
            let mut train = data.samples.select(&job.train);
            let mut test = data.samples.select(&job.test);
            if let Some(method) = data.scale {
                scale_fold(method, &mut train, &mut test);
            }
            let fitted = fit_predict(catalog, spec, &train, None, &[&test], &fit_ctx.child(&job.name))?;
            ctx.log(format_args!("{}: trained on {} rows, predicted {}", job.name, train.len(), test.len()));
            Ok(fitted.predicted.into_iter().next().expect("one target"))
        })
        .collect()
}

/// Fits `method` on the fold's training rows, column by column, and applies it to the
/// fold's train and test rows: no statistic of a test row reaches its model.
fn scale_fold(method: Method, train: &mut Samples, test: &mut Samples) {
    let width = train.features.len();
    if width == 0 || train.is_empty() {
        return;
    }
    for j in 0..width {
        let mut column: Vec<f64> = train.x.iter().skip(j).step_by(width).map(|&v| f64::from(v)).collect();
        let (center, scale) = fit_column(&mut column, method);
        for samples in [&mut *train, &mut *test] {
            for v in samples.x.iter_mut().skip(j).step_by(width) {
                *v = ((f64::from(*v) - center) / scale) as f32;
            }
        }
    }
}

/// Out-of-fold predictions: for each `(fold index, positions, predicted)`, the rows in
/// position order overall, split [`OOF`], with a [`FOLD`] column; also as
/// [`Predictions`] and the fold of each row.
pub fn oof_table(data: &CvData, parts: &[(i64, &[usize], &Predicted)]) -> Result<(RecordBatch, Predictions, Vec<i64>), StageError> {
    let mut rows: Vec<(usize, i64, usize, usize)> = Vec::new(); // (position, fold, part, index in part)
    for (p, (fold, positions, _)) in parts.iter().enumerate() {
        rows.extend(positions.iter().enumerate().map(|(k, &pos)| (pos, *fold, p, k)));
    }
    rows.sort_unstable();
    let positions: Vec<usize> = rows.iter().map(|r| r.0).collect();
    let samples = data.samples.select(&positions);
    let predicted = Predicted {
        proba: rows.iter().map(|r| parts[r.2].2.proba[r.3]).collect(),
        expected_return: rows.iter().map(|r| parts[r.2].2.expected_return[r.3]).collect(),
    };
    let table = predictions_table(&[(OOF, &samples, &predicted)], None)?;
    let preds = Predictions::read(&table, "out-of-fold predictions")?;
    let fold_of: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let folds: ArrayRef = Arc::new(Int64Array::from(fold_of.clone()));
    let mut fields: Vec<Field> = table.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(FOLD, DataType::Int64, false));
    let mut columns = table.columns().to_vec();
    columns.push(folds);
    let table = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| StageError::internal(format!("oof table: {e}")))?;
    Ok((table, preds, fold_of))
}

/// Normalises a `model:` param through the catalog (defaults filled, checked).
pub fn normalize_model(catalog: &ModelCatalog, spec: &ModelSpec) -> Result<ModelSpec, ParamIssue> {
    catalog.normalize(spec, &["model"])
}

/// The default development splits: `train` and `val`.
pub fn development_splits() -> Vec<String> {
    vec![mlfactory_market::contracts::splits::TRAIN.to_owned(), mlfactory_market::contracts::splits::VAL.to_owned()]
}

/// Purged observations of a fold: neither test nor train.
pub fn dropped(n: usize, train: &[usize], test: &[usize]) -> usize {
    n - train.len() - test.len()
}

/// Fits every fold, and builds the outputs the k-fold and walk-forward stages share:
/// `predictions` (out-of-fold rows), `folds` (JSON per fold) and metrics.
pub fn run_folds(
    catalog: &ModelCatalog,
    spec: &ModelSpec,
    data: &CvData,
    folds: Vec<mlfactory_splits::splitter::Fold>,
    ctx: &StageContext<'_>,
) -> Result<mlfactory_engine::StageOutput, StageError> {
    let jobs: Vec<FoldJob> = folds.into_iter().enumerate().map(|(k, f)| FoldJob { name: format!("fold-{k}"), train: f.train, test: f.test }).collect();
    let predicted = fit_folds(catalog, spec, data, &jobs, ctx)?;
    let parts: Vec<(i64, &[usize], &Predicted)> = jobs.iter().zip(&predicted).enumerate().map(|(k, (j, p))| (k as i64, j.test.as_slice(), p)).collect();
    let (table, oof, fold_of) = oof_table(data, &parts)?;
    let fold_docs: Vec<serde_json::Value> = jobs
        .iter()
        .enumerate()
        .map(|(k, job)| {
            let rows: Vec<usize> = (0..oof.len()).filter(|&i| fold_of[i] == k as i64).collect();
            let sub = oof.select(&rows);
            let m = crate::stages::evaluate::evaluate(&sub);
            serde_json::json!({
                "fold": job.name,
                "train_rows": job.train.len(),
                "test_rows": job.test.len(),
                "dropped_rows": dropped(data.len(), &job.train, &job.test),
                "test_start": sub.ts.first(),
                "test_end": sub.ts.last(),
                "accuracy": m.classification.accuracy,
                "log_loss": m.classification.log_loss,
                "macro_f1": m.classification.macro_f1,
                "sharpe": m.trading.sharpe,
                "hit_rate": m.trading.hit_rate,
            })
        })
        .collect();
    let overall = crate::stages::evaluate::evaluate(&oof);
    ctx.log(format_args!(
        "{} folds, {} out-of-fold rows: accuracy {:.4}, log loss {:.4}, Sharpe {:.3}",
        jobs.len(),
        oof.len(),
        overall.classification.accuracy,
        overall.classification.log_loss,
        overall.trading.sharpe
    ));
    let fold_sharpes: Vec<f64> = fold_docs.iter().map(|f| f["sharpe"].as_f64().unwrap_or(f64::NAN)).collect();
    Ok(mlfactory_engine::StageOutput::new()
        .metric("folds", jobs.len())
        .metric("oof_rows", oof.len())
        .metric("oof_accuracy", overall.classification.accuracy)
        .metric("oof_log_loss", overall.classification.log_loss)
        .metric("oof_macro_f1", overall.classification.macro_f1)
        .metric("oof_sharpe", overall.trading.sharpe)
        .metric("fold_sharpe_min", fold_sharpes.iter().copied().fold(f64::INFINITY, f64::min))
        .table("predictions", table)
        .json("folds", serde_json::json!({"model": spec, "folds": fold_docs, "oof": overall})))
}

#[cfg(test)]
pub(crate) mod testing {
    //! A probe model and a small dataset for the cross-validation stages' tests.

    use mlfactory_engine::StageError;
    use mlfactory_market::columns::TableBuilder;
    use mlfactory_models::{FitContext, FitReport, Model, ModelCatalog, ModelKind, Proba, SavedModel};
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    use super::*;

    /// A "model" that remembers the information intervals it was trained on and, for each
    /// row it predicts, says short (p_short = 1) when that row's interval overlaps any
    /// training interval (a purge failure) and long otherwise.
    pub(crate) struct Probe;

    #[derive(Default, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields, default)]
    pub(crate) struct ProbeParams {}

    struct Fitted(Vec<(i64, i64)>);

    impl Model for Fitted {
        fn type_name(&self) -> &'static str {
            "probe"
        }
        fn fit(&mut self, train: &Samples, _valid: Option<&Samples>, _ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
            self.0 = train.ts.iter().copied().zip(train.t1.iter().copied()).collect();
            Ok(FitReport::default())
        }
        fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
            Ok((0..data.len())
                .map(|i| {
                    let leak = self.0.iter().any(|&(a, b)| a <= data.t1[i] && data.ts[i] <= b);
                    if leak { [1.0, 0.0, 0.0] } else { [0.0, 0.0, 1.0] }
                })
                .collect())
        }
        fn save(&self) -> Result<SavedModel, StageError> {
            Ok(SavedModel::new("probe", serde_json::json!({})))
        }
    }

    impl ModelKind for Probe {
        type Params = ProbeParams;
        const NAME: &'static str = "probe";
        const ABOUT: &'static str = "test probe";
        fn build(&self, _: &ProbeParams, _: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
            Ok(Box::new(Fitted(Vec::new())))
        }
        fn load(&self, _: &SavedModel, _: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
            Ok(Box::new(Fitted(Vec::new())))
        }
    }

    /// The model catalog plus the probe.
    pub(crate) fn catalog() -> Arc<ModelCatalog> {
        let mut c = ModelCatalog::new();
        mlfactory_models::add_types(&mut c);
        c.add(Probe);
        Arc::new(c)
    }

    /// `n` events an hour apart from 2024-01-02 00:00 UTC, each labelled over the next
    /// `span` hours; two features, one informative; 70% train, 15% val, 15% test.
    pub(crate) fn dataset(n: usize, span: i64) -> RecordBatch {
        const HOUR: i64 = 3_600_000_000_000;
        let start = 1_704_153_600_000_000_000;
        let ts: Vec<i64> = (0..n as i64).map(|i| start + i * HOUR).collect();
        let label: Vec<f64> = (0..n).map(|i| [(-1.0), 0.0, 1.0][(i * 7 + i / 3) % 3]).collect();
        let split: Vec<&str> = (0..n)
            .map(|i| {
                if i * 100 < n * 70 {
                    "train"
                } else if i * 100 < n * 85 {
                    "val"
                } else {
                    "test"
                }
            })
            .collect();
        TableBuilder::new()
            .ts(ds::TS, ts.clone())
            .ts(ds::T1, ts.iter().map(|t| t + span * HOUR).collect())
            .str(ds::SPLIT, &split)
            .f64(ds::LABEL, label.clone())
            .f64(ds::RET, label.iter().map(|l| l * 0.004).collect())
            .f64("signal_feature", label.iter().enumerate().map(|(i, l)| l + 0.3 * ((i * 37 % 11) as f64 / 11.0 - 0.5)).collect())
            .f64("noise", (0..n).map(|i| (i * 53 % 17) as f64 / 17.0).collect())
            .build()
            .unwrap()
    }
}

#[cfg(test)]
pub(crate) mod goldens {
    //! The observations of a `shared/reference/finml` splits case as a dataset table.

    use std::path::Path;

    use mlfactory_market::columns::TableBuilder;

    use super::*;

    /// Nanoseconds since the epoch of a naive `YYYY-MM-DDTHH:MM:SS[.ffffff]` timestamp.
    fn parse_ns(s: &str) -> i64 {
        let n = |a: usize, b: usize| s[a..b].parse::<i64>().expect("digits");
        let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
        // Days from civil (Howard Hinnant's algorithm).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        let micros = if s.len() > 20 { n(20, 26) } else { 0 };
        ((days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)) * 1_000_000 + micros) * 1000
    }

    /// The `t1.csv` of a case (`t0,t1` per observation) as a dataset whose rows are all
    /// `train`, with a constant feature.
    pub(crate) fn dataset(t1_csv: &Path) -> RecordBatch {
        let text = std::fs::read_to_string(t1_csv).expect("t1.csv");
        let rows: Vec<(i64, i64)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let (a, b) = l.split_once(',').expect("two columns");
                (parse_ns(a), parse_ns(b))
            })
            .collect();
        let n = rows.len();
        TableBuilder::new()
            .ts(ds::TS, rows.iter().map(|r| r.0).collect())
            .ts(ds::T1, rows.iter().map(|r| r.1).collect())
            .str(ds::SPLIT, &vec!["train"; n])
            .f64(ds::LABEL, (0..n).map(|i| (i % 3) as f64 - 1.0).collect())
            .f64(ds::RET, vec![0.0; n])
            .f64("x", vec![1.0; n])
            .build()
            .expect("table")
    }

    #[test]
    fn parses_naive_timestamps() {
        assert_eq!(parse_ns("1970-01-01T00:00:00.000000"), 0);
        assert_eq!(parse_ns("2024-01-02T08:45:00.000000"), 1_704_185_100_000_000_000);
        assert_eq!(parse_ns("2024-03-01T00:00:00.000001"), 1_709_251_200_000_001_000);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-fold scaling is fitted on the fold's training rows only: whatever the test rows
    /// hold, the training rows scale to the same values, and the test rows use the
    /// training statistics.
    #[test]
    fn per_fold_scaling_fits_on_the_training_rows_only() {
        let data = CvData::load(&testing::dataset(40, 2), &[]).unwrap().scaled_per_fold(Some(Method::Standard));
        let train: Vec<usize> = (0..30).collect();
        let scaled = |test_rows: &[usize], bump: f32| {
            let mut tr = data.samples.select(&train);
            let mut te = data.samples.select(test_rows);
            for v in &mut te.x {
                *v += bump;
            }
            scale_fold(Method::Standard, &mut tr, &mut te);
            (tr, te)
        };
        let (a, ta) = scaled(&[35, 36, 37], 0.0);
        let (b, tb) = scaled(&[35, 36, 37], 1.0e6);
        assert_eq!(a.x, b.x, "test values never reach the training rows' scaling");
        let width = a.features.len();
        for j in 0..width {
            let col: Vec<f64> = a.x.iter().skip(j).step_by(width).map(|&v| f64::from(v)).collect();
            let mean = col.iter().sum::<f64>() / col.len() as f64;
            assert!(mean.abs() < 1e-5, "column {j} is centred on train: {mean}");
        }
        assert!(tb.x.iter().zip(&ta.x).all(|(b, a)| b > a), "test rows are shifted by the bump, not re-centred");
    }
}
