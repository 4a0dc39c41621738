//! Linear models: multinomial logistic regression and the linear SVM, both fitted by
//! [`lbfgs`] on features standardised with the training split's mean and deviation.

pub(crate) mod lbfgs;
pub mod logistic;
pub mod svm;

use mlfactory_engine::StageError;
use serde::{Deserialize, Serialize};

use crate::parallel::sum_rows;
use crate::samples::Samples;
use crate::saved::{SavedModel, Tensor};

/// Per-feature mean and standard deviation of the training rows (weighted equally).
/// A constant feature gets a deviation of 1 so it passes through as a zero column.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Standardizer {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Standardizer {
    /// Identity scaling for `d` features (when standardisation is off).
    pub(crate) fn identity(d: usize) -> Self {
        Self { mean: vec![0.0; d], scale: vec![1.0; d] }
    }

    pub(crate) fn fit(train: &Samples) -> Self {
        let d = train.n_features();
        let n = train.len().max(1) as f64;
        let sums = sum_rows(train.len(), d, |rows, acc| {
            for i in rows {
                acc.iter_mut().zip(train.row(i)).for_each(|(a, &v)| *a += f64::from(v));
            }
        });
        let mean: Vec<f64> = sums.iter().map(|s| s / n).collect();
        let sq = sum_rows(train.len(), d, |rows, acc| {
            for i in rows {
                acc.iter_mut().zip(train.row(i)).zip(&mean).for_each(|((a, &v), m)| *a += (f64::from(v) - m).powi(2));
            }
        });
        let scale = sq.iter().map(|s| (s / n).sqrt()).map(|s| if s > 1e-12 { s } else { 1.0 }).collect();
        Self { mean, scale }
    }

    /// The objective's value and gradient from sums over the training rows, for linear
    /// models fitted on standardised features with raw features in the row loop.
    /// `acc` holds the weighted loss sum, then `classes x d` sums of `r * x_raw`, then
    /// `classes` sums of `r` (the per-row derivative of the loss by the class score);
    /// `theta` and `grad` hold `classes x d` coefficients then `classes` intercepts. The
    /// raw sums are moved to standardised features (`(x - mean) / scale`), averaged over
    /// `total` weight, and an L2 penalty on the coefficients is added.
    pub(crate) fn finish_objective(&self, acc: &[f64], theta: &[f64], grad: &mut [f64], total: f64, l2: f64) -> f64 {
        let d = self.mean.len();
        let classes = theta.len() / (d + 1);
        let mut value = acc[0] / total;
        for k in 0..classes {
            let b = acc[1 + classes * d + k];
            for j in 0..d {
                let c = theta[k * d + j];
                grad[k * d + j] = (acc[1 + k * d + j] - self.mean[j] * b) / self.scale[j] / total + l2 * c;
                value += 0.5 * l2 * c * c;
            }
            grad[classes * d + k] = b / total;
        }
        value
    }

    pub(crate) fn save_into(&self, saved: SavedModel) -> SavedModel {
        let d = self.mean.len();
        saved.with("mean", Tensor::f64(vec![d], self.mean.clone())).with("scale", Tensor::f64(vec![d], self.scale.clone()))
    }

    pub(crate) fn load(saved: &SavedModel) -> Result<Self, StageError> {
        Ok(Self { mean: saved.f64s("mean")?.to_vec(), scale: saved.f64s("scale")?.to_vec() })
    }
}

/// A linear score per class on raw features, folded from standardised coefficients:
/// `score_k(x) = bias_k + sum_j weight_kj x_j`.
#[derive(Clone, Debug)]
pub(crate) struct RawLinear {
    pub classes: usize,
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
}

impl RawLinear {
    /// From coefficients `coef` (`classes x d`, on standardised features) and intercepts.
    pub(crate) fn fold(coef: &[f64], intercept: &[f64], std: &Standardizer) -> Self {
        let d = std.mean.len();
        let classes = intercept.len();
        let mut weight = vec![0.0; classes * d];
        let mut bias = intercept.to_vec();
        for k in 0..classes {
            for j in 0..d {
                let w = coef[k * d + j] / std.scale[j];
                weight[k * d + j] = w;
                bias[k] -= w * std.mean[j];
            }
        }
        Self { classes, weight, bias }
    }

    /// Scores of one row into `out`.
    pub(crate) fn scores(&self, row: &[f32], out: &mut [f64]) {
        let d = row.len();
        for (k, o) in out.iter_mut().enumerate().take(self.classes) {
            let w = &self.weight[k * d..(k + 1) * d];
            *o = self.bias[k] + w.iter().zip(row).map(|(w, &x)| w * f64::from(x)).sum::<f64>();
        }
    }
}

/// How rows of each class are weighted in the loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Sample weights only.
    #[default]
    None,
    /// Also weight each class by `rows / (3 * rows of the class)` (scikit-learn's `balanced`).
    Balanced,
}

impl ClassWeight {
    /// Effective weight per training row: the sample weight times the class weight.
    pub(crate) fn row_weights(self, train: &Samples) -> Vec<f64> {
        let factors = match self {
            Self::None => [1.0; 3],
            Self::Balanced => {
                let counts = train.class_counts();
                let n = train.len() as f64;
                counts.map(|c| if c > 0 { n / (3.0 * c as f64) } else { 0.0 })
            }
        };
        train.weight.iter().zip(&train.y).map(|(&w, &c)| f64::from(w) * factors[c as usize]).collect()
    }
}

/// Errors unless `data` has the features (names and order) the model was fitted on.
pub(crate) fn ensure_features(model: &str, fitted: &[String], data: &Samples) -> Result<(), StageError> {
    if fitted == data.features.as_slice() {
        return Ok(());
    }
    let missing: Vec<&str> = fitted.iter().filter(|f| !data.features.contains(f)).map(String::as_str).collect();
    let extra: Vec<&str> = data.features.iter().filter(|f| !fitted.contains(f)).map(String::as_str).collect();
    Err(StageError::data_hint(
        format!(
            "the `{model}` model was fitted on {} features but the data has {} (missing: [{}], unexpected: [{}]{})",
            fitted.len(),
            data.features.len(),
            missing.join(", "),
            extra.join(", "),
            if missing.is_empty() && extra.is_empty() { ", same names in another order" } else { "" }
        ),
        "predict on a dataset built by the same feature stages as the training data",
    ))
}
