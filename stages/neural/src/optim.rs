//! AdamW (Loshchilov and Hutter 2019, as PyTorch's `torch.optim.AdamW`) with gradient
//! clipping by global norm (as `torch.nn.utils.clip_grad_norm_`), stepping the parameters
//! in name order so a step is the same arithmetic on every run.

use std::collections::BTreeMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use crate::params::TrainParams;
use crate::store::Param;

struct Slot {
    var: Var,
    decay: bool,
    m: Tensor,
    v: Tensor,
}

pub(crate) struct AdamW {
    slots: Vec<Slot>,
    step: i32,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    clip_norm: f64,
}

impl AdamW {
    pub(crate) fn new(params: &BTreeMap<String, Param>, train: &TrainParams) -> candle_core::Result<Self> {
        let slots = params
            .values()
            .map(|p| Ok(Slot { var: p.var.clone(), decay: p.decay, m: p.var.zeros_like()?, v: p.var.zeros_like()? }))
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { slots, step: 0, beta1: train.beta1, beta2: train.beta2, eps: train.eps, weight_decay: train.weight_decay, clip_norm: train.clip_norm })
    }

    /// One update at learning rate `lr`; returns the gradients' global norm before clipping.
    pub(crate) fn step(&mut self, grads: &GradStore, lr: f64) -> candle_core::Result<f64> {
        let gs: Vec<Option<&Tensor>> = self.slots.iter().map(|s| grads.get(s.var.as_tensor())).collect();
        let mut sq = 0f64;
        for g in gs.iter().flatten() {
            sq += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
        let norm = sq.sqrt();
        let scale = if self.clip_norm > 0.0 && norm > self.clip_norm { self.clip_norm / (norm + 1e-6) } else { 1.0 };
        self.step += 1;
        let bc1 = 1.0 - self.beta1.powi(self.step);
        let bc2 = 1.0 - self.beta2.powi(self.step);
        for (slot, g) in self.slots.iter_mut().zip(gs) {
            let Some(g) = g else { continue };
            // Detached: the moments outlive the step, and a moment still linked to this
            // batch's gradient graph (and through it to the batch's activations) would keep
            // every batch of the run alive, chained through the next step's moment.
            let g = g.detach();
            let g = if scale == 1.0 { g } else { g.affine(scale, 0.0)? };
            slot.m = (slot.m.affine(self.beta1, 0.0)? + g.affine(1.0 - self.beta1, 0.0)?)?.detach();
            slot.v = (slot.v.affine(self.beta2, 0.0)? + g.sqr()?.affine(1.0 - self.beta2, 0.0)?)?.detach();
            let update = slot.m.affine(1.0 / bc1, 0.0)?.div(&slot.v.affine(1.0 / bc2, 0.0)?.sqrt()?.affine(1.0, self.eps)?)?;
            let p = slot.var.as_tensor().detach();
            let decayed = if slot.decay && self.weight_decay > 0.0 { p.affine(1.0 - lr * self.weight_decay, 0.0)? } else { p };
            slot.var.set(&(decayed - update.affine(lr, 0.0)?)?)?;
        }
        Ok(norm)
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    /// One AdamW step by hand, as PyTorch computes it (lr 0.1, wd 0.01, betas 0.9/0.999):
    /// p = 1.0, grad = 2.0 (from loss = 2p): m = 0.2, v = 0.004, m^ = 2, v^ = 4,
    /// p' = 1 * (1 - 0.1 * 0.01) - 0.1 * 2 / (2 + 1e-8) = 0.899.
    #[test]
    fn one_step_matches_the_formula() {
        let var = Var::from_tensor(&Tensor::new(&[1f32], &Device::Cpu).unwrap()).unwrap();
        let params: BTreeMap<String, Param> = [("p".to_owned(), Param { var: var.clone(), decay: true })].into();
        let train = TrainParams { weight_decay: 0.01, clip_norm: 0.0, ..TrainParams::default() };
        let mut opt = AdamW::new(&params, &train).unwrap();
        let loss = var.as_tensor().affine(2.0, 0.0).unwrap().sum_all().unwrap();
        let norm = opt.step(&loss.backward().unwrap(), 0.1).unwrap();
        assert!((norm - 2.0).abs() < 1e-9);
        assert!((var.as_tensor().to_vec1::<f32>().unwrap()[0] - 0.899).abs() < 1e-6);
    }

    /// The moments carry no graph back into the step. With a gradient that depends on the
    /// weights (as every network's does), a linked moment kept each batch's graph alive,
    /// chained step to step: the LSTM epoch bench's memory grew by ~50 MB a batch.
    #[test]
    fn moments_hold_no_graph() {
        let var = Var::from_tensor(&Tensor::new(&[1f32, 2.0], &Device::Cpu).unwrap()).unwrap();
        let params: BTreeMap<String, Param> = [("p".to_owned(), Param { var: var.clone(), decay: true })].into();
        let mut opt = AdamW::new(&params, &TrainParams::default()).unwrap();
        for _ in 0..2 {
            let loss = var.as_tensor().sqr().unwrap().sum_all().unwrap();
            let grads = loss.backward().unwrap();
            assert!(grads.get(var.as_tensor()).unwrap().track_op(), "this gradient is itself a graph");
            opt.step(&grads, 0.1).unwrap();
            assert!(!opt.slots[0].m.track_op() && !opt.slots[0].v.track_op());
        }
    }

    #[test]
    fn clipping_bounds_the_global_norm() {
        // grad (3, 4), norm 5, clipped to 1: Adam's first step moves each coordinate by lr
        // whatever the scale, so check the moments instead.
        let var = Var::from_tensor(&Tensor::new(&[0f32, 0.0], &Device::Cpu).unwrap()).unwrap();
        let params: BTreeMap<String, Param> = [("p".to_owned(), Param { var: var.clone(), decay: false })].into();
        let train = TrainParams { clip_norm: 1.0, ..TrainParams::default() };
        let mut opt = AdamW::new(&params, &train).unwrap();
        let w = Tensor::new(&[3f32, 4.0], &Device::Cpu).unwrap();
        let loss = var.as_tensor().mul(&w).unwrap().sum_all().unwrap();
        assert!((opt.step(&loss.backward().unwrap(), 0.1).unwrap() - 5.0).abs() < 1e-6);
        let m = opt.slots[0].m.to_vec1::<f32>().unwrap();
        assert!((m[0] - 0.1 * 0.6).abs() < 1e-6 && (m[1] - 0.1 * 0.8).abs() < 1e-6, "{m:?}");
    }
}
