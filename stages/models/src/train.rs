//! `models.train`: fits one model from the catalog on a dataset's `train` split and
//! predicts its `val` and `test` splits.
//!
//! ```yaml
//! model:
//!   kind: models.train
//!   inputs: [scaled]
//!   params: {model: {type: gbdt, params: {num_leaves: 31, learning_rate: 0.05}}}
//! ```
//!
//! Rows whose split is anything else (`purged`, `embargoed`) are ignored. `val` serves
//! early stopping (models with iterations) and is predicted like `test`; nothing else
//! of `val` or `test` reaches the fit. The model's params are normalised through the
//! catalog (defaults filled) before the stage key is computed, so writing a default out
//! or leaving it implicit is the same stage.

use std::collections::BTreeMap;
use std::sync::Arc;

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::contracts::splits as sp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{ModelCatalog, ModelSpec};
use crate::fingerprint::Fingerprint;
use crate::model::FitContext;
use crate::predict::{fit_predict, predictions_table};
use crate::samples::Samples;

/// Params of `models.train`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TrainParams {
    /// The model: `{type, params}`; `mlfactory models` lists every type and its params.
    pub model: ModelSpec,
    /// Let models with iterations (gbdt, neural nets) stop early on the `val` split.
    /// Off: `val` is only predicted, and every model runs its full budget.
    pub early_stopping: bool,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self { model: ModelSpec::default(), early_stopping: true }
    }
}

/// The `models.train` stage kind.
#[derive(Debug)]
pub struct Train {
    catalog: Arc<ModelCatalog>,
}

impl Train {
    pub fn new(catalog: Arc<ModelCatalog>) -> Self {
        Self { catalog }
    }
}

