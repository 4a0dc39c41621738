//! `validate.pbo`: the probability of backtest overfitting of a sweep, by CSCV.

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::contracts::pbo_logits as lc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::stats::cscv::{self, Cscv, MAX_PARTITIONS};
use crate::strategies::{Bucket, Strategies};

/// PBO by combinatorially symmetric cross-validation.
pub struct Pbo;

/// `validate.pbo` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// S: the number of contiguous blocks the periods are cut into (even; C(S, S/2)
    /// combinations: 16 gives 12,870). The first T mod S periods are dropped.
    pub partitions: usize,
    /// With `predictions` inputs: the splits whose rows form each variant's returns
    /// (empty: every row).
    pub splits: Vec<String>,
    /// With `predictions` inputs: one period per CME trading day (`day`) or per row (`row`).
    pub bucket: Bucket,
    /// Bins of the logit histogram in the JSON summary.
    pub histogram_bins: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self { partitions: 16, splits: Vec::new(), bucket: Bucket::Day, histogram_bins: 20 }
    }
}

impl Stage for Pbo {
    type Params = Params;
    const KIND: &'static str = "validate.pbo";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str =
        "Probability of backtest overfitting by CSCV over a sweep's variants or a table of strategy returns: PBO, logits, degradation slope.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::optional("returns", "T rows x N strategy columns (every numeric column but `ts`)"),
        InputSlot::many("predictions", "the predictions of every variant of a sweep (fan-in of a matrix stage)"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("pbo", Format::Json, "PBO, probability of OOS loss, degradation line, logit summary and histogram"),
        OutputSlot::new("logits", Format::Parquet, "one row per CSCV combination (contracts::pbo_logits)"),
    ];

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.partitions < 2 || !p.partitions.is_multiple_of(2) {
            return Err(ParamIssue::new(&["partitions"], format!("must be even and at least 2, got {}", p.partitions)).hint("16 is the usual choice"));
        }
        if p.partitions > MAX_PARTITIONS {
            return Err(ParamIssue::new(&["partitions"], format!("{} partitions make too many combinations", p.partitions))
                .hint(format!("use at most {MAX_PARTITIONS}")));
        }
        if p.histogram_bins == 0 {
            return Err(ParamIssue::new(&["histogram_bins"], "must be at least 1"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let s = Strategies::from_inputs(inputs, &params.splits, params.bucket)?;
        let result = cscv::cscv(&s.returns, params.partitions).map_err(|e| {
            StageError::data_hint(
                format!("PBO over {} strategies x {} periods: {e}", s.names.len(), s.periods()),
                "PBO needs at least 2 strategies and 2 periods per block; lower `partitions` or give more periods",
            )
        })?;
        ctx.log(format_args!(
            "{} strategies, {} periods, {} combinations: PBO {:.4}, P(OOS loss) {:.4}, degradation slope {:.4}",
            s.names.len(),
            s.periods(),
            result.combinations.len(),
            result.pbo,
            result.prob_oos_loss,
            result.degradation.slope
        ));
        let logits: Vec<f64> = result.combinations.iter().map(|c| c.logit).collect();
        let summary = json!({
            "pbo": result.pbo,
            "pbo_strict": result.pbo_strict,
            "prob_oos_loss": result.prob_oos_loss,
            "degradation": result.degradation,
            "strategies": s.names,
            "periods": s.periods(),
            "partitions": params.partitions,
            "rows_dropped": result.rows_dropped,
            "block_len": result.block_len,
            "combinations": result.combinations.len(),
            "logit": logit_summary(&logits),
            "histogram": histogram(&logits, params.histogram_bins),
            "selected": selection_counts(&result, &s.names),
            "conventions": {
                "metric": "per-period Sharpe mean/std(ddof=1), not annualised",
                "blocks": "first T mod S periods dropped, then S contiguous blocks",
                "rank": "average ranks on ties, 1 = worst; w = rank/(N+1); logit = ln(w/(1-w))",
                "pbo": "share of combinations with logit <= 0",
            },
        });
        Ok(StageOutput::new()
            .metric("pbo", result.pbo)
            .metric("prob_oos_loss", result.prob_oos_loss)
            .metric("degradation_slope", result.degradation.slope)
            .metric("logit_mean", summary["logit"]["mean"].clone())
            .metric("strategies", s.names.len())
            .json("pbo", summary)
            .table("logits", logits_table(&result, &s.names)?))
    }
}

/// Mean, median, standard deviation (ddof = 0), min and max of the logits.
fn logit_summary(l: &[f64]) -> serde_json::Value {
    let mut sorted = l.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]) };
    let mean = l.iter().sum::<f64>() / n as f64;
    let std = (l.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
    json!({"mean": mean, "median": median, "std": std, "min": sorted[0], "max": sorted[n - 1]})
}

