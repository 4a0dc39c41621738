//! Haar wavelet detail energies of one-bar log returns over a trailing window.
//!
//! We use the maximal-overlap (undecimated, shift-invariant) Haar transform, which is
//! causal by construction: the level-j detail at bar t is
//! `W_j(t) = 2^-j [(L_t - L_{t-h}) - (L_{t-h} - L_{t-2h})]` with `h = 2^(j-1)` and `L` the
//! log close (sums of returns over two adjacent blocks of h bars, differenced). Column j
//! is the mean of `W_j²` over the last `window` bars: the return variance carried by
//! fluctuations on a scale of about `2^j` bars (the levels plus the smooth part add up to
//! the variance of returns).

use crate::indicators::kernels::{ln, nans, rolling_sum};
use crate::indicators::{Indicator, Input};

/// `wavelet_{window}_d{j}` for `j = 1..=levels`.
#[derive(Clone, Debug)]
pub struct HaarEnergy {
    pub window: usize,
    pub levels: usize,
}

impl Indicator for HaarEnergy {
    fn columns(&self) -> Vec<String> {
        (1..=self.levels).map(|j| format!("wavelet_{}_d{j}", self.window)).collect()
    }
    fn lookback(&self) -> usize {
        self.window - 1 + (1 << self.levels)
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let l = ln(input.close());
        let len = l.len();
        (1..=self.levels)
            .map(|j| {
                let h = 1usize << (j - 1);
                let scale = 1.0 / (1u64 << j) as f64;
                let mut sq = nans(len);
                for t in 2 * h..len {
                    let w = scale * ((l[t] - l[t - h]) - (l[t - h] - l[t - 2 * h]));
                    sq[t] = w * w;
                }
                let sums = rolling_sum(&sq, self.window, 2 * h);
                let mut out = nans(len);
                for t in self.lookback()..len {
                    out[t] = sums[t] / self.window as f64;
                }
                out
            })
            .collect()
    }
}
