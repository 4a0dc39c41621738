//! Corwin-Schultz (2012) bid-ask spread from two-bar high-low ranges, averaged over the
//! window; a relative spread (fraction of price), negative estimates set to 0.
//!
//! `β = ln(H_t/L_t)² + ln(H_{t-1}/L_{t-1})²`, `γ = ln(max(H_t, H_{t-1}) / min(L_t, L_{t-1}))²`,
//! `α = (√(2β) - √β)/(3 - 2√2) - √(γ/(3 - 2√2))`, `S = 2(e^α - 1)/(1 + e^α)`.

use crate::indicators::kernels::{nans, rolling_sum};
use crate::indicators::{Indicator, Input};

/// `corwin_schultz_{period}`.
#[derive(Clone, Debug)]
pub struct CorwinSchultz {
    pub period: usize,
}

impl Indicator for CorwinSchultz {
    fn columns(&self) -> Vec<String> {
        vec![format!("corwin_schultz_{}", self.period)]
    }
    fn lookback(&self) -> usize {
        self.period
    }
    fn compute(&self, input: &Input<'_>) -> Vec<Vec<f64>> {
        let (h, l) = (input.high(), input.low());
        let k = 3.0 - 2.0 * std::f64::consts::SQRT_2;
        let mut s = nans(h.len());
        for i in 1..h.len() {
            let beta = (h[i] / l[i]).ln().powi(2) + (h[i - 1] / l[i - 1]).ln().powi(2);
            let gamma = (h[i].max(h[i - 1]) / l[i].min(l[i - 1])).ln().powi(2);
            let alpha = ((2.0 * beta).sqrt() - beta.sqrt()) / k - (gamma / k).sqrt();
            s[i] = (2.0 * (alpha.exp() - 1.0) / (1.0 + alpha.exp())).max(0.0);
        }
        let sums = rolling_sum(&s, self.period, 1);
        vec![sums.into_iter().map(|v| v / self.period as f64).collect()]
    }
}
