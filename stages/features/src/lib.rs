//! # mlfactory-features
//!
//! Feature stages: 150+ causal indicators, the multi-timeframe ladder, SQL features.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
