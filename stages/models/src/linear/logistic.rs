//! `logistic`: multinomial logistic regression with an L2 penalty, fitted by L-BFGS.
//!
//! Minimises `sum_i w_i * CE_i / sum_i w_i + l2/2 * ||coef||^2` over one coefficient row
//! and intercept per class (the symmetric softmax parameterisation; intercepts are not
//! penalised), on features standardised with the training split's mean and deviation. The
//! objective is strictly convex for `l2 > 0`, so the solution is unique and the solver's
//! path deterministic (row chunks reduced in a fixed order).
//!
//! scikit-learn's `LogisticRegression(C=...)` minimises `C * sum_i CE_i + ||coef||^2 / 2`:
//! the same optimum as `l2 = 1 / (C * n_rows)`.

use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lbfgs::Lbfgs;
use super::{ClassWeight, RawLinear, Standardizer, ensure_features};
use crate::catalog::{ModelCatalog, ModelKind};
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::parallel::{map_rows, sum_rows};
use crate::samples::{Class, Samples};
use crate::saved::{SavedModel, Tensor};

const K: usize = Class::COUNT;

/// Params of `logistic`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LogisticParams {
    /// L2 penalty on the standardised coefficients, per unit of mean log loss
    /// (scikit-learn's `C` corresponds to `1 / (C * rows)`).
    pub l2: f64,
    /// L-BFGS iteration cap.
    pub max_iter: usize,
    /// Stop once every gradient component is below this.
    pub tol: f64,
    /// `none` (sample weights only) or `balanced` (also inverse class frequency).
    pub class_weight: ClassWeight,
    /// Standardise features with the training split's mean and deviation before fitting
    /// (the penalty then treats features alike; turn off only for pre-scaled features
    /// whose scale you want the penalty to see).
    pub standardize: bool,
}

impl Default for LogisticParams {
    fn default() -> Self {
        Self { l2: 1e-4, max_iter: 200, tol: 1e-6, class_weight: ClassWeight::None, standardize: true }
    }
}

/// The `logistic` model type.
#[derive(Debug, Default)]
pub struct Logistic;

impl ModelKind for Logistic {
    type Params = LogisticParams;
    const NAME: &'static str = "logistic";
    const ABOUT: &'static str = "Multinomial logistic regression with an L2 penalty (L-BFGS, standardised features).";

    fn check(&self, p: &LogisticParams, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        check_common(p.l2, p.max_iter, p.tol)
    }

    fn build(&self, params: &LogisticParams, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(LogisticModel { params: params.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config = serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("logistic model config: {e}")))?;
        let std = Standardizer::load(saved)?;
        let fitted = Fitted::new(config.features, std, saved.f64s("coef")?.to_vec(), saved.f64s("intercept")?.to_vec())?;
        Ok(Box::new(LogisticModel { params: config.params, fitted: Some(fitted) }))
    }
}

