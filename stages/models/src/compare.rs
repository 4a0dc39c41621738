//! `models.compare`: the comparison table of a model sweep. Fan-in of the `predictions`
//! of every variant of a matrix `models.train` stage; one row per (model, split) with
//! the classification metrics and a naive trading figure.
//!
//! Comparing is only fair on identical rows: the stage refuses predictions whose
//! evaluation rows (times, splits, labels) differ, or whose training fingerprints name
//! different labels, horizons or training rows; it names the two inputs that disagree.

use arrow::array::RecordBatch;
use mlfactory_artifacts::Format;
use mlfactory_engine::{Artifact, InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::columns::{TableBuilder, f64_column, str_column, ts_column};
use mlfactory_market::contracts::predictions as pc;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;
use crate::metrics::{CLASS_NAMES, Metrics};
use crate::samples::Class;

/// Params of `models.compare`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CompareParams {
    /// Splits to report, in this order.
    pub splits: Vec<String>,
    /// The metric that ranks models (`log_loss`, `accuracy`, `macro_f1`, `mean_return`),
    /// on the last split listed.
    pub rank_by: String,
}

impl Default for CompareParams {
    fn default() -> Self {
        Self { splits: vec!["val".into(), "test".into()], rank_by: "log_loss".into() }
    }
}

const RANKABLE: [&str; 4] = ["log_loss", "accuracy", "macro_f1", "mean_return"];

/// One comparison row: model, split, metrics, trades, mean return per trade.
type Row = (String, String, Metrics, usize, f64);

/// The `models.compare` stage kind.
#[derive(Debug, Default)]
pub struct Compare;

/// The evaluation rows of one predictions table.
struct Evaluated {
    name: String,
    ts: Vec<i64>,
    split: Vec<String>,
    label: Vec<u8>,
    ret: Vec<f64>,
    proba: Vec<[f64; 3]>,
    signal: Vec<f64>,
    fingerprint: Option<Fingerprint>,
}

