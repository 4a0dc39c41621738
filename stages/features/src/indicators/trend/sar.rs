//! Wilder's parabolic SAR (TA-Lib `SAR`): the initial direction comes from the first two
//! bars' directional movement; the stop is clamped to the last two bars' range.

use crate::indicators::kernels::{fmt_param, nans};
use crate::indicators::{Indicator, Input};

/// `sar_{acceleration}_{maximum}`.
#[derive(Clone, Debug)]
pub struct Sar {
    pub acceleration: f64,
    pub maximum: f64,
}

impl Indicator for Sar {
    fn columns(&self) -> Vec<String> {
        vec![format!("sar_{}_{}", fmt_param(self.acceleration), fmt_param(self.maximum))]
    }
    fn lookback(&self) -> usize {
        1
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l) = (input.high(), input.low());
        let mut out = nans(h.len());
        if h.len() < 2 {
            return vec![out];
        }
        let step = self.acceleration.min(self.maximum);
        let max = self.maximum;
        let mut af = step;
        // -DM of the first two bars decides the starting direction.
        let diff_m = l[0] - l[1];
        let diff_p = h[1] - h[0];
        let mut long = !(diff_m > 0.0 && diff_p < diff_m);
        let (mut ep, mut sar) = if long { (h[1], l[0]) } else { (l[1], h[0]) };
        let (mut new_high, mut new_low) = (h[1], l[1]);
        for i in 1..h.len() {
            let (prev_low, prev_high) = (new_low, new_high);
            new_low = l[i];
            new_high = h[i];
            if long {
                if new_low <= sar {
                    long = false;
                    sar = ep.max(prev_high).max(new_high);
                    out[i] = sar;
                    af = step;
                    ep = new_low;
                    sar += af * (ep - sar);
                    sar = sar.max(prev_high).max(new_high);
                } else {
                    out[i] = sar;
                    if new_high > ep {
                        ep = new_high;
                        af = (af + step).min(max);
                    }
                    sar += af * (ep - sar);
                    sar = sar.min(prev_low).min(new_low);
                }
            } else if new_high >= sar {
                long = true;
                sar = ep.min(prev_low).min(new_low);
                out[i] = sar;
                af = step;
                ep = new_high;
                sar += af * (ep - sar);
                sar = sar.min(prev_low).min(new_low);
            } else {
                out[i] = sar;
                if new_low < ep {
                    ep = new_low;
                    af = (af + step).min(max);
                }
                sar += af * (ep - sar);
                sar = sar.max(prev_high).max(new_high);
            }
        }
        vec![out]
    }
}
