//! Linearly weighted moving average of the close (TA-Lib `WMA`).

use crate::indicators::kernels::wma;
use crate::indicators::{Indicator, Input};

/// `wma_{period}`: weights 1..n, the newest bar weighing n.
#[derive(Clone, Debug)]
pub struct Wma {
    pub period: usize,
}

impl Indicator for Wma {
    fn columns(&self) -> Vec<String> {
        vec![format!("wma_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![wma(input.close(), self.period, 0)]
    }
}
