//! Chaikin accumulation/distribution line (TA-Lib `AD`): the running sum of
//! `CLV · V` from the first bar.

use super::clv;
use crate::indicators::{Indicator, Input};

/// The A/D line of the bars.
pub(crate) fn ad_line(input: &Input<'_>) -> Vec<f64> {
    let (h, l, c, v) = (input.high(), input.low(), input.close(), input.volume());
    let mut ad = 0.0;
    (0..c.len())
        .map(|i| {
            ad += clv(h[i], l[i], c[i]) * v[i];
            ad
        })
        .collect()
}

/// `ad`.
#[derive(Clone, Debug)]
pub struct Ad;

impl Indicator for Ad {
    fn columns(&self) -> Vec<String> {
        vec!["ad".to_owned()]
    }
    fn lookback(&self) -> usize {
        0
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        vec![ad_line(input)]
    }
}
