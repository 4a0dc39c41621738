//! Roll's implied spread: `2 sqrt(-cov(ΔC_t, ΔC_{t-1}))` over the window, in price units;
//! 0 when the serial covariance is not negative.

use crate::indicators::kernels::{WindowSum, nans};
use crate::indicators::{Indicator, Input};

/// `roll_{period}`.
#[derive(Clone, Debug)]
pub struct RollSpread {
    pub period: usize,
}

impl Indicator for RollSpread {
    fn columns(&self) -> Vec<String> {
        vec![format!("roll_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period + 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let c = input.close();
        let len = c.len();
        let (mut a, mut b, mut ab) = (nans(len), nans(len), nans(len));
        for i in 2..len {
            a[i] = c[i] - c[i - 1];
            b[i] = c[i - 1] - c[i - 2];
            ab[i] = a[i] * b[i];
        }
        let n = self.period as f64;
        let (mut sa, mut sb, mut sab) = (WindowSum::new(self.period), WindowSum::new(self.period), WindowSum::new(self.period));
        let mut out = nans(len);
        for i in self.lookback()..len {
            let cov = sab.at(&ab, i) / n - (sa.at(&a, i) / n) * (sb.at(&b, i) / n);
            out[i] = if cov < 0.0 { 2.0 * (-cov).sqrt() } else { 0.0 };
        }
        vec![out]
    }
}
