//! The Probabilistic Sharpe Ratio, the Deflated Sharpe Ratio, the expected maximum Sharpe
//! of N independent trials and the minimum track record length.
//!
//! Conventions (Bailey & López de Prado 2012, 2014), all per period, never annualised:
//!
//! - PSR(SR*) = Φ((SR − SR*)·√(T − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4·SR²)), with the
//!   **observed** SR in the denominator, √(T − 1) (not √T) and γ₄ the **non-excess**
//!   kurtosis;
//! - SR₀ = √V[SRₙ]·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), γ the Euler–Mascheroni
//!   constant: the Sharpe the best of N zero-skill trials reaches by luck;
//! - DSR = PSR(SR₀);
//! - MinTRL = 1 + (1 − γ₃·SR + (γ₄ − 1)/4·SR²)·(Φ⁻¹(p)/(SR − SR*))².

use crate::stats::normal;

/// The Euler–Mascheroni constant.
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// What the PSR of one series needs: its per-period Sharpe, length and shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SharpeSample {
    /// Per-period Sharpe ratio (mean / std, ddof = 1).
    pub sr: f64,
    /// Number of observations.
    pub t: usize,
    pub skew: f64,
    /// Non-excess kurtosis (normal = 3).
    pub kurtosis: f64,
}

impl SharpeSample {
    /// The standard error factor √(1 − γ₃·SR + (γ₄ − 1)/4·SR²).
    fn dispersion(&self) -> f64 {
        (1.0 - self.skew * self.sr + (self.kurtosis - 1.0) / 4.0 * self.sr * self.sr).sqrt()
    }

    /// The z statistic of the PSR against `benchmark`.
    pub fn psr_z(&self, benchmark: f64) -> f64 {
        (self.sr - benchmark) * ((self.t as f64) - 1.0).sqrt() / self.dispersion()
    }

    /// PSR(`benchmark`): the probability that the true Sharpe exceeds `benchmark`.
    pub fn psr(&self, benchmark: f64) -> f64 {
        normal::cdf(self.psr_z(benchmark))
    }

    /// The minimum track record length (in periods) for PSR(`benchmark`) ≥ `prob`.
    pub fn min_track_record(&self, benchmark: f64, prob: f64) -> f64 {
        let z = normal::inv_cdf(prob) / (self.sr - benchmark);
        1.0 + self.dispersion().powi(2) * z * z
    }
}

/// E[max] of `n_trials` standard normal draws (the false-strategy theorem's approximation),
/// to be scaled by the standard deviation of the trials' Sharpe ratios.
pub fn expected_max_z(n_trials: usize) -> f64 {
    let n = n_trials as f64;
    (1.0 - EULER_GAMMA) * normal::inv_cdf(1.0 - 1.0 / n) + EULER_GAMMA * normal::inv_cdf(1.0 - 1.0 / (n * std::f64::consts::E))
}

/// SR₀: the Sharpe the best of `n_trials` zero-skill trials reaches by luck, given the
/// standard deviation of the trials' Sharpe ratios.
pub fn deflated_benchmark(sr_std_across_trials: f64, n_trials: usize) -> f64 {
    sr_std_across_trials * expected_max_z(n_trials)
}

