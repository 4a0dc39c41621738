//! Opening gap: `ln(O / C[-1])`, the move between one bar's close and the next one's
//! open (large at session opens and after data holes).

use crate::indicators::kernels::nans;
use crate::indicators::{Indicator, Input};

/// `gap`.
#[derive(Clone, Debug)]
pub struct Gap;

impl Indicator for Gap {
    fn columns(&self) -> Vec<String> {
        vec!["gap".to_owned()]
    }
    fn lookback(&self) -> usize {
        1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (o, c) = (input.open(), input.close());
        let mut out = nans(c.len());
        for i in 1..c.len() {
            out[i] = (o[i] / c[i - 1]).ln();
        }
        vec![out]
    }
}
