//! Kaufman's adaptive moving average (TA-Lib `KAMA`): efficiency ratio over `period`
//! bars, smoothing constant `(ER (2/3 - 2/31) + 2/31)^2`, seeded with the close at
//! `period - 1`, first value at `period`.

use crate::indicators::kernels::{is_zero, nans};
use crate::indicators::{Indicator, Input};

/// `kama_{period}`.
#[derive(Clone, Debug)]
pub struct Kama {
    pub period: usize,
}

impl Indicator for Kama {
    fn columns(&self) -> Vec<String> {
        vec![format!("kama_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let n = self.period;
        let mut out = nans(x.len());
        if x.len() <= n {
            return vec![out];
        }
        let slowest = 2.0 / 31.0;
        let diff = 2.0 / 3.0 - slowest;
        let mut sum_roc: f64 = (0..n).map(|i| (x[i] - x[i + 1]).abs()).sum();
        let mut kama = x[n - 1];
        let mut trailing_value = x[0];
        for i in n..x.len() {
            if i > n {
                sum_roc -= (trailing_value - x[i - n]).abs();
                sum_roc += (x[i] - x[i - 1]).abs();
                trailing_value = x[i - n];
            }
            let period_roc = x[i] - x[i - n];
            let er = if sum_roc <= period_roc || is_zero(sum_roc) { 1.0 } else { (period_roc / sum_roc).abs() };
            let sc = (er * diff + slowest) * (er * diff + slowest);
            kama = (x[i] - kama) * sc + kama;
            out[i] = kama;
        }
        vec![out]
    }
}
