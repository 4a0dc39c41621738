//! Rolling autocorrelation of one-bar log returns at a lag: the Pearson correlation of
//! `(r_t, r_{t-lag})` over the last `period` pairs; 0 when either side is constant.

use crate::indicators::kernels::{WindowSum, nans};
use crate::indicators::{Indicator, Input};

/// `autocorr_{period}_{lag}`.
#[derive(Clone, Debug)]
pub struct AutoCorr {
    pub period: usize,
    pub lag: usize,
}

impl Indicator for AutoCorr {
    fn columns(&self) -> Vec<String> {
        vec![format!("autocorr_{}_{}", self.period, self.lag)]
    }
    fn lookback(&self) -> usize {
        self.period + self.lag
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let r = input.log_returns();
        let len = r.len();
        let mut series: [Vec<f64>; 5] = std::array::from_fn(|_| nans(len));
        for i in 1 + self.lag..len {
            let (a, b) = (r[i], r[i - self.lag]);
            for (s, v) in series.iter_mut().zip([a, b, a * a, b * b, a * b]) {
                s[i] = v;
            }
        }
        let n = self.period as f64;
        let mut sums: [WindowSum; 5] = std::array::from_fn(|_| WindowSum::new(self.period));
        let mut out = nans(len);
        for i in self.lookback()..len {
            let s: Vec<f64> = sums.iter_mut().zip(&series).map(|(w, x)| w.at(x, i)).collect();
            let va = n * s[2] - s[0] * s[0];
            let vb = n * s[3] - s[1] * s[1];
            out[i] = if va > 0.0 && vb > 0.0 { ((n * s[4] - s[0] * s[1]) / (va * vb).sqrt()).clamp(-1.0, 1.0) } else { 0.0 };
        }
        vec![out]
    }
}
