//! Chande momentum oscillator as TA-Lib computes it (`CMO`): Wilder-smoothed gains and
//! losses like RSI, `100 (g - l) / (g + l)` (so `CMO = 2 RSI - 100`).

use super::rsi::wilder_gain_loss;
use crate::indicators::kernels::{is_zero, nans};
use crate::indicators::{Indicator, Input};

/// `cmo_{period}`.
#[derive(Clone, Debug)]
pub struct Cmo {
    pub period: usize,
}

impl Indicator for Cmo {
    fn columns(&self) -> Vec<String> {
        vec![format!("cmo_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let mut out = nans(x.len());
        wilder_gain_loss(x, self.period, 0, |i, g, l| {
            let total = g + l;
            out[i] = if is_zero(total) { 0.0 } else { 100.0 * ((g - l) / total) };
        });
        vec![out]
    }
}
