//! `svm`: a linear support vector machine (one-vs-rest, squared hinge loss, L2 penalty,
//! fitted by L-BFGS on standardised features) with Platt-calibrated probabilities.
//!
//! Per class `k`, minimises `sum_i w_i max(0, 1 - t_ik s_ik)^2 / sum_i w_i + l2/2 ||coef_k||^2`
//! with `t_ik = +1` for rows of class `k`, else `-1` (scikit-learn's `LinearSVC` loss;
//! its `C` corresponds to `l2 = 1 / (C * rows)`).
//!
//! Probabilities: as scikit-learn's `CalibratedClassifierCV(method="sigmoid",
//! ensemble=False)`, a sigmoid `1 / (1 + exp(a s + b))` per class is fitted (Platt's
//! smoothed targets) on out-of-fold decision values, and the three are normalised to sum
//! to 1. The folds are chronological blocks of the training split, and rows whose label
//! window `[ts, t1]` overlaps a held-out block are purged from its fit, so calibration
//! sees no leaked labels. The final SVM is then refitted on the whole training split.

use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lbfgs::Lbfgs;
use super::logistic::check_common;
use super::{ClassWeight, RawLinear, Standardizer, ensure_features};
use crate::catalog::{ModelCatalog, ModelKind};
use crate::folds::purged_kfold;
use crate::model::{FitContext, FitReport, Model, Proba};
use crate::parallel::{map_rows, sum_rows};
use crate::samples::{Class, Samples};
use crate::saved::{SavedModel, Tensor};

const K: usize = Class::COUNT;

/// Params of `svm`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SvmParams {
    /// L2 penalty on the standardised coefficients, per unit of mean squared hinge loss
    /// (scikit-learn's `C` corresponds to `1 / (C * rows)`).
    pub l2: f64,
    /// L-BFGS iteration cap (per fit: one per calibration fold, then the final one).
    pub max_iter: usize,
    /// Stop once every gradient component is below this.
    pub tol: f64,
    /// `none` (sample weights only) or `balanced` (also inverse class frequency).
    pub class_weight: ClassWeight,
    /// Chronological folds whose out-of-fold decision values fit the probability
    /// calibrators (at least 2).
    pub calibration_folds: usize,
    /// Standardise features with the training rows' mean and deviation.
    pub standardize: bool,
}

impl Default for SvmParams {
    fn default() -> Self {
        Self { l2: 1e-4, max_iter: 200, tol: 1e-6, class_weight: ClassWeight::None, calibration_folds: 3, standardize: true }
    }
}

/// The `svm` model type.
#[derive(Debug, Default)]
pub struct Svm;

impl ModelKind for Svm {
    type Params = SvmParams;
    const NAME: &'static str = "svm";
    const ABOUT: &'static str = "Linear SVM (one-vs-rest squared hinge, L2) with Platt probabilities fitted on purged out-of-fold scores.";

    fn check(&self, p: &SvmParams, _catalog: &ModelCatalog) -> Result<(), ParamIssue> {
        check_common(p.l2, p.max_iter, p.tol)?;
        if p.calibration_folds < 2 {
            return Err(ParamIssue::new(&["calibration_folds"], format!("must be at least 2, got {}", p.calibration_folds)));
        }
        Ok(())
    }

    fn build(&self, params: &SvmParams, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        Ok(Box::new(SvmModel { params: params.clone(), fitted: None }))
    }

    fn load(&self, saved: &SavedModel, _catalog: &ModelCatalog) -> Result<Box<dyn Model>, StageError> {
        let config: Config = serde_json::from_value(saved.config.clone()).map_err(|e| StageError::data(format!("svm model config: {e}")))?;
        let d = config.features.len();
        let std = Standardizer::load(saved)?;
        let (coef, intercept, platt) = (saved.f64s("coef")?, saved.f64s("intercept")?, saved.f64s("platt")?);
        if coef.len() != K * d || intercept.len() != K || platt.len() != 2 * K || std.mean.len() != d {
            return Err(StageError::data(format!("svm model tensors do not fit {d} features")));
        }
        let linear = Linear { std, coef: coef.to_vec(), intercept: intercept.to_vec() };
        let platt = std::array::from_fn(|k| [platt[2 * k], platt[2 * k + 1]]);
        Ok(Box::new(SvmModel { params: config.params, fitted: Some(Fitted { features: config.features, linear, platt }) }))
    }
}

