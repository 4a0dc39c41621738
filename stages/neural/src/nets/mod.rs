//! The architectures: each turns a batch of windows `[batch, seq_len, features]` into one
//! representation per row `[batch, out_dim]`, which the heads of [`crate::network`] read.
//!
//! Every architecture is built from tensor ops that candle can differentiate on any device;
//! the LSTM additionally has a fused CPU kernel ([`crate::fused`]) that computes the same
//! function faster. Layers take their weights from a [`Store`], so the same code builds a
//! freshly initialised network and a saved one.

pub(crate) mod cnn;
pub(crate) mod mlp;
pub(crate) mod rnn;
pub(crate) mod tcn;
pub(crate) mod transformer;

use candle_core::{D, Tensor};
use mlfactory_engine::{ParamIssue, StageError};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::store::{Init, Store};

/// An encoder: the body of a network, before its heads.
pub(crate) trait Encoder: Send + Sync {
    /// `x`: `[batch, seq_len, features]` (`seq_len` 1 for the MLP) to `[batch, out_dim]`.
    fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor>;
    fn out_dim(&self) -> usize;
}

/// The architecture of an encoder, tagged by `type` (as in a multi-task `encoder:`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EncoderParams {
    Mlp(mlp::MlpArch),
    Lstm(rnn::RnnArch),
    Gru(rnn::RnnArch),
    Tcn(tcn::TcnArch),
    Transformer(transformer::TransformerArch),
    Cnn(cnn::CnnArch),
}

impl Default for EncoderParams {
    fn default() -> Self {
        Self::Lstm(rnn::RnnArch::default())
    }
}

impl EncoderParams {
    /// Rows per window (1 for the MLP, which reads the current row only).
    pub fn seq_len(&self) -> usize {
        match self {
            Self::Mlp(_) => 1,
            Self::Lstm(a) | Self::Gru(a) => a.seq_len,
            Self::Tcn(a) => a.seq_len,
            Self::Transformer(a) => a.seq_len,
            Self::Cnn(a) => a.seq_len,
        }
    }

    /// Range checks; issues are located under `path`.
    pub fn check(&self, path: &[&str]) -> Result<(), ParamIssue> {
        match self {
            Self::Mlp(a) => a.check(path),
            Self::Lstm(a) | Self::Gru(a) => a.check(path),
            Self::Tcn(a) => a.check(path),
            Self::Transformer(a) => a.check(path),
            Self::Cnn(a) => a.check(path),
        }
    }

    pub(crate) fn build(&self, store: &mut Store<'_>, n_features: usize) -> Result<Box<dyn Encoder>, StageError> {
        Ok(match self {
            Self::Mlp(a) => Box::new(mlp::Mlp::new(a, store, n_features)?),
            Self::Lstm(a) => Box::new(rnn::Rnn::new(rnn::Cell::Lstm, a, store, n_features)?),
            Self::Gru(a) => Box::new(rnn::Rnn::new(rnn::Cell::Gru, a, store, n_features)?),
            Self::Tcn(a) => Box::new(tcn::Tcn::new(a, store, n_features)?),
            Self::Transformer(a) => Box::new(transformer::Transformer::new(a, store, n_features)?),
            Self::Cnn(a) => Box::new(cnn::Cnn::new(a, store, n_features)?),
        })
    }
}

/// A window length check shared by the sequence architectures.
pub(crate) fn check_seq_len(path: &[&str], seq_len: usize) -> Result<(), ParamIssue> {
    let mut at: Vec<&str> = path.to_vec();
    at.push("seq_len");
    if (1..=4096).contains(&seq_len) { Ok(()) } else { Err(ParamIssue::new(&at, format!("`seq_len` must be in 1..=4096, got {seq_len}"))) }
}

/// A "must be at least 1" check.
pub(crate) fn check_positive(path: &[&str], field: &str, value: usize) -> Result<(), ParamIssue> {
    let mut at: Vec<&str> = path.to_vec();
    at.push(field);
    if value >= 1 { Ok(()) } else { Err(ParamIssue::new(&at, format!("`{field}` must be at least 1"))) }
}

/// A dropout probability check.
pub(crate) fn check_dropout(path: &[&str], p: f64) -> Result<(), ParamIssue> {
    let mut at: Vec<&str> = path.to_vec();
    at.push("dropout");
    if (0.0..1.0).contains(&p) { Ok(()) } else { Err(ParamIssue::new(&at, format!("`dropout` must be in [0, 1), got {p}"))) }
}

/// Training or inference, and the seeded RNG dropout masks come from while training.
pub(crate) struct Forward {
    rng: Option<ChaCha8Rng>,
}

