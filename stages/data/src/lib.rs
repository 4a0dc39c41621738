//! # mlfactory-data
//!
//! Market data stages: the tick-level simulator, ingest with validation, bars from ticks, cleaning and resampling.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
