//! Momentum (TA-Lib `MOM`): `C - C[-n]`.

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `mom_{period}`.
#[derive(Clone, Debug)]
pub struct Mom {
    pub period: usize,
}

impl Indicator for Mom {
    fn columns(&self) -> Vec<String> {
        vec![format!("mom_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let mut out = nans(x.len());
        for i in self.period..x.len() {
            out[i] = x[i] - x[i - self.period];
        }
        vec![out]
    }
}
