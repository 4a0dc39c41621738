//! Recurrent encoders: stacked LSTM or GRU over the window, read at its last step.
//!
//! Gates follow PyTorch's `nn.LSTM` (input, forget, cell, output) and `nn.GRU` (reset,
//! update, new; the reset gate multiplies the recurrent projection including its bias),
//! with the same initialisation `U(-1/sqrt(hidden), 1/sqrt(hidden))`, so the two compute the
//! same function from the same weights. The input projection of all time steps is one
//! matrix product ([`crate::fused::project`]); only the recurrent product runs step by
//! step. On the CPU the LSTM recurrence is one fused op ([`crate::fused::lstm`]); elsewhere
//! it runs as the composed ops of [`lstm_steps`], which the fused op is tested against.

use candle_core::Tensor;
use mlfactory_engine::{ParamIssue, StageError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Encoder, Forward};
use crate::fused;
use crate::store::{Init, Store};

/// A stack of recurrent layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RnnArch {
    /// Rows per window: the row itself and the `seq_len - 1` rows before it in its segment
    /// (zeros stand in for rows before the segment's start).
    pub seq_len: usize,
    /// Hidden units per layer.
    pub hidden: usize,
    /// Stacked recurrent layers.
    pub layers: usize,
    /// Dropout on the outputs of each layer (between layers and before the heads) while training.
    pub dropout: f64,
}

impl Default for RnnArch {
    fn default() -> Self {
        Self { seq_len: 60, hidden: 64, layers: 1, dropout: 0.0 }
    }
}

impl RnnArch {
    pub(crate) fn check(&self, path: &[&str]) -> Result<(), ParamIssue> {
        super::check_seq_len(path, self.seq_len)?;
        super::check_positive(path, "hidden", self.hidden)?;
        super::check_positive(path, "layers", self.layers)?;
        super::check_dropout(path, self.dropout)
    }
}

/// Which recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    Lstm,
    Gru,
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Self::Lstm => 4,
            Self::Gru => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Lstm => "lstm",
            Self::Gru => "gru",
        }
    }
}

/// One layer's weights: `w_ih [in, G*H]`, `w_hh [H, G*H]`, biases `[G*H]`.
pub(crate) struct Layer {
    pub(crate) w_ih: Tensor,
    pub(crate) w_hh: Tensor,
    pub(crate) b_ih: Tensor,
    pub(crate) b_hh: Tensor,
}

pub(crate) struct Rnn {
    cell: Cell,
    layers: Vec<Layer>,
    hidden: usize,
    dropout: f64,
}

impl Rnn {
    pub(crate) fn new(cell: Cell, arch: &RnnArch, store: &mut Store<'_>, n_features: usize) -> Result<Self, StageError> {
        let h = arch.hidden;
        let g = cell.gates() * h;
        let init = Init::Uniform(1.0 / (h as f64).sqrt());
        let mut layers = Vec::with_capacity(arch.layers);
        for l in 0..arch.layers {
            let d_in = if l == 0 { n_features } else { h };
            let name = format!("{}.{l}", cell.name());
            layers.push(Layer {
                w_ih: store.get(&format!("{name}.w_ih"), &[d_in, g], init, true)?,
                w_hh: store.get(&format!("{name}.w_hh"), &[h, g], init, true)?,
                b_ih: store.get(&format!("{name}.b_ih"), &[g], init, false)?,
                b_hh: store.get(&format!("{name}.b_hh"), &[g], init, false)?,
            });
        }
        Ok(Self { cell, layers, hidden: h, dropout: arch.dropout })
    }
}

