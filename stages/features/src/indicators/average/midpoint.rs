//! Midpoint of the close over a window (TA-Lib `MIDPOINT`): `(max + min) / 2`.

use crate::indicators::kernels::{Extreme, nans, rolling_extreme};
use crate::indicators::{Indicator, Input};

/// `midpoint_{period}`.
#[derive(Clone, Debug)]
pub struct MidPoint {
    pub period: usize,
}

impl Indicator for MidPoint {
    fn columns(&self) -> Vec<String> {
        vec![format!("midpoint_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let hi = rolling_extreme(input.close(), self.period, 0, Extreme::Max);
        let lo = rolling_extreme(input.close(), self.period, 0, Extreme::Min);
        let mut out = nans(hi.len());
        for i in self.lookback()..out.len() {
            out[i] = (hi[i] + lo[i]) / 2.0;
        }
        vec![out]
    }
}
