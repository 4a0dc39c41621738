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
