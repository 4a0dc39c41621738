//! Money flow index (TA-Lib `MFI`): typical-price money flow split by the direction of
//! the typical price (unchanged, to TA-Lib's relative epsilon: neither), `100 pos / (pos + neg)` over the window; 0
//! when the total flow is below 1 (TA-Lib's rule).

use crate::indicators::kernels::{WindowSum, is_zero_scaled, nans};
use crate::indicators::{Indicator, Input};

/// `mfi_{period}`.
#[derive(Clone, Debug)]
pub struct Mfi {
    pub period: usize,
}

impl Indicator for Mfi {
    fn columns(&self) -> Vec<String> {
        vec![format!("mfi_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c, v) = (input.high(), input.low(), input.close(), input.volume());
        let len = c.len();
        let tp: Vec<f64> = (0..len).map(|i| (h[i] + l[i] + c[i]) / 3.0).collect();
        let (mut pos, mut neg) = (nans(len), nans(len));
        for i in 1..len {
            let flow = tp[i] * v[i];
            let d = tp[i] - tp[i - 1];
            // TA-Lib treats typical prices equal to rounding as unchanged.
            let flat = is_zero_scaled(d, tp[i].abs() + tp[i - 1].abs());
            pos[i] = if d > 0.0 && !flat { flow } else { 0.0 };
            neg[i] = if d < 0.0 && !flat { flow } else { 0.0 };
        }
        let (mut ps, mut ns) = (WindowSum::new(self.period), WindowSum::new(self.period));
        let mut out = nans(len);
        for i in self.lookback()..len {
            let (p, n) = (ps.at(&pos, i), ns.at(&neg, i));
            let total = p + n;
            out[i] = if total < 1.0 { 0.0 } else { 100.0 * (p / total) };
        }
        vec![out]
    }
}
