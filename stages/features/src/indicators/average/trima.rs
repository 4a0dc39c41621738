//! Triangular moving average (TA-Lib `TRIMA`): an SMA of an SMA, whose lengths add up to
//! `period + 1` (`SMA(n/2 + 1)` of `SMA(n/2)` for even n, `SMA((n+1)/2)` twice for odd n).

use crate::indicators::kernels::sma;
use crate::indicators::{Indicator, Input};

/// `trima_{period}`.
#[derive(Clone, Debug)]
pub struct Trima {
    pub period: usize,
}

impl Indicator for Trima {
    fn columns(&self) -> Vec<String> {
        vec![format!("trima_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let n = self.period;
        let (first, second) = if n % 2 == 0 { (n / 2, n / 2 + 1) } else { ((n + 1) / 2, (n + 1) / 2) };
        let inner = sma(input.close(), first, 0);
        vec![sma(&inner, second, first - 1)]
    }
}
