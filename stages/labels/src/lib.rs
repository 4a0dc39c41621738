//! # mlfactory-labels
//!
//! Label stages: triple-barrier labels, sample weights, GA barrier optimisation.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
