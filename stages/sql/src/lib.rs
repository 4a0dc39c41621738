//! # mlfactory-sql
//!
//! `features.sql`: features written as one DataFusion SQL query over the stage's input
//! tables, so a researcher adds a feature without writing Rust:
//!
//! ```yaml
//! features_sql:
//!   kind: features.sql
//!   inputs: [bars_5m]
//!   params:
//!     query: |
//!       SELECT ts,
//!              ln(close / LAG(close, 12) OVER (ORDER BY ts)) AS ret_1h,
//!              close - AVG(close) OVER (ORDER BY ts ROWS 19 PRECEDING) AS dist_sma_20
//!       FROM bars
//! ```
//!
//! The rules (checked, with errors that point into the query): one `SELECT` (or `WITH …
//! SELECT`); the result keeps `ts` and has exactly one row per row of the `bars` input (in
//! any order: rows are put back in bar order); every other column is numeric and named.
//! The query runs on one partition, so window functions and sums are evaluated in one
//! fixed order and the output is byte-identical run to run. Constructs that read later
//! rows (`LEAD`, `FOLLOWING` frames, windows without `ORDER BY` or ordered `DESC`) are
//! refused unless `allow_lookahead` is set. DataFusion lives in this crate alone, so the
//! other feature stages build without it.

mod lookahead;
mod output;
mod position;
mod query;
mod stage;

pub use stage::{SqlFeatures, SqlParams};

use mlfactory_engine::Registry;

/// Registers `features.sql`.
pub fn register(registry: &mut Registry) {
    registry.register(SqlFeatures);
}
