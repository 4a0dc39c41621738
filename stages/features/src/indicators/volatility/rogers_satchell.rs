//! Rogers-Satchell volatility (drift-independent):
//! `sqrt(mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O)))`; per bar, not annualised.

use super::rolling_rms;
use crate::indicators::{Indicator, Input};

/// The Rogers-Satchell variance term of one bar.
pub(crate) fn rs_term(o: f64, h: f64, l: f64, c: f64) -> f64 {
    (h / c).ln() * (h / o).ln() + (l / c).ln() * (l / o).ln()
}

/// `rogers_satchell_{period}`.
#[derive(Clone, Debug)]
pub struct RogersSatchell {
    pub period: usize,
}

impl Indicator for RogersSatchell {
    fn columns(&self) -> Vec<String> {
        vec![format!("rogers_satchell_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (o, h, l, c) = (input.open(), input.high(), input.low(), input.close());
        let term: Vec<f64> = (0..c.len()).map(|i| rs_term(o[i], h[i], l[i], c[i])).collect();
        vec![rolling_rms(&term, self.period, 0)]
    }
}
