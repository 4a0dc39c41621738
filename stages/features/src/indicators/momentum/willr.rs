//! Williams %R (TA-Lib `WILLR`): `(HH - C) / ((HH - LL) * -0.01)`, 0 when `HH == LL`.

use crate::indicators::kernels::{Extreme, nans, rolling_extreme};
use crate::indicators::{Indicator, Input};

/// `willr_{period}` in -100..0.
#[derive(Clone, Debug)]
pub struct WillR {
    pub period: usize,
}

impl Indicator for WillR {
    fn columns(&self) -> Vec<String> {
        vec![format!("willr_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c) = (input.high(), input.low(), input.close());
        let hi = rolling_extreme(h, self.period, 0, Extreme::Max);
        let lo = rolling_extreme(l, self.period, 0, Extreme::Min);
        let mut out = nans(c.len());
        for i in self.lookback()..c.len() {
            let (hh, ll) = (hi[i], lo[i]);
            let diff = (hh - ll) * -0.01;
            out[i] = if diff == 0.0 { 0.0 } else { (hh - c[i]) / diff };
        }
        vec![out]
    }
}