impl Encoder for Rnn {
    fn forward(&self, x: &Tensor, fwd: &mut Forward) -> candle_core::Result<Tensor> {
        // Time-major inside: [T, B, features].
        let mut seq = x.transpose(0, 1)?.contiguous()?;
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let (t, b, d) = seq.dims3()?;
            let g = layer.w_ih.dim(1)?;
            // The first layer's input is data: its gradient is never needed.
            let xp = fused::project(&seq.reshape((t * b, d))?, &layer.w_ih, l > 0)?.reshape((t, b, g))?;
            let last_only = l == last;
            seq = match self.cell {
                Cell::Lstm => {
                    let bias = (&layer.b_ih + &layer.b_hh)?;
                    if xp.device().is_cpu() {
                        fused::lstm::recurrence(&xp, &layer.w_hh, &bias, last_only)?
                    } else {
                        lstm_steps(&xp.broadcast_add(&bias)?, &layer.w_hh, last_only)?
                    }
                }
                Cell::Gru => gru_steps(&xp.broadcast_add(&layer.b_ih)?, &layer.w_hh, &layer.b_hh, last_only)?,
            };
            seq = fwd.dropout(&seq, self.dropout)?;
        }
        // The last layer returned its last step only: [1, B, H].
        seq.squeeze(0)
    }

    fn out_dim(&self) -> usize {
        self.hidden
    }
}

/// The LSTM recurrence from differentiable tensor ops. `xp [T, B, 4H]`: input projections
/// with both biases; returns `[T, B, H]`, or `[1, B, H]` (the last step) when `last_only`.
pub(crate) fn lstm_steps(xp: &Tensor, w_hh: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
    let (t, b, _) = xp.dims3()?;
    let h_dim = w_hh.dim(0)?;
    let mut h = Tensor::zeros((b, h_dim), xp.dtype(), xp.device())?;
    let mut c = h.clone();
    let mut outs = Vec::with_capacity(if last_only { 1 } else { t });
    for step in 0..t {
        let g = (xp.get(step)? + h.matmul(w_hh)?)?;
        let i = candle_nn::ops::sigmoid(&g.narrow(1, 0, h_dim)?)?;
        let f = candle_nn::ops::sigmoid(&g.narrow(1, h_dim, h_dim)?)?;
        let gg = g.narrow(1, 2 * h_dim, h_dim)?.tanh()?;
        let o = candle_nn::ops::sigmoid(&g.narrow(1, 3 * h_dim, h_dim)?)?;
        c = ((f * &c)? + (i * gg)?)?;
        h = (o * c.tanh()?)?;
        if !last_only {
            outs.push(h.clone());
        }
    }
    if last_only { h.unsqueeze(0) } else { Tensor::stack(&outs, 0) }
}

/// The GRU recurrence from differentiable tensor ops. `xp [T, B, 3H]`: input projections
/// with the input bias; `b_hh` is inside the reset gate's product as in PyTorch. Shapes as
/// [`lstm_steps`].
pub(crate) fn gru_steps(xp: &Tensor, w_hh: &Tensor, b_hh: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
    let (t, b, _) = xp.dims3()?;
    let h_dim = w_hh.dim(0)?;
    let mut h = Tensor::zeros((b, h_dim), xp.dtype(), xp.device())?;
    let mut outs = Vec::with_capacity(if last_only { 1 } else { t });
    for step in 0..t {
        let xg = xp.get(step)?;
        let hg = h.matmul(w_hh)?.broadcast_add(b_hh)?;
        let r = candle_nn::ops::sigmoid(&(xg.narrow(1, 0, h_dim)? + hg.narrow(1, 0, h_dim)?)?)?;
        let z = candle_nn::ops::sigmoid(&(xg.narrow(1, h_dim, h_dim)? + hg.narrow(1, h_dim, h_dim)?)?)?;
        let n = (xg.narrow(1, 2 * h_dim, h_dim)? + (r * hg.narrow(1, 2 * h_dim, h_dim)?)?)?.tanh()?;
        // h' = (1 - z) n + z h = n + z (h - n)
        h = (&n + (z * (&h - &n)?)?)?;
        if !last_only {
            outs.push(h.clone());
        }
    }
    if last_only { h.unsqueeze(0) } else { Tensor::stack(&outs, 0) }
}
