//! The stage's outputs from a simulation: the trade log, the equity curve and the
//! metrics document (whole run, by side, by regime, by session).

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use mlfactory_engine::StageError;
use mlfactory_market::columns::TableBuilder;
use mlfactory_market::{Instrument, Session};
use serde_json::{Value, json};

use crate::columns::{equity as eq, trades as tr};
use crate::metrics::{Stats, group_stats, run_stats};
use crate::params::BacktestParams;
use crate::signals::Signals;
use crate::sim::{ExitReason, Run, Trade};
use crate::tape::{RegimeSource, Tape};

/// Per-trade labels used for grouping.
struct Tags {
    session: Vec<Session>,
    regime: Vec<u32>,
}

impl Tags {
    fn new(run: &Run, tape: &Tape) -> Self {
        Self { session: run.trades.iter().map(|t| tape.session(t.entry_bar)).collect(), regime: run.trades.iter().map(|t| tape.regime[t.signal_bar]).collect() }
    }
}

/// The trade log.
pub fn trades_table(run: &Run, tape: &Tape) -> Result<RecordBatch, StageError> {
    let tags = Tags::new(run, tape);
    let t = &run.trades;
    let f = |g: fn(&Trade) -> f64| t.iter().map(g).collect::<Vec<f64>>();
    TableBuilder::new()
        .ts(tr::TS, t.iter().map(|x| tape.ts[x.entry_bar]).collect())
        .ts(tr::SIGNAL_TS, t.iter().map(|x| tape.ts[x.signal_bar]).collect())
        .ts(tr::EXIT_TS, t.iter().map(|x| tape.ts[x.exit_bar]).collect())
        .i8(tr::SIDE, t.iter().map(|x| x.side).collect())
        .i64(tr::QTY, t.iter().map(|x| x.qty).collect())
        .f64(tr::ENTRY_PRICE, f(|x| x.entry_price))
        .f64(tr::EXIT_PRICE, f(|x| x.exit_price))
        .f64(tr::STOP_PRICE, f(|x| x.stop_price))
        .f64(tr::TARGET_PRICE, f(|x| x.target_price))
        .str(tr::EXIT_REASON, &t.iter().map(|x| x.reason.as_str()).collect::<Vec<_>>())
        .i32(tr::BARS_HELD, t.iter().map(|x| x.bars_held() as i32).collect())
        .bool(tr::FIRST_TARGET_HIT, t.iter().map(|x| x.first_target_hit).collect())
        .i64(tr::SCALED_OUT, t.iter().map(|x| x.scaled_out).collect())
        .f64(tr::GROSS_PNL, f(|x| x.gross_pnl))
        .f64(tr::COMMISSION, f(|x| x.commission))
        .f64(tr::SLIPPAGE, f(|x| x.slippage))
        .f64(tr::NET_PNL, f(|x| x.net_pnl))
        .f64(tr::RISK, f(|x| x.risk))
        .f64(tr::R_MULTIPLE, f(Trade::r_multiple))
        .f64(tr::MAE, f(|x| x.mae))
        .f64(tr::MFE, f(|x| x.mfe))
        .f64(tr::EQUITY_AFTER, f(|x| x.equity_after))
        .str(tr::SESSION, &tags.session.iter().map(|s| s.name()).collect::<Vec<_>>())
        .str(tr::REGIME, &tags.regime.iter().map(|&r| tape.regime_names[r as usize].as_str()).collect::<Vec<_>>())
        .build()
}

/// The equity curve over the simulated bars.
pub fn equity_table(run: &Run, tape: &Tape) -> Result<RecordBatch, StageError> {
    let start = run.range.map_or(0, |r| r.0);
    let mut peak = f64::NEG_INFINITY;
    let (mut dd, mut dd_pct) = (Vec::with_capacity(run.equity.len()), Vec::with_capacity(run.equity.len()));
    for &e in &run.equity {
        peak = peak.max(e);
        dd.push(e - peak);
        dd_pct.push(e / peak - 1.0);
    }
    TableBuilder::new()
        .ts(eq::TS, tape.ts[start..start + run.equity.len()].to_vec())
        .f64(eq::EQUITY, run.equity.clone())
        .f64(eq::DRAWDOWN, dd)
        .f64(eq::DRAWDOWN_PCT, dd_pct)
        .i64(eq::POSITION, run.position.clone())
        .build()
}

/// The metrics document and the headline figures recorded as stage metrics.
pub fn metrics(run: &Run, tape: &Tape, signals: &Signals, instrument: &Instrument, p: &BacktestParams) -> (Value, Stats) {
    let (start, end) = run.range.unwrap_or((0, 0));
    let days: Vec<i64> = {
        let mut d = tape.day[start..=end.min(tape.len().saturating_sub(1))].to_vec();
        d.dedup();
        d
    };
    let bars = run.equity.len();
    let day_slice = &tape.day[start..start + bars];
    let summary = run_stats(&run.trades, &run.equity, day_slice, p.initial_capital, p.days_per_year);
    let tags = Tags::new(run, tape);
    let group = |mask: Vec<bool>| group_stats(&run.trades, &mask, |t| tape.day[t.exit_bar], &days, bars, p.initial_capital, p.days_per_year);
    let mut by_regime = BTreeMap::new();
    for (r, name) in tape.regime_names.iter().enumerate() {
        let mask: Vec<bool> = tags.regime.iter().map(|&x| x as usize == r).collect();
        if mask.contains(&true) {
            by_regime.insert(name.clone(), group(mask));
        }
    }
    let mut by_session = BTreeMap::new();
    for s in Session::ALL {
        let mask: Vec<bool> = tags.session.iter().map(|&x| x == s).collect();
        if mask.contains(&true) {
            by_session.insert(s.name(), group(mask));
        }
    }
    let by_side =
        BTreeMap::from([("long", group(run.trades.iter().map(|t| t.side > 0).collect())), ("short", group(run.trades.iter().map(|t| t.side < 0).collect()))]);
    let exit_reasons: BTreeMap<&str, usize> =
        ExitReason::ALL.iter().map(|r| (r.as_str(), run.trades.iter().filter(|t| t.reason == *r).count())).filter(|(_, n)| *n > 0).collect();
    let doc = json!({
        "instrument": {"symbol": instrument.symbol, "tick_size": instrument.tick_size, "tick_value": instrument.tick_value, "currency": instrument.currency},
        "split": p.split,
        "range": {"start": tape.ts.get(start), "end": tape.ts.get(end), "bars": bars, "days": days.len()},
        "initial_capital": p.initial_capital,
        "final_equity": run.equity.last().copied().unwrap_or(p.initial_capital),
        "summary": summary,
        "by_side": by_side,
        "regime_source": match &tape.regime_source { RegimeSource::Column(c) => c.as_str(), RegimeSource::Volatility => "volatility" },
        "by_regime": by_regime,
        "by_session": by_session,
        "exit_reasons": exit_reasons,
        "signals": {"rows": signals.rows, "flat": signals.flat, "gated": signals.gated, "flow": run.counters},
    });
    (doc, summary)
}