#[derive(Serialize, Deserialize)]
struct Config {
    params: SvmParams,
    features: Vec<String>,
}

/// One-vs-rest hyperplanes on standardised features.
struct Linear {
    std: Standardizer,
    coef: Vec<f64>,
    intercept: Vec<f64>,
}

impl Linear {
    fn fit(train: &Samples, p: &SvmParams) -> (Self, usize, Vec<f64>) {
        let d = train.n_features();
        let std = if p.standardize { Standardizer::fit(train) } else { Standardizer::identity(d) };
        let w = p.class_weight.row_weights(train);
        let total: f64 = w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let l2 = p.l2;
        let objective = |theta: &[f64], grad: &mut [f64]| -> f64 {
            let raw = RawLinear::fold(&theta[..K * d], &theta[K * d..], &std);
            let acc = sum_rows(train.len(), 1 + K * d + K, |rows, acc| {
                let mut s = [0.0; K];
                for i in rows {
                    let x = train.row(i);
                    raw.scores(x, &mut s);
                    for k in 0..K {
                        let t = if train.y[i] as usize == k { 1.0 } else { -1.0 };
                        let margin = 1.0 - t * s[k];
                        if margin > 0.0 {
                            acc[0] += w[i] * margin * margin;
                            let r = -2.0 * w[i] * t * margin;
                            let base = 1 + k * d;
                            acc[base..base + d].iter_mut().zip(x).for_each(|(a, &v)| *a += r * f64::from(v));
                            acc[1 + K * d + k] += r;
                        }
                    }
                }
            });
            std.finish_objective(&acc, theta, grad, total, l2)
        };
        let s = Lbfgs { max_iter: p.max_iter, tol: p.tol, memory: 10 }.minimize(objective, vec![0.0; K * d + K]);
        (Self { std, coef: s.x[..K * d].to_vec(), intercept: s.x[K * d..].to_vec() }, s.iterations, s.trace)
    }

    fn decision(&self, data: &Samples) -> Vec<[f64; K]> {
        let raw = RawLinear::fold(&self.coef, &self.intercept, &self.std);
        map_rows(data.len(), |rows| {
            rows.map(|i| {
                let mut s = [0.0; K];
                raw.scores(data.row(i), &mut s);
                s
            })
            .collect()
        })
    }
}

/// Platt's sigmoid `1 / (1 + exp(a s + b))` fitted to `positive` with smoothed targets.
fn fit_platt(scores: &[f64], positive: &[bool], weight: &[f64]) -> [f64; 2] {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    let (hi, lo) = ((n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0));
    let total: f64 = weight.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let objective = |ab: &[f64], g: &mut [f64]| {
        let (mut v, mut ga, mut gb) = (0.0, 0.0, 0.0);
        for ((&s, &pos), &w) in scores.iter().zip(positive).zip(weight) {
            let t = if pos { hi } else { lo };
            let z = ab[0] * s + ab[1];
            // p = 1 / (1 + e^z); loss = -t ln p - (1 - t) ln(1 - p), stable in z.
            let log1p_exp = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
            v += w * (t * log1p_exp + (1.0 - t) * (log1p_exp - z));
            let p = 1.0 / (1.0 + z.exp());
            let dz = w * (t - p);
            ga += dz * s;
            gb += dz;
        }
        g[0] = ga / total;
        g[1] = gb / total;
        v / total
    };
    let prior = ((n_neg + 1.0) / (n_pos + 1.0)).ln();
    let s = Lbfgs { max_iter: 100, tol: 1e-10, memory: 5 }.minimize(objective, vec![0.0, prior]);
    [s.x[0], s.x[1]]
}

struct Fitted {
    features: Vec<String>,
    linear: Linear,
    platt: [[f64; 2]; K],
}

struct SvmModel {
    params: SvmParams,
    fitted: Option<Fitted>,
}

