//! Temporal convolutional network (Bai, Kolter and Koltun 2018): residual blocks of two
//! dilated causal convolutions, dilation doubling per level, read at the window's last step.
//!
//! A convolution at step `t` sees steps `t - (k-1) d ..= t` only (left zero padding), so the
//! receptive field is `1 + 2 (k - 1) (2^levels - 1)` steps. Convolutions run as one matrix
//! product over the stacked taps ([`super::conv_taps`]). Weight normalisation of the paper
//! is left out: layers start from PyTorch's `Conv1d` initialisation and AdamW does the rest.

use candle_core::Tensor;
use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Encoder, Forward, Linear};
use crate::store::Store;

/// Residual blocks of dilated causal convolutions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TcnArch {
    /// Rows per window (the row and the `seq_len - 1` before it in its segment).
    pub seq_len: usize,
    /// Channels of every convolution.
    pub channels: usize,
    /// Residual blocks; block `i` has dilation `2^i`.
    pub levels: usize,
    /// Taps per convolution.
    pub kernel_size: usize,
    /// Dropout after each convolution while training.
    pub dropout: f64,
}

impl Default for TcnArch {
    fn default() -> Self {
        Self { seq_len: 60, channels: 64, levels: 4, kernel_size: 3, dropout: 0.1 }
    }
}

impl TcnArch {
    pub(crate) fn check(&self, path: &[&str]) -> Result<(), ParamIssue> {
        super::check_seq_len(path, self.seq_len)?;
        super::check_positive(path, "channels", self.channels)?;
        super::check_positive(path, "kernel_size", self.kernel_size)?;
        if !(1..=12).contains(&self.levels) {
            let mut at = path.to_vec();
            at.push("levels");
            return Err(ParamIssue::new(&at, format!("`levels` must be in 1..=12, got {}", self.levels)));
        }
        super::check_dropout(path, self.dropout)
    }

    /// Steps a last-step output depends on.
    pub fn receptive_field(&self) -> usize {
        1 + 2 * (self.kernel_size - 1) * ((1 << self.levels) - 1)
    }
}

struct Block {
    conv1: Linear,
    conv2: Linear,
    residual: Option<Linear>,
    dilation: usize,
}

pub(crate) struct Tcn {
    blocks: Vec<Block>,
    kernel: usize,
    dropout: f64,
    channels: usize,
}

impl Tcn {
    pub(crate) fn new(arch: &TcnArch, store: &mut Store<'_>, n_features: usize) -> Result<Self, StageError> {
        let (k, c) = (arch.kernel_size, arch.channels);
        let mut blocks = Vec::with_capacity(arch.levels);
        for i in 0..arch.levels {
            let c_in = if i == 0 { n_features } else { c };
            blocks.push(Block {
                conv1: Linear::new(store, &format!("tcn.{i}.conv1"), k * c_in, c)?,
                conv2: Linear::new(store, &format!("tcn.{i}.conv2"), k * c, c)?,
                residual: if c_in == c { None } else { Some(Linear::new(store, &format!("tcn.{i}.downsample"), c_in, c)?) },
                dilation: 1 << i,
            });
        }
        Ok(Self { blocks, kernel: k, dropout: arch.dropout, channels: c })
    }

    fn causal_conv(&self, x: &Tensor, conv: &Linear, dilation: usize) -> candle_core::Result<Tensor> {
        conv.forward(&super::conv_taps(x, self.kernel, dilation, (self.kernel - 1) * dilation)?)
    }
}

impl Encoder for Tcn {
    fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor> {
        let mut h = x.clone();
        for block in &self.blocks {
            let y = fwd.dropout(&self.causal_conv(&h, &block.conv1, block.dilation)?.relu()?, self.dropout)?;
            let y = fwd.dropout(&self.causal_conv(&y, &block.conv2, block.dilation)?.relu()?, self.dropout)?;
            let skip = match &block.residual {
                Some(r) => r.forward(&h)?,
                None => h,
            };
            h = (y + skip)?.relu()?;
        }
        super::last_step(&h)
    }

    fn out_dim(&self) -> usize {
        self.channels
    }
}
