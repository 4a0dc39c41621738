//! Volatility-regime bucket: realised volatility over `short` bars relative to that over
//! `long` bars, bucketed as 0 (calm: ratio < 0.8), 1 (normal) or 2 (stressed: ratio >
//! 1.25). 1 when the long window has no variation.

use crate::indicators::kernels::{nans, rolling_mean_var};
use crate::indicators::{Indicator, Input};

/// `vol_regime_{short}_{long}`.
#[derive(Clone, Debug)]
pub struct VolRegime {
    pub short: usize,
    pub long: usize,
}

impl Indicator for VolRegime {
    fn columns(&self) -> Vec<String> {
        vec![format!("vol_regime_{}_{}", self.short, self.long)]
    }
    fn lookback(&self) -> usize {
        self.short.max(self.long)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let r = input.log_returns();
        let (_, vs) = rolling_mean_var(&r, self.short, 1);
        let (_, vl) = rolling_mean_var(&r, self.long, 1);
        let mut out = nans(r.len());
        for i in self.lookback()..r.len() {
            out[i] = if vl[i] > 0.0 {
                let ratio = (vs[i] / vl[i]).sqrt();
                if ratio < 0.8 {
                    0.0
                } else if ratio > 1.25 {
                    2.0
                } else {
                    1.0
                }
            } else {
                1.0
            };
        }
        vec![out]
    }
}
