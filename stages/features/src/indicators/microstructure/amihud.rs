//! Amihud illiquidity: absolute log return per unit of traded notional, over the window,
//! as a ratio of sums `1e6 · Σ|r| / Σ(C·V)` (per million of notional in price units).
//!
//! The ratio of sums (rather than the mean of per-bar ratios) stays finite through bars
//! with no volume; 0 when the window traded nothing.

use crate::indicators::kernels::{WindowSum, nans};
use crate::indicators::{Indicator, Input};

/// `amihud_{period}`.
#[derive(Clone, Debug)]
pub struct Amihud {
    pub period: usize,
}

impl Indicator for Amihud {
    fn columns(&self) -> Vec<String> {
        vec![format!("amihud_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (c, v) = (input.close(), input.volume());
        let abs_r: Vec<f64> = input.log_returns().iter().map(|r| r.abs()).collect();
        let notional: Vec<f64> = c.iter().zip(v).map(|(c, v)| c * v).collect();
        let (mut rs, mut ns) = (WindowSum::new(self.period), WindowSum::new(self.period));
        let mut out = nans(c.len());
        for i in self.lookback()..c.len() {
            let (r, n) = (rs.at(&abs_r, i), ns.at(&notional, i));
            out[i] = if n > 0.0 { 1e6 * r / n } else { 0.0 };
        }
        vec![out]
    }
}
