//! Moving average convergence/divergence (TA-Lib `MACD`).
//!
//! TA-Lib starts the fast EMA at the same bar as the slow one (seeded with the mean of
//! the `fast` closes ending there), so `macd` equals `EMA(fast) - EMA(slow)` only once the
//! seeds have washed out. The signal is an SMA-seeded EMA of the MACD line; all three
//! outputs start at `slow - 1 + signal - 1`.

use super::blank_before;
use crate::indicators::kernels::{ema, ema_factor, ema_k, nans};
use crate::indicators::{Indicator, Input};

/// `macd_{fast}_{slow}_{signal}_{macd,signal,hist}`.
#[derive(Clone, Debug)]
pub struct Macd {
    pub fast: usize,
    pub slow: usize,
    pub signal: usize,
}

impl Indicator for Macd {
    fn columns(&self) -> Vec<String> {
        let p = format!("macd_{}_{}_{}", self.fast, self.slow, self.signal);
        vec![format!("{p}_macd"), format!("{p}_signal"), format!("{p}_hist")]
    }
    fn lookback(&self) -> usize {
        self.fast.max(self.slow) - 1 + self.signal - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let (fast, slow) = if self.slow < self.fast { (self.slow, self.fast) } else { (self.fast, self.slow) };
        let slow_ema = ema(x, slow, 0);
        let fast_ema = ema_k(x, fast, ema_factor(fast), slow - fast);
        let mut line = nans(x.len());
        for i in slow - 1..x.len() {
            line[i] = fast_ema[i] - slow_ema[i];
        }
        let signal = ema(&line, self.signal, slow - 1);
        let start = self.lookback();
        let mut hist = nans(x.len());
        for i in start..x.len() {
            hist[i] = line[i] - signal[i];
        }
        vec![blank_before(line, start), signal, hist]
    }
}
