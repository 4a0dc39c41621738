//! Hull moving average: `WMA(2 WMA(x, n/2) - WMA(x, n), floor(sqrt(n)))`.

use crate::indicators::kernels::{nans, wma};
use crate::indicators::{Indicator, Input};

/// `hma_{period}`.
#[derive(Clone, Debug)]
pub struct Hma {
    pub period: usize,
}

impl Hma {
    fn sqrt_period(&self) -> usize {
        (self.period as f64).sqrt().floor() as usize
    }
}

impl Indicator for Hma {
    fn columns(&self) -> Vec<String> {
        vec![format!("hma_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1 + self.sqrt_period() - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let n = self.period;
        let half = wma(x, n / 2, 0);
        let full = wma(x, n, 0);
        let mut raw = nans(x.len());
        for i in n - 1..x.len() {
            raw[i] = 2.0 * half[i] - full[i];
        }
        vec![wma(&raw, self.sqrt_period(), n - 1)]
    }
}
