//! Stochastic RSI (TA-Lib `STOCHRSI`): the fast stochastic of TA-Lib's RSI, on a 0..100
//! scale.

use super::rsi::rsi;
use super::{blank_before, fast_k};
use crate::indicators::kernels::sma;
use crate::indicators::{Indicator, Input};

/// `stochrsi_{period}_{fastk}_{fastd}_{fastk,fastd}`.
#[derive(Clone, Debug)]
pub struct StochRsi {
    pub period: usize,
    pub fastk: usize,
    pub fastd: usize,
}

impl Indicator for StochRsi {
    fn columns(&self) -> Vec<String> {
        let p = format!("stochrsi_{}_{}_{}", self.period, self.fastk, self.fastd);
        vec![format!("{p}_fastk"), format!("{p}_fastd")]
    }
    fn lookback(&self) -> usize {
        self.period + self.fastk - 1 + self.fastd - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let r = rsi(input.close(), self.period, 0);
        let k = fast_k(&r, &r, &r, self.fastk, self.period);
        let d = sma(&k, self.fastd, self.period + self.fastk - 1);
        vec![blank_before(k, self.lookback()), d]
    }
}
