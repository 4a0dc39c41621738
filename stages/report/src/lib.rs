//! # mlfactory-report
//!
//! The report stage: a self-contained HTML report and metrics.json.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
