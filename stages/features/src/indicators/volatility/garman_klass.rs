//! Garman-Klass volatility: `sqrt(mean(0.5 ln(H/L)² - (2 ln 2 - 1) ln(C/O)²))` over the
//! window (clamped at 0); per bar, not annualised.

use super::rolling_rms;
use crate::indicators::{Indicator, Input};

/// `garman_klass_{period}`.
#[derive(Clone, Debug)]
pub struct GarmanKlass {
    pub period: usize,
}

impl Indicator for GarmanKlass {
    fn columns(&self) -> Vec<String> {
        vec![format!("garman_klass_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (o, h, l, c) = (input.open(), input.high(), input.low(), input.close());
        let k = 2.0 * std::f64::consts::LN_2 - 1.0;
        let term: Vec<f64> = (0..c.len()).map(|i| 0.5 * (h[i] / l[i]).ln().powi(2) - k * (c[i] / o[i]).ln().powi(2)).collect();
        vec![rolling_rms(&term, self.period, 0)]
    }
}
