//! `validate.cpcv`: combinatorial purged cross-validation. N groups, every choice of k as
//! the test set (C(N, k) models), the test predictions assembled into
//! φ = k/N·C(N, k) = C(N−1, k−1) complete backtest paths, and the distribution of the
//! paths' Sharpe ratios.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::contracts::cpcv_paths as cc;
use mlfactory_models::{ModelCatalog, ModelSpec, Predicted, predictions_table};
use mlfactory_splits::scale::Method;
use mlfactory_splits::splitter::CombinatorialPurgedKFold;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cv::{CvData, FoldJob, development_splits, dropped, fit_folds, normalize_model};
use crate::predictions::Predictions;
use crate::stages::evaluate::{SplitMetrics, evaluate};

/// Combinatorial purged cross-validation.
#[derive(Debug)]
pub struct Cpcv {
    catalog: Arc<ModelCatalog>,
}

impl Cpcv {
    pub fn new(catalog: Arc<ModelCatalog>) -> Self {
        Self { catalog }
    }
}

/// `validate.cpcv` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The model trained on each split (`{type, params}`).
    pub model: ModelSpec,
    /// N: contiguous groups (numpy `array_split`).
    pub groups: usize,
    /// k: test groups per split (C(N, k) splits, C(N−1, k−1) paths).
    pub test_groups: usize,
    /// Embargo after each contiguous test block as a fraction of the rows (`int(n * pct)`).
    pub embargo_pct: f64,
    /// The dataset splits cross-validated.
    pub splits: Vec<String>,
    /// Scaling fitted on each fold's training rows only and applied to the fold
    /// (`robust`, `standard`, `min_max`); omit for features as they are. Use it instead of
    /// a `scale` stage upstream, whose statistics would come from rows the folds test on.
    pub scale: Option<Method>,
}

impl Default for Params {
    fn default() -> Self {
        Self { model: ModelSpec::default(), groups: 6, test_groups: 2, embargo_pct: 0.01, splits: development_splits(), scale: None }
    }
}

/// The most models one CPCV run may fit.
const MAX_SPLITS: usize = 1000;

impl Stage for Cpcv {
    type Params = Params;
    const KIND: &'static str = "validate.cpcv";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Combinatorial purged cross-validation: C(N,k) models, their test predictions assembled into C(N-1,k-1) backtest paths, and the paths' Sharpe distribution.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("dataset", "a `dataset` table (ts, t1, split, label, ret, weight + features)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("summary", Format::Json, "groups, splits, paths, per-split rows, the path Sharpe distribution"),
        OutputSlot::new("path_stats", Format::Parquet, "one row per path: Sharpe, accuracy, log loss, trades (contracts::cpcv_paths)"),
        OutputSlot::new("paths", Format::Parquet, "every path's predictions (split `path-P`) with `path` and `cpcv_split` columns"),
    ];