impl Stage for Train {
    type Params = TrainParams;
    const KIND: &'static str = "models.train";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Fits a model (any type in the catalog) on the train split; predicts val and test.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("dataset", "a `dataset` table (ts, t1, split, label, ret, weight + features)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("predictions", Format::Parquet, "per val/test row: signal, p_short, p_neutral, p_long, confidence, expected_return"),
        OutputSlot::new("model", Format::Safetensors, "the fitted model (weights; config and training fingerprint in the metadata)"),
        OutputSlot::new("metrics", Format::Json, "metrics per split, the fit report, class returns and feature importance"),
    ];

    fn canonical(&self, mut params: TrainParams) -> Result<TrainParams, ParamIssue> {
        params.model = self.catalog.normalize(&params.model, &["model"])?;
        Ok(params)
    }

    fn run(&self, ctx: &StageContext<'_>, params: &TrainParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let table = inputs.table("dataset")?;
        let spec = self.catalog.normalize(&params.model, &["model"]).map_err(|i| StageError::internal(format!("model params: {}", i.message)))?;
        let train = Samples::from_dataset(table, Some(sp::TRAIN))?;
        let val = Samples::from_dataset(table, Some(sp::VAL))?;
        let test = Samples::from_dataset(table, Some(sp::TEST))?;
        if train.is_empty() {
            return Err(StageError::data_hint(
                format!("the dataset has no `{}` rows ({} rows in all)", sp::TRAIN, table.num_rows()),
                "check the `splits` stage: its train fraction, purge and embargo",
            ));
        }
        ctx.log(format!("{} on {} train rows x {} features; val {}, test {}", spec.model_type, train.len(), train.n_features(), val.len(), test.len()));
        let fit_ctx = FitContext::new(ctx.seed(), ctx.progress());
        let valid = params.early_stopping.then_some(&val);
        let fitted = fit_predict(&self.catalog, &spec, &train, valid, &[&val, &test], &fit_ctx)?;
        let fingerprint = Fingerprint::of(&train);
        let table = predictions_table(&[(sp::VAL, &val, &fitted.predicted[0]), (sp::TEST, &test, &fitted.predicted[1])], Some(&fingerprint))?;
        let model_bytes = fitted.model.save()?.to_bytes_with(&fingerprint.to_metadata())?;

        let importance: Option<BTreeMap<&str, f64>> = fitted.model.feature_importance().map(|imp| train.features.iter().map(String::as_str).zip(imp).collect());
        let mut out = StageOutput::new();
        for (split, m) in [(sp::VAL, &fitted.metrics[0]), (sp::TEST, &fitted.metrics[1])] {
            for (name, value) in m.flatten(split) {
                out = out.metric(&name, value);
            }
        }
        let report = serde_json::json!({
            "model": spec,
            "fingerprint": fingerprint,
            "rows": {"train": train.len(), "val": val.len(), "test": test.len()},
            "fit": fitted.report,
            "class_returns": fitted.class_returns,
            "splits": {sp::VAL: fitted.metrics[0], sp::TEST: fitted.metrics[1]},
            "feature_importance": importance,
        });
        Ok(out
            .metric("train_rows", train.len())
            .metric("iterations", fitted.report.iterations)
            .table("predictions", table)
            .blob("model", Format::Safetensors, model_bytes)
            .json("metrics", report))
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;
    use mlfactory_market::columns::{TableBuilder, f64_column, str_column};
    use mlfactory_market::contracts::dataset as ds;
    use mlfactory_market::contracts::predictions as pc;

    use super::*;
    use crate::testdata::checkerboard;

    fn catalog() -> Arc<ModelCatalog> {
        let mut c = ModelCatalog::new();
        crate::add_types(&mut c);
        Arc::new(c)
    }

    /// A dataset table: 60% train, a purged row, 20% val, 20% test.
    fn dataset(n: usize) -> arrow::array::RecordBatch {
        let s = checkerboard(n, 9);
        let split: Vec<&str> = (0..n)
            .map(|i| match i * 10 / n {
                _ if i == n * 6 / 10 => sp::PURGED,
                0..=5 => sp::TRAIN,
                6 | 7 => sp::VAL,
                _ => sp::TEST,
            })
            .collect();
        let mut b = TableBuilder::new()
            .ts(ds::TS, s.ts.clone())
            .ts(ds::T1, s.t1.clone())
            .str(ds::SPLIT, &split)
            .f64(ds::LABEL, s.y.iter().map(|&c| f64::from(c) - 1.0).collect())
            .f64(ds::RET, s.ret.clone())
            .f64(ds::WEIGHT, vec![1.0; n]);
        for j in 0..s.n_features() {
            b = b.f64(&s.features[j], s.column(j).iter().map(|&v| f64::from(v)).collect());
        }
        b.build().unwrap()
    }

    fn run(stage: &Train, params: &serde_json::Value, table: &arrow::array::RecordBatch, threads: usize) -> StageOutput {
        let params = stage.normalize(params).unwrap();
        let inputs = StageInputs::new().with_table("dataset", table.clone());
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| stage.run_json(&StageContext::new(42, &NullProgress), &params, &inputs).unwrap())
    }

    fn blob(out: &StageOutput, name: &str) -> Vec<u8> {
        match &out.artifacts[name] {
            Artifact::Blob { bytes, .. } => bytes.to_vec(),
            Artifact::Table(t) => mlfactory_artifacts::table::encode_parquet(t).unwrap(),
            Artifact::Json(v) => v.to_string().into_bytes(),
        }
    }

    #[test]
    fn canonical_params_fill_the_model_defaults() {
        let stage = Train::new(catalog());
        let short = stage.normalize(&serde_json::json!({"model": {"type": "gbdt"}})).unwrap();
        let long = stage.normalize(&serde_json::json!({"model": {"type": "gbdt", "params": {"num_leaves": 31}}, "early_stopping": true})).unwrap();
        assert_eq!(short, long, "a default written out is the same stage key");
        assert_eq!(short["model"]["params"]["learning_rate"], 0.05);
        let issue = stage.normalize(&serde_json::json!({"model": {"type": "logistc"}})).unwrap_err();
        assert_eq!(issue.path, ["model", "type"]);
        assert_eq!(issue.hint.as_deref(), Some("did you mean `logistic`?"));
    }

    #[test]
    fn predicts_val_and_test_rows_with_the_contract() {
        let stage = Train::new(catalog());
        let table = dataset(1000);
        let out = run(&stage, &serde_json::json!({"model": {"type": "gbdt", "params": {"num_rounds": 30}}}), &table, 2);
        let Artifact::Table(p) = &out.artifacts["predictions"] else { panic!("predictions is a table") };
        let splits = str_column(p, pc::SPLIT).unwrap();
        assert_eq!(splits.iter().filter(|s| s.as_deref() == Some(sp::VAL)).count(), 200 - 1);
        assert_eq!(splits.iter().filter(|s| s.as_deref() == Some(sp::TEST)).count(), 200);
        let (ps, pn, pl) = (f64_column(p, pc::P_SHORT).unwrap(), f64_column(p, pc::P_NEUTRAL).unwrap(), f64_column(p, pc::P_LONG).unwrap());
        let conf = f64_column(p, pc::CONFIDENCE).unwrap();
        for i in 0..p.num_rows() {
            assert!((ps[i] + pn[i] + pl[i] - 1.0).abs() < 1e-9);
            assert_eq!(conf[i], ps[i].max(pn[i]).max(pl[i]));
        }
        assert!(out.metrics["test_accuracy"].as_f64().unwrap() > 0.8, "{:?}", out.metrics);
        assert!(out.metrics.contains_key("val_recall_neutral"));
        let saved = crate::SavedModel::from_bytes(&blob(&out, "model")).unwrap();
        assert_eq!(saved.model_type, "gbdt");
        assert!(crate::SavedModel::metadata(&blob(&out, "model")).unwrap().contains_key(crate::fingerprint::META_FINGERPRINT));
    }

    #[test]
    fn outputs_are_identical_across_runs_and_thread_counts() {
        let stage = Train::new(catalog());
        let table = dataset(800);
        for model in ["logistic", "svm", "random_forest", "gbdt"] {
            let params = serde_json::json!({"model": {"type": model}});
            let one = run(&stage, &params, &table, 1);
            let four = run(&stage, &params, &table, 4);
            for output in ["model", "predictions", "metrics"] {
                assert_eq!(blob(&one, output), blob(&four, output), "`{model}` {output}");
            }
        }
    }

    #[test]
    fn rewriting_the_test_split_leaves_the_model_unchanged() {
        // Leakage: the fit must see train rows only (val at most for early stopping).
        let stage = Train::new(catalog());
        let table = dataset(800);
        let n = table.num_rows();
        let splits = str_column(&table, ds::SPLIT).unwrap();
        let mut label = f64_column(&table, ds::LABEL).unwrap();
        let mut x = f64_column(&table, "f0").unwrap();
        for i in 0..n {
            if splits[i].as_deref() == Some(sp::TEST) {
                label[i] = -label[i];
                x[i] = 100.0 - x[i];
            }
        }
        let mut columns: Vec<arrow::array::ArrayRef> = table.columns().to_vec();
        let schema = table.schema();
        columns[schema.index_of(ds::LABEL).unwrap()] = Arc::new(arrow::array::Float64Array::from(label));
        columns[schema.index_of("f0").unwrap()] = Arc::new(arrow::array::Float64Array::from(x));
        let rewritten = arrow::array::RecordBatch::try_new(schema, columns).unwrap();
        for model in ["logistic", "gbdt", "stacking"] {
            let params = serde_json::json!({"model": {"type": model}});
            assert_eq!(blob(&run(&stage, &params, &table, 2), "model"), blob(&run(&stage, &params, &rewritten, 2), "model"), "`{model}`");
        }
    }

    #[test]
    fn an_empty_train_split_is_a_data_error() {
        let stage = Train::new(catalog());
        let table = dataset(100);
        let splits: Vec<&str> = vec![sp::TEST; 100];
        let mut columns: Vec<arrow::array::ArrayRef> = table.columns().to_vec();
        columns[table.schema().index_of(ds::SPLIT).unwrap()] = Arc::new(arrow::array::StringArray::from(splits));
        let bad = arrow::array::RecordBatch::try_new(table.schema(), columns).unwrap();
        let params = stage.normalize(&serde_json::json!({})).unwrap();
        let err = stage.run_json(&StageContext::new(0, &NullProgress), &params, &StageInputs::new().with_table("dataset", bad)).unwrap_err().to_string();
        assert!(err.contains("no `train` rows") && err.contains("hint:"), "{err}");
    }
}
