//! # mlfactory-backtest
//!
//! The `backtest` stage: an event-driven, bar-by-bar simulation of a model's signals on
//! the bars they were made on, with realistic fills and costs.
//!
//! - [`signals`]: prediction rows -> signals, each known at its bar's close;
//! - [`tape`]: the bars with ATR, trading days, day ends, sessions and regimes;
//! - [`sim`]: the simulator (entries, exits, fills, costs, sizing, daily loss stop);
//! - [`metrics`]: Sharpe, Sortino, drawdown, Calmar, win rate, profit factor, R, exposure;
//! - [`output`] and [`columns`]: the trade log, the equity curve and the metrics document.
//!
//! The one rule that makes a backtest honest: an order placed at bar `t` (from a signal
//! known at `t`'s close) fills only on bars after `t`, from their open, high and low, so
//! rewriting bars after `t` never changes anything that happened at or before `t`
//! (tested in `sim::tests`).

pub mod atr;
pub mod columns;
pub mod metrics;
pub mod output;
pub mod params;
pub mod signals;
pub mod sim;
pub mod stage;
pub mod tape;

use mlfactory_engine::Registry;

pub use params::BacktestParams;
pub use stage::Backtest;

/// Registers this crate's stage kinds.
pub fn register(registry: &mut Registry) {
    registry.register(Backtest);
}