/// Range checks shared by the linear models.
pub(crate) fn check_common(l2: f64, max_iter: usize, tol: f64) -> Result<(), ParamIssue> {
    if !(l2.is_finite() && l2 > 0.0) {
        return Err(ParamIssue::new(&["l2"], format!("must be a positive number, got {l2}")).hint("1e-4 is a mild penalty; larger values shrink harder"));
    }
    if max_iter == 0 {
        return Err(ParamIssue::new(&["max_iter"], "must be at least 1"));
    }
    if !(tol.is_finite() && tol > 0.0) {
        return Err(ParamIssue::new(&["tol"], format!("must be a positive number, got {tol}")));
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Config {
    params: LogisticParams,
    features: Vec<String>,
}

#[derive(Clone, Debug)]
struct Fitted {
    features: Vec<String>,
    std: Standardizer,
    coef: Vec<f64>,
    intercept: Vec<f64>,
    raw: RawLinear,
}

impl Fitted {
    fn new(features: Vec<String>, std: Standardizer, coef: Vec<f64>, intercept: Vec<f64>) -> Result<Self, StageError> {
        let d = features.len();
        if coef.len() != K * d || intercept.len() != K || std.mean.len() != d {
            return Err(StageError::data(format!("logistic model tensors do not fit {d} features")));
        }
        let raw = RawLinear::fold(&coef, &intercept, &std);
        Ok(Self { features, std, coef, intercept, raw })
    }
}

struct LogisticModel {
    params: LogisticParams,
    fitted: Option<Fitted>,
}

/// Softmax of `z` in place; returns log-sum-exp.
pub(crate) fn softmax(z: &mut [f64]) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
    max + sum.ln()
}

impl Model for LogisticModel {
    fn type_name(&self) -> &'static str {
        Logistic::NAME
    }

    fn fit(&mut self, train: &Samples, valid: Option<&Samples>, ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        if train.is_empty() {
            return Err(StageError::data_hint("the training split has no rows", "check the `splits` stage's fractions"));
        }
        let d = train.n_features();
        let std = if self.params.standardize { Standardizer::fit(train) } else { Standardizer::identity(d) };
        let w = self.params.class_weight.row_weights(train);
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return Err(StageError::data_hint("training rows have zero total weight", "check the dataset's `weight` column"));
        }
        let l2 = self.params.l2;
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let raw = RawLinear::fold(&theta[..K * d], &theta[K * d..], &std);
            // acc: [loss, A (K x d) = sum r_ik x_ij, B (K) = sum r_ik]
            let acc = sum_rows(train.len(), 1 + K * d + K, |rows, acc| {
                let mut z = [0.0; K];
                for i in rows {
                    let x = train.row(i);
                    raw.scores(x, &mut z);
                    let y = train.y[i] as usize;
                    let zy = z[y];
                    let lse = softmax(&mut z);
                    acc[0] += w[i] * (lse - zy);
                    for k in 0..K {
                        let r = w[i] * (z[k] - if k == y { 1.0 } else { 0.0 });
                        let base = 1 + k * d;
                        let a = &mut acc[base..base + d];
                        a.iter_mut().zip(x).for_each(|(a, &v)| *a += r * f64::from(v));
                        acc[1 + K * d + k] += r;
                    }
                }
            });
            std.finish_objective(&acc, theta, grad, total, l2)
        };
        let solver = Lbfgs { max_iter: self.params.max_iter, tol: self.params.tol, memory: 10 };
        let solution = solver.minimize(objective, vec![0.0; K * d + K]);
        if !solution.converged {
            ctx.log(format!("logistic: L-BFGS stopped after {} iterations before reaching `tol` {}", solution.iterations, self.params.tol));
        }
        let coef = solution.x[..K * d].to_vec();
        let intercept = solution.x[K * d..].to_vec();
        self.fitted = Some(Fitted::new(train.features.clone(), std, coef, intercept)?);
        let valid_loss = match valid {
            Some(v) if !v.is_empty() => vec![crate::metrics::Metrics::compute(&v.y, &self.predict_proba(v)?).log_loss],
            _ => Vec::new(),
        };
        Ok(FitReport { iterations: solution.iterations, train_loss: solution.trace, valid_loss, best_iteration: None })
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("logistic model used before fitting"))?;
        ensure_features(Logistic::NAME, &fitted.features, data)?;
        Ok(map_rows(data.len(), |rows| {
            rows.map(|i| {
                let mut z = [0.0; K];
                fitted.raw.scores(data.row(i), &mut z);
                softmax(&mut z);
                z
            })
            .collect()
        }))
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("logistic model saved before fitting"))?;
        let d = fitted.features.len();
        let config = serde_json::json!({"params": self.params, "features": fitted.features});
        let saved = SavedModel::new(Logistic::NAME, config)
            .with("coef", Tensor::f64(vec![K, d], fitted.coef.clone()))
            .with("intercept", Tensor::f64(vec![K], fitted.intercept.clone()));
        Ok(fitted.std.save_into(saved))
    }

    fn feature_importance(&self) -> Option<Vec<f64>> {
        // Mean absolute standardised coefficient across classes.
        let fitted = self.fitted.as_ref()?;
        let d = fitted.features.len();
        Some((0..d).map(|j| (0..K).map(|k| fitted.coef[k * d + j].abs()).sum::<f64>() / K as f64).collect())
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::testdata::blobs;

    #[test]
    fn separates_blobs_and_round_trips() {
        let train = blobs(600, 1);
        let test = blobs(300, 2);
        let catalog = ModelCatalog::new();
        let mut model = Logistic.build(&LogisticParams::default(), &catalog).unwrap();
        let report = model.fit(&train, Some(&test), &FitContext::new(7, &NullProgress)).unwrap();
        assert!(report.iterations > 0 && report.train_loss.windows(2).all(|w| w[1] <= w[0]));
        let p = model.predict_proba(&test).unwrap();
        let m = crate::metrics::Metrics::compute(&test.y, &p);
        // The blobs overlap: the Bayes accuracy is about 0.9.
        assert!(m.accuracy > 0.85, "{m:?}");
        assert!(p.iter().all(|r| (r.iter().sum::<f64>() - 1.0).abs() < 1e-12));
        let bytes = model.save().unwrap().to_bytes().unwrap();
        let loaded = Logistic.load(&SavedModel::from_bytes(&bytes).unwrap(), &catalog).unwrap();
        assert_eq!(loaded.predict_proba(&test).unwrap(), p);
        assert_eq!(loaded.save().unwrap().to_bytes().unwrap(), bytes);
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn gradient_is_zero_at_the_optimum() {
        // At the L2-penalised optimum, d/dcoef = 0: sum_i r_ik x_ij / n = -l2 * coef_kj.
        let train = blobs(400, 3);
        let mut model = LogisticModel { params: LogisticParams { l2: 1e-2, tol: 1e-10, max_iter: 1000, ..Default::default() }, fitted: None };
        model.fit(&train, None, &FitContext::new(0, &NullProgress)).unwrap();
        let f = model.fitted.as_ref().unwrap();
        let p = model.predict_proba(&train).unwrap();
        let d = train.n_features();
        for k in 0..K {
            let b: f64 = (0..train.len()).map(|i| p[i][k] - f64::from(u8::from(train.y[i] as usize == k))).sum::<f64>() / train.len() as f64;
            assert!(b.abs() < 1e-7, "intercept gradient {b}");
            for j in 0..d {
                let g: f64 = (0..train.len())
                    .map(|i| (p[i][k] - f64::from(u8::from(train.y[i] as usize == k))) * (f64::from(train.row(i)[j]) - f.std.mean[j]) / f.std.scale[j])
                    .sum::<f64>()
                    / train.len() as f64;
                assert!((g + 1e-2 * f.coef[k * d + j]).abs() < 1e-7, "coef gradient {g}");
            }
        }
    }

    #[test]
    fn rejects_bad_params_and_mismatched_features() {
        let catalog = ModelCatalog::new();
        assert_eq!(Logistic.check(&LogisticParams { l2: 0.0, ..Default::default() }, &catalog).unwrap_err().path, ["l2"]);
        let mut model = Logistic.build(&LogisticParams::default(), &catalog).unwrap();
        let train = blobs(100, 1);
        model.fit(&train, None, &FitContext::new(0, &NullProgress)).unwrap();
        let mut other = train.clone();
        other.features[0] = "renamed".into();
        assert!(model.predict_proba(&other).unwrap_err().to_string().contains("missing: [f0]"));
    }
}
