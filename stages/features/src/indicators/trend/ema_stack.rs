//! EMA-stack score: how well a ladder of EMAs is stacked in trend order.
//!
//! For EMAs of increasing period, the mean over all pairs (faster, slower) of
//! `sign(EMA_fast - EMA_slow)`: +1 when every faster EMA is above every slower one (a
//! clean up-trend), -1 for the reverse, values between for a tangled stack.

use crate::indicators::kernels::{ema, nans};
use crate::indicators::{Indicator, Input};

/// `ema_stack_{p1}_{p2}_…` (periods in increasing order).
#[derive(Clone, Debug)]
pub struct EmaStack {
    pub periods: Vec<usize>,
}

impl Indicator for EmaStack {
    fn columns(&self) -> Vec<String> {
        let p: Vec<String> = self.periods.iter().map(ToString::to_string).collect();
        vec![format!("ema_stack_{}", p.join("_"))]
    }
    fn lookback(&self) -> usize {
        self.periods.iter().copied().max().unwrap_or(1) - 1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let mut periods = self.periods.clone();
        periods.sort_unstable();
        let emas: Vec<Vec<f64>> = periods.iter().map(|&p| ema(input.close(), p, 0)).collect();
        let k = emas.len();
        let pairs = (k * (k - 1) / 2) as f64;
        let mut out = nans(input.len());
        for (i, o) in out.iter_mut().enumerate().skip(self.lookback()) {
            let mut score = 0.0;
            for a in 0..k {
                for b in a + 1..k {
                    let d = emas[a][i] - emas[b][i];
                    score += if d > 0.0 {
                        1.0
                    } else if d < 0.0 {
                        -1.0
                    } else {
                        0.0
                    };
                }
            }
            *o = score / pairs;
        }
        vec![out]
    }
}
