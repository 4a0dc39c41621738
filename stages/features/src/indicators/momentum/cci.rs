//! Commodity channel index (TA-Lib `CCI`): `(TP - SMA(TP)) / (0.015 MAD(TP))` with
//! `TP = (H + L + C) / 3`; 0 when either the numerator or the mean deviation is 0.

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `cci_{period}`.
#[derive(Clone, Debug)]
pub struct Cci {
    pub period: usize,
}

impl Indicator for Cci {
    fn columns(&self) -> Vec<String> {
        vec![format!("cci_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c) = (input.high(), input.low(), input.close());
        let n = self.period;
        let nf = n as f64;
        let tp: Vec<f64> = (0..c.len()).map(|i| (h[i] + l[i] + c[i]) / 3.0).collect();
        let mut out = nans(c.len());
        for i in self.lookback()..c.len() {
            let w = &tp[i + 1 - n..=i];
            let avg = sum4(w, |v| v) / nf;
            let dev = sum4(w, |v| (v - avg).abs());
            let num = tp[i] - avg;
            out[i] = if num != 0.0 && dev != 0.0 { num / (0.015 * (dev / nf)) } else { 0.0 };
        }
        vec![out]
    }
}

/// `Σ f(v)` over `w` in four interleaved partial sums: the window loops are CCI's whole
/// cost (O(n · period), as TA-Lib's), and independent sums let them run in SIMD lanes.
fn sum4(w: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = w.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for c in chunks {
        for k in 0..4 {
            acc[k] += f(c[k]);
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}
