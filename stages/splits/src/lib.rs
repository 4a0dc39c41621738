//! # mlfactory-splits
//!
//! Dataset stages and the splitter library:
//!
//! - [`splitter`]: purged / embargoed index sets for overlapping labels: [`splitter::PurgedKFold`],
//!   [`splitter::WalkForward`] (expanding or rolling), [`splitter::CombinatorialPurgedKFold`]
//!   (CPCV groups, splits and backtest paths), [`splitter::train_positions`] for any test set;
//! - [`chrono_split`]: the `splits` stage (chronological train/val/test, purge, embargo);
//! - [`dataset`]: the `dataset` stage (features x labels x splits, sample weights, segments,
//!   sequence windows);
//! - [`scale`]: the `scale` stage and the [`scale::Scaler`] reused at inference;
//! - [`select`]: the `features.select` stage (near-constant and correlation filters, PCA).
//!
//! Conventions and how they compare with mlfinlab / skfolio are in `docs/splits.md`.

use mlfactory_engine::Registry;

pub mod chrono_split;
pub mod dataset;
pub mod scale;
pub mod select;
pub mod splitter;

/// Registers this crate's stage kinds.
pub fn register(registry: &mut Registry) {
    registry.register(chrono_split::Splits);
    registry.register(dataset::Dataset);
    registry.register(scale::Scale);
    registry.register(select::Select);
}
