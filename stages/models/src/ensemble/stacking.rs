//! `stacking`: a meta-model fitted on the members' out-of-fold probabilities.
//!
//! The training split is cut into `folds` chronological folds by the purged k-fold
//! splitter (`mlfactory-splits`): for each fold, fresh members are fitted on the rows
//! left after purging labels that overlap the fold (and embargoing `embargo` rows after
//! it), and predict the fold; sequence members see their windows cut at the purged gap
//! (`Samples::select`). The meta-model (`logistic` by default, or any type, e.g.
//! `gbdt`) learns from these out-of-fold probabilities, never from in-sample ones, which
//! would teach it to trust overfitted members. The members are then refitted on the
//! whole training split for prediction.

use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{fit_members, load_members, member_probas, meta_samples, normalize_members, save_members};
use crate::catalog::{ModelCatalog, ModelKind, ModelSpec};
use crate::folds::purged_kfold;
use crate::linear::ensure_features;
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::samples::Samples;
use crate::saved::SavedModel;

/// Params of `stacking`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StackingParams {
    /// The member models: `[{type, params}, …]`, any types of the catalog.
    pub members: Vec<ModelSpec>,
    /// The meta-model fitted on the members' out-of-fold probabilities.
    pub meta: ModelSpec,
    /// Purged k-fold folds for the out-of-fold probabilities (at least 2).
    pub folds: usize,
    /// Training rows embargoed after each fold.
    pub embargo: usize,
    /// Also give the meta-model the original features.
    pub passthrough: bool,
}

impl Default for StackingParams {
    fn default() -> Self {
        let gbdt = ModelSpec { model_type: "gbdt".into(), params: serde_json::json!({}) };
        Self { members: vec![ModelSpec::default(), gbdt], meta: ModelSpec::default(), folds: 5, embargo: 0, passthrough: false }
    }
}

/// The `stacking` model type.
#[derive(Debug, Default)]
pub struct Stacking;

impl ModelKind for Stacking {
    type Params = StackingParams;
    const NAME: &'static str = "stacking";
    const ABOUT: &'static str = "Stacking: a meta-model (logistic, gbdt, …) on the members' purged k-fold out-of-fold probabilities.";

    fn check(&self, p: &StackingParams, catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        normalize_members(&p.members, catalog, "members")?;
        catalog.normalize(&p.meta, &["meta"])?;
        if p.folds < 2 {
            return Err(ParamIssue::new(&["folds"], format!("must be at least 2, got {}", p.folds)));
        }
        Ok(())
    }

    fn canonical(&self, mut p: StackingParams, catalog: &ModelCatalog) -> Result<StackingParams, ParamIssue> {
        p.members = normalize_members(&p.members, catalog, "members")?;
        p.meta = catalog.normalize(&p.meta, &["meta"])?;
        Ok(p)
    }

    fn build(&self, params: &StackingParams, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(MetaEnsemble { kind: Stacking::NAME, params: Recipe::Stacking(params.clone()), catalog: catalog.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config<StackingParams> =
            serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("stacking model config: {e}")))?;
        let passthrough = config.params.passthrough;
        let (members, meta) = load_parts(saved, &config, catalog)?;
        Ok(Box::new(MetaEnsemble {
            kind: Stacking::NAME,
            params: Recipe::Stacking(config.params),
            catalog: catalog.clone(),
            fitted: Some(Fitted { features: config.features, members, meta, passthrough }),
        }))
    }
}

/// How a meta-ensemble gets the rows its meta-model learns from.
#[derive(Clone, Debug)]
pub(crate) enum Recipe {
    Stacking(StackingParams),
    Blending(super::blending::BlendingParams),
}

