//! The sections of the report, each built from the inputs it needs (and skipped when
//! none of them is wired), each returning its figures for metrics.json too.

pub mod backtest;
pub mod calibration;
pub mod model;
pub mod overfitting;
pub mod provenance;
pub mod summary;
pub mod sweep;
