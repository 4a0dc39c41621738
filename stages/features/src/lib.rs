//! # mlfactory-features
//!
//! Feature stages. [`indicators`] is the library (one indicator a file behind the
//! [`indicators::Indicator`] trait, 150+ causal columns, TA-Lib-exact where TA-Lib has
//! the indicator), callable directly with [`indicators::compute`]; [`stage`] wraps it as
//! the `features.indicators` stage kind.

pub mod indicators;
pub mod mtf;
pub mod stage;

use mlfactory_engine::Registry;

pub use indicators::{FeatureSet, Selection, compute};

/// Registers this crate's stage kinds.
pub fn register(registry: &mut Registry) {
    registry.register(stage::Indicators);
    registry.register(mtf::Mtf);
}
