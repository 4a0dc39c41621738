//! Keltner channel: `EMA(C, period) ± mult · ATR(atr_period)` (TA-Lib-seeded EMA,
//! Wilder ATR), as StockCharts defines it.

use crate::indicators::kernels::{ema, fmt_param, nans, true_range, wilder};
use crate::indicators::{Indicator, Input};

/// `keltner_{period}_{atr_period}_{mult}_{upper,middle,lower}`.
#[derive(Clone, Debug)]
pub struct Keltner {
    pub period: usize,
    pub atr_period: usize,
    pub mult: f64,
}

impl Indicator for Keltner {
    fn columns(&self) -> Vec<String> {
        let p = format!("keltner_{}_{}_{}", self.period, self.atr_period, fmt_param(self.mult));
        vec![format!("{p}_upper"), format!("{p}_middle"), format!("{p}_lower")]
    }
    fn lookback(&self) -> usize {
        (self.period - 1).max(self.atr_period)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c) = (input.high(), input.low(), input.close());
        let mid = ema(c, self.period, 0);
        let atr = wilder(&true_range(h, l, c), self.atr_period, 1);
        let (mut upper, mut middle, mut lower) = (nans(c.len()), nans(c.len()), nans(c.len()));
        for i in self.lookback()..c.len() {
            middle[i] = mid[i];
            upper[i] = mid[i] + self.mult * atr[i];
            lower[i] = mid[i] - self.mult * atr[i];
        }
        vec![upper, middle, lower]
    }
}