    fn canonical(&self, mut params: Params) -> Result<Params, ParamIssue> {
        self.check(&params)?;
        params.model = normalize_model(&self.catalog, &params.model)?;
        Ok(params)
    }

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.groups < 2 {
            return Err(ParamIssue::new(&["groups"], format!("at least 2 groups, got {}", p.groups)));
        }
        if p.test_groups == 0 || p.test_groups >= p.groups {
            return Err(ParamIssue::new(&["test_groups"], format!("between 1 and groups - 1 = {}, got {}", p.groups - 1, p.test_groups)));
        }
        let splits = mlfactory_splits::splitter::binomial(p.groups, p.test_groups);
        if splits > MAX_SPLITS {
            return Err(ParamIssue::new(&["groups"], format!("C({}, {}) = {splits} models to fit, more than {MAX_SPLITS}", p.groups, p.test_groups)));
        }
        if !(0.0..0.5).contains(&p.embargo_pct) {
            return Err(ParamIssue::new(&["embargo_pct"], format!("a fraction in [0, 0.5), got {}", p.embargo_pct)));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let data = CvData::load(inputs.table("dataset")?, &params.splits)?.scaled_per_fold(params.scale);
        let n = data.len();
        let embargo = (n as f64 * params.embargo_pct) as usize;
        let cpcv = CombinatorialPurgedKFold::new(params.groups, params.test_groups).with_embargo(embargo);
        let splits = cpcv.split(&data.info)?;
        let jobs: Vec<FoldJob> =
            splits.iter().enumerate().map(|(s, sp)| FoldJob { name: format!("split-{s}"), train: sp.train.clone(), test: sp.test.clone() }).collect();
        let predicted = fit_folds(&self.catalog, &params.model, &data, &jobs, ctx)?;
        let paths = assemble_paths(&cpcv, n, &jobs, &predicted);

        let mut tables = Vec::with_capacity(paths.len());
        let mut stats: Vec<SplitMetrics> = Vec::with_capacity(paths.len());
        for (p, (pred, source)) in paths.iter().enumerate() {
            let name = format!("path-{p}");
            let table = predictions_table(&[(name.as_str(), &data.samples, pred)], None)?;
            stats.push(evaluate(&Predictions::read(&table, &name)?));
            tables.push(with_columns(&table, p as i64, source)?);
        }
        let schema = tables[0].schema();
        let paths_table = arrow::compute::concat_batches(&schema, &tables).map_err(|e| StageError::internal(format!("concatenating paths: {e}")))?;
        let sharpes: Vec<f64> = stats.iter().map(|m| m.trading.sharpe).collect();
        let dist = distribution(&sharpes);
        ctx.log(format_args!(
            "{} splits, {} paths: path Sharpe mean {:.3}, std {:.3}, min {:.3}, max {:.3}",
            splits.len(),
            paths.len(),
            dist["mean"],
            dist["std"],
            dist["min"],
            dist["max"]
        ));
        let path_stats = TableBuilder::new()
            .i64(cc::PATH, (0..stats.len() as i64).collect())
            .f64(cc::SHARPE, sharpes.clone())
            .f64(cc::SHARPE_PER_TRADE, stats.iter().map(|m| m.trading.sharpe_per_trade).collect())
            .f64(cc::ACCURACY, stats.iter().map(|m| m.classification.accuracy).collect())
            .f64(cc::LOG_LOSS, stats.iter().map(|m| m.classification.log_loss).collect())
            .f64(cc::HIT_RATE, stats.iter().map(|m| m.trading.hit_rate).collect())
            .i64(cc::TRADES, stats.iter().map(|m| m.trading.trades as i64).collect())
            .f64(cc::TOTAL_RETURN, stats.iter().map(|m| m.trading.total_return).collect())
            .build()?;
        let split_docs: Vec<serde_json::Value> = splits
            .iter()
            .map(|s| json!({"test_groups": s.test_groups, "train_rows": s.train.len(), "test_rows": s.test.len(), "dropped_rows": dropped(n, &s.train, &s.test)}))
            .collect();
        let accuracy: Vec<f64> = stats.iter().map(|m| m.classification.accuracy).collect();
        let summary = json!({
            "model": params.model,
            "rows": n,
            "groups": params.groups,
            "test_groups": params.test_groups,
            "embargo_rows": embargo,
            "n_splits": splits.len(),
            "n_paths": paths.len(),
            "group_rows": cpcv.groups(n).iter().map(|g| [g.start, g.end - 1]).collect::<Vec<_>>(),
            "path_splits": cpcv.paths(),
            "splits": split_docs,
            "sharpe": dist,
            "accuracy": distribution(&accuracy),
            "conventions": {
                "paths": "path p takes, for each group g, the test predictions of the p-th split (in lexicographic split order) that tests g",
                "sharpe": "daily sums of signal x ret by CME trading day, mean/std(ddof=1) x sqrt(252) (see validate.evaluate)",
            },
        });
        Ok(StageOutput::new()
            .metric("splits", splits.len())
            .metric("paths", paths.len())
            .metric("sharpe_mean", dist["mean"].clone())
            .metric("sharpe_std", dist["std"].clone())
            .metric("sharpe_min", dist["min"].clone())
            .metric("sharpe_median", dist["median"].clone())
            .metric("sharpe_positive_share", dist["positive_share"].clone())
            .metric("accuracy_mean", distribution(&accuracy)["mean"].clone())
            .json("summary", summary)
            .table("path_stats", path_stats)
            .table("paths", paths_table))
    }
}

