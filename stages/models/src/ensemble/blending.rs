//! `blending`: members fitted on the earlier part of the training split, a meta-model
//! fitted on their probabilities over the latest `holdout` share of it.
//!
//! Training rows whose label window reaches into the holdout are purged from the
//! members' fit (the splitter library's purge), so the meta-model sees honest
//! out-of-sample probabilities. Cheaper than stacking (one member fit instead of
//! `folds`), at the price of a meta-model fitted on fewer rows. The members are then
//! refitted on the whole training split for prediction, as in stacking.

use mlfactory_engine::{ParamIssue, StageError};
use mlfactory_splits::splitter::train_positions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::normalize_members;
use super::stacking::{Config, Fitted, MetaEnsemble, Recipe, load_parts};
use crate::catalog::{ModelCatalog, ModelKind, ModelSpec};
use crate::folds::intervals;
use crate::model::Model;
use crate::samples::Samples;
use crate::saved::SavedModel;

/// Params of `blending`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BlendingParams {
    /// The member models: `[{type, params}, …]`, any types of the catalog.
    pub members: Vec<ModelSpec>,
    /// The meta-model fitted on the members' holdout probabilities.
    pub meta: ModelSpec,
    /// The latest share of the training split held out for the meta-model.
    pub holdout: f64,
    /// Also give the meta-model the original features.
    pub passthrough: bool,
}

impl Default for BlendingParams {
    fn default() -> Self {
        let gbdt = ModelSpec { model_type: "gbdt".into(), params: serde_json::json!({}) };
        Self { members: vec![ModelSpec::default(), gbdt], meta: ModelSpec::default(), holdout: 0.2, passthrough: false }
    }
}

/// The `blending` model type.
#[derive(Debug, Default)]
pub struct Blending;

impl ModelKind for Blending {
    type Params = BlendingParams;
    const NAME: &'static str = "blending";
    const ABOUT: &'static str = "Blending: a meta-model on the members' probabilities over a purged chronological holdout of the train split.";

    fn check(&self, p: &BlendingParams, catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        normalize_members(&p.members, catalog, "members")?;
        catalog.normalize(&p.meta, &["meta"])?;
        if !(p.holdout > 0.0 && p.holdout < 1.0) {
            return Err(
                ParamIssue::new(&["holdout"], format!("must be in (0, 1), got {}", p.holdout)).hint("0.2 holds out the latest fifth of the training split")
            );
        }
        Ok(())
    }

    fn canonical(&self, mut p: BlendingParams, catalog: &ModelCatalog) -> Result<BlendingParams, ParamIssue> {
        p.members = normalize_members(&p.members, catalog, "members")?;
        p.meta = catalog.normalize(&p.meta, &["meta"])?;
        Ok(p)
    }

    fn build(&self, params: &BlendingParams, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(MetaEnsemble { kind: Blending::NAME, params: Recipe::Blending(params.clone()), catalog: catalog.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config<BlendingParams> =
            serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("blending model config: {e}")))?;
        let passthrough = config.params.passthrough;
        let (members, meta) = load_parts(saved, &config, catalog)?;
        Ok(Box::new(MetaEnsemble {
            kind: Blending::NAME,
            params: Recipe::Blending(config.params),
            catalog: catalog.clone(),
            fitted: Some(Fitted { features: config.features, members, meta, passthrough }),
        }))
    }
}

/// The members' rows (purged of labels reaching into the holdout) and the holdout's rows
/// (the latest `share` of `train`).
pub(crate) fn holdout_split(train: &Samples, share: f64) -> Result<(Vec<usize>, Vec<usize>), StageError> {
    let n = train.len();
    let held = ((share * n as f64).round() as usize).clamp(1, n.saturating_sub(1));
    let holdout: Vec<usize> = (n - held..n).collect();
    let head = train_positions(&intervals(train), &holdout, 0);
    if head.is_empty() || n < 2 {
        return Err(StageError::data_hint(
            format!("blending has no rows left for its members ({n} training rows, holdout {share})"),
            "lower `holdout` or widen the train split",
        ));
    }
    Ok((head, holdout))
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::metrics::Metrics;
    use crate::model::FitContext;
    use crate::testdata::checkerboard;

    #[test]
    fn holds_out_the_latest_rows_and_purges_overlaps() {
        let mut s = checkerboard(100, 1);
        s.t1 = s.ts.iter().map(|t| t + 3 * 60).collect();
        let (head, holdout) = holdout_split(&s, 0.2).unwrap();
        assert_eq!(holdout, (80..100).collect::<Vec<_>>());
        assert_eq!(head, (0..77).collect::<Vec<_>>(), "rows 77..80 end inside the holdout");
    }

    #[test]
    fn blends_and_round_trips() {
        let mut c = ModelCatalog::new();
        crate::add_types(&mut c);
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({"type": "blending", "params": {
            "members": [{"type": "random_forest", "params": {"n_trees": 20}}, {"type": "logistic"}], "holdout": 0.3}}))
        .unwrap();
        let spec = c.normalize(&spec, &["model"]).unwrap();
        let (train, test) = (checkerboard(1500, 1), checkerboard(500, 3));
        let mut m = c.build(&spec).unwrap();
        m.fit(&train, None, &FitContext::new(5, &NullProgress)).unwrap();
        let p = m.predict_proba(&test).unwrap();
        assert!(Metrics::compute(&test.y, &p).accuracy > 0.85);
        let bytes = m.save().unwrap().to_bytes().unwrap();
        assert_eq!(c.load(&SavedModel::from_bytes(&bytes).unwrap()).unwrap().predict_proba(&test).unwrap(), p);
    }
}
