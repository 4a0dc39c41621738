//! Rolling standard deviation of the close (TA-Lib `STDDEV`): population (ddof = 0),
//! times `nbdev`; 0 when the variance is below TA-Lib's epsilon.
//!
//! We compute the variance on deviations from a recent anchor instead of TA-Lib's raw sum
//! of squares: the same numbers on tick-grid prices, and no catastrophic cancellation on
//! prices far from zero.

use crate::indicators::kernels::{fmt_param, is_zero_or_neg, rolling_mean_var};
use crate::indicators::{Indicator, Input};

/// `stddev_{period}_{nbdev}`.
#[derive(Clone, Debug)]
pub struct StdDev {
    pub period: usize,
    pub nbdev: f64,
}

/// Population standard deviation of `x[from..]` over `n` values, as TA-Lib returns it.
pub(crate) fn stddev(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    let (_, mut var) = rolling_mean_var(x, n, from);
    for v in &mut var {
        if !v.is_nan() {
            *v = if is_zero_or_neg(*v) { 0.0 } else { v.sqrt() };
        }
    }
    var
}

impl Indicator for StdDev {
    fn columns(&self) -> Vec<String> {
        vec![format!("stddev_{}_{}", self.period, fmt_param(self.nbdev))]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let mut sd = stddev(input.close(), self.period, 0);
        if self.nbdev != 1.0 {
            sd.iter_mut().for_each(|v| *v *= self.nbdev);
        }
        vec![sd]
    }
}
