//! `validate.calibrate`: isotonic calibration of class probabilities, fit on the
//! validation split only and applied to every row.

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::contracts::calibration_curve as cc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::calibration::isotonic::Isotonic;
use crate::calibration::reliability::{curve, ece};
use crate::predictions::Predictions;
use crate::stats::classification::{CLASSES, classify, predicted_class};

/// Isotonic calibration of predicted probabilities.
pub struct Calibrate;

/// `validate.calibrate` params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The split the calibration is fit on. Never `test`: that would leak.
    pub fit_split: String,
    /// Fewest fitting rows accepted.
    pub min_rows: usize,
    /// Equal-width bins of the reliability curves.
    pub bins: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self { fit_split: mlfactory_market::contracts::splits::VAL.to_owned(), min_rows: 30, bins: 10 }
    }
}

/// One isotonic map per class, and the fitting rows' mean return per class.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibrator {
    pub maps: [Isotonic; 3],
    pub class_returns: [f64; 3],
}

impl Calibrator {
    /// Fits on the rows of `p` (already restricted to the fitting split).
    pub fn fit(p: &Predictions) -> Option<Self> {
        let fit_class = |k: usize| {
            let x: Vec<f64> = p.proba.iter().map(|q| q[k]).collect();
            let y: Vec<f64> = p.class.iter().map(|&c| f64::from(u8::from(c as usize == k))).collect();
            Isotonic::fit(&x, &y, None)
        };
        let maps = [fit_class(0)?, fit_class(1)?, fit_class(2)?];
        let class_returns = [0, 1, 2].map(|k| {
            let r: Vec<f64> = (0..p.len()).filter(|&i| p.class[i] as usize == k && p.ret[i].is_finite()).map(|i| p.ret[i]).collect();
            if r.is_empty() { 0.0 } else { r.iter().sum::<f64>() / r.len() as f64 }
        });
        Some(Self { maps, class_returns })
    }

    /// Calibrated probabilities of one row, renormalised to sum to 1 (uniform if all 0).
    pub fn apply(&self, p: &[f64; 3]) -> [f64; 3] {
        let q = [0, 1, 2].map(|k| self.maps[k].predict(p[k]));
        let total: f64 = q.iter().sum();
        if total > 0.0 { q.map(|v| v / total) } else { [1.0 / 3.0; 3] }
    }

    /// `p` with calibrated probabilities, the signal of the predicted class and expected return
    /// Σ_k q_k·(mean return of class k on the fitting rows).
    pub fn calibrate(&self, p: &Predictions) -> Predictions {
        let mut out = p.clone();
        for i in 0..out.len() {
            let q = self.apply(&p.proba[i]);
            out.proba[i] = q;
            out.signal[i] = predicted_class(&q) as f64 - 1.0;
            out.expected_return[i] = (0..3).map(|k| q[k] * self.class_returns[k]).sum();
        }
        out
    }
}

