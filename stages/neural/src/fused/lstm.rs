//! The LSTM recurrence as one CPU op with its own backward pass.
//!
//! Input: the input projection `xp [T, B, 4H]` (time-major, gate order i, f, g, o as
//! PyTorch), the recurrent weights `w_hh [H, 4H]` and the gate bias `b [4H]` (added here and
//! summed here in the backward pass: a broadcast add over `[T, B, 4H]` and its reduction cost
//! a fifth of an epoch as separate candle ops). Output: the hidden states `[T, B, H]`, or `[1, B, H]` (the last step) when
//! only that is needed. Forward saves the gate activations, cell states and `tanh(c)`; the
//! backward pass walks time in reverse with one `[B, 4H] x [4H, H]` product per step and
//! ends with one product for `dW_hh`. Matrix products go through candle's CPU matmul (gemm),
//! whose results do not depend on the thread count; the rest is sequential.

use std::sync::Mutex;

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp3, Device, Layout, Shape, Tensor};

use super::math::{sigmoid_in_place, tanh, tanh_in_place};

/// What forward keeps for backward (all time-major).
struct Saved {
    /// Gate activations `[T, B, 4H]`.
    gates: Vec<f32>,
    /// Cell states and their tanh, hidden states: `[T, B, H]`.
    c: Vec<f32>,
    tanh_c: Vec<f32>,
    h: Vec<f32>,
}

struct Recurrence {
    last_only: bool,
    saved: Mutex<Option<Saved>>,
}

fn contiguous<'a>(s: &'a CpuStorage, l: &Layout) -> candle_core::Result<&'a [f32]> {
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&s.as_slice::<f32>()?[start..end]),
        None => candle_core::bail!("lstm recurrence: inputs must be contiguous"),
    }
}

impl CustomOp3 for Recurrence {
    fn name(&self) -> &'static str {
        "mlfactory-lstm-recurrence"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (t_len, b, g4) = l1.shape().dims3()?;
        let h = g4 / 4;
        if l2.shape().dims2()? != (h, g4) {
            candle_core::bail!("lstm recurrence: w_hh is {:?}, expected [{h}, {g4}]", l2.shape());
        }
        let bias = contiguous(s3, l3)?;
        if bias.len() != g4 {
            candle_core::bail!("lstm recurrence: bias has {} values, expected {g4}", bias.len());
        }
        let mut gates = contiguous(s1, l1)?.to_vec();
        for row in gates.chunks_exact_mut(g4) {
            for (g, b) in row.iter_mut().zip(bias) {
                *g += b;
            }
        }
        let (bh, bg) = (b * h, b * g4);
        let mut c = vec![0f32; t_len * bh];
        let mut tanh_c = vec![0f32; t_len * bh];
        let mut hs = vec![0f32; t_len * bh];
        let h_layout = Layout::contiguous((b, h));
        for t in 0..t_len {
            let step = &mut gates[t * bg..(t + 1) * bg];
            if t > 0 {
                let h_prev = CpuStorage::F32(hs[(t - 1) * bh..t * bh].to_vec());
                let rec = h_prev.matmul(s2, (1, b, g4, h), &h_layout, l2)?;
                for (g, r) in step.iter_mut().zip(rec.as_slice::<f32>()?) {
                    *g += r;
                }
            }
            let (c_done, c_now) = c.split_at_mut(t * bh);
            let c_prev = if t > 0 { Some(&c_done[(t - 1) * bh..]) } else { None };
            let c_now = &mut c_now[..bh];
            let tc_now = &mut tanh_c[t * bh..(t + 1) * bh];
            let h_now = &mut hs[t * bh..(t + 1) * bh];
            for r in 0..b {
                let row = &mut step[r * g4..(r + 1) * g4];
                sigmoid_in_place(&mut row[..2 * h]);
                tanh_in_place(&mut row[2 * h..3 * h]);
                sigmoid_in_place(&mut row[3 * h..]);
                let (i, rest) = row.split_at(h);
                let (f, rest) = rest.split_at(h);
                let (g, o) = rest.split_at(h);
                let cr = &mut c_now[r * h..(r + 1) * h];
                match c_prev {
                    Some(cp) => {
                        for j in 0..h {
                            cr[j] = f[j] * cp[r * h + j] + i[j] * g[j];
                        }
                    }
                    None => {
                        for j in 0..h {
                            cr[j] = i[j] * g[j];
                        }
                    }
                }
                let tcr = &mut tc_now[r * h..(r + 1) * h];
                for j in 0..h {
                    tcr[j] = tanh(cr[j]);
                }
                let hr = &mut h_now[r * h..(r + 1) * h];
                for j in 0..h {
                    hr[j] = o[j] * tcr[j];
                }
            }
        }
        let (out, shape) = if self.last_only { (hs[(t_len - 1) * bh..].to_vec(), Shape::from((1, b, h))) } else { (hs.clone(), Shape::from((t_len, b, h))) };
        *self.saved.lock().expect("lstm saved state") = Some(Saved { gates, c, tanh_c, h: hs });
        Ok((CpuStorage::F32(out), shape))
    }

    fn bwd(
        &self,
        xp: &Tensor,
        w_hh: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let Some(saved) = self.saved.lock().expect("lstm saved state").take() else {
            candle_core::bail!("lstm recurrence: backward without a saved forward pass (backward run twice?)")
        };
        let (t_len, b, g4) = xp.dims3()?;
        let h = g4 / 4;
        let (bh, bg) = (b * h, b * g4);
        let grad = grad.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let w_t = w_hh.t()?;
        let mut d_gates = vec![0f32; t_len * bg];
        let mut dh_next = vec![0f32; bh];
        let mut dc_next = vec![0f32; bh];
        for t in (0..t_len).rev() {
            let grad_t = if self.last_only { (t == t_len - 1).then_some(&grad[..]) } else { Some(&grad[t * bh..(t + 1) * bh]) };
            let gates_t = &saved.gates[t * bg..(t + 1) * bg];
            let d_t = &mut d_gates[t * bg..(t + 1) * bg];
            for r in 0..b {
                let row = &gates_t[r * g4..(r + 1) * g4];
                let d_row = &mut d_t[r * g4..(r + 1) * g4];
                for j in 0..h {
                    let k = r * h + j;
                    let idx = t * bh + k;
                    let dh = dh_next[k] + grad_t.map_or(0.0, |g| g[k]);
                    let (i, f, g, o) = (row[j], row[h + j], row[2 * h + j], row[3 * h + j]);
                    let tc = saved.tanh_c[idx];
                    let c_prev = if t > 0 { saved.c[idx - bh] } else { 0.0 };
                    let dc = dc_next[k] + dh * o * (1.0 - tc * tc);
                    d_row[j] = dc * g * i * (1.0 - i);
                    d_row[h + j] = dc * c_prev * f * (1.0 - f);
                    d_row[2 * h + j] = dc * i * (1.0 - g * g);
                    d_row[3 * h + j] = dh * tc * o * (1.0 - o);
                    dc_next[k] = dc * f;
                }
            }
            if t > 0 {
                dh_next = Tensor::from_slice(d_t, (b, g4), &Device::Cpu)?.matmul(&w_t)?.flatten_all()?.to_vec1::<f32>()?;
            }
        }
        // dW_hh = sum_t h_{t-1}^T dG_t, with h_{-1} = 0.
        let mut h_prev = vec![0f32; t_len * bh];
        h_prev[bh..].copy_from_slice(&saved.h[..(t_len - 1) * bh]);
        let mut d_b = vec![0f32; g4];
        for row in d_gates.chunks_exact(g4) {
            for (acc, d) in d_b.iter_mut().zip(row) {
                *acc += d;
            }
        }
        let d_gates = Tensor::from_vec(d_gates, (t_len * b, g4), &Device::Cpu)?;
        let d_w = Tensor::from_vec(h_prev, (t_len * b, h), &Device::Cpu)?.t()?.matmul(&d_gates)?;
        Ok((Some(d_gates.reshape((t_len, b, g4))?), Some(d_w), Some(Tensor::from_vec(d_b, g4, &Device::Cpu)?)))
    }
}

