//! `voting`: weighted soft voting. Every member is fitted on the training split (the
//! validation split serves their early stopping), and the ensemble's probabilities are
//! the weighted mean of the members'.

use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{fit_members, load_members, member_probas, normalize_members, save_members};
use crate::catalog::{ModelCatalog, ModelKind, ModelSpec};
use crate::linear::ensure_features;
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::samples::Samples;
use crate::saved::SavedModel;

/// Params of `voting`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct VotingParams {
    /// The member models: `[{type, params}, …]`, any types of the catalog.
    pub members: Vec<ModelSpec>,
    /// One non-negative weight per member; empty = equal weights.
    pub weights: Vec<f64>,
}

impl Default for VotingParams {
    fn default() -> Self {
        Self { members: vec![ModelSpec::default(), ModelSpec { model_type: "gbdt".into(), params: serde_json::json!({}) }], weights: Vec::new() }
    }
}

/// The `voting` model type.
#[derive(Debug, Default)]
pub struct Voting;

impl ModelKind for Voting {
    type Params = VotingParams;
    const NAME: &'static str = "voting";
    const ABOUT: &'static str = "Soft voting: the weighted mean of its members' probabilities.";

    fn check(&self, p: &VotingParams, catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        normalize_members(&p.members, catalog, "members")?;
        if !p.weights.is_empty() && p.weights.len() != p.members.len() {
            return Err(ParamIssue::new(&["weights"], format!("{} weights for {} members", p.weights.len(), p.members.len()))
                .hint("one weight per member, or none for equal weights"));
        }
        if p.weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || (!p.weights.is_empty() && p.weights.iter().sum::<f64>() <= 0.0) {
            return Err(ParamIssue::new(&["weights"], "weights must be non-negative with a positive sum"));
        }
        Ok(())
    }

    fn canonical(&self, mut p: VotingParams, catalog: &ModelCatalog) -> Result<VotingParams, ParamIssue> {
        p.members = normalize_members(&p.members, catalog, "members")?;
        Ok(p)
    }

    fn build(&self, params: &VotingParams, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(VotingModel { params: params.clone(), catalog: catalog.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config = serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("voting model config: {e}")))?;
        let members = load_members(saved, &config.members, "member", catalog)?;
        Ok(Box::new(VotingModel { params: config.params, catalog: catalog.clone(), fitted: Some(Fitted { features: config.features, members }) }))
    }
}

#[derive(Serialize, Deserialize)]
struct Config {
    params: VotingParams,
    features: Vec<String>,
    members: serde_json::Value,
}

struct Fitted {
    features: Vec<String>,
    members: Vec<Box<dyn Model>>,
}

struct VotingModel {
    params: VotingParams,
    catalog: ModelCatalog,
    fitted: Option<Fitted>,
}

/// The weighted mean of member probabilities (`weights` empty: equal).
pub(crate) fn soft_vote(probas: &[Vec<Proba>], weights: &[f64]) -> Vec<Proba> {
    let n = probas.first().map_or(0, Vec::len);
    let w: Vec<f64> = if weights.is_empty() { vec![1.0; probas.len()] } else { weights.to_vec() };
    let total: f64 = w.iter().sum();
    (0..n)
        .map(|r| {
            let mut p = [0.0; 3];
            for (m, wm) in probas.iter().zip(&w) {
                p.iter_mut().zip(&m[r]).for_each(|(a, v)| *a += wm * v);
            }
            p.map(|v| v / total)
        })
        .collect()
}

