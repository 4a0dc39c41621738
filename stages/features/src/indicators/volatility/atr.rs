//! Average true range (TA-Lib `ATR`, `NATR`): the mean of the first `n` true ranges
//! (bars 1..=n), then Wilder's average; NATR = 100 ATR / C (0 when C is 0).

use crate::indicators::kernels::{is_zero, true_range, wilder};
use crate::indicators::{Indicator, Input};

/// `atr_{period}`, or `natr_{period}` when normalized.
#[derive(Clone, Debug)]
pub struct Atr {
    pub period: usize,
    pub normalized: bool,
}

impl Indicator for Atr {
    fn columns(&self) -> Vec<String> {
        vec![format!("{}_{}", if self.normalized { "natr" } else { "atr" }, self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let c = input.close();
        let mut atr = wilder(&true_range(input.high(), input.low(), c), self.period, 1);
        if self.normalized {
            for (a, &close) in atr.iter_mut().zip(c) {
                if !a.is_nan() {
                    *a = if is_zero(close) { 0.0 } else { (*a / close) * 100.0 };
                }
            }
        }
        vec![atr]
    }
}
