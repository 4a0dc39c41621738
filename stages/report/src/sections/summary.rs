//! The summary at the top of the page: headline figures from every other section, and
//! plain readings of them (what is significant, what is not, what is missing).

use serde_json::Value;

use crate::format;
use crate::html::{Block, Card, Section, Tone};
use crate::json;

/// Figures the other sections produced (each `Null` when absent).
#[derive(Debug, Default)]
pub struct Figures<'a> {
    pub backtest: Option<&'a Value>,
    pub backtest_doc: Option<&'a Value>,
    pub model: Option<&'a Value>,
    pub overfitting: Option<&'a Value>,
}

/// The split whose figures lead: `test` when present, else the last one.
fn lead_split(evaluation: &Value) -> Option<(&str, &Value)> {
    let o = evaluation.as_object()?;
    o.get_key_value("test").or_else(|| o.iter().next_back()).map(|(k, v)| (k.as_str(), v))
}

pub fn section(f: &Figures<'_>, missing: &[&str]) -> Section {
    let mut s = Section::new("summary", "Summary");
    let mut cards = Vec::new();
    let mut readings: Vec<String> = Vec::new();
    if let Some(b) = f.backtest.and_then(|b| b.get("summary")) {
        let net = json::num(b, &["net_pnl"]);
        let sharpe = json::num(b, &["sharpe"]);
        let trades = json::num(b, &["trades"]);
        cards.push(Card::new("Net PnL", format::money(net), "after costs", Tone::of(net)));
        cards.push(Card::new("Sharpe", format::num(sharpe, 2), "daily, annualised", Tone::of(sharpe)));
        cards.push(Card::new(
            "Max drawdown",
            format::pct(json::num(b, &["max_drawdown_pct"]), 1),
            format::money(-json::num(b, &["max_drawdown"])),
            Tone::Plain,
        ));
        cards.push(Card::new(
            "Win rate",
            format::pct(json::num(b, &["win_rate"]), 1),
            format!("profit factor {}", format::num(json::num(b, &["profit_factor"]), 2)),
            Tone::Plain,
        ));
        cards.push(Card::new("Trades", format::num(trades, 0), format!("avg R {}", format::num(json::num(b, &["avg_r"]), 2)), Tone::Plain));
        let split = f.backtest_doc.and_then(|d| json::text(d, &["split"])).unwrap_or("the selected");
        readings.push(format!(
            "The backtest trades the {split} split: {} trades, net {} after {} commission and {} slippage.",
            format::num(trades, 0),
            format::money(net),
            format::num(json::num(b, &["commission"]), 2),
            format::num(json::num(b, &["slippage"]), 2)
        ));
        if trades < 30.0 {
            readings.push("Fewer than 30 trades: every statistic above is noisy; read them as anecdotes.".into());
        }
    }
    if let Some((split, m)) = f.model.and_then(|m| m.get("evaluation")).and_then(lead_split) {
        let acc = json::num(m, &["accuracy"]);
        let sh = json::num(m, &["sharpe"]);
        cards.push(Card::new(
            format!("Accuracy ({split})"),
            format::pct(acc, 1),
            format!("log loss {}", format::num(json::num(m, &["log_loss"]), 3)),
            Tone::Plain,
        ));
        cards.push(Card::new(format!("Signal Sharpe ({split})"), format::num(sh, 2), "signal x label return, no costs", Tone::of(sh)));
    }
    if let Some(o) = f.overfitting {
        let pbo = json::num(o, &["pbo", "pbo"]);
        if pbo.is_finite() {
            cards.push(Card::new("PBO", format::pct(pbo, 1), "probability of backtest overfitting", if pbo > 0.5 { Tone::Bad } else { Tone::Plain }));
            readings.push(if pbo > 0.5 {
                format!("PBO is {}: the variant that wins in sample is more likely than not to fall below the median out of sample.", format::pct(pbo, 1))
            } else {
                format!("PBO is {}: selection by in-sample performance has held up out of sample more often than not.", format::pct(pbo, 1))
            });
        }
        let dsr = json::num(o, &["dsr", "dsr"]);
        if dsr.is_finite() {
            cards.push(Card::new(
                "Deflated Sharpe",
                format::num(dsr, 3),
                format!("{} trials", json::display(json::at(o, &["dsr", "trials"]).unwrap_or(&Value::Null))),
                if dsr >= 0.95 { Tone::Good } else { Tone::Bad },
            ));
            readings.push(if dsr >= 0.95 {
                format!("The deflated Sharpe ratio is {}: the best Sharpe is significant at 95% after accounting for the trials.", format::num(dsr, 3))
            } else {
                format!(
                    "The deflated Sharpe ratio is {}: after accounting for the number of trials, the best Sharpe is not significant at 95%.",
                    format::num(dsr, 3)
                )
            });
        }
        let mean = json::num(o, &["cpcv", "sharpe", "mean"]);
        if mean.is_finite() {
            readings.push(format!(
                "Across {} CPCV paths the Sharpe ratio averages {} (median {}), positive on {} of paths.",
                json::display(json::at(o, &["cpcv", "n_paths"]).unwrap_or(&Value::Null)),
                format::num(mean, 2),
                format::num(json::num(o, &["cpcv", "sharpe", "median"]), 2),
                format::pct(json::num(o, &["cpcv", "sharpe", "positive_share"]), 0)
            ));
        }
    }
    if cards.is_empty() {
        readings.push("Nothing to summarise: wire at least `evaluation` or `backtest` into the report.".into());
    } else {
        s.push(Block::Cards(cards));
    }
    for r in readings {
        s.push(Block::Note(r));
    }
    if !missing.is_empty() {
        s.push(Block::Note(format!("Not wired into this report: {} (see docs/report.md for what each adds).", missing.join(", "))));
    }
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn headline_cards_and_readings() {
        let bt = json!({"summary": {"net_pnl": 1250.0, "sharpe": 1.3, "trades": 12, "max_drawdown_pct": 0.05, "max_drawdown": 800.0}});
        let doc = json!({"split": "test"});
        let ov = json!({"pbo": {"pbo": 0.7}, "dsr": {"dsr": 0.5, "trials": 8}});
        let s = section(&Figures { backtest: Some(&bt), backtest_doc: Some(&doc), model: None, overfitting: Some(&ov) }, &["cpcv"]);
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert!(html.contains("+1,250.00"));
        assert!(html.contains("Fewer than 30 trades"));
        assert!(html.contains("more likely than not"));
        assert!(html.contains("not significant at 95%"));
        assert!(html.contains("Not wired into this report: cpcv"));
    }
}
