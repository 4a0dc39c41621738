//! Exponential moving average of the close (TA-Lib `EMA`: k = 2/(n+1), seeded with the
//! SMA of the first n closes).

use crate::indicators::kernels::ema;
use crate::indicators::{Indicator, Input};

/// `ema_{period}`.
#[derive(Clone, Debug)]
pub struct Ema {
    pub period: usize,
}

impl Indicator for Ema {
    fn columns(&self) -> Vec<String> {
        vec![format!("ema_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![ema(input.close(), self.period, 0)]
    }
}
