//! Kyle's lambda estimated from bars: the OLS slope of the price change on the signed
//! volume `sign(ΔC) · V` over the window (price units per contract); 0 when the signed
//! volume does not vary.

use crate::indicators::kernels::{WindowSum, nans};
use crate::indicators::{Indicator, Input};

/// `kyle_lambda_{period}`.
#[derive(Clone, Debug)]
pub struct KyleLambda {
    pub period: usize,
}

impl Indicator for KyleLambda {
    fn columns(&self) -> Vec<String> {
        vec![format!("kyle_lambda_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn uses_volume(&self) -> bool {
        true
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (c, v) = (input.close(), input.volume());
        let len = c.len();
        let (mut dp, mut sv, mut xy, mut xx) = (nans(len), nans(len), nans(len), nans(len));
        for i in 1..len {
            dp[i] = c[i] - c[i - 1];
            sv[i] = if dp[i] > 0.0 {
                v[i]
            } else if dp[i] < 0.0 {
                -v[i]
            } else {
                0.0
            };
            xy[i] = dp[i] * sv[i];
            xx[i] = sv[i] * sv[i];
        }
        let n = self.period as f64;
        let mut sums: [WindowSum; 4] = std::array::from_fn(|_| WindowSum::new(self.period));
        let mut out = nans(len);
        for i in self.lookback()..len {
            let (sy, sx, sxy, sxx) = (sums[0].at(&dp, i), sums[1].at(&sv, i), sums[2].at(&xy, i), sums[3].at(&xx, i));
            let var = n * sxx - sx * sx;
            out[i] = if var > 0.0 { (n * sxy - sx * sy) / var } else { 0.0 };
        }
        vec![out]
    }
}
