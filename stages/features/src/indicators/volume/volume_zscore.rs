//! Volume z-score: `(V - mean(V)) / std(V)` over the window (population std; 0 when the
//! window's volume is constant).

use crate::indicators::kernels::{nans, rolling_mean_var};
use crate::indicators::{Indicator, Input};

/// `volume_zscore_{period}`.
#[derive(Clone, Debug)]
pub struct VolumeZScore {
    pub period: usize,
}

impl Indicator for VolumeZScore {
    fn columns(&self) -> Vec<String> {
        vec![format!("volume_zscore_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let v = input.volume();
        let (mean, var) = rolling_mean_var(v, self.period, 0);
        let mut out = nans(v.len());
        for i in self.lookback()..v.len() {
            let sd = var[i].sqrt();
            out[i] = if sd > 0.0 { (v[i] - mean[i]) / sd } else { 0.0 };
        }
        vec![out]
    }
}
