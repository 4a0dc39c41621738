//! Breakout distance in ATRs: how far the close stands beyond the previous `period`
//! bars' extreme, in units of ATR(`atr_period`).
//!
//! `up = (C - max(H[-period..-1])) / ATR`, `down = (min(L[-period..-1]) - C) / ATR`;
//! positive when the close breaks out of the prior range, negative inside it. 0 when ATR
//! is 0.

use crate::indicators::kernels::{Extreme, nans, rolling_extreme, true_range, wilder};
use crate::indicators::{Indicator, Input};

/// `breakout_{period}_{atr_period}_up`, `…_down`.
#[derive(Clone, Debug)]
pub struct Breakout {
    pub period: usize,
    pub atr_period: usize,
}

impl Indicator for Breakout {
    fn columns(&self) -> Vec<String> {
        let p = format!("breakout_{}_{}", self.period, self.atr_period);
        vec![format!("{p}_up"), format!("{p}_down")]
    }
    fn lookback(&self) -> usize {
        self.period.max(self.atr_period)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l, c) = (input.high(), input.low(), input.close());
        let hh = rolling_extreme(h, self.period, 0, Extreme::Max);
        let ll = rolling_extreme(l, self.period, 0, Extreme::Min);
        let atr = wilder(&true_range(h, l, c), self.atr_period, 1);
        let (mut up, mut down) = (nans(c.len()), nans(c.len()));
        for i in self.lookback()..c.len() {
            let a = atr[i];
            if a > 0.0 {
                up[i] = (c[i] - hh[i - 1]) / a;
                down[i] = (ll[i - 1] - c[i]) / a;
            } else {
                (up[i], down[i]) = (0.0, 0.0);
            }
        }
        vec![up, down]
    }
}
