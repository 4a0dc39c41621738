//! # mlfactory-splits
//!
//! Dataset stages: purged/embargoed splits and the splitter library, scaling, feature selection, model-ready datasets.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
