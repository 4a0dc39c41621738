//! The calibration section: reliability diagrams (from `validate.calibrate`'s curve,
//! else computed from the predictions), calibration scores before and after, calibrated
//! thresholds (taken vs phantom signals) and gates.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::{f64_column, str_column};
use mlfactory_market::contracts::{calibration_curve as cc, gates as gc};
use serde_json::{Value, json};

use crate::format;
use crate::html::{Block, Cell, Section};
use crate::json;
use crate::plot::{LineChart, Series, XAxis};
use crate::tables::PredictionRows;

/// Bins of the reliability diagrams computed from predictions.
const BINS: usize = 10;

/// (mean predicted, observed frequency) per non-empty equal-width bin of `p`.
pub fn reliability(p: &[f64], hit: &[bool], bins: usize) -> Vec<(f64, f64)> {
    let mut sum = vec![(0.0, 0.0, 0usize); bins];
    for (&x, &h) in p.iter().zip(hit) {
        if !x.is_finite() {
            continue;
        }
        let b = ((x * bins as f64).floor() as usize).min(bins - 1);
        sum[b].0 += x;
        sum[b].1 += f64::from(u8::from(h));
        sum[b].2 += 1;
    }
    sum.into_iter().filter(|s| s.2 > 0).map(|(x, h, n)| (x / n as f64, h / n as f64)).collect()
}

fn diagram(title: &str, series: Vec<Series>) -> Block {
    let mut chart = LineChart::new(XAxis::Linear("predicted probability".into()), "observed frequency", series);
    chart.diagonal = true;
    chart.x_domain = Some((0.0, 1.0));
    chart.y_domain = Some((0.0, 1.0));
    chart.width = 420.0;
    chart.height = 340.0;
    Block::chart(title, chart.render())
}

/// Diagrams from the `curve` table of `validate.calibrate`, for the split `test` when
/// present (else the last one).
fn from_curve(t: &RecordBatch) -> Result<Option<Block>, StageError> {
    let split = str_column(t, cc::SPLIT)?;
    let class = str_column(t, cc::CLASS)?;
    let stage = str_column(t, cc::STAGE)?;
    let pred = f64_column(t, cc::MEAN_PREDICTED)?;
    let obs = f64_column(t, cc::OBSERVED)?;
    let splits: Vec<&str> = split.iter().filter_map(|s| s.as_deref()).fold(Vec::new(), |mut v, s| {
        if !v.contains(&s) {
            v.push(s);
        }
        v
    });
    let Some(&chosen) = splits.iter().find(|s| **s == "test").or(splits.last()) else { return Ok(None) };
    let mut charts = Vec::new();
    for c in ["short", "neutral", "long"] {
        let mut by_stage: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
        for i in 0..pred.len() {
            if split[i].as_deref() == Some(chosen) && class[i].as_deref() == Some(c) {
                by_stage.entry(stage[i].as_deref().unwrap_or("?")).or_default().push((pred[i], obs[i]));
            }
        }
        if by_stage.is_empty() {
            continue;
        }
        // raw first, then calibrated
        let mut series: Vec<Series> = by_stage.into_iter().map(|(name, pts)| Series::new(name, pts).with_markers()).collect();
        series.sort_by_key(|s| s.name != "raw");
        charts.push(diagram(&format!("P({c}), {chosen} split"), series));
    }
    Ok((!charts.is_empty()).then_some(Block::Row(charts)))
}

/// Diagrams of the model's own probabilities (the predictions' last split).
fn from_predictions(p: &PredictionRows) -> Option<Block> {
    let split = p.splits().into_iter().find(|s| s == "test").or_else(|| p.splits().pop())?;
    let rows: Vec<usize> = (0..p.split.len()).filter(|&i| p.split[i] == split).collect();
    let mut charts = Vec::new();
    for (name, probs, want) in [("short", p.p_short.as_ref()?, -1.0), ("long", p.p_long.as_ref()?, 1.0)] {
        let x: Vec<f64> = rows.iter().map(|&i| probs[i]).collect();
        let hit: Vec<bool> = rows.iter().map(|&i| p.label[i] == want).collect();
        charts.push(diagram(&format!("P({name}), {split} split"), vec![Series::new("model", reliability(&x, &hit, BINS)).with_markers()]));
    }
    Some(Block::Row(charts))
}

fn scores(doc: &Value) -> Option<Block> {
    let splits = json::at(doc, &["splits"])?.as_object()?;
    let mut rows = Vec::new();
    for (split, stages) in splits {
        for stage in ["raw", "calibrated"] {
            let Some(m) = stages.get(stage) else { continue };
            rows.push(vec![
                Cell::text(split.clone()),
                Cell::text(stage),
                Cell::num(format::num(json::num(m, &["log_loss"]), 4)),
                Cell::num(format::num(json::num(m, &["brier"]), 4)),
                Cell::num(format::num(json::num(m, &["ece", "mean"]), 4)),
                Cell::num(format::num(json::num(m, &["accuracy"]), 4)),
            ]);
        }
    }
    Some(Block::table(
        format!("Calibration scores (isotonic maps fit on `{}`)", json::text(doc, &["fit_split"]).unwrap_or("val")),
        ["split", "probabilities", "log loss", "Brier", "ECE (mean)", "accuracy"],
        rows,
    ))
}

