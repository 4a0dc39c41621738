//! Parkinson volatility: `sqrt(mean(ln(H/L)²) / (4 ln 2))` over the window; per bar, not
//! annualised.

use super::rolling_rms;
use crate::indicators::{Indicator, Input};

/// `parkinson_{period}`.
#[derive(Clone, Debug)]
pub struct Parkinson {
    pub period: usize,
}

impl Indicator for Parkinson {
    fn columns(&self) -> Vec<String> {
        vec![format!("parkinson_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l) = (input.high(), input.low());
        let k = 1.0 / (4.0 * std::f64::consts::LN_2);
        let term: Vec<f64> = h.iter().zip(l).map(|(h, l)| k * (h / l).ln().powi(2)).collect();
        vec![rolling_rms(&term, self.period, 0)]
    }
}
