//! The backtest section: equity and drawdown, the statistics table (all, long, short),
//! per-regime and per-session tables, exits, monthly PnL, the R distribution and the
//! worst trades.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::format::{self, MISSING};
use crate::html::{Block, Cell, Section};
use crate::json;
use crate::plot::{Bins, Histogram, LineChart, Series, XAxis};
use crate::tables::{EquityCurve, TradeLog};

/// How a statistic of `mlfactory_backtest::metrics::Stats` reads.
#[derive(Clone, Copy)]
enum Kind {
    Count,
    /// PnL: signed and coloured.
    Money,
    /// Costs and drawdowns: amounts without a sign.
    Amount,
    Pct,
    Ratio,
    Bars,
}

/// The statistics shown, in order: (key, label, kind).
const STATS: &[(&str, &str, Kind)] = &[
    ("trades", "Trades", Kind::Count),
    ("net_pnl", "Net PnL", Kind::Money),
    ("gross_pnl", "Gross PnL", Kind::Money),
    ("commission", "Commission", Kind::Amount),
    ("slippage", "Slippage cost", Kind::Amount),
    ("win_rate", "Win rate", Kind::Pct),
    ("profit_factor", "Profit factor", Kind::Ratio),
    ("avg_trade", "Average trade", Kind::Money),
    ("avg_win", "Average win", Kind::Money),
    ("avg_loss", "Average loss", Kind::Money),
    ("avg_r", "Average R", Kind::Ratio),
    ("avg_bars_held", "Average bars held", Kind::Bars),
    ("sharpe", "Sharpe (daily, annualised)", Kind::Ratio),
    ("sortino", "Sortino", Kind::Ratio),
    ("annual_return", "Annual return", Kind::Pct),
    ("max_drawdown", "Max drawdown", Kind::Amount),
    ("max_drawdown_pct", "Max drawdown %", Kind::Pct),
    ("calmar", "Calmar", Kind::Ratio),
    ("exposure", "Exposure", Kind::Pct),
];

fn cell(stats: &Value, key: &str, kind: Kind) -> Cell {
    let v = json::num(stats, &[key]);
    match kind {
        Kind::Count => Cell::num(if v.is_finite() { format::int(v as u64) } else { MISSING.to_owned() }),
        Kind::Money => Cell::signed(format::money(v), v),
        Kind::Amount => Cell::num(format::num(v, 2)),
        Kind::Pct => Cell::num(format::pct(v, 1)),
        Kind::Ratio => Cell::signed(format::num(v, 2), if key == "profit_factor" { v - 1.0 } else { v }),
        Kind::Bars => Cell::num(format::num(v, 1)),
    }
}

/// Statistics of `docs` side by side: one column per (name, stats object).
fn stats_table(caption: &str, docs: &[(&str, &Value)]) -> Block {
    let headers: Vec<String> = std::iter::once("statistic".to_owned()).chain(docs.iter().map(|(n, _)| (*n).to_owned())).collect();
    let rows =
        STATS.iter().map(|&(key, label, kind)| std::iter::once(Cell::text(label)).chain(docs.iter().map(|(_, d)| cell(d, key, kind))).collect()).collect();
    Block::Table { caption: caption.to_owned(), headers, rows }
}

/// The signal flow of the backtest's metrics, in the order things happen: (path, label).
const SIGNAL_FLOW: &[(&str, &str)] = &[
    ("signals.rows", "prediction rows in the split"),
    ("signals.flat", "flat signals"),
    ("signals.gated", "removed by gate or confidence"),
    ("signals.flow.signals", "signals"),
    ("signals.flow.skipped_in_position", "skipped: in a position"),
    ("signals.flow.skipped_pending_order", "skipped: an order resting"),
    ("signals.flow.skipped_daily_stop", "skipped: daily loss stop"),
    ("signals.flow.skipped_day_end", "skipped: at the day's end"),
    ("signals.flow.skipped_warmup", "skipped: ATR warm-up"),
    ("signals.flow.skipped_size", "skipped: cannot afford a contract"),
    ("signals.flow.orders", "orders placed"),
    ("signals.flow.fills", "orders filled"),
    ("signals.flow.expired", "orders expired"),
    ("signals.flow.cancelled", "orders cancelled"),
    ("signals.flow.daily_stops", "days stopped by the loss limit"),
];

