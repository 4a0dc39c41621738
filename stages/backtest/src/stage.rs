//! The `backtest` stage kind.

use mlfactory_artifacts::Format;
use mlfactory_engine::{InputSlot, OutputSlot, ParamIssue, Stage, StageContext, StageError, StageInputs, StageOutput};
use mlfactory_market::Instrument;
use mlfactory_market::bars::{instrument_of, symbol_of};

use crate::output::{equity_table, metrics, trades_table};
use crate::params::BacktestParams;
use crate::signals::read_signals;
use crate::sim::{Costs, simulate};
use crate::tape::Tape;

/// Event-driven, bar-by-bar backtest of predictions (or calibrated signals) on bars.
pub struct Backtest;

impl Stage for Backtest {
    type Params = BacktestParams;
    const KIND: &'static str = "backtest";
    const VERSION: &'static str = "1";
    const ABOUT: &'static str =
        "Event-driven bar-by-bar backtest: market, limit or OCO bracket entries; stop, targets, break-even, time out; costs, risk sizing, daily loss stop.";
    const INPUTS: &'static [InputSlot] = &[
        InputSlot::one("predictions", "predictions or calibrated signals: ts, signal (-1/0/+1), optional split, confidence and a gate column"),
        InputSlot::one("bars", "the bars the predictions were made on (ts at the bar's open, OHLC; symbol metadata; optional regime column)"),
    ];
    const OUTPUTS: &'static [OutputSlot] = &[
        OutputSlot::new("trades", Format::Parquet, "the trade log: one row per round trip (entry, exit, reason, PnL, R, session, regime)"),
        OutputSlot::new("equity", Format::Parquet, "the equity curve: mark-to-market equity, drawdown and position at each bar's close"),
        OutputSlot::new(
            "metrics",
            Format::Json,
            "net PnL, Sharpe, Sortino, drawdown, Calmar, win rate, profit factor, average R, exposure; by side, regime, session",
        ),
    ];

    fn check(&self, p: &BacktestParams) -> Result<(), ParamIssue> {
        p.check()?;
        if !p.symbol.is_empty() && Instrument::lookup(&p.symbol).is_none() {
            let known: Vec<&str> = Instrument::known_symbols().collect();
            return Err(ParamIssue::new(&["symbol"], format!("unknown instrument `{}`", p.symbol)).hint(format!("known: {}", known.join(", "))));
        }
        Ok(())
    }

    fn run(&self, ctx: &StageContext<'_>, p: &BacktestParams, inputs: &StageInputs) -> Result<StageOutput, StageError> {
        let bars = inputs.table("bars")?;
        let instrument = if p.symbol.is_empty() {
            instrument_of(bars).ok_or_else(|| {
                StageError::data_hint(
                    format!(
                        "bars: metadata `mlfactory.symbol` is {}, not a known instrument",
                        symbol_of(bars).map_or("absent".to_owned(), |s| format!("`{s}`"))
                    ),
                    "set the backtest's `symbol` param (e.g. `symbol: MES`)",
                )
            })?
        } else {
            Instrument::lookup(&p.symbol).ok_or_else(|| StageError::internal("symbol checked at plan time"))?
        };
        let tape = Tape::from_table(bars, p.atr_period, &p.regime_column, p.vol_regime_window)?;
        let signals = read_signals(inputs.table("predictions")?, &tape, p)?;
        if signals.rows == 0 {
            return Err(StageError::data_hint(
                format!("predictions: no row of split `{}`", serde_json::to_value(p.split).unwrap_or_default().as_str().unwrap_or("?")),
                "set `split: all` (or `val`), or check the splits upstream",
            ));
        }
        let costs = Costs {
            tick_size: instrument.tick_size,
            tick_value: instrument.tick_value,
            commission: p.commission_per_contract,
            slippage_ticks: p.slippage_ticks,
            penetration_ticks: f64::from(p.limit_penetration_ticks),
        };
        let run = simulate(&tape, &signals.signals, signals.span, p, costs);
        ctx.log(format!(
            "{} signals -> {} orders -> {} trades over {} bars ({})",
            run.counters.signals,
            run.counters.orders,
            run.trades.len(),
            run.equity.len(),
            instrument.symbol
        ));
        let (doc, s) = metrics(&run, &tape, &signals, &instrument, p);
        Ok(StageOutput::new()
            .table("trades", trades_table(&run, &tape)?)
            .table("equity", equity_table(&run, &tape)?)
            .json("metrics", doc)
            .metric("trades", s.trades)
            .metric("net_pnl", s.net_pnl)
            .metric("sharpe", s.sharpe)
            .metric("sortino", s.sortino)
            .metric("max_drawdown_pct", s.max_drawdown_pct)
            .metric("calmar", s.calmar)
            .metric("win_rate", s.win_rate)
            .metric("profit_factor", s.profit_factor)
            .metric("avg_r", s.avg_r)
            .metric("exposure", s.exposure))
    }
}