impl Model for VotingModel {
    fn type_name(&self) -> &'static str {
        Voting::NAME
    }

    fn fit(&mut self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        let members = fit_members(&self.catalog, &self.params.members, train, valid, ctx, "voting")?;
        let mut report = FitReport::default();
        if let Some(v) = valid.filter(|v| !v.is_empty()) {
            let p = soft_vote(&member_probas(&members, v)?, &self.params.weights);
            report.valid_loss.push(crate::metrics::Metrics::compute(&v.y, &p).log_loss);
        }
        self.fitted = Some(Fitted { features: train.features.clone(), members });
        Ok(report)
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("voting model used before fitting"))?;
        ensure_features(Voting::NAME, &fitted.features, data)?;
        Ok(soft_vote(&member_probas(&fitted.members, data)?, &self.params.weights))
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("voting model saved before fitting"))?;
        let (saved, members) = save_members(SavedModel::new(Voting::NAME, serde_json::Value::Null), &fitted.members, "member")?;
        Ok(SavedModel { config: serde_json::json!({"params": self.params, "features": fitted.features, "members": members}), ..saved })
    }

    fn feature_importance(&self) -> Option<Vec<f64>> {
        // The weighted mean of the members' importances, each scaled to sum to 1.
        let fitted = self.fitted.as_ref()?;
        let w: Vec<f64> = if self.params.weights.is_empty() { vec![1.0; fitted.members.len()] } else { self.params.weights.clone() };
        let mut out = vec![0.0; fitted.features.len()];
        let mut any = false;
        for (m, wm) in fitted.members.iter().zip(&w) {
            if let Some(imp) = m.feature_importance() {
                let total: f64 = imp.iter().sum();
                if total > 0.0 {
                    any = true;
                    out.iter_mut().zip(imp).for_each(|(o, v)| *o += wm * v / total);
                }
            }
        }
        any.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::testdata::checkerboard;

    fn catalog() -> ModelCatalog {
        let mut c = ModelCatalog::new();
        crate::add_types(&mut c);
        c
    }

    #[test]
    fn averages_members_and_round_trips() {
        let c = catalog();
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({"type": "voting", "params": {
            "members": [{"type": "logistic"}, {"type": "gbdt", "params": {"num_rounds": 20}}], "weights": [1.0, 3.0]}}))
        .unwrap();
        let spec = c.normalize(&spec, &["model"]).unwrap();
        assert_eq!(spec.params["members"][1]["params"]["num_leaves"], 31, "member defaults are filled in");
        let (train, test) = (checkerboard(800, 1), checkerboard(200, 2));
        let mut m = c.build(&spec).unwrap();
        m.fit(&train, None, &FitContext::new(1, &NullProgress)).unwrap();
        let p = m.predict_proba(&test).unwrap();

        let mut lr = c.build(&c.normalize(&ModelSpec::default(), &[]).unwrap()).unwrap();
        lr.fit(&train, None, &FitContext::new(1, &NullProgress).child("voting-member-0")).unwrap();
        let q = lr.predict_proba(&test).unwrap();
        let mut gb =
            c.build(&c.normalize(&serde_json::from_value(serde_json::json!({"type": "gbdt", "params": {"num_rounds": 20}})).unwrap(), &[]).unwrap()).unwrap();
        gb.fit(&train, None, &FitContext::new(1, &NullProgress).child("voting-member-1")).unwrap();
        let g = gb.predict_proba(&test).unwrap();
        for r in 0..test.len() {
            for k in 0..3 {
                assert!((p[r][k] - (q[r][k] + 3.0 * g[r][k]) / 4.0).abs() < 1e-12);
            }
        }
        let bytes = m.save().unwrap().to_bytes().unwrap();
        let loaded = c.load(&SavedModel::from_bytes(&bytes).unwrap()).unwrap();
        assert_eq!(loaded.predict_proba(&test).unwrap(), p);
        assert_eq!(loaded.save().unwrap().to_bytes().unwrap(), bytes);
    }

    #[test]
    fn member_issues_point_inside_the_member() {
        let c = catalog();
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({"type": "voting", "params": {
            "members": [{"type": "logistic"}, {"type": "gbtd"}]}}))
        .unwrap();
        let issue = c.normalize(&spec, &["model"]).unwrap_err();
        assert_eq!(issue.path, ["model", "params", "members", "1", "type"]);
        assert_eq!(issue.hint.as_deref(), Some("did you mean `gbdt`?"));
        let spec: ModelSpec = serde_json::from_value(serde_json::json!({"type": "voting", "params": {
            "members": [{"type": "logistic", "params": {"l2": -1.0}}]}}))
        .unwrap();
        assert_eq!(c.normalize(&spec, &["model"]).unwrap_err().path, ["model", "params", "members", "0", "params", "l2"]);
    }
}
