//! `validate.purged_kfold`: purged, embargoed k-fold cross-validation with out-of-fold
//! predictions.

use std::sync::Arc;

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_models::{ModelCatalog, ModelSpec};
use mlfactory_splits::scale::Method;
use mlfactory_splits::splitter::PurgedKFold as Splitter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cv::{CvData, development_splits, normalize_model, run_folds};

/// Purged k-fold cross-validation.
#[derive(Debug)]
pub struct PurgedKFold {
    catalog: Arc<ModelCatalog>,
}

impl PurgedKFold {
    pub fn new(catalog: Arc<ModelCatalog>) -> Self {
        Self { catalog }
    }
}

/// `validate.purged_kfold` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The model trained on each fold (`{type, params}`, any type of the catalog).
    pub model: ModelSpec,
    /// Number of folds k (contiguous, numpy `array_split`).
    pub folds: usize,
    /// Embargo after each test fold as a fraction of the rows (AFML's `pct_embargo`:
    /// `int(n * pct)` rows).
    pub embargo_pct: f64,
    /// The dataset splits cross-validated (the held-out `test` split stays out by default).
    pub splits: Vec<String>,
    /// Scaling fitted on each fold's training rows only and applied to the fold
    /// (`robust`, `standard`, `min_max`); omit for features as they are. Use it instead of
    /// a `scale` stage upstream, whose statistics would come from rows the folds test on.
    pub scale: Option<Method>,
}

impl Default for Params {
    fn default() -> Self {
        Self { model: ModelSpec::default(), folds: 5, embargo_pct: 0.01, splits: development_splits(), scale: None }
    }
}

