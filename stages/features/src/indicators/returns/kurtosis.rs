//! Rolling excess kurtosis of one-bar log returns, bias-corrected
//! `G2 = ((n+1) m4/m2² - 3(n-1)) (n-1) / ((n-2)(n-3))` (pandas' `rolling().kurt()`); 0 on
//! a window without variation.

use super::rolling_moments;
use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `kurt_{period}` (period >= 4).
#[derive(Clone, Debug)]
pub struct Kurtosis {
    pub period: usize,
}

impl Indicator for Kurtosis {
    fn columns(&self) -> Vec<String> {
        vec![format!("kurt_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let r = input.log_returns();
        let [m2, _, m4] = rolling_moments(&r, self.period, 1);
        let n = self.period as f64;
        let mut out = nans(r.len());
        for i in self.lookback()..r.len() {
            out[i] = if m2[i] > 1e-300 { ((n + 1.0) * m4[i] / (m2[i] * m2[i]) - 3.0 * (n - 1.0)) * (n - 1.0) / ((n - 2.0) * (n - 3.0)) } else { 0.0 };
        }
        vec![out]
    }
}