impl Recipe {
    fn members(&self) -> &[ModelSpec] {
        match self {
            Self::Stacking(p) => &p.members,
            Self::Blending(p) => &p.members,
        }
    }
    fn meta(&self) -> &ModelSpec {
        match self {
            Self::Stacking(p) => &p.meta,
            Self::Blending(p) => &p.meta,
        }
    }
    fn passthrough(&self) -> bool {
        match self {
            Self::Stacking(p) => p.passthrough,
            Self::Blending(p) => p.passthrough,
        }
    }
    fn params_json(&self) -> serde_json::Value {
        match self {
            Self::Stacking(p) => serde_json::to_value(p),
            Self::Blending(p) => serde_json::to_value(p),
        }
        .unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Config<P> {
    pub params: P,
    pub features: Vec<String>,
    pub members: serde_json::Value,
    pub meta: serde_json::Value,
}

/// Members and meta-model of a saved meta-ensemble.
type Parts = (Vec<Box<dyn Model>>, Box<dyn Model>);

pub(crate) fn load_parts<P>(saved: &SavedModel, config: &Config<P>, catalog: &ModelCatalog) -> Result<Parts, StageError> {
    let members = load_members(saved, &config.members, "member", catalog)?;
    let mut meta = load_members(saved, &serde_json::Value::Array(vec![config.meta.clone()]), "meta", catalog)?;
    Ok((members, meta.remove(0)))
}

pub(crate) struct Fitted {
    pub features: Vec<String>,
    pub members: Vec<Box<dyn Model>>,
    pub meta: Box<dyn Model>,
    pub passthrough: bool,
}

/// Stacking and blending: members, then a meta-model on their probabilities.
pub(crate) struct MetaEnsemble {
    pub kind: &'static str,
    pub params: Recipe,
    pub catalog: ModelCatalog,
    pub fitted: Option<Fitted>,
}

impl MetaEnsemble {
    /// Out-of-fold member probabilities for every training row (stacking), or the
    /// holdout's rows and their probabilities from members fitted before it (blending).
    fn meta_training(&self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<(Samples, Vec<Vec<Proba>>), StageError> {
        let specs = self.params.members();
        match &self.params {
            Recipe::Stacking(p) => {
                let mut oof: Vec<Vec<Proba>> = vec![vec![[0.0; 3]; train.len()]; specs.len()];
                for (f, fold) in purged_kfold(train, p.folds, p.embargo)?.into_iter().enumerate() {
                    if fold.train.is_empty() {
                        return Err(StageError::data_hint(format!("stacking fold {f} has no training rows left after purging"), "lower `folds` or `embargo`"));
                    }
                    let members = fit_members(&self.catalog, specs, &train.select(&fold.train), valid, ctx, &format!("fold-{f}"))?;
                    let held = train.select(&fold.test);
                    for (m, probas) in member_probas(&members, &held)?.into_iter().enumerate() {
                        fold.test.iter().zip(probas).for_each(|(&r, p)| oof[m][r] = p);
                    }
                }
                Ok((train.clone(), oof))
            }
            Recipe::Blending(p) => {
                let (head, holdout) = super::blending::holdout_split(train, p.holdout)?;
                let members = fit_members(&self.catalog, specs, &train.select(&head), valid, ctx, "blend")?;
                let held = train.select(&holdout);
                let probas = member_probas(&members, &held)?;
                Ok((held, probas))
            }
        }
    }
}

impl Model for MetaEnsemble {
    fn type_name(&self) -> &'static str {
        self.kind
    }

    fn fit(&mut self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        let specs = self.params.members().to_vec();
        let passthrough = self.params.passthrough();
        let (meta_rows, probas) = self.meta_training(train, valid, ctx)?;
        let meta_train = meta_samples(&meta_rows, &specs, &probas, passthrough);
        let members = fit_members(&self.catalog, &specs, train, valid, ctx, "final")?;
        let meta_valid = match valid.filter(|v| !v.is_empty()) {
            Some(v) => Some(meta_samples(v, &specs, &member_probas(&members, v)?, passthrough)),
            None => None,
        };
        let mut meta = self.catalog.build(self.params.meta())?;
        let report = meta.fit(&meta_train, meta_valid.as_ref(), &ctx.child("meta"))?;
        self.fitted = Some(Fitted { features: train.features.clone(), members, meta, passthrough });
        Ok(report)
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal(format!("{} model used before fitting", self.kind)))?;
        ensure_features(self.kind, &fitted.features, data)?;
        let probas = member_probas(&fitted.members, data)?;
        fitted.meta.predict_proba(&meta_samples(data, self.params.members(), &probas, fitted.passthrough))
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal(format!("{} model saved before fitting", self.kind)))?;
        let (saved, members) = save_members(SavedModel::new(self.kind, serde_json::Value::Null), &fitted.members, "member")?;
        let (saved, meta) = save_members(saved, std::slice::from_ref(&fitted.meta), "meta")?;
        let meta = meta.as_array().and_then(|a| a.first().cloned()).unwrap_or(serde_json::Value::Null);
        let config = serde_json::json!({"params": self.params.params_json(), "features": fitted.features, "members": members, "meta": meta});
        Ok(SavedModel { config, ..saved })
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::metrics::Metrics;
    use crate::testdata::checkerboard;

    #[test]
    fn stacks_out_of_fold_probabilities_and_round_trips() {
        let mut c = ModelCatalog::new();
        crate::add_types(&mut c);
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({"type": "stacking", "params": {
            "members": [{"type": "logistic"}, {"type": "gbdt", "params": {"num_rounds": 30, "learning_rate": 0.2}}],
            "meta": {"type": "logistic"}, "folds": 3}}))
        .unwrap();
        let spec = c.normalize(&spec, &["model"]).unwrap();
        let (train, valid, test) = (checkerboard(1500, 1), checkerboard(300, 2), checkerboard(500, 3));
        let mut m = c.build(&spec).unwrap();
        m.fit(&train, Some(&valid), &FitContext::new(5, &NullProgress)).unwrap();
        let p = m.predict_proba(&test).unwrap();
        let metrics = Metrics::compute(&test.y, &p);
        // The meta-model learns to trust the trees over the linear member on this problem.
        assert!(metrics.accuracy > 0.85, "{metrics:?}");
        let bytes = m.save().unwrap().to_bytes().unwrap();
        let loaded = c.load(&SavedModel::from_bytes(&bytes).unwrap()).unwrap();
        assert_eq!(loaded.predict_proba(&test).unwrap(), p);
        let mut again = c.build(&spec).unwrap();
        again.fit(&train, Some(&valid), &FitContext::new(5, &NullProgress)).unwrap();
        assert_eq!(again.save().unwrap().to_bytes().unwrap(), bytes);
    }
}
