//! `validate.deflated_sharpe`: the Probabilistic Sharpe Ratio of every variant of a sweep
//! and the Deflated Sharpe Ratio of the best, with the number of trials taken from the
//! sweep.

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::stats::moments::{Estimator, Moments, std_dev};
use crate::stats::sharpe::{SharpeSample, deflated_benchmark};
use crate::strategies::{Bucket, Strategies};

/// PSR per variant, DSR of the best.
pub struct DeflatedSharpe;

/// `validate.deflated_sharpe` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Number of trials N behind the selection; 0: the number of strategies given (every
    /// variant of the sweep). Set it higher when more configurations were tried than are
    /// wired in.
    pub trials: usize,
    /// SR* of each variant's PSR (per period).
    pub benchmark: f64,
    /// Degrees of freedom removed in the standard deviation of the trials' Sharpe ratios
    /// (1: sample, as pypbo; 0: population, as mlfinlab).
    pub sr_std_ddof: usize,
    /// Skewness / kurtosis estimator: `unbiased` (pandas, pypbo) or `biased` (scipy).
    pub moments: Estimator,
    /// Confidence for the minimum track record length of the best variant.
    pub confidence: f64,
    /// With `predictions` inputs: the splits whose rows form each variant's returns
    /// (empty: every row).
    pub splits: Vec<String>,
    /// With `predictions` inputs: one period per CME trading day (`day`) or per row (`row`).
    pub bucket: Bucket,
}

impl Default for Params {
    fn default() -> Self {
        Self { trials: 0, benchmark: 0.0, sr_std_ddof: 1, moments: Estimator::Unbiased, confidence: 0.95, splits: Vec::new(), bucket: Bucket::Day }
    }
}