/// The Deflated Sharpe Ratio of `best` (the selected trial) among `n_trials`.
pub fn dsr(best: &SharpeSample, sr_std_across_trials: f64, n_trials: usize) -> f64 {
    best.psr(deflated_benchmark(sr_std_across_trials, n_trials))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use super::*;
    use crate::stats::moments::{Estimator, Moments, sharpe, std_dev};

    fn sample(inputs: &Value) -> SharpeSample {
        SharpeSample {
            sr: inputs["sr"].as_f64().unwrap(),
            t: inputs["T"].as_u64().map_or(0, |t| t as usize),
            skew: inputs["skew"].as_f64().unwrap(),
            kurtosis: inputs["kurtosis"].as_f64().unwrap(),
        }
    }

    /// Goldens: shared/reference/finml/sharpe/cases.json (pypbo @ ddbc631 and mlfinlab's
    /// test values, cross-checked by an own implementation; abs 1e-9).
    #[test]
    fn agrees_with_finml_sharpe_goldens() {
        let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "agrees_with_finml_sharpe_goldens") else { return };
        let cases: Value = serde_json::from_slice(&std::fs::read(dir.join("finml/sharpe/cases.json")).unwrap()).unwrap();
        let mut checked = 0;
        for case in cases["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap_or("?");
            let inputs = &case["inputs"];
            let (got, want) = match case["kind"].as_str().unwrap() {
                "PSR" => {
                    let s = sample(inputs);
                    let bench = inputs["sr_benchmark"].as_f64().unwrap();
                    assert!((s.psr_z(bench) - case["z"].as_f64().unwrap()).abs() < 1e-9, "{name}: z");
                    (s.psr(bench), case["psr"].as_f64().unwrap())
                }
                "DSR" => {
                    let s = sample(inputs);
                    let sd = inputs["sr_std_across_trials"].as_f64().unwrap();
                    let n = inputs["N_trials"].as_u64().unwrap() as usize;
                    let sr0 = deflated_benchmark(sd, n) + inputs["mean_sr_trials"].as_f64().unwrap();
                    assert!((sr0 - case["expected_max_sr_benchmark"].as_f64().unwrap()).abs() < 1e-9, "{name}: SR0");
                    (dsr(&s, sd, n), case["dsr"].as_f64().unwrap())
                }
                "MinTRL" => {
                    let s = SharpeSample { t: 0, ..sample(inputs) };
                    (s.min_track_record(inputs["sr_benchmark"].as_f64().unwrap(), inputs["prob"].as_f64().unwrap()), case["value"].as_f64().unwrap())
                }
                "ExpectedMax" => (expected_max_z(inputs["N"].as_u64().unwrap() as usize), case["value"].as_f64().unwrap()),
                other => panic!("unknown case kind {other}"),
            };
            let tol = if case["kind"] == "MinTRL" { 1e-9 * want.abs() } else { 1e-9 };
            assert!((got - want).abs() <= tol, "{name}: {got} vs {want}");
            if let Some(published) = case["published_expected"].as_f64() {
                assert!((got - published).abs() < 1e-5, "{name}: published {published}, got {got}");
            }
            checked += 1;
        }
        assert!(checked >= 12, "only {checked} cases");
    }

    /// The series cases: moments and the trials' Sharpe dispersion computed from the
    /// returns file reproduce the inputs the goldens list.
    #[test]
    fn recomputes_series_inputs_from_trials_returns() {
        let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "recomputes_series_inputs_from_trials_returns") else { return };
        let cases: Value = serde_json::from_slice(&std::fs::read(dir.join("finml/sharpe/cases.json")).unwrap()).unwrap();
        let info = &cases["series_info"][0];
        let text = std::fs::read_to_string(dir.join("finml/sharpe/trials_returns_seed42.csv")).unwrap();
        let rows: Vec<Vec<f64>> = text.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
        let n = rows[0].len();
        let cols: Vec<Vec<f64>> = (0..n).map(|j| rows.iter().map(|r| r[j]).collect()).collect();
        let srs: Vec<f64> = cols.iter().map(|c| sharpe(c)).collect();
        for (j, want) in info["sr_per_column"].as_array().unwrap().iter().enumerate() {
            assert!((srs[j] - want.as_f64().unwrap()).abs() < 1e-12, "column {j}");
        }
        let best = &cols[info["best_column"].as_u64().unwrap() as usize];
        let m = info["moments_best"].clone();
        let u = Moments::of(best, Estimator::Unbiased);
        let b = Moments::of(best, Estimator::Biased);
        assert!((u.skew - m["skew_unbiased"].as_f64().unwrap()).abs() < 1e-12);
        assert!((u.kurtosis - m["kurtosis_unbiased"].as_f64().unwrap()).abs() < 1e-12);
        assert!((b.skew - m["skew_biased"].as_f64().unwrap()).abs() < 1e-12);
        assert!((b.kurtosis - m["kurtosis_biased"].as_f64().unwrap()).abs() < 1e-12);
        let s = SharpeSample { sr: u.sharpe(), t: u.n, skew: u.skew, kurtosis: u.kurtosis };
        assert!((s.psr(0.0) - info["pypbo_psr_from_returns_best"].as_f64().unwrap()).abs() < 1e-9);
        assert!((dsr(&s, std_dev(&srs, 1), n) - info["pypbo_dsr_from_returns_best"].as_f64().unwrap()).abs() < 1e-9);
    }
}
