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
            let avg = w.iter().sum::<f64>() / nf;
            let dev: f64 = w.iter().map(|v| (v - avg).abs()).sum();
            let num = tp[i] - avg;
            out[i] = if num != 0.0 && dev != 0.0 { num / (0.015 * (dev / nf)) } else { 0.0 };
        }
        vec![out]
    }
}
