//! 1D convolutional classifier: convolution blocks over the window (ReLU, average pooling),
//! then the mean over time beside the most recent step.
//!
//! The whole window is the past of the row being classified, so convolutions here are
//! centred (zero padding on both sides keeps the length); causality is the window's.

use candle_core::{D, Tensor};
use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Encoder, Forward, Linear};
use crate::store::Store;

/// Convolution blocks with pooling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CnnArch {
    /// Rows per window (the row and the `seq_len - 1` before it in its segment).
    pub seq_len: usize,
    /// Output channels of each convolution block, input side first.
    pub channels: Vec<usize>,
    /// Taps per convolution.
    pub kernel_size: usize,
    /// Average-pooling width after each block (1: none); the oldest steps that do not fill
    /// a pool are dropped.
    pub pool: usize,
    /// Dropout after each block while training.
    pub dropout: f64,
}

impl Default for CnnArch {
    fn default() -> Self {
        Self { seq_len: 60, channels: vec![32, 64], kernel_size: 5, pool: 2, dropout: 0.1 }
    }
}

impl CnnArch {
    pub(crate) fn check(&self, path: &[&str]) -> Result<(), ParamIssue> {
        super::check_seq_len(path, self.seq_len)?;
        let at = |field: &str| {
            let mut at = path.to_vec();
            at.push(field);
            at.into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err(ParamIssue {
                path: at("channels"),
                message: format!("`channels` must list at least one positive width, got {:?}", self.channels),
                hint: None,
            });
        }
        super::check_positive(path, "kernel_size", self.kernel_size)?;
        super::check_positive(path, "pool", self.pool)?;
        let steps = self.channels.iter().fold(self.seq_len, |len, _| if len >= self.pool { len / self.pool } else { len });
        if steps == 0 {
            return Err(ParamIssue { path: at("pool"), message: "pooling leaves no time step".into(), hint: None });
        }
        super::check_dropout(path, self.dropout)
    }
}

pub(crate) struct Cnn {
    convs: Vec<Linear>,
    kernel: usize,
    pool: usize,
    dropout: f64,
    channels: usize,
}

impl Cnn {
    pub(crate) fn new(arch: &CnnArch, store: &mut Store<'_>, n_features: usize) -> Result<Self, StageError> {
        let mut convs = Vec::with_capacity(arch.channels.len());
        let mut c_in = n_features;
        for (i, &c) in arch.channels.iter().enumerate() {
            convs.push(Linear::new(store, &format!("cnn.{i}"), arch.kernel_size * c_in, c)?);
            c_in = c;
        }
        Ok(Self { convs, kernel: arch.kernel_size, pool: arch.pool, dropout: arch.dropout, channels: c_in })
    }
}

/// Average pooling over time by `pool`, keeping the most recent steps.
fn avg_pool(x: &Tensor, pool: usize) -> candle_core::Result<Tensor> {
    let (b, t, c) = x.dims3()?;
    if pool == 1 || t < pool {
        return Ok(x.clone());
    }
    let kept = t / pool;
    x.narrow(1, t - kept * pool, kept * pool)?.reshape((b, kept, pool, c))?.mean(2)
}

impl Encoder for Cnn {
    fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for conv in &self.convs {
            let y = conv.forward(&super::conv_taps(&h, self.kernel, 1, (self.kernel - 1) / 2)?)?.relu()?;
            h = fwd.dropout(&avg_pool(&y, self.pool)?, self.dropout)?;
        }
        Tensor::cat(&[super::mean_over_time(&h)?, super::last_step(&h)?], D::Minus1)
    }

    fn out_dim(&self) -> usize {
        2 * self.channels
    }
}