/// Each path's predictions over all `n` rows (in position order) and, per row, the split
/// they came from: for group g, path p uses the p-th split that tests g.
pub fn assemble_paths(cpcv: &CombinatorialPurgedKFold, n: usize, jobs: &[FoldJob], predicted: &[Predicted]) -> Vec<(Predicted, Vec<i64>)> {
    let groups = cpcv.groups(n);
    cpcv.paths()
        .iter()
        .map(|path| {
            let mut out = Predicted { proba: Vec::with_capacity(n), expected_return: Vec::with_capacity(n) };
            let mut source = Vec::with_capacity(n);
            for (g, range) in groups.iter().enumerate() {
                let s = path[g];
                let offset = jobs[s].test.partition_point(|&pos| pos < range.start);
                for k in 0..range.len() {
                    debug_assert_eq!(jobs[s].test[offset + k], range.start + k);
                    out.proba.push(predicted[s].proba[offset + k]);
                    out.expected_return.push(predicted[s].expected_return[offset + k]);
                    source.push(s as i64);
                }
            }
            (out, source)
        })
        .collect()
}

fn with_columns(table: &RecordBatch, path: i64, source: &[i64]) -> Result<RecordBatch, StageError> {
    let mut fields: Vec<Field> = table.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(cc::PATH, DataType::Int64, false));
    fields.push(Field::new(cc::CPCV_SPLIT, DataType::Int64, false));
    let mut columns = table.columns().to_vec();
    columns.push(Arc::new(Int64Array::from(vec![path; table.num_rows()])) as ArrayRef);
    columns.push(Arc::new(Int64Array::from(source.to_vec())) as ArrayRef);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| StageError::internal(format!("path table: {e}")))
}

