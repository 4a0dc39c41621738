//! Chaikin A/D oscillator (TA-Lib `ADOSC`): `EMA(AD, fast) - EMA(AD, slow)` where both
//! EMAs start from the first A/D value (not an SMA seed); first output at `slow - 1`.

use super::ad::ad_line;
use crate::indicators::kernels::{ema_factor, nans};
use crate::indicators::{Indicator, Input};

/// `adosc_{fast}_{slow}`.
#[derive(Clone, Debug)]
pub struct AdOsc {
    pub fast: usize,
    pub slow: usize,
}

impl Indicator for AdOsc {
    fn columns(&self) -> Vec<String> {
        vec![format!("adosc_{}_{}", self.fast, self.slow)]
    }
    fn lookback(&self) -> usize {
        self.fast.max(self.slow) - 1
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let ad = ad_line(input);
        let mut out = nans(ad.len());
        let (fk, sk) = (ema_factor(self.fast), ema_factor(self.slow));
        let (mut fast, mut slow) = (ad.first().copied().unwrap_or(0.0), ad.first().copied().unwrap_or(0.0));
        for i in 1..ad.len() {
            fast = fk * ad[i] + (1.0 - fk) * fast;
            slow = sk * ad[i] + (1.0 - sk) * slow;
            if i >= self.lookback() {
                out[i] = fast - slow;
            }
        }
        vec![out]
    }
}
