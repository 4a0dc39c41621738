//! # mlfactory-models
//!
//! Models behind one trait, and the stage that trains them.
//!
//! - [`model`]: the [`Model`] trait (fit with validation for early stopping and sample
//!   weights, predict class probabilities, save, feature importance) and [`FitContext`]
//!   (seeded RNG streams, progress);
//! - [`samples`]: [`Samples`], the rows of a `dataset` table as a dense matrix with labels,
//!   weights, returns, times and sequence segments;
//! - [`saved`]: [`SavedModel`], a fitted model as one safetensors file with its config in
//!   the metadata;
//! - [`catalog`]: [`ModelCatalog`] of model types, built once by `mlfactory-stages` from
//!   this crate's tabular models and ensembles and `mlfactory-neural`'s candle nets, and
//!   handed to every stage that trains models.

pub mod catalog;
pub mod compare;
pub mod ensemble;
pub mod fingerprint;
pub mod folds;
pub mod linear;
pub mod metrics;
pub mod model;
mod parallel;
pub mod predict;
pub mod reference;
pub mod samples;
pub mod saved;
#[cfg(test)]
mod testdata;
pub mod train;
pub mod tree;

use std::sync::Arc;

pub use catalog::{ModelCatalog, ModelKind, ModelSpec, ModelType};
pub use fingerprint::Fingerprint;
pub use metrics::Metrics;
use mlfactory_engine::Registry;
pub use model::{FitContext, FitReport, Model, Proba};
pub use predict::{FitPredict, Predicted, class_returns, fit_predict, predict, predictions_table};
pub use samples::{Class, Samples};
pub use saved::{SavedModel, Tensor, TensorData};

/// Adds this crate's model types (tabular models and ensembles) to `catalog`.
pub fn add_types(catalog: &mut ModelCatalog) {
    catalog.add(linear::logistic::Logistic).add(tree::gbdt::Gbdt).add(tree::forest::Forest).add(linear::svm::Svm);
    catalog.add(ensemble::voting::Voting).add(ensemble::stacking::Stacking).add(ensemble::blending::Blending);
}

/// Registers this crate's stage kinds; they train through `catalog`.
pub fn register(registry: &mut Registry, catalog: Arc<ModelCatalog>) {
    registry.register(train::Train::new(catalog)).register(compare::Compare);
}
