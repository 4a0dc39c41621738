//! Bollinger bands (TA-Lib `BBANDS`, SMA middle): `SMA ± nbdev σ` with the population
//! standard deviation of the same closes, plus StockCharts' BandWidth `100 (U - L) / M`
//! and `%b = (C - L) / (U - L)` (0.5 when the bands touch).

use super::stddev::stddev;
use crate::indicators::kernels::{fmt_param, nans, sma};
use crate::indicators::{Indicator, Input};

/// `bbands_{period}_{nbdev}_{upper,middle,lower,width,pctb}`.
#[derive(Clone, Debug)]
pub struct Bbands {
    pub period: usize,
    pub nbdev: f64,
}

impl Indicator for Bbands {
    fn columns(&self) -> Vec<String> {
        let p = format!("bbands_{}_{}", self.period, fmt_param(self.nbdev));
        ["upper", "middle", "lower", "width", "pctb"].iter().map(|s| format!("{p}_{s}")).collect()
    }
    fn lookback(&self) -> usize {
        self.period - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let c = input.close();
        let middle = sma(c, self.period, 0);
        let sd = stddev(c, self.period, 0);
        let len = c.len();
        let (mut upper, mut lower, mut width, mut pctb) = (nans(len), nans(len), nans(len), nans(len));
        for i in self.lookback()..len {
            let band = sd[i] * self.nbdev;
            upper[i] = middle[i] + band;
            lower[i] = middle[i] - band;
            width[i] = if middle[i] == 0.0 { 0.0 } else { (upper[i] - lower[i]) / middle[i] * 100.0 };
            pctb[i] = if band > 0.0 { (c[i] - lower[i]) / (upper[i] - lower[i]) } else { 0.5 };
        }
        vec![upper, middle, lower, width, pctb]
    }
}