/// Equal-width bins over [min, max] of the logits: `{edges, counts}`.
fn histogram(l: &[f64], bins: usize) -> serde_json::Value {
    let lo = l.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let width = if hi > lo { (hi - lo) / bins as f64 } else { 1.0 };
    let mut counts = vec![0usize; bins];
    for &v in l {
        counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let edges: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
    json!({"edges": edges, "counts": counts})
}

/// How often each strategy was the in-sample best, most often first.
fn selection_counts(r: &Cscv, names: &[String]) -> serde_json::Value {
    let mut counts = vec![0usize; names.len()];
    for c in &r.combinations {
        counts[c.n_star] += 1;
    }
    let mut order: Vec<usize> = (0..names.len()).filter(|&j| counts[j] > 0).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(counts[j]), j));
    order.into_iter().map(|j| json!({"strategy": names[j], "times": counts[j]})).collect()
}

fn logits_table(r: &Cscv, names: &[String]) -> Result<arrow::array::RecordBatch, StageError> {
    let c = &r.combinations;
    let blocks: Vec<String> = c.iter().map(|c| c.is_blocks.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")).collect();
    let selected: Vec<&str> = c.iter().map(|c| names[c.n_star].as_str()).collect();
    TableBuilder::new()
        .i64(lc::COMBINATION, (0..c.len() as i64).collect())
        .str(lc::IS_BLOCKS, &blocks)
        .str(lc::STRATEGY, &selected)
        .f64(lc::R_IS, c.iter().map(|c| c.r_is).collect())
        .f64(lc::R_OOS, c.iter().map(|c| c.r_oos).collect())
        .f64(lc::OOS_RANK, c.iter().map(|c| c.oos_rank).collect())
        .f64(lc::W_BAR, c.iter().map(|c| c.w_bar).collect())
        .f64(lc::LOGIT, c.iter().map(|c| c.logit).collect())
        .build()
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;
    use mlfactory_market::columns::f64_column;

    use super::*;

    fn returns(t: usize, n: usize, skill: f64) -> arrow::array::RecordBatch {
        // A deterministic pseudo-random walk per column; column 0 gets `skill` added.
        let mut b = TableBuilder::new();
        for j in 0..n {
            let col: Vec<f64> = (0..t)
                .map(|i| {
                    let h = blake3::hash(&[(i as u64).to_le_bytes(), (j as u64).to_le_bytes()].concat());
                    let u = f64::from(u32::from_le_bytes(h.as_bytes()[..4].try_into().unwrap())) / f64::from(u32::MAX) - 0.5;
                    u * 0.02 + if j == 0 { skill } else { 0.0 }
                })
                .collect();
            b = b.f64(&format!("s{j}"), col);
        }
        b.build().unwrap()
    }

    fn run(inputs: &StageInputs, params: &Params) -> StageOutput {
        let progress = NullProgress;
        Pbo.run(&StageContext::new(1, &progress), params, inputs).unwrap()
    }

    #[test]
    fn a_real_edge_is_not_overfit() {
        let out = run(&StageInputs::new().with_table("returns", returns(400, 10, 0.004)), &Params { partitions: 8, ..Params::default() });
        assert_eq!(out.metrics["pbo"], 0.0);
        let Artifact::Json(doc) = &out.artifacts["pbo"] else { panic!() };
        assert_eq!(doc["selected"][0]["strategy"], "s0");
        assert_eq!(doc["combinations"], 70);
        assert_eq!(doc["histogram"]["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum::<u64>(), 70);
        let Artifact::Table(t) = &out.artifacts["logits"] else { panic!() };
        assert_eq!(t.num_rows(), 70);
        assert!(f64_column(t, lc::LOGIT).unwrap().iter().all(|l| *l > 0.0));
    }

    #[test]
    fn checks_partitions() {
        assert!(Pbo.normalize(&json!({"partitions": 7})).unwrap_err().message.contains("even"));
        assert!(Pbo.normalize(&json!({"partitions": 30})).is_err());
        assert_eq!(Pbo.normalize(&json!({})).unwrap()["partitions"], 16);
    }
}
