//! # mlfactory-validate
//!
//! Whether a result is real: evaluation, cross-validation, overfitting statistics,
//! calibration and thresholds.
//!
//! - [`stats`]: the numerics on plain slices (normal distribution, moments, PSR / DSR,
//!   CSCV, classification and trading metrics);
//! - [`calibration`]: isotonic calibration, reliability curves, session / volatility
//!   buckets, expected-value thresholds and gate analysis;
//! - [`cv`]: what the cross-validation stages share (rows, per-fold fits, out-of-fold
//!   predictions);
//! - [`predictions`]: the `predictions` table every model stage writes, read and written;
//! - [`strategies`]: the T x N strategy returns PBO and the DSR judge;
//! - [`stages`]: the stage kinds (`validate.*`), registered by [`register`].
//!
//! See `docs/validation.md` for what each stage computes and the conventions chosen.

pub mod calibration;
pub mod cv;
pub mod predictions;
pub mod stages;
pub mod stats;
pub mod strategies;

use std::sync::Arc;

use mlfactory_engine::Registry;
use mlfactory_models::ModelCatalog;

/// Registers this crate's stage kinds; those that train models do it through `catalog`.
pub fn register(registry: &mut Registry, catalog: Arc<ModelCatalog>) {
    registry
        .register(stages::evaluate::Evaluate)
        .register(stages::pbo::Pbo)
        .register(stages::deflated_sharpe::DeflatedSharpe)
        .register(stages::calibrate::Calibrate)
        .register(stages::thresholds::Thresholds)
        .register(stages::gates::Gates)
        .register(stages::purged_kfold::PurgedKFold::new(catalog.clone()))
        .register(stages::walk_forward::WalkForward::new(catalog.clone()))
        .register(stages::cpcv::Cpcv::new(catalog));
}
