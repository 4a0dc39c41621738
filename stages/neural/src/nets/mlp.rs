//! Multi-layer perceptron on the current row's features.

use candle_core::Tensor;
use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Activation, Encoder, Forward, Linear};
use crate::store::Store;

/// A stack of fully connected layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MlpArch {
    /// Width of each hidden layer, input side first.
    pub hidden: Vec<usize>,
    /// Nonlinearity after each hidden layer: `relu` or `gelu`.
    pub activation: Activation,
    /// Dropout after each hidden layer while training.
    pub dropout: f64,
}

impl Default for MlpArch {
    fn default() -> Self {
        Self { hidden: vec![128, 64], activation: Activation::Relu, dropout: 0.1 }
    }
}

impl MlpArch {
    pub(crate) fn check(&self, path: &[&str]) -> Result<(), ParamIssue> {
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            let mut at = path.to_vec();
            at.push("hidden");
            return Err(ParamIssue::new(&at, format!("`hidden` must list at least one positive width, got {:?}", self.hidden)));
        }
        super::check_dropout(path, self.dropout)
    }
}

pub(crate) struct Mlp {
    layers: Vec<Linear>,
    activation: Activation,
    dropout: f64,
    out_dim: usize,
}

impl Mlp {
    pub(crate) fn new(arch: &MlpArch, store: &mut Store<'_>, n_features: usize) -> Result<Self, StageError> {
        let mut layers = Vec::with_capacity(arch.hidden.len());
        let mut d_in = n_features;
        for (i, &d_out) in arch.hidden.iter().enumerate() {
            layers.push(Linear::new(store, &format!("mlp.{i}"), d_in, d_out)?);
            d_in = d_out;
        }
        Ok(Self { layers, activation: arch.activation, dropout: arch.dropout, out_dim: d_in })
    }
}

impl Encoder for Mlp {
    fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor> {
        let mut h = super::last_step(x)?;
        for layer in &self.layers {
            h = fwd.dropout(&self.activation.apply(&layer.forward(&h)?)?, self.dropout)?;
        }
        Ok(h)
    }

    fn out_dim(&self) -> usize {
        self.out_dim
    }
}
