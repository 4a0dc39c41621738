//! Aroon (TA-Lib `AROON`): over the last `n + 1` bars, `100 (n - bars since the highest
//! high) / n` and the same for the lowest low; ties go to the most recent bar.

use crate::indicators::kernels::{Extreme, extreme_index, nans};
use crate::indicators::{Indicator, Input};

/// `aroon_{period}_down`, `aroon_{period}_up`.
#[derive(Clone, Debug)]
pub struct Aroon {
    pub period: usize,
}

impl Indicator for Aroon {
    fn columns(&self) -> Vec<String> {
        vec![format!("aroon_{}_down", self.period), format!("aroon_{}_up", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let hi = extreme_index(input.high(), n + 1, 0, Extreme::Max);
        let lo = extreme_index(input.low(), n + 1, 0, Extreme::Min);
        let factor = 100.0 / n as f64;
        let (mut down, mut up) = (nans(hi.len()), nans(hi.len()));
        for i in n..hi.len() {
            up[i] = factor * (n - (i - hi[i])) as f64;
            down[i] = factor * (n - (i - lo[i])) as f64;
        }
        vec![down, up]
    }
}