impl Stage for Calibrate {
    type Params = Params;
    const KIND: &'static str = "validate.calibrate";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Isotonic calibration of class probabilities, fit on validation rows only; reliability curves before and after.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::one("predictions", "a predictions table with a validation split")];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("predictions", Format::Parquet, "the same rows with calibrated probabilities, signal, confidence and expected return"),
        OutputSlot::new("curve", Format::Parquet, "reliability bins per split, class and stage (contracts::calibration_curve)"),
        OutputSlot::new("calibration", Format::Json, "log loss, Brier score and ECE per split before and after, and the isotonic maps"),
    ];

    fn check(&self, p: &Params) -> Result<(), ParamIssue> {
        if p.fit_split == mlfactory_market::contracts::splits::TEST {
            return Err(ParamIssue::new(&["fit_split"], "calibrating on the test split leaks it into every test metric").hint("fit on `val`"));
        }
        if p.bins == 0 {
            return Err(ParamIssue::new(&["bins"], "must be at least 1"));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, params: &Params, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let p = Predictions::read(inputs.table("predictions")?, "predictions")?;
        let fit_rows = p.rows(&params.fit_split);
        if fit_rows.len() < params.min_rows.max(1) {
            return Err(StageError::data_hint(
                format!("split `{}` has {} rows, fewer than `min_rows` = {}", params.fit_split, fit_rows.len(), params.min_rows),
                "calibration needs a validation split: check the `splits` stage's val fraction, or lower `min_rows`",
            ));
        }
        let calibrator = Calibrator::fit(&p.select(&fit_rows)).ok_or_else(|| StageError::internal("no finite probabilities on the fitting rows"))?;
        let calibrated = calibrator.calibrate(&p);
        let mut out = StageOutput::new();
        let mut per_split = serde_json::Map::new();
        let (mut c_split, mut c_class, mut c_stage, mut c_bin, mut c_count, mut c_pred, mut c_obs) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for split in p.splits() {
            let rows = p.rows(&split);
            let mut doc = serde_json::Map::new();
            let mut log_loss = [0.0; 2];
            for (k_stage, (stage, preds)) in [("raw", &p), ("calibrated", &calibrated)].into_iter().enumerate() {
                let sub = preds.select(&rows);
                let c = classify(&sub.class, &sub.proba);
                log_loss[k_stage] = c.log_loss;
                let mut eces = Vec::new();
                for (k, class) in CLASSES.iter().enumerate() {
                    let prob: Vec<f64> = sub.proba.iter().map(|q| q[k]).collect();
                    let hit: Vec<bool> = sub.class.iter().map(|&y| y as usize == k).collect();
                    let bins = curve(&prob, &hit, params.bins);
                    eces.push(ece(&bins));
                    for b in bins {
                        c_split.push(split.clone());
                        c_class.push(*class);
                        c_stage.push(stage);
                        c_bin.push(b.bin as i64);
                        c_count.push(b.count as i64);
                        c_pred.push(b.mean_predicted);
                        c_obs.push(b.observed);
                    }
                }
                let mean_ece = eces.iter().sum::<f64>() / 3.0;
                out = out.metric(&format!("{split}_log_loss_{stage}"), c.log_loss).metric(&format!("{split}_ece_{stage}"), mean_ece);
                doc.insert(stage.to_owned(), json!({"log_loss": c.log_loss, "brier": c.brier, "accuracy": c.accuracy, "ece": {"short": eces[0], "neutral": eces[1], "long": eces[2], "mean": mean_ece}}));
            }
            ctx.log(format_args!("{split}: log loss {:.4} -> {:.4}", log_loss[0], log_loss[1]));
            per_split.insert(split, serde_json::Value::Object(doc));
        }
        let maps: serde_json::Map<String, serde_json::Value> =
            CLASSES.iter().zip(&calibrator.maps).map(|(c, m)| ((*c).to_owned(), json!({"x": m.x, "y": m.y}))).collect();
        let curve_table = TableBuilder::new()
            .str(cc::SPLIT, &c_split)
            .str(cc::CLASS, &c_class)
            .str(cc::STAGE, &c_stage)
            .i64(cc::BIN, c_bin)
            .i64(cc::COUNT, c_count)
            .f64(cc::MEAN_PREDICTED, c_pred)
            .f64(cc::OBSERVED, c_obs)
            .build()?;
        Ok(out.metric("fit_rows", fit_rows.len()).table("predictions", calibrated.to_table()?).table("curve", curve_table).json(
            "calibration",
            json!({
                "fit_split": params.fit_split,
                "fit_rows": fit_rows.len(),
                "bins": params.bins,
                "splits": per_split,
                "maps": maps,
                "class_returns": {"short": calibrator.class_returns[0], "neutral": calibrator.class_returns[1], "long": calibrator.class_returns[2]},
            }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use mlfactory_engine::Artifact;
    use mlfactory_engine::progress::NullProgress;
    use mlfactory_engine::stage::DynStage;

    use super::*;
    use crate::predictions::fixtures::predictions;

    fn run(p: &Predictions) -> StageOutput {
        let progress = NullProgress;
        Calibrate
            .run(
                &StageContext::new(0, &progress),
                &Params { min_rows: 10, ..Params::default() },
                &StageInputs::new().with_table("predictions", p.to_table().unwrap()),
            )
            .unwrap()
    }

    fn table(out: &StageOutput, name: &str) -> Predictions {
        let Artifact::Table(t) = &out.artifacts[name] else { panic!("{name} is a table") };
        Predictions::read(t, name).unwrap()
    }

    #[test]
    fn calibration_improves_an_overconfident_model_on_its_fitting_split() {
        // Right on 2 of 3 rows with p = 0.6 on the predicted class: calibrated, the
        // predicted class gets about 2/3.
        let mut p = predictions(90, "val", |i| i % 3 != 1);
        p.extend(predictions(30, "test", |i| i % 3 != 1));
        let out = run(&p);
        let raw = out.metrics["val_log_loss_raw"].as_f64().unwrap();
        let cal = out.metrics["val_log_loss_calibrated"].as_f64().unwrap();
        assert!(cal < raw, "{cal} vs {raw}");
        let c = table(&out, "predictions");
        assert_eq!(c.len(), 120);
        assert!(c.proba.iter().all(|q| (q.iter().sum::<f64>() - 1.0).abs() < 1e-12));
    }

    /// Leakage: rewriting every test row (labels, returns, probabilities) leaves the
    /// calibration of the validation rows and the maps unchanged.
    #[test]
    fn test_rows_never_shape_the_calibration() {
        let mut a = predictions(60, "val", |i| i % 4 != 0);
        let mut b = a.clone();
        a.extend(predictions(30, "test", |_| true));
        b.extend(predictions(30, "test", |_| false));
        for q in b.proba.iter_mut().skip(60) {
            *q = [0.9, 0.05, 0.05];
        }
        let (oa, ob) = (run(&a), run(&b));
        let (ca, cb) = (table(&oa, "predictions"), table(&ob, "predictions"));
        assert_eq!(ca.proba[..60], cb.proba[..60]);
        let (Artifact::Json(ja), Artifact::Json(jb)) = (&oa.artifacts["calibration"], &ob.artifacts["calibration"]) else { panic!() };
        assert_eq!(ja["maps"], jb["maps"]);
    }

    #[test]
    fn refuses_to_fit_on_test() {
        assert!(Calibrate.normalize(&json!({"fit_split": "test"})).unwrap_err().message.contains("leaks"));
    }
}