/// Hidden states of the LSTM over `xp [T, B, 4H]` with recurrent weights `w_hh [H, 4H]` and
/// gate bias `b [4H]`: `[T, B, H]`, or `[1, B, H]` when `last_only`. CPU tensors only.
pub(crate) fn recurrence(xp: &Tensor, w_hh: &Tensor, b: &Tensor, last_only: bool) -> candle_core::Result<Tensor> {
    xp.contiguous()?.apply_op3(&w_hh.contiguous()?, &b.contiguous()?, Recurrence { last_only, saved: Mutex::new(None) })
}

#[cfg(test)]
mod tests {
    use candle_core::Var;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rstest::rstest;

    use super::*;
    use crate::nets::rnn::lstm_steps;

    fn random(rng: &mut ChaCha8Rng, shape: &[usize], scale: f32) -> Tensor {
        let n = shape.iter().product();
        Tensor::from_vec((0..n).map(|_| rng.random_range(-scale..scale)).collect::<Vec<f32>>(), shape, &Device::Cpu).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// The fused op computes the composed ops' function and gradients.
    #[rstest]
    #[case(5, 3, 4, false)]
    #[case(7, 2, 8, true)]
    #[case(1, 4, 3, false)]
    fn matches_the_composed_lstm(#[case] t: usize, #[case] b: usize, #[case] h: usize, #[case] last_only: bool) {
        let mut rng = ChaCha8Rng::seed_from_u64((t * 100 + b * 10 + h) as u64);
        let xp = Var::from_tensor(&random(&mut rng, &[t, b, 4 * h], 2.0)).unwrap();
        let w = Var::from_tensor(&random(&mut rng, &[h, 4 * h], 0.8)).unwrap();
        let bias = Var::from_tensor(&random(&mut rng, &[4 * h], 0.5)).unwrap();
        let out_len = if last_only { 1 } else { t };
        let probe = random(&mut rng, &[out_len, b, h], 1.0);
        let fused = recurrence(&xp, &w, &bias, last_only).unwrap();
        let composed = lstm_steps(&xp.broadcast_add(&bias).unwrap(), &w, last_only).unwrap();
        assert_eq!(fused.dims(), composed.dims());
        assert!(max_diff(&fused, &composed) < 1e-5);
        let gf = fused.mul(&probe).unwrap().sum_all().unwrap().backward().unwrap();
        let gc = composed.mul(&probe).unwrap().sum_all().unwrap().backward().unwrap();
        for v in [&xp, &w, &bias] {
            let d = max_diff(gf.get(v).unwrap(), gc.get(v).unwrap());
            assert!(d < 1e-4, "gradient differs by {d}");
        }
    }
}
