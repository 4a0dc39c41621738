//! Simple moving average of the close (TA-Lib `SMA`).

use crate::indicators::kernels::sma;
use crate::indicators::{Indicator, Input};

/// `sma_{period}`: mean of the last `period` closes.
#[derive(Clone, Debug)]
pub struct Sma {
    pub period: usize,
}

impl Indicator for Sma {
    fn columns(&self) -> Vec<String> {
        vec![format!("sma_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![sma(input.close(), self.period, 0)]
    }
}
