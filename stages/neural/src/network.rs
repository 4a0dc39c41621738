//! A whole network: an encoder ([`crate::nets`]) and its heads, the loss it trains on, and
//! the spec it is built from (saved in the model's config).
//!
//! Every network has the direction head (3 logits: short, neutral, long). The multi-task
//! network adds a forward-return head and a volatility head on the same representation and
//! trains on `w_dir * CE + w_ret * MSE(ret) + w_vol * MSE(vol)`. Each regression target is
//! divided by its training-split scale (RMS) so the loss weights compare like with like;
//! predictions are scaled back.

use std::collections::BTreeMap;

use candle_core::{D, Tensor};
use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::nets::{Encoder, EncoderParams, Forward, Linear};
use crate::params::{SequenceInput, TrainParams};
use crate::store::{Param, Store};

/// Weights of the multi-task loss terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LossWeights {
    /// Weight of the direction cross-entropy.
    pub direction: f64,
    /// Weight of the forward-return mean squared error (return scaled by its training RMS).
    #[serde(rename = "return")]
    pub ret: f64,
    /// Weight of the volatility mean squared error (target scaled by its training RMS).
    pub volatility: f64,
}

impl Default for LossWeights {
    fn default() -> Self {
        Self { direction: 1.0, ret: 0.5, volatility: 0.5 }
    }
}

/// What the volatility head learns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VolTarget {
    /// The absolute realised label return `|ret|`.
    #[default]
    AbsRet,
    /// The dataset's `target` column (the volatility the barriers were scaled by).
    Target,
}

/// The extra heads of the multi-task network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MultitaskHeads {
    /// Loss weights `{direction, return, volatility}`.
    pub loss_weights: LossWeights,
    /// The volatility head's target: `abs_ret` or `target`.
    pub volatility: VolTarget,
}

impl Default for MultitaskHeads {
    fn default() -> Self {
        Self { loss_weights: LossWeights::default(), volatility: VolTarget::AbsRet }
    }
}

impl MultitaskHeads {
    pub(crate) fn check(&self) -> Result<(), ParamIssue> {
        let w = &self.loss_weights;
        for (name, v) in [("direction", w.direction), ("return", w.ret), ("volatility", w.volatility)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ParamIssue::new(&["loss_weights", name], format!("loss weights must be finite and >= 0, got {v}")));
            }
        }
        if w.direction + w.ret + w.volatility == 0.0 {
            return Err(ParamIssue::new(&["loss_weights"], "at least one loss weight must be positive"));
        }
        Ok(())
    }
}

/// Everything a network is built from; saved in the model's config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct NetSpec {
    pub(crate) encoder: EncoderParams,
    /// `None` for the single-head types.
    pub(crate) multitask: Option<MultitaskHeads>,
    pub(crate) train: TrainParams,
    /// Absent (`rows`) in models saved before it existed, and left out when `rows` so
    /// those models' saved bytes stay the same.
    #[serde(default, skip_serializing_if = "SequenceInput::is_rows")]
    pub(crate) sequence: SequenceInput,
}

/// The network's outputs for a batch.
pub(crate) struct Outputs {
    /// `[B, 3]`.
    pub(crate) logits: Tensor,
    /// `[B]` each, multi-task only (in scaled units).
    pub(crate) ret: Option<Tensor>,
    pub(crate) vol: Option<Tensor>,
}

pub(crate) struct Network {
    encoder: Box<dyn Encoder>,
    direction: Linear,
    regression: Option<(Linear, Linear)>,
    pub(crate) params: BTreeMap<String, Param>,
}

impl Network {
    /// Builds the network of `spec`, weights from `store` (drawn in a fixed order).
    pub(crate) fn build(spec: &NetSpec, mut store: Store<'_>, n_features: usize) -> Result<Self, StageError> {
        let encoder = spec.encoder.build(&mut store, n_features)?;
        let d = encoder.out_dim();
        let direction = Linear::new(&mut store, "head.direction", d, 3)?;
        let regression = match spec.multitask {
            Some(_) => Some((Linear::new(&mut store, "head.return", d, 1)?, Linear::new(&mut store, "head.volatility", d, 1)?)),
            None => None,
        };
        Ok(Self { encoder, direction, regression, params: store.into_params() })
    }

    pub(crate) fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Outputs> {
        let z = self.encoder.forward(x, fwd)?;
        let logits = self.direction.forward(&z)?;
        let (ret, vol) = match &self.regression {
            Some((r, v)) => (Some(r.forward(&z)?.squeeze(1)?), Some(v.forward(&z)?.squeeze(1)?)),
            None => (None, None),
        };
        Ok(Outputs { logits, ret, vol })
    }
}

/// Targets of one batch, on the device.
pub(crate) struct Targets {
    /// `[B, 3]`: row `i` holds its class weight times sample weight at its class, 0 elsewhere.
    pub(crate) class: Tensor,
    pub(crate) class_weight_sum: f64,
    /// Multi-task: scaled return and volatility targets `[B]`, their weights `[B]`, and the
    /// weights' sum.
    pub(crate) regression: Option<(Tensor, Tensor, Tensor, f64)>,
}

/// The weighted sums of one batch's loss terms: cross-entropy, return SSE, volatility SSE
/// (scalars; zeros for the single-head networks).
pub(crate) fn loss_sums(out: &Outputs, t: &Targets) -> candle_core::Result<[Tensor; 3]> {
    let log_p = candle_nn::ops::log_softmax(&out.logits, D::Minus1)?;
    let ce = log_p.mul(&t.class)?.sum_all()?.neg()?;
    if let (Some(r), Some(v), Some((rt, vt, w, _))) = (&out.ret, &out.vol, &t.regression) {
        let sse = |pred: &Tensor, target: &Tensor| (pred - target)?.sqr()?.mul(w)?.sum_all();
        Ok([ce, sse(r, rt)?, sse(v, vt)?])
    } else {
        let zero = ce.zeros_like()?;
        Ok([ce, zero.clone(), zero])
    }
}

/// Coefficients turning loss sums into the (weighted mean) loss: `loss = sum_k c_k * sums_k`.
pub(crate) fn loss_coefficients(multitask: Option<&MultitaskHeads>, class_weight_sum: f64, regression_weight_sum: f64) -> [f64; 3] {
    let mean = |s: f64| if s > 0.0 { 1.0 / s } else { 0.0 };
    match multitask {
        None => [mean(class_weight_sum), 0.0, 0.0],
        Some(m) => {
            let w = &m.loss_weights;
            [w.direction * mean(class_weight_sum), w.ret * mean(regression_weight_sum), w.volatility * mean(regression_weight_sum)]
        }
    }
}

/// The loss tensor of a batch (what training differentiates).
pub(crate) fn loss(sums: &[Tensor; 3], coefficients: [f64; 3]) -> candle_core::Result<Tensor> {
    let mut total = sums[0].affine(coefficients[0], 0.0)?;
    for (s, &c) in sums.iter().zip(&coefficients).skip(1) {
        if c != 0.0 {
            total = (total + s.affine(c, 0.0)?)?;
        }
    }
    Ok(total)
}
