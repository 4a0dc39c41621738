//! TRIX (TA-Lib `TRIX`): the one-bar rate of change, in percent, of a triple SMA-seeded
//! EMA.

use crate::indicators::kernels::{ema, nans};
use crate::indicators::{Indicator, Input};

/// `trix_{period}`.
#[derive(Clone, Debug)]
pub struct Trix {
    pub period: usize,
}

impl Indicator for Trix {
    fn columns(&self) -> Vec<String> {
        vec![format!("trix_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        3 * (self.period - 1) + 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let e1 = ema(input.close(), n, 0);
        let e2 = ema(&e1, n, n - 1);
        let e3 = ema(&e2, n, 2 * (n - 1));
        let mut out = nans(e3.len());
        for i in self.lookback()..out.len() {
            let prev = e3[i - 1];
            out[i] = if prev == 0.0 { 0.0 } else { (e3[i] / prev - 1.0) * 100.0 };
        }
        vec![out]
    }
}