impl Model for SvmModel {
    fn type_name(&self) -> &'static str {
        Svm::NAME
    }

    fn fit(&mut self, train: &Samples, _valid: Option<&Samples>, _ctx: &FitContext<'_>) -> Result<FitReport, StageError> {
        let p = &self.params;
        if train.len() < 2 * p.calibration_folds {
            return Err(StageError::data_hint(
                format!("svm needs at least {} training rows for {} calibration folds, got {}", 2 * p.calibration_folds, p.calibration_folds, train.len()),
                "lower `calibration_folds` or widen the train split",
            ));
        }
        let mut oof = vec![[0.0; K]; train.len()];
        for fold in purged_kfold(train, p.calibration_folds, 0)? {
            let (fit_rows, held) = (fold.train, fold.test);
            if fit_rows.is_empty() {
                return Err(StageError::data_hint("an svm calibration fold has no rows left after purging", "lower `calibration_folds`"));
            }
            let (linear, _, _) = Linear::fit(&train.select(&fit_rows), p);
            let scores = linear.decision(&train.select(&held));
            held.iter().zip(scores).for_each(|(&i, s)| oof[i] = s);
        }
        let w = p.class_weight.row_weights(train);
        let platt = std::array::from_fn(|k| {
            let scores: Vec<f64> = oof.iter().map(|s| s[k]).collect();
            let positive: Vec<bool> = train.y.iter().map(|&c| c as usize == k).collect();
            fit_platt(&scores, &positive, &w)
        });
        let (linear, iterations, trace) = Linear::fit(train, p);
        self.fitted = Some(Fitted { features: train.features.clone(), linear, platt });
        Ok(FitReport { iterations, train_loss: trace, ..FitReport::default() })
    }

    fn predict_proba(&self, data: &Samples) -> Result<Vec<Proba>, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("svm model used before fitting"))?;
        ensure_features(Svm::NAME, &fitted.features, data)?;
        Ok(fitted
            .linear
            .decision(data)
            .into_iter()
            .map(|s| {
                let q: [f64; K] = std::array::from_fn(|k| 1.0 / (1.0 + (fitted.platt[k][0] * s[k] + fitted.platt[k][1]).exp()));
                let sum: f64 = q.iter().sum();
                if sum > 0.0 { q.map(|v| v / sum) } else { [1.0 / K as f64; K] }
            })
            .collect())
    }

    fn save(&self) -> Result<SavedModel, StageError> {
        let fitted = self.fitted.as_ref().ok_or_else(|| StageError::internal("svm model saved before fitting"))?;
        let d = fitted.features.len();
        let config = serde_json::json!({"params": self.params, "features": fitted.features});
        let saved = SavedModel::new(Svm::NAME, config)
            .with("coef", Tensor::f64(vec![K, d], fitted.linear.coef.clone()))
            .with("intercept", Tensor::f64(vec![K], fitted.linear.intercept.clone()))
            .with("platt", Tensor::f64(vec![K, 2], fitted.platt.iter().flatten().copied().collect()));
        Ok(fitted.linear.std.save_into(saved))
    }

    fn feature_importance(&self) -> Option<Vec<f64>> {
        let f = self.fitted.as_ref()?;
        let d = f.features.len();
        Some((0..d).map(|j| (0..K).map(|k| f.linear.coef[k * d + j].abs()).sum::<f64>() / K as f64).collect())
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::metrics::Metrics;
    use crate::testdata::blobs;

    #[test]
    fn separates_blobs_with_calibrated_probabilities() {
        let (train, test) = (blobs(900, 1), blobs(600, 2));
        let mut m = Svm.build(&SvmParams::default(), &ModelCatalog::new()).unwrap();
        m.fit(&train, None, &FitContext::new(0, &NullProgress)).unwrap();
        let p = m.predict_proba(&test).unwrap();
        let metrics = Metrics::compute(&test.y, &p);
        // The blobs overlap: the Bayes accuracy is about 0.9.
        assert!(metrics.accuracy > 0.85, "{metrics:?}");
        // Calibrated: among rows given ~90% for their pick, about 90% are right.
        let confident: Vec<(f64, bool)> = p
            .iter()
            .zip(&test.y)
            .map(|(r, &y)| {
                let k = crate::metrics::decide(r).index();
                (r[k], k == y as usize)
            })
            .filter(|(c, _)| (0.8..0.97).contains(c))
            .collect();
        let mean_conf = confident.iter().map(|c| c.0).sum::<f64>() / confident.len() as f64;
        let hit = confident.iter().filter(|c| c.1).count() as f64 / confident.len() as f64;
        assert!(confident.len() > 30 && (mean_conf - hit).abs() < 0.1, "{} rows, confidence {mean_conf}, hit rate {hit}", confident.len());
        let bytes = m.save().unwrap().to_bytes().unwrap();
        let loaded = Svm.load(&SavedModel::from_bytes(&bytes).unwrap(), &ModelCatalog::new()).unwrap();
        assert_eq!(loaded.predict_proba(&test).unwrap(), p);
    }
}
