//! Fused kernels: the same functions as compositions of candle ops, computed with fewer
//! passes over memory and without the gradients nobody needs.
//!
//! - [`project`]: `x W` for a layer's input, whose backward skips `dx` when `x` is data
//!   (candle's matmul backward always computes both operands' gradients; for an LSTM's first
//!   layer that is a third of the backward pass). Runs on every device.
//! - [`lstm`]: the LSTM recurrence over time as one CPU op with a hand-written backward
//!   (saved gate activations, one small matrix product per step each way), instead of about
//!   fifteen candle ops per step forward and three times that backward.
//!
//! Both are tested against the composed ops (values and gradients).

pub(crate) mod lstm;
mod math;

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CudaStorage, CustomOp2, Layout, Shape, Tensor};

/// `x [n, in] @ w [in, out]`; the backward pass yields `dx` only when `input_grad`.
struct Project {
    input_grad: bool,
}

fn project_shape(l1: &Layout, l2: &Layout) -> candle_core::Result<(usize, usize, usize)> {
    let (n, k) = l1.shape().dims2()?;
    let (k2, m) = l2.shape().dims2()?;
    if k != k2 {
        candle_core::bail!("project: x is {:?} but w is {:?}", l1.shape(), l2.shape());
    }
    Ok((n, m, k))
}

impl CustomOp2 for Project {
    fn name(&self) -> &'static str {
        "mlfactory-project"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, m, k) = project_shape(l1, l2)?;
        Ok((s1.matmul(s2, (1, n, m, k), l1, l2)?, Shape::from((n, m))))
    }

    fn cuda_fwd(&self, s1: &CudaStorage, l1: &Layout, s2: &CudaStorage, l2: &Layout) -> candle_core::Result<(CudaStorage, Shape)> {
        let (n, m, k) = project_shape(l1, l2)?;
        Ok((s1.matmul(s2, (1, n, m, k), l1, l2)?, Shape::from((n, m))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let dw = x.t()?.matmul(grad)?;
        let dx = if self.input_grad { Some(grad.matmul(&w.t()?)?) } else { None };
        Ok((dx, Some(dw)))
    }
}

/// `x [n, in] @ w [in, out]`; pass `input_grad: false` when `x` is data (no gradient needed).
pub(crate) fn project(x: &Tensor, w: &Tensor, input_grad: bool) -> candle_core::Result<Tensor> {
    x.apply_op2(w, Project { input_grad })
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    #[test]
    fn project_matches_matmul_with_and_without_input_gradient() {
        let dev = Device::Cpu;
        let x = Var::from_tensor(&Tensor::arange(0f32, 6.0, &dev).unwrap().reshape((3, 2)).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::new(&[[1f32, -2.0], [0.5, 3.0]], &dev).unwrap()).unwrap();
        let reference = x.matmul(&w).unwrap();
        let r_grads = reference.sum_all().unwrap().backward().unwrap();
        for input_grad in [true, false] {
            let y = project(&x, &w, input_grad).unwrap();
            assert_eq!(y.to_vec2::<f32>().unwrap(), reference.to_vec2::<f32>().unwrap());
            let grads = y.sum_all().unwrap().backward().unwrap();
            assert_eq!(grads.get(&w).unwrap().to_vec2::<f32>().unwrap(), r_grads.get(&w).unwrap().to_vec2::<f32>().unwrap());
            assert_eq!(grads.get(&x).is_some(), input_grad);
            if input_grad {
                assert_eq!(grads.get(&x).unwrap().to_vec2::<f32>().unwrap(), r_grads.get(&x).unwrap().to_vec2::<f32>().unwrap());
            }
        }
    }
}
