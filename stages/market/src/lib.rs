//! # mlfactory-market
//!
//! The vocabulary every stage crate shares, so that bars written by `data.synth` mean
//! the same thing to `features.indicators`, `labels.triple_barrier` and `backtest`:
//!
//! - [`instrument`]: futures contracts (tick size, tick value, exchange time zone);
//! - [`calendar`]: the CME Globex week and its sessions (Asia, London, RTH, …) in
//!   America/Chicago with daylight saving, and trading days;
//! - [`bars`]: the bar table (`ts, open, high, low, close, volume` + extras) as Arrow
//!   and as plain columns;
//! - [`resample`]: N-minute bars anchored to the session, never spanning the daily break;
//! - [`columns`]: reading and writing Arrow columns (nulls <-> NaN);
//! - [`intrabar`]: what a bar's open/high/low say about the order of prices inside it
//!   (gap fills, the tie rule for a bar reaching both a stop and a target);
//! - [`moments`]: central moments of a sample in one pass;
//! - [`mtf_layout`]: the `[timeframes, window, fields]` tensor layout of a
//!   `multi_resolution` feature table, recorded in its schema metadata;
//! - [`reference`]: finding the reference data and goldens in tests;
//! - [`contracts`]: the column names of tables passed between stages (labels, splits,
//!   datasets, predictions).

pub mod bars;
pub mod calendar;
pub mod columns;
pub mod contracts;
pub mod instrument;
pub mod intrabar;
pub mod moments;
pub mod mtf_layout;
pub mod reference;
pub mod resample;

pub use bars::Bars;
pub use calendar::{Calendar, Session};
pub use instrument::Instrument;
