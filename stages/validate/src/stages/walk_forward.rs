//! `validate.walk_forward`: walk-forward validation with an expanding or rolling training
//! window, purged of labels that reach into each test block.

use std::sync::Arc;

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_models::{ModelCatalog, ModelSpec};
use mlfactory_splits::scale::Method;
use mlfactory_splits::splitter::{WalkForward as Splitter, Window};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cv::{CvData, development_splits, normalize_model, run_folds};

/// Walk-forward validation.
#[derive(Debug)]
pub struct WalkForward {
    catalog: Arc<ModelCatalog>,
}

impl WalkForward {
    pub fn new(catalog: Arc<ModelCatalog>) -> Self {
        Self { catalog }
    }
}

/// How the training window moves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// Train on everything before each test block.
    #[default]
    Expanding,
    /// Train on the `train_size` rows before each test block.
    Rolling,
}

/// `validate.walk_forward` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The model trained for each step (`{type, params}`).
    pub model: ModelSpec,
    /// Number of consecutive test blocks at the end of the data.
    pub steps: usize,
    /// `expanding` or `rolling`.
    pub window: WindowKind,
    /// Rows in a rolling training window (required for `rolling`).
    pub train_size: usize,
    /// Rows per test block; 0: `n / (steps + 1)` (scikit-learn's `TimeSeriesSplit`).
    pub test_size: usize,
    /// The dataset splits walked over.
    pub splits: Vec<String>,
    /// Scaling fitted on each fold's training rows only and applied to the fold
    /// (`robust`, `standard`, `min_max`); omit for features as they are. Use it instead of
    /// a `scale` stage upstream, whose statistics would come from rows the folds test on.
    pub scale: Option<Method>,
}

impl Default for Params {
    fn default() -> Self {
        Self { model: ModelSpec::default(), steps: 5, window: WindowKind::Expanding, train_size: 0, test_size: 0, splits: development_splits(), scale: None }
    }
}

impl Stage for WalkForward {
    type Params = Params;
    const KIND: &'static str = "validate.walk_forward";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str =
        "Walk-forward validation (expanding or rolling window, purged): a model per step, out-of-sample predictions and per-step metrics.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("dataset", "a `dataset` table (ts, t1, split, label, ret, weight + features)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("predictions", Format::Parquet, "out-of-sample predictions of every step (split `oof`) with a `fold` column"),
        OutputSlot::new("folds", Format::Json, "per step: rows trained, tested and dropped, test metrics; overall metrics"),
    ];

    fn canonical(&self, mut params: Params) -> Result<Params, ParamIssue> {
        self.check(&params)?;
        params.model = normalize_model(&self.catalog, &params.model)?;
        Ok(params)
    }

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.steps == 0 {
            return Err(ParamIssue::new(&["steps"], "at least 1 step"));
        }
        if p.window == WindowKind::Rolling && p.train_size == 0 {
            return Err(ParamIssue::new(&["train_size"], "a rolling window needs `train_size` rows").hint("e.g. `train_size: 5000`"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let data = CvData::load(inputs.table("dataset")?, &params.splits)?.scaled_per_fold(params.scale);
        let window = match params.window {
            WindowKind::Expanding => Window::Expanding,
            WindowKind::Rolling => Window::Rolling { train: params.train_size },
        };
        let folds = Splitter { n_splits: params.steps, window, test_size: (params.test_size > 0).then_some(params.test_size) }.split(&data.info)?;
        run_folds(&self.catalog, &params.model, &data, folds, ctx)
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;
    use mlfactory_market::columns::{f64_column, ts_column};

    use super::*;
    use crate::cv::testing::{catalog, dataset};

    fn run(params: serde_json::Value) -> StageOutput {
        let stage = WalkForward::new(catalog());
        let params: Params = serde_json::from_value(stage.normalize(&params).unwrap()).unwrap();
        let progress = NullProgress;
        stage.run(&StageContext::new(0, &progress), &params, &StageInputs::new().with_table("dataset", dataset(200, 5))).unwrap()
    }

    #[test]
    fn trains_only_on_the_past_purged_of_labels_reaching_the_test_block() {
        for window in ["expanding", "rolling"] {
            let out = run(serde_json::json!({"model": {"type": "probe"}, "steps": 4, "window": window, "train_size": 60}));
            let Artifact::Table(t) = &out.artifacts["predictions"] else { panic!() };
            // 170 rows, test blocks of 170 / 5 = 34 rows at the end.
            assert_eq!(t.num_rows(), 4 * 34);
            assert!(f64_column(t, "p_short").unwrap().iter().all(|p| *p == 0.0), "{window}: trained on an overlapping row");
            assert!(ts_column(t, "ts").unwrap().windows(2).all(|w| w[0] < w[1]));
            let Artifact::Json(folds) = &out.artifacts["folds"] else { panic!() };
            let first_train = folds["folds"][0]["train_rows"].as_u64().unwrap();
            let last_train = folds["folds"][3]["train_rows"].as_u64().unwrap();
            if window == "expanding" {
                // 34 rows before the first block less 5 purged; the last: 136 less 5.
                assert_eq!((first_train, last_train), (29, 131));
            } else {
                assert!(first_train <= 60 && last_train <= 60);
            }
        }
    }

    #[test]
    fn rolling_needs_a_train_size() {
        assert!(WalkForward::new(catalog()).normalize(&serde_json::json!({"window": "rolling"})).is_err());
    }
}
