//! The model section: classification and signal metrics per split, confusion
//! matrices, the label (and barrier) distributions, and feature importance.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::{f64_column, str_column};
use mlfactory_market::contracts::labels as lc;
use serde_json::{Value, json};

use crate::format;
use crate::html::{Block, Cell, Section};
use crate::json;
use crate::plot::{Columns, HBars, Heatmap};
use crate::tables::PredictionRows;

/// Classes in the order of every confusion matrix and distribution.
pub const CLASSES: [&str; 3] = ["short", "neutral", "long"];

/// The class index of a label or signal (-1, 0, +1), if it is one.
fn class_of(v: f64) -> Option<usize> {
    [-1.0, 0.0, 1.0].iter().position(|c| *c == v)
}

fn splits_of(evaluation: &Value) -> Vec<(&str, &Value)> {
    let mut splits: Vec<(&str, &Value)> =
        json::at(evaluation, &["splits"]).and_then(Value::as_object).map(|o| o.iter().map(|(k, v)| (k.as_str(), v)).collect()).unwrap_or_default();
    splits.sort_by_key(|(name, _)| json::split_rank(name));
    splits
}

fn metrics_table(evaluation: &Value) -> Block {
    let cols: [(&[&str], &str, usize); 10] = [
        (&["classification", "accuracy"], "accuracy", 4),
        (&["classification", "log_loss"], "log loss", 4),
        (&["classification", "brier"], "Brier", 4),
        (&["classification", "macro_f1"], "macro F1", 4),
        (&["trading", "trades"], "signals", 0),
        (&["trading", "hit_rate"], "hit rate", 4),
        (&["trading", "mean_return"], "mean ret", 6),
        (&["trading", "sharpe"], "Sharpe", 3),
        (&["trading", "sharpe_per_trade"], "Sharpe / trade", 4),
        (&["trading", "psr"], "PSR", 4),
    ];
    let headers: Vec<&str> = ["split", "rows"].into_iter().chain(cols.iter().map(|c| c.1)).collect();
    let rows = splits_of(evaluation)
        .into_iter()
        .map(|(name, m)| {
            let mut row = vec![Cell::text(name), Cell::num(format::num(json::num(m, &["classification", "rows"]), 0))];
            for (path, label, d) in cols {
                let v = json::num(m, path);
                row.push(if label == "Sharpe" { Cell::signed(format::num(v, d), v) } else { Cell::num(format::num(v, d)) });
            }
            row
        })
        .collect();
    Block::table("Classification and signal metrics (signal x label return, no costs)", headers, rows)
}

fn class_table(evaluation: &Value) -> Option<Block> {
    let mut rows = Vec::new();
    for (split, m) in splits_of(evaluation) {
        for class in CLASSES {
            let Some(c) = json::at(m, &["classification", "classes", class]) else { continue };
            rows.push(vec![
                Cell::text(split),
                Cell::text(class),
                Cell::num(format::num(json::num(c, &["precision"]), 4)),
                Cell::num(format::num(json::num(c, &["recall"]), 4)),
                Cell::num(format::num(json::num(c, &["f1"]), 4)),
                Cell::num(format::num(json::num(c, &["support"]), 0)),
            ]);
        }
    }
    (!rows.is_empty()).then(|| Block::table("Per class", ["split", "class", "precision", "recall", "F1", "support"], rows))
}

/// A 3x3 confusion matrix from a JSON array of arrays.
fn confusion(m: &Value) -> Option<Vec<Vec<f64>>> {
    let rows = json::at(m, &["classification", "confusion"])?.as_array()?;
    let matrix: Vec<Vec<f64>> = rows.iter().map(|r| r.as_array().map(|c| c.iter().map(|x| x.as_f64().unwrap_or(0.0)).collect()).unwrap_or_default()).collect();
    (matrix.len() == 3 && matrix.iter().all(|r| r.len() == 3)).then_some(matrix)
}

fn confusions(evaluation: &Value) -> Option<Block> {
    let charts: Vec<Block> = splits_of(evaluation)
        .into_iter()
        .filter_map(|(split, m)| {
            let values = confusion(m)?;
            let h = Heatmap {
                rows: CLASSES.iter().map(|c| (*c).to_owned()).collect(),
                cols: CLASSES.iter().map(|c| (*c).to_owned()).collect(),
                values,
                row_title: "true label".into(),
                col_title: "predicted class".into(),
            };
            Some(Block::chart(format!("Confusion matrix, {split} (shares of each true label)"), h.render()))
        })
        .collect();
    (!charts.is_empty()).then_some(Block::Row(charts))
}

