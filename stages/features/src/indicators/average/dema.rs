//! Double exponential moving average (TA-Lib `DEMA`): `2 EMA(x) - EMA(EMA(x))`, both
//! EMAs SMA-seeded, the inner one starting where the outer has its first value.

use crate::indicators::kernels::{ema, nans};
use crate::indicators::{Indicator, Input};

/// `dema_{period}`.
#[derive(Clone, Debug)]
pub struct Dema {
    pub period: usize,
}

impl Indicator for Dema {
    fn columns(&self) -> Vec<String> {
        vec![format!("dema_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        2 * (self.period - 1)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let e1 = ema(input.close(), n, 0);
        let e2 = ema(&e1, n, n - 1);
        let mut out = nans(e1.len());
        for i in self.lookback()..out.len() {
            out[i] = 2.0 * e1[i] - e2[i];
        }
        vec![out]
    }
}
