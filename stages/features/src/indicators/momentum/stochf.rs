//! Fast stochastic (TA-Lib `STOCHF` with SMA smoothing): %K over `fastk` bars and
//! %D = SMA(%K, `fastd`).

use super::{blank_before, fast_k};
use crate::indicators::kernels::sma;
use crate::indicators::{Indicator, Input};

/// `stochf_{fastk}_{fastd}_{fastk,fastd}`.
#[derive(Clone, Debug)]
pub struct StochF {
    pub fastk: usize,
    pub fastd: usize,
}

impl Indicator for StochF {
    fn columns(&self) -> Vec<String> {
        let p = format!("stochf_{}_{}", self.fastk, self.fastd);
        vec![format!("{p}_fastk"), format!("{p}_fastd")]
    }
    fn lookback(&self) -> usize {
        self.fastk - 1 + self.fastd - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let k = fast_k(input.high(), input.low(), input.close(), self.fastk, 0);
        let d = sma(&k, self.fastd, self.fastk - 1);
        vec![blank_before(k, self.lookback()), d]
    }
}
