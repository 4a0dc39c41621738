//! Trend-regime bucket from Kaufman's efficiency ratio over `period` bars:
//! `ER = |C - C[-n]| / Σ|ΔC|`; +1 (up-trend) or -1 (down-trend) when `ER >= 0.3`, else 0
//! (range).

use crate::indicators::kernels::{WindowSum, nans};
use crate::indicators::{Indicator, Input};

/// `trend_regime_{period}`.
#[derive(Clone, Debug)]
pub struct TrendRegime {
    pub period: usize,
}

impl Indicator for TrendRegime {
    fn columns(&self) -> Vec<String> {
        vec![format!("trend_regime_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let c = input.close();
        let mut path = nans(c.len());
        for i in 1..c.len() {
            path[i] = (c[i] - c[i - 1]).abs();
        }
        let mut w = WindowSum::new(self.period);
        let mut out = nans(c.len());
        for i in self.lookback()..c.len() {
            let total = w.at(&path, i);
            let net = c[i] - c[i - self.period];
            out[i] = if total > 0.0 && net.abs() / total >= 0.3 { net.signum() } else { 0.0 };
        }
        vec![out]
    }
}
