//! Wilder's relative strength index (TA-Lib `RSI`).

use crate::indicators::kernels::{is_zero, nans};
use crate::indicators::{Indicator, Input};

/// Wilder's average gain and loss of `x[from..]` over `n` changes: the simple mean of the
/// first `n` changes at `from + n`, then `a = (a (n - 1) + change) / n`. Calls `emit(i,
/// gain, loss)` for every `i >= from + n`.
pub(crate) fn wilder_gain_loss(x: &[f64], n: usize, from: usize, mut emit: impl FnMut(usize, f64, f64)) {
    if from + n >= x.len() {
        return;
    }
    let nf = n as f64;
    let (mut gain, mut loss) = (0.0, 0.0);
    for i in from + 1..=from + n {
        let d = x[i] - x[i - 1];
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
    }
    gain /= nf;
    loss /= nf;
    emit(from + n, gain, loss);
    for i in from + n + 1..x.len() {
        let d = x[i] - x[i - 1];
        loss *= nf - 1.0;
        gain *= nf - 1.0;
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
        loss /= nf;
        gain /= nf;
        emit(i, gain, loss);
    }
}

/// RSI of `x[from..]`: `100 g / (g + l)`, 0 when both averages are 0; first at `from + n`.
pub(crate) fn rsi(x: &[f64], n: usize, from: usize) -> Vec<f64> {
    let mut out = nans(x.len());
    wilder_gain_loss(x, n, from, |i, g, l| {
        let total = g + l;
        out[i] = if is_zero(total) { 0.0 } else { 100.0 * (g / total) };
    });
    out
}

/// `rsi_{period}`.
#[derive(Clone, Debug)]
pub struct Rsi {
    pub period: usize,
}

impl Indicator for Rsi {
    fn columns(&self) -> Vec<String> {
        vec![format!("rsi_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![rsi(input.close(), self.period, 0)]
    }
}
