//! The sweep section: the variants of a matrix stage side by side (fan-in slot
//! `variants`), whatever each variant produced: backtest metrics, an evaluation, model
//! metrics, a trade log or predictions.

use arrow::array::RecordBatch;
use mlfactory_engine::{Artifact, StageError};
use mlfactory_market::columns::{f64_column, str_column};
use serde_json::{Map, Value, json};

use crate::format;
use crate::html::{Block, Cell, Section};
use crate::json;
use crate::plot::HBars;
use crate::tables::{PredictionRows, TradeLog};

/// The headline figures of one variant, in display order.
fn figures(artifact: &Artifact) -> Result<Vec<(String, f64)>, StageError> {
    let named = |pairs: &[(&str, f64)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect::<Vec<_>>();
    Ok(match artifact {
        Artifact::Json(v) if json::at(v, &["summary"]).is_some() => {
            let s = &v["summary"];
            named(&[
                ("trades", json::num(s, &["trades"])),
                ("net PnL", json::num(s, &["net_pnl"])),
                ("Sharpe", json::num(s, &["sharpe"])),
                ("Sortino", json::num(s, &["sortino"])),
                ("max DD %", json::num(s, &["max_drawdown_pct"])),
                ("win rate", json::num(s, &["win_rate"])),
                ("profit factor", json::num(s, &["profit_factor"])),
                ("avg R", json::num(s, &["avg_r"])),
            ])
        }
        Artifact::Json(v) if json::at(v, &["splits"]).is_some() => {
            // An evaluation, or a model's metrics: the test split (else the last one).
            let splits = v["splits"].as_object().map(|o| o.iter().collect::<Vec<_>>()).unwrap_or_default();
            let Some((_, m)) = splits.iter().find(|(k, _)| k.as_str() == "test").or(splits.last()) else { return Ok(Vec::new()) };
            let pick = |a: &[&str], b: &[&str]| {
                let x = json::num(m, a);
                if x.is_finite() { x } else { json::num(m, b) }
            };
            named(&[
                ("accuracy", pick(&["classification", "accuracy"], &["accuracy"])),
                ("log loss", pick(&["classification", "log_loss"], &["log_loss"])),
                ("macro F1", pick(&["classification", "macro_f1"], &["macro_f1"])),
                ("signal Sharpe", pick(&["trading", "sharpe"], &["sharpe"])),
            ])
        }
        Artifact::Json(v) => json::scalars(v, 0).into_iter().filter_map(|(k, x)| x.as_f64().map(|f| (k, f))).take(8).collect(),
        Artifact::Table(t) if t.column_by_name(mlfactory_backtest::columns::trades::NET_PNL).is_some() => {
            let log = TradeLog::read(t)?;
            let s = mlfactory_backtest::metrics::trade_stats((0..log.len()).map(|i| log.outcome(i)), 0);
            named(&[("trades", s.trades as f64), ("net PnL", s.net_pnl), ("win rate", s.win_rate), ("profit factor", s.profit_factor), ("avg R", s.avg_r)])
        }
        Artifact::Table(t) => {
            let p = PredictionRows::read(t, "variants")?;
            let rows: Vec<usize> = (0..p.split.len()).filter(|&i| p.split[i] == "test").collect();
            let rows = if rows.is_empty() { (0..p.split.len()).collect() } else { rows };
            let n = rows.len().max(1) as f64;
            let correct = rows.iter().filter(|&&i| p.signal[i] == p.label[i]).count() as f64;
            let trades: Vec<f64> = rows.iter().filter(|&&i| p.signal[i] != 0.0 && p.signal[i].is_finite()).map(|&i| p.signal[i] * p.ret[i]).collect();
            let hits = trades.iter().filter(|r| **r > 0.0).count() as f64;
            named(&[
                ("rows", n),
                ("signal = label", correct / n),
                ("signals", trades.len() as f64),
                ("hit rate", hits / trades.len().max(1) as f64),
                ("sum signal x ret", trades.iter().sum()),
            ])
        }
        Artifact::Blob { .. } => Vec::new(),
    })
}

fn cell(name: &str, v: f64) -> Cell {
    match name {
        "trades" | "rows" | "signals" => Cell::num(format::num(v, 0)),
        "net PnL" => Cell::signed(format::money(v), v),
        "max DD %" | "win rate" | "hit rate" | "signal = label" => Cell::num(format::pct(v, 1)),
        "Sharpe" | "Sortino" | "signal Sharpe" | "avg R" => Cell::signed(format::num(v, 3), v),
        _ => Cell::num(format::num(v, 4)),
    }
}

/// Any table, every column: integers as integers, other numbers right-aligned with up to
/// 4 decimals, the rest as text.
fn whole_table(caption: &str, t: &RecordBatch) -> Result<Block, StageError> {
    let mut headers = Vec::new();
    let mut columns: Vec<Vec<Cell>> = Vec::new();
    for f in t.schema().fields() {
        let name = f.name();
        headers.push(name.clone());
        columns.push(if f.data_type().is_integer() {
            f64_column(t, name)?.into_iter().map(|x| Cell::num(if x.is_nan() { String::new() } else { format!("{x:.0}") })).collect()
        } else if f.data_type().is_numeric() {
            f64_column(t, name)?.into_iter().map(|x| Cell::num(json::display(&json!(x)))).collect()
        } else {
            str_column(t, name)?.into_iter().map(|x| Cell::text(x.unwrap_or_default())).collect()
        });
    }
    let rows = (0..t.num_rows()).map(|i| columns.iter().map(|c| c[i].clone()).collect()).collect();
    Ok(Block::table(caption, headers, rows))
}

/// The section, and its figures for metrics.json.
pub fn section(variants: &[(&str, &Artifact)], comparison: Option<&RecordBatch>) -> Result<Option<(Section, Value)>, StageError> {
    if variants.is_empty() && comparison.is_none() {
        return Ok(None);
    }
    let mut s = Section::new("sweep", "Sweep: variants compared");
    if let Some(t) = comparison {
        s.push(
            whole_table("Models compared on identical rows (`models.compare`)", t)
                .map_err(|e| StageError::data_hint(format!("input `comparison`: {e}"), "bind the table of `models.compare`"))?,
        );
    }
    if variants.is_empty() {
        return Ok(Some((s, Value::Null)));
    }
    let mut names: Vec<String> = Vec::new();
    let mut per: Vec<(&str, Vec<(String, f64)>)> = Vec::new();
    for (label, a) in variants {
        let f = figures(a).map_err(|e| StageError::data_hint(format!("input `variants` (`{label}`): {e}"), "bind the same output of every variant"))?;
        for (k, _) in &f {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
        per.push((label, f));
    }
    let headers: Vec<&str> = std::iter::once("variant").chain(names.iter().map(String::as_str)).collect();
    let rows = per
        .iter()
        .map(|(label, f)| {
            std::iter::once(Cell::text(*label))
                .chain(names.iter().map(|n| f.iter().find(|(k, _)| k == n).map_or(Cell::num(format::MISSING), |(k, v)| cell(k, *v))))
                .collect()
        })
        .collect();
    s.push(Block::table(format!("{} variants", variants.len()), headers, rows));
    let key = ["Sharpe", "signal Sharpe", "net PnL", "accuracy", "hit rate"].into_iter().find(|k| names.iter().any(|n| n == k));
    if let Some(key) = key {
        let values: Vec<f64> = per.iter().map(|(_, f)| f.iter().find(|(k, _)| *k == key).map_or(f64::NAN, |x| x.1)).collect();
        s.push(Block::chart(format!("{key} per variant"), HBars::new(per.iter().map(|(l, _)| (*l).to_owned()).collect(), values, key).render()));
    }
    s.push(Block::Note(
        "Choosing the best row of this table is itself a selection: judge it with the probability of backtest overfitting and the deflated Sharpe ratio over the same variants (`validate.pbo`, `validate.deflated_sharpe`)."
            .into(),
    ));
    let doc: Vec<Value> =
        per.iter().map(|(label, f)| json!({"variant": label, "figures": f.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>()})).collect();
    Ok(Some((s, Value::Array(doc))))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use mlfactory_market::columns::TableBuilder;

    use super::*;

    #[test]
    fn mixed_variants_line_up_by_figure() {
        let bt = Artifact::Json(json!({"summary": {"trades": 10, "net_pnl": 120.5, "sharpe": 1.1}}));
        let ev = Artifact::Json(
            json!({"splits": {"val": {"classification": {"accuracy": 0.4}}, "test": {"classification": {"accuracy": 0.5}, "trading": {"sharpe": -0.2}}}}),
        );
        let preds = Artifact::Table(Arc::new(
            TableBuilder::new()
                .ts("ts", vec![1, 2])
                .str("split", &["test", "test"])
                .i8("label", vec![1, -1])
                .i8("signal", vec![1, 1])
                .f64("ret", vec![0.01, -0.02])
                .build()
                .unwrap(),
        ));
        let comparison = TableBuilder::new().str("model", &["gbdt", "logistic"]).f64("log_loss", vec![1.01, 1.05]).i64("rank", vec![1, 2]).build().unwrap();
        let (s, doc) = section(&[("bt@a", &bt), ("ev@b", &ev), ("p@c", &preds)], Some(&comparison)).unwrap().unwrap();
        assert_eq!(doc[1]["figures"]["accuracy"], 0.5);
        assert_eq!(doc[2]["figures"]["hit rate"], 0.5);
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert!(html.contains("Sharpe per variant"));
        let row = html.find("<td>logistic</td>").map(|i| &html[i..html[i..].find("</tr>").map_or(html.len(), |j| i + j)]);
        assert_eq!(row, Some("<td>logistic</td><td class=\"num\">1.0500</td><td class=\"num\">2</td>"), "the comparison table");
        assert!(html.contains("<td class=\"num good\">+120.50</td>"));
    }
}
