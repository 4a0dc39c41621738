//! `validate.evaluate`: classification and trading metrics of a predictions table, per
//! split.

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, Stage, StageContext, StageError, StageInputs, StageOutput};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::predictions::Predictions;
use crate::stats::classification::{Classification, classify};
use crate::stats::trading::{Trading, trade};

/// Metrics of a model's predictions, split by split.
pub struct Evaluate;

/// `validate.evaluate` params.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Splits to evaluate, in this order; empty: every split present in the table, in
    /// order of first appearance (`val`, `test`; `oof` for cross-validated predictions).
    pub splits: Vec<String>,
}

/// The metrics of one split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitMetrics {
    pub classification: Classification,
    pub trading: Trading,
}

/// Evaluates the rows of `p` (one split).
pub fn evaluate(p: &Predictions) -> SplitMetrics {
    SplitMetrics { classification: classify(&p.class, &p.proba), trading: trade(&p.ts, &p.signal, &p.ret) }
}

/// What the JSON artifact says about how the numbers were computed.
pub(crate) fn conventions() -> Value {
    json!({
        "classes": ["short", "neutral", "long"],
        "predicted_class": "the most probable class, ties to neutral, then to the lower index (as the model stages decide)",
        "confusion": "confusion[true][predicted]",
        "log_loss": "natural log, probabilities clipped to [1e-15, 1-1e-15] and renormalised (scikit-learn)",
        "trade_return": "signal x ret per row with a non-zero signal, unit notional, no costs, overlapping trades not netted",
        "sharpe": "daily sums of trade returns by CME trading day of entry (every day with a row in the split, 0 when no trade), mean/std(ddof=1) x sqrt(252)",
        "sharpe_per_trade": "mean/std(ddof=1) of trade returns, not annualised",
        "psr": "Probabilistic Sharpe Ratio of the per-trade Sharpe against 0, bias-corrected skew and kurtosis",
    })
}

impl Stage for Evaluate {
    type Params = Params;
    const KIND: &'static str = "validate.evaluate";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Accuracy, log loss, F1, per-class precision/recall, confusion matrix and the Sharpe of trading the signal, per split.";
    const INPUTS: &'static [InputSlot] =
        &[InputSlot::one("predictions", "a predictions table (`models.train`, `validate.calibrate`, cross-validation stages)")];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new("metrics", Format::Json, "`{splits: {NAME: {classification, trading}}, conventions}`")];

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let p = Predictions::read(inputs.table("predictions")?, "predictions")?;
        let names = if params.splits.is_empty() { p.splits() } else { params.splits.clone() };
        let mut splits = serde_json::Map::new();
        let mut out = StageOutput::new();
        for name in &names {
            let rows = p.rows(name);
            if rows.is_empty() {
                return Err(StageError::data_hint(
                    format!("split `{name}` has no rows in the predictions (splits present: {})", p.splits().join(", ")),
                    "list only splits the predictions have in `splits`, or leave it empty",
                ));
            }
            let m = evaluate(&p.select(&rows));
            ctx.log(format_args!(
                "{name}: {} rows, accuracy {:.4}, log loss {:.4}, macro F1 {:.4}, {} trades, Sharpe {:.3}",
                m.classification.rows, m.classification.accuracy, m.classification.log_loss, m.classification.macro_f1, m.trading.trades, m.trading.sharpe
            ));
            out = out
                .metric(&format!("{name}_rows"), m.classification.rows)
                .metric(&format!("{name}_accuracy"), m.classification.accuracy)
                .metric(&format!("{name}_log_loss"), m.classification.log_loss)
                .metric(&format!("{name}_macro_f1"), m.classification.macro_f1)
                .metric(&format!("{name}_trades"), m.trading.trades)
                .metric(&format!("{name}_hit_rate"), m.trading.hit_rate)
                .metric(&format!("{name}_sharpe"), m.trading.sharpe);
            splits.insert(name.clone(), serde_json::to_value(&m).map_err(|e| StageError::internal(format!("metrics: {e}")))?);
        }
        Ok(out.json("metrics", json!({"splits": splits, "conventions": conventions()})))
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::predictions::fixtures::predictions;

    fn run(p: &Predictions, params: &Params) -> Result<StageOutput, StageError> {
        let progress = NullProgress;
        let ctx = StageContext::new(7, &progress);
        Evaluate.run(&ctx, params, &StageInputs::new().with_table("predictions", p.to_table().unwrap()))
    }

    #[test]
    fn scores_each_split() {
        let mut p = predictions(30, "val", |i| i % 3 != 0);
        p.extend(predictions(12, "test", |_| true));
        let out = run(&p, &Params::default()).unwrap();
        assert!((out.metrics["val_accuracy"].as_f64().unwrap() - 20.0 / 30.0).abs() < 1e-12);
        assert_eq!(out.metrics["test_accuracy"], 1.0);
        // A perfect model trades the 8 non-neutral test rows and wins each.
        assert_eq!(out.metrics["test_trades"], 8);
        assert_eq!(out.metrics["test_hit_rate"], 1.0);
        let mlfactory_engine::Artifact::Json(doc) = &out.artifacts["metrics"] else { panic!("metrics is JSON") };
        assert_eq!(doc["splits"]["test"]["classification"]["confusion"], json!([[4, 0, 0], [0, 4, 0], [0, 0, 4]]));
        assert!(doc["conventions"]["sharpe"].as_str().unwrap().contains("sqrt(252)"));
    }

    #[test]
    fn unknown_split_is_a_data_error() {
        let p = predictions(6, "val", |_| true);
        let err = run(&p, &Params { splits: vec!["test".into()] }).unwrap_err().to_string();
        assert!(err.contains("split `test` has no rows") && err.contains("splits present: val"), "{err}");
    }
}
