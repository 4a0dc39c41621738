//! # mlfactory-models
//!
//! Model stages: one Model trait, gradient boosting, classical models, candle neural nets, ensembles.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