/// Label counts per split: from the predictions when wired, else the confusion matrices' rows.
fn label_distribution(evaluation: Option<&Value>, predictions: Option<&PredictionRows>) -> Option<(Block, Value)> {
    let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
    if let Some(p) = predictions {
        for split in p.splits() {
            let mut counts = vec![0.0; 3];
            for (i, s) in p.split.iter().enumerate() {
                if *s == split
                    && let Some(c) = class_of(p.label[i])
                {
                    counts[c] += 1.0;
                }
            }
            groups.push((split, counts));
        }
    } else if let Some(e) = evaluation {
        for (split, m) in splits_of(e) {
            if let Some(c) = confusion(m) {
                groups.push((split.to_owned(), c.iter().map(|r| r.iter().sum()).collect()));
            }
        }
    }
    if groups.is_empty() {
        return None;
    }
    let doc = json!(
        groups.iter().map(|(s, c)| (s.as_str(), CLASSES.iter().copied().zip(c.iter().copied()).collect())).collect::<BTreeMap<&str, BTreeMap<&str, f64>>>()
    );
    let chart = Columns::new(CLASSES.iter().map(|c| (*c).to_owned()).collect(), groups, "rows");
    Some((
        Block::chart("True labels per split (-1 short: the price fell to the lower barrier or below the threshold; +1 long: the reverse)", chart.render()),
        doc,
    ))
}

/// Signals per split (how often the model trades, and which way).
fn signal_table(p: &PredictionRows) -> Option<Block> {
    let rows: Vec<Vec<Cell>> = p
        .splits()
        .into_iter()
        .map(|split| {
            let mut counts = [0usize; 3];
            let mut n = 0usize;
            for (i, s) in p.split.iter().enumerate() {
                if *s == split {
                    n += 1;
                    if let Some(c) = class_of(p.signal[i]) {
                        counts[c] += 1;
                    }
                }
            }
            let share = |k: usize| format::pct(counts[k] as f64 / n.max(1) as f64, 1);
            vec![Cell::text(split), Cell::num(format::int(n as u64)), Cell::num(share(0)), Cell::num(share(1)), Cell::num(share(2))]
        })
        .collect();
    (p.signal.iter().any(|s| s.is_finite())).then(|| Block::table("Signals per split", ["split", "rows", "short", "flat", "long"], rows))
}

/// Labels per horizon and barrier, from a labels table.
fn barrier_table(labels: &RecordBatch) -> Result<Block, StageError> {
    let horizon = f64_column(labels, lc::HORIZON)?;
    let barrier = str_column(labels, lc::BARRIER)?;
    let label = f64_column(labels, lc::LABEL)?;
    let mut by: BTreeMap<i64, ([usize; 3], [usize; 3])> = BTreeMap::new();
    for i in 0..horizon.len() {
        let e = by.entry(horizon[i] as i64).or_default();
        match barrier[i].as_deref() {
            Some("pt") => e.0[0] += 1,
            Some("sl") => e.0[1] += 1,
            _ => e.0[2] += 1,
        }
        if let Some(c) = class_of(label[i]) {
            e.1[c] += 1;
        }
    }
    let rows = by
        .iter()
        .map(|(h, (b, l))| {
            let n = b.iter().sum::<usize>().max(1) as f64;
            let mut row = vec![Cell::num(h.to_string()), Cell::num(format::int(n as u64))];
            row.extend(b.iter().chain(l.iter()).map(|&c| Cell::num(format::pct(c as f64 / n, 1))));
            row
        })
        .collect();
    Ok(Block::table(
        "Labels by horizon: which barrier ended each event, and the class",
        ["horizon (bars)", "events", "profit", "stop", "vertical", "short", "neutral", "long"],
        rows,
    ))
}

fn importance(model: &Value) -> Option<Block> {
    let imp = json::at(model, &["feature_importance"])?.as_object()?;
    let mut pairs: Vec<(&str, f64)> = imp.iter().filter_map(|(k, v)| v.as_f64().map(|x| (k.as_str(), x))).collect();
    if pairs.is_empty() {
        return None;
    }
    pairs.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
    let total = pairs.len();
    pairs.truncate(30);
    let chart = HBars::new(pairs.iter().map(|p| p.0.to_owned()).collect(), pairs.iter().map(|p| p.1).collect(), "importance");
    let kind = json::text(model, &["model", "type"]).unwrap_or("the model");
    Some(Block::chart(format!("Feature importance of {kind} ({} of {total} features, largest first)", pairs.len()), chart.render()))
}

