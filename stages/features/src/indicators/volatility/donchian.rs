//! Donchian channel: the highest high and lowest low of the last `period` bars (the
//! current one included) and their midpoint.

use crate::indicators::kernels::{Extreme, nans, rolling_extreme};
use crate::indicators::{Indicator, Input};

/// `donchian_{period}_{upper,middle,lower}`.
#[derive(Clone, Debug)]
pub struct Donchian {
    pub period: usize,
}

impl Indicator for Donchian {
    fn columns(&self) -> Vec<String> {
        let p = format!("donchian_{}", self.period);
        vec![format!("{p}_upper"), format!("{p}_middle"), format!("{p}_lower")]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let upper = rolling_extreme(input.high(), self.period, 0, Extreme::Max);
        let lower = rolling_extreme(input.low(), self.period, 0, Extreme::Min);
        let mut middle = nans(upper.len());
        for i in self.lookback()..upper.len() {
            middle[i] = (upper[i] + lower[i]) / 2.0;
        }
        vec![upper, middle, lower]
    }
}