/// Mean, std (ddof = 1), min, quartiles, max and the share above 0 of finite values.
fn distribution(v: &[f64]) -> serde_json::Value {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return json!({"count": 0});
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let q = |p: f64| {
        let pos = p * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        s[lo] + (pos - lo as f64) * (s[hi] - s[lo])
    };
    let mean = s.iter().sum::<f64>() / n as f64;
    json!({
        "count": n,
        "mean": mean,
        "std": crate::stats::moments::std_dev(&s, 1),
        "min": s[0],
        "p25": q(0.25),
        "median": q(0.5),
        "p75": q(0.75),
        "max": s[n - 1],
        "positive_share": s.iter().filter(|x| **x > 0.0).count() as f64 / n as f64,
        "values": v,
    })
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;
    use mlfactory_market::columns::{f64_column, str_column};

    use super::*;
    use crate::cv::testing::{catalog, dataset};

    fn run(params: serde_json::Value) -> StageOutput {
        let stage = Cpcv::new(catalog());
        let params: Params = serde_json::from_value(stage.normalize(&params).unwrap()).unwrap();
        let progress = NullProgress;
        stage.run(&StageContext::new(5, &progress), &params, &StageInputs::new().with_table("dataset", dataset(200, 5))).unwrap()
    }

    #[test]
    fn assembles_every_path_from_purged_out_of_sample_predictions() {
        let out = run(serde_json::json!({"model": {"type": "probe"}, "groups": 6, "test_groups": 2}));
        assert_eq!((out.metrics["splits"].clone(), out.metrics["paths"].clone()), (15.into(), 5.into()));
        let Artifact::Table(paths) = &out.artifacts["paths"] else { panic!() };
        assert_eq!(paths.num_rows(), 5 * 170, "each path covers every row once");
        assert!(f64_column(paths, "p_short").unwrap().iter().all(|p| *p == 0.0), "a split trained on a row overlapping its test rows");
        let Artifact::Json(summary) = &out.artifacts["summary"] else { panic!() };
        // Every row's prediction comes from a split that tests the row's group, and within
        // a group each path uses a different split.
        let source = f64_column(paths, cc::CPCV_SPLIT).unwrap();
        let groups = mlfactory_splits::splitter::array_split(170, 6);
        for p in 0..5 {
            for (g, range) in groups.iter().enumerate() {
                let s = source[p * 170 + range.start] as usize;
                assert!(summary["splits"][s]["test_groups"].as_array().unwrap().contains(&g.into()));
                assert!(range.clone().all(|i| source[p * 170 + i] as usize == s));
                assert_eq!(summary["path_splits"][p][g], s);
            }
        }
        assert_eq!(str_column(paths, "split").unwrap()[170].as_deref(), Some("path-1"));
        let Artifact::Table(stats) = &out.artifacts["path_stats"] else { panic!() };
        assert_eq!(stats.num_rows(), 5);
        // The probe always says long: each path trades every row.
        assert_eq!(f64_column(stats, cc::TRADES).unwrap(), vec![170.0; 5]);
    }

    #[test]
    fn ten_groups_two_tests_give_nine_paths() {
        let out = run(serde_json::json!({"model": {"type": "logistic"}, "groups": 10, "test_groups": 2, "embargo_pct": 0.0}));
        assert_eq!((out.metrics["splits"].clone(), out.metrics["paths"].clone()), (45.into(), 9.into()));
        assert!(out.metrics["accuracy_mean"].as_f64().unwrap() > 0.6);
    }

    #[test]
    fn checks_groups() {
        let stage = Cpcv::new(catalog());
        assert!(stage.normalize(&serde_json::json!({"groups": 4, "test_groups": 4})).is_err());
        assert!(stage.normalize(&serde_json::json!({"groups": 30, "test_groups": 10})).is_err());
    }

    /// shared/reference/finml/cpcv (t1-based cases): groups, the path assembly and each
    /// split's train and test sizes equal the closed-overlap reference.
    #[test]
    fn agrees_with_finml_cpcv_goldens() {
        let Some(dir) = mlfactory_market::reference::dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), "agrees_with_finml_cpcv_goldens") else { return };
        for case in ["real_h005_meta_momentum_N6_k2", "synth42_bars60_N6_k2", "synth42_bars60_N8_k3"] {
            let case_dir = dir.join("finml/cpcv").join(case);
            let golden: serde_json::Value = serde_json::from_slice(&std::fs::read(case_dir.join("splits.json")).unwrap()).unwrap();
            let stage = Cpcv::new(catalog());
            let params = serde_json::json!({"model": {"type": "probe"}, "groups": golden["N"], "test_groups": golden["k"], "embargo_pct": golden["pct_embargo"], "splits": ["train"]});
            let params: Params = serde_json::from_value(stage.normalize(&params).unwrap()).unwrap();
            let progress = NullProgress;
            let table = crate::cv::goldens::dataset(&case_dir.join("t1.csv"));
            let out = stage.run(&StageContext::new(0, &progress), &params, &StageInputs::new().with_table("dataset", table)).unwrap();
            let Artifact::Json(summary) = &out.artifacts["summary"] else { panic!() };
            assert_eq!(summary["n_paths"], golden["phi"], "{case}");
            assert_eq!(summary["embargo_rows"], golden["embargo_obs"], "{case}");
            assert_eq!(summary["group_rows"], golden["groups_array_split"], "{case}");
            assert_eq!(summary["path_splits"], golden["paths"], "{case}");
            for (s, want) in golden["own_closed_overlap_purge_plus_embargo"].as_array().unwrap().iter().enumerate() {
                let got = &summary["splits"][s];
                assert_eq!(got["test_groups"], want["test_groups"], "{case} split {s}");
                assert_eq!(got["train_rows"].as_u64().unwrap() as usize, want["train"].as_array().unwrap().len(), "{case} split {s}");
                assert_eq!(got["test_rows"].as_u64().unwrap() as usize, want["test"].as_array().unwrap().len(), "{case} split {s}");
            }
            let Artifact::Table(paths) = &out.artifacts["paths"] else { panic!() };
            assert!(f64_column(paths, "p_short").unwrap().iter().all(|p| *p == 0.0), "{case}: leak");
        }
    }

    /// Same outputs for 1 thread or 3: folds are fitted in parallel but seeded by name
    /// and collected in order.
    #[test]
    fn outputs_do_not_depend_on_the_thread_count() {
        let run_in = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| run(serde_json::json!({"model": {"type": "logistic"}, "groups": 5, "test_groups": 2})))
        };
        let (a, b) = (run_in(1), run_in(3));
        for name in ["paths", "path_stats"] {
            let (Artifact::Table(x), Artifact::Table(y)) = (&a.artifacts[name], &b.artifacts[name]) else { panic!() };
            assert_eq!(x, y, "{name}");
        }
        let (Artifact::Json(x), Artifact::Json(y)) = (&a.artifacts["summary"], &b.artifacts["summary"]) else { panic!() };
        assert_eq!(serde_json::to_string(x).unwrap(), serde_json::to_string(y).unwrap());
    }
}