impl Stage for DeflatedSharpe {
    type Params = Params;
    const KIND: &'static str = "validate.deflated_sharpe";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Probabilistic Sharpe Ratio of each variant of a sweep and the Deflated Sharpe Ratio of the best, trials from the sweep.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::optional("returns", "T rows x N strategy columns (every numeric column but `ts`)"),
        InputSlot::many("predictions", "the predictions of every variant of a sweep (fan-in of a matrix stage)"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new(
        "sharpe",
        Format::Json,
        "`{best: {strategy, sr, psr, dsr, sr0, trials, sr_std, min_track_record}, strategies: [{strategy, sr, psr, periods, skew, kurtosis}]}`",
    )];

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if !(p.confidence > 0.0 && p.confidence < 1.0) {
            return Err(ParamIssue::new(&["confidence"], format!("must be in (0, 1), got {}", p.confidence)));
        }
        if p.sr_std_ddof > 1 {
            return Err(ParamIssue::new(&["sr_std_ddof"], "must be 0 or 1"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let s = Strategies::from_inputs(inputs, &params.splits, params.bucket)?;
        if s.periods() < 4 {
            return Err(StageError::data_hint(
                format!("{} periods per strategy: too few for a Sharpe ratio's skew and kurtosis", s.periods()),
                "give at least 4 periods",
            ));
        }
        let samples: Vec<SharpeSample> = s
            .returns
            .iter()
            .map(|r| {
                let m = Moments::of(r, params.moments);
                SharpeSample { sr: m.sharpe(), t: m.n, skew: m.skew, kurtosis: m.kurtosis }
            })
            .collect();
        let best = (0..samples.len()).fold(0, |b, j| if samples[j].sr > samples[b].sr { j } else { b });
        let trials = if params.trials == 0 { s.names.len() } else { params.trials };
        if trials < 2 {
            return Err(StageError::data_hint("the Deflated Sharpe Ratio needs at least 2 trials", "wire every variant of the sweep in, or set `trials`"));
        }
        let srs: Vec<f64> = samples.iter().map(|x| x.sr).collect();
        let sr_std = std_dev(&srs, params.sr_std_ddof);
        if !sr_std.is_finite() {
            return Err(StageError::data_hint(
                format!("the Sharpe ratios of {} strategies have no standard deviation", srs.len()),
                "the dispersion of the trials' Sharpe ratios comes from the strategies given: wire at least 2 variants in",
            ));
        }
        let sr0 = deflated_benchmark(sr_std, trials);
        let b = &samples[best];
        let dsr = b.psr(sr0);
        ctx.log(format_args!(
            "best of {trials} trials: `{}` SR {:.4}/period, PSR {:.4}, SR0 {sr0:.4}, DSR {dsr:.4}",
            s.names[best],
            b.sr,
            b.psr(params.benchmark)
        ));
        let per: Vec<serde_json::Value> = samples
            .iter()
            .zip(&s.names)
            .map(|(x, name)| json!({"strategy": name, "sr": x.sr, "psr": x.psr(params.benchmark), "periods": x.t, "skew": x.skew, "kurtosis": x.kurtosis}))
            .collect();
        let doc = json!({
            "best": {
                "strategy": s.names[best],
                "sr": b.sr,
                "psr": b.psr(params.benchmark),
                "dsr": dsr,
                "sr0": sr0,
                "trials": trials,
                "sr_std": sr_std,
                "min_track_record": b.min_track_record(params.benchmark, params.confidence),
                "confidence": params.confidence,
            },
            "strategies": per,
            "conventions": {
                "sr": "per period mean/std(ddof=1), not annualised",
                "kurtosis": "non-excess (normal = 3)",
                "psr": "Phi((SR - SR*) sqrt(T-1) / sqrt(1 - skew SR + (kurt-1)/4 SR^2))",
                "sr0": "std of the trials' SRs x ((1-g) Phi^-1(1-1/N) + g Phi^-1(1-1/(N e)))",
                "dsr": "PSR(SR0) of the best trial",
            },
        });
        Ok(StageOutput::new()
            .metric("dsr", dsr)
            .metric("psr_best", b.psr(params.benchmark))
            .metric("sharpe_best", b.sr)
            .metric("sr0", sr0)
            .metric("trials", trials)
            .json("sharpe", doc))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_market::columns::TableBuilder;

    use super::*;

    /// The stage on trials_returns_seed42.csv reproduces pypbo's `dsr_from_returns` and
    /// `psr_from_returns` for the best column (shared/reference/finml/sharpe).
    #[test]
    fn reproduces_pypbo_from_returns() {
        let Some(dir) = mlfactory_market::reference::dir(Path::new(env!("CARGO_MANIFEST_DIR")), "reproduces_pypbo_from_returns") else { return };
        let text = std::fs::read_to_string(dir.join("finml/sharpe/trials_returns_seed42.csv")).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let rows: Vec<Vec<f64>> = text.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
        let mut b = TableBuilder::new();
        for (j, name) in header.iter().enumerate() {
            b = b.f64(name, rows.iter().map(|r| r[j]).collect());
        }
        let progress = NullProgress;
        let out =
            DeflatedSharpe.run(&StageContext::new(0, &progress), &Params::default(), &StageInputs::new().with_table("returns", b.build().unwrap())).unwrap();
        let cases: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("finml/sharpe/cases.json")).unwrap()).unwrap();
        let info = &cases["series_info"][0];
        assert!((out.metrics["dsr"].as_f64().unwrap() - info["pypbo_dsr_from_returns_best"].as_f64().unwrap()).abs() < 1e-9);
        assert!((out.metrics["psr_best"].as_f64().unwrap() - info["pypbo_psr_from_returns_best"].as_f64().unwrap()).abs() < 1e-9);
        let Artifact::Json(doc) = &out.artifacts["sharpe"] else { panic!() };
        assert_eq!(doc["best"]["strategy"], "s0");
        assert_eq!(doc["best"]["trials"], 100);
    }

    #[test]
    fn more_trials_deflate_more() {
        let t = TableBuilder::new()
            .f64("a", (0..50).map(|i| 0.01 * f64::from(i % 7) - 0.02).collect())
            .f64("b", (0..50).map(|i| 0.01 * f64::from(i % 5) - 0.018).collect())
            .build()
            .unwrap();
        let progress = NullProgress;
        let ctx = StageContext::new(0, &progress);
        let few = DeflatedSharpe.run(&ctx, &Params::default(), &StageInputs::new().with_table("returns", t.clone())).unwrap();
        let many = DeflatedSharpe.run(&ctx, &Params { trials: 1000, ..Params::default() }, &StageInputs::new().with_table("returns", t)).unwrap();
        assert!(many.metrics["dsr"].as_f64().unwrap() < few.metrics["dsr"].as_f64().unwrap());
        assert_eq!(many.metrics["trials"], 1000);
    }
}
