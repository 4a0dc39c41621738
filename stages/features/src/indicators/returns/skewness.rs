//! Rolling skewness of one-bar log returns: the adjusted Fisher-Pearson coefficient
//! `G1 = sqrt(n (n-1)) / (n-2) · m3 / m2^1.5` (pandas' `rolling().skew()`); 0 on a window
//! without variation.

use super::rolling_moments;
use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `skew_{period}` (period >= 3).
#[derive(Clone, Debug)]
pub struct Skewness {
    pub period: usize,
}

impl Indicator for Skewness {
    fn columns(&self) -> Vec<String> {
        vec![format!("skew_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let r = input.log_returns();
        let [m2, m3, _] = rolling_moments(&r, self.period, 1);
        let n = self.period as f64;
        let adj = (n * (n - 1.0)).sqrt() / (n - 2.0);
        let mut out = nans(r.len());
        for i in self.lookback()..r.len() {
            out[i] = if m2[i] > 1e-300 { adj * m3[i] / m2[i].powf(1.5) } else { 0.0 };
        }
        vec![out]
    }
}
