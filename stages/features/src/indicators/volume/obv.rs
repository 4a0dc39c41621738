//! On-balance volume (TA-Lib `OBV`): starts at the first bar's volume, adds the volume
//! on an up close, subtracts it on a down close, adds nothing on an unchanged close.

use crate::indicators::{Indicator, Input};

/// `obv`.
#[derive(Clone, Debug)]
pub struct Obv;

impl Indicator for Obv {
    fn columns(&self) -> Vec<String> {
        vec!["obv".to_owned()]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (c, v) = (input.close(), input.volume());
        let mut out = Vec::with_capacity(c.len());
        let mut obv = 0.0;
        for i in 0..c.len() {
            if i == 0 {
                obv = v[0];
            } else if c[i] > c[i - 1] {
                obv += v[i];
            } else if c[i] < c[i - 1] {
                obv -= v[i];
            }
            out.push(obv);
        }
        vec![out]
    }
}