impl Forward {
    /// Inference: dropout is the identity.
    pub(crate) fn eval() -> Self {
        Self { rng: None }
    }

    /// Training, with dropout masks drawn from `rng`.
    pub(crate) fn train(rng: ChaCha8Rng) -> Self {
        Self { rng: Some(rng) }
    }

    /// The RNG back, to carry on the stream in the next batch.
    pub(crate) fn into_rng(self) -> Option<ChaCha8Rng> {
        self.rng
    }

    /// Inverted dropout with probability `p` (the mask is built on the host from our RNG).
    pub(crate) fn dropout(&mut self, x: &Tensor, p: f64) -> candle_core::Result<Tensor> {
        let Some(rng) = self.rng.as_mut() else { return Ok(x.clone()) };
        if p == 0.0 {
            return Ok(x.clone());
        }
        let keep = 1.0 - p;
        let scale = (1.0 / keep) as f32;
        let mask: Vec<f32> = (0..x.elem_count()).map(|_| if rng.random::<f64>() < keep { scale } else { 0.0 }).collect();
        x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?)
    }
}

/// `y = x W + b` over the last dimension of `x` (any rank), `W` stored `[in, out]`.
pub(crate) struct Linear {
    w: Tensor,
    b: Tensor,
}

impl Linear {
    /// PyTorch's default initialisation: `U(-1/sqrt(in), 1/sqrt(in))` for weight and bias.
    pub(crate) fn new(store: &mut Store<'_>, name: &str, d_in: usize, d_out: usize) -> Result<Self, StageError> {
        let bound = 1.0 / (d_in as f64).sqrt();
        Self::with_init(store, name, d_in, d_out, Init::Uniform(bound), Init::Uniform(bound))
    }

    pub(crate) fn with_init(store: &mut Store<'_>, name: &str, d_in: usize, d_out: usize, w: Init, b: Init) -> Result<Self, StageError> {
        Ok(Self { w: store.get(&format!("{name}.weight"), &[d_in, d_out], w, true)?, b: store.get(&format!("{name}.bias"), &[d_out], b, false)? })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims();
        let d_in = dims[dims.len() - 1];
        let rows = x.elem_count() / d_in;
        let y = x.reshape((rows, d_in))?.matmul(&self.w)?.broadcast_add(&self.b)?;
        let mut out_dims = dims.to_vec();
        *out_dims.last_mut().expect("rank >= 1") = self.w.dim(1)?;
        y.reshape(out_dims)
    }
}

/// Layer normalisation over the last dimension, with gain and bias (composed from
/// differentiable ops: candle's fused layer-norm kernel has no backward pass).
pub(crate) struct LayerNorm {
    gain: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    pub(crate) fn new(store: &mut Store<'_>, name: &str, dim: usize) -> Result<Self, StageError> {
        Ok(Self {
            gain: store.get(&format!("{name}.weight"), &[dim], Init::Ones, false)?,
            bias: store.get(&format!("{name}.bias"), &[dim], Init::Zeros, false)?,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm_slow(x, &self.gain, &self.bias, 1e-5)
    }
}

/// A hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
    Relu,
    /// GELU (erf form, as PyTorch's default).
    Gelu,
}

impl Activation {
    pub(crate) fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Relu => x.relu(),
            Self::Gelu => x.gelu_erf(),
        }
    }
}

/// The last time step of `[batch, seq, dim]`: `[batch, dim]`.
pub(crate) fn last_step(x: &Tensor) -> candle_core::Result<Tensor> {
    let seq = x.dim(1)?;
    x.narrow(1, seq - 1, 1)?.squeeze(1)
}

/// Mean over time of `[batch, seq, dim]`: `[batch, dim]`.
pub(crate) fn mean_over_time(x: &Tensor) -> candle_core::Result<Tensor> {
    x.mean(1)
}

/// The `k` taps of a dilated convolution over time, side by side: `[batch, seq, channels]`
/// left-padded with `left` zeros (causal when `left = (k - 1) * dilation`, centred otherwise)
/// and right-padded to keep `seq` outputs, to `[batch, seq, k * channels]`.
pub(crate) fn conv_taps(x: &Tensor, k: usize, dilation: usize, left: usize) -> candle_core::Result<Tensor> {
    let seq = x.dim(1)?;
    let span = (k - 1) * dilation;
    let padded = x.pad_with_zeros(1, left, span - left)?;
    let taps: Vec<Tensor> = (0..k).map(|j| padded.narrow(1, j * dilation, seq)).collect::<candle_core::Result<_>>()?;
    Tensor::cat(&taps, D::Minus1)
}
