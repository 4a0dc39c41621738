//! Transformer encoder with a causal mask: each step attends to itself and earlier steps
//! only, so every position's representation is a function of its past, and the window's
//! last step (which the heads read) sees the whole window.
//!
//! Pre-norm blocks (`x + attn(ln(x))`, `x + ff(ln(x))`, as PyTorch's `norm_first=True`),
//! fixed sinusoidal positions added to a linear embedding of the features, a final norm.
//! Attention projections start Xavier-uniform as PyTorch's `MultiheadAttention`.

use candle_core::{D, Device, Tensor};
use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Encoder, Forward, LayerNorm, Linear};
use crate::store::{Init, Store};

/// A stack of causal self-attention blocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerArch {
    /// Rows per window (the row and the `seq_len - 1` before it in its segment).
    pub seq_len: usize,
    /// Width of the token representation.
    pub d_model: usize,
    /// Attention heads (must divide `d_model`).
    pub heads: usize,
    /// Encoder blocks.
    pub layers: usize,
    /// Hidden width of each block's feed-forward network.
    pub ff: usize,
    /// Dropout on attention weights and on each residual branch while training.
    pub dropout: f64,
}

impl Default for TransformerArch {
    fn default() -> Self {
        Self { seq_len: 60, d_model: 64, heads: 4, layers: 2, ff: 128, dropout: 0.1 }
    }
}

impl TransformerArch {
    pub(crate) fn check(&self, path: &[&str]) -> Result<(), ParamIssue> {
        super::check_seq_len(path, self.seq_len)?;
        for (field, v) in [("d_model", self.d_model), ("heads", self.heads), ("layers", self.layers), ("ff", self.ff)] {
            super::check_positive(path, field, v)?;
        }
        if !self.d_model.is_multiple_of(self.heads) {
            let mut at = path.to_vec();
            at.push("heads");
            return Err(ParamIssue::new(&at, format!("`heads` ({}) must divide `d_model` ({})", self.heads, self.d_model)));
        }
        super::check_dropout(path, self.dropout)
    }
}

struct Block {
    ln1: LayerNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
}

pub(crate) struct Transformer {
    embed: Linear,
    blocks: Vec<Block>,
    norm: LayerNorm,
    heads: usize,
    d_model: usize,
    dropout: f64,
}

impl Transformer {
    pub(crate) fn new(arch: &TransformerArch, store: &mut Store<'_>, n_features: usize) -> Result<Self, StageError> {
        let d = arch.d_model;
        let xavier = Init::Xavier { fan_in: d, fan_out: d };
        let mut blocks = Vec::with_capacity(arch.layers);
        for i in 0..arch.layers {
            let p = format!("transformer.{i}");
            blocks.push(Block {
                ln1: LayerNorm::new(store, &format!("{p}.ln1"), d)?,
                q: Linear::with_init(store, &format!("{p}.q"), d, d, xavier, Init::Zeros)?,
                k: Linear::with_init(store, &format!("{p}.k"), d, d, xavier, Init::Zeros)?,
                v: Linear::with_init(store, &format!("{p}.v"), d, d, xavier, Init::Zeros)?,
                out: Linear::with_init(store, &format!("{p}.out"), d, d, Init::Uniform(1.0 / (d as f64).sqrt()), Init::Zeros)?,
                ln2: LayerNorm::new(store, &format!("{p}.ln2"), d)?,
                ff1: Linear::new(store, &format!("{p}.ff1"), d, arch.ff)?,
                ff2: Linear::new(store, &format!("{p}.ff2"), arch.ff, d)?,
            });
        }
        Ok(Self {
            embed: Linear::new(store, "transformer.embed", n_features, d)?,
            blocks,
            norm: LayerNorm::new(store, "transformer.norm", d)?,
            heads: arch.heads,
            d_model: d,
            dropout: arch.dropout,
        })
    }

    fn attention(&self, block: &Block, x: &Tensor, mask: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        let dh = d / self.heads;
        let split = |y: Tensor| y.reshape((b, t, self.heads, dh))?.transpose(1, 2)?.contiguous();
        let q = split(block.q.forward(x)?)?;
        let k = split(block.k.forward(x)?)?;
        let v = split(block.v.forward(x)?)?;
        let scores = (q.matmul(&k.t()?.contiguous()?)? / (dh as f64).sqrt())?.broadcast_add(mask)?;
        let weights = fwd.dropout(&candle_nn::ops::softmax(&scores, D::Minus1)?, self.dropout)?;
        let ctx = weights.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b, t, d))?;
        block.out.forward(&ctx)
    }
}

/// `[t, t]`: 0 where a step may attend (itself and earlier), a large negative number above
/// the diagonal (exactly 0 after the softmax).
fn causal_mask(t: usize, device: &Device) -> candle_core::Result<Tensor> {
    let values: Vec<f32> = (0..t).flat_map(|i| (0..t).map(move |j| if j <= i { 0.0 } else { -1e9 })).collect();
    Tensor::from_vec(values, (t, t), device)
}

/// Sinusoidal positions (Vaswani et al. 2017), `[t, d]`.
fn positions(t: usize, d: usize, device: &Device) -> candle_core::Result<Tensor> {
    let mut values = vec![0f32; t * d];
    for pos in 0..t {
        for i in 0..d {
            let rate = 10000f64.powf(-((i / 2 * 2) as f64) / d as f64);
            let angle = pos as f64 * rate;
            values[pos * d + i] = if i % 2 == 0 { angle.sin() } else { angle.cos() } as f32;
        }
    }
    Tensor::from_vec(values, (t, d), device)
}

impl Encoder for Transformer {
    fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor> {
        let t = x.dim(1)?;
        let mask = causal_mask(t, x.device())?;
        let mut h = self.embed.forward(x)?.broadcast_add(&positions(t, self.d_model, x.device())?)?;
        for block in &self.blocks {
            let a = self.attention(block, &block.ln1.forward(&h)?, &mask, fwd)?;
            h = (h + fwd.dropout(&a, self.dropout)?)?;
            let f = block.ff2.forward(&block.ff1.forward(&block.ln2.forward(&h)?)?.gelu_erf()?)?;
            h = (h + fwd.dropout(&f, self.dropout)?)?;
        }
        super::last_step(&self.norm.forward(&h)?)
    }

    fn out_dim(&self) -> usize {
        self.d_model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_lets_each_step_see_only_its_past() {
        let m = causal_mask(3, &Device::Cpu).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(m[0], [0.0, -1e9, -1e9]);
        assert_eq!(m[2], [0.0, 0.0, 0.0]);
    }
}
