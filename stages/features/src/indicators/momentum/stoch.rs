//! Slow stochastic (TA-Lib `STOCH` with SMA smoothing): fast %K over `fastk` bars,
//! slow %K = SMA(fast %K, `slowk`), slow %D = SMA(slow %K, `slowd`).

use super::{blank_before, fast_k};
use crate::indicators::kernels::sma;
use crate::indicators::{Indicator, Input};

/// `stoch_{fastk}_{slowk}_{slowd}_{slowk,slowd}`.
#[derive(Clone, Debug)]
pub struct Stoch {
    pub fastk: usize,
    pub slowk: usize,
    pub slowd: usize,
}

impl Indicator for Stoch {
    fn columns(&self) -> Vec<String> {
        let p = format!("stoch_{}_{}_{}", self.fastk, self.slowk, self.slowd);
        vec![format!("{p}_slowk"), format!("{p}_slowd")]
    }
    fn lookback(&self) -> usize {
        self.fastk - 1 + self.slowk - 1 + self.slowd - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let k = fast_k(input.high(), input.low(), input.close(), self.fastk, 0);
        let slow_k = sma(&k, self.slowk, self.fastk - 1);
        let slow_d = sma(&slow_k, self.slowd, self.fastk - 1 + self.slowk - 1);
        vec![blank_before(slow_k, self.lookback()), slow_d]
    }
}
