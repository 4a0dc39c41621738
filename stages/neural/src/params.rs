//! The params every neural type shares: how to train ([`TrainParams`]), where
//! ([`DeviceChoice`]) and what a sequence is ([`SequenceInput`]). Architecture params live beside each architecture in [`crate::nets`].
//!
//! A type's params are `{arch: {...}, train: {...}}` (the multi-task type has `encoder`,
//! `heads` and `loss_weights` in place of `arch`), so training settings read the same for
//! every type and an architecture block can be moved into a multi-task `encoder` as is.

use mlfactory_engine::ParamIssue;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where tensors live while training and predicting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// The CPU: deterministic to the byte for a seed, for any thread count.
    #[default]
    Cpu,
    /// The first CUDA GPU; an error when mlfactory was built without `--features cuda`
    /// or no GPU is present.
    Cuda,
    /// CUDA when built with it and a GPU is present, else the CPU.
    Auto,
}

/// What a sequence model reads as the sequence of a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SequenceInput {
    /// The row and the `seq_len - 1` dataset rows before it in its segment.
    #[default]
    Rows,
    /// The row's own multi-timeframe tensor from `features.mtf` with `mtf_strategy:
    /// multi_resolution`: `window` steps (oldest first) of every timeframe's OHLCV, plus the
    /// row's other features at every step; `seq_len` is ignored.
    MultiResolution,
}

impl SequenceInput {
    /// Whether this is the default, `rows`.
    pub fn is_rows(&self) -> bool {
        *self == Self::Rows
    }
}

/// How each class's loss is weighted (on top of the sample weights).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ClassWeights {
    /// `none`: every class 1; `balanced`: `n / (3 * n_class)` on the training split, as
    /// scikit-learn's `class_weight="balanced"`.
    Mode(ClassWeightMode),
    /// Fixed weights `[short, neutral, long]`.
    Fixed([f64; 3]),
}

/// A named class-weighting rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeightMode {
    None,
    Balanced,
}

impl Default for ClassWeights {
    fn default() -> Self {
        Self::Mode(ClassWeightMode::Balanced)
    }
}

impl ClassWeights {
    /// The weight of each class given the training split's class counts.
    pub fn resolve(&self, counts: [usize; 3]) -> [f64; 3] {
        match self {
            Self::Mode(ClassWeightMode::None) => [1.0; 3],
            Self::Fixed(w) => *w,
            Self::Mode(ClassWeightMode::Balanced) => {
                let n: usize = counts.iter().sum();
                // An absent class gets weight 0: it contributes no rows anyway.
                counts.map(|c| if c == 0 { 0.0 } else { n as f64 / (3.0 * c as f64) })
            }
        }
    }
}

/// How a network is trained: AdamW with a cosine schedule with warm restarts, early
/// stopping on the validation loss (the best epoch's weights are kept), gradient clipping
/// by global norm, mini-batches drawn in a seeded order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TrainParams {
    /// Maximum number of passes over the training split.
    pub epochs: usize,
    /// Rows (windows, for sequence models) per mini-batch.
    pub batch_size: usize,
    /// Peak learning rate of AdamW.
    pub lr: f64,
    /// Decoupled weight decay of AdamW (applied to weights, not to biases and norms).
    pub weight_decay: f64,
    /// AdamW's first-moment decay.
    pub beta1: f64,
    /// AdamW's second-moment decay.
    pub beta2: f64,
    /// AdamW's denominator epsilon.
    pub eps: f64,
    /// Epochs in the first cosine cycle (SGDR's T_0); the learning rate decays from `lr`
    /// to `lr * min_lr_ratio` over it, then restarts.
    pub restart_epochs: f64,
    /// Factor by which each cycle is longer than the previous (SGDR's T_mult, >= 1).
    pub restart_mult: f64,
    /// The learning rate at the bottom of each cycle, as a fraction of `lr`.
    pub min_lr_ratio: f64,
    /// Stop after this many epochs without a validation-loss improvement (0: never stop
    /// early). Needs a validation split; the best epoch's weights are kept.
    pub patience: usize,
    /// An improvement smaller than this (absolute, in loss units) does not count.
    pub min_delta: f64,
    /// Rescale gradients so their global L2 norm is at most this (0: no clipping).
    pub clip_norm: f64,
    /// Class weighting of the loss: `balanced`, `none`, or `[short, neutral, long]`.
    pub class_weight: ClassWeights,
    /// Multiply each row's loss by the dataset's `weight` column.
    pub sample_weights: bool,
    /// Standardize features with the training split's mean and standard deviation
    /// (saved with the model) before the network sees them.
    pub standardize: bool,
    /// Where to train: `cpu`, `cuda` or `auto`.
    pub device: DeviceChoice,
    /// Rows per batch when predicting (memory only: results do not depend on it).
    pub predict_batch_size: usize,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 512,
            lr: 1e-3,
            weight_decay: 1e-2,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            restart_epochs: 10.0,
            restart_mult: 2.0,
            min_lr_ratio: 0.01,
            patience: 5,
            min_delta: 0.0,
            clip_norm: 1.0,
            class_weight: ClassWeights::default(),
            sample_weights: true,
            standardize: true,
            device: DeviceChoice::Cpu,
            predict_batch_size: 4096,
        }
    }
}

