//! Yang-Zhang volatility: `sqrt(σ²_open + k σ²_close + (1 - k) σ²_RS)` with
//! `σ²_open` the sample variance of `ln(O/C[-1])`, `σ²_close` that of `ln(C/O)`, `σ²_RS`
//! the Rogers-Satchell mean, and `k = 0.34 / (1.34 + (n + 1)/(n - 1))`; per bar.

use super::rogers_satchell::rs_term;
use crate::indicators::kernels::{nans, rolling_mean_var, rolling_sum};
use crate::indicators::{Indicator, Input};

/// `yang_zhang_{period}` (period >= 2).
#[derive(Clone, Debug)]
pub struct YangZhang {
    pub period: usize,
}

impl Indicator for YangZhang {
    fn columns(&self) -> Vec<String> {
        vec![format!("yang_zhang_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (o, h, l, c) = (input.open(), input.high(), input.low(), input.close());
        let n = self.period;
        let nf = n as f64;
        let len = c.len();
        let mut overnight = nans(len);
        for i in 1..len {
            overnight[i] = (o[i] / c[i - 1]).ln();
        }
        let intraday: Vec<f64> = (0..len).map(|i| (c[i] / o[i]).ln()).collect();
        let rs: Vec<f64> = (0..len).map(|i| rs_term(o[i], h[i], l[i], c[i])).collect();
        let (_, var_o) = rolling_mean_var(&overnight, n, 1);
        let (_, var_c) = rolling_mean_var(&intraday, n, 0);
        let rs_sum = rolling_sum(&rs, n, 0);
        let k = 0.34 / (1.34 + (nf + 1.0) / (nf - 1.0));
        let ddof = nf / (nf - 1.0);
        let mut out = nans(len);
        for i in self.lookback()..len {
            let v = var_o[i] * ddof + k * var_c[i] * ddof + (1.0 - k) * rs_sum[i] / nf;
            out[i] = v.max(0.0).sqrt();
        }
        vec![out]
    }
}