/// One row per group (regime, session, side).
fn group_table(caption: &str, first: &str, groups: &serde_json::Map<String, Value>) -> Block {
    let cols: [(&str, &str, Kind); 10] = [
        ("trades", "trades", Kind::Count),
        ("net_pnl", "net PnL", Kind::Money),
        ("win_rate", "win rate", Kind::Pct),
        ("profit_factor", "profit factor", Kind::Ratio),
        ("avg_r", "avg R", Kind::Ratio),
        ("sharpe", "Sharpe", Kind::Ratio),
        ("sortino", "Sortino", Kind::Ratio),
        ("max_drawdown_pct", "max DD %", Kind::Pct),
        ("calmar", "Calmar", Kind::Ratio),
        ("exposure", "exposure", Kind::Pct),
    ];
    let headers: Vec<&str> = std::iter::once(first).chain(cols.iter().map(|c| c.1)).collect();
    let rows =
        groups.iter().map(|(name, s)| std::iter::once(Cell::text(name.clone())).chain(cols.iter().map(|&(k, _, kind)| cell(s, k, kind))).collect()).collect();
    Block::table(caption, headers, rows)
}

/// Statistics of the trades alone (when the backtest's metrics are not wired): trade
/// statistics from the backtest's own code; risk statistics need the daily equity.
fn stats_from_trades(log: &TradeLog, keep: impl Fn(usize) -> bool) -> Value {
    let s = mlfactory_backtest::metrics::trade_stats((0..log.len()).filter(|&i| keep(i)).map(|i| log.outcome(i)), 0);
    serde_json::to_value(s).unwrap_or(Value::Null)
}

/// Net PnL by exit month: rows are years, columns months.
fn monthly(log: &TradeLog) -> Option<Block> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    if log.is_empty() {
        return None;
    }
    let mut by: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for i in 0..log.len() {
        let d = format::date(log.exit_ts[i]);
        let month: usize = d[5..7].parse().unwrap_or(1);
        *by.entry((d[..4].to_owned(), month)).or_default() += log.net[i];
    }
    let years: Vec<String> = by.keys().map(|k| k.0.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let rows = years
        .iter()
        .map(|y| {
            let mut row = vec![Cell::text(y.clone())];
            let mut total = 0.0;
            for m in 1..=12 {
                match by.get(&(y.clone(), m)) {
                    Some(&v) => {
                        total += v;
                        row.push(Cell::signed(format::num(v, 0), v));
                    }
                    None => row.push(Cell::num("")),
                }
            }
            row.push(Cell::signed(format::num(total, 0), total));
            row
        })
        .collect();
    let headers: Vec<&str> = std::iter::once("year").chain(MONTHS).chain(["total"]).collect();
    Some(Block::table("Net PnL by month of exit", headers, rows))
}

fn worst_trades(log: &TradeLog, n: usize) -> Block {
    let mut idx: Vec<usize> = (0..log.len()).collect();
    idx.sort_by(|&a, &b| log.net[a].total_cmp(&log.net[b]).then(a.cmp(&b)));
    let rows = idx
        .into_iter()
        .take(n)
        .map(|i| {
            vec![
                Cell::text(format::datetime(log.ts[i])),
                Cell::text(if log.side[i] > 0.0 { "long" } else { "short" }),
                Cell::num(format::num(log.qty[i], 0)),
                Cell::num(format::num(log.entry_price[i], 2)),
                Cell::num(format::num(log.exit_price[i], 2)),
                Cell::text(log.reason[i].clone()),
                Cell::num(format::num(log.bars_held[i], 0)),
                Cell::signed(format::money(log.net[i]), log.net[i]),
                Cell::signed(format::num(log.r[i], 2), log.r[i]),
                Cell::text(log.session[i].clone()),
                Cell::text(log.regime[i].clone()),
            ]
        })
        .collect();
    Block::table(
        format!("The {n} worst trades (entry time UTC)"),
        ["entry", "side", "qty", "entry price", "exit price", "exit", "bars", "net PnL", "R", "session", "regime"],
        rows,
    )
}

