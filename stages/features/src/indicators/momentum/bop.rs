//! Balance of power (TA-Lib `BOP`): `(C - O) / (H - L)`, 0 when `H == L`.

use crate::indicators::kernels::is_zero_or_neg;
use crate::indicators::{Indicator, Input};

/// `bop`.
#[derive(Clone, Debug)]
pub struct Bop;

impl Indicator for Bop {
    fn columns(&self) -> Vec<String> {
        vec!["bop".to_owned()]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (o, h, l, c) = (input.open(), input.high(), input.low(), input.close());
        let out = (0..c.len())
            .map(|i| {
                let range = h[i] - l[i];
                if is_zero_or_neg(range) { 0.0 } else { (c[i] - o[i]) / range }
            })
            .collect();
        vec![out]
    }
}
