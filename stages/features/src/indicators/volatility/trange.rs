//! True range (TA-Lib `TRANGE`): `max(H - L, |H - C[-1]|, |L - C[-1]|)`, from bar 1.

use crate::indicators::kernels::true_range;
use crate::indicators::{Indicator, Input};

/// `trange`.
#[derive(Clone, Debug)]
pub struct TrueRange;

impl Indicator for TrueRange {
    fn columns(&self) -> Vec<String> {
        vec!["trange".to_owned()]
    }
    fn lookback(&self) -> usize {
        1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![true_range(input.high(), input.low(), input.close())]
    }
}
