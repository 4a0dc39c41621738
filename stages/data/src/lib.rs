//! # mlfactory-data
//!
//! Market data stages. Two sources feed every pipeline and both end as the same
//! session-aware bar table (`mlfactory_market::bars`):
//!
//! - [`synth`] (`data.synth`): a seeded tick-level market simulator with hierarchical
//!   Markov states (day regime -> hour phase -> minute state) on the CME Globex calendar,
//!   every bar labelled, optionally fitted to real bars;
//! - [`ingest`] (`data.ingest`): CSV and Parquet from disk or object_store URLs, column
//!   mapping, time zones, bar-open/close stamps, validation rules with error, drop or
//!   repair policies and a validation report;
//! - [`clean`] (`data.clean`): session filters, gap policy, continuous-contract rolls,
//!   resampling anchored to the session, tick columns;
//! - [`tickbars`] (`data.bars`): time, tick, volume, dollar and tick-imbalance bars
//!   from trades;
//! - [`stats`]: stylized facts (tails, volatility clustering, intraday profiles) used to
//!   compare simulated and real markets.
//!
//! See `docs/data.md` for the user guide.

pub mod clean;
pub mod ingest;
pub mod stats;
pub mod synth;
pub mod tickbars;

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(registry: &mut Registry) {
    registry.register(synth::Synth).register(ingest::Ingest).register(clean::Clean).register(tickbars::TickBars);
}
