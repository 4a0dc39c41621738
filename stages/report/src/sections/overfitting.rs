//! The overfitting section: how much of the result survives model selection. CPCV's
//! distribution of path Sharpe ratios, PBO's logit histogram and in- vs out-of-sample
//! scatter, the deflated Sharpe ratio, and cross-validation folds.

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::f64_column;
use mlfactory_market::contracts::pbo_logits as pl;
use serde_json::{Value, json};

use crate::format;
use crate::html::{Block, Card, Cell, Section, Tone};
use crate::json;
use crate::plot::{Bins, Histogram, LineChart, Series, XAxis};

fn cpcv(doc: &Value, s: &mut Section) -> Value {
    let d = json::at(doc, &["sharpe"]).unwrap_or(&Value::Null);
    let values = json::numbers(d, &["values"]);
    let mean = json::num(d, &["mean"]);
    s.push(Block::Cards(vec![
        Card::new(
            "CPCV paths",
            json::display(json::at(doc, &["n_paths"]).unwrap_or(&Value::Null)),
            format!(
                "N = {}, k = {}",
                json::display(json::at(doc, &["groups"]).unwrap_or(&Value::Null)),
                json::display(json::at(doc, &["test_groups"]).unwrap_or(&Value::Null))
            ),
            Tone::Plain,
        ),
        Card::new("Mean path Sharpe", format::num(mean, 2), format!("std {}", format::num(json::num(d, &["std"]), 2)), Tone::of(mean)),
        Card::new(
            "Median path Sharpe",
            format::num(json::num(d, &["median"]), 2),
            format!("IQR {} to {}", format::num(json::num(d, &["p25"]), 2), format::num(json::num(d, &["p75"]), 2)),
            Tone::Plain,
        ),
        Card::new("Paths with Sharpe > 0", format::pct(json::num(d, &["positive_share"]), 0), "of all paths", Tone::Plain),
    ]));
    if !values.is_empty() {
        let mut h = Histogram::new(Bins::of(&values, (values.len() / 2).clamp(5, 30)), "path Sharpe (daily, annualised)");
        h.marker = Some(0.0);
        s.push(Block::chart("Combinatorial purged cross-validation: the Sharpe ratio of every backtest path", h.render()));
    }
    let mut summary = d.clone();
    if let Some(o) = summary.as_object_mut() {
        o.remove("values");
    }
    json!({"n_paths": json::at(doc, &["n_paths"]), "sharpe": summary})
}

fn pbo(doc: &Value, logits: Option<&RecordBatch>, s: &mut Section) -> Result<Value, StageError> {
    let p = json::num(doc, &["pbo"]);
    let slope = json::num(doc, &["degradation", "slope"]);
    s.push(Block::Cards(vec![
        Card::new("PBO", format::pct(p, 1), "P(in-sample best <= median out of sample)", if p > 0.5 { Tone::Bad } else { Tone::Plain }),
        Card::new("P(OOS loss)", format::pct(json::num(doc, &["prob_oos_loss"]), 1), "in-sample best loses out of sample", Tone::Plain),
        Card::new("Degradation slope", format::num(slope, 3), "OOS on IS performance", Tone::of(slope)),
        Card::new(
            "Combinations",
            json::display(json::at(doc, &["combinations"]).unwrap_or(&Value::Null)),
            format!("S = {} blocks", json::display(json::at(doc, &["partitions"]).unwrap_or(&Value::Null))),
            Tone::Plain,
        ),
    ]));
    let edges = json::numbers(doc, &["histogram", "edges"]);
    let counts = json::numbers(doc, &["histogram", "counts"]);
    let mut charts = Vec::new();
    if edges.len() == counts.len() + 1 && !counts.is_empty() {
        let mut h = Histogram::new(Bins { edges, counts }, "logit of the in-sample best's out-of-sample rank");
        h.marker = Some(0.0);
        if logits.is_some() {
            h.width = 560.0;
        }
        charts.push(Block::chart("PBO: logits left of 0 are combinations where the in-sample winner fell below the median", h.render()));
    }
    if let Some(t) = logits {
        let r_is = f64_column(t, pl::R_IS)?;
        let r_oos = f64_column(t, pl::R_OOS)?;
        let mut chart = LineChart::new(
            XAxis::Linear("in-sample Sharpe (per period)".into()),
            "out-of-sample Sharpe",
            vec![Series::new("combination", r_is.into_iter().zip(r_oos).collect()).with_markers()],
        );
        chart.lines = false;
        chart.width = 560.0;
        charts.push(Block::chart("In- vs out-of-sample performance of the selected variant, per combination", chart.render()));
    }
    if !charts.is_empty() {
        s.push(Block::Row(charts));
    }
    Ok(
        json!({"pbo": p, "prob_oos_loss": json::at(doc, &["prob_oos_loss"]), "degradation": json::at(doc, &["degradation"]), "logit": json::at(doc, &["logit"])}),
    )
}

