//! Rate of change of the close over `period` bars (TA-Lib `ROC`, `ROCP`, `ROCR`); 0 when
//! the earlier close is 0.

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// Which form of rate of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RocKind {
    /// `roc`: `100 (C / C[-n] - 1)`.
    Percent,
    /// `rocp`: `(C - C[-n]) / C[-n]`.
    Fraction,
    /// `rocr`: `C / C[-n]`.
    Ratio,
}

/// `roc_{period}`, `rocp_{period}` or `rocr_{period}`.
#[derive(Clone, Debug)]
pub struct Roc {
    pub period: usize,
    pub kind: RocKind,
}

impl Indicator for Roc {
    fn columns(&self) -> Vec<String> {
        let name = match self.kind {
            RocKind::Percent => "roc",
            RocKind::Fraction => "rocp",
            RocKind::Ratio => "rocr",
        };
        vec![format!("{name}_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let x = input.close();
        let n = self.period;
        let mut out = nans(x.len());
        for i in n..x.len() {
            let prev = x[i - n];
            out[i] = if prev == 0.0 {
                0.0
            } else {
                match self.kind {
                    RocKind::Percent => (x[i] / prev - 1.0) * 100.0,
                    RocKind::Fraction => (x[i] - prev) / prev,
                    RocKind::Ratio => x[i] / prev,
                }
            };
        }
        vec![out]
    }
}
