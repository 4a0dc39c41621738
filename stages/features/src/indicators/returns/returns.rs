//! Returns of the close over `lag` bars: simple `C / C[-lag] - 1` or log `ln C - ln C[-lag]`.

use crate::indicators::kernels::{lag_diff, nans};
use crate::indicators::{Indicator, Input};

/// Simple or log return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnKind {
    Simple,
    Log,
}

/// `ret_{lag}` or `logret_{lag}`.
#[derive(Clone, Debug)]
pub struct Returns {
    pub lag: usize,
    pub kind: ReturnKind,
}

impl Indicator for Returns {
    fn columns(&self) -> Vec<String> {
        let name = if self.kind == ReturnKind::Log { "logret" } else { "ret" };
        vec![format!("{name}_{}", self.lag)]
    }
    fn lookback(&self) -> usize {
        self.lag
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        if self.kind == ReturnKind::Log {
            // From the shared logs of the close: one `ln` per bar for every lag.
            return vec![lag_diff(input.ln_close(), self.lag)];
        }
        let c = input.close();
        let mut out = nans(c.len());
        for i in self.lag..c.len() {
            out[i] = c[i] / c[i - self.lag] - 1.0;
        }
        vec![out]
    }
}