impl TrainParams {
    /// Range checks; issues are located under `train`.
    pub fn check(&self) -> Result<(), ParamIssue> {
        let at = |field: &str, message: String| Err(ParamIssue::new(&["train", field], message));
        if self.epochs == 0 {
            return at("epochs", "`epochs` must be at least 1".into());
        }
        if self.batch_size == 0 || self.predict_batch_size == 0 {
            return at("batch_size", "batch sizes must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return at("lr", format!("`lr` must be positive, got {}", self.lr));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return at("weight_decay", format!("`weight_decay` must be >= 0, got {}", self.weight_decay));
        }
        for (name, v) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return at(name, format!("`{name}` must be in [0, 1), got {v}"));
            }
        }
        if self.eps.is_nan() || self.eps <= 0.0 {
            return at("eps", format!("`eps` must be positive, got {}", self.eps));
        }
        if !(self.restart_epochs.is_finite() && self.restart_epochs > 0.0) {
            return at("restart_epochs", format!("`restart_epochs` must be positive, got {}", self.restart_epochs));
        }
        if !(self.restart_mult.is_finite() && self.restart_mult >= 1.0) {
            return at("restart_mult", format!("`restart_mult` must be >= 1, got {}", self.restart_mult));
        }
        if !(0.0..=1.0).contains(&self.min_lr_ratio) {
            return at("min_lr_ratio", format!("`min_lr_ratio` must be in [0, 1], got {}", self.min_lr_ratio));
        }
        if !(self.clip_norm.is_finite() && self.clip_norm >= 0.0) {
            return at("clip_norm", format!("`clip_norm` must be >= 0, got {}", self.clip_norm));
        }
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0) {
            return at("min_delta", format!("`min_delta` must be >= 0, got {}", self.min_delta));
        }
        if let ClassWeights::Fixed(w) = &self.class_weight
            && w.iter().any(|x| !(x.is_finite() && *x >= 0.0))
        {
            return at("class_weight", format!("class weights must be finite and >= 0, got {w:?}"));
        }
        Ok(())
    }

    /// The learning rate at fractional epoch `t` (SGDR: cosine annealing with warm restarts).
    pub fn lr_at(&self, t: f64) -> f64 {
        let (mut start, mut len) = (0.0, self.restart_epochs);
        while t >= start + len {
            start += len;
            len *= self.restart_mult;
        }
        let frac = (t - start) / len;
        let min = self.lr * self.min_lr_ratio;
        min + 0.5 * (self.lr - min) * (1.0 + (std::f64::consts::PI * frac).cos())
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(0.0, 1.0)]
    #[case(10.0, 1.0)]
    #[case(30.0, 1.0)]
    #[case(5.0, 0.505)]
    #[case(20.0, 0.505)]
    fn sgdr_restarts_at_cycle_boundaries(#[case] t: f64, #[case] expect_over_lr: f64) {
        let p = TrainParams { lr: 1.0, restart_epochs: 10.0, restart_mult: 2.0, min_lr_ratio: 0.01, ..TrainParams::default() };
        assert!((p.lr_at(t) - expect_over_lr).abs() < 1e-12, "lr at {t} = {}", p.lr_at(t));
    }

    #[test]
    fn balanced_class_weights_follow_sklearn() {
        let w = ClassWeights::default().resolve([10, 20, 70]);
        assert!((w[0] - 100.0 / 30.0).abs() < 1e-12 && (w[2] - 100.0 / 210.0).abs() < 1e-12);
        assert_eq!(ClassWeights::Mode(ClassWeightMode::Balanced).resolve([0, 5, 5])[0], 0.0);
        let fixed: ClassWeights = serde_json::from_str("[1, 2, 3]").unwrap();
        assert_eq!(fixed.resolve([1, 1, 1]), [1.0, 2.0, 3.0]);
        let none: ClassWeights = serde_json::from_str("\"none\"").unwrap();
        assert_eq!(none.resolve([1, 2, 3]), [1.0; 3]);
    }

    #[test]
    fn checks_name_the_field() {
        let bad = TrainParams { restart_mult: 0.5, ..TrainParams::default() };
        assert_eq!(bad.check().unwrap_err().path, ["train", "restart_mult"]);
        assert!(TrainParams::default().check().is_ok());
        assert!(serde_json::from_str::<TrainParams>(r#"{"epoch": 3}"#).is_err());
    }
}
