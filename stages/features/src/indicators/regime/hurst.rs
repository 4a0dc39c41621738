//! Hurst exponent by rescaled range (R/S) over a trailing window of one-bar log returns.
//!
//! For each chunk size `s = 8, 16, …, window` the window is cut into `window / s`
//! consecutive chunks ending at the current bar; each chunk's R/S is the range of its
//! cumulative deviations from its mean over its population standard deviation. H is the
//! least-squares slope of `ln(mean R/S)` on `ln s`. A chunk's R/S is computed once, when
//! it ends, and reused by the later windows that contain it, so a bar costs O(window).
//! 0.5 (a random walk) when no chunk varies.

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `hurst_{window}` (window a power of two, >= 16).
#[derive(Clone, Debug)]
pub struct Hurst {
    pub window: usize,
}

impl Hurst {
    fn sizes(&self) -> Vec<usize> {
        std::iter::successors(Some(8usize), |s| Some(s * 2)).take_while(|&s| s <= self.window).collect()
    }
}

fn rescaled_range(chunk: &[f64]) -> Option<f64> {
    let n = chunk.len() as f64;
    let mean = chunk.iter().sum::<f64>() / n;
    let (mut cum, mut lo, mut hi, mut ss) = (0.0f64, 0.0f64, 0.0f64, 0.0);
    for &v in chunk {
        let d = v - mean;
        cum += d;
        lo = lo.min(cum);
        hi = hi.max(cum);
        ss += d * d;
    }
    let sd = (ss / n).sqrt();
    (sd > 0.0).then(|| (hi - lo) / sd)
}

impl Indicator for Hurst {
    fn columns(&self) -> Vec<String> {
        vec![format!("hurst_{}", self.window)]
    }
    fn lookback(&self) -> usize {
        self.window
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let r = input.log_returns();
        let len = r.len();
        let sizes = self.sizes();
        // rs[k][t]: R/S of the chunk of size sizes[k] ending at t (NaN if flat).
        let rs: Vec<Vec<f64>> = sizes
            .iter()
            .map(|&s| {
                let mut v = nans(len);
                for t in s..len {
                    v[t] = rescaled_range(&r[t + 1 - s..=t]).unwrap_or(f64::NAN);
                }
                v
            })
            .collect();
        let mut out = nans(len);
        for t in self.window..len {
            let mut pts: Vec<(f64, f64)> = Vec::with_capacity(sizes.len());
            for (k, &s) in sizes.iter().enumerate() {
                let vals: Vec<f64> = (0..self.window / s).map(|j| rs[k][t - j * s]).filter(|v| !v.is_nan()).collect();
                if !vals.is_empty() {
                    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
                    if mean > 0.0 {
                        pts.push(((s as f64).ln(), mean.ln()));
                    }
                }
            }
            out[t] = if pts.len() < 2 {
                0.5
            } else {
                let m = pts.len() as f64;
                let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / m, pts.iter().map(|p| p.1).sum::<f64>() / m);
                let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
                let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
                sxy / sxx
            };
        }
        vec![out]
    }
}
