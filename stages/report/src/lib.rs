//! # mlfactory-report
//!
//! The `report` stage: one self-contained HTML page a researcher reads to decide whether
//! a result is real, and metrics.json with the same figures for machines (CI diffs).
//!
//! - [`inputs`]: the optional input slots (a pipeline wires what it has);
//! - [`tables`], [`json`]: reading upstream tables and documents defensively;
//! - [`sections`]: summary, backtest, model, calibration, overfitting, sweep, provenance;
//! - [`plot`]: our own small SVG plotting library (no script, no network);
//! - [`html`], [`format`]: the page and fixed number formatting.
//!
//! The page is deterministic: no timestamps, fixed float formatting, ordered maps, so
//! the same inputs give the same bytes (and the same content hash).

pub mod format;
pub mod html;
pub mod inputs;
pub mod json;
pub mod plot;
pub mod sections;
pub mod stage;
pub mod tables;

use mlfactory_engine::Registry;

pub use stage::{Report, ReportParams};

/// Registers this crate's stage kinds.
pub fn register(registry: &mut Registry) {
    registry.register(Report);
}