fn read(name: &str, t: &RecordBatch) -> Result<Evaluated, StageError> {
    let label = f64_column(t, pc::LABEL)?
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            Class::from_label(l as i64).map(|c| c as u8).ok_or_else(|| StageError::data(format!("predictions of `{name}`: `label` is {l} at row {i}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (ps, pn, pl) = (f64_column(t, pc::P_SHORT)?, f64_column(t, pc::P_NEUTRAL)?, f64_column(t, pc::P_LONG)?);
    Ok(Evaluated {
        name: name.to_owned(),
        ts: ts_column(t, pc::TS)?,
        split: str_column(t, pc::SPLIT)?.into_iter().map(Option::unwrap_or_default).collect(),
        label,
        ret: f64_column(t, pc::RET)?,
        proba: ps.iter().zip(&pn).zip(&pl).map(|((&a, &b), &c)| [a, b, c]).collect(),
        signal: f64_column(t, pc::SIGNAL)?,
        fingerprint: Fingerprint::from_metadata(t.schema_ref().metadata())?,
    })
}

/// Errors unless `b` was evaluated on `a`'s rows with `a`'s labels.
fn ensure_comparable(a: &Evaluated, b: &Evaluated) -> Result<(), StageError> {
    if let (Some(fa), Some(fb)) = (&a.fingerprint, &b.fingerprint)
        && fa.labels != fb.labels
    {
        return Err(StageError::data_hint(
            format!("cannot compare `{}` and `{}`: trained on different labels, horizons or training rows ({} vs {} rows)", a.name, b.name, fa.rows, fb.rows),
            "compare variants of one matrix over the model only, downstream of the same dataset stage",
        ));
    }
    if a.ts.len() != b.ts.len() {
        return Err(StageError::data_hint(
            format!("cannot compare `{}` ({} rows) and `{}` ({} rows): different evaluation rows", a.name, a.ts.len(), b.name, b.ts.len()),
            "compare predictions made on the same dataset",
        ));
    }
    if let Some(i) = (0..a.ts.len()).find(|&i| a.ts[i] != b.ts[i] || a.split[i] != b.split[i] || a.label[i] != b.label[i]) {
        return Err(StageError::data_hint(
            format!(
                "cannot compare `{}` and `{}`: row {i} differs (ts {} vs {}, split `{}` vs `{}`, label {} vs {})",
                a.name, b.name, a.ts[i], b.ts[i], a.split[i], b.split[i], a.label[i], b.label[i]
            ),
            "compare predictions made on the same dataset (same labels, horizons and splits)",
        ));
    }
    Ok(())
}

impl Stage for Compare {
    type Params = CompareParams;
    const KIND: &'static str = "models.compare";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str = "Comparison table of a model sweep: metrics per model and split, on identical rows.";
    const INPUTS: &'static [InputSlot] = &[InputSlot::many("predictions", "the predictions of every model to compare (fan-in of a matrix `models.train`)")];
    const OUTPUTS: &'static [OutputSlot] = &[OutputSlot::new(
        "comparison",
        Format::Parquet,
        "one row per model and split: rows, accuracy, log_loss, macro_f1, precision/recall per class, trades, mean_return, rank",
    )];

    fn check(&self, p: &CompareParams) -> Result<(), ParamIssue> {
        if p.splits.is_empty() {
            return Err(ParamIssue::new(&["splits"], "needs at least one split").hint("[val, test]"));
        }
        if !RANKABLE.contains(&p.rank_by.as_str()) {
            return Err(ParamIssue::new(&["rank_by"], format!("unknown metric `{}`", p.rank_by)).hint(format!("one of {}", RANKABLE.join(", "))));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &CompareParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let mut models = Vec::new();
        for input in inputs.all("predictions") {
            let Artifact::Table(t) = &input.artifact else {
                return Err(StageError::input("predictions", format!("`{}` is not a table", input.label)));
            };
            models.push(read(&input.label, t)?);
        }
        if models.is_empty() {
            return Err(StageError::input("predictions", "no predictions to compare"));
        }
        for other in &models[1..] {
            ensure_comparable(&models[0], other)?;
        }
        let mut rows: Vec<Row> = Vec::new();
        for m in &models {
            for split in &p.splits {
                let idx: Vec<usize> = (0..m.ts.len()).filter(|&i| &m.split[i] == split).collect();
                let y: Vec<u8> = idx.iter().map(|&i| m.label[i]).collect();
                let proba: Vec<[f64; 3]> = idx.iter().map(|&i| m.proba[i]).collect();
                let trades = idx.iter().filter(|&&i| m.signal[i] != 0.0).count();
                let pnl: f64 = idx.iter().map(|&i| m.signal[i] * m.ret[i]).filter(|v| v.is_finite()).sum();
                let mean_return = if trades > 0 { pnl / trades as f64 } else { 0.0 };
                rows.push((m.name.clone(), split.clone(), Metrics::compute(&y, &proba), trades, mean_return));
            }
        }
        // Rank on the last split: lower log loss is better, higher is better otherwise.
        let last = p.splits.last().expect("checked non-empty");
        let key = |m: &Metrics, mean_return: f64| match p.rank_by.as_str() {
            "log_loss" => m.log_loss,
            "accuracy" => -m.accuracy,
            "macro_f1" => -m.macro_f1,
            _ => -mean_return,
        };
        let mut order: Vec<usize> = (0..rows.len()).filter(|&i| &rows[i].1 == last).collect();
        order.sort_by(|&a, &b| key(&rows[a].2, rows[a].4).total_cmp(&key(&rows[b].2, rows[b].4)).then(a.cmp(&b)));
        let mut rank = vec![0i64; rows.len()];
        for (r, &i) in order.iter().enumerate() {
            let name = &rows[i].0;
            for (j, row) in rows.iter().enumerate() {
                if &row.0 == name {
                    rank[j] = r as i64 + 1;
                }
            }
        }
        let col = |f: &dyn Fn(&Row) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
        let mut b = TableBuilder::new()
            .str("model", &rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>())
            .str("split", &rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>())
            .i64("rows", rows.iter().map(|r| r.2.rows as i64).collect())
            .f64("accuracy", col(&|r| r.2.accuracy))
            .f64("log_loss", col(&|r| r.2.log_loss))
            .f64("macro_f1", col(&|r| r.2.macro_f1));
        for (k, class) in CLASS_NAMES.iter().enumerate() {
            b = b.f64(&format!("precision_{class}"), col(&|r| r.2.precision[k])).f64(&format!("recall_{class}"), col(&|r| r.2.recall[k]));
        }
        let table = b.i64("trades", rows.iter().map(|r| r.3 as i64).collect()).f64("mean_return", col(&|r| r.4)).i64("rank", rank).build()?;
        let best = &rows[order[0]];
        ctx.log(format!("best on {last} by {}: {}", p.rank_by, best.0));
        Ok(StageOutput::new()
            .metric("models", models.len())
            .metric("best", best.0.clone())
            .metric(&format!("best_{last}_{}", p.rank_by), key(&best.2, best.4).abs())
            .table("comparison", table))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mlfactory_engine::progress::NullProgress;

    use super::*;
    use crate::predict::{Predicted, predictions_table};
    use crate::testdata::blobs;

    fn predictions(s: &crate::Samples, p: [f64; 3]) -> RecordBatch {
        let pr = Predicted { proba: vec![p; s.len()], expected_return: vec![0.0; s.len()] };
        predictions_table(&[("val", s, &pr), ("test", s, &pr)], Some(&Fingerprint::of(s))).unwrap()
    }

    fn inputs(tables: Vec<(&str, RecordBatch)>) -> StageInputs {
        let mut i = StageInputs::new();
        for (name, t) in tables {
            i.insert("predictions", name, Artifact::Table(Arc::new(t)));
        }
        i
    }

    #[test]
    fn ranks_models_on_identical_rows() {
        let s = blobs(60, 1);
        let good = predictions(&s, [0.3, 0.3, 0.4]);
        let bad = predictions(&s, [0.8, 0.1, 0.1]);
        let out =
            Compare.run(&StageContext::new(0, &NullProgress), &CompareParams::default(), &inputs(vec![("train@bad", bad), ("train@good", good)])).unwrap();
        let Artifact::Table(t) = &out.artifacts["comparison"] else { panic!() };
        assert_eq!(t.num_rows(), 4);
        assert_eq!(out.metrics["best"], "train@good");
        assert_eq!(f64_column(t, "rank").unwrap(), [2.0, 2.0, 1.0, 1.0]);
    }

    #[test]
    fn refuses_predictions_on_other_labels() {
        let s = blobs(60, 1);
        let mut other = s.clone();
        other.t1.iter_mut().for_each(|t| *t += 600);
        let err = Compare
            .run(
                &StageContext::new(0, &NullProgress),
                &CompareParams::default(),
                &inputs(vec![("h5", predictions(&s, [0.3; 3])), ("h20", predictions(&other, [0.3; 3]))]),
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot compare `h5` and `h20`: trained on different labels, horizons"), "{err}");
        let fewer = s.select(&(0..30).collect::<Vec<_>>());
        let with_fp = predictions(&fewer, [0.3; 3]);
        let bare = Arc::new(arrow::datatypes::Schema::new(with_fp.schema().fields().clone()));
        let no_fp = RecordBatch::try_new(bare, with_fp.columns().to_vec()).unwrap();
        let err = Compare
            .run(&StageContext::new(0, &NullProgress), &CompareParams::default(), &inputs(vec![("a", predictions(&s, [0.3; 3])), ("b", no_fp)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("different evaluation rows"), "{err}");
    }
}
