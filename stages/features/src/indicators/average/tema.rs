//! Triple exponential moving average (TA-Lib `TEMA`): `3 E1 - 3 E2 + E3` over three
//! chained SMA-seeded EMAs.

use crate::indicators::kernels::{ema, nans};
use crate::indicators::{Indicator, Input};

/// `tema_{period}`.
#[derive(Clone, Debug)]
pub struct Tema {
    pub period: usize,
}

impl Indicator for Tema {
    fn columns(&self) -> Vec<String> {
        vec![format!("tema_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        3 * (self.period - 1)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let e1 = ema(input.close(), n, 0);
        let e2 = ema(&e1, n, n - 1);
        let e3 = ema(&e2, n, 2 * (n - 1));
        let mut out = nans(e1.len());
        for i in self.lookback()..out.len() {
            out[i] = e3[i] + (3.0 * e1[i] - 3.0 * e2[i]);
        }
        vec![out]
    }
}
