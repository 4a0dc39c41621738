//! Aroon oscillator (TA-Lib `AROONOSC`): Aroon up minus Aroon down, same tie rule.

use crate::indicators::kernels::{Extreme, extreme_index, nans};
use crate::indicators::{Indicator, Input};

/// `aroonosc_{period}`.
#[derive(Clone, Debug)]
pub struct AroonOsc {
    pub period: usize,
}

impl Indicator for AroonOsc {
    fn columns(&self) -> Vec<String> {
        vec![format!("aroonosc_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let hi = extreme_index(input.high(), n + 1, 0, Extreme::Max);
        let lo = extreme_index(input.low(), n + 1, 0, Extreme::Min);
        let factor = 100.0 / n as f64;
        let mut out = nans(hi.len());
        for i in n..hi.len() {
            out[i] = factor * (hi[i] as f64 - lo[i] as f64);
        }
        vec![out]
    }
}
