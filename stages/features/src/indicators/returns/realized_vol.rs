//! Realised volatility: the population standard deviation of one-bar log returns over
//! the window (per bar, not annualised).

use crate::indicators::kernels::rolling_mean_var;
use crate::indicators::{Indicator, Input};

/// `rvol_{period}`.
#[derive(Clone, Debug)]
pub struct RealizedVol {
    pub period: usize,
}

impl Indicator for RealizedVol {
    fn columns(&self) -> Vec<String> {
        vec![format!("rvol_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (_, var) = rolling_mean_var(input.log_returns(), self.period, 1);
        vec![var.into_iter().map(f64::sqrt).collect()]
    }
}
