//! Tillson's T3 (TA-Lib `T3`): six chained SMA-seeded EMAs combined with the volume
//! factor `v`: `c1 e6 + c2 e5 + c3 e4 + c4 e3`.

use crate::indicators::kernels::{ema_factor, fmt_param, nans};
use crate::indicators::{Indicator, Input};

/// `t3_{period}_{vfactor}`.
#[derive(Clone, Debug)]
pub struct T3 {
    pub period: usize,
    pub vfactor: f64,
}

impl Indicator for T3 {
    fn columns(&self) -> Vec<String> {
        vec![format!("t3_{}_{}", self.period, fmt_param(self.vfactor))]
    }
    fn lookback(&self) -> usize {
        6 * (self.period - 1)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let n = self.period;
        let mut out = nans(x.len());
        if x.len() <= self.lookback() {
            return vec![out];
        }
        let k = ema_factor(n);
        let omk = 1.0 - k;
        let nf = n as f64;
        // e[j] is the j-th chained EMA; each is seeded with the mean of the first n values
        // of the one before it, exactly as TA-Lib primes them.
        let mut e = [0.0f64; 6];
        let mut today = 0;
        e[0] = x[..n].iter().sum::<f64>() / nf;
        today += n;
        for level in 1..6 {
            let mut total = e[level - 1];
            for _ in 1..n {
                e[0] = k * x[today] + omk * e[0];
                for j in 1..level {
                    e[j] = k * e[j - 1] + omk * e[j];
                }
                total += e[level - 1];
                today += 1;
            }
            e[level] = total / nf;
        }
        let v = self.vfactor;
        let v2 = v * v;
        let c1 = -v2 * v;
        let c2 = 3.0 * (v2 - c1);
        let c3 = -6.0 * v2 - 3.0 * (v - c1);
        let c4 = 1.0 + 3.0 * v - c1 + 3.0 * v2;
        out[today - 1] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
        for i in today..x.len() {
            e[0] = k * x[i] + omk * e[0];
            for j in 1..6 {
                e[j] = k * e[j - 1] + omk * e[j];
            }
            out[i] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
        }
        vec![out]
    }
}
