//! Midpoint of the range over a window (TA-Lib `MIDPRICE`): `(max high + min low) / 2`.

use crate::indicators::kernels::{Extreme, nans, rolling_extreme};
use crate::indicators::{Indicator, Input};

/// `midprice_{period}`.
#[derive(Clone, Debug)]
pub struct MidPrice {
    pub period: usize,
}

impl Indicator for MidPrice {
    fn columns(&self) -> Vec<String> {
        vec![format!("midprice_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let hi = rolling_extreme(input.high(), self.period, 0, Extreme::Max);
        let lo = rolling_extreme(input.low(), self.period, 0, Extreme::Min);
        let mut out = nans(hi.len());
        for i in self.lookback()..out.len() {
            out[i] = (hi[i] + lo[i]) / 2.0;
        }
        vec![out]
    }
}
