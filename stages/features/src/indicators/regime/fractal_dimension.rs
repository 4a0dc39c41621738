//! Fractal dimension of the price path over a window, as in Ehlers' FRAMA:
//! `D = (ln(N1 + N2) - ln N3) / ln 2` with `N1`, `N2` the high-low ranges of the two
//! half windows divided by the half length and `N3` the whole window's range over its
//! length. 1 is a straight line (trend), 2 fills the plane (noise); clamped to [1, 2],
//! 1 on a flat window.

use crate::indicators::kernels::{Extreme, nans, rolling_extreme};
use crate::indicators::{Indicator, Input};

/// `fractal_dim_{period}` (even period >= 4).
#[derive(Clone, Debug)]
pub struct FractalDimension {
    pub period: usize,
}

impl Indicator for FractalDimension {
    fn columns(&self) -> Vec<String> {
        vec![format!("fractal_dim_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let half = self.period / 2;
        let hh = rolling_extreme(input.high(), half, 0, Extreme::Max);
        let ll = rolling_extreme(input.low(), half, 0, Extreme::Min);
        let hf = half as f64;
        let mut out = nans(hh.len());
        for i in self.lookback()..hh.len() {
            let n1 = (hh[i - half] - ll[i - half]) / hf;
            let n2 = (hh[i] - ll[i]) / hf;
            let n3 = (hh[i].max(hh[i - half]) - ll[i].min(ll[i - half])) / (2.0 * hf);
            out[i] = if n3 > 0.0 && n1 + n2 > 0.0 { ((n1 + n2).ln() - n3.ln()) / std::f64::consts::LN_2 } else { 1.0 }.clamp(1.0, 2.0);
        }
        vec![out]
    }
}