impl Stage for PurgedKFold {
    type Params = Params;
    const KIND: &'static str = "validate.purged_kfold";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Purged, embargoed k-fold cross-validation: a model per fold, out-of-fold predictions and per-fold metrics.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("dataset", "a `dataset` table (ts, t1, split, label, ret, weight + features)")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("predictions", Format::Parquet, "out-of-fold predictions (split `oof`) with a `fold` column"),
        OutputSlot::new("folds", Format::Json, "per fold: rows trained, tested and dropped, test metrics; overall out-of-fold metrics"),
    ];

    fn canonical(&self, mut params: Params) -> Result<Params, ParamIssue> {
        self.check(&params)?;
        params.model = normalize_model(&self.catalog, &params.model)?;
        Ok(params)
    }

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.folds < 2 {
            return Err(ParamIssue::new(&["folds"], format!("at least 2 folds, got {}", p.folds)));
        }
        if !(0.0..0.5).contains(&p.embargo_pct) {
            return Err(ParamIssue::new(&["embargo_pct"], format!("a fraction in [0, 0.5), got {}", p.embargo_pct)));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let data = CvData::load(inputs.table("dataset")?, &params.splits)?.scaled_per_fold(params.scale);
        let folds = Splitter::new(params.folds).with_embargo_pct(data.len(), params.embargo_pct).split(&data.info)?;
        run_folds(&self.catalog, &params.model, &data, folds, ctx)
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;
    use mlfactory_market::columns::{f64_column, str_column};

    use super::*;
    use crate::cv::testing::{catalog, dataset};

    fn run(params: serde_json::Value, seed: u64) -> StageOutput {
        let stage = PurgedKFold::new(catalog());
        let params: Params = serde_json::from_value(stage.normalize(&params).unwrap()).unwrap();
        let progress = NullProgress;
        stage.run(&StageContext::new(seed, &progress), &params, &StageInputs::new().with_table("dataset", dataset(200, 5))).unwrap()
    }

    /// Leakage: the probe model flags any predicted row whose label interval overlaps one
    /// it trained on; with purging no out-of-fold row is flagged.
    #[test]
    fn out_of_fold_rows_never_overlap_their_training_rows() {
        let out = run(serde_json::json!({"model": {"type": "probe"}, "folds": 5, "embargo_pct": 0.02}), 1);
        let Artifact::Table(t) = &out.artifacts["predictions"] else { panic!() };
        // 170 development rows (train + val), each predicted exactly once.
        assert_eq!(t.num_rows(), 170);
        assert!(f64_column(t, "p_short").unwrap().iter().all(|p| *p == 0.0), "a fold trained on a row overlapping its test rows");
        assert!(str_column(t, "split").unwrap().iter().all(|s| s.as_deref() == Some("oof")));
        assert_eq!(f64_column(t, "fold").unwrap()[169], 4.0);
        let Artifact::Json(folds) = &out.artifacts["folds"] else { panic!() };
        // Fold 1 tests rows 34..68: 5 rows before it purged (labels span 5 hours), 5 after
        // it (68..73), and the int(170 x 0.02) = 3 rows from 72 (the first starting at or
        // after the block's last t1) embargoed: 73 and 74 more.
        assert_eq!(folds["folds"][1]["test_rows"], 34);
        assert_eq!(folds["folds"][1]["dropped_rows"], 5 + 5 + 2);
    }

    #[test]
    fn learns_and_is_deterministic() {
        let a = run(serde_json::json!({"model": {"type": "logistic"}, "folds": 4}), 3);
        let b = run(serde_json::json!({"model": {"type": "logistic"}, "folds": 4}), 3);
        assert!(a.metrics["oof_accuracy"].as_f64().unwrap() > 0.6, "{:?}", a.metrics);
        let (Artifact::Table(ta), Artifact::Table(tb)) = (&a.artifacts["predictions"], &b.artifacts["predictions"]) else { panic!() };
        assert_eq!(ta, tb);
    }

    #[test]
    fn checks_params_and_the_model() {
        let stage = PurgedKFold::new(catalog());
        assert!(stage.normalize(&serde_json::json!({"folds": 1})).is_err());
        let issue = stage.normalize(&serde_json::json!({"model": {"type": "logistc"}})).unwrap_err();
        assert_eq!(issue.path, ["model", "type"]);
    }

    /// shared/reference/finml/purged_kfold: every (k, embargo) configuration of every
    /// case gives the training-set sizes of the closed-overlap reference (which
    /// timeseriescv's `CombPurgedKFoldCV(n_test_splits=1)` reproduces), and no fold
    /// trains on a row overlapping its test rows.
    #[test]
    fn agrees_with_finml_purged_kfold_goldens() {
        let Some(dir) = mlfactory_market::reference::dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), "agrees_with_finml_purged_kfold_goldens") else {
            return;
        };
        let mut checked = 0;
        for case in ["mlfinlab_infosets_20", "mlfinlab_infosets_100", "real_h005_meta_momentum", "synth42_bars60_pt1_sl1"] {
            let case_dir = dir.join("finml/purged_kfold").join(case);
            let golden: serde_json::Value = serde_json::from_slice(&std::fs::read(case_dir.join("splits.json")).unwrap()).unwrap();
            let table = crate::cv::goldens::dataset(&case_dir.join("t1.csv"));
            for config in golden["configs"].as_array().unwrap() {
                let stage = PurgedKFold::new(catalog());
                let params =
                    serde_json::json!({"model": {"type": "probe"}, "folds": config["n_splits"], "embargo_pct": config["pct_embargo"], "splits": ["train"]});
                let params: Params = serde_json::from_value(stage.normalize(&params).unwrap()).unwrap();
                let progress = NullProgress;
                let out = stage.run(&StageContext::new(0, &progress), &params, &StageInputs::new().with_table("dataset", table.clone())).unwrap();
                let Artifact::Json(folds) = &out.artifacts["folds"] else { panic!() };
                let want = &config["train_sizes"]["own_closed_overlap_purge_plus_embargo"];
                let got: Vec<u64> = folds["folds"].as_array().unwrap().iter().map(|f| f["train_rows"].as_u64().unwrap()).collect();
                assert_eq!(serde_json::json!(got), *want, "{case} {config}", config = config["n_splits"]);
                let Artifact::Table(t) = &out.artifacts["predictions"] else { panic!() };
                assert!(f64_column(t, "p_short").unwrap().iter().all(|p| *p == 0.0), "{case}: leak");
                checked += 1;
            }
        }
        assert!(checked >= 8, "{checked} configurations");
    }
}
