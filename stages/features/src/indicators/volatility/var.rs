//! Rolling population variance of the close (TA-Lib `VAR`, ddof = 0). Like TA-Lib, the
//! `nbdev` parameter is part of the name but does not scale the result.

use crate::indicators::kernels::{fmt_param, rolling_mean_var};
use crate::indicators::{Indicator, Input};

/// `var_{period}_{nbdev}`.
#[derive(Clone, Debug)]
pub struct Var {
    pub period: usize,
    pub nbdev: f64,
}

impl Indicator for Var {
    fn columns(&self) -> Vec<String> {
        vec![format!("var_{}_{}", self.period, fmt_param(self.nbdev))]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![rolling_mean_var(input.close(), self.period, 0).1]
    }
}
