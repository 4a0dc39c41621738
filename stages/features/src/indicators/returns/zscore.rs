//! Z-score of the close: `(C - SMA(C)) / σ(C)` over the window (population σ; 0 when the
//! window is flat).

use crate::indicators::kernels::{nans, rolling_mean_var};
use crate::indicators::{Indicator, Input};

/// `zscore_{period}`.
#[derive(Clone, Debug)]
pub struct ZScore {
    pub period: usize,
}

impl Indicator for ZScore {
    fn columns(&self) -> Vec<String> {
        vec![format!("zscore_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let c = input.close();
        let (mean, var) = rolling_mean_var(c, self.period, 0);
        let mut out = nans(c.len());
        for i in self.lookback()..c.len() {
            let sd = var[i].sqrt();
            out[i] = if sd > 0.0 { (c[i] - mean[i]) / sd } else { 0.0 };
        }
        vec![out]
    }
}