/// The section, and its figures for metrics.json.
pub fn section(trades: Option<&TradeLog>, equity: Option<&EquityCurve>, metrics: Option<&Value>) -> Option<(Section, Value)> {
    if trades.is_none() && equity.is_none() && metrics.is_none() {
        return None;
    }
    let mut s = Section::new("backtest", "Backtest");
    if let Some(m) = metrics {
        let facts: Vec<(String, String)> = [
            ("instrument", json::text(m, &["instrument", "symbol"]).unwrap_or(MISSING).to_owned()),
            ("split traded", json::text(m, &["split"]).unwrap_or(MISSING).to_owned()),
            (
                "period (UTC)",
                format!(
                    "{} to {} ({} bars, {} trading days)",
                    json::at(m, &["range", "start"]).and_then(Value::as_i64).map_or(MISSING.to_owned(), format::datetime),
                    json::at(m, &["range", "end"]).and_then(Value::as_i64).map_or(MISSING.to_owned(), format::datetime),
                    json::display(json::at(m, &["range", "bars"]).unwrap_or(&Value::Null)),
                    json::display(json::at(m, &["range", "days"]).unwrap_or(&Value::Null)),
                ),
            ),
            ("capital", format!("{} -> {}", format::num(json::num(m, &["initial_capital"]), 2), format::num(json::num(m, &["final_equity"]), 2))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        s.push(Block::Facts(facts));
    }
    match (equity, trades) {
        (Some(e), _) => {
            let eq: Vec<(f64, f64)> = e.ts.iter().zip(&e.equity).map(|(&t, &v)| (t as f64, v)).collect();
            s.push(Block::chart(
                "Equity, marked to market at every bar's close",
                LineChart::new(XAxis::Time, "equity", vec![Series::new("equity", eq)]).render(),
            ));
            let dd: Vec<(f64, f64)> = e.ts.iter().zip(&e.drawdown_pct).map(|(&t, &v)| (t as f64, v)).collect();
            let mut chart = LineChart::new(XAxis::Time, "drawdown", vec![Series::new("drawdown", dd)]);
            chart.fill_to = Some(0.0);
            chart.y_percent = true;
            chart.height = 200.0;
            chart.first_colour = 3;
            s.push(Block::chart("Drawdown from the running peak", chart.render()));
        }
        (None, Some(log)) if !log.is_empty() => {
            let pts: Vec<(f64, f64)> = log.exit_ts.iter().zip(&log.equity_after).map(|(&t, &v)| (t as f64, v)).collect();
            s.push(Block::chart(
                "Realised equity after each trade (wire `equity: backtest.equity` for the bar-by-bar curve)",
                LineChart::new(XAxis::Time, "equity", vec![Series::new("equity", pts)]).render(),
            ));
        }
        _ => {}
    }
    let mut figures = json!({});
    if let Some(m) = metrics {
        let all = json::at(m, &["summary"]).unwrap_or(&Value::Null);
        let long = json::at(m, &["by_side", "long"]).unwrap_or(&Value::Null);
        let short = json::at(m, &["by_side", "short"]).unwrap_or(&Value::Null);
        s.push(stats_table("Statistics (long and short: each side traded alone, PnL booked at exit)", &[("all", all), ("long", long), ("short", short)]));
        let regime_source = json::text(m, &["regime_source"]).unwrap_or("regime");
        if let Some(g) = json::at(m, &["by_regime"]).and_then(Value::as_object) {
            s.push(group_table(&format!("By regime of the signal bar (from `{regime_source}`)"), "regime", g));
        }
        if let Some(g) = json::at(m, &["by_session"]).and_then(Value::as_object) {
            s.push(group_table("By session of the entry (CME Globex, Chicago time)", "session", g));
        }
        let flow: Vec<Vec<Cell>> = SIGNAL_FLOW
            .iter()
            .filter_map(|(path, label)| {
                let path: Vec<&str> = path.split('.').collect();
                json::at(m, &path).map(|v| vec![Cell::text(*label), Cell::num(json::display(v))])
            })
            .collect();
        let reasons: Vec<Vec<Cell>> = json::at(m, &["exit_reasons"])
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| vec![Cell::text(k.replace('_', " ")), Cell::num(json::display(v))]).collect())
            .unwrap_or_default();
        s.push(Block::Row(vec![Block::table("Exits", ["reason", "trades"], reasons), Block::table("What happened to the signals", ["", "count"], flow)]));
        figures =
            json!({"summary": all, "by_side": json::at(m, &["by_side"]), "by_regime": json::at(m, &["by_regime"]), "by_session": json::at(m, &["by_session"])});
    } else if let Some(log) = trades {
        let all = stats_from_trades(log, |_| true);
        let long = stats_from_trades(log, |i| log.side[i] > 0.0);
        let short = stats_from_trades(log, |i| log.side[i] < 0.0);
        s.push(Block::Note("The backtest's metrics are not wired: trade statistics below come from the trade log; for Sharpe, drawdown and the per-regime tables wire `backtest_metrics: backtest.metrics`.".into()));
        s.push(stats_table("Trade statistics", &[("all", &all), ("long", &long), ("short", &short)]));
        figures = json!({"summary": all});
    }
    if let Some(log) = trades.filter(|l| !l.is_empty()) {
        if let Some(b) = monthly(log) {
            s.push(b);
        }
        let r: Vec<f64> = log.r.iter().copied().filter(|v| v.is_finite()).collect();
        if !r.is_empty() {
            let mut h = Histogram::new(Bins::of(&r, 30), "R multiple (net PnL / initial risk)");
            h.marker = Some(0.0);
            s.push(Block::chart(format!("Distribution of trade outcomes in R ({} trades)", r.len()), h.render()));
        }
        s.push(worst_trades(log, 10));
    }
    Some((s, figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> TradeLog {
        TradeLog {
            ts: vec![1_710_253_800_000_000_000, 1_710_340_200_000_000_000],
            exit_ts: vec![1_710_254_100_000_000_000, 1_710_340_500_000_000_000],
            side: vec![1.0, -1.0],
            qty: vec![2.0, 1.0],
            entry_price: vec![100.0, 101.0],
            exit_price: vec![101.0, 102.0],
            reason: vec!["take_profit".into(), "stop_loss".into()],
            bars_held: vec![2.0, 1.0],
            gross: vec![10.0, -5.0],
            commission: vec![1.0, 0.5],
            slippage: vec![0.0, 1.25],
            net: vec![9.0, -5.5],
            r: vec![0.9, -1.1],
            equity_after: vec![1009.0, 1003.5],
            session: vec!["rth_open".into(), "rth_open".into()],
            regime: vec!["low_vol".into(), "high_vol".into()],
        }
    }

    #[test]
    fn trades_alone_give_trade_statistics_and_monthly_pnl() {
        let (s, figures) = section(Some(&log()), None, None).unwrap();
        assert_eq!(figures["summary"]["trades"], 2);
        assert_eq!(figures["summary"]["net_pnl"], 3.5);
        let html = crate::html::Page { title: String::new(), subtitle: String::new(), sections: vec![s], footer: String::new() }.render();
        assert!(html.contains("<td class=\"num good\">+3.50</td>"), "net PnL cell");
        assert!(html.contains(">2024</td>"), "monthly table");
        assert!(html.contains("wire `backtest_metrics: backtest.metrics`"));
    }

    #[test]
    fn nothing_wired_no_section() {
        assert!(section(None, None, None).is_none());
    }
}