fn dsr(doc: &Value, s: &mut Section) -> Value {
    let best = json::at(doc, &["best"]).unwrap_or(&Value::Null);
    let d = json::num(best, &["dsr"]);
    let conf = json::num(best, &["confidence"]);
    s.push(Block::Cards(vec![
        Card::new(
            "Deflated Sharpe",
            format::num(d, 3),
            format!(
                "{} trials; significant above {}",
                json::display(json::at(best, &["trials"]).unwrap_or(&Value::Null)),
                format::num(if conf.is_finite() { conf } else { 0.95 }, 2)
            ),
            if d >= 0.95 { Tone::Good } else { Tone::Bad },
        ),
        Card::new("PSR", format::num(json::num(best, &["psr"]), 3), "P(true Sharpe > 0)", Tone::Plain),
        Card::new("Best Sharpe / period", format::num(json::num(best, &["sr"]), 4), json::text(best, &["strategy"]).unwrap_or("").to_owned(), Tone::Plain),
        Card::new("Expected max Sharpe", format::num(json::num(best, &["sr0"]), 4), "of the trials under the null (SR0)", Tone::Plain),
    ]));
    if let Some(list) = json::at(doc, &["strategies"]).and_then(Value::as_array) {
        let mut rows: Vec<&Value> = list.iter().collect();
        rows.sort_by(|a, b| json::num(b, &["sr"]).total_cmp(&json::num(a, &["sr"])));
        let rows = rows
            .into_iter()
            .take(20)
            .map(|x| {
                vec![
                    Cell::text(json::text(x, &["strategy"]).unwrap_or("")),
                    Cell::signed(format::num(json::num(x, &["sr"]), 4), json::num(x, &["sr"])),
                    Cell::num(format::num(json::num(x, &["psr"]), 3)),
                    Cell::num(format::num(json::num(x, &["periods"]), 0)),
                    Cell::num(format::num(json::num(x, &["skew"]), 2)),
                    Cell::num(format::num(json::num(x, &["kurtosis"]), 2)),
                ]
            })
            .collect();
        s.push(Block::table("Trials, best Sharpe first (per period, not annualised)", ["strategy", "Sharpe", "PSR", "periods", "skew", "kurtosis"], rows));
    }
    best.clone()
}

/// A table of the folds of a cross-validation document (`folds: [...]`).
fn folds(name: &str, doc: &Value) -> Option<Block> {
    let list = json::at(doc, &["folds"])?.as_array()?;
    let mut headers: Vec<String> = Vec::new();
    let flat: Vec<Vec<(String, Value)>> = list.iter().map(|f| json::scalars(f, 2)).collect();
    for row in &flat {
        for (k, _) in row {
            if !headers.contains(k) && headers.len() < 12 {
                headers.push(k.clone());
            }
        }
    }
    let rows = flat
        .iter()
        .enumerate()
        .map(|(i, row)| {
            std::iter::once(Cell::num(i.to_string()))
                .chain(headers.iter().map(|h| Cell::num(row.iter().find(|(k, _)| k == h).map_or(String::new(), |(_, v)| json::display(v)))))
                .collect()
        })
        .collect();
    let headers: Vec<String> = std::iter::once("fold".to_owned()).chain(headers.into_iter().map(|h| h.replace('_', " "))).collect();
    Some(Block::table(format!("Cross-validation folds of `{name}`"), headers, rows))
}

/// The section, and its figures for metrics.json.
pub fn section(
    cpcv_doc: Option<&Value>,
    pbo_doc: Option<&Value>,
    logits: Option<&RecordBatch>,
    dsr_doc: Option<&Value>,
    cv: &[(&str, &Value)],
) -> Result<Option<(Section, Value)>, StageError> {
    let mut s = Section::new("overfitting", "Overfitting checks");
    let mut figures = json!({});
    if let Some(d) = cpcv_doc {
        figures["cpcv"] = cpcv(d, &mut s);
    }
    if let Some(d) = pbo_doc {
        figures["pbo"] =
            pbo(d, logits, &mut s).map_err(|e| StageError::data_hint(format!("input `pbo_logits`: {e}"), "bind the `logits` table of `validate.pbo`"))?;
    }
    if let Some(d) = dsr_doc {
        figures["dsr"] = dsr(d, &mut s);
    }
    for (name, doc) in cv {
        if let Some(b) = folds(name, doc) {
            s.push(b);
        }
    }
    Ok((!s.blocks.is_empty()).then_some((s, figures)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpcv_pbo_and_dsr_documents_render() {
        let cpcv = json!({"n_paths": 9, "groups": 10, "test_groups": 2, "sharpe": {"count": 9, "mean": 0.4, "std": 0.3, "median": 0.5, "p25": 0.1, "p75": 0.7, "positive_share": 0.78, "values": [0.1, -0.2, 0.5, 0.7, 0.9, 0.3, 0.4, 0.6, 0.3]}});
        let pbo = json!({"pbo": 0.62, "prob_oos_loss": 0.4, "degradation": {"slope": -0.3, "intercept": 0.0}, "combinations": 70, "partitions": 8, "histogram": {"edges": [-2.0, -1.0, 0.0, 1.0], "counts": [10, 33, 27]}});
        let dsr = json!({"best": {"strategy": "a", "sr": 0.1, "psr": 0.9, "dsr": 0.4, "sr0": 0.08, "trials": 12, "confidence": 0.95}, "strategies": [{"strategy": "a", "sr": 0.1}, {"strategy": "b", "sr": 0.2}]});
        let folds = json!({"folds": [{"test_rows": 34, "metrics": {"accuracy": 0.5}}, {"test_rows": 34, "metrics": {"accuracy": 0.6}}]});
        let (s, figures) = section(Some(&cpcv), Some(&pbo), None, Some(&dsr), &[("kfold", &folds)]).unwrap().unwrap();
        assert!(figures["cpcv"]["sharpe"].get("values").is_none());
        assert_eq!(figures["pbo"]["pbo"], 0.62);
        assert_eq!(figures["dsr"]["dsr"], 0.4);
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert!(html.contains(">62.0%<") && html.contains("value bad"));
        assert!(html.contains("metrics.accuracy") || html.contains("metrics.accuracy".replace('_', " ").as_str()));
        let b = html.find("<td>b</td>").unwrap();
        assert!(b < html.find("<td>a</td>").unwrap(), "best Sharpe first");
    }
}
