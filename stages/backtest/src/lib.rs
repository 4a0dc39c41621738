//! # mlfactory-backtest
//!
//! The event-driven backtest stage.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