/// The section, and its figures for metrics.json.
pub fn section(
    evaluation: Option<&Value>,
    predictions: Option<&PredictionRows>,
    labels: Option<&RecordBatch>,
    model: Option<&Value>,
) -> Result<Option<(Section, Value)>, StageError> {
    if evaluation.is_none() && predictions.is_none() && labels.is_none() && model.is_none() {
        return Ok(None);
    }
    let mut s = Section::new("model", "Model");
    let mut figures = serde_json::Map::new();
    if let Some(e) = evaluation {
        s.push(metrics_table(e));
        if let Some(b) = class_table(e) {
            s.push(b);
        }
        if let Some(b) = confusions(e) {
            s.push(b);
        }
        let per_split: BTreeMap<&str, Value> = splits_of(e)
            .into_iter()
            .map(|(k, m)| {
                (
                    k,
                    json!({
                        "accuracy": json::at(m, &["classification", "accuracy"]),
                        "log_loss": json::at(m, &["classification", "log_loss"]),
                        "macro_f1": json::at(m, &["classification", "macro_f1"]),
                        "sharpe": json::at(m, &["trading", "sharpe"]),
                        "psr": json::at(m, &["trading", "psr"]),
                    }),
                )
            })
            .collect();
        figures.insert("evaluation".into(), json!(per_split));
    }
    if let Some((b, doc)) = label_distribution(evaluation, predictions) {
        s.push(b);
        figures.insert("labels".into(), doc);
    }
    if let Some(b) = predictions.and_then(signal_table) {
        s.push(b);
    }
    if let Some(l) = labels {
        s.push(barrier_table(l).map_err(|e| StageError::data_hint(format!("input `labels`: {e}"), "bind a `labels.triple_barrier` output"))?);
    }
    if let Some(m) = model {
        match importance(m) {
            Some(b) => {
                s.push(b);
            }
            None => {
                s.push(Block::Note("The model reports no feature importance.".into()));
            }
        }
        if let Some(fit) = json::at(m, &["fit"]) {
            let facts = json::scalars(fit, 1).into_iter().map(|(k, v)| (k, json::display(&v))).collect();
            s.push(Block::Facts(facts));
        }
    }
    Ok(Some((s, Value::Object(figures))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation() -> Value {
        json!({"splits": {
            "val": {"classification": {"rows": 10, "accuracy": 0.5, "confusion": [[2, 1, 0], [1, 2, 1], [0, 1, 2]],
                    "classes": {"short": {"precision": 0.6, "recall": 0.5, "f1": 0.55, "support": 3}}},
                    "trading": {"trades": 6, "sharpe": -0.4}},
            "test": {"classification": {"rows": 8, "accuracy": 0.6, "confusion": [[3, 0, 0], [0, 2, 0], [1, 0, 2]]}, "trading": {"sharpe": 1.2}}
        }})
    }

    #[test]
    fn evaluation_gives_tables_confusions_and_label_counts() {
        let model = json!({"model": {"type": "gbdt"}, "feature_importance": {"rsi": 0.2, "atr": 0.5, "ret_1": -0.1}});
        let (s, figures) = section(Some(&evaluation()), None, None, Some(&model)).unwrap().unwrap();
        assert_eq!(figures["labels"]["val"]["neutral"], 4.0);
        assert_eq!(figures["evaluation"]["test"]["sharpe"], 1.2);
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert_eq!(html.matches("Confusion matrix").count(), 2);
        assert!(html.contains("<td class=\"num bad\">-0.400</td>"));
        let atr = html.find(">atr</text>").unwrap();
        assert!(atr < html.find(">rsi</text>").unwrap(), "sorted by magnitude");
    }

    #[test]
    fn predictions_give_the_label_distribution() {
        let p = PredictionRows {
            split: vec!["val".into(), "val".into(), "test".into()],
            label: vec![1.0, -1.0, 1.0],
            signal: vec![1.0, 0.0, -1.0],
            ret: vec![0.0; 3],
            p_short: None,
            p_long: None,
        };
        let (_, doc) = label_distribution(None, Some(&p)).unwrap();
        assert_eq!(doc["test"]["long"], 1.0);
        assert_eq!(doc["val"]["short"], 1.0);
    }
}
