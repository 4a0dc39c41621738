//! Sample moments of a return series: mean, standard deviation, skewness and kurtosis.
//!
//! Kurtosis is always **non-excess** (3 for a normal distribution), as the PSR formula
//! wants it. Skewness and kurtosis come in two flavours ([`Estimator`]): biased
//! (population moments, scipy's default) and bias-corrected (pandas' `skew()` and
//! `kurtosis() + 3`, which pypbo's `*_from_returns` use).

use mlfactory_market::moments::Central;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which skewness / kurtosis estimator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// Bias-corrected sample skewness G1 and kurtosis G2 + 3 (pandas, pypbo).
    #[default]
    Unbiased,
    /// Population moments m3 / m2^1.5 and m4 / m2² (scipy.stats default).
    Biased,
}

/// The moments of one series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    pub n: usize,
    pub mean: f64,
    /// Standard deviation with ddof = 1.
    pub std: f64,
    pub skew: f64,
    /// Non-excess kurtosis (normal = 3).
    pub kurtosis: f64,
}

impl Moments {
    /// Moments of `x` (NaN where undefined: skew needs 3 values, kurtosis 4).
    pub fn of(x: &[f64], estimator: Estimator) -> Self {
        let Central { n, mean, m2, m3, m4 } = Central::of(x);
        let nf = n as f64;
        let std = if n > 1 { (m2 * nf / (nf - 1.0)).sqrt() } else { f64::NAN };
        let g1 = m3 / m2.powf(1.5);
        let g2 = m4 / (m2 * m2);
        let (skew, kurtosis) = match estimator {
            Estimator::Biased => (if n > 2 { g1 } else { f64::NAN }, if n > 3 { g2 } else { f64::NAN }),
            Estimator::Unbiased => {
                let skew = if n > 2 { (nf * (nf - 1.0)).sqrt() / (nf - 2.0) * g1 } else { f64::NAN };
                let excess = if n > 3 { ((nf + 1.0) * (g2 - 3.0) + 6.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0)) } else { f64::NAN };
                (skew, excess + 3.0)
            }
        };
        Self { n, mean, std, skew, kurtosis }
    }

    /// The per-period Sharpe ratio mean / std (ddof = 1), risk-free rate 0.
    pub fn sharpe(&self) -> f64 {
        self.mean / self.std
    }
}

/// Mean / std (ddof = 1) of `x`: the per-period Sharpe ratio, NaN for fewer than 2 values.
pub fn sharpe(x: &[f64]) -> f64 {
    Moments::of(x, Estimator::Biased).sharpe()
}

/// Standard deviation of `x` with `ddof` degrees of freedom removed.
pub fn std_dev(x: &[f64], ddof: usize) -> f64 {
    let n = x.len();
    if n <= ddof {
        return f64::NAN;
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - ddof) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pandas_and_scipy() {
        // pandas 3.1: s.skew(), s.kurtosis() + 3; scipy 1.18: stats.skew(s), stats.kurtosis(s, fisher=False).
        let x = [1.0, 2.0, 2.0, 3.0, 7.0, 4.0, 1.0];
        let u = Moments::of(&x, Estimator::Unbiased);
        let b = Moments::of(&x, Estimator::Biased);
        assert!((u.skew - 1.442_105_436_145_045_8).abs() < 1e-14);
        assert!((u.kurtosis - 5.080_036_215_482_117).abs() < 1e-13);
        assert!((b.skew - 1.112_608_498_978_620_7).abs() < 1e-14);
        assert!((b.kurtosis - 3.116_681_756_450_882_6).abs() < 1e-13);
        assert!((u.mean - 20.0 / 7.0).abs() < 1e-15);
        assert!((u.std - std_dev(&x, 1)).abs() < 1e-15);
        assert!((sharpe(&x) - u.mean / u.std).abs() < 1e-15);
    }

    #[test]
    fn undefined_moments_are_nan() {
        let m = Moments::of(&[1.0, 2.0], Estimator::Unbiased);
        assert!(m.skew.is_nan() && m.kurtosis.is_nan() && m.std.is_finite());
        assert!(std_dev(&[1.0], 1).is_nan());
    }
}
