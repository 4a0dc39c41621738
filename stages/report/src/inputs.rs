//! The report's input slots (all optional: a pipeline wires what it has) and the typed
//! view of what was wired.

use mlfactory_artifacts::table::Table;
use mlfactory_engine::{Artifact, InputSlot, StageError, StageInputs};
use serde_json::Value;

/// Every slot, with what it expects and which stage output usually feeds it.
pub const SLOTS: &[InputSlot] = &[
    InputSlot::optional("evaluation", "JSON of `validate.evaluate` (classification and signal metrics per split)"),
    InputSlot::optional("backtest", "the `trades` table of `backtest` (its primary output)"),
    InputSlot::optional("equity", "the `equity` table of `backtest` (`backtest.equity`)"),
    InputSlot::optional("backtest_metrics", "the `metrics` JSON of `backtest` (`backtest.metrics`)"),
    InputSlot::optional("predictions", "a predictions table (`models.train`, `validate.calibrate`): label and signal distributions, reliability"),
    InputSlot::optional("labels", "a labels table (`labels.triple_barrier`): label and barrier distributions"),
    InputSlot::optional("model", "the `metrics` JSON of `models.train` (`model.metrics`): fit report, feature importance"),
    InputSlot::optional("calibration", "the `curve` table of `validate.calibrate` (`calibrate.curve`): reliability diagrams"),
    InputSlot::optional("calibration_metrics", "the `calibration` JSON of `validate.calibrate`: log loss, Brier, ECE before and after"),
    InputSlot::optional("thresholds", "the `summary` JSON of `validate.thresholds`: taken vs phantom signals"),
    InputSlot::optional("gates", "the `gates` table of `validate.gates`: win rate with and without each filter"),
    InputSlot::optional("cpcv", "the `summary` JSON of `validate.cpcv`: the path Sharpe distribution"),
    InputSlot::optional("pbo", "the `pbo` JSON of `validate.pbo`: PBO, logit histogram, degradation"),
    InputSlot::optional("pbo_logits", "the `logits` table of `validate.pbo`: in- vs out-of-sample performance per combination"),
    InputSlot::optional("dsr", "the JSON of `validate.deflated_sharpe`: PSR and DSR"),
    InputSlot::many("cv", "`folds` JSON of `validate.purged_kfold` / `validate.walk_forward`, one or more"),
    InputSlot::optional("comparison", "the table of `models.compare`: one row per model and split"),
    InputSlot::many("variants", "every variant of a sweep (fan-in of a matrix stage): backtest metrics, evaluations, model metrics, trades or predictions"),
];

/// What a pipeline wired, by slot.
#[derive(Debug, Default)]
pub struct Wired<'a> {
    pub evaluation: Option<&'a Value>,
    pub trades: Option<&'a Table>,
    pub equity: Option<&'a Table>,
    pub backtest: Option<&'a Value>,
    pub predictions: Option<&'a Table>,
    pub labels: Option<&'a Table>,
    pub model: Option<&'a Value>,
    pub calibration: Option<&'a Table>,
    pub calibration_metrics: Option<&'a Value>,
    pub thresholds: Option<&'a Value>,
    pub gates: Option<&'a Table>,
    pub cpcv: Option<&'a Value>,
    pub pbo: Option<&'a Value>,
    pub pbo_logits: Option<&'a Table>,
    pub dsr: Option<&'a Value>,
    /// (upstream stage name, document).
    pub cv: Vec<(&'a str, &'a Value)>,
    pub comparison: Option<&'a Table>,
    /// (upstream stage name, artifact).
    pub variants: Vec<(&'a str, &'a Artifact)>,
}

impl<'a> Wired<'a> {
    /// Reads every slot, checking each artifact's type.
    pub fn read(inputs: &'a StageInputs) -> Result<Self, StageError> {
        let mut cv = Vec::new();
        for a in inputs.all("cv") {
            match &a.artifact {
                Artifact::Json(v) => cv.push((a.label.as_str(), v)),
                other => {
                    return Err(StageError::input(
                        "cv",
                        format!("`{}` is {:?}, expected the JSON `folds` of a cross-validation stage", a.label, other.format()),
                    ));
                }
            }
        }
        Ok(Self {
            evaluation: inputs.opt_json("evaluation")?,
            trades: inputs.opt_table("backtest")?,
            equity: inputs.opt_table("equity")?,
            backtest: inputs.opt_json("backtest_metrics")?,
            predictions: inputs.opt_table("predictions")?,
            labels: inputs.opt_table("labels")?,
            model: inputs.opt_json("model")?,
            calibration: inputs.opt_table("calibration")?,
            calibration_metrics: inputs.opt_json("calibration_metrics")?,
            thresholds: inputs.opt_json("thresholds")?,
            gates: inputs.opt_table("gates")?,
            cpcv: inputs.opt_json("cpcv")?,
            pbo: inputs.opt_json("pbo")?,
            pbo_logits: inputs.opt_table("pbo_logits")?,
            dsr: inputs.opt_json("dsr")?,
            cv,
            comparison: inputs.opt_table("comparison")?,
            variants: inputs.all("variants").iter().map(|a| (a.label.as_str(), &a.artifact)).collect(),
        })
    }

    /// Slots left unbound, in declaration order (the report says what it could show).
    pub fn missing(&self) -> Vec<&'static str> {
        let bound = [
            self.evaluation.is_some(),
            self.trades.is_some(),
            self.equity.is_some(),
            self.backtest.is_some(),
            self.predictions.is_some(),
            self.labels.is_some(),
            self.model.is_some(),
            self.calibration.is_some(),
            self.calibration_metrics.is_some(),
            self.thresholds.is_some(),
            self.gates.is_some(),
            self.cpcv.is_some(),
            self.pbo.is_some(),
            self.pbo_logits.is_some(),
            self.dsr.is_some(),
            !self.cv.is_empty(),
            self.comparison.is_some(),
            !self.variants.is_empty(),
        ];
        SLOTS.iter().zip(bound).filter(|(_, b)| !b).map(|(s, _)| s.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_read_and_reported_missing_in_order() {
        let inputs = StageInputs::new().with_json("pbo", serde_json::json!({"pbo": 0.5}));
        let w = Wired::read(&inputs).unwrap();
        assert!(w.pbo.is_some());
        let missing = w.missing();
        assert_eq!(missing.len(), SLOTS.len() - 1);
        assert!(!missing.contains(&"pbo"));
        let wrong = StageInputs::new().with_json("backtest", serde_json::json!({}));
        assert!(Wired::read(&wrong).unwrap_err().to_string().contains("expected a table"));
    }
}