fn thresholds(doc: &Value) -> Option<Block> {
    let splits = json::at(doc, &["splits"])?.as_object()?;
    let mut rows = Vec::new();
    let mut headers: Vec<String> = vec!["split".into(), "signals".into()];
    for (split, s) in splits {
        for side in ["taken", "phantom"] {
            let Some(m) = s.get(side) else { continue };
            let fields = json::scalars(m, 0);
            if headers.len() == 2 {
                headers.extend(fields.iter().map(|(k, _)| k.replace('_', " ")));
            }
            let mut row = vec![Cell::text(split.clone()), Cell::text(side)];
            row.extend(fields.iter().map(|(_, v)| Cell::num(json::display(v))));
            rows.push(row);
        }
    }
    (!rows.is_empty()).then(|| Block::table("Calibrated thresholds: signals taken vs not taken (phantom), judged on the same outcomes", headers, rows))
}

fn gates(t: &RecordBatch) -> Result<Block, StageError> {
    let gate = str_column(t, gc::GATE)?;
    let split = str_column(t, gc::SPLIT)?;
    let n_pass = f64_column(t, gc::N_PASS)?;
    let wr_pass = f64_column(t, gc::WIN_RATE_PASS)?;
    let n_fail = f64_column(t, gc::N_FAIL)?;
    let wr_fail = f64_column(t, gc::WIN_RATE_FAIL)?;
    let lift = f64_column(t, gc::LIFT)?;
    let mut idx: Vec<usize> = (0..gate.len()).collect();
    idx.sort_by(|&a, &b| split[a].cmp(&split[b]).then(lift[b].total_cmp(&lift[a])).then(a.cmp(&b)));
    let mut shown: BTreeMap<Option<String>, usize> = BTreeMap::new();
    let rows = idx
        .into_iter()
        .filter(|&i| {
            let n = shown.entry(split[i].clone()).or_default();
            *n += 1;
            *n <= 12
        })
        .map(|i| {
            vec![
                Cell::text(split[i].clone().unwrap_or_default()),
                Cell::text(gate[i].clone().unwrap_or_default()),
                Cell::num(format::num(n_pass[i], 0)),
                Cell::num(format::pct(wr_pass[i], 1)),
                Cell::num(format::num(n_fail[i], 0)),
                Cell::num(format::pct(wr_fail[i], 1)),
                Cell::signed(format::pct(lift[i], 1), lift[i]),
            ]
        })
        .collect();
    Ok(Block::table(
        "Gates: win rate with and without each filter (best 12 per split by lift)",
        ["split", "gate", "pass", "win rate", "fail", "win rate", "lift"],
        rows,
    ))
}

/// The section, and its figures for metrics.json.
pub fn section(
    curve: Option<&RecordBatch>,
    calibration: Option<&Value>,
    predictions: Option<&PredictionRows>,
    threshold_doc: Option<&Value>,
    gate_table: Option<&RecordBatch>,
) -> Result<Option<(Section, Value)>, StageError> {
    let mut s = Section::new("calibration", "Calibration and thresholds");
    let wrap = |slot: &'static str| {
        move |e: StageError| StageError::data_hint(format!("input `{slot}`: {e}"), format!("bind the matching `validate` output to `{slot}`"))
    };
    let diagrams = match curve {
        Some(t) => from_curve(t).map_err(wrap("calibration"))?,
        None => predictions.and_then(from_predictions),
    };
    if let Some(b) = diagrams {
        s.push(b);
        s.push(Block::Note("Points on the dashed diagonal are calibrated: among rows given probability p, a share p had that outcome.".into()));
    }
    let mut figures = json!({});
    if let Some(doc) = calibration {
        if let Some(b) = scores(doc) {
            s.push(b);
        }
        figures["calibration"] = json::at(doc, &["splits"]).cloned().unwrap_or(Value::Null);
    }
    if let Some(doc) = threshold_doc {
        if let Some(b) = thresholds(doc) {
            s.push(b);
        }
        figures["thresholds"] = json::at(doc, &["splits"]).map_or(Value::Null, |sp| json::scalars(sp, 2).into_iter().collect::<serde_json::Map<_, _>>().into());
    }
    if let Some(t) = gate_table {
        s.push(gates(t).map_err(wrap("gates"))?);
    }
    Ok((!s.blocks.is_empty()).then_some((s, figures)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reliability_bins_by_predicted_probability() {
        let p = [0.05, 0.15, 0.12, 0.95, 1.0, f64::NAN];
        let hit = [false, true, false, true, true, true];
        let r = reliability(&p, &hit, 10);
        assert_eq!(r.len(), 3);
        assert!((r[0].0 - 0.05).abs() < 1e-12 && r[0].1 == 0.0);
        assert!((r[1].0 - 0.135).abs() < 1e-12 && r[1].1 == 0.5);
        assert_eq!(r[2], (0.975, 1.0));
    }

    #[test]
    fn predictions_alone_give_diagrams() {
        let p = PredictionRows {
            split: vec!["test".into(); 4],
            label: vec![1.0, -1.0, 0.0, 1.0],
            signal: vec![0.0; 4],
            ret: vec![0.0; 4],
            p_short: Some(vec![0.1, 0.7, 0.2, 0.1]),
            p_long: Some(vec![0.8, 0.1, 0.3, 0.6]),
        };
        let (s, _) = section(None, None, Some(&p), None, None).unwrap().unwrap();
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert!(html.contains("P(long), test split") && html.contains("P(short), test split"));
        assert!(section(None, None, None, None, None).unwrap().is_none());
    }
}
