//! Chaikin money flow: `Σ CLV·V / Σ V` over the window (0 when no volume traded).

use super::clv;
use crate::indicators::kernels::{WindowSum, nans};
use crate::indicators::{Indicator, Input};

/// `cmf_{period}`.
#[derive(Clone, Debug)]
pub struct Cmf {
    pub period: usize,
}

impl Indicator for Cmf {
    fn columns(&self) -> Vec<String> {
        vec![format!("cmf_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c, v) = (input.high(), input.low(), input.close(), input.volume());
        let flow: Vec<f64> = (0..c.len()).map(|i| clv(h[i], l[i], c[i]) * v[i]).collect();
        let (mut fs, mut vs) = (WindowSum::new(self.period), WindowSum::new(self.period));
        let mut out = nans(c.len());
        for i in self.lookback()..c.len() {
            let (f, vol) = (fs.at(&flow, i), vs.at(v, i));
            out[i] = if vol > 0.0 { f / vol } else { 0.0 };
        }
        vec![out]
    }
}
