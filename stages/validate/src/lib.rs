//! # mlfactory-validate
//!
//! Validation stages: evaluation, cross-validation (PurgedKFold, walk-forward, CPCV), PBO, PSR/DSR, calibration and thresholds.

use mlfactory_engine::Registry;

/// Registers this crate's stage kinds.
pub fn register(_registry: &mut Registry) {}
